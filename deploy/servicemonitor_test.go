package deploy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// What Vigil serves about pods of namespace shop (the exporter's own text
// format, as collectors/cluster renders it).
const vigilExposition = `# TYPE vigil_build_info gauge
vigil_build_info{branch="main",goarch="amd64",goos="linux",goversion="go1.27.3",revision="abc",tags="unknown",version="0.1.0"} 1
# TYPE vigil_cluster_pod_container_waiting gauge
vigil_cluster_pod_container_waiting{environment="production",cluster="ionos-production",namespace="shop",pod="checkout-7d9f8",container="app",reason="CrashLoopBackOff"} 1
# TYPE vigil_cluster_pod_container_restarts_total counter
vigil_cluster_pod_container_restarts_total{environment="production",cluster="ionos-production",namespace="shop",pod="checkout-7d9f8",container="app"} 7
# TYPE vigil_cluster_pod_unschedulable gauge
vigil_cluster_pod_unschedulable{environment="production",cluster="ionos-production",namespace="shop",pod="db-0",reason="Unschedulable"} 1
`

// The target labels the prometheus-operator gives every endpoint of a
// ServiceMonitor before the ServiceMonitor's own relabelings run: Vigil's
// own namespace, service, pod, container and endpoint, and job from the
// Service's name.
var operatorTargetLabels = map[string]string{
	"namespace": "vigil", "service": "vigil", "pod": "vigil-6c9f7b-x2x7q", "container": "vigil", "endpoint": "http-metrics",
	// Service discovery's meta labels, which relabelings may read.
	"__meta_kubernetes_namespace": "vigil", "__meta_kubernetes_service_name": "vigil",
	"__meta_kubernetes_pod_name": "vigil-6c9f7b-x2x7q",
}

// A real Prometheus scrapes with the ServiceMonitor's settings (labels,
// honorLabels, relabelings, as the operator turns them into a scrape
// config) and evaluates the real rules: the KubePod* alerts name the
// object's namespace, not Vigil's, and nothing is renamed exported_*.
func TestServiceMonitorKeepsTheObjectsNamespace(t *testing.T) {
	prometheus := testenv.Tool(t, "prometheus", "tools")
	sm := find(t, build(t, overlayDir("production")), "ServiceMonitor", "vigil")
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(eps) != 1 {
		t.Fatalf("ServiceMonitor has %d endpoints, want 1", len(eps))
	}
	ep := eps[0].(map[string]any)
	honor, _, _ := unstructured.NestedBool(ep, "honorLabels")
	path, _, _ := unstructured.NestedString(ep, "path")
	relabelings, _, _ := unstructured.NestedSlice(ep, "relabelings")

	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = io.WriteString(w, vigilExposition)
	}))
	t.Cleanup(exporter.Close)

	// The operator's relabelings first (job from the Service's name), then
	// the ServiceMonitor's, renamed to Prometheus' field names.
	relabel := []map[string]any{{"action": "replace", "target_label": "job", "replacement": "vigil"}}
	for _, r := range relabelings {
		out := map[string]any{}
		for k, v := range r.(map[string]any) {
			out[snake(k)] = v
		}
		relabel = append(relabel, out)
	}
	scrape := map[string]any{
		"job_name":     "serviceMonitor/vigil/vigil/0",
		"honor_labels": honor,
		"metrics_path": path,
		"static_configs": []map[string]any{{
			"targets": []string{strings.TrimPrefix(exporter.URL, "http://")},
			"labels":  operatorTargetLabels,
		}},
		"relabel_configs": relabel,
	}
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rules, []byte(compressedRules(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := yaml.Marshal(map[string]any{
		"global":         map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"},
		"rule_files":     []string{rules},
		"scrape_configs": []any{scrape},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := testenv.StartPrometheus(t, prometheus, cfg)
	client, err := api.NewClient(api.Config{Address: base})
	if err != nil {
		t.Fatal(err)
	}
	prom := promv1.NewAPI(client)
	series := func(q string) (model.Vector, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		v, _, _, err := prom.Query(ctx, q, time.Now())
		if err != nil {
			return nil, err
		}
		vec, _ := v.(model.Vector)
		return vec, nil
	}

	want := map[string]string{"KubePodCrashLooping": "checkout-7d9f8", "KubePodUnschedulable": "db-0"}
	testenv.WaitFor(t, "the KubePod* alerts to fire", func() error {
		for alert, pod := range want {
			vec, err := series(fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing"}`, alert))
			if err != nil {
				return err
			}
			if len(vec) != 1 {
				return fmt.Errorf("%s: %d firing series, want 1", alert, len(vec))
			}
			m := vec[0].Metric
			if m["namespace"] != "shop" || string(m["pod"]) != pod {
				t.Fatalf("%s carries namespace=%q pod=%q, want the object's namespace shop and pod %s (all labels: %v)", alert, m["namespace"], m["pod"], pod, m)
			}
		}
		return nil
	})

	// Nothing was renamed: a renamed label means a target label collided
	// with one of Vigil's and won.
	vec, err := series(`{__name__=~"vigil_.+", __name__!="vigil_build_info"}`)
	if err != nil || len(vec) == 0 {
		t.Fatalf("no Vigil series scraped (%v)", err)
	}
	for _, s := range vec {
		for name := range s.Metric {
			if strings.HasPrefix(string(name), "exported_") {
				t.Errorf("series %v has %s: a target label overwrote one of Vigil's", s.Metric, name)
			}
		}
		if s.Metric["service"] != "" || s.Metric["endpoint"] != "" {
			t.Errorf("series %v carries the target's service or endpoint", s.Metric)
		}
	}
	// VigilNotScraped and VigilMetricsAbsent select job="vigil": the
	// ServiceMonitor's job is that.
	if vec, err := series(`up{job="vigil"} == 1`); err != nil || len(vec) != 1 {
		t.Errorf("up{job=\"vigil\"}: %v (%v), want one target up", vec, err)
	}
	// instance names the Service, not the pod's address: a restarted Vigil
	// keeps every alert's identity (and its `for`).
	if vec, err := series(`vigil_cluster_pod_unschedulable`); err != nil || len(vec) == 0 || vec[0].Metric["instance"] != "vigil/vigil" {
		t.Errorf("instance of Vigil's series: %v (%v), want the stable vigil/vigil", vec, err)
	}
}

var upper = regexp.MustCompile(`[A-Z]`)

// snake turns a ServiceMonitor relabeling field (sourceLabels) into
// Prometheus' (source_labels).
func snake(s string) string {
	return upper.ReplaceAllStringFunc(s, func(u string) string { return "_" + strings.ToLower(u) })
}

// compressedRules returns the rule files of alerts/ merged into one, every
// `for:` set to 1s; expressions, labels and annotations unchanged.
func compressedRules(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "alerts", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in alerts/ (%v)", err)
	}
	forLine := regexp.MustCompile(`(?m)^(\s+)for:\s*\S+\s*$`)
	var groups []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := forLine.ReplaceAllString(string(b), "${1}for: 1s")
		i := strings.Index(text, "groups:")
		if i < 0 {
			t.Fatalf("%s has no groups", f)
		}
		groups = append(groups, strings.TrimRight(text[i+len("groups:"):], "\n"))
	}
	return "groups:" + strings.Join(groups, "\n") + "\n"
}
