package sandbox_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// TestClusterShowsEveryRunbookFault runs the real collector on the sandbox
// and checks each fault the runbooks describe is visible in its metrics.
func TestClusterShowsEveryRunbookFault(t *testing.T) {
	kube, metrics := sandbox.Cluster()
	g := source.NewGroup(source.NewMetrics(), nil)
	c := cluster.New(cluster.Config{Environment: "sandbox", Cluster: "sandbox", MetricsAPI: true}, kube, metrics, g, nil)
	ctx, cancel := context.WithCancel(context.Background())
	c.Start(ctx)
	g.Start(ctx)
	defer func() { cancel(); g.Stop(true); c.Stop() }()
	require.Eventually(t, func() bool { return c.Synced() && g.Ready() }, 10*time.Second, 10*time.Millisecond)

	var buf bytes.Buffer
	require.NoError(t, c.RenderText(&buf))
	mfs, err := cluster.ParseText(&buf)
	require.NoError(t, err)
	value := func(name string, labels map[string]string) (float64, bool) {
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
		next:
			for _, m := range mf.GetMetric() {
				got := map[string]string{}
				for _, l := range m.GetLabel() {
					got[l.GetName()] = l.GetValue()
				}
				for k, v := range labels {
					if got[k] != v {
						continue next
					}
				}
				return m.GetGauge().GetValue() + m.GetCounter().GetValue(), true
			}
		}
		return 0, false
	}
	is := func(want float64, name string, labels map[string]string) {
		t.Helper()
		v, ok := value(name, labels)
		if assert.True(t, ok, "no %s%v", name, labels) {
			assert.Equal(t, want, v, "%s%v", name, labels)
		}
	}

	is(1, "vigil_cluster_apiserver_up", map[string]string{"environment": "sandbox", "cluster": "sandbox"})
	is(1, "vigil_cluster_apiserver_info", map[string]string{"git_version": sandbox.ServerVersion})
	is(1, "vigil_cluster_pod_container_waiting", map[string]string{"pod": sandbox.CrashLoopPod, "reason": "CrashLoopBackOff"})
	is(12, "vigil_cluster_pod_container_restarts_total", map[string]string{"pod": sandbox.CrashLoopPod})
	is(1, "vigil_cluster_pod_container_waiting", map[string]string{"pod": sandbox.ImagePullPod, "reason": "ImagePullBackOff"})
	is(1, "vigil_cluster_pod_container_last_terminated_reason", map[string]string{"pod": sandbox.OOMKilledPod, "reason": "OOMKilled"})
	ts, ok := value("vigil_cluster_pod_container_last_terminated_timestamp_seconds", map[string]string{"pod": sandbox.OOMKilledPod})
	assert.True(t, ok && time.Since(time.Unix(int64(ts), 0)) < 15*time.Minute, "OOMKilled not recent: %v", ts)
	r, _ := value("vigil_cluster_pod_container_restarts_total", map[string]string{"pod": sandbox.OOMKilledPod})
	assert.Positive(t, r, "OOMKilled container without restarts")
	is(1, "vigil_cluster_pod_unschedulable", map[string]string{"pod": sandbox.UnschedulablePod, "reason": "Unschedulable"})
	is(1, "vigil_cluster_pod_phase", map[string]string{"pod": sandbox.UnschedulablePod, "phase": "Pending"})
	is(1, "vigil_cluster_workload_replicas_desired", map[string]string{"kind": "Deployment", "workload": sandbox.SingleReplica})
	is(3, "vigil_cluster_workload_replicas_desired", map[string]string{"kind": "Deployment", "workload": sandbox.MismatchDeployment})
	is(1, "vigil_cluster_workload_replicas_ready", map[string]string{"kind": "Deployment", "workload": sandbox.MismatchDeployment})
	is(1, "vigil_cluster_node_taint", map[string]string{"node": sandbox.UnreachableNode, "key": "node.kubernetes.io/unreachable", "effect": "NoExecute"})
	is(1, "vigil_cluster_node_condition", map[string]string{"node": sandbox.UnreachableNode, "condition": "Ready", "status": "unknown"})
	max, _ := value("vigil_cluster_hpa_replicas_max", map[string]string{"hpa": sandbox.MaxedHPA})
	is(max, "vigil_cluster_hpa_replicas_current", map[string]string{"hpa": sandbox.MaxedHPA})

	used, ok1 := value("vigil_cluster_node_memory_usage_bytes", map[string]string{"node": sandbox.HighMemoryNode})
	alloc, ok2 := value("vigil_cluster_node_allocatable_memory_bytes", map[string]string{"node": sandbox.HighMemoryNode})
	require.True(t, ok1 && ok2)
	assert.InDelta(t, 0.9, used/alloc, 0.02, "memory use of %s: %s", sandbox.HighMemoryNode, strconv.FormatFloat(used/alloc, 'f', 3, 64))
	for i := 1; i <= 2; i++ {
		node := "sandbox-node-" + strconv.Itoa(i)
		used, _ := value("vigil_cluster_node_memory_usage_bytes", map[string]string{"node": node})
		assert.Less(t, used/alloc, 0.85, "%s should be healthy", node)
		is(1, "vigil_cluster_node_condition", map[string]string{"node": node, "condition": "Ready", "status": "true"})
	}
}
