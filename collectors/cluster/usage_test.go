package cluster_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// metrics.k8s.io as metrics-server answers it (kubectl get --raw).
const nodeMetricsJSON = `{"kind":"NodeMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[
 {"metadata":{"name":"usage-node-1","creationTimestamp":"2026-11-22T10:00:05Z","labels":{"kubernetes.io/hostname":"usage-node-1"}},
  "timestamp":"2026-11-22T10:00:00Z","window":"20.044s","usage":{"cpu":"1523456789n","memory":"14237852Ki"}},
 {"metadata":{"name":"usage-node-gone","creationTimestamp":"2026-11-22T10:00:05Z"},
  "timestamp":"2026-11-22T10:00:00Z","window":"20.044s","usage":{"cpu":"100m","memory":"1Gi"}}]}`

const podMetricsJSON = `{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[
 {"metadata":{"name":"web-1","namespace":"usage","creationTimestamp":"2026-11-22T10:00:05Z"},
  "timestamp":"2026-11-22T10:00:00Z","window":"15.012s","containers":[
   {"name":"web","usage":{"cpu":"250m","memory":"200Mi"}},
   {"name":"proxy","usage":{"cpu":"12500000n","memory":"56Mi"}}]},
 {"metadata":{"name":"ghost","namespace":"usage","creationTimestamp":"2026-11-22T10:00:05Z"},
  "timestamp":"2026-11-22T10:00:00Z","window":"15.012s","containers":[{"name":"c","usage":{"cpu":"1","memory":"1Gi"}}]}]}`

// metricsServer serves NodeMetrics and PodMetrics lists; while failing is
// set it answers 500.
func metricsServer(t *testing.T, failing *atomic.Bool) metricsclient.Interface {
	t.Helper()
	mux := http.NewServeMux()
	serve := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if failing.Load() {
				http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"unable to fetch metrics","reason":"InternalError","code":500}`, http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}
	}
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/nodes", serve(nodeMetricsJSON))
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/pods", serve(podMetricsJSON))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mc, err := metricsclient.NewForConfig(&rest.Config{Host: srv.URL})
	require.NoError(t, err)
	return mc
}

func TestUsageFromMetricsAPI(t *testing.T) {
	kube, _ := kubeClient(t)
	ctx := context.Background()
	const ns = "usage"
	namespace(t, kube, ns)
	_, err := kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "usage-node-1"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = kube.CoreV1().Nodes().Delete(ctx, "usage-node-1", metav1.DeleteOptions{}) })
	_, err = kube.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1"},
		Spec: podSpec(ctr("web", "", "", "", ""), ctr("proxy", "", "", "", ""))}, metav1.CreateOptions{})
	require.NoError(t, err)

	var failing atomic.Bool
	r := start(t, cluster.Config{MetricsAPI: true, MetricsInterval: time.Second}, kube, metricsServer(t, &failing))
	require.Equal(t, 1.0, sourceUp(t, r.metrics, cluster.MetricsSource))

	// Usage only for objects in the cache: not usage-node-gone, not ghost.
	const (
		nodeUsage = `vigil_cluster_node_cpu_usage_cores{node="usage-node-1"} 1.523456789`
		nodeMem   = `vigil_cluster_node_memory_usage_bytes{node="usage-node-1"} 14579560448`
		podCPU    = `vigil_cluster_pod_cpu_usage_cores{namespace="usage",pod="web-1"} 0.2625`
		podMem    = `vigil_cluster_pod_memory_usage_bytes{namespace="usage",pod="web-1"} 268435456`
	)
	usageOnly := func() []string {
		var out []string
		for _, s := range samples(t, scrape(t, r.c), nil) {
			if strings.Contains(s, "_usage_") {
				out = append(out, s)
			}
		}
		return out
	}
	require.Eventually(t, func() bool { return len(usageOnly()) == 4 }, 15*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{nodeUsage, nodeMem, podCPU, podMem}, usageOnly())

	// metrics.k8s.io fails: the source goes down, the last snapshot stays,
	// everything else still renders.
	failing.Store(true)
	require.Eventually(t, func() bool { return sourceUp(t, r.metrics, cluster.MetricsSource) == 0 }, 15*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{nodeUsage, nodeMem, podCPU, podMem}, usageOnly())
	all := samples(t, scrape(t, r.c), map[string]string{"namespace": ns})
	require.Contains(t, all, `vigil_cluster_pod_info{namespace="usage",node="",owner_kind="",owner_name="",pod="web-1"} 1`)
	require.Contains(t, samples(t, scrape(t, r.c), nil), `vigil_cluster_apiserver_up{} 1`)

	// A deleted pod's usage goes with it, though the snapshot still has it.
	zero := int64(0)
	require.NoError(t, kube.CoreV1().Pods(ns).Delete(ctx, "web-1", metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	require.Eventually(t, func() bool { return len(usageOnly()) == 2 }, 15*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{nodeUsage, nodeMem}, usageOnly())

	// Three refresh intervals without a success: the old numbers are no
	// longer served as current.
	require.Eventually(t, func() bool { return len(usageOnly()) == 0 }, 15*time.Second, 50*time.Millisecond)
}

// TestMissingMetricsAPIIsExplained: an API server without metrics.k8s.io
// answers 404 on every refresh (no metrics-server); the source fails with
// reason not_found and an error that says what to install or disable, which
// the VigilSourceNeverSucceeded ticket points to.
func TestMissingMetricsAPIIsExplained(t *testing.T) {
	kube, _ := kubeClient(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		// What kube-apiserver answers for a group it does not serve.
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mc, err := metricsclient.NewForConfig(&rest.Config{Host: srv.URL})
	require.NoError(t, err)

	r := start(t, cluster.Config{MetricsAPI: true, MetricsInterval: time.Second}, kube, mc)
	var st source.Status
	require.Eventually(t, func() bool {
		for _, s := range r.group.Statuses() {
			if s.Name == cluster.MetricsSource && s.Attempted {
				st = s
				return true
			}
		}
		return false
	}, 15*time.Second, 20*time.Millisecond)
	require.False(t, st.Up)
	require.Equal(t, source.ReasonNotFound, st.LastReason)
	require.True(t, st.LastSuccess.IsZero(), "never succeeded")
}
