package awscheck

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	waftypes "github.com/aws/aws-sdk-go-v2/service/wafv2/types"

	"github.com/vigil-monitoring/vigil/internal/provision/check"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunShared(testenvMoto{m})) }

// testenvMoto stops the shared moto_server after the tests, then hands over
// to RunShared for the shared kube-apiserver.
type testenvMoto struct{ m *testing.M }

func (t testenvMoto) Run() int { return testenv.RunWithMoto(t.m) }

const region = "eu-central-1"

// fixture is a small AWS stack made in moto_server with the SDK: an ALB with
// a target group of one running and one stopped instance, a WAF web ACL
// (associated or not) and an RDS instance; outputs names them as the stack
// would.
type fixture struct {
	cfg     aws.Config
	outputs map[string]json.RawMessage
	tg      string
	stopped string
	acl2    string
}

func newFixture(t *testing.T, associate bool) *fixture {
	t.Helper()
	url := testenv.Moto(t)
	ctx := context.Background()
	cfg := aws.Config{Region: region, BaseEndpoint: aws.String(url), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	e, lbc := ec2.NewFromConfig(cfg), elbv2.NewFromConfig(cfg)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	must(err)
	var subnets []string
	for i, az := range []string{"a", "b"} {
		sn, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String([]string{"10.0.1.0/24", "10.0.2.0/24"}[i]), AvailabilityZone: aws.String(region + az)})
		must(err)
		subnets = append(subnets, *sn.Subnet.SubnetId)
	}
	run, err := e.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		SubnetId: aws.String(subnets[0]), InstanceType: ec2types.InstanceTypeT3Medium})
	must(err)
	lb, err := lbc.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("ticketly-production"), Subnets: subnets})
	must(err)
	albARN := lb.LoadBalancers[0].LoadBalancerArn
	tg, err := lbc.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("ticketly-production-ingress"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(80), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumInstance})
	must(err)
	tgARN := tg.TargetGroups[0].TargetGroupArn
	_, err = lbc.CreateListener(ctx, &elbv2.CreateListenerInput{LoadBalancerArn: albARN, Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(80), DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}})
	must(err)
	var targets []elbtypes.TargetDescription
	for _, i := range run.Instances {
		targets = append(targets, elbtypes.TargetDescription{Id: i.InstanceId})
	}
	_, err = lbc.RegisterTargets(ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tgARN, Targets: targets})
	must(err)

	w := wafv2.NewFromConfig(cfg)
	vis := &waftypes.VisibilityConfig{CloudWatchMetricsEnabled: false, MetricName: aws.String("m"), SampledRequestsEnabled: false}
	acl, err := w.CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: aws.String("ticketly-production"), Scope: waftypes.ScopeRegional,
		DefaultAction: &waftypes.DefaultAction{Allow: &waftypes.AllowAction{}}, VisibilityConfig: vis})
	must(err)
	other, err := w.CreateWebACL(ctx, &wafv2.CreateWebACLInput{Name: aws.String("someone-elses"), Scope: waftypes.ScopeRegional,
		DefaultAction: &waftypes.DefaultAction{Allow: &waftypes.AllowAction{}}, VisibilityConfig: vis})
	must(err)
	if associate {
		_, err = w.AssociateWebACL(ctx, &wafv2.AssociateWebACLInput{ResourceArn: albARN, WebACLArn: acl.Summary.ARN})
		must(err)
	}
	_, err = rds.NewFromConfig(cfg).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("ticketly-production"),
		Engine: aws.String("postgres"), DBInstanceClass: aws.String("db.t3.medium"), AllocatedStorage: aws.Int32(20),
		MasterUsername: aws.String("ticketly"), MasterUserPassword: aws.String("not-a-secret-in-moto")})
	must(err)

	js := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	return &fixture{cfg: cfg, tg: *tgARN, stopped: *run.Instances[1].InstanceId, acl2: *other.Summary.ARN, outputs: map[string]json.RawMessage{
		OutALBDNSName:      js(*lb.LoadBalancers[0].DNSName),
		OutALBARN:          js(*albARN),
		OutAppHostname:     js("ticketly.example.com"),
		OutTargetGroupARNs: js([]string{*tgARN}),
		OutWebACLARN:       js(*acl.Summary.ARN),
		OutRDSIdentifier:   js("ticketly-production"),
		OutK8sAPIURL:       js("https://203.0.113.10:6443"),
	}}
}

// albServers stand in for the ALB's listeners: HTTPS with a certificate for
// the application's host, HTTP redirecting to HTTPS. The dialer sends the
// ALB's DNS name to them.
func albServers(t *testing.T, httpsStatus int) (*x509.CertPool, func(ctx context.Context, network, addr string) (net.Conn, error)) {
	t.Helper()
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(httpsStatus) }))
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+r.URL.Path, http.StatusMovedPermanently)
	}))
	t.Cleanup(plain.Close)
	roots := x509.NewCertPool()
	roots.AddCert(tlsSrv.Certificate())
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := plain.Listener.Addr().String()
		if strings.HasSuffix(addr, ":443") {
			to = tlsSrv.Listener.Addr().String()
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}
	return roots, dial
}

func byName(rep check.Report) map[string]check.Result {
	m := map[string]check.Result{}
	for _, c := range rep.Checks {
		m[c.Name] = c
	}
	return m
}

func TestRunReportsEveryCheck(t *testing.T) {
	f := newFixture(t, true)
	roots, dial := albServers(t, http.StatusNotFound)
	rest := testenv.SharedAPIServer(t)
	kc := testenv.WriteKubeconfig(t, rest, "")
	kubeconfig, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	f.outputs[OutK8sAPIURL], _ = json.Marshal(rest.Host)
	// The stopped instance is a target that is not healthy: stop it after
	// a first run in which every check passes.
	in := Inputs{Outputs: f.outputs, AWS: f.cfg, ALBRoots: roots, DialALB: dial, Kubeconfig: kubeconfig, KubeconfigSource: kc, Timeout: 20 * time.Second}
	rep := Run(context.Background(), "production", in)
	got := byName(rep)
	for _, name := range []string{"alb_https", "alb_http_redirect", "targets_healthy", "waf_associated", "k8s_readyz", "rds_available"} {
		if !got[name].OK {
			t.Errorf("%s failed: %s", name, got[name].Detail)
		}
	}
	if !rep.OK || len(rep.Checks) != 6 {
		t.Fatalf("report = %+v", rep)
	}
	if d := got["targets_healthy"].Detail; d != "2 of 2 targets healthy" {
		t.Errorf("targets_healthy = %q", d)
	}

	_, err = ec2.NewFromConfig(f.cfg).StopInstances(context.Background(), &ec2.StopInstancesInput{InstanceIds: []string{f.stopped}})
	if err != nil {
		t.Fatal(err)
	}
	got = byName(Run(context.Background(), "production", in))
	if r := got["targets_healthy"]; r.OK || !strings.Contains(r.Detail, "1 of 2 targets not healthy: "+f.stopped+" unused") {
		t.Errorf("targets_healthy with a stopped target = %+v", r)
	}
}

func TestRunNamesWhatFailed(t *testing.T) {
	f := newFixture(t, false)
	roots, dial := albServers(t, http.StatusBadGateway)
	in := Inputs{Outputs: f.outputs, AWS: f.cfg, ALBRoots: roots, DialALB: dial, Timeout: 10 * time.Second}
	got := byName(Run(context.Background(), "production", in))
	for name, want := range map[string]string{
		"alb_https":      "HTTP 502",
		"waf_associated": "no web ACL is associated with the ALB",
		"k8s_readyz":     "run `provision kubeconfig ENV` first",
	} {
		if got[name].OK || !strings.Contains(got[name].Detail, want) {
			t.Errorf("%s = %+v, want a failure saying %q", name, got[name], want)
		}
	}
	if !got["rds_available"].OK || !got["alb_http_redirect"].OK {
		t.Errorf("unrelated checks failed: %+v", got)
	}

	// The certificate must be valid for the application's host: without the
	// test CA the ALB's certificate is refused.
	in.ALBRoots = x509.NewCertPool()
	if r := byName(Run(context.Background(), "production", in))["alb_https"]; r.OK || !strings.Contains(r.Detail, "certificate") {
		t.Errorf("alb_https with an untrusted certificate = %+v", r)
	}

	// Another web ACL on the ALB is not the stack's.
	_, err := wafv2.NewFromConfig(f.cfg).AssociateWebACL(context.Background(), &wafv2.AssociateWebACLInput{ResourceArn: aws.String(mustString(t, f.outputs[OutALBARN])), WebACLArn: aws.String(f.acl2)})
	if err != nil {
		t.Fatal(err)
	}
	if r := byName(Run(context.Background(), "production", in))["waf_associated"]; r.OK || !strings.Contains(r.Detail, "not the stack's") {
		t.Errorf("waf_associated with another ACL = %+v", r)
	}
}

// A dev environment (platform = false) has null outputs: nothing to check
// from outside, which passes (apply checks after applying) and says why.
// Half a platform, or outputs missing, still fail every check they affect.
func TestRunWithoutPlatform(t *testing.T) {
	null := json.RawMessage("null")
	in := Inputs{Outputs: map[string]json.RawMessage{OutALBDNSName: null, OutRDSIdentifier: null, OutK8sAPIURL: null, OutTargetGroupARNs: json.RawMessage("[]")}}
	rep := Run(context.Background(), "dev", in)
	if !rep.OK || len(rep.Checks) != 1 || rep.Checks[0].Name != "platform" || !strings.Contains(rep.Checks[0].Detail, "platform = false") {
		t.Fatalf("report without a platform = %+v, want one passing row naming platform = false", rep)
	}

	in.Outputs[OutRDSIdentifier] = json.RawMessage(`"ticketly-dev-db"`)
	in.Timeout = time.Second
	rep = Run(context.Background(), "dev", in)
	if rep.OK {
		t.Fatal("checks passed with a platform whose ALB and K3s outputs are null")
	}
	if d := byName(rep)["alb_https"].Detail; !strings.Contains(d, "platform = false") {
		t.Errorf("alb_https = %q", d)
	}

	rep = Run(context.Background(), "dev", Inputs{Outputs: map[string]json.RawMessage{}, Timeout: time.Second})
	if rep.OK {
		t.Fatal("checks passed with no outputs at all")
	}
}

func mustString(t *testing.T, raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s
}
