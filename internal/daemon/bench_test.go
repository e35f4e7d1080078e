package daemon_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// BenchmarkScrape measures a whole /metrics request on the sandbox, with all
// upstreams answering and with the API server probe and metrics.k8s.io
// hanging forever: the scrape must cost the same, since it reads snapshots.
func BenchmarkScrape(b *testing.B) {
	b.Run("upstreams=healthy", func(b *testing.B) { benchScrape(b, false) })
	b.Run("upstreams=hanging", func(b *testing.B) { benchScrape(b, true) })
}

func benchScrape(b *testing.B, hang bool) {
	block := make(chan struct{})
	defer close(block)
	if hang {
		restore := daemon.SetSandboxClients(func() (kubernetes.Interface, metricsclient.Interface) {
			kube, metrics := sandbox.Cluster()
			hangs := func(k8stesting.Action) (bool, runtime.Object, error) { <-block; return true, nil, nil }
			kube.(*fake.Clientset).Discovery().(*fakediscovery.FakeDiscovery).PrependReactor("*", "*", hangs)
			metrics.(*metricsfake.Clientset).PrependReactor("*", "*", hangs)
			return kube, metrics
		})
		defer restore()
	}
	r := start(b, daemon.Options{Sandbox: true})
	r.waitReady(b)
	h := r.d.Handler()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("scrape answered %d", w.Code)
		}
	}
}
