package helm_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// The service account's token is in the pod only while something reads the
// Kubernetes API with it: the kubernetes section in-cluster (or a
// bearer_token file that is the mounted token), expiry's TLS Secrets and
// velero backup targets without a kubeconfig, and --auto-shard. A Vigil
// that reads another cluster through a kubeconfig, or only probes and reads
// clouds, carries no credential for the cluster it runs in.
// serviceAccount.automountToken true or false overrides. The pod and the
// ServiceAccount say the same.
func TestServiceAccountToken(t *testing.T) {
	noKube := map[string]any{"kubernetes": nil, "access": map[string]any{"probes": []any{
		map[string]any{"name": "registry", "kind": "registry", "target": "https://vigil.cr.de-fra.ionos.com"}}}}
	withConfig := func(cfg map[string]any, more map[string]any) map[string]any {
		out := map[string]any{"config": cfg}
		for k, v := range more {
			out[k] = v
		}
		return out
	}
	elsewhere := map[string]any{"kubernetes": map[string]any{"kubeconfig": "/etc/vigil/kubeconfigs/production.yaml"}}
	for name, tc := range map[string]struct {
		set  map[string]any
		want bool
	}{
		"defaults: kubernetes in-cluster":  {nil, true},
		"kubernetes through a kubeconfig":  {withConfig(elsewhere, nil), false},
		"kubernetes by server and a token": {withConfig(map[string]any{"kubernetes": map[string]any{"server": "https://k8s.example:6443", "bearer_token": map[string]any{"env": "K8S_TOKEN"}}}, nil), false},
		"kubernetes by server and the pod's own token": {withConfig(map[string]any{"kubernetes": map[string]any{"server": "https://kubernetes.default.svc",
			"bearer_token": map[string]any{"file": "/var/run/secrets/kubernetes.io/serviceaccount/token"}}}, nil), true},
		"probes only": {withConfig(noKube, nil), false},
		"expiry TLS Secrets in-cluster": {withConfig(map[string]any{"kubernetes": nil,
			"expiry": map[string]any{"kubernetes_secrets": map[string]any{"namespaces": []any{"ingress-nginx"}}}}, nil), true},
		"expiry TLS Secrets through a kubeconfig": {withConfig(map[string]any{"kubernetes": nil,
			"expiry": map[string]any{"kubernetes_secrets": map[string]any{"namespaces": []any{"ingress-nginx"}, "kubeconfig": "/etc/vigil/kubeconfigs/production.yaml"}}}, nil), false},
		"velero in-cluster": {withConfig(map[string]any{"kubernetes": nil,
			"backup": map[string]any{"targets": []any{map[string]any{"name": "velero", "kind": "velero", "rpo": "24h"}}}}, nil), true},
		"sharded, kubernetes through a kubeconfig": {withConfig(elsewhere, map[string]any{"sharding": map[string]any{"enabled": true, "shards": 2}}), true},
		"forced off": {map[string]any{"serviceAccount": map[string]any{"automountToken": false}}, false},
		"forced on":  {withConfig(noKube, map[string]any{"serviceAccount": map[string]any{"automountToken": true}}), true},
	} {
		t.Run(name, func(t *testing.T) {
			objs := renderSet(t, tc.set)
			workload := "Deployment"
			if kinds(objs)["StatefulSet"] == 1 {
				workload = "StatefulSet"
			}
			pod, _, _ := unstructured.NestedBool(find(t, objs, workload, "vigil").Object, "spec", "template", "spec", "automountServiceAccountToken")
			if pod != tc.want {
				t.Errorf("pod automountServiceAccountToken = %v, want %v", pod, tc.want)
			}
			if sa, _, _ := unstructured.NestedBool(find(t, objs, "ServiceAccount", "vigil").Object, "automountServiceAccountToken"); sa != pod {
				t.Errorf("ServiceAccount automountServiceAccountToken = %v, the pod's %v", sa, pod)
			}
		})
	}
}

// telemetryPath is both Vigil's --web.telemetry-path and the path the
// ServiceMonitor scrapes, default /metrics (the exporter's own default),
// and the flag is one the exporter declares.
func TestTelemetryPath(t *testing.T) {
	main, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "cmd", "exporter", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range []string{`app.Flag("web.telemetry-path",`, `app.Flag("auto-shard",`, `Envar("POD_NAME")`, `Envar("POD_NAMESPACE")`} {
		if !strings.Contains(string(main), decl) {
			t.Errorf("cmd/exporter/main.go no longer declares %s, which the chart passes", decl)
		}
	}
	for path, set := range map[string]map[string]any{
		"/metrics":       nil,
		"/vigil/metrics": {"telemetryPath": "/vigil/metrics"},
	} {
		objs := renderSet(t, set)
		args, _, _ := unstructured.NestedStringSlice(container(t, find(t, objs, "Deployment", "vigil")), "args")
		if !slices.Contains(args, "--web.telemetry-path="+path) {
			t.Errorf("args %v: want --web.telemetry-path=%s", args, path)
		}
		if got := endpoint(t, find(t, objs, "ServiceMonitor", "vigil"))["path"]; got != path {
			t.Errorf("ServiceMonitor path = %v, want %s, where Vigil serves", got, path)
		}
	}
}
