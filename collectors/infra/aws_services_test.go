package infra_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// motoServices seeds moto with what the services part reads: two ALBs,
// one of them behind a web ACL; a queue with a dead-letter queue holding
// messages; an RDS instance; CloudWatch datapoints for the queue's age and
// the instance's free storage; one enabled and one disabled schedule.
type motoServices struct {
	protectedALB, bareALB string
}

func seedMotoServices(t *testing.T, url string) motoServices {
	t.Helper()
	ctx := context.Background()
	cfg := awssdk.Config{Region: region, BaseEndpoint: awssdk.String(url), Credentials: awsStatic{}}
	e, lbc := ec2.NewFromConfig(cfg), elbv2.NewFromConfig(cfg)
	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String("10.0.0.0/16")})
	require.NoError(t, err)
	var subnets []string
	for i, az := range []string{"a", "b"} {
		sn, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: awssdk.String([]string{"10.0.1.0/24", "10.0.2.0/24"}[i]), AvailabilityZone: awssdk.String(region + az)})
		require.NoError(t, err)
		subnets = append(subnets, *sn.Subnet.SubnetId)
	}
	// A K3s node behind a target group of the protected ALB, so the EC2
	// and ELBv2 calls all have something to read.
	node, err := e.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"), MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1),
		SubnetId: awssdk.String(subnets[0]), TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: awssdk.String("role"), Value: awssdk.String("k3s")}}}}})
	require.NoError(t, err)
	var m motoServices
	for _, x := range []struct {
		name string
		arn  *string
	}{{"k3s-ingress", &m.protectedALB}, {"k3s-admin", &m.bareALB}} {
		lb, err := lbc.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: awssdk.String(x.name), Subnets: subnets})
		require.NoError(t, err)
		*x.arn = *lb.LoadBalancers[0].LoadBalancerArn
	}
	tg, err := lbc.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: awssdk.String("k3s-ingress-http"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: awssdk.Int32(30080), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumInstance})
	require.NoError(t, err)
	_, err = lbc.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: awssdk.String(m.protectedALB), Protocol: elbtypes.ProtocolEnumHttp,
		Port: awssdk.Int32(80), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}})
	require.NoError(t, err)
	_, err = lbc.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroups[0].TargetGroupArn,
		Targets: []elbtypes.TargetDescription{{Id: node.Instances[0].InstanceId}}})
	require.NoError(t, err)
	w := wafv2.NewFromConfig(cfg)
	acl, err := w.CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: awssdk.String("k3s-edge"), Scope: waftypes.ScopeRegional,
		DefaultAction:    &waftypes.DefaultAction{Allow: &waftypes.AllowAction{}},
		VisibilityConfig: &waftypes.VisibilityConfig{MetricName: awssdk.String("k3s-edge"), CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true}})
	require.NoError(t, err)
	_, err = w.AssociateWebACL(ctx, &wafv2.AssociateWebACLInput{ResourceArn: awssdk.String(m.protectedALB), WebACLArn: acl.Summary.ARN})
	require.NoError(t, err)

	q := sqs.NewFromConfig(cfg)
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String("orders-dlq")})
	require.NoError(t, err)
	orders, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String("orders"), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:` + region + `:123456789012:orders-dlq","maxReceiveCount":"3"}`}})
	require.NoError(t, err)
	_, err = q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String("unwatched")})
	require.NoError(t, err)
	send := func(u *string, n int, delay int32) {
		for range n {
			_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: u, MessageBody: awssdk.String("m"), DelaySeconds: delay})
			require.NoError(t, err)
		}
	}
	send(orders.QueueUrl, 4, 0)
	send(orders.QueueUrl, 1, 900)
	send(dlq.QueueUrl, 2, 0)
	_, err = q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: orders.QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 900})
	require.NoError(t, err)

	_, err = rds.NewFromConfig(cfg).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: awssdk.String("app-db"),
		DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("postgres"), AllocatedStorage: awssdk.Int32(20),
		MasterUsername: awssdk.String("app"), MasterUserPassword: awssdk.String("not-a-secret-1")})
	require.NoError(t, err)

	// moto accepts the AWS/ namespaces (AWS itself does not): the only
	// way to give GetMetricData something to return. Two points per
	// metric: the newer one must win.
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801) })
	now := time.Now()
	put := func(ns, metric, dim, val string, points map[time.Duration]float64) {
		var data []cwtypes.MetricDatum
		for ago, v := range points {
			data = append(data, cwtypes.MetricDatum{MetricName: awssdk.String(metric), Value: awssdk.Float64(v), Timestamp: awssdk.Time(now.Add(-ago)),
				Dimensions: []cwtypes.Dimension{{Name: awssdk.String(dim), Value: awssdk.String(val)}}})
		}
		_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: awssdk.String(ns), MetricData: data})
		require.NoError(t, err)
	}
	put("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "orders", map[time.Duration]float64{12 * time.Minute: 300, 5 * time.Minute: 1260})
	put("AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", "app-db", map[time.Duration]float64{10 * time.Minute: 4e9, 6 * time.Minute: 1.5e9})

	s := scheduler.NewFromConfig(cfg)
	for name, state := range map[string]schedtypes.ScheduleState{"nightly-backup": schedtypes.ScheduleStateEnabled, "weekly-report": schedtypes.ScheduleStateDisabled} {
		_, err := s.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: awssdk.String(name), ScheduleExpression: awssdk.String("rate(1 day)"),
			State: state, FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
			Target: &schedtypes.Target{Arn: awssdk.String("arn:aws:sqs:" + region + ":123456789012:orders"), RoleArn: awssdk.String("arn:aws:iam::123456789012:role/scheduler")}})
		require.NoError(t, err)
	}
	return m
}

// servicesSelection is what the moto test and the IAM test read.
func servicesSelection(m motoServices) infra.AWSAccount {
	return infra.AWSAccount{Account: "production", InstanceTags: map[string]string{"role": "k3s"},
		WAFLoadBalancerARNs: []string{m.protectedALB, m.bareALB},
		SQS:                 &infra.AWSSQS{Queues: []string{"orders"}, BacklogDepth: 1000, MaxMessageAge: config.Duration(15 * time.Minute)},
		RDS:                 &infra.AWSRDS{FreeStorageMinRatio: 0.1}, Schedules: true}
}

// TestAWSServicesAgainstMoto: WAF association, SQS depths and dead-letter
// queue, RDS status and storage, CloudWatch's age and free storage from one
// GetMetricData, schedules; one request per API per page.
func TestAWSServicesAgainstMoto(t *testing.T) {
	url := testenv.Moto(t)
	m := seedMotoServices(t, url)
	h := newAWSHarness(t, awsProvider(t, url), servicesSelection(m))
	st := h.c.AWSStatus(0)
	require.True(t, st.Up, "refresh failed: %s", st.LastReason)
	mfs := h.scrape(t)

	requireValue(t, mfs, "vigil_infra_aws_account_info", map[string]string{"account": "production", "account_id": "123456789012"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_waf_web_acl_associated", map[string]string{"account": "production", "region": region, "load_balancer": "k3s-ingress"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_waf_web_acl_associated", map[string]string{"load_balancer": "k3s-admin"}, 0)
	requireValue(t, mfs, "vigil_infra_aws_waf_web_acl_info", map[string]string{"load_balancer": "k3s-ingress", "web_acl": "k3s-edge"}, 1)
	_, ok := value(mfs, "vigil_infra_aws_waf_web_acl_info", map[string]string{"load_balancer": "k3s-admin"})
	require.False(t, ok, "no web ACL, no info series")

	for state, n := range map[string]float64{"visible": 3, "in_flight": 1, "delayed": 1} {
		requireValue(t, mfs, "vigil_infra_aws_sqs_messages", map[string]string{"queue": "orders", "state": state}, n)
	}
	_, ok = value(mfs, "vigil_infra_aws_sqs_messages", map[string]string{"queue": "unwatched"})
	require.False(t, ok, "only the configured queues are read")
	requireValue(t, mfs, "vigil_infra_aws_sqs_dead_letter_queue_messages", map[string]string{"queue": "orders", "dead_letter_queue": "orders-dlq"}, 2)
	requireValue(t, mfs, "vigil_infra_aws_sqs_oldest_message_age_seconds", map[string]string{"queue": "orders"}, 1260)
	requireValue(t, mfs, "vigil_infra_aws_sqs_backlog_threshold_messages", map[string]string{"queue": "orders"}, 1000)
	requireValue(t, mfs, "vigil_infra_aws_sqs_oldest_message_age_threshold_seconds", map[string]string{"queue": "orders"}, 900)

	requireValue(t, mfs, "vigil_infra_aws_rds_instance_status", map[string]string{"db_instance": "app-db", "status": "available"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_rds_instance_status", map[string]string{"db_instance": "app-db", "status": "storage-full"}, 0)
	requireValue(t, mfs, "vigil_infra_aws_rds_allocated_storage_bytes", map[string]string{"db_instance": "app-db"}, 20*(1<<30))
	requireValue(t, mfs, "vigil_infra_aws_rds_free_storage_bytes", map[string]string{"db_instance": "app-db"}, 1.5e9)
	requireValue(t, mfs, "vigil_infra_aws_rds_free_storage_min_ratio", map[string]string{"db_instance": "app-db"}, 0.1)

	requireValue(t, mfs, "vigil_infra_aws_scheduler_schedule_enabled", map[string]string{"group": "default", "schedule": "nightly-backup"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_scheduler_schedule_enabled", map[string]string{"group": "default", "schedule": "weekly-report"}, 0)

	// One GetMetricData for the queue and the instance: 2 metrics billed.
	requireValue(t, mfs, "vigil_infra_aws_cloudwatch_metrics_requested_total", map[string]string{"account": "production", "region": region}, 2)
	requireValue(t, mfs, "vigil_infra_exporter_cost_total", map[string]string{"provider": "aws", "account": "production", "currency": "USD"}, 2*0.01/1000)

	reqs := h.apiRequests(t)
	for api, n := range map[string]float64{"GetWebACLForResource": 2, "ListQueues": 1, "GetQueueAttributes": 2, "DescribeDBInstances": 1,
		"GetMetricData": 1, "ListSchedules": 1, "DescribeInstances": 1, "DescribeInstanceStatus": 1, "DescribeTargetGroups": 1,
		"DescribeTargetHealth": 1, "DescribeLoadBalancers": 1} {
		require.Equal(t, n, reqs[api], "%s: %v", api, reqs)
	}
	require.Zero(t, reqs["other"], "every request is named: %v", reqs)
	t.Logf("AWS requests per refresh: %v", reqs)
}

// TestAWSServicesFromTheWire: the sandbox's faults, which moto cannot hold
// over time (a backlog that grows, a message that ages), from the
// emulator speaking WAFv2's and SQS's awsJson, RDS's and CloudWatch's
// awsQuery and Scheduler's restJson as AWS's API reference documents them.
func TestAWSServicesFromTheWire(t *testing.T) {
	fake := infra.SandboxAWSInfra()
	fake.Start = time.Now().Add(-10 * time.Minute)
	srv := httptest.NewServer(fake)
	defer srv.Close()

	h := newAWSHarness(t, awsProvider(t, srv.URL), infra.SandboxAWSSelection())
	st := h.c.AWSStatus(0)
	require.True(t, st.Up, "refresh failed: %s", st.LastReason)
	mfs := h.scrape(t)

	requireValue(t, mfs, "vigil_infra_aws_waf_web_acl_associated", map[string]string{"load_balancer": "k3s-ingress"}, 0)
	requireValue(t, mfs, "vigil_infra_aws_waf_web_acl_associated", map[string]string{"load_balancer": "k3s-admin"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_waf_web_acl_info", map[string]string{"load_balancer": "k3s-admin", "web_acl": "k3s-admin-edge"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_sqs_messages", map[string]string{"queue": "orders", "state": "visible"}, 1500+25*10)
	requireValue(t, mfs, "vigil_infra_aws_sqs_dead_letter_queue_messages", map[string]string{"queue": "orders", "dead_letter_queue": "orders-dlq"}, 7)
	requireValue(t, mfs, "vigil_infra_aws_sqs_dead_letter_queue_messages", map[string]string{"queue": "emails", "dead_letter_queue": "emails-dlq"}, 0)
	requireValue(t, mfs, "vigil_infra_aws_sqs_oldest_message_age_seconds", map[string]string{"queue": "orders"}, 20*60+10*60)
	requireValue(t, mfs, "vigil_infra_aws_rds_free_storage_bytes", map[string]string{"db_instance": "app-db"}, 6*(1<<30))
	requireValue(t, mfs, "vigil_infra_aws_rds_allocated_storage_bytes", map[string]string{"db_instance": "app-db"}, 100*(1<<30))
	requireValue(t, mfs, "vigil_infra_aws_scheduler_schedule_enabled", map[string]string{"schedule": "weekly-report"}, 0)
	// Two queues and one instance in one GetMetricData; each queue and
	// its dead-letter queue read once.
	reqs := h.apiRequests(t)
	for api, n := range map[string]float64{"GetMetricData": 1, "GetQueueAttributes": 4, "ListQueues": 1, "GetWebACLForResource": 2} {
		require.Equal(t, n, reqs[api], "%s: %v", api, reqs)
	}
	requireValue(t, mfs, "vigil_infra_aws_cloudwatch_metrics_requested_total", map[string]string{"account": "production"}, 3)

	// The sandbox's faults are past the thresholds its alerts join on
	// (the promtool tests in alerts/tests/infra.test.yml fire on these).
	requireValue(t, mfs, "vigil_infra_aws_sqs_backlog_threshold_messages", map[string]string{"queue": "orders"}, 1000)
	requireValue(t, mfs, "vigil_infra_aws_sqs_oldest_message_age_threshold_seconds", map[string]string{"queue": "orders"}, 900)
	requireValue(t, mfs, "vigil_infra_aws_rds_free_storage_min_ratio", map[string]string{"db_instance": "app-db"}, 0.1)
	requireValue(t, mfs, "vigil_infra_aws_sqs_messages", map[string]string{"queue": "emails", "state": "visible"}, 3)
}

// An unknown RDS status counts as unknown: no series of the set is left at
// 1 for a status that no longer holds.
func TestRDSStatusOutsideTheSet(t *testing.T) {
	fake := infra.SandboxAWSInfra()
	fake.DBInstances[0].Status = "hibernating-someday"
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newAWSHarness(t, awsProvider(t, srv.URL), infra.SandboxAWSSelection())
	require.True(t, h.c.AWSStatus(0).Up)
	mfs := h.scrape(t)
	requireValue(t, mfs, "vigil_infra_aws_rds_instance_status", map[string]string{"db_instance": "app-db", "status": "unknown"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_rds_instance_status", map[string]string{"db_instance": "app-db", "status": "available"}, 0)
}
