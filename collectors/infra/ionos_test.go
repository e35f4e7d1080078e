package infra_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
	"github.com/vigil-monitoring/vigil/internal/source"
)

const token = "canary-ionos-token-3f9a"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type harness struct {
	srv     *ionoscloud.Server
	c       *infra.Collector
	metrics *source.Metrics
	clock   *clock
	group   *source.Group
}

type opts struct {
	interval time.Duration
	storage  string
	clock    *clock
	public   bool
	clusters map[string]string // infra.ionos.kubernetes_clusters
}

func newHarness(t *testing.T, srv *ionoscloud.Server, o opts) *harness {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token), 0o600))
	prov, err := ionos.New(&ionos.Config{Token: &config.SecretRef{File: tokenFile}, APIURL: srv.APIURL()})
	require.NoError(t, err)
	if o.interval == 0 {
		o.interval = time.Hour // exactly one refresh unless the test waits for more
	}
	if o.clock == nil {
		o.clock = &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} // a Wednesday
	}
	m := source.NewMetrics()
	var gopts []source.GroupOption
	if o.storage != "" {
		gopts = append(gopts, source.WithStorage(o.storage))
	}
	g := source.NewGroup(m, nil, gopts...)
	c := infra.New(infra.Config{Environment: "production", Key: "k1", Now: o.clock.Now,
		IONOS: &infra.IONOSSection{RefreshInterval: config.Duration(o.interval),
			MaintenanceWindowDuration: config.Duration(4 * time.Hour), NodesHavePublicIPs: o.public, KubernetesClusters: o.clusters}}, prov, g, nil)
	g.Start(context.Background())
	t.Cleanup(func() { g.Stop(false) })
	return &harness{srv: srv, c: c, metrics: m, clock: o.clock, group: g}
}

// waitRefreshed waits for the source's first refresh to finish.
func (h *harness) waitRefreshed(t *testing.T) source.Status {
	t.Helper()
	require.Eventually(t, func() bool { return h.c.IONOSStatus().Attempted }, 10*time.Second, 5*time.Millisecond)
	return h.c.IONOSStatus()
}

// apiRequests is vigil_source_api_requests_total of the IONOS source by api.
func (h *harness) apiRequests(t *testing.T) map[string]float64 {
	t.Helper()
	return h.apiRequestsOf(t, infra.IONOSSourceName)
}

// apiRequestsOf is vigil_source_api_requests_total of one source by api.
func (h *harness) apiRequestsOf(t *testing.T, src string) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(h.metrics))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "vigil_source_api_requests_total" {
			continue
		}
		for _, m := range mf.Metric {
			ls := map[string]string{}
			for _, l := range m.Label {
				ls[l.GetName()] = l.GetValue()
			}
			if ls["source"] == src {
				out[ls["api"]] += m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func (h *harness) scrape(t *testing.T) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, h.c.RenderText(&b))
	parser := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(b.String()))
	require.NoError(t, err, b.String())
	return b.String(), mfs
}

// value returns the value of the series of family whose labels include
// want; ok false when there is none.
func value(mfs map[string]*dto.MetricFamily, family string, want map[string]string) (float64, bool) {
	mf, ok := mfs[family]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		if m.Counter != nil {
			return m.GetCounter().GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

func requireValue(t *testing.T, mfs map[string]*dto.MetricFamily, family string, want map[string]string, v float64) {
	t.Helper()
	got, ok := value(mfs, family, want)
	require.True(t, ok, "no series %s%v", family, want)
	require.Equal(t, v, got, "%s%v", family, want)
}

// TestRealisticEnvironmentCosts20RequestsOrFewer: the realistic
// environment (1 data center, 1 cluster, 2 pools of 3 and 5 nodes, 2 LANs,
// 2 IP blocks) against the strict emulator; every request asks a depth.
func TestRealisticEnvironmentCosts20RequestsOrFewer(t *testing.T) {
	srv := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken(token))
	defer srv.Close()
	h := newHarness(t, srv, opts{})
	st := h.waitRefreshed(t)
	require.True(t, st.Up, "refresh failed: %s", st.LastReason)

	reqs := srv.Requests()
	require.LessOrEqual(t, len(reqs), 20)
	for _, r := range reqs {
		require.GreaterOrEqual(t, r.Depth, 1, "%s asked no depth: items would be references only", r.Path)
	}
	perAPI := h.apiRequests(t)
	var total float64
	for _, api := range []string{"GET /datacenters", "GET /datacenters/{id}/lans", "GET /k8s", "GET /k8s/{id}/nodepools/{id}/nodes", "GET /ipblocks"} {
		require.Positive(t, perAPI[api], api)
		total += perAPI[api]
	}
	require.Equal(t, float64(len(reqs)), total, "vigil_source_api_requests_total counts every request the emulator answered")
	t.Logf("IONOS requests per refresh of the realistic environment: %d", len(reqs))
}

// TestRealisticEnvironmentSeries: the values the runbooks ask for, and
// every state of each set present (0 or 1), so a change leaves no orphan.
func TestRealisticEnvironmentSeries(t *testing.T) {
	srv := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken(token))
	defer srv.Close()
	h := newHarness(t, srv, opts{public: true})
	require.True(t, h.waitRefreshed(t).Up)
	text, mfs := h.scrape(t)

	problems, err := promlint.New(strings.NewReader(text)).Lint()
	require.NoError(t, err)
	require.Empty(t, problems)

	cl := map[string]string{"cluster": "prod"}
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_state", map[string]string{"cluster": "prod", "state": "ACTIVE"}, 1)
	require.Len(t, mfs["vigil_infra_ionos_k8s_cluster_state"].Metric, 16, "every cluster state, 0 or 1")
	require.Len(t, mfs["vigil_infra_ionos_k8s_nodepool_state"].Metric, 2*16)
	require.Len(t, mfs["vigil_infra_ionos_k8s_node_state"].Metric, 8*7)
	require.Len(t, mfs["vigil_infra_ionos_datacenter_state"].Metric, 4)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_info", map[string]string{"cluster": "prod", "k8s_version": "1.31.4", "cluster_id": ionoscloud.ClusterID}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_upgrade_available", cl, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_upgrade_available_since_timestamp_seconds", cl, float64(h.clock.Now().Unix()))
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_public", cl, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_api_allow_list_entries", cl, 1)
	// Wednesday 12:00 UTC: the Sunday 03:00 window is closed, the next opens on 2026-11-29.
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_maintenance_window_open", cl, 0)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_maintenance_window_start_timestamp_seconds", cl,
		float64(time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC).Unix()))
	wk := map[string]string{"cluster": "prod", "nodepool": "workers"}
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_state", map[string]string{"nodepool": "workers", "state": "ACTIVE"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_nodes_desired", wk, 5)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_autoscaling_min_nodes", wk, 3)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_autoscaling_max_nodes", wk, 8)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_version_matches_cluster", wk, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_info", map[string]string{"nodepool": "workers", "datacenter": "prod-fra", "k8s_version": "1.31.4"}, 1)
	_, ok := value(mfs, "vigil_infra_ionos_k8s_nodepool_autoscaling_min_nodes", map[string]string{"nodepool": "system"})
	require.False(t, ok, "a pool without autoscaling has no minimum")
	requireValue(t, mfs, "vigil_infra_ionos_k8s_node_state", map[string]string{"node": "workers-4", "state": "READY"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_node_public_ip", map[string]string{"node": "workers-4"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_node_info", map[string]string{"node": "system-0", "k8s_version": "1.31.4"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_node_public_ip_expected", nil, 1)
	requireValue(t, mfs, "vigil_infra_ionos_lan_public", map[string]string{"datacenter": "prod-fra", "lan": "k8s-public"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_lan_public", map[string]string{"datacenter": "prod-fra", "lan": "k8s-private"}, 0)
	requireValue(t, mfs, "vigil_infra_ionos_ipblock_size", map[string]string{"ipblock": "ingress", "location": "de/fra"}, 4)
	requireValue(t, mfs, "vigil_infra_ionos_ipblock_used", map[string]string{"ipblock": "k8s-egress"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_datacenter_state", map[string]string{"datacenter": "prod-fra", "state": "AVAILABLE"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_datacenter_info", map[string]string{"datacenter": "prod-fra", "location": "de/fra"}, 1)
}

// TestFaultyWorld: the sandbox's faults show as the alerts expect them.
func TestFaultyWorld(t *testing.T) {
	srv := ionoscloud.Start(ionoscloud.Faulty(time.Now()), ionoscloud.WithToken(token))
	defer srv.Close()
	h := newHarness(t, srv, opts{})
	require.True(t, h.waitRefreshed(t).Up)
	_, mfs := h.scrape(t)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_state", map[string]string{"state": "UPDATING"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_state", map[string]string{"state": "ACTIVE"}, 0)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_state", map[string]string{"nodepool": "workers", "state": "FAILED_UPDATING"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_state", map[string]string{"nodepool": "workers", "state": "ACTIVE"}, 0)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_nodes_desired", map[string]string{"nodepool": "workers"}, 8)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_nodepool_version_matches_cluster", map[string]string{"nodepool": "workers"}, 0)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_node_public_ip", map[string]string{"node": "system-2"}, 0)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_node_state", map[string]string{"node": "workers-7", "state": "REBUILDING"}, 1)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_node_public_ip_expected", nil, 0)
}

// TestUnknownStateCountsAsUnknown: a state outside the set is UNKNOWN, not
// a new series.
func TestUnknownStateCountsAsUnknown(t *testing.T) {
	w := ionoscloud.Realistic()
	w.Clusters[0].State = "REFURBISHING"
	srv := ionoscloud.Start(w, ionoscloud.WithToken(token))
	defer srv.Close()
	h := newHarness(t, srv, opts{})
	require.True(t, h.waitRefreshed(t).Up)
	_, mfs := h.scrape(t)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_state", map[string]string{"state": "UNKNOWN"}, 1)
	require.Len(t, mfs["vigil_infra_ionos_k8s_cluster_state"].Metric, 16)
}

// TestListsAreFollowedPastTheFirstPage: 150 IP blocks take two pages of
// /ipblocks (default limit 100); all are exported.
func TestListsAreFollowedPastTheFirstPage(t *testing.T) {
	w := ionoscloud.Realistic()
	for i := range 150 {
		w.IPBlocks = append(w.IPBlocks, ionoscloud.IPBlock{ID: "b" + string(rune('a'+i/26)) + string(rune('a'+i%26)),
			Name: "extra-" + string(rune('a'+i/26)) + string(rune('a'+i%26)), Location: "de/txl", IPs: []string{"192.0.2.1"}})
	}
	srv := ionoscloud.Start(w, ionoscloud.WithToken(token))
	defer srv.Close()
	h := newHarness(t, srv, opts{})
	require.True(t, h.waitRefreshed(t).Up)
	_, mfs := h.scrape(t)
	require.Equal(t, 152, len(mfs["vigil_infra_ionos_ipblock_size"].Metric), "IP blocks exported")
	require.Equal(t, float64(2), h.apiRequests(t)["GET /ipblocks"])
}

// TestUpstreamFailuresKeepTheLastSnapshot: 401, a 429 storm and a
// half-written page each fail the refresh with their reason, keep the last
// good data, and never put the token in the error.
func TestUpstreamFailuresKeepTheLastSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		fault        func(*ionoscloud.Server)
		minDelay     time.Duration
	}{
		{"expired token", source.ReasonAuth, func(s *ionoscloud.Server) { s.Unauthorized(true) }, 0},
		{"429 storm", source.ReasonThrottled, func(s *ionoscloud.Server) { s.Throttle(1000, 90*time.Second) }, 90 * time.Second},
		{"half-written page", source.ReasonDecode, func(s *ionoscloud.Server) { s.TruncateLists(1000) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken(token))
			defer srv.Close()
			h := newHarness(t, srv, opts{interval: 100 * time.Millisecond})
			require.True(t, h.waitRefreshed(t).Up)
			tc.fault(srv)
			require.Eventually(t, func() bool { return !h.c.IONOSStatus().Up }, 10*time.Second, 5*time.Millisecond)
			st := h.c.IONOSStatus()
			require.Equal(t, tc.reason, st.LastReason)
			require.GreaterOrEqual(t, st.NextDelay, tc.minDelay, "Retry-After is handed to the engine")
			_, mfs := h.scrape(t)
			requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_state", map[string]string{"state": "ACTIVE"}, 1)
		})
	}
}

// TestUpgradeFirstSeenSurvivesRefreshesAndRestarts: the first-seen time
// stays while the same version has an upgrade, across a restart (the
// snapshot persisted in storage), and starts again when the version moves.
func TestUpgradeFirstSeenSurvivesRefreshesAndRestarts(t *testing.T) {
	srv := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken(token))
	defer srv.Close()
	dir := t.TempDir()
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	ck := &clock{t: t0}
	since := func(h *harness) (float64, bool) {
		_, mfs := h.scrape(t)
		return value(mfs, "vigil_infra_ionos_k8s_cluster_upgrade_available_since_timestamp_seconds", map[string]string{"cluster": "prod"})
	}
	h := newHarness(t, srv, opts{storage: dir, clock: ck, interval: 200 * time.Millisecond})
	require.True(t, h.waitRefreshed(t).Up)
	v, ok := since(h)
	require.True(t, ok)
	require.Equal(t, float64(t0.Unix()), v)

	// A restart: a new group on the same storage, the clock 40 days on.
	h.group.Stop(false)
	ck.Set(t0.Add(40 * 24 * time.Hour))
	srv.ResetRequests()
	h2 := newHarness(t, srv, opts{storage: dir, clock: ck, interval: 200 * time.Millisecond})
	require.Eventually(t, func() bool { return len(srv.Requests()) >= 5 && h2.c.IONOSStatus().Up }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return !h2.c.IONOSStatus().LastSuccess.Before(time.Now().Add(-150 * time.Millisecond)) }, 10*time.Second, 10*time.Millisecond)
	v, ok = since(h2)
	require.True(t, ok)
	require.Equal(t, float64(t0.Unix()), v, "first seen 40 days ago, across the restart")

	// The cluster is upgraded; the next version has no upgrade yet.
	srv.Update(func(w *ionoscloud.World) { w.Clusters[0].K8sVersion, w.Clusters[0].Upgrades = "1.32.1", nil })
	require.Eventually(t, func() bool { _, ok := since(h2); return !ok }, 10*time.Second, 10*time.Millisecond)
	// A new upgrade appears: first seen now.
	srv.Update(func(w *ionoscloud.World) { w.Clusters[0].Upgrades = []string{"1.33.0"} })
	require.Eventually(t, func() bool { v, ok := since(h2); return ok && v == float64(ck.Now().Unix()) }, 10*time.Second, 10*time.Millisecond)
}

// TestKubernetesClusterMapping: the IONOS cluster's name is joined to the
// kubernetes: section's name for it, so the maintenance inhibition finds
// its node and pod alerts; an unmapped or absent cluster has no series.
func TestKubernetesClusterMapping(t *testing.T) {
	srv := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken(token))
	defer srv.Close()
	h := newHarness(t, srv, opts{clusters: map[string]string{"prod": "production", "gone": "old"}})
	require.True(t, h.waitRefreshed(t).Up)
	_, mfs := h.scrape(t)
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_kubernetes_cluster", map[string]string{"cluster": "prod", "kubernetes_cluster": "production"}, 1)
	_, ok := value(mfs, "vigil_infra_ionos_k8s_cluster_kubernetes_cluster", map[string]string{"cluster": "gone"})
	require.False(t, ok, "a mapped cluster IONOS does not list has no series")
	requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_maintenance_window_open", map[string]string{"cluster": "prod"}, 0)
}
