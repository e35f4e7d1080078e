package textfile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/textfile"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

const driftFile = `# HELP vigil_provision_drift_detected 1 when drift.
# TYPE vigil_provision_drift_detected gauge
vigil_provision_drift_detected{environment="production"} 1
`

const backupFile = `# HELP backup_last_success_timestamp_seconds Last backup.
# TYPE backup_last_success_timestamp_seconds gauge
backup_last_success_timestamp_seconds{job="pg_dump"} 1.7e+09
`

type harness struct {
	dir   string
	c     *textfile.Collector
	group *source.Group
}

func newHarness(t *testing.T) *harness {
	dir := t.TempDir()
	g := source.NewGroup(source.NewMetrics(), nil)
	c := textfile.New(textfile.Config{Environment: "staging", Directory: dir, Interval: 20 * time.Millisecond,
		Reserved: map[string]bool{"vigil_source_up": true}}, g, nil)
	g.Start(context.Background())
	t.Cleanup(func() { g.Stop(false) })
	return &harness{dir: dir, c: c, group: g}
}

// write puts a file in place the way writers must (and provision does,
// through prometheus.WriteToTextfile): written under another name, then
// renamed. os.WriteFile truncates first, so a refresh between the truncate and
// the write would read a valid empty file, and that would become the "last
// good contents" the broken-rewrite check below expects to keep.
func (h *harness) write(t *testing.T, name, text string) {
	t.Helper()
	tmp := filepath.Join(h.dir, name+".tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(text), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(h.dir, name)))
}

func (h *harness) render(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, h.c.RenderText(&b))
	mfs := testenv.ParseLinted(t, b.String())
	return mfs
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func valid(mfs map[string]*dto.MetricFamily, file string) (float64, bool) {
	for _, m := range mfs["vigil_textfile_file_valid"].GetMetric() {
		if labelsOf(m)["file"] == file {
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func TestServesFilesKeepsLastGoodAndForgetsRemoved(t *testing.T) {
	h := newHarness(t)
	h.write(t, "vigil_provision_drift_production.prom", driftFile)
	h.write(t, "backup.prom", backupFile)
	h.write(t, "ignored.txt", "not a prom file")

	var mfs map[string]*dto.MetricFamily
	require.Eventually(t, func() bool { mfs = h.render(t); return len(mfs) == 4 }, 5*time.Second, 10*time.Millisecond)
	drift := mfs["vigil_provision_drift_detected"].GetMetric()[0]
	assert.Equal(t, map[string]string{"environment": "production"}, labelsOf(drift), "a file's own environment label wins")
	backup := mfs["backup_last_success_timestamp_seconds"].GetMetric()[0]
	assert.Equal(t, map[string]string{"environment": "staging", "job": "pg_dump"}, labelsOf(backup), "environment is added where absent")
	v, ok := valid(mfs, "backup.prom")
	assert.True(t, ok && v == 1)

	// A broken rewrite: the last good contents stay, marked invalid.
	h.write(t, "backup.prom", "backup_last_success_timestamp_seconds{job=\"pg_dump\" 17\n")
	require.Eventually(t, func() bool { v, _ := valid(h.render(t), "backup.prom"); return v == 0 }, 5*time.Second, 10*time.Millisecond)
	mfs = h.render(t)
	assert.Equal(t, 1.7e9, mfs["backup_last_success_timestamp_seconds"].GetMetric()[0].GetGauge().GetValue())

	// A file may not redefine Vigil's own metrics.
	h.write(t, "evil.prom", "# TYPE vigil_source_up gauge\nvigil_source_up{source=\"x\"} 1\n")
	require.Eventually(t, func() bool { v, ok := valid(h.render(t), "evil.prom"); return ok && v == 0 }, 5*time.Second, 10*time.Millisecond)
	assert.NotContains(t, h.render(t), "vigil_source_up")

	// Removed files take their series with them.
	require.NoError(t, os.Remove(filepath.Join(h.dir, "vigil_provision_drift_production.prom")))
	require.Eventually(t, func() bool { _, ok := h.render(t)["vigil_provision_drift_detected"]; return !ok }, 5*time.Second, 10*time.Millisecond)
}

func TestMissingDirectoryFailsTheSourceNotTheScrape(t *testing.T) {
	h := newHarness(t)
	h.write(t, "backup.prom", backupFile)
	require.Eventually(t, func() bool { return len(h.render(t)) == 3 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, os.RemoveAll(h.dir))
	require.Eventually(t, func() bool {
		st := h.group.Statuses()[0]
		return !st.Up && st.LastReason == source.ReasonNotFound
	}, 5*time.Second, 10*time.Millisecond)
	assert.Len(t, h.render(t), 3, "the last snapshot is still served")
}

// TestConflictsAndReservedFamiliesAreRefused: what would make the scrape
// invalid for Prometheus is refused per file and said, not served.
func TestConflictsAndReservedFamiliesAreRefused(t *testing.T) {
	h := newHarness(t)
	h.write(t, "a.prom", backupFile)
	h.write(t, "b.prom", "# TYPE backup_last_success_timestamp_seconds counter\nbackup_last_success_timestamp_seconds{job=\"other\"} 1\n")
	h.write(t, "c.prom", "backup_last_success_timestamp_seconds{job=\"pg_dump\"} 2\n")
	h.write(t, "d.prom", "# TYPE go_goroutines gauge\ngo_goroutines 7\n")
	h.write(t, "e.prom", "# TYPE backup_size_bytes gauge\nbackup_size_bytes{job=\"pg_dump\"} 1024\n")
	var mfs map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		mfs = h.render(t)
		_, ok := valid(mfs, "e.prom")
		return ok
	}, 5*time.Second, 10*time.Millisecond)
	for file, want := range map[string]float64{"a.prom": 1, "b.prom": 0, "c.prom": 0, "d.prom": 0, "e.prom": 1} {
		v, ok := valid(mfs, file)
		assert.True(t, ok && v == want, "%s valid=%v, want %v", file, v, want)
	}
	assert.Len(t, mfs["backup_last_success_timestamp_seconds"].GetMetric(), 1, "only a.prom's series")
	assert.NotContains(t, mfs, "go_goroutines")
	assert.Contains(t, mfs, "backup_size_bytes")
}
