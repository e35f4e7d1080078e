package daemon_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/catalogue"
	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// Families that legitimately have no series on a healthy sandbox.
var mayBeAbsent = map[string]string{
	"vigil_source_budget_remaining": "only for sources with a daily request budget; the sandbox has none until billing lands",
}

func scrapeSandbox(t *testing.T) string {
	t.Helper()
	r := start(t, daemon.Options{Sandbox: true})
	r.waitReady(t)
	return get(t, r.url+"/metrics")
}

// TestSandboxScrapePassesPromtoolCheckMetrics: what Prometheus would scrape
// from the sandbox passes promtool's lint.
func TestSandboxScrapePassesPromtoolCheckMetrics(t *testing.T) {
	promtool := testenv.Tool(t, "promtool", "tools")
	body := scrapeSandbox(t)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool check metrics:\n%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "promtool check metrics found problems")
}

// TestSandboxExposesExactlyTheCatalogue keeps the catalogue (and so
// docs/metrics.md and the PromQL checks) honest: every vigil_ family the
// exporter serves is documented, and every documented one is served.
func TestSandboxExposesExactlyTheCatalogue(t *testing.T) {
	mfs := parse(t, scrapeSandbox(t))
	docs := map[string]string{}
	for _, d := range catalogue.All() {
		docs[d.Name] = d.Help
	}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "vigil_") {
			continue
		}
		help, ok := docs[name]
		if assert.True(t, ok, "%s is served but not in the catalogue", name) {
			assert.Equal(t, help, mf.GetHelp(), "%s HELP differs from the catalogue", name)
		}
		for _, m := range mf.GetMetric() {
			env := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "environment" {
					env = l.GetValue()
				}
			}
			assert.Equal(t, "sandbox", env, "%s series without environment=\"sandbox\"", name)
		}
	}
	for name := range docs {
		if _, ok := mfs[name]; !ok && mayBeAbsent[name] == "" {
			t.Errorf("%s is in the catalogue but the sandbox does not serve it", name)
		}
	}
}

// TestSandboxShowsTheRunbookFaults: the faults a newcomer should see.
func TestSandboxShowsTheRunbookFaults(t *testing.T) {
	mfs := parse(t, scrapeSandbox(t))
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"vigil_cluster_pod_container_waiting", map[string]string{"reason": "CrashLoopBackOff"}},
		{"vigil_cluster_pod_container_waiting", map[string]string{"reason": "ImagePullBackOff"}},
		{"vigil_cluster_pod_container_last_terminated_reason", map[string]string{"reason": "OOMKilled"}},
		{"vigil_cluster_node_taint", map[string]string{"key": "node.kubernetes.io/unreachable"}},
		{"vigil_cluster_pod_unschedulable", map[string]string{}},
		{"vigil_cluster_apiserver_up", map[string]string{"cluster": "sandbox"}},
	} {
		v, ok := value(mfs, c.name, c.labels)
		assert.True(t, ok && v == 1, "sandbox lacks %s%v", c.name, c.labels)
	}
	v, ok := value(mfs, "vigil_cluster_workload_replicas_desired", map[string]string{"kind": "Deployment"})
	assert.True(t, ok && v >= 1)
	// The registry probe's certificate, 5 days from expiry, is the expiry
	// collector's too (it reads the access section's https probes).
	v, ok = value(mfs, "vigil_cert_not_after_timestamp_seconds", map[string]string{"origin": "probe", "location": "registry", "chain_position": "leaf"})
	assert.True(t, ok && time.Until(time.Unix(int64(v), 0)) < 6*24*time.Hour, "the sandbox's registry probe certificate is not watched")
}
