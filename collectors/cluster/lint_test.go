package cluster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// startSandbox runs the collector on the sandbox cluster and waits for the
// metrics.k8s.io snapshot.
func startSandbox(t *testing.T) *running {
	t.Helper()
	kube, metrics := sandbox.Cluster()
	r := start(t, cluster.Config{Environment: "sandbox", Cluster: "sandbox", MetricsAPI: true}, kube, metrics)
	require.Eventually(t, func() bool { return sourceUp(t, r.metrics, cluster.MetricsSource) == 1 }, 10*time.Second, 10*time.Millisecond)
	return r
}

// TestRenderedFamiliesAreExactlyTheCatalogue: every family rendered on the
// sandbox is in catalogue.go with its HELP, TYPE and labels, and every
// catalogue family is rendered.
func TestRenderedFamiliesAreExactlyTheCatalogue(t *testing.T) {
	r := startSandbox(t)
	mfs := scrape(t, r.c)
	rendered := map[string]bool{}
	for _, mf := range mfs {
		rendered[mf.GetName()] = true
	}
	for _, d := range cluster.Catalogue {
		assert.True(t, rendered[d.Name], "%s is in the catalogue but not rendered on the sandbox", d.Name)
	}
	docs := map[string]int{}
	for i, d := range cluster.Catalogue {
		docs[d.Name] = i
	}
	for _, mf := range mfs {
		i, ok := docs[mf.GetName()]
		if !assert.True(t, ok, "%s is rendered but not in the catalogue", mf.GetName()) {
			continue
		}
		d := cluster.Catalogue[i]
		assert.Equal(t, d.Help, mf.GetHelp(), "%s HELP", d.Name)
		assert.Equal(t, string(d.Type), map[int32]string{0: "counter", 1: "gauge"}[int32(mf.GetType())], "%s TYPE", d.Name)
		want := append([]string{"environment"}, d.Labels...)
		for _, m := range mf.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName())
			}
			assert.ElementsMatch(t, want, got, "%s labels", d.Name)
		}
	}
}

// TestRenderedMetricsPassPromlint lints the output as Prometheus' own
// linter does (promlint through the collector's Gatherer).
func TestRenderedMetricsPassPromlint(t *testing.T) {
	r := startSandbox(t)
	problems, err := testutil.GatherAndLint(r.c.Gatherer())
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// TestRenderTextFormat checks what the parser forgives: environment and
// cluster come first on every series, label values are escaped, HELP and
// TYPE precede each family once.
func TestRenderTextFormat(t *testing.T) {
	kube, metrics := sandbox.Cluster()
	r := start(t, cluster.Config{Environment: `a "quoted" \ env` + "\nx", Cluster: "c1"}, kube, metrics)
	var b strings.Builder
	require.NoError(t, r.c.RenderText(&b))
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			seen[strings.Fields(line)[2]]++
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		_, rest, ok := strings.Cut(line, "{")
		require.True(t, ok, "series without labels: %q", line)
		require.True(t, strings.HasPrefix(rest, `environment="a \"quoted\" \\ env\nx",cluster="c1"`), "series %q", line)
	}
	for name, n := range seen {
		assert.Equal(t, 1, n, "TYPE of %s appears %d times", name, n)
	}
	// The parser reads the escaped value back.
	for _, mf := range scrape(t, r.c) {
		for _, m := range mf.GetMetric() {
			assert.Equal(t, `a "quoted" \ env`+"\nx", m.GetLabel()[0].GetValue())
		}
	}
}
