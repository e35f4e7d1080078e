// Package awscheck checks the K3s-on-AWS stack from outside after an apply,
// from its outputs: the ALB answers over HTTPS with a certificate valid for
// the application's host name and redirects HTTP to HTTPS, every target of
// its target groups is healthy, the WAF web ACL is associated with it, the
// K3s API answers /readyz (with the kubeconfig provision wrote, as K3s
// refuses anonymous requests), and the RDS instance is available. It
// returns the same report as the IONOS checks (package check).
package awscheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigil-monitoring/vigil/internal/provision/check"
)

// Output names of the AWS stack that the checks read.
const (
	OutALBDNSName      = "alb_dns_name"
	OutALBARN          = "alb_arn"
	OutAppHostname     = "app_hostname"
	OutTargetGroupARNs = "target_group_arns"
	OutWebACLARN       = "web_acl_arn"
	OutRDSIdentifier   = "rds_identifier"
	OutK8sAPIURL       = "k8s_api_url"
)

// Inputs are what the checks need.
type Inputs struct {
	// Outputs are the stack's outputs: name to JSON value.
	Outputs map[string]json.RawMessage
	// AWS is the SDK configuration (region, credentials, endpoint).
	AWS aws.Config
	// Kubeconfig is the cluster's kubeconfig (from `provision kubeconfig`);
	// empty fails the K3s check with what to run.
	Kubeconfig []byte
	// KubeconfigSource names where Kubeconfig came from, for the report.
	KubeconfigSource string
	// ALBRoots are the CAs trusted for the ALB's certificate (nil = system).
	ALBRoots *x509.CertPool
	// DialALB, when set, replaces the dialer to the ALB (tests).
	DialALB func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds each check (0 = 10 s).
	Timeout time.Duration
}

// Run performs every check; it never stops at the first failure.
func Run(ctx context.Context, env string, in Inputs) check.Report {
	if in.Timeout == 0 {
		in.Timeout = 10 * time.Second
	}
	rep := check.Report{Environment: env}
	if noPlatform(in.Outputs) {
		// The guide's per-developer environment (SQS, S3 and IAM only)
		// has nothing reachable from outside. Six failures here would make
		// every `provision apply dev` end in an error.
		rep.Checks = []check.Result{{Name: "platform", OK: true,
			Detail: env + " has no platform (platform = false in its tfvars): no ALB, K3s API or RDS to check from outside"}}
		rep.OK = true
		return rep
	}
	for _, c := range []struct {
		name string
		f    func(context.Context, Inputs) (string, error)
	}{
		{"alb_https", albHTTPS},
		{"alb_http_redirect", albRedirect},
		{"targets_healthy", targetsHealthy},
		{"waf_associated", wafAssociated},
		{"k8s_readyz", k8sReadyz},
		{"rds_available", rdsAvailable},
	} {
		cctx, cancel := context.WithTimeout(ctx, in.Timeout)
		detail, err := c.f(cctx, in)
		cancel()
		res := check.Result{Name: c.name, OK: err == nil, Detail: detail}
		if err != nil {
			res.Detail = err.Error()
		}
		rep.Checks = append(rep.Checks, res)
	}
	rep.OK = len(rep.Failed()) == 0
	return rep
}

// noPlatform says the outputs are those of an environment applied with
// platform = false: the ALB, K3s API and RDS outputs exist and are null.
// A missing output is not that: it is another stack, or an old state.
func noPlatform(outs map[string]json.RawMessage) bool {
	for _, name := range []string{OutALBDNSName, OutK8sAPIURL, OutRDSIdentifier} {
		raw, ok := outs[name]
		if !ok || strings.TrimSpace(string(raw)) != "null" {
			return false
		}
	}
	return true
}

func outString(in Inputs, name string) (string, error) {
	raw, ok := in.Outputs[name]
	if !ok {
		return "", fmt.Errorf("output %s is missing from the stack (is it the AWS stack, applied with platform = true?)", name)
	}
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("output %s is not a string", name)
	}
	if s == nil || *s == "" {
		return "", fmt.Errorf("output %s is empty (the environment has no platform: platform = false in its tfvars)", name)
	}
	return *s, nil
}

// albClient talks to the ALB's address whatever host a URL names, so the
// certificate is verified for the application's host name.
func albClient(in Inputs, albHost string) *http.Client {
	dial := in.DialALB
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, _ := net.SplitHostPort(addr)
			return dial(ctx, network, net.JoinHostPort(albHost, port))
		},
		TLSClientConfig: &tls.Config{RootCAs: in.ALBRoots, MinVersion: tls.VersionTLS12},
	}
	return &http.Client{
		Transport: tr,
		Timeout:   in.Timeout,
		// Report redirects, never follow them.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func albRequest(ctx context.Context, in Inputs, scheme string) (*http.Response, string, error) {
	alb, err := outString(in, OutALBDNSName)
	if err != nil {
		return nil, "", err
	}
	host, err := outString(in, OutAppHostname)
	if err != nil {
		return nil, "", err
	}
	url := scheme + "://" + host + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	c := albClient(in, alb)
	defer c.Transport.(*http.Transport).CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s through the ALB %s: %w", url, alb, unwrapURLError(err))
	}
	resp.Body.Close()
	return resp, url, nil
}

// unwrapURLError drops url.Error's repetition of the URL.
func unwrapURLError(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

func albHTTPS(ctx context.Context, in Inputs) (string, error) {
	resp, url, err := albRequest(ctx, in, "https")
	if err != nil {
		return "", err
	}
	if resp.StatusCode >= 500 {
		return "", fmt.Errorf("GET %s: HTTP %d from the ALB (no healthy target, or the application fails)", url, resp.StatusCode)
	}
	return fmt.Sprintf("GET %s: HTTP %d, certificate valid for the host", url, resp.StatusCode), nil
}

func albRedirect(ctx context.Context, in Inputs) (string, error) {
	resp, url, err := albRequest(ctx, in, "http")
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(loc, "https://") {
		return "", fmt.Errorf("GET %s: HTTP %d Location %q, want 301 to https://", url, resp.StatusCode, loc)
	}
	return fmt.Sprintf("GET %s: 301 to %s", url, loc), nil
}

func targetsHealthy(ctx context.Context, in Inputs) (string, error) {
	raw, ok := in.Outputs[OutTargetGroupARNs]
	var arns []string
	if !ok || json.Unmarshal(raw, &arns) != nil || len(arns) == 0 {
		return "", fmt.Errorf("output %s is missing or empty", OutTargetGroupARNs)
	}
	client := elbv2.NewFromConfig(in.AWS)
	var healthy, total int
	var bad []string
	for _, arn := range arns {
		out, err := client.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			return "", fmt.Errorf("DescribeTargetHealth %s: %w", arn, err)
		}
		for _, d := range out.TargetHealthDescriptions {
			total++
			if d.TargetHealth != nil && d.TargetHealth.State == "healthy" {
				healthy++
				continue
			}
			state, reason := "unknown", ""
			if d.TargetHealth != nil {
				state, reason = string(d.TargetHealth.State), string(d.TargetHealth.Reason)
			}
			bad = append(bad, fmt.Sprintf("%s %s %s", aws.ToString(d.Target.Id), state, reason))
		}
	}
	if total == 0 {
		return "", fmt.Errorf("no target registered in %s", strings.Join(arns, ", "))
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("%d of %d targets not healthy: %s", len(bad), total, strings.Join(bad, "; "))
	}
	return fmt.Sprintf("%d of %d targets healthy", healthy, total), nil
}

func wafAssociated(ctx context.Context, in Inputs) (string, error) {
	alb, err := outString(in, OutALBARN)
	if err != nil {
		return "", err
	}
	want, err := outString(in, OutWebACLARN)
	if err != nil {
		return "", err
	}
	out, err := wafv2.NewFromConfig(in.AWS).GetWebACLForResource(ctx, &wafv2.GetWebACLForResourceInput{ResourceArn: aws.String(alb)})
	if err != nil {
		return "", fmt.Errorf("GetWebACLForResource: %w", err)
	}
	if out.WebACL == nil {
		return "", fmt.Errorf("no web ACL is associated with the ALB %s (want %s)", alb, want)
	}
	if got := aws.ToString(out.WebACL.ARN); got != want {
		return "", fmt.Errorf("the ALB is associated with web ACL %s, not the stack's %s", got, want)
	}
	return "web ACL " + aws.ToString(out.WebACL.Name) + " associated with the ALB", nil
}

func k8sReadyz(ctx context.Context, in Inputs) (string, error) {
	api, err := outString(in, OutK8sAPIURL)
	if err != nil {
		return "", err
	}
	if len(in.Kubeconfig) == 0 {
		return "", fmt.Errorf("no kubeconfig for %s (K3s refuses anonymous requests): run `provision kubeconfig ENV` first", api)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(in.Kubeconfig)
	if err != nil {
		return "", fmt.Errorf("%s is not a usable kubeconfig: %w", in.KubeconfigSource, err)
	}
	if strings.TrimSuffix(cfg.Host, "/") != strings.TrimSuffix(api, "/") {
		return "", fmt.Errorf("%s points at %s, not the stack's %s: run `provision kubeconfig ENV` again", in.KubeconfigSource, cfg.Host, api)
	}
	cfg.Timeout = in.Timeout
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("GET %s/readyz: %w", api, err)
	}
	return fmt.Sprintf("GET %s/readyz: %s", api, strings.TrimSpace(string(body))), nil
}

func rdsAvailable(ctx context.Context, in Inputs) (string, error) {
	id, err := outString(in, OutRDSIdentifier)
	if err != nil {
		return "", err
	}
	out, err := rds.NewFromConfig(in.AWS).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("DescribeDBInstances %s: %w", id, err)
	}
	i := slices.IndexFunc(out.DBInstances, func(d rdstypes.DBInstance) bool { return aws.ToString(d.DBInstanceIdentifier) == id })
	if i < 0 {
		return "", fmt.Errorf("RDS instance %s not found", id)
	}
	status := aws.ToString(out.DBInstances[i].DBInstanceStatus)
	if status != "available" {
		return "", fmt.Errorf("RDS instance %s is %s, not available", id, status)
	}
	return fmt.Sprintf("RDS instance %s available (%s)", id, aws.ToString(out.DBInstances[i].Engine)), nil
}
