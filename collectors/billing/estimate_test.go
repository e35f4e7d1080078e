package billing_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/billing"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

const estimateToken = "estimate-test-token"

// estimateWorld is a contract holding two environments: dev (a pool of 2
// nodes with 2 cores, 8 GB RAM and 50 GB HDD, the "dev-nodes" IP block of
// 4) and staging (2 nodes with 4 cores, 16 GB and 100 GB SSD, a block of 4),
// and a registry each.
func estimateWorld() ionoscloud.World {
	pool := func(id, name string, n, cores, ram, disk int, typ string) ionoscloud.NodePool {
		return ionoscloud.NodePool{ID: id, Name: name, DatacenterID: ionoscloud.DatacenterID, State: "ACTIVE", K8sVersion: "1.31.4",
			NodeCount: n, Cores: cores, RAMMB: ram, StorageGB: disk, StorageType: typ}
	}
	return ionoscloud.World{
		Datacenters: []ionoscloud.Datacenter{{ID: ionoscloud.DatacenterID, Name: "fra", Location: "de/fra", State: "AVAILABLE"}},
		Clusters: []ionoscloud.Cluster{
			{ID: "c0ffee00-1111-4222-8333-000000000001", Name: "dev", State: "ACTIVE", K8sVersion: "1.31.4",
				Pools: []ionoscloud.NodePool{pool("5e5e5e5e-aaaa-4bbb-8ccc-000000000011", "dev-pool", 2, 2, 8192, 50, "HDD")}},
			{ID: "c0ffee00-1111-4222-8333-000000000002", Name: "staging", State: "ACTIVE", K8sVersion: "1.31.4",
				Pools: []ionoscloud.NodePool{pool("5e5e5e5e-aaaa-4bbb-8ccc-000000000012", "staging-pool", 2, 4, 16384, 100, "SSD")}},
		},
		IPBlocks: []ionoscloud.IPBlock{
			{ID: "1f2e3d4c-0000-4000-8000-000000000011", Name: "dev-nodes", Location: "de/fra", IPs: []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"}},
			{ID: "1f2e3d4c-0000-4000-8000-000000000012", Name: "staging-nodes", Location: "de/fra", IPs: []string{"203.0.113.5", "203.0.113.6", "203.0.113.7", "203.0.113.8"}},
		},
	}
}

type estimateHarness struct {
	cloud *ionoscloud.Server
	regs  *sandbox.IONOSTokens
	c     *billing.Collector
	group *source.Group
}

// startEstimate runs the estimate alone against the Cloud API emulator and
// the registry emulator, through the ionos provider as the daemon builds it.
func startEstimate(t *testing.T, e billing.IONOSEstimate, now time.Time) *estimateHarness {
	t.Helper()
	cloud := ionoscloud.Start(estimateWorld(), ionoscloud.WithToken(estimateToken))
	t.Cleanup(cloud.Close)
	regs := sandbox.StartIONOSTokens(estimateToken, 0, []sandbox.SandboxRegistry{
		{ID: "3f1d2c4e-8a7b-4c1d-9e2f-0a1b2c3d4e01", Name: "dev-registry"},
		{ID: "3f1d2c4e-8a7b-4c1d-9e2f-0a1b2c3d4e02", Name: "staging-registry"},
	}, nil)
	t.Cleanup(regs.Close)
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(estimateToken), 0o600))
	icfg := &ionos.Config{Token: &config.SecretRef{File: tokenFile}, APIURL: cloud.APIURL(), RegistryURL: regs.RegistryURL(), AuthURL: regs.AuthURL()}
	icfg.ApplyDefaults()
	p, err := ionos.New(icfg)
	require.NoError(t, err)
	if e.RefreshInterval == 0 {
		e.RefreshInterval = config.Duration(time.Hour)
	}
	if e.Currency == "" {
		e.Currency = "EUR"
	}
	g := source.NewGroup(source.NewMetrics(), slog.New(slog.DiscardHandler))
	c := billing.New(billing.Config{Now: func() time.Time { return now },
		Estimate: &billing.EstimateTarget{Config: e, Key: p.Fingerprint(), CloudAPI: p.CloudAPI, Registries: p.Tokens}}, g, nil)
	g.Start(context.Background())
	t.Cleanup(func() { g.Stop(false) })
	require.Eventually(t, g.Ready, 20*time.Second, 5*time.Millisecond)
	return &estimateHarness{cloud: cloud, regs: regs, c: c, group: g}
}

// values renders the collector and returns family → "label=value,..." → value
// for the estimate's families.
func (h *estimateHarness) values(t *testing.T) map[string]map[string]float64 {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, h.c.RenderText(&b, "staging"))
	out := map[string]map[string]float64{}
	for name, mf := range testenv.ParseLinted(t, b.String()) {
		out[name] = map[string]float64{}
		for _, m := range mf.GetMetric() {
			key := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "product" {
					key = l.GetValue()
				}
				if l.GetName() == "estimate" {
					assert.Equal(t, "true", l.GetValue(), name)
				}
			}
			out[name][key] = m.GetGauge().GetValue()
		}
	}
	return out
}

// The estimate counts staging's objects only (clusters, ip_blocks and
// registries name them), prices each product at the configured price or
// its default, and spreads the month linearly; one refresh costs 3
// requests at the depths asked (k8s 3, ipblocks 1) and the registries'.
func TestIONOSEstimateFromTheEmulator(t *testing.T) {
	core := 10.0
	now := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC) // 15 of 30 days: half the month
	h := startEstimate(t, billing.IONOSEstimate{Prices: billing.EstimatePrices{Core: &core},
		Clusters: []string{"staging"}, IPBlocks: []string{"staging-nodes"}, Registries: []string{"staging-registry"}}, now)
	v := h.values(t)
	assert.Equal(t, map[string]float64{"cores": 8, "ram": 32, "storage_hdd": 0, "storage_ssd": 200, "public_ips": 4, "registries": 1},
		v["vigil_billing_estimate_quantity"])
	d := billing.DefaultEstimatePrices
	want := map[string]float64{"cores": 80, "ram": 32 * d["ram"], "storage_hdd": 0, "storage_ssd": 200 * d["storage_ssd"],
		"public_ips": 4 * d["public_ips"], "registries": d["registries"]}
	assert.InDeltaMapValues(t, want, v["vigil_billing_estimate_monthly"], 1e-9)
	total := 80 + 32*d["ram"] + 200*d["storage_ssd"] + 4*d["public_ips"] + d["registries"]
	assert.InDelta(t, total/2, v["vigil_billing_estimate_month_to_date"][""], 1e-6)
	assert.NotContains(t, v, "vigil_billing_cost_month_to_date", "an estimate is never a billed figure")

	var cloud []string
	for _, r := range h.cloud.Requests() {
		cloud = append(cloud, r.Method+" "+r.Path+" depth="+strconv.Itoa(r.Depth))
	}
	assert.Equal(t, []string{"GET /cloudapi/v6/k8s depth=3", "GET /cloudapi/v6/ipblocks depth=1"}, cloud)
	assert.Len(t, h.regs.Requests(), 1, "one registries page")
	t.Logf("requests per refresh: %d Cloud API (%v) + %d Container Registry API", len(cloud), cloud, len(h.regs.Requests()))
}

// A change of inventory (a pool scaled up) changes the estimate at the next
// refresh; an unknown storage type fails the refresh rather than pricing
// it at zero, and the last good estimate stays.
func TestIONOSEstimateFollowsTheInventory(t *testing.T) {
	h := startEstimate(t, billing.IONOSEstimate{RefreshInterval: config.Duration(50 * time.Millisecond), Clusters: []string{"dev"}}, time.Now())
	require.Equal(t, 4.0, h.values(t)["vigil_billing_estimate_quantity"]["cores"])
	h.cloud.Update(func(w *ionoscloud.World) { w.Clusters[0].Pools[0].NodeCount = 3 })
	require.Eventually(t, func() bool { return h.values(t)["vigil_billing_estimate_quantity"]["cores"] == 6 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, 150.0, h.values(t)["vigil_billing_estimate_quantity"]["storage_hdd"])

	h.cloud.Update(func(w *ionoscloud.World) { w.Clusters[0].Pools[0].StorageType = "NVME" })
	require.Eventually(t, func() bool {
		st := h.group.Statuses()
		return len(st) == 1 && !st[0].Up
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, 6.0, h.values(t)["vigil_billing_estimate_quantity"]["cores"], "the last good inventory stays")
}

// The default prices, applied to the seeds' three environments
// (terraform/ionos/environments/*.tfvars), against the seeds' monthly
// figures of about EUR 73, 177 and 290: the numbers DefaultEstimatePrices'
// comment and examples/vigil.yml state.
func TestDefaultPricesAgainstTheSeeds(t *testing.T) {
	d := billing.DefaultEstimatePrices
	env := func(nodes, cores, ramGB, diskGB float64, disk string, ips float64) float64 {
		return nodes*(cores*d["cores"]+ramGB*d["ram"]+diskGB*d["storage_"+disk]) + ips*d["public_ips"] + d["registries"]
	}
	assert.InDelta(t, 87, env(2, 2, 8, 50, "hdd", 4), 1e-9, "dev")
	assert.InDelta(t, 183, env(2, 4, 16, 100, "ssd", 4), 1e-9, "staging")
	assert.InDelta(t, 280, env(3, 4, 16, 100, "ssd", 8), 1e-9, "production")
}
