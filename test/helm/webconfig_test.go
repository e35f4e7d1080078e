package helm_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// componentPatches returns the JSON6902 operations of the kustomize
// component deploy/components/<name> by target kind: path -> value.
// Patches without a target (strategic merge) are left out.
func componentPatches(t *testing.T, name string) map[string]map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "components", name, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Patches []struct {
			Target struct{ Kind string } `json:"target"`
			Patch  string                `json:"patch"`
		} `json:"patches"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, p := range k.Patches {
		if p.Target.Kind == "" {
			continue
		}
		var ops []struct {
			Path  string `json:"path"`
			Value any    `json:"value"`
		}
		if err := yaml.Unmarshal([]byte(p.Patch), &ops); err != nil {
			t.Fatalf("deploy/components/%s: the %s patch: %v", name, p.Target.Kind, err)
		}
		out[p.Target.Kind] = map[string]any{}
		for _, op := range ops {
			out[p.Target.Kind][op.Path] = op.Value
		}
	}
	return out
}

// webConfig.enabled wires what deploy/components/web-config wires: the same
// scheme, TLS and basic auth settings on the ServiceMonitor, the same Secret
// keys mounted into Vigil (not the CA or the plaintext password), the same
// TCP probes.
func TestWebConfigMatchesTheKustomizeComponent(t *testing.T) {
	want := componentPatches(t, "web-config")
	objs := objects(t, render(t, allValues))

	ep := endpoint(t, find(t, objs, "ServiceMonitor", "vigil"))
	for _, field := range []string{"scheme", "tlsConfig", "basicAuth"} {
		if g, w := norm(t, ep[field]), norm(t, want["ServiceMonitor"]["/spec/endpoints/0/"+field]); !reflect.DeepEqual(g, w) {
			t.Errorf("ServiceMonitor %s = %v, want the component's %v", field, g, w)
		}
	}

	dep := find(t, objs, "Deployment", "vigil")
	c := container(t, dep)
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		if g, w := norm(t, c[probe]), norm(t, want["Deployment"]["/spec/template/spec/containers/0/"+probe]); !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %v, want the component's %v", probe, g, w)
		}
	}
	vols, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "volumes")
	var got any
	for _, v := range vols {
		if v.(map[string]any)["name"] == "web-config" {
			got = v
		}
	}
	if g, w := norm(t, got), norm(t, want["Deployment"]["/spec/template/spec/volumes/-"]); !reflect.DeepEqual(g, w) {
		t.Errorf("web-config volume = %v, want the component's %v", g, w)
	}
}

// norm makes YAML-decoded values comparable (numbers as JSON numbers).
func norm(t *testing.T, v any) any {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := yaml.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
