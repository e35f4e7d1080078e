package helm_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// A real Prometheus scrapes three shards with the sharded ServiceMonitor's
// settings (its relabelings after the operator's job, as the operator
// writes the scrape config, each shard with the target labels the operator
// gives pod vigil-<i>): every shard is a target of its own (three up
// series, instance vigil/vigil-<i>), the shards' disjoint series all
// arrive, and the self-metrics stay apart by their shard label.
func TestShardsScrapeApart(t *testing.T) {
	prometheus := testenv.Tool(t, "prometheus", "tools")
	const shards = 3
	ep := endpoint(t, find(t, renderSet(t, sharded(shards, nil)), "ServiceMonitor", "vigil"))
	path, _ := ep["path"].(string)
	honor, _ := ep["honorLabels"].(bool)
	relabelings, _ := ep["relabelings"].([]any)

	relabel := []map[string]any{{"action": "replace", "target_label": "job", "replacement": "vigil"}}
	for _, r := range relabelings {
		out := map[string]any{}
		for k, v := range r.(map[string]any) {
			out[snake(k)] = v
		}
		relabel = append(relabel, out)
	}
	var targets []map[string]any
	for i := range shards {
		// What shard i exports: its own pod, and its self-metric.
		exposition := fmt.Sprintf(`# TYPE vigil_source_up gauge
vigil_source_up{shard="%d",source="cluster"} 1
# TYPE vigil_cluster_pod_phase gauge
vigil_cluster_pod_phase{cluster="production",environment="production",namespace="shop",phase="Running",pod="checkout-%d"} 1
`, i, i)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			_, _ = io.WriteString(w, exposition)
		}))
		t.Cleanup(srv.Close)
		pod := fmt.Sprintf("vigil-%d", i)
		targets = append(targets, map[string]any{
			"targets": []string{strings.TrimPrefix(srv.URL, "http://")},
			"labels": map[string]string{
				"namespace": namespace, "service": "vigil", "pod": pod, "container": "vigil", "endpoint": "http-metrics",
				"__meta_kubernetes_namespace": namespace, "__meta_kubernetes_service_name": "vigil", "__meta_kubernetes_pod_name": pod,
			},
		})
	}
	cfg, err := yaml.Marshal(map[string]any{
		"global": map[string]any{"scrape_interval": "1s"},
		"scrape_configs": []any{map[string]any{
			"job_name": "serviceMonitor/vigil/vigil/0", "honor_labels": honor, "metrics_path": path,
			"static_configs": targets, "relabel_configs": relabel,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := testenv.StartPrometheus(t, prometheus, cfg)

	var up []promSample
	testenv.WaitFor(t, "three scraped targets", func() error {
		up = query(t, base, `up{job="vigil"} == 1`)
		if len(up) < shards {
			return fmt.Errorf("up{job=\"vigil\"} == 1: %v", up)
		}
		return nil
	})
	if len(up) != shards {
		t.Errorf("up{job=\"vigil\"}: %v, want one series per shard", up)
	}
	instances := map[string]bool{}
	for _, s := range up {
		instances[s.Metric["instance"]] = true
	}
	for i := range shards {
		if !instances[fmt.Sprintf("%s/vigil-%d", namespace, i)] {
			t.Errorf("no target with instance %s/vigil-%d (have %v)", namespace, i, instances)
		}
	}
	testenv.WaitFor(t, "every shard's series", func() error {
		if n := len(query(t, base, `vigil_cluster_pod_phase`)); n != shards {
			return fmt.Errorf("%d vigil_cluster_pod_phase series, want %d (one pod per shard)", n, shards)
		}
		if n := len(query(t, base, `count by (shard) (vigil_source_up)`)); n != shards {
			return fmt.Errorf("vigil_source_up of %d shards, want %d", n, shards)
		}
		return nil
	})
	for _, s := range query(t, base, `{__name__=~"vigil_.+"}`) {
		for name := range s.Metric {
			if strings.HasPrefix(name, "exported_") || name == "pod" && !strings.HasPrefix(s.Metric["pod"], "checkout-") {
				t.Errorf("series %v: a target label overwrote one of Vigil's", s.Metric)
			}
		}
	}
}

type promSample struct {
	Metric map[string]string `json:"metric"`
}

// query runs an instant query; an unreachable Prometheus (still starting)
// is an empty answer.
func query(t *testing.T, base, q string) []promSample {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promSample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil
	}
	if body.Status != "success" {
		t.Fatalf("query %s: %s", q, body.Error)
	}
	return body.Data.Result
}

var upper = regexp.MustCompile(`[A-Z]`)

// snake turns a ServiceMonitor relabeling field (sourceLabels) into
// Prometheus' (source_labels).
func snake(s string) string {
	return upper.ReplaceAllStringFunc(s, func(u string) string { return "_" + strings.ToLower(u) })
}
