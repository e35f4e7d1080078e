// Package drift describes the metrics `provision drift` writes as a textfile
// and the exporter serves from its textfile directory. It is its own small
// package so the exporter documents them without linking terraform-exec.
package drift

import "github.com/vigil-monitoring/vigil/internal/metricdoc"

// Catalogue lists the drift metrics; every series carries environment.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_provision_drift_check_success", Type: metricdoc.Gauge, Labels: []string{"environment"},
		Help: "1 when the last `provision drift` plan ran to completion, 0 when it failed (then the other drift metrics are absent)."},
	{Name: "vigil_provision_drift_last_check_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"environment"},
		Help: "Unix time of the last `provision drift` run, successful or not."},
	{Name: "vigil_provision_drift_detected", Type: metricdoc.Gauge, Labels: []string{"environment"},
		Help: "1 when terraform plan found the environment differing from its Terraform stack (plan -detailed-exitcode 2), else 0."},
	{Name: "vigil_provision_drift_resources", Type: metricdoc.Gauge, Labels: []string{"environment"},
		Help: "Number of resources terraform plan found differing from the Terraform stack."},
	// Written by `provision apply --textfile-dir` (internal/provision/applymetric.go).
	{Name: "vigil_provision_apply_in_progress", Type: metricdoc.Gauge, Labels: []string{"environment"},
		Help: "1 while `provision apply` runs for the environment (nodes may be replaced), 0 once it ended, whatever its outcome."},
	{Name: "vigil_provision_apply_started_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"environment"},
		Help: "Unix time the last `provision apply` of the environment started; the alert inhibition it drives ends a bounded time after it, so a stuck apply cannot silence paging forever."},
}

// Desc returns the catalogue entry of a drift metric.
func Desc(name string) metricdoc.Desc {
	for _, d := range Catalogue {
		if d.Name == name {
			return d
		}
	}
	panic("drift: no catalogue entry for " + name) // programming error, caught by tests
}

// ApplyFileName is the textfile `provision apply` writes for an environment.
func ApplyFileName(env string) string { return "vigil_provision_apply_" + env + ".prom" }

// FileName is the textfile `provision drift` writes for an environment.
func FileName(env string) string { return "vigil_provision_drift_" + env + ".prom" }
