// Package catalogue gathers every metric family Vigil exposes, from each
// package's own Catalogue, so docs/metrics.md, the lint tests and the check
// that alerts and dashboards only select real metrics share one list.
package catalogue

import (
	"sort"

	_ "github.com/vigil-monitoring/vigil/collectors/all" // every collector registers
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/drift"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// Exporter lists the daemon's own metrics (cmd/exporter).
var Exporter = []metricdoc.Desc{
	// HELP and labels are client_golang's version collector's own.
	{Name: "vigil_build_info", Type: metricdoc.Gauge, Labels: []string{"version", "revision", "branch", "goversion", "goos", "goarch", "tags"},
		Help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which vigil was built, and the goos and goarch for the build."},
	{Name: "vigil_config_last_reload_successful", Type: metricdoc.Gauge,
		Help: "1 when the last configuration load or reload succeeded; 0 when it failed and the previous configuration is still running."},
	{Name: "vigil_config_last_reload_success_timestamp_seconds", Type: metricdoc.Gauge,
		Help: "Unix time of the last successful configuration load or reload."},
}

// All returns every metric family, sorted by name.
func All() []metricdoc.Desc {
	var all []metricdoc.Desc
	all = append(all, Exporter...)
	all = append(all, source.Catalogue...)
	all = append(all, collector.Catalogue()...)
	all = append(all, drift.Catalogue...)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// Names returns the set of every exposed metric family name.
func Names() map[string]bool {
	out := map[string]bool{}
	for _, d := range All() {
		out[d.Name] = true
	}
	return out
}
