package infra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// opAction is the IAM action of each SDK operation the infra collector
// sends (the api label of vigil_source_api_requests_total).
var opAction = map[string]string{
	"DescribeInstances": "ec2:DescribeInstances", "DescribeInstanceStatus": "ec2:DescribeInstanceStatus",
	"DescribeTargetGroups": "elasticloadbalancing:DescribeTargetGroups", "DescribeTargetHealth": "elasticloadbalancing:DescribeTargetHealth",
	"DescribeLoadBalancers": "elasticloadbalancing:DescribeLoadBalancers", "GetWebACLForResource": "wafv2:GetWebACLForResource",
	"ListQueues": "sqs:ListQueues", "GetQueueAttributes": "sqs:GetQueueAttributes", "DescribeDBInstances": "rds:DescribeDBInstances",
	"GetMetricData": "cloudwatch:GetMetricData", "ListSchedules": "scheduler:ListSchedules",
}

// policyActions reads deploy/iam/infra-policy.json's allowed actions.
func policyActions(t *testing.T) (doc map[string]any, actions []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "iam", "infra-policy.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &doc))
	var p struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource string
		}
	}
	require.NoError(t, json.Unmarshal(b, &p))
	for _, s := range p.Statement {
		require.Equal(t, "Allow", s.Effect)
		for _, a := range s.Action {
			require.NotContains(t, a, "*", "no wildcard actions")
			actions = append(actions, a)
		}
	}
	return doc, actions
}

// motoPolicy is the policy as moto_server checks it: moto names an action
// by the SigV4 signing name of its request, which for CloudWatch is
// "monitoring", where AWS IAM says "cloudwatch". Nothing else changes.
func motoPolicy(t *testing.T, drop string) string {
	var p struct {
		Version   string
		Statement []map[string]any
	}
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "iam", "infra-policy.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &p))
	for _, s := range p.Statement {
		var kept []string
		for _, a := range s["Action"].([]any) {
			if a.(string) != drop {
				kept = append(kept, strings.Replace(a.(string), "cloudwatch:", "monitoring:", 1))
			}
		}
		s["Action"] = kept
	}
	out, err := json.Marshal(p)
	require.NoError(t, err)
	return string(out)
}

// startIAMMoto starts a moto_server of its own (the shared one has no IAM
// enforcement) on a free port; INITIAL_NO_AUTH_ACTION_COUNT is set high so
// the test can seed it, then POST /moto-api/reset-auth 0 turns enforcement
// on for every request after.
func startIAMMoto(t *testing.T) string {
	t.Helper()
	bin := testenv.Tool(t, "moto_server", "tools")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), "INITIAL_NO_AUTH_ACTION_COUNT=1000000")
	var out testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(u + "/moto-api/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 60*time.Second, 100*time.Millisecond, "moto_server did not start: %s", out.String())
	return u
}

// iamCall sends one IAM Query API request while enforcement is off. The
// IAM SDK module is not in Vigil's go.mod and the collector never calls
// IAM, so the test speaks the Query protocol by hand.
func iamCall(t *testing.T, endpoint string, form url.Values, out any) {
	t.Helper()
	form.Set("Version", "2010-05-08")
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto routes by the credential scope's service; the signature is not
	// checked while enforcement is off.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=seed/20261201/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	require.Equal(t, 200, resp.StatusCode, "%s: %s", form.Get("Action"), body.String())
	if out != nil {
		require.NoError(t, xml.Unmarshal(body.Bytes(), out))
	}
}

type accessKey struct{ ID, Secret string }

// iamUser creates a user holding exactly policy and returns its key.
func iamUser(t *testing.T, endpoint, name, policy string) accessKey {
	t.Helper()
	iamCall(t, endpoint, url.Values{"Action": {"CreateUser"}, "UserName": {name}}, nil)
	var p struct {
		ARN string `xml:"CreatePolicyResult>Policy>Arn"`
	}
	iamCall(t, endpoint, url.Values{"Action": {"CreatePolicy"}, "PolicyName": {name}, "PolicyDocument": {policy}}, &p)
	iamCall(t, endpoint, url.Values{"Action": {"AttachUserPolicy"}, "UserName": {name}, "PolicyArn": {p.ARN}}, nil)
	var k struct {
		ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	iamCall(t, endpoint, url.Values{"Action": {"CreateAccessKey"}, "UserName": {name}}, &k)
	require.NotEmpty(t, k.ID)
	return accessKey{k.ID, k.Secret}
}

// runAs refreshes the collector once as key and returns its status, the
// requests it sent by api and what it logged.
func runAs(t *testing.T, endpoint string, key accessKey, sel infra.AWSAccount) (source.Status, map[string]float64, string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", key.ID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", key.Secret)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	cfg := &aws.Config{Accounts: []aws.AccountConfig{{Name: "production", Region: region, Endpoint: endpoint}}}
	cfg.ApplyDefaults()
	p, err := aws.New(context.Background(), cfg)
	require.NoError(t, err)
	acct, _ := p.Account("production")
	var logs testenv.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	m := source.NewMetrics()
	g := source.NewGroup(m, logger)
	c := infra.New(infra.Config{Environment: "production", Key: "k1",
		AWS: &infra.AWSSection{RefreshInterval: config.Duration(time.Hour), Accounts: []infra.AWSAccount{sel}},
		AWSTargets: []infra.AWSTarget{{Name: "production", Region: region, Select: sel, Key: p.Fingerprint(),
			Config: func(rt http.RoundTripper) awssdk.Config { return acct.Config(region, rt) }}}}, nil, g, logger)
	g.Start(context.Background())
	defer g.Stop(false)
	require.Eventually(t, func() bool { return c.AWSStatus(0).Attempted }, 20*time.Second, 5*time.Millisecond)
	h := &harness{metrics: m}
	return c.AWSStatus(0), h.apiRequestsOf(t, infra.AWSSourceName("production", region)), logs.String()
}

// TestIAMPolicyIsExactlyWhatInfraCalls: against a moto_server enforcing
// IAM, a user holding exactly deploy/iam/infra-policy.json refreshes with
// every call answered, the calls sent are exactly the policy's actions,
// and a user missing any one action is refused that call (AccessDenied,
// reason auth) and the refresh fails naming it.
func TestIAMPolicyIsExactlyWhatInfraCalls(t *testing.T) {
	endpoint := startIAMMoto(t)
	m := seedMotoServices(t, endpoint)
	sel := servicesSelection(m)
	_, actions := policyActions(t)
	// moto 5.2.1 refuses every signed EventBridge Scheduler request with
	// SignatureDoesNotMatch once enforcement is on (boto3's too: its SigV4
	// check of restJson GETs is wrong), so ListSchedules is left out of
	// the enforced run; the policy must still hold it, and
	// TestAWSServicesAgainstMoto shows the collector sends it.
	require.Contains(t, actions, "scheduler:ListSchedules")
	sel.Schedules = false
	actions = slices.DeleteFunc(actions, func(a string) bool { return a == "scheduler:ListSchedules" })

	full := iamUser(t, endpoint, "vigil", motoPolicy(t, ""))
	without := map[string]accessKey{}
	for i, a := range actions {
		without[a] = iamUser(t, endpoint, fmt.Sprintf("vigil-without-%d", i), motoPolicy(t, a))
	}
	resp, err := http.Post(endpoint+"/moto-api/reset-auth", "text/plain", strings.NewReader("0"))
	require.NoError(t, err)
	resp.Body.Close()

	st, reqs, logs := runAs(t, endpoint, full, sel)
	require.True(t, st.Up, "with the whole policy: %s\n%s", st.LastReason, logs)
	var sent []string
	for op, n := range reqs {
		if n > 0 {
			require.Contains(t, opAction, op, "an api the test does not know: %v", reqs)
			sent = append(sent, opAction[op])
		}
	}
	require.ElementsMatch(t, actions, sent, "the policy grants exactly the calls the collector sent")

	for _, a := range actions {
		t.Run(a, func(t *testing.T) {
			st, _, logs := runAs(t, endpoint, without[a], sel)
			require.False(t, st.Up)
			require.Equal(t, "auth", st.LastReason, logs)
			// moto answers every refusal with the same XML error body,
			// which only some protocols' decoders read as AccessDenied;
			// the 403 and the call's name are what every one keeps.
			op := a[strings.Index(a, ":")+1:]
			require.Regexp(t, `err="AWS [a-z0-9]+:`+op+`( \([A-Za-z]+\))?: HTTP 403 Forbidden"`, logs, "the error names the refused call, and only it")
			require.NotContains(t, logs, without[a].Secret)
		})
	}
}
