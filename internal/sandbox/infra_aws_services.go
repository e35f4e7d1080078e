package sandbox

// The managed services around the K3s nodes, for the sandbox and the
// tests of what moto_server cannot hold over time (a backlog that grows,
// an oldest message that ages, free storage CloudWatch reports): WAFv2
// and SQS speak awsJson (1.1 and 1.0, the X-Amz-Target header names the
// operation), RDS and CloudWatch awsQuery (namespaces
// http://rds.amazonaws.com/doc/2014-10-31/ and
// http://monitoring.amazonaws.com/doc/2010-08-01/), EventBridge Scheduler
// restJson (GET /schedules), each as AWS's API reference documents it.
// Like the EC2 part, it ignores filters and answers in one page.

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// AWSQueue is one SQS queue. Its visible messages grow by GrowthPerMinute
// and its oldest message ages from OldestAge, both from AWSInfra.Start:
// a consumer that stopped.
type AWSQueue struct {
	Name                       string
	Visible, InFlight, Delayed int64
	GrowthPerMinute            int64
	DLQ                        string // the dead-letter queue's name, "" for none
	OldestAge                  time.Duration
}

// AWSDBInstance is one RDS DB instance.
type AWSDBInstance struct {
	ID, Status       string
	AllocatedGiB     int32
	FreeStorageBytes float64
}

// AWSSchedule is one EventBridge Scheduler schedule.
type AWSSchedule struct {
	Group, Name string
	Enabled     bool
}

const (
	rdsNS        = "http://rds.amazonaws.com/doc/2014-10-31/"
	cloudWatchNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
	sandboxAcct  = AWSAccountID
	stsNS        = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// AWSAccountID is the emulated account's ID (what STS GetCallerIdentity
// answers).
const AWSAccountID = "123456789012"

// getCallerIdentity is sts:GetCallerIdentity's answer.
func getCallerIdentity() any {
	return queryResponse("GetCallerIdentity", stsNS, struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}{"arn:aws:iam::" + AWSAccountID + ":user/vigil", "AIDAEXAMPLEVIGIL", AWSAccountID})
}

// elapsedMinutes since Start, by the emulator's clock.
func (a *AWSInfra) elapsedMinutes() int64 {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if a.Start.IsZero() {
		return 0
	}
	return int64(now().Sub(a.Start) / time.Minute)
}

func (a *AWSInfra) queue(name string) (AWSQueue, bool) {
	for _, q := range a.Queues {
		if q.Name == name {
			return q, true
		}
	}
	return AWSQueue{}, false
}

// serveJSON answers the awsJson calls (WAFv2, SQS).
func (a *AWSInfra) serveJSON(w http.ResponseWriter, r *http.Request, target string) {
	var in struct {
		ResourceArn string
		QueueURL    string `json:"QueueUrl"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		jsonError(w, "SerializationException", "the request body is not JSON")
		return
	}
	var out any
	switch target {
	case "AWSWAF_20190729.GetWebACLForResource":
		out = map[string]any{}
		if acl := a.WebACLs[in.ResourceArn]; acl != "" {
			out = map[string]any{"WebACL": map[string]any{"Name": acl, "Id": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
				"ARN":           "arn:aws:wafv2:eu-central-1:" + sandboxAcct + ":regional/webacl/" + acl + "/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
				"DefaultAction": map[string]any{"Allow": map[string]any{}}, "Rules": []any{},
				"VisibilityConfig": map[string]any{"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": acl}}}
		}
	case "AmazonSQS.ListQueues":
		var urls []string
		for _, q := range a.Queues {
			urls = append(urls, a.queueURL(r, q.Name))
		}
		out = map[string]any{"QueueUrls": urls}
	case "AmazonSQS.GetQueueAttributes":
		q, ok := a.queue(in.QueueURL[strings.LastIndex(in.QueueURL, "/")+1:])
		if !ok {
			jsonError(w, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
			return
		}
		at := map[string]string{
			"ApproximateNumberOfMessages":           fmt.Sprint(q.Visible + q.GrowthPerMinute*a.elapsedMinutes()),
			"ApproximateNumberOfMessagesNotVisible": fmt.Sprint(q.InFlight),
			"ApproximateNumberOfMessagesDelayed":    fmt.Sprint(q.Delayed)}
		if q.DLQ != "" {
			at["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:eu-central-1:%s:%s","maxReceiveCount":5}`, sandboxAcct, q.DLQ)
		}
		out = map[string]any{"Attributes": at}
	default:
		jsonError(w, "UnknownOperationException", "")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

func (a *AWSInfra) queueURL(r *http.Request, name string) string {
	return "http://" + r.Host + "/" + sandboxAcct + "/" + name
}

func jsonError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", code+";Sender")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// serveSchedules answers scheduler:ListSchedules (GET /schedules).
func (a *AWSInfra) serveSchedules(w http.ResponseWriter) {
	type summary struct {
		Arn, Name, GroupName, State string
		Target                      struct{ Arn string }
	}
	out := struct{ Schedules []summary }{Schedules: []summary{}}
	for _, s := range a.Schedules {
		x := summary{Arn: "arn:aws:scheduler:eu-central-1:" + sandboxAcct + ":schedule/" + s.Group + "/" + s.Name, Name: s.Name, GroupName: s.Group, State: "DISABLED"}
		if s.Enabled {
			x.State = "ENABLED"
		}
		x.Target.Arn = "arn:aws:sqs:eu-central-1:" + sandboxAcct + ":orders"
		out.Schedules = append(out.Schedules, x)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// describeDBInstances is rds:DescribeDBInstances' answer.
func (a *AWSInfra) describeDBInstances() any {
	type db struct {
		ID        string `xml:"DBInstanceIdentifier"`
		Status    string `xml:"DBInstanceStatus"`
		Allocated int32  `xml:"AllocatedStorage"`
		Engine    string `xml:"Engine"`
		Class     string `xml:"DBInstanceClass"`
	}
	var dbs []db
	for _, d := range a.DBInstances {
		dbs = append(dbs, db{d.ID, d.Status, d.AllocatedGiB, "postgres", "db.t3.medium"})
	}
	return queryResponse("DescribeDBInstances", rdsNS, struct {
		DBs []db `xml:"DBInstances>DBInstance"`
	}{dbs})
}

// getMetricData is cloudwatch:GetMetricData's answer: one datapoint per
// query, at the end of the period asked, for the SQS queues' oldest
// message age and the RDS instances' free storage.
func (a *AWSInfra) getMetricData(form map[string][]string) any {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	type result struct {
		ID         string    `xml:"Id"`
		Label      string    `xml:"Label"`
		Timestamps []string  `xml:"Timestamps>member"`
		Values     []float64 `xml:"Values>member"`
		Status     string    `xml:"StatusCode"`
	}
	end, _ := time.Parse(time.RFC3339, get("EndTime"))
	at := end.Add(-time.Minute).UTC().Format(time.RFC3339)
	var results []result
	for i := 1; get(fmt.Sprintf("MetricDataQueries.member.%d.Id", i)) != ""; i++ {
		p := fmt.Sprintf("MetricDataQueries.member.%d.", i)
		res := result{ID: get(p + "Id"), Status: "Complete"}
		metric, dim := get(p+"MetricStat.Metric.MetricName"), get(p+"MetricStat.Metric.Dimensions.member.1.Value")
		res.Label = metric
		if v, ok := a.metricValue(metric, dim); ok {
			res.Timestamps, res.Values = []string{at}, []float64{v}
		}
		results = append(results, res)
	}
	return queryResponse("GetMetricData", cloudWatchNS, struct {
		Results  []result `xml:"MetricDataResults>member"`
		Messages struct{} `xml:"Messages"`
	}{Results: results})
}

func (a *AWSInfra) metricValue(metric, dim string) (float64, bool) {
	switch metric {
	case "ApproximateAgeOfOldestMessage":
		if q, ok := a.queue(dim); ok && q.OldestAge > 0 {
			return q.OldestAge.Seconds() + float64(a.elapsedMinutes()*60), true
		}
	case "FreeStorageSpace":
		for _, d := range a.DBInstances {
			if d.ID == dim {
				return d.FreeStorageBytes, true
			}
		}
	}
	return 0, false
}

// queryResponse wraps result as <ActionResponse><ActionResult>… in ns.
func queryResponse(action, ns string, result any) any {
	return struct {
		XMLName  xml.Name
		NS       string `xml:"xmlns,attr"`
		Result   any
		Metadata struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}{XMLName: xml.Name{Local: action + "Response"}, NS: ns, Result: resultElem{action + "Result", result}}
}
