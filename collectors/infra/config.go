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
}

// Defaults of the IONOS part.
const (
	DefaultIONOSInterval     = 5 * time.Minute
	DefaultMaintenanceWindow = 4 * time.Hour
	DefaultAWSInterval       = time.Minute
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
	if s.AWS != nil && s.AWS.RefreshInterval == 0 {
		s.AWS.RefreshInterval = config.Duration(DefaultAWSInterval)
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
	}
	return errs
}
