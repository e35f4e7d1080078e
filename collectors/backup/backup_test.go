package backup

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestMain stops the shared moto_server and the shared API server after
// the tests.
func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(sharedAPIServer{m})) }

type sharedAPIServer struct{ m *testing.M }

func (s sharedAPIServer) Run() int { return testenv.RunShared(s.m) }

func writeAt(t *testing.T, path string, size int, at time.Time) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, make([]byte, size), 0o644))
	require.NoError(t, os.Chtimes(path, at, at))
}

func start(t *testing.T, cfg Config) (*Collector, *source.Group, *source.Metrics) {
	t.Helper()
	m := source.NewMetrics()
	g := source.NewGroup(m, nil)
	c := New(cfg, g, nil)
	ctx, cancel := context.WithCancel(context.Background())
	g.Start(ctx)
	t.Cleanup(func() { cancel(); g.Stop(true) })
	require.Eventually(t, g.Ready, 60*time.Second, 10*time.Millisecond)
	return c, g, m
}

func render(t *testing.T, c *Collector) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, c.RenderText(&b))
	return b.String()
}

func filesTarget(name, dir string, mutate ...func(*Target)) TargetConfig {
	s := &Section{Targets: []Target{{Name: name, Kind: KindFiles, Directory: dir, Glob: "*.backup", Interval: config.Duration(24 * time.Hour)}}}
	for _, f := range mutate {
		f(&s.Targets[0])
	}
	s.ApplyDefaults()
	return TargetConfig{Target: s.Targets[0], Severity: severity(s.Targets[0], "production"), Key: "k"}
}

// TestFilesNewestSizeCount: the newest matching regular file's mtime and
// size, the count and total of matching files only (not other names, not
// directories), and every configured threshold with its defaults.
func TestFilesNewestSizeCount(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	writeAt(t, filepath.Join(dir, "state-1.backup"), 100, base.Add(-48*time.Hour))
	writeAt(t, filepath.Join(dir, "state-3.backup"), 300, base) // newest, not last by name
	writeAt(t, filepath.Join(dir, "state-9.backup"), 900, base.Add(-24*time.Hour))
	writeAt(t, filepath.Join(dir, "notes.txt"), 5, base.Add(time.Hour)) // not matched by the glob
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.backup"), 0o755))
	require.NoError(t, os.Chtimes(filepath.Join(dir, "dir.backup"), base.Add(time.Hour), base.Add(time.Hour)))

	c, _, _ := start(t, Config{Environment: "production", Targets: []TargetConfig{filesTarget("terraform-state", dir)}})
	out := render(t, c)
	l := `{environment="production",kind="files",name="terraform-state"}`
	for _, want := range []string{
		"vigil_backup_last_success_timestamp_seconds" + l + " " + strconv.FormatFloat(float64(base.Unix()), 'g', -1, 64),
		"vigil_backup_size_bytes" + l + " 300",
		"vigil_backup_objects" + l + " 3",
		"vigil_backup_total_size_bytes" + l + " 1300",
		"vigil_backup_expected_interval_seconds" + l + " 86400",
		"vigil_backup_factor" + l + " 1.5",
		"vigil_backup_recent_max_size_bytes" + l + " 900",
		"vigil_backup_shrink_ratio" + l + " 0.5",
		"vigil_backup_rpo_seconds" + l + " 86400",
		`vigil_backup_severity{environment="production",kind="files",name="terraform-state",severity="page"} 1`,
	} {
		assert.Contains(t, out, want+"\n")
	}
}

// TestFilesEmptyAndMissing: a directory with no backup exports a count of
// 0 and no last success (BackupNeverSeen fires); a directory that does not
// exist fails its source (not_found) while another target stays served.
func TestFilesEmptyAndMissing(t *testing.T) {
	empty, good := t.TempDir(), t.TempDir()
	writeAt(t, filepath.Join(good, "a.backup"), 7, time.Now().Add(-time.Hour))
	_, err := os.Stat(filepath.Join(empty, "gone"))
	require.Error(t, err)
	c, g, _ := start(t, Config{Environment: "staging", Targets: []TargetConfig{
		filesTarget("empty", empty), filesTarget("good", good), filesTarget("gone", filepath.Join(empty, "gone")),
	}})
	out := render(t, c)
	assert.Contains(t, out, `vigil_backup_objects{environment="staging",kind="files",name="empty"} 0`+"\n")
	assert.NotContains(t, out, `vigil_backup_last_success_timestamp_seconds{environment="staging",kind="files",name="empty"}`)
	assert.Contains(t, out, `vigil_backup_objects{environment="staging",kind="files",name="good"} 1`+"\n")
	assert.NotContains(t, out, `vigil_backup_objects{environment="staging",kind="files",name="gone"}`)
	// Configured thresholds are served even before anything was read, so
	// the never-seen rule sees the target.
	assert.Contains(t, out, `vigil_backup_expected_interval_seconds{environment="staging",kind="files",name="gone"} 86400`+"\n")
	assert.Contains(t, out, `vigil_backup_severity{environment="staging",kind="files",name="empty",severity="page"} 1`+"\n",
		"filesTarget resolves severity for production")
	for _, st := range g.Statuses() {
		assert.Equal(t, st.Name != SourceName(KindFiles, "gone"), st.Up, st.Name)
		if st.Name == SourceName(KindFiles, "gone") {
			assert.Equal(t, source.ReasonNotFound, st.LastReason)
		}
	}
}

// TestSeverityDefaultsByEnvironment: page in production, ticket
// elsewhere, unless the target says.
func TestSeverityDefaultsByEnvironment(t *testing.T) {
	assert.Equal(t, "page", severity(Target{}, "production"))
	assert.Equal(t, "ticket", severity(Target{}, "staging"))
	assert.Equal(t, "ticket", severity(Target{Severity: "ticket"}, "production"))
	assert.Equal(t, "page", severity(Target{Severity: "page"}, "dev"))
}

// TestDefaultsAndValidation: factor 1.5, RPO 24h, glob *, refresh 1m for
// files and 15m for s3; every field error names its target.
func TestDefaultsAndValidation(t *testing.T) {
	s := &Section{Targets: []Target{
		{Name: "f", Kind: KindFiles, Directory: "/x", Interval: config.Duration(time.Hour)},
		{Name: "b", Kind: KindS3, Account: "production", Bucket: "pg-dumps", Interval: config.Duration(time.Hour)},
	}}
	s.ApplyDefaults()
	require.Empty(t, s.Validate())
	assert.Equal(t, 1.5, s.Targets[0].Factor)
	assert.Equal(t, 24*time.Hour, s.Targets[1].RPO.Std())
	assert.Equal(t, "*", s.Targets[0].Glob)
	assert.Equal(t, time.Minute, s.Targets[0].RefreshInterval.Std())
	assert.Equal(t, 15*time.Minute, s.Targets[1].RefreshInterval.Std())

	bad := &Section{Targets: []Target{
		{Name: "x", Kind: "tape", Interval: config.Duration(time.Hour)},
		{Name: "x y", Kind: KindFiles, Glob: "[", Factor: 0.5, Severity: "warn", ShrinkRatio: 1.5},
		{Name: "b", Kind: KindS3, Bucket: "Bad_Bucket", Endpoint: "s3.example.com", Interval: config.Duration(time.Hour)},
		{Name: "b", Kind: KindS3, Account: "a", Bucket: "ok-bucket", Interval: config.Duration(time.Hour)},
		{Name: "v", Kind: KindVelero, Interval: config.Duration(time.Hour), RefreshInterval: config.Duration(time.Minute),
			Context: "c", Namespace: "Not a namespace"},
		{Name: "w", Kind: KindVelero, Kubeconfig: "/does/not/exist"},
		{Name: "r", Kind: KindRDS, Interval: config.Duration(time.Hour)},
		{Name: "m", Kind: KindFiles, Directory: "/x", Interval: config.Duration(time.Hour), ManualInterval: config.Duration(time.Hour)},
	}}
	bad.ApplyDefaults()
	var fields []string
	for _, e := range bad.Validate() {
		fields = append(fields, e.Field)
	}
	assert.ElementsMatch(t, []string{
		"targets[0].kind",
		"targets[1].name", "targets[1].directory", "targets[1].glob", "targets[1].interval", "targets[1].factor", "targets[1].severity", "targets[1].shrink_ratio",
		"targets[2].account", "targets[2].bucket", "targets[2].endpoint",
		"targets[3].name",
		"targets[4].interval", "targets[4].refresh_interval", "targets[4].context", "targets[4].namespace",
		"targets[5].kubeconfig",
		"targets[6].account", "targets[6].interval",
		"targets[7].manual_interval",
	}, fields)
	v := &Section{Targets: []Target{{Name: "v", Kind: KindVelero}}}
	v.ApplyDefaults()
	require.Empty(t, v.Validate(), "a velero target needs no interval: its schedules have crons")
	assert.Equal(t, "velero", v.Targets[0].Namespace)
	assert.Zero(t, v.Targets[0].RefreshInterval, "velero is watched, not polled")
	assert.NotEmpty(t, (&Section{}).Validate())
}

// TestSandboxHasAFreshAndAStaleBackup: the sandbox's terraform-state
// target is past its 24h RPO and pg-dumps is fresh, so `make run` shows
// BackupTooOld for exactly one of them; of its Velero schedules,
// volumes-6h's newest backup PartiallyFailed and its newest good one is
// past 6h * 1.5, cluster-daily's is Completed and fresh; RDS instance
// legacy's newest automated snapshot is past 24h, orders' is fresh; the
// IONOS etcd-volume snapshots are past their 8 d RPO, db-volume's fresh.
func TestSandboxHasAFreshAndAStaleBackup(t *testing.T) {
	env := &collector.SandboxEnv{}
	t.Cleanup(env.Cleanup)
	sec, err := sandboxSection(env)
	require.NoError(t, err)
	require.Empty(t, sec.Validate())
	srv := ionoscloud.Start(ionoscloud.Faulty(time.Now()), ionoscloud.WithToken("tok"))
	t.Cleanup(srv.Close)
	cfg, err := resolve(sec.(*Section), &collector.Deps{Environment: "sandbox", Fingerprint: "k", Sandbox: true,
		Providers: map[string]collector.Built{"ionos": ionosProvider(t, srv)}})
	require.NoError(t, err)
	c, _, _ := start(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	c.Start(ctx)
	t.Cleanup(func() { cancel(); c.Stop() })
	require.Eventually(t, c.Ready, 10*time.Second, 10*time.Millisecond)
	now := time.Now()
	var velero []row
	for _, r := range c.rows() {
		switch r.kind {
		case KindVelero:
			velero = append(velero, r)
		case KindRDS:
			if r.interval == 0 {
				continue // manual snapshots with no manual_interval: never late
			}
			limit := min(time.Duration(float64(r.interval)*r.t.cfg.Factor), r.t.cfg.RPO.Std())
			assert.Equal(t, r.name == "legacy/automated", now.Sub(r.found.Newest) > limit, r.name)
		}
	}
	require.Len(t, velero, 2)
	for _, r := range velero {
		limit := min(time.Duration(float64(r.interval)*r.t.cfg.Factor), r.t.cfg.RPO.Std())
		assert.Equal(t, r.name == "volumes-6h", now.Sub(r.found.Newest) > limit, r.name)
		assert.Equal(t, map[string]string{"volumes-6h": "PartiallyFailed", "cluster-daily": "Completed"}[r.name], r.phase)
	}
	for _, tc := range cfg.Targets {
		if tc.Kind == KindVelero || tc.Kind == KindRDS {
			continue
		}
		stale := tc.Name == "terraform-state" || tc.Name == "etcd-volume"
		f, _, ok := c.targets[0].src.Get()
		for _, tt := range c.targets {
			if tt.cfg.Name == tc.Name {
				f, _, ok = tt.src.Get()
			}
		}
		require.True(t, ok)
		limit := min(time.Duration(float64(tc.Interval.Std())*tc.Factor), tc.RPO.Std())
		assert.Equal(t, stale, now.Sub(f.Newest) > limit, tc.Name)
	}
}

// counted returns vigil_source_api_requests_total{source,api}.
func counted(t *testing.T, m *source.Metrics, src, api string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(m))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "vigil_source_api_requests_total" {
			continue
		}
		for _, s := range mf.Metric {
			labels := map[string]string{}
			for _, l := range s.Label {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["source"] == src && labels["api"] == api {
				return s.GetCounter().GetValue()
			}
		}
	}
	return 0
}
