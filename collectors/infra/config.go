package infra

import (
	"fmt"
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
}

// Validate reports every problem, fields relative to the section.
func (s *Section) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if s.IONOS == nil {
		add("ionos", "is required", "add `ionos: {}` to read IONOS Cloud infrastructure (it needs the top-level ionos: section), or remove the infra section")
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
