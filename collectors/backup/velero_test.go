package backup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestCronInterval: the longest gap between two runs, as Velero parses
// the expression (five fields, descriptors, @every, CRON_TZ).
func TestCronInterval(t *testing.T) {
	for spec, want := range map[string]time.Duration{
		"0 2 * * *":                        24 * time.Hour,
		"@daily":                           24 * time.Hour,
		"@every 6h":                        6 * time.Hour,
		"*/15 * * * *":                     15 * time.Minute,
		"0 3 * * 1-5":                      72 * time.Hour, // Friday to Monday
		"0 0 1 * *":                        31 * 24 * time.Hour,
		"0 1,13 * * *":                     12 * time.Hour,
		"CRON_TZ=Europe/Berlin 30 1 * * *": 25 * time.Hour, // the night clocks go back
	} {
		got, err := cronInterval(spec)
		require.NoError(t, err, spec)
		assert.Equal(t, want, got, spec)
	}
	for _, bad := range []string{"", "61 * * * *", "0 2 * *", "@hourly-ish"} {
		_, err := cronInterval(bad)
		assert.Error(t, err, bad)
	}
}

// veleroEnv is a real kube-apiserver with Velero's real CRDs
// (testdata/velero-crds, see SOURCE.md) and a namespace of its own.
type veleroEnv struct {
	t         *testing.T
	client    dynamic.Interface // the test's, uncounted
	namespace string
}

func newVeleroEnv(t *testing.T) (*veleroEnv, dynamic.Interface, *source.Group, *source.Metrics) {
	rc := testenv.APIServer(t, "testdata/velero-crds")
	ns := fmt.Sprintf("velero-%06d", rand.IntN(1e6)) // unique per run
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	_, err = kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	plain, err := dynamic.NewForConfig(rc)
	require.NoError(t, err)
	m := source.NewMetrics()
	g := source.NewGroup(m, nil)
	counted, err := VeleroClient(rc, g.APIRequestCounter(SourceName(KindVelero, "cluster")))
	require.NoError(t, err)
	return &veleroEnv{t: t, client: plain, namespace: ns}, counted, g, m
}

func (e *veleroEnv) schedule(name, cron string) {
	e.t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Schedule",
		"metadata": map[string]any{"name": name, "namespace": e.namespace},
		"spec":     map[string]any{"schedule": cron, "template": map[string]any{"ttl": "720h0m0s"}},
		"status":   map[string]any{"phase": "Enabled"},
	}}
	_, err := e.client.Resource(VeleroSchedules).Namespace(e.namespace).Create(context.Background(), u, metav1.CreateOptions{})
	require.NoError(e.t, err)
}

// backup writes a Backup of schedule with the status Velero would write
// (Velero's Backup CRD has no status subresource: status goes with the
// object, and the API server validates it against the CRD's schema).
func (e *veleroEnv) backup(schedule string, started time.Time, phase string) {
	e.t.Helper()
	status := map[string]any{"phase": phase, "startTimestamp": started.UTC().Format(time.RFC3339)}
	if phase == "Completed" || phase == "PartiallyFailed" || phase == "Failed" {
		status["completionTimestamp"] = started.Add(10 * time.Minute).UTC().Format(time.RFC3339)
		status["expiration"] = started.Add(720 * time.Hour).UTC().Format(time.RFC3339)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "velero.io/v1", "kind": "Backup",
		"metadata": map[string]any{"name": schedule + "-" + started.UTC().Format("20060102150405"), "namespace": e.namespace,
			"labels": map[string]any{veleroScheduleLabel: schedule}},
		"spec":   map[string]any{"ttl": "720h0m0s"},
		"status": status,
	}}
	_, err := e.client.Resource(VeleroBackups).Namespace(e.namespace).Create(context.Background(), u, metav1.CreateOptions{})
	require.NoError(e.t, err)
}

func unix(t time.Time) string { return strconv.FormatFloat(float64(t.Unix()), 'g', -1, 64) }

// TestVeleroSchedulesAgainstTheAPIServer: per schedule, the newest
// Completed backup's completion time and expiry, the newest backup's phase
// as one of every phase of Velero's CRD (PartiallyFailed kept apart from
// Failed and Completed), the interval from the schedule's cron; a backup
// written later reaches the series through the watch; a deleted schedule's
// series go; backups of other schedules and without one are not counted;
// the informers' requests are counted under the target's source.
func TestVeleroSchedulesAgainstTheAPIServer(t *testing.T) {
	e, client, g, m := newVeleroEnv(t)
	base := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	e.schedule("daily", "0 2 * * *")
	e.schedule("weekdays", "0 3 * * 1-5")
	e.schedule("every6h", "@every 6h")
	e.backup("daily", base.Add(-48*time.Hour), "Completed")
	e.backup("daily", base.Add(-24*time.Hour), "Completed") // newest good one
	e.backup("daily", base, "PartiallyFailed")              // newest
	e.backup("weekdays", base.Add(-time.Hour), "InProgress")
	e.backup("gone-schedule", base, "Completed") // its schedule does not exist

	tc := TargetConfig{Target: Target{Name: "cluster", Kind: KindVelero, Namespace: e.namespace, Factor: 1.5, RPO: 24 * 3600e9},
		Severity: "ticket", Velero: client}
	c := New(Config{Environment: "production", Targets: []TargetConfig{tc}}, g, nil)
	ctx, cancel := context.WithCancel(context.Background())
	g.Start(ctx)
	c.Start(ctx)
	t.Cleanup(func() { cancel(); c.Stop(); g.Stop(true) })
	require.Eventually(t, c.Ready, 30*time.Second, 10*time.Millisecond)

	l := func(name string) string { return `{environment="production",kind="velero",name="` + name + `"}` }
	phase := func(name, p string) string {
		return `vigil_backup_phase{environment="production",kind="velero",name="` + name + `",phase="` + p + `"}`
	}
	out := render(t, c)
	testenv.ParseLinted(t, out)
	good := base.Add(-24*time.Hour + 10*time.Minute)
	for _, want := range []string{
		"vigil_backup_last_success_timestamp_seconds" + l("daily") + " " + unix(good),
		"vigil_backup_expiry_timestamp_seconds" + l("daily") + " " + unix(base.Add(-24*time.Hour+720*time.Hour)),
		"vigil_backup_objects" + l("daily") + " 2",
		phase("daily", "PartiallyFailed") + " 1",
		phase("daily", "Completed") + " 0",
		phase("daily", "Failed") + " 0",
		"vigil_backup_expected_interval_seconds" + l("daily") + " 86400",
		"vigil_backup_expected_interval_seconds" + l("weekdays") + " 259200",
		"vigil_backup_expected_interval_seconds" + l("every6h") + " 21600",
		phase("weekdays", "InProgress") + " 1",
		"vigil_backup_objects" + l("weekdays") + " 0",
		"vigil_backup_objects" + l("every6h") + " 0",
		`vigil_backup_severity{environment="production",kind="velero",name="every6h",severity="ticket"} 1`,
		"vigil_backup_rpo_seconds" + l("every6h") + " 86400",
	} {
		assert.Contains(t, out, want+"\n")
	}
	assert.Equal(t, len(VeleroPhases), strings.Count(out, `vigil_backup_phase{environment="production",kind="velero",name="daily",`))
	for _, absent := range []string{
		"vigil_backup_last_success_timestamp_seconds" + l("weekdays"),
		"vigil_backup_phase{environment=\"production\",kind=\"velero\",name=\"every6h\"",
		`name="gone-schedule"`,
		"vigil_backup_size_bytes" + l("daily"), // Velero's Backup has no size
		"vigil_backup_total_size_bytes" + l("daily"),
	} {
		assert.NotContains(t, out, absent)
	}

	// A backup written now reaches the series through the watch.
	e.backup("weekdays", base.Add(-30*time.Minute), "Completed")
	require.EventuallyWithT(t, func(c2 *assert.CollectT) {
		assert.Contains(c2, render(t, c), "vigil_backup_last_success_timestamp_seconds"+l("weekdays")+" "+unix(base.Add(-20*time.Minute))+"\n")
	}, 20*time.Second, 20*time.Millisecond)

	// The schedule goes: its series go with it.
	require.NoError(t, e.client.Resource(VeleroSchedules).Namespace(e.namespace).Delete(context.Background(), "daily", metav1.DeleteOptions{}))
	require.EventuallyWithT(t, func(c2 *assert.CollectT) {
		assert.NotContains(c2, render(t, c), `name="daily"`)
	}, 20*time.Second, 20*time.Millisecond)

	// client-go lists through the watch itself (WatchList streams the
	// initial objects), so watches are what every informer sends.
	for _, api := range []string{"watch schedules", "watch backups"} {
		assert.GreaterOrEqual(t, counted(t, m, SourceName(KindVelero, "cluster"), api), 1.0, api)
	}
}

// TestVeleroWithoutItsCRDs: in a cluster without Velero the target is
// ready (it tried), exports nothing, and counts the failed lists under its
// source with reason not_found, instead of keeping Vigil unready.
func TestVeleroWithoutItsCRDs(t *testing.T) {
	rc := testenv.SharedAPIServer(t) // no CRDs installed
	m := source.NewMetrics()
	g := source.NewGroup(m, nil)
	client, err := VeleroClient(rc, g.APIRequestCounter(SourceName(KindVelero, "absent")))
	require.NoError(t, err)
	tc := TargetConfig{Target: Target{Name: "absent", Kind: KindVelero, Namespace: "velero", Factor: 1.5, RPO: 24 * 3600e9},
		Severity: "ticket", Velero: client}
	c := New(Config{Environment: "production", Targets: []TargetConfig{tc}}, g, nil)
	ctx, cancel := context.WithCancel(context.Background())
	g.Start(ctx)
	c.Start(ctx)
	t.Cleanup(func() { cancel(); c.Stop(); g.Stop(true) })
	require.Eventually(t, c.Ready, 30*time.Second, 10*time.Millisecond)
	assert.NotContains(t, render(t, c), `kind="velero"`)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(m))
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		mfs, err := reg.Gather()
		require.NoError(ct, err)
		var notFound float64
		for _, mf := range mfs {
			if mf.GetName() != "vigil_source_errors_total" {
				continue
			}
			for _, s := range mf.Metric {
				l := map[string]string{}
				for _, p := range s.Label {
					l[p.GetName()] = p.GetValue()
				}
				if l["source"] == SourceName(KindVelero, "absent") && l["reason"] == source.ReasonNotFound {
					notFound += s.GetCounter().GetValue()
				}
			}
		}
		assert.GreaterOrEqual(ct, notFound, 2.0, "both informers' lists failed with not_found")
	}, 20*time.Second, 50*time.Millisecond)
}

// TestVeleroUnreadableCronFallsBackToTheRPO: a schedule whose cron does not
// parse (Velero marks it FailedValidation and never runs it) exported no
// interval, so neither BackupNeverSeen nor BackupTooOld could ever fire for
// it. Its interval is now the target's RPO, and the unreadable cron is
// counted as a decode error of the target's source.
func TestVeleroUnreadableCronFallsBackToTheRPO(t *testing.T) {
	e, client, g, m := newVeleroEnv(t)
	e.schedule("broken", "0 2 * *") // four fields
	e.schedule("daily", "0 2 * * *")
	tc := TargetConfig{Target: Target{Name: "cluster", Kind: KindVelero, Namespace: e.namespace, Factor: 1.5, RPO: 12 * 3600e9},
		Severity: "page", Velero: client}
	c := New(Config{Environment: "production", Targets: []TargetConfig{tc}}, g, nil)
	ctx, cancel := context.WithCancel(context.Background())
	g.Start(ctx)
	c.Start(ctx)
	t.Cleanup(func() { cancel(); c.Stop(); g.Stop(true) })
	require.Eventually(t, c.Ready, 30*time.Second, 10*time.Millisecond)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		out := render(t, c)
		assert.Contains(ct, out, `vigil_backup_expected_interval_seconds{environment="production",kind="velero",name="broken"} 43200`+"\n")
		assert.Contains(ct, out, `vigil_backup_expected_interval_seconds{environment="production",kind="velero",name="daily"} 86400`+"\n")
	}, 20*time.Second, 20*time.Millisecond)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(m))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var decode float64
	for _, mf := range mfs {
		if mf.GetName() != "vigil_source_errors_total" {
			continue
		}
		for _, s := range mf.Metric {
			l := map[string]string{}
			for _, p := range s.Label {
				l[p.GetName()] = p.GetValue()
			}
			if l["source"] == SourceName(KindVelero, "cluster") && l["reason"] == source.ReasonDecode {
				decode += s.GetCounter().GetValue()
			}
		}
	}
	assert.GreaterOrEqual(t, decode, 1.0, "the unreadable cron is counted")
}
