package infra

// The AWS part: the K3s nodes' EC2 instances (state and status checks) and
// the ALB's target groups (targets by health state and reason) and load
// balancers (state), one source per configured account and region. A
// refresh sends one request per API per page: DescribeInstances,
// DescribeInstanceStatus (IncludeAllInstances, for the selected IDs),
// DescribeTargetGroups, one DescribeTargetHealth per target group, and
// DescribeLoadBalancers; then, as configured, one GetWebACLForResource per
// ALB, ListQueues and one GetQueueAttributes per queue and dead-letter
// queue, DescribeDBInstances, ListSchedules and one GetMetricData for every
// queue's and DB instance's CloudWatch values (aws_services.go,
// cloudwatch.go).

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"

	vaws "github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// AWSSourcePrefix starts the name of each AWS source.
const AWSSourcePrefix = "infra_aws_"

// AWSSourceName is the source of one account and region, e.g.
// infra_aws_production_eu-central-1.
func AWSSourceName(account, region string) string { return AWSSourcePrefix + account + "_" + region }

// The closed sets of the AWS part.
var (
	ec2States      = []string{"pending", "running", "shutting-down", "terminated", "stopping", "stopped"}
	ec2CheckStates = []string{"ok", "impaired", "insufficient-data", "not-applicable", "initializing"}
	targetStates   = []string{"healthy", "unhealthy", "unused", "draining", "initial", "unavailable"}
	lbStates       = []string{"active", "provisioning", "active_impaired", "failed"}
)

// AWSTarget is one account and region to read, with how to reach it.
type AWSTarget struct {
	Name   string // the account label
	Region string
	Select AWSAccount
	// Config returns the account's SDK config for Region sending through rt.
	Config func(rt http.RoundTripper) awssdk.Config
	// Key identifies credentials and endpoint (the account's own
	// fingerprint, so another account's change does not reread this one).
	Key string
	// AccountID returns the 12-digit account ID (the aws provider's one
	// cached sts:GetCallerIdentity per account); nil exports none.
	AccountID func(ctx context.Context) (string, error)
}

type awsSnapshot struct {
	AccountID     string         `json:"account_id"`
	Instances     []ec2Info      `json:"instances"`
	TargetGroups  []tgInfo       `json:"target_groups"`
	LoadBalancers []lbInfo       `json:"load_balancers"`
	WAF           []wafInfo      `json:"waf"`
	Queues        []queueInfo    `json:"queues"`
	DBs           []dbInfo       `json:"db_instances"`
	Schedules     []scheduleInfo `json:"schedules"`
}

type ec2Info struct {
	ID, Name, State            string
	InstanceCheck, SystemCheck string
}

type tgInfo struct {
	Name    string
	Targets []targetInfo
}

type targetInfo struct {
	ID, State, Reason string
}

type lbInfo struct {
	Name, State string
}

type awsSource struct {
	target AWSTarget
	src    *source.Source[awsSnapshot]
	ec2    *ec2.Client
	elb    *elbv2.Client
	waf    *wafv2.Client
	sqs    *sqs.Client
	rds    *rds.Client
	cw     *cloudwatch.Client
	sched  *scheduler.Client
	now    func() time.Time
	// metricsRequested counts the CloudWatch metrics asked since start,
	// what GetMetricData bills.
	metricsRequested atomic.Int64
}

// awsAPIName is the bounded api label of a request: the SDK operation that
// sends it (DescribeInstances, GetMetricData, …), which the SDK's
// middleware puts in the request's context whatever the wire protocol
// (ec2Query, awsQuery, JSON, REST); the operations are the SDK's fixed set.
func awsAPIName(r *http.Request) string {
	if op := awsmiddleware.GetOperationName(r.Context()); op != "" {
		return op
	}
	return "other"
}

func (c *Collector) addAWS(t AWSTarget) {
	name := AWSSourceName(t.Name, t.Region)
	a := &awsSource{target: t, now: c.now}
	// Page: a blind eye on whether the nodes run is what this exists for.
	a.src = source.Add(c.group, source.Options{Name: name, Interval: c.cfg.AWS.RefreshInterval.Std(),
		Key: t.Key + "|" + fmt.Sprint(t.Select), Criticality: source.CriticalityPage}, a.fetch)
	cfg := t.Config(a.src.Transport(nil, awsAPIName))
	a.ec2, a.elb = ec2.NewFromConfig(cfg), elbv2.NewFromConfig(cfg)
	a.waf, a.sqs, a.rds, a.sched = wafv2.NewFromConfig(cfg), sqs.NewFromConfig(cfg), rds.NewFromConfig(cfg), scheduler.NewFromConfig(cfg)
	a.cw = newCloudWatch(cfg)
	c.aws = append(c.aws, a)
}

// awsError is internal/aws's SDKError: the call named, the engine's
// classification (HTTP status) kept, and never the SDK's text with a URL.
var awsError = vaws.SDKError

func (a *awsSource) fetch(ctx context.Context) (awsSnapshot, error) {
	var snap awsSnapshot
	if a.target.AccountID != nil {
		id, err := a.target.AccountID(ctx)
		if err != nil {
			return snap, awsError(ctx, "sts:GetCallerIdentity", err)
		}
		snap.AccountID = id
	}
	for _, step := range []func(context.Context, *awsSnapshot) error{a.fetchEC2, a.fetchELB, a.fetchServices} {
		if err := step(ctx, &snap); err != nil {
			return snap, err
		}
	}
	return snap, nil
}

// fetchServices reads what the account's selection names beyond EC2 and
// ELBv2, then CloudWatch once for all of it.
func (a *awsSource) fetchServices(ctx context.Context, snap *awsSnapshot) error {
	sel := a.target.Select
	if len(sel.WAFLoadBalancerARNs) > 0 {
		if err := a.fetchWAF(ctx, snap); err != nil {
			return err
		}
	}
	if sel.SQS != nil {
		if err := a.fetchSQS(ctx, snap); err != nil {
			return err
		}
	}
	if sel.RDS != nil {
		if err := a.fetchRDS(ctx, snap); err != nil {
			return err
		}
	}
	if sel.Schedules {
		if err := a.fetchSchedules(ctx, snap); err != nil {
			return err
		}
	}
	if len(snap.Queues)+len(snap.DBs) == 0 {
		return nil
	}
	return a.fetchCloudWatch(ctx, snap, a.now())
}

// fetchEC2 reads the selected instances and their status checks.
func (a *awsSource) fetchEC2(ctx context.Context, snap *awsSnapshot) error {
	sel := a.target.Select

	in := &ec2.DescribeInstancesInput{}
	if len(sel.InstanceIDs) > 0 {
		in.InstanceIds = sel.InstanceIDs
	}
	keys := make([]string, 0, len(sel.InstanceTags))
	for k := range sel.InstanceTags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.Filters = append(in.Filters, ec2types.Filter{Name: awssdk.String("tag:" + k), Values: []string{sel.InstanceTags[k]}})
	}
	byID := map[string]int{}
	for p := ec2.NewDescribeInstancesPaginator(a.ec2, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return awsError(ctx, "ec2:DescribeInstances", err)
		}
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				info := ec2Info{ID: awssdk.ToString(i.InstanceId), Name: awssdk.ToString(i.InstanceId)}
				if i.State != nil {
					info.State = string(i.State.Name)
				}
				for _, t := range i.Tags {
					if awssdk.ToString(t.Key) == "Name" && awssdk.ToString(t.Value) != "" {
						info.Name = awssdk.ToString(t.Value)
					}
				}
				byID[info.ID] = len(snap.Instances)
				snap.Instances = append(snap.Instances, info)
			}
		}
	}
	if len(snap.Instances) > 0 {
		ids := make([]string, 0, len(snap.Instances))
		for _, i := range snap.Instances {
			ids = append(ids, i.ID)
		}
		for p := ec2.NewDescribeInstanceStatusPaginator(a.ec2, &ec2.DescribeInstanceStatusInput{InstanceIds: ids, IncludeAllInstances: awssdk.Bool(true)}); p.HasMorePages(); {
			out, err := p.NextPage(ctx)
			if err != nil {
				return awsError(ctx, "ec2:DescribeInstanceStatus", err)
			}
			for _, st := range out.InstanceStatuses {
				j, ok := byID[awssdk.ToString(st.InstanceId)]
				if !ok {
					continue
				}
				if st.InstanceStatus != nil {
					snap.Instances[j].InstanceCheck = string(st.InstanceStatus.Status)
				}
				if st.SystemStatus != nil {
					snap.Instances[j].SystemCheck = string(st.SystemStatus.Status)
				}
			}
		}
	}

	return nil
}

// fetchELB reads the target groups, their targets' health and the load
// balancers they serve.
func (a *awsSource) fetchELB(ctx context.Context, snap *awsSnapshot) error {
	sel := a.target.Select
	tgIn := &elbv2.DescribeTargetGroupsInput{}
	if len(sel.TargetGroupARNs) > 0 {
		tgIn.TargetGroupArns = sel.TargetGroupARNs
	}
	lbARNs := map[string]bool{}
	var tgARNs []string
	for p := elbv2.NewDescribeTargetGroupsPaginator(a.elb, tgIn); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return awsError(ctx, "elbv2:DescribeTargetGroups", err)
		}
		for _, g := range out.TargetGroups {
			tgARNs = append(tgARNs, awssdk.ToString(g.TargetGroupArn))
			snap.TargetGroups = append(snap.TargetGroups, tgInfo{Name: awssdk.ToString(g.TargetGroupName)})
			for _, lb := range g.LoadBalancerArns {
				lbARNs[lb] = true
			}
		}
	}
	for i, arn := range tgARNs {
		out, err := a.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: awssdk.String(arn)})
		if err != nil {
			return awsError(ctx, "elbv2:DescribeTargetHealth", err)
		}
		for _, d := range out.TargetHealthDescriptions {
			t := targetInfo{}
			if d.Target != nil {
				t.ID = awssdk.ToString(d.Target.Id)
				if d.Target.Port != nil {
					t.ID = fmt.Sprintf("%s:%d", t.ID, *d.Target.Port)
				}
			}
			if d.TargetHealth != nil {
				t.State, t.Reason = string(d.TargetHealth.State), string(d.TargetHealth.Reason)
			}
			snap.TargetGroups[i].Targets = append(snap.TargetGroups[i].Targets, t)
		}
	}
	if len(lbARNs) > 0 {
		arns := make([]string, 0, len(lbARNs))
		for a := range lbARNs {
			arns = append(arns, a)
		}
		sort.Strings(arns)
		for p := elbv2.NewDescribeLoadBalancersPaginator(a.elb, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: arns}); p.HasMorePages(); {
			out, err := p.NextPage(ctx)
			if err != nil {
				return awsError(ctx, "elbv2:DescribeLoadBalancers", err)
			}
			for _, lb := range out.LoadBalancers {
				l := lbInfo{Name: awssdk.ToString(lb.LoadBalancerName)}
				if lb.State != nil {
					l.State = string(lb.State.Code)
				}
				snap.LoadBalancers = append(snap.LoadBalancers, l)
			}
		}
	}
	return nil
}
