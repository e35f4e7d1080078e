package statuspage

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// BenchmarkPageOverLargeScrape measures what the page adds to a scrape on
// a large cluster: a handler that only copies a scrape's worth of text
// (220,000 cluster series, the size of docs/benchmarks.md's 1,000-node,
// 30,000-pod figure, plus the page's own families) in the exposition
// Writer's 48 KiB chunks stands in for /metrics; the line filter, the parse
// of the kept families, the rows and the template are what is measured.
func BenchmarkPageOverLargeScrape(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("# HELP vigil_cluster_pod_info Pods.\n# TYPE vigil_cluster_pod_info gauge\n")
	for i := range 220_000 {
		fmt.Fprintf(&sb, "vigil_cluster_pod_info{environment=\"staging\",cluster=\"prod\",namespace=\"ns-%d\",pod=\"app-%d-7c9f8d6b5-x2k4q\",node=\"node-%d\",owner_kind=\"ReplicaSet\",owner_name=\"app-%d-7c9f8d6b5\"} 1\n",
			i%50, i, i%1000, i%5000)
	}
	sb.WriteString(scrape)
	text := []byte(sb.String())
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for p := text; len(p) > 0; {
			n := min(len(p), 48<<10)
			_, _ = w.Write(p[:n])
			p = p[n:]
		}
	})
	h := Handler(Options{Metrics: metrics, MetricsPath: "/metrics", Now: func() time.Time { return now },
		Sources: func() []source.Status { return statuses }})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("page answered %d: %s", w.Code, w.Body.String())
		}
	}
	b.ReportMetric(float64(len(text))/(1<<20), "MiB/scrape")
}
