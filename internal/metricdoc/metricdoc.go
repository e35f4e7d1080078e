// Package metricdoc describes the metrics Vigil exposes, so that one
// catalogue drives docs/metrics.md, the lint tests and the check that every
// alert and dashboard selects a metric that really exists.
package metricdoc

// Type is the Prometheus metric type.
type Type string

const (
	Gauge     Type = "gauge"
	Counter   Type = "counter"
	Histogram Type = "histogram"
	Summary   Type = "summary"
)

// Desc documents one metric family.
type Desc struct {
	Name   string   // full name, e.g. vigil_cluster_pod_phase
	Type   Type     // gauge, counter, ...
	Help   string   // the HELP text: what it measures and where it comes from
	Labels []string // label names, not counting the global ones (environment)
}
