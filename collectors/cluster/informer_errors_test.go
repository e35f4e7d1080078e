package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestInformerFailuresAreCountedAndDoNotBlockReadiness: with credentials the
// real API server refuses, every list fails; the collector still reports
// itself done (so the exporter becomes ready and can say so), and each
// failure is counted with reason auth.
func TestInformerFailuresAreCountedAndDoNotBlockReadiness(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	refused := &rest.Config{Host: rc.Host, BearerToken: "not-a-valid-token",
		TLSClientConfig: rest.TLSClientConfig{CAData: rc.CAData}}
	kube, err := kubernetes.NewForConfig(refused)
	require.NoError(t, err)

	sm := source.NewMetrics()
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(sm))
	g := source.NewGroup(sm, nil)
	c := cluster.New(cluster.Config{Environment: "test", Cluster: "refused"}, kube, nil, g, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Start(ctx)
	g.Start(ctx)
	defer func() { cancel(); g.Stop(true); c.Stop() }()

	require.Eventually(t, c.Synced, 60*time.Second, 50*time.Millisecond, "a refused list must count as attempted")
	require.Eventually(t, func() bool {
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() != "vigil_source_errors_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				l := map[string]string{}
				for _, p := range m.GetLabel() {
					l[p.GetName()] = p.GetValue()
				}
				if l["source"] == cluster.InformerSource && l["reason"] == source.ReasonAuth && m.GetCounter().GetValue() >= 6 {
					return true // one per informer at least: nodes, pods, 3 workloads, HPAs
				}
			}
		}
		return false
	}, 60*time.Second, 100*time.Millisecond)
	assert.False(t, g.Statuses()[0].Up, "the /version probe is refused too")
}
