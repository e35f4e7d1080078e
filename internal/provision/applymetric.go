package provision

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	driftdoc "github.com/vigil-monitoring/vigil/internal/drift"
)

// markApply writes vigil_provision_apply_in_progress 1 for the environment
// into dir (with the start time) and returns the function that writes 0
// when apply ends. Alertmanager inhibits the environment's node and pod
// alerts while it is 1 (deploy/alertmanager), because an apply replaces
// nodes; the rule ends the inhibition a bounded time after the start, so a
// killed apply that never wrote 0 cannot silence paging forever. dir ""
// writes nothing.
func markApply(dir string, o Options) (done func() error, err error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	started := float64(o.now().UnixNano()) / 1e9
	write := func(inProgress float64) error {
		reg := prometheus.NewRegistry()
		for name, v := range map[string]float64{"vigil_provision_apply_in_progress": inProgress,
			"vigil_provision_apply_started_timestamp_seconds": started} {
			d := driftdoc.Desc(name)
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: d.Name, Help: d.Help, ConstLabels: prometheus.Labels{"environment": o.Env}})
			g.Set(v)
			reg.MustRegister(g)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating --textfile-dir %s: %w", dir, err)
		}
		// Written to a temporary file and renamed: the textfile collector
		// never reads half a file.
		path := filepath.Join(dir, driftdoc.ApplyFileName(o.Env))
		if err := prometheus.WriteToTextfile(path, reg); err != nil {
			return fmt.Errorf("writing the apply-in-progress metric to %s: %w", path, err)
		}
		return nil
	}
	if err := write(1); err != nil {
		return nil, err
	}
	return func() error { return write(0) }, nil
}
