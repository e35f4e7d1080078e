package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-monitoring/vigil/internal/drift"
)

// TextfileDir creates a directory holding what `provision drift sandbox`
// would have written after finding drift, so the sandbox shows the textfile
// collector and the drift alerts. The caller removes it.
func TextfileDir() (string, error) {
	dir, err := os.MkdirTemp("", "vigil-sandbox-textfile-")
	if err != nil {
		return "", fmt.Errorf("sandbox textfile directory: %w", err)
	}
	checked := float64(time.Now().Add(-10 * time.Minute).Unix())
	var text string
	for _, m := range []struct {
		name  string
		value float64
	}{
		{"vigil_provision_drift_check_success", 1},
		{"vigil_provision_drift_detected", 1},
		{"vigil_provision_drift_last_check_timestamp_seconds", checked},
		{"vigil_provision_drift_resources", 2},
	} {
		d := drift.Desc(m.name)
		text += fmt.Sprintf("# HELP %s %s\n# TYPE %s %s\n%s{environment=\"sandbox\"} %g\n", d.Name, d.Help, d.Name, d.Type, d.Name, m.value)
	}
	path := filepath.Join(dir, drift.FileName("sandbox"))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return "", fmt.Errorf("sandbox textfile: %w", err)
	}
	// And what `provision apply sandbox --textfile-dir` leaves after an
	// apply that ended an hour ago (not in progress: the sandbox's node
	// and pod alerts stay visible).
	text = ""
	for _, m := range []struct {
		name  string
		value float64
	}{
		{"vigil_provision_apply_in_progress", 0},
		{"vigil_provision_apply_started_timestamp_seconds", float64(time.Now().Add(-time.Hour).Unix())},
	} {
		d := drift.Desc(m.name)
		text += fmt.Sprintf("# HELP %s %s\n# TYPE %s %s\n%s{environment=\"sandbox\"} %g\n", d.Name, d.Help, d.Name, d.Type, d.Name, m.value)
	}
	if err := os.WriteFile(filepath.Join(dir, drift.ApplyFileName("sandbox")), []byte(text), 0o644); err != nil {
		return "", fmt.Errorf("sandbox textfile: %w", err)
	}
	return dir, nil
}
