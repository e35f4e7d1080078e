package infra

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/sandbox/flap"
)

// sandboxAWS is the in-process AWS emulator the sandbox section reads.
type sandboxAWS struct{ url string }

// SandboxAccount and SandboxRegion name the sandbox's AWS account.
const (
	SandboxAccount = "production"
	SandboxRegion  = "eu-central-1"
)

func init() {
	collector.Register(collector.Registration{
		Name:       "infra",
		Section:    "infra",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		InfoOnly:   infoOnly,
		Uses:       []string{"ionos", "aws"},
		// The ionos provider's sandbox starts the Cloud API emulator
		// (internal/sandbox/ionoscloud) holding the faults of the runbooks;
		// the aws provider has none, so the AWS part reads its own
		// emulator (internal/sandbox.AWSInfra) on loopback.
		Sandbox: func(env *collector.SandboxEnv) (config.Section, error) {
			srv := httptest.NewServer(flap.Wrap(SandboxAWSInfra()))
			env.OnStop(srv.Close)
			// The emulator's cluster "prod" is the cluster collector's
			// "sandbox": the maintenance inhibition joins on it.
			s := &Section{IONOS: &IONOSSection{NodesHavePublicIPs: true, KubernetesClusters: map[string]string{"prod": "sandbox"}},
				AWS:     &AWSSection{Accounts: []AWSAccount{SandboxAWSSelection()}},
				sandbox: &sandboxAWS{url: srv.URL}}
			s.ApplyDefaults()
			return s, nil
		},
		Build: build,
	})
}

// The sandbox's ALBs: the ingress one has lost its web ACL.
const (
	sandboxIngressALB = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/k3s-ingress/50dc6c495c0c9188"
	sandboxAdminALB   = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/k3s-admin/6d0ecf831eec9f09"
)

// SandboxAWSSelection is what the sandbox reads of its AWS account.
func SandboxAWSSelection() AWSAccount {
	return AWSAccount{Account: SandboxAccount, Region: SandboxRegion, InstanceTags: map[string]string{"role": "k3s"},
		WAFLoadBalancerARNs: []string{sandboxIngressALB, sandboxAdminALB},
		SQS:                 &AWSSQS{Queues: []string{"orders", "emails"}, BacklogDepth: DefaultSQSBacklogDepth, MaxMessageAge: config.Duration(DefaultSQSMaxMessageAge)},
		RDS:                 &AWSRDS{FreeStorageMinRatio: DefaultRDSFreeStorageMin}, Schedules: true}
}

// SandboxAWSInfra is the sandbox's AWS account: three K3s nodes, one of
// them failing its system status check; an ALB whose target group has one
// target failing its health check and which has lost its WAF web ACL; an
// orders queue whose consumer stopped (backlog above 1000 and growing,
// oldest message ageing past 15 minutes, messages in its dead-letter
// queue); an RDS instance with 6 % of its storage free; one disabled
// schedule.
func SandboxAWSInfra() *sandbox.AWSInfra {
	const lb = sandboxIngressALB
	return &sandbox.AWSInfra{
		WebACLs: map[string]string{sandboxAdminALB: "k3s-admin-edge"},
		Queues: []sandbox.AWSQueue{
			{Name: "orders", Visible: 1500, InFlight: 20, GrowthPerMinute: 25, DLQ: "orders-dlq", OldestAge: 20 * time.Minute},
			{Name: "orders-dlq", Visible: 7},
			{Name: "emails", Visible: 3, InFlight: 1, DLQ: "emails-dlq", OldestAge: 4 * time.Second},
			{Name: "emails-dlq"},
		},
		DBInstances: []sandbox.AWSDBInstance{{ID: "app-db", Status: "available", AllocatedGiB: 100, FreeStorageBytes: 6 * (1 << 30)}},
		Schedules: []sandbox.AWSSchedule{{Group: "default", Name: "nightly-pg-dump", Enabled: true},
			{Group: "default", Name: "weekly-report", Enabled: false}},
		Start: time.Now(),
		Instances: []sandbox.AWSInstance{
			{ID: "i-0a1b2c3d4e5f60001", Name: "k3s-server-1", State: "running", InstanceStatus: "ok", SystemStatus: "ok"},
			{ID: "i-0a1b2c3d4e5f60002", Name: "k3s-agent-1", State: "running", InstanceStatus: "ok", SystemStatus: "impaired"},
			{ID: "i-0a1b2c3d4e5f60003", Name: "k3s-agent-2", State: "running", InstanceStatus: "ok", SystemStatus: "ok"},
		},
		TargetGroups: []sandbox.AWSTargetGroup{{
			ARN:  "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/k3s-ingress-http/73e2d6bc24d8a067",
			Name: "k3s-ingress-http", LoadBalancerARNs: []string{lb},
			Targets: []sandbox.AWSTarget{
				{ID: "i-0a1b2c3d4e5f60001", Port: 30080, State: "healthy"},
				{ID: "i-0a1b2c3d4e5f60002", Port: 30080, State: "unhealthy", Reason: "Target.Timeout", Desc: "Request timed out"},
				{ID: "i-0a1b2c3d4e5f60003", Port: 30080, State: "healthy"},
			},
		}},
		LoadBalancers: []sandbox.AWSLoadBalancer{{ARN: lb, Name: "k3s-ingress", State: "active"}},
	}
}

// staticAWSConfig reaches an emulator with fixed credentials.
func staticAWSConfig(endpoint, region string) func(rt http.RoundTripper) awssdk.Config {
	return func(rt http.RoundTripper) awssdk.Config {
		c := awssdk.Config{Region: region, BaseEndpoint: awssdk.String(endpoint),
			Credentials: credentials.NewStaticCredentialsProvider("sandbox", "sandbox", ""),
			Retryer:     func() awssdk.Retryer { return awssdk.NopRetryer{} }}
		if rt != nil {
			c.HTTPClient = &http.Client{Transport: rt}
		}
		return c
	}
}

// awsTargets resolves the section's accounts against the aws provider (or
// the sandbox's emulator).
func awsTargets(s *Section, deps *collector.Deps) ([]AWSTarget, error) {
	if s.AWS == nil {
		return nil, nil
	}
	var out []AWSTarget
	if s.sandbox != nil {
		for _, a := range s.AWS.Accounts {
			out = append(out, AWSTarget{Name: a.Account, Region: a.Region, Select: a, Key: "sandbox", Config: staticAWSConfig(s.sandbox.url, a.Region),
				AccountID: func(context.Context) (string, error) { return sandbox.AWSAccountID, nil }})
		}
		return out, nil
	}
	built, err := deps.Provider("aws")
	if err != nil {
		return nil, fmt.Errorf("aws: %w", err)
	}
	p, ok := built.(*aws.Provider)
	if !ok {
		return nil, fmt.Errorf("aws: the provider is a %T, not the AWS client set", built)
	}
	for i, a := range s.AWS.Accounts {
		acct, ok := p.Account(a.Account)
		if !ok {
			return nil, fmt.Errorf("aws.accounts[%d].account: %q is not an account of the aws: section; name one listed there", i, a.Account)
		}
		region := a.Region
		if region == "" {
			region = acct.Regions[0]
		}
		for _, o := range out {
			if o.Name == a.Account && o.Region == region {
				return nil, fmt.Errorf("aws.accounts[%d]: account %q and region %s are listed twice (an empty region is the account's first); merge the entries", i, a.Account, region)
			}
		}
		out = append(out, AWSTarget{Name: a.Account, Region: region, Select: a, Key: acct.Fingerprint(),
			Config:    func(rt http.RoundTripper) awssdk.Config { return acct.Config(region, rt) },
			AccountID: acct.ID})
	}
	return out, nil
}

func build(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
	s := sec.(*Section)
	var prov *ionos.Provider
	if s.IONOS != nil {
		b, err := deps.Provider("ionos")
		if err != nil {
			return nil, fmt.Errorf("ionos: %w", err)
		}
		p, ok := b.(*ionos.Provider)
		if !ok {
			return nil, fmt.Errorf("ionos: the provider is a %T, not the IONOS client set", b)
		}
		prov = p
	}
	targets, err := awsTargets(s, deps)
	if err != nil {
		return nil, err
	}
	return New(Config{Environment: deps.Environment, IONOS: s.IONOS, AWS: s.AWS, AWSTargets: targets, Key: deps.Fingerprint}, prov, deps.Group, deps.Logger), nil
}
