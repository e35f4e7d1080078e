package infra

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// Section is the `infra:` section: which clouds' infrastructure to read.
// Each part is enabled by its presence and needs that cloud's provider
// section (ionos:, aws:) for credentials and endpoints.
type Section struct {
	// IONOS reads data centers, LANs, IP blocks and managed Kubernetes
	// clusters, node pools and nodes from the Cloud API v6.
	IONOS *IONOSSection `yaml:"ionos"`
	// AWS reads the K3s nodes' EC2 instances and the ALB's target groups
	// and load balancers, per account of the aws: section.
	AWS *AWSSection `yaml:"aws"`

	// sandbox, when set, replaces the aws provider with the in-process
	// AWS emulator (the aws provider has no sandbox of its own).
	sandbox *sandboxAWS
}

// AWSSection configures the AWS part.
type AWSSection struct {
	// RefreshInterval between reads of each account; a read costs one
	// request per API per page (4 to 5). Default 1m.
	RefreshInterval config.Duration `yaml:"refresh_interval"`
	// Accounts to read, each named as in the aws: section.
	Accounts []AWSAccount `yaml:"accounts"`
}

// AWSAccount selects what to watch in one account.
type AWSAccount struct {
	// Account is the name of an account of the aws: section.
	Account string `yaml:"account"`
	// Region to read; default the account's first region.
	Region string `yaml:"region"`
	// InstanceTags selects the EC2 instances (the K3s nodes) carrying every
	// one of these tags; InstanceIDs lists them instead. One is required.
	InstanceTags map[string]string `yaml:"instance_tags"`
	InstanceIDs  []string          `yaml:"instance_ids"`
	// TargetGroupARNs are the ELBv2 target groups to read; empty reads
	// every target group of the region, and the load balancers they serve.
	TargetGroupARNs []string `yaml:"target_group_arns"`
	// WAFLoadBalancerARNs are the ALBs that must have a WAFv2 web ACL
	// associated (wafv2:GetWebACLForResource, one request each).
	WAFLoadBalancerARNs []string `yaml:"waf_load_balancer_arns"`
	// SQS reads queue depths, dead-letter queues and message age.
	SQS *AWSSQS `yaml:"sqs"`
	// RDS reads DB instance status and storage.
	RDS *AWSRDS `yaml:"rds"`
	// Schedules reads every EventBridge Scheduler schedule of the region
	// and whether it is enabled.
	Schedules bool `yaml:"schedules"`
}

// AWSSQS selects the SQS queues and their alert thresholds.
type AWSSQS struct {
	// Queues are queue names; empty reads every queue of the region.
	// Each queue's dead-letter queue (RedrivePolicy) is read too.
	Queues []string `yaml:"queues"`
	// BacklogDepth: visible messages above this, still growing over 30
	// minutes, alert (SQSBacklogGrowing). Default 1000.
	BacklogDepth int `yaml:"backlog_depth"`
	// MaxMessageAge: the oldest message older than this alerts
	// (SQSOldestMessageTooOld). Default 15m.
	MaxMessageAge config.Duration `yaml:"max_message_age"`
}

// AWSRDS selects the RDS DB instances and the free storage threshold.
type AWSRDS struct {
	// Instances are DB instance identifiers; empty reads every instance of
	// the region.
	Instances []string `yaml:"instances"`
	// FreeStorageMinRatio: free storage below this fraction of the
	// allocated storage alerts (RDSFreeStorageLow). Default 0.1.
	FreeStorageMinRatio float64 `yaml:"free_storage_min_ratio"`
}

// IONOSSection configures the IONOS part.
type IONOSSection struct {
	// RefreshInterval between reads of the account; each read costs a few
	// requests (see docs/benchmarks.md). Default 5m.
	RefreshInterval config.Duration `yaml:"refresh_interval"`
	// MaintenanceWindowDuration is how long a weekly maintenance window
	// lasts after its start; IONOS publishes the start only. Default 4h.
	MaintenanceWindowDuration config.Duration `yaml:"maintenance_window_duration"`
	// NodesHavePublicIPs says the environment's nodes must have public IPs
	// (ingress or egress depends on them): a node without one alerts.
	NodesHavePublicIPs bool `yaml:"nodes_have_public_ips"`
	// KubernetesClusters maps an IONOS managed cluster's name to the name
	// the kubernetes: section gives it (the cluster label of the node and
	// pod alerts), so the maintenance inhibition finds its alerts.
	KubernetesClusters map[string]string `yaml:"kubernetes_clusters"`
}

// Defaults of the IONOS part.
const (
	DefaultIONOSInterval     = 5 * time.Minute
	DefaultMaintenanceWindow = 4 * time.Hour
	DefaultAWSInterval       = time.Minute
	DefaultSQSBacklogDepth   = 1000
	DefaultSQSMaxMessageAge  = 15 * time.Minute
	DefaultRDSFreeStorageMin = 0.1
)

var (
	_ config.Section   = (*Section)(nil)
	_ config.Defaulter = (*Section)(nil)
)

// ApplyDefaults fills intervals and durations left out.
func (s *Section) ApplyDefaults() {
	if s.IONOS != nil {
		if s.IONOS.RefreshInterval == 0 {
			s.IONOS.RefreshInterval = config.Duration(DefaultIONOSInterval)
		}
		if s.IONOS.MaintenanceWindowDuration == 0 {
			s.IONOS.MaintenanceWindowDuration = config.Duration(DefaultMaintenanceWindow)
		}
	}
	if s.AWS != nil {
		s.AWS.applyDefaults()
	}
}

func (a *AWSSection) applyDefaults() {
	if a.RefreshInterval == 0 {
		a.RefreshInterval = config.Duration(DefaultAWSInterval)
	}
	for i := range a.Accounts {
		if q := a.Accounts[i].SQS; q != nil {
			if q.BacklogDepth == 0 {
				q.BacklogDepth = DefaultSQSBacklogDepth
			}
			if q.MaxMessageAge == 0 {
				q.MaxMessageAge = config.Duration(DefaultSQSMaxMessageAge)
			}
		}
		if r := a.Accounts[i].RDS; r != nil && r.FreeStorageMinRatio == 0 {
			r.FreeStorageMinRatio = DefaultRDSFreeStorageMin
		}
	}
}

// Validate reports every problem, fields relative to the section.
func (s *Section) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if s.IONOS == nil && s.AWS == nil {
		add("ionos", "is required when aws is absent", "add `ionos: {}` to read IONOS Cloud infrastructure, or `aws:` with accounts to read EC2 and ELBv2 (each needs its top-level provider section), or remove the infra section")
		return errs
	}
	if s.AWS != nil {
		errs = append(errs, s.AWS.validate()...)
	}
	if s.IONOS == nil {
		return errs
	}
	if iv := s.IONOS.RefreshInterval.Std(); iv != 0 && iv < 30*time.Second {
		add("ionos.refresh_interval", fmt.Sprintf("%s is too short", iv),
			"use at least 30s: every refresh costs several Cloud API requests and the API throttles; 5m is a good default")
	}
	for ionosName, name := range s.IONOS.KubernetesClusters {
		if ionosName == "" || name == "" {
			add("ionos.kubernetes_clusters", fmt.Sprintf("maps %q to %q", ionosName, name),
				"map each IONOS cluster name to the cluster name of the kubernetes: section, e.g. {k8s-production: production}")
		}
	}
	if d := s.IONOS.MaintenanceWindowDuration.Std(); d < 0 || d > 7*24*time.Hour {
		add("ionos.maintenance_window_duration", fmt.Sprintf("%s is not a window length", d), "use a duration between 1m and 168h, e.g. 4h")
	}
	return errs
}

func (a *AWSSection) validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if iv := a.RefreshInterval.Std(); iv != 0 && iv < 10*time.Second {
		add("aws.refresh_interval", fmt.Sprintf("%s is too short", iv), "use at least 10s: EC2 and ELBv2 throttle per account; 1m is a good default")
	}
	if len(a.Accounts) == 0 {
		add("aws.accounts", "is required", "list the accounts to read, each named as in the aws: section, with instance_tags or instance_ids")
	}
	seen := map[string]bool{}
	for i, ac := range a.Accounts {
		at := func(f string) string { return fmt.Sprintf("aws.accounts[%d].%s", i, f) }
		if ac.Account == "" {
			add(at("account"), "is required", "name an account of the aws: section, e.g. production")
		} else if key := ac.Account + "/" + ac.Region; seen[key] {
			add(at("account"), fmt.Sprintf("%q is listed twice for the same region", ac.Account), "merge the two entries")
		} else {
			seen[key] = true
		}
		if len(ac.InstanceTags) == 0 && len(ac.InstanceIDs) == 0 {
			add(at("instance_tags"), "selects no instance", "set instance_tags (e.g. {role: k3s}) or instance_ids: reading every instance of an account is not what the K3s node alerts mean")
		}
		for j, id := range ac.InstanceIDs {
			if !strings.HasPrefix(id, "i-") {
				add(fmt.Sprintf("aws.accounts[%d].instance_ids[%d]", i, j), fmt.Sprintf("%q is not an instance ID", id), "EC2 instance IDs look like i-0123456789abcdef0")
			}
		}
		for j, arn := range ac.TargetGroupARNs {
			if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":targetgroup/") {
				add(fmt.Sprintf("aws.accounts[%d].target_group_arns[%d]", i, j), fmt.Sprintf("%q is not a target group ARN", arn), "copy it from `aws elbv2 describe-target-groups`: arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID")
			}
		}
		errs = append(errs, ac.validateServices(i)...)
	}
	return errs
}

// validateServices checks the WAF, SQS and RDS selections of accounts[i].
func (ac *AWSAccount) validateServices(i int) []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: fmt.Sprintf("aws.accounts[%d].%s", i, field), Msg: msg, Hint: hint})
	}
	for j, arn := range ac.WAFLoadBalancerARNs {
		if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":loadbalancer/app/") {
			add(fmt.Sprintf("waf_load_balancer_arns[%d]", j), fmt.Sprintf("%q is not an application load balancer ARN", arn),
				"copy it from `aws elbv2 describe-load-balancers`: arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID (WAFv2 protects ALBs only)")
		}
	}
	if q := ac.SQS; q != nil {
		for j, n := range q.Queues {
			if n == "" || strings.ContainsAny(n, "/:") {
				add(fmt.Sprintf("sqs.queues[%d]", j), fmt.Sprintf("%q is not a queue name", n), "give the queue's name (e.g. orders or orders.fifo), not its URL or ARN")
			}
		}
		if q.BacklogDepth < 0 {
			add("sqs.backlog_depth", fmt.Sprintf("%d is negative", q.BacklogDepth), "give the visible messages above which a growing backlog alerts, e.g. 1000")
		}
		if q.MaxMessageAge.Std() < 0 {
			add("sqs.max_message_age", "is negative", "give the age above which the oldest message alerts, e.g. 15m")
		}
	}
	if r := ac.RDS; r != nil && (r.FreeStorageMinRatio < 0 || r.FreeStorageMinRatio >= 1) {
		add("rds.free_storage_min_ratio", fmt.Sprintf("%g is not a fraction", r.FreeStorageMinRatio), "give a fraction of the allocated storage between 0 and 1, e.g. 0.1 for 10 %")
	}
	return errs
}
