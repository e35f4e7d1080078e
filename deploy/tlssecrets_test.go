package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/vigil-monitoring/vigil/collectors/expiry"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
)

// enabledConfig is the overlay's vigil.yml with its tls-secrets block
// uncommented, as the component's instructions say to do.
func enabledConfig(t testing.TB, overlay string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(overlayDir(overlay), "vigil.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in, found := false, false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "# >>> tls-secrets":
			in, found = true, true
		case line == "# <<< tls-secrets":
			in = false
		case in:
			if !strings.HasPrefix(line, "# ") {
				t.Fatalf("overlays/%s/vigil.yml: line %q of the tls-secrets block is not commented with \"# \"", overlay, line)
			}
			out = append(out, strings.TrimPrefix(line, "# "))
		default:
			out = append(out, line)
		}
	}
	if !found || in {
		t.Fatalf("overlays/%s/vigil.yml has no complete tls-secrets block (# >>> tls-secrets ... # <<< tls-secrets)", overlay)
	}
	return strings.Join(out, "\n")
}

// withTLSSecrets builds an overlay that adds the tls-secrets component and
// enables the expiry section of the overlay's vigil.yml, as a user would.
func withTLSSecrets(t testing.TB, overlay string) []*unstructured.Unstructured {
	t.Helper()
	dir := t.TempDir()
	rel := func(to string) string {
		r, err := filepath.Rel(dir, to)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.ToSlash(r)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + rel(overlayDir(overlay)) +
		"\ncomponents:\n  - " + rel(componentDir("tls-secrets")) +
		"\nconfigMapGenerator:\n  - name: vigil-config\n    namespace: vigil\n    behavior: replace\n    files:\n      - vigil.yml\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vigil.yml"), []byte(enabledConfig(t, overlay)), 0o644); err != nil {
		t.Fatal(err)
	}
	return build(t, dir)
}

// secretsNamespaces parses the built vigil.yml as the daemon does and
// returns the namespaces whose TLS Secrets the expiry collector reads (nil
// when it reads none).
func secretsNamespaces(t testing.TB, objs []*unstructured.Unstructured) []string {
	t.Helper()
	cm := find(t, objs, "ConfigMap", "vigil-config-")
	cfg, err := config.Parse([]byte(str(t, cm, "data", "vigil.yml")), "vigil.yml", collector.Sections())
	if err != nil {
		t.Fatalf("the built vigil.yml does not validate: %v", err)
	}
	sec, ok := cfg.Sections["expiry"].(*expiry.Section)
	if !ok || sec == nil || sec.KubernetesSecrets == nil {
		return nil
	}
	return slices.Sorted(slices.Values(sec.KubernetesSecrets.Namespaces))
}

// The tls-secrets component grants reading Secrets per namespace only: a
// Role and a RoleBinding to Vigil's service account in each namespace the
// enabled vigil.yml lists, and exactly those; no ClusterRole gains
// anything on Secrets. Without the component, Vigil reads no Secret and
// its config lists none (opt-in).
func TestTLSSecretsComponent(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.name, func(t *testing.T) {
			plain := build(t, overlayDir(ov.name))
			if ns := secretsNamespaces(t, plain); ns != nil {
				t.Errorf("overlays/%s/vigil.yml reads TLS Secrets in %v without the component: reading Secrets is opt-in", ov.name, ns)
			}
			for _, o := range plain {
				if o.GetKind() == "Role" || o.GetKind() == "RoleBinding" {
					t.Errorf("overlay %s has %s %s/%s without the component", ov.name, o.GetKind(), o.GetNamespace(), o.GetName())
				}
			}

			objs := withTLSSecrets(t, ov.name)
			want := secretsNamespaces(t, objs)
			if len(want) == 0 {
				t.Fatalf("the enabled vigil.yml of %s lists no namespace under expiry.kubernetes_secrets", ov.name)
			}
			roles := map[string]*unstructured.Unstructured{}
			bindings := map[string]*unstructured.Unstructured{}
			for _, o := range objs {
				switch o.GetKind() {
				case "Role":
					if roles[o.GetNamespace()] != nil {
						t.Errorf("two Roles in namespace %s", o.GetNamespace())
					}
					roles[o.GetNamespace()] = o
				case "RoleBinding":
					bindings[o.GetNamespace()] = o
				case "ClusterRole":
					for g := range grantsOf(o) {
						if strings.HasPrefix(g, "core/secrets ") || strings.Contains(g, "*") {
							t.Errorf("ClusterRole %s grants %q: Secrets are read per namespace only", o.GetName(), g)
						}
					}
				}
			}
			got := slices.Sorted(func(yield func(string) bool) {
				for ns := range roles {
					if !yield(ns) {
						return
					}
				}
			})
			if !slices.Equal(got, want) {
				t.Errorf("Roles in namespaces %v, but vigil.yml's expiry.kubernetes_secrets.namespaces is %v: they must be the same", got, want)
			}
			for ns, role := range roles {
				if ns == "" || ns == "vigil" {
					t.Errorf("Role %s is in namespace %q, want the namespace whose Secrets it grants", role.GetName(), ns)
				}
				grants := sortedKeys(grantsOf(role))
				sort.Strings(grants)
				if strings.Join(grants, ", ") != "core/secrets list, core/secrets watch" {
					t.Errorf("Role %s/%s grants %v, want list and watch on secrets only", ns, role.GetName(), grants)
				}
				b := bindings[ns]
				if b == nil {
					t.Errorf("no RoleBinding in namespace %s", ns)
					continue
				}
				if str(t, b, "roleRef", "kind") != "Role" || str(t, b, "roleRef", "name") != role.GetName() {
					t.Errorf("RoleBinding %s/%s refers to %s %s, want Role %s", ns, b.GetName(), str(t, b, "roleRef", "kind"), str(t, b, "roleRef", "name"), role.GetName())
				}
				subjects, _, _ := unstructured.NestedSlice(b.Object, "subjects")
				if len(subjects) != 1 || subjects[0].(map[string]any)["kind"] != "ServiceAccount" || subjects[0].(map[string]any)["name"] != "vigil" || subjects[0].(map[string]any)["namespace"] != "vigil" {
					t.Errorf("RoleBinding %s/%s subjects = %v, want ServiceAccount vigil/vigil", ns, b.GetName(), subjects)
				}
			}
			if len(bindings) != len(roles) {
				t.Errorf("%d RoleBindings for %d Roles", len(bindings), len(roles))
			}
		})
	}
}
