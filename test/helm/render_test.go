// Package helm_test tests the Helm chart charts/vigil with Helm's own Go
// library (what `helm lint` and `helm template` run), against the main
// module's collector registry and configuration parser, and dry-runs the
// rendered objects into a real kube-apiserver.
package helm_test

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// Release name and namespace of every rendering: the names deploy/ uses, so
// the objects compare with the kustomize base.
const (
	releaseName = "vigil"
	namespace   = "vigil"
)

func chartDir() string { return filepath.Join(testenv.RepoRoot(), "charts", "vigil") }

// render returns what `helm template vigil charts/vigil -n vigil -f
// valuesFiles...` prints: the manifest, in Helm's install order.
func render(t testing.TB, valuesFiles ...string) string {
	t.Helper()
	out, err := renderErr(valuesFiles, nil)
	if err != nil {
		t.Fatalf("rendering the chart with %v: %v", valuesFiles, err)
	}
	return out
}

// renderErr renders with the values of valuesFiles, then set on top.
func renderErr(valuesFiles []string, set map[string]any) (string, error) {
	chrt, err := loader.Load(chartDir())
	if err != nil {
		return "", err
	}
	vals := map[string]any{}
	for _, f := range valuesFiles {
		v, err := chartutil.ReadValuesFile(f)
		if err != nil {
			return "", err
		}
		vals = chartutil.CoalesceTables(v.AsMap(), vals)
	}
	vals = chartutil.CoalesceTables(set, vals)

	// As `helm template` sets up its install: client only, nothing stored.
	cfg := &action.Configuration{
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Releases:     storage.Init(driver.NewMemory()),
		Capabilities: chartutil.DefaultCapabilities,
		Log:          func(string, ...any) {},
	}
	install := action.NewInstall(cfg)
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = releaseName
	install.Namespace = namespace
	// The version of the API server the dry run uses (Helm's default comes
	// from build information a test binary lacks).
	kv, err := chartutil.ParseKubeVersion(testenv.KubeVersion)
	if err != nil {
		return "", err
	}
	install.KubeVersion = kv
	rel, err := install.Run(chrt, vals)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(rel.Manifest)
	for _, h := range rel.Hooks {
		b.WriteString("---\n# Source: " + h.Path + "\n" + h.Manifest + "\n")
	}
	return b.String(), nil
}

// objects splits a rendered manifest into objects.
func objects(t testing.TB, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(manifest, "\n---") {
		if strings.TrimSpace(stripComments(doc)) == "" || strings.TrimSpace(doc) == "---" {
			continue
		}
		doc = strings.TrimPrefix(strings.TrimSpace(doc), "---")
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("rendered document does not parse: %v\n%s", err, doc)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: jsonNumbers(t, m)})
	}
	return objs
}

// jsonNumbers round-trips through JSON so numbers are int64 as client-go expects.
func jsonNumbers(t testing.TB, m map[string]any) map[string]any {
	t.Helper()
	data, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u.Object
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// find returns the only object of kind named name.
func find(t testing.TB, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s %s, found %d", kind, name, len(found))
	}
	return found[0]
}

func kinds(objs []*unstructured.Unstructured) map[string]int {
	k := map[string]int{}
	for _, o := range objs {
		k[o.GetKind()]++
	}
	return k
}
