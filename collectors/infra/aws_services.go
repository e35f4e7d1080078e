package infra

// The managed services around the K3s nodes, read in the same refresh as
// EC2 and ELBv2: WAFv2 (is a web ACL associated with each configured ALB),
// SQS (queue depths and their dead-letter queues), RDS (instance status and
// allocated storage) and EventBridge Scheduler (schedules enabled). The
// values only CloudWatch has (the oldest message's age, free storage) come
// from one GetMetricData call for all of them (cloudwatch.go).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// rdsStatuses is the documented set of DB instance statuses (Amazon RDS
// User Guide, "Viewing Amazon RDS DB instance status"); any other value
// counts as unknown.
var rdsStatuses = []string{"available", "backing-up", "configuring-enhanced-monitoring", "configuring-iam-database-auth",
	"configuring-log-exports", "converting-to-vpc", "creating", "delete-precheck", "deleting", "failed",
	"inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable", "incompatible-create",
	"incompatible-network", "incompatible-option-group", "incompatible-parameters", "incompatible-restore",
	"insufficient-capacity", "maintenance", "modifying", "moving-to-vpc", "rebooting", "resetting-master-credentials",
	"renaming", "restore-error", "starting", "stopped", "stopping", "storage-config-upgrade", "storage-full",
	"storage-initialization", "storage-optimization", "upgrading", "unknown"}

type wafInfo struct {
	LoadBalancer string
	WebACL       string // "" when none is associated
}

type queueInfo struct {
	Name                       string
	Visible, InFlight, Delayed int64
	DLQ                        string // the dead-letter queue's name, "" without a RedrivePolicy
	DLQMessages                int64
	DLQRead                    bool // the DLQ is in this account and region and was read
	Age                        float64
	HasAge                     bool // CloudWatch had a datapoint
}

type dbInfo struct {
	ID, Status     string
	AllocatedBytes float64
	FreeBytes      float64
	HasFree        bool // CloudWatch had a datapoint
}

type scheduleInfo struct {
	Group, Name string
	Enabled     bool
}

// loadBalancerName is the NAME of an ALB ARN (…:loadbalancer/app/NAME/ID),
// the same value DescribeLoadBalancers gives as LoadBalancerName.
func loadBalancerName(arn string) string {
	parts := strings.Split(arn, "/")
	if len(parts) >= 3 {
		return parts[len(parts)-2]
	}
	return arn
}

// fetchWAF asks which web ACL protects each configured ALB.
func (a *awsSource) fetchWAF(ctx context.Context, snap *awsSnapshot) error {
	for _, arn := range a.target.Select.WAFLoadBalancerARNs {
		out, err := a.waf.GetWebACLForResource(ctx, &wafv2.GetWebACLForResourceInput{ResourceArn: awssdk.String(arn)})
		var missing *waftypes.WAFNonexistentItemException
		switch {
		case errors.As(err, &missing):
			// AWS's answer for an ALB that does not exist: nothing
			// protects it either; the runbook's first check is the ALB.
			out = &wafv2.GetWebACLForResourceOutput{}
		case err != nil:
			return awsError(ctx, "wafv2:GetWebACLForResource", err)
		}
		w := wafInfo{LoadBalancer: loadBalancerName(arn)}
		if out.WebACL != nil {
			w.WebACL = awssdk.ToString(out.WebACL.Name)
		}
		snap.WAF = append(snap.WAF, w)
	}
	return nil
}

var queueAttributes = []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
	sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible, sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
	sqstypes.QueueAttributeNameRedrivePolicy}

// fetchSQS lists the region's queues once, then reads the attributes of
// each selected queue and of each one's dead-letter queue (SQS has no
// batch call for attributes: one GetQueueAttributes per queue).
func (a *awsSource) fetchSQS(ctx context.Context, snap *awsSnapshot) error {
	sel := a.target.Select.SQS
	urls := map[string]string{}
	var names []string
	for p := sqs.NewListQueuesPaginator(a.sqs, &sqs.ListQueuesInput{MaxResults: awssdk.Int32(1000)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return awsError(ctx, "sqs:ListQueues", err)
		}
		for _, u := range out.QueueUrls {
			n := u[strings.LastIndex(u, "/")+1:]
			urls[n] = u
			names = append(names, n)
		}
	}
	if len(sel.Queues) > 0 {
		names = sel.Queues
	}
	read := map[string]map[string]string{}
	attrs := func(name string) (map[string]string, error) {
		if at, ok := read[name]; ok {
			return at, nil
		}
		u, ok := urls[name]
		if !ok {
			return nil, fmt.Errorf("sqs queue %q is not in account %s, %s; check infra.aws.accounts[].sqs.queues: %w",
				name, a.target.Name, a.target.Region, &source.HTTPError{API: "AWS sqs:ListQueues", StatusCode: http.StatusNotFound})
		}
		out, err := a.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: awssdk.String(u), AttributeNames: queueAttributes})
		if err != nil {
			return nil, awsError(ctx, "sqs:GetQueueAttributes", err)
		}
		read[name] = out.Attributes
		return out.Attributes, nil
	}
	for _, n := range names {
		at, err := attrs(n)
		if err != nil {
			return err
		}
		q := queueInfo{Name: n}
		q.Visible, q.InFlight, q.Delayed = queueDepths(at)
		if q.DLQ = deadLetterQueue(at); q.DLQ != "" {
			if _, ok := urls[q.DLQ]; ok {
				dat, err := attrs(q.DLQ)
				if err != nil {
					return err
				}
				v, f, d := queueDepths(dat)
				q.DLQMessages, q.DLQRead = v+f+d, true
			}
		}
		snap.Queues = append(snap.Queues, q)
	}
	return nil
}

func queueDepths(at map[string]string) (visible, inFlight, delayed int64) {
	n := func(k sqstypes.QueueAttributeName) int64 {
		v, _ := strconv.ParseInt(at[string(k)], 10, 64)
		return v
	}
	return n(sqstypes.QueueAttributeNameApproximateNumberOfMessages), n(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		n(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed)
}

// deadLetterQueue is the name of the queue RedrivePolicy's
// deadLetterTargetArn (arn:aws:sqs:REGION:ACCOUNT:NAME) names.
func deadLetterQueue(at map[string]string) string {
	var rp struct {
		Target string `json:"deadLetterTargetArn"`
	}
	if json.Unmarshal([]byte(at[string(sqstypes.QueueAttributeNameRedrivePolicy)]), &rp) != nil || rp.Target == "" {
		return ""
	}
	return rp.Target[strings.LastIndex(rp.Target, ":")+1:]
}

// fetchRDS reads the selected DB instances (every one of the region when
// none is named) in pages of up to 100.
func (a *awsSource) fetchRDS(ctx context.Context, snap *awsSnapshot) error {
	in := &rds.DescribeDBInstancesInput{}
	if ids := a.target.Select.RDS.Instances; len(ids) > 0 {
		in.Filters = []rdstypes.Filter{{Name: awssdk.String("db-instance-id"), Values: ids}}
	}
	for p := rds.NewDescribeDBInstancesPaginator(a.rds, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return awsError(ctx, "rds:DescribeDBInstances", err)
		}
		for _, d := range out.DBInstances {
			snap.DBs = append(snap.DBs, dbInfo{ID: awssdk.ToString(d.DBInstanceIdentifier), Status: awssdk.ToString(d.DBInstanceStatus),
				AllocatedBytes: float64(awssdk.ToInt32(d.AllocatedStorage)) * (1 << 30)})
		}
	}
	return nil
}

// fetchSchedules lists every schedule of the region; the summary carries
// its state, so no GetSchedule per schedule is needed.
func (a *awsSource) fetchSchedules(ctx context.Context, snap *awsSnapshot) error {
	for p := scheduler.NewListSchedulesPaginator(a.sched, &scheduler.ListSchedulesInput{}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return awsError(ctx, "scheduler:ListSchedules", err)
		}
		for _, s := range out.Schedules {
			snap.Schedules = append(snap.Schedules, scheduleInfo{Group: awssdk.ToString(s.GroupName), Name: awssdk.ToString(s.Name),
				Enabled: s.State == "ENABLED"})
		}
	}
	slices.SortFunc(snap.Schedules, func(x, y scheduleInfo) int { return strings.Compare(x.Group+"/"+x.Name, y.Group+"/"+y.Name) })
	return nil
}
