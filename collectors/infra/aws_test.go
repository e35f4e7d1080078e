package infra_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m)) }

const region = "eu-central-1"

// awsProvider is the real aws provider pointed at endpoint, with static
// credentials from the environment and no shared files.
func awsProvider(t *testing.T, endpoint string) *aws.Provider {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	cfg := &aws.Config{Accounts: []aws.AccountConfig{{Name: "production", Region: region, Endpoint: endpoint}}}
	cfg.ApplyDefaults()
	require.Empty(t, cfg.Validate())
	p, err := aws.New(context.Background(), cfg)
	require.NoError(t, err)
	return p
}

type awsHarness struct {
	c       *infra.Collector
	metrics *source.Metrics
}

func newAWSHarness(t *testing.T, p *aws.Provider, sel infra.AWSAccount) *awsHarness {
	t.Helper()
	acct, ok := p.Account("production")
	require.True(t, ok)
	m := source.NewMetrics()
	g := source.NewGroup(m, nil)
	c := infra.New(infra.Config{Environment: "production", Key: "k1",
		AWS: &infra.AWSSection{RefreshInterval: config.Duration(time.Hour), Accounts: []infra.AWSAccount{sel}},
		AWSTargets: []infra.AWSTarget{{Name: "production", Region: region, Select: sel, Key: p.Fingerprint(),
			Config: func(rt http.RoundTripper) awssdk.Config { return acct.Config(region, rt) }, AccountID: acct.ID}}}, nil, g, nil)
	g.Start(context.Background())
	t.Cleanup(func() { g.Stop(false) })
	require.Eventually(t, func() bool { return c.AWSStatus(0).Attempted }, 20*time.Second, 5*time.Millisecond)
	return &awsHarness{c: c, metrics: m}
}

func (h *awsHarness) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	hh := &harness{c: h.c}
	_, mfs := hh.scrape(t)
	return mfs
}

func (h *awsHarness) apiRequests(t *testing.T) map[string]float64 {
	hh := &harness{metrics: h.metrics}
	return hh.apiRequestsOf(t, infra.AWSSourceName("production", region))
}

// TestAWSAgainstMoto: the K3s nodes selected by tag, one stopped; the ALB's
// target group holds both, and the stopped one's target is unused.
func TestAWSAgainstMoto(t *testing.T) {
	url := testenv.Moto(t)
	ctx := context.Background()
	cfg := awssdk.Config{Region: region, BaseEndpoint: awssdk.String(url),
		Credentials: awsStatic{}}
	e := ec2.NewFromConfig(cfg)
	lbc := elbv2.NewFromConfig(cfg)

	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String("10.0.0.0/16")})
	require.NoError(t, err)
	var subnets []string
	for i, az := range []string{"a", "b"} {
		sn, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: awssdk.String([]string{"10.0.1.0/24", "10.0.2.0/24"}[i]), AvailabilityZone: awssdk.String(region + az)})
		require.NoError(t, err)
		subnets = append(subnets, *sn.Subnet.SubnetId)
	}
	run := func(name, role string) string {
		tags := []ec2types.Tag{{Key: awssdk.String("Name"), Value: awssdk.String(name)}}
		if role != "" {
			tags = append(tags, ec2types.Tag{Key: awssdk.String("role"), Value: awssdk.String(role)})
		}
		out, err := e.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"), MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1),
			SubnetId: awssdk.String(subnets[0]), InstanceType: ec2types.InstanceTypeT3Medium,
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: tags}}})
		require.NoError(t, err)
		return *out.Instances[0].InstanceId
	}
	server, agent := run("k3s-server-1", "k3s"), run("k3s-agent-1", "k3s")
	run("bastion", "")
	lb, err := lbc.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: awssdk.String("k3s-ingress"), Subnets: subnets})
	require.NoError(t, err)
	tg, err := lbc.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: awssdk.String("k3s-ingress-http"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: awssdk.Int32(30080), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumInstance})
	require.NoError(t, err)
	tgARN := tg.TargetGroups[0].TargetGroupArn
	_, err = lbc.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp,
		Port: awssdk.Int32(80), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}})
	require.NoError(t, err)
	_, err = lbc.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tgARN,
		Targets: []elbtypes.TargetDescription{{Id: awssdk.String(server)}, {Id: awssdk.String(agent)}}})
	require.NoError(t, err)
	_, err = e.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{agent}})
	require.NoError(t, err)

	h := newAWSHarness(t, awsProvider(t, url), infra.AWSAccount{Account: "production", InstanceTags: map[string]string{"role": "k3s"}})
	st := h.c.AWSStatus(0)
	require.True(t, st.Up, "refresh failed: %s", st.LastReason)
	mfs := h.scrape(t)

	for _, s := range []struct {
		name, id, state string
	}{{"k3s-server-1", server, "running"}, {"k3s-agent-1", agent, "stopped"}} {
		for _, state := range []string{"pending", "running", "shutting-down", "terminated", "stopping", "stopped"} {
			requireValue(t, mfs, "vigil_infra_aws_ec2_instance_state", map[string]string{"account": "production", "region": region,
				"instance_id": s.id, "instance_name": s.name, "state": state}, b2f(state == s.state))
		}
	}
	_, ok := value(mfs, "vigil_infra_aws_ec2_instance_state", map[string]string{"instance_name": "bastion"})
	require.False(t, ok, "an instance without the tag is not selected")
	for _, chk := range []string{"instance", "system"} {
		requireValue(t, mfs, "vigil_infra_aws_ec2_instance_status_check", map[string]string{"instance_name": "k3s-server-1", "check": chk, "status": "ok"}, 1)
		requireValue(t, mfs, "vigil_infra_aws_ec2_instance_status_check", map[string]string{"instance_name": "k3s-server-1", "check": chk, "status": "impaired"}, 0)
	}
	// A stopped instance is asked for too (IncludeAllInstances): its checks
	// are not-applicable rather than absent.
	for _, chk := range []string{"instance", "system"} {
		requireValue(t, mfs, "vigil_infra_aws_ec2_instance_status_check", map[string]string{"instance_name": "k3s-agent-1", "check": chk, "status": "not-applicable"}, 1)
	}
	for state, n := range map[string]float64{"healthy": 1, "unused": 1, "unhealthy": 0, "draining": 0, "initial": 0, "unavailable": 0} {
		requireValue(t, mfs, "vigil_infra_aws_elb_target_group_targets", map[string]string{"account": "production", "target_group": "k3s-ingress-http", "state": state}, n)
	}
	requireValue(t, mfs, "vigil_infra_aws_elb_target_unhealthy_reason", map[string]string{"target_group": "k3s-ingress-http",
		"target": agent + ":30080", "state": "unused", "reason": "Target.InvalidState"}, 1)
	_, ok = value(mfs, "vigil_infra_aws_elb_target_unhealthy_reason", map[string]string{"target": server + ":30080"})
	require.False(t, ok, "a healthy target has no reason series")
	requireValue(t, mfs, "vigil_infra_aws_elb_load_balancer_state", map[string]string{"load_balancer": "k3s-ingress", "state": "active"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_elb_load_balancer_state", map[string]string{"load_balancer": "k3s-ingress", "state": "failed"}, 0)

	// One request per API per page, each counted under its Action.
	reqs := h.apiRequests(t)
	for _, api := range []string{"DescribeInstances", "DescribeInstanceStatus", "DescribeTargetGroups", "DescribeTargetHealth", "DescribeLoadBalancers"} {
		require.Equal(t, 1.0, reqs[api], "%s: %v", api, reqs)
	}
}

// TestAWSImpairedAndUnhealthyFromTheWire: what moto cannot produce, from
// the emulator speaking EC2's and ELBv2's published XML, decoded by the SDK.
func TestAWSImpairedAndUnhealthyFromTheWire(t *testing.T) {
	fake := infra.SandboxAWSInfra()
	fake.Instances = append(fake.Instances, sandbox.AWSInstance{ID: "i-0a1b2c3d4e5f60009", Name: "k3s-agent-9", State: "hibernating", InstanceStatus: "initializing", SystemStatus: "insufficient-data"})
	fake.LoadBalancers[0].State = "active_impaired"
	srv := httptest.NewServer(fake)
	defer srv.Close()

	h := newAWSHarness(t, awsProvider(t, srv.URL), infra.AWSAccount{Account: "production", InstanceIDs: []string{"i-0a1b2c3d4e5f60002"}})
	st := h.c.AWSStatus(0)
	require.True(t, st.Up, "refresh failed: %s", st.LastReason)
	mfs := h.scrape(t)

	agent := map[string]string{"instance_id": "i-0a1b2c3d4e5f60002", "instance_name": "k3s-agent-1"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	requireValue(t, mfs, "vigil_infra_aws_ec2_instance_status_check", with(agent, "check", "system", "status", "impaired"), 1)
	requireValue(t, mfs, "vigil_infra_aws_ec2_instance_status_check", with(agent, "check", "system", "status", "ok"), 0)
	requireValue(t, mfs, "vigil_infra_aws_ec2_instance_status_check", with(agent, "check", "instance", "status", "ok"), 1)
	requireValue(t, mfs, "vigil_infra_aws_ec2_instance_state", with(agent, "state", "running"), 1)
	requireValue(t, mfs, "vigil_infra_aws_elb_target_group_targets", map[string]string{"target_group": "k3s-ingress-http", "state": "unhealthy"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_elb_target_group_targets", map[string]string{"target_group": "k3s-ingress-http", "state": "healthy"}, 2)
	requireValue(t, mfs, "vigil_infra_aws_elb_target_unhealthy_reason", map[string]string{"target_group": "k3s-ingress-http",
		"target": "i-0a1b2c3d4e5f60002:30080", "state": "unhealthy", "reason": "Target.Timeout"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_elb_load_balancer_state", map[string]string{"load_balancer": "k3s-ingress", "state": "active_impaired"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_elb_load_balancer_state", map[string]string{"load_balancer": "k3s-ingress", "state": "active"}, 0)

	// A state outside the closed set sets no series to 1 (and leaves none
	// orphaned): the emulator ignores the ID filter and returns agent 9.
	for _, state := range []string{"pending", "running", "shutting-down", "terminated", "stopping", "stopped"} {
		requireValue(t, mfs, "vigil_infra_aws_ec2_instance_state", map[string]string{"instance_name": "k3s-agent-9", "state": state}, 0)
	}
	requireValue(t, mfs, "vigil_infra_aws_ec2_instance_status_check", map[string]string{"instance_name": "k3s-agent-9", "check": "instance", "status": "initializing"}, 1)
	requireValue(t, mfs, "vigil_infra_aws_ec2_instance_status_check", map[string]string{"instance_name": "k3s-agent-9", "check": "system", "status": "insufficient-data"}, 1)
}

// TestAWSFailureIsClassified: a 5xx is a failed refresh with a bounded
// reason, and no series appear from nothing.
func TestAWSFailureIsClassified(t *testing.T) {
	fake := infra.SandboxAWSInfra()
	fake.Fail = 503
	srv := httptest.NewServer(fake)
	defer srv.Close()
	h := newAWSHarness(t, awsProvider(t, srv.URL), infra.AWSAccount{Account: "production", InstanceIDs: []string{"i-0a1b2c3d4e5f60002"}})
	st := h.c.AWSStatus(0)
	require.False(t, st.Up)
	require.Equal(t, "server_error", st.LastReason)
	mfs := h.scrape(t)
	_, ok := value(mfs, "vigil_infra_aws_ec2_instance_state", map[string]string{})
	require.False(t, ok)
}

type awsStatic struct{}

func (awsStatic) Retrieve(context.Context) (awssdk.Credentials, error) {
	return awssdk.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "test"}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
