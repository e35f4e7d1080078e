package infra

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

const (
	// cloudWatchDelay: AWS publishes SQS and RDS metrics a few minutes
	// after the minute they describe, and a period still filling returns
	// a partial aggregate (an SQS age of 0 from one early sample, a free
	// storage missing its minimum). Asking only for periods that ended
	// this long ago returns values that no longer change;
	// prometheus/cloudwatch_exporter delays by 10 minutes for the same
	// reason, 3 is enough for 1-minute metrics and keeps alerts prompt.
	cloudWatchDelay = 3 * time.Minute
	// cloudWatchWindow before the delay: the newest datapoint in it is
	// exported, so one or two missing periods still give a value.
	cloudWatchWindow = 20 * time.Minute
	// GetMetricData costs USD 0.01 per 1,000 metrics requested (AWS
	// CloudWatch pricing, "API requests"); every query counts, whether or
	// not it returns data.
	cloudWatchUSDPerMetric = 0.01 / 1000
	// cloudWatchMaxQueries is GetMetricData's limit per request.
	cloudWatchMaxQueries = 500
)

// newCloudWatch speaks awsQuery instead of the SDK's default RPCv2 CBOR:
// CloudWatch serves both, and awsQuery is what moto_server (the tests'
// CloudWatch) and the sandbox's emulator understand.
func newCloudWatch(cfg awssdk.Config) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
	})
}

// cwQuery is one metric asked and where its value goes.
type cwQuery struct {
	namespace, metric, stat, dimName, dimValue string
	set                                        func(v float64)
}

// fetchCloudWatch asks for the oldest message's age of every queue read
// and the free storage of every DB instance read, in one GetMetricData
// call (more only past 500 metrics or when CloudWatch pages), and counts
// the metrics requested for vigil_infra_exporter_cost_total.
func (a *awsSource) fetchCloudWatch(ctx context.Context, snap *awsSnapshot, now time.Time) error {
	var qs []cwQuery
	for i := range snap.Queues {
		q := &snap.Queues[i]
		qs = append(qs, cwQuery{"AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", "QueueName", q.Name,
			func(v float64) { q.Age, q.HasAge = v, true }})
	}
	for i := range snap.DBs {
		d := &snap.DBs[i]
		qs = append(qs, cwQuery{"AWS/RDS", "FreeStorageSpace", "Minimum", "DBInstanceIdentifier", d.ID,
			func(v float64) { d.FreeBytes, d.HasFree = v, true }})
	}
	end := now.Add(-cloudWatchDelay).Truncate(time.Minute)
	for start := 0; start < len(qs); start += cloudWatchMaxQueries {
		batch := qs[start:min(start+cloudWatchMaxQueries, len(qs))]
		if err := a.getMetricData(ctx, batch, end); err != nil {
			return err
		}
	}
	return nil
}

func (a *awsSource) getMetricData(ctx context.Context, batch []cwQuery, end time.Time) error {
	in := &cloudwatch.GetMetricDataInput{StartTime: awssdk.Time(end.Add(-cloudWatchWindow)), EndTime: awssdk.Time(end),
		ScanBy: cwtypes.ScanByTimestampDescending}
	for i, q := range batch {
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{Id: awssdk.String(fmt.Sprintf("m%d", i)),
			MetricStat: &cwtypes.MetricStat{Period: awssdk.Int32(60), Stat: awssdk.String(q.stat), Metric: &cwtypes.Metric{
				Namespace: awssdk.String(q.namespace), MetricName: awssdk.String(q.metric),
				Dimensions: []cwtypes.Dimension{{Name: awssdk.String(q.dimName), Value: awssdk.String(q.dimValue)}}}}})
	}
	a.metricsRequested.Add(int64(len(batch)))
	for p := cloudwatch.NewGetMetricDataPaginator(a.cw, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return awsError(ctx, "cloudwatch:GetMetricData", err)
		}
		for _, r := range out.MetricDataResults {
			var i int
			if _, err := fmt.Sscanf(awssdk.ToString(r.Id), "m%d", &i); err != nil || i < 0 || i >= len(batch) || len(r.Values) == 0 {
				continue
			}
			// Newest first (ScanBy), but take the newest timestamp rather
			// than trust the order; a later page of the same id carries
			// older points, so the first page that has any wins.
			newest := 0
			for j := range r.Timestamps {
				if j < len(r.Values) && r.Timestamps[j].After(r.Timestamps[newest]) {
					newest = j
				}
			}
			batch[i].set(r.Values[newest])
			batch[i].set = func(float64) {}
		}
	}
	return nil
}
