package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/vigil-monitoring/vigil/alerts"
	"github.com/vigil-monitoring/vigil/deploy"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// The committed generated files are exactly what the generator makes of
// today's alerts/ and dashboards/.
func TestGeneratedFilesAreInStep(t *testing.T) {
	root := testenv.RepoRoot()
	files, err := deploy.Generate(root)
	if err != nil {
		t.Fatalf("generating: %v", err)
	}
	stale, err := deploy.Stale(root, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Fatalf("%s is out of step with alerts/*.yml and dashboards/*.json: run make generate (go run ./deploy/gen)\n  %s",
			deploy.GeneratedDir, strings.Join(stale, "\n  "))
	}
}

// The built PrometheusRule holds every group of every rule file, in
// file-name order, with its rules unchanged.
func TestPrometheusRuleHoldsEveryRuleGroup(t *testing.T) {
	root := testenv.RepoRoot()
	paths, _ := filepath.Glob(filepath.Join(root, "alerts", "*.yml"))
	var want []any
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var file map[string]any
		if err := yaml.Unmarshal(data, &file); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if groups, ok := file["groups"].([]any); ok {
			want = append(want, groups...)
		}
	}
	rule := find(t, build(t, overlayDir("production")), "PrometheusRule", "vigil")
	got, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	wantJSON, _ := yaml.Marshal(want)
	gotJSON, _ := yaml.Marshal(got)
	if string(wantJSON) != string(gotJSON) {
		t.Errorf("PrometheusRule groups differ from alerts/*.yml (run make generate):\n--- want\n%s\n--- got\n%s", wantJSON, gotJSON)
	}
}

// writeRepo makes a minimal repository under a temporary directory.
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestGenerateOrdersGroupsAndSkipsUnitTests(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"alerts/b.yml":      "groups:\n  - name: b1\n    rules:\n      - alert: B\n        expr: |\n          up\n          == 0\n",
		"alerts/a.yml":      "# comment\ngroups:\n  - name: a1\n    rules:\n      - record: a:up\n        expr: up\n  - name: a2\n    rules: []\n",
		"alerts/a.test.yml": "rule_files: [a.yml]\ntests: []\n",
		"alerts/notes.md":   "not a rule file",
	})
	files, err := deploy.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Kind string
		Spec struct {
			Groups []struct {
				Name  string
				Rules []map[string]any
			}
		}
	}
	if err := yaml.Unmarshal(files["prometheusrule.yaml"], &rule); err != nil {
		t.Fatalf("generated PrometheusRule does not parse: %v\n%s", err, files["prometheusrule.yaml"])
	}
	var names []string
	for _, g := range rule.Spec.Groups {
		names = append(names, g.Name)
	}
	if rule.Kind != "PrometheusRule" || strings.Join(names, ",") != "a1,a2,b1" {
		t.Fatalf("kind %q groups %v, want PrometheusRule with a1,a2,b1\n%s", rule.Kind, names, files["prometheusrule.yaml"])
	}
	if expr := rule.Spec.Groups[2].Rules[0]["expr"]; expr != "up\n== 0\n" {
		t.Errorf("multi-line expr = %q, want it unchanged", expr)
	}
	if strings.Contains(string(files["kustomization.yaml"]), "configMapGenerator") {
		t.Errorf("no dashboards, yet the kustomization generates ConfigMaps:\n%s", files["kustomization.yaml"])
	}

	// Write then Stale: in step; a change to a source makes it stale again.
	if err := os.MkdirAll(filepath.Join(root, "deploy", "base", "generated", "dashboards"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, deploy.GeneratedDir, "dashboards", "old.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if stale, _ := deploy.Stale(root, files); len(stale) != 3 {
		t.Errorf("before writing, stale = %v, want 2 missing and 1 no longer generated", stale)
	}
	if err := deploy.Write(root, files); err != nil {
		t.Fatal(err)
	}
	if stale, err := deploy.Stale(root, files); err != nil || len(stale) != 0 {
		t.Fatalf("after writing, stale = %v (%v)", stale, err)
	}
	if err := os.WriteFile(filepath.Join(root, "alerts", "b.yml"), []byte("groups:\n  - name: b2\n    rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files2, err := deploy.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	if stale, _ := deploy.Stale(root, files2); len(stale) != 1 || !strings.HasPrefix(stale[0], "prometheusrule.yaml") {
		t.Errorf("after changing alerts/b.yml, stale = %v, want prometheusrule.yaml", stale)
	}
}

func TestGenerateRejectsBadRuleFiles(t *testing.T) {
	cases := map[string]struct {
		files map[string]string
		want  string
	}{
		"no groups":       {map[string]string{"alerts/x.yml": "rules: []\n"}, "alerts/x.yml:1: no `groups:` key"},
		"groups not list": {map[string]string{"alerts/x.yml": "groups: {}\n"}, "alerts/x.yml:1: `groups` is not a list"},
		"bad yaml":        {map[string]string{"alerts/x.yml": "groups: [\n"}, "alerts/x.yml: yaml:"},
		"nameless group":  {map[string]string{"alerts/x.yml": "groups:\n  - rules: []\n"}, "alerts/x.yml:2: a group has no name"},
		"duplicate group": {map[string]string{"alerts/x.yml": "groups:\n  - name: g\n", "alerts/y.yml": "groups:\n  - name: g\n"}, `alerts/y.yml:2: group "g" is also defined in alerts/x.yml`},
		"bad dashboard":   {map[string]string{"dashboards/o.json": "{"}, "dashboards/o.json: not valid JSON"},
		"dashboard clash": {map[string]string{"dashboards/A.json": "{}", "dashboards/a.json": "{}"}, "both become ConfigMap vigil-dashboard-a"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := deploy.Generate(writeRepo(t, tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// Dashboards become ConfigMaps the Grafana sidecar picks up, one per file,
// with the JSON byte for byte; the generated kustomization builds.
func TestDashboardConfigMaps(t *testing.T) {
	overview := `{"title": "Vigil overview", "uid": "vigil-overview", "panels": []}`
	root := writeRepo(t, map[string]string{
		"alerts/a.yml":                   "groups: []\n",
		"dashboards/overview.json":       overview,
		"dashboards/Cluster_Health.json": `{"title": "Cluster"}`,
	})
	files, err := deploy.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := deploy.Write(root, files); err != nil {
		t.Fatal(err)
	}
	objs := build(t, filepath.Join(root, deploy.GeneratedDir))
	var cms []string
	for _, o := range objs {
		if o.GetKind() != "ConfigMap" {
			continue
		}
		cms = append(cms, o.GetName())
		if o.GetLabels()["grafana_dashboard"] != "1" {
			t.Errorf("ConfigMap %s labels = %v, want grafana_dashboard: \"1\"", o.GetName(), o.GetLabels())
		}
		if o.GetName() == "vigil-dashboard-overview" {
			if got := str(t, o, "data", "overview.json"); got != overview {
				t.Errorf("overview.json = %q, want the dashboard unchanged", got)
			}
		}
	}
	if strings.Join(cms, ",") != "vigil-dashboard-cluster-health,vigil-dashboard-overview" {
		t.Errorf("dashboard ConfigMaps = %v", cms)
	}
}

// The runbook URL pattern of deploy/gen.yaml rewrites every runbook_url of
// the PrometheusRule; without the file, the links stay on this repository's
// runbook files.
func TestRunbookURLPattern(t *testing.T) {
	rule := "groups:\n  - name: g\n    rules:\n      - alert: KubePodCrashLooping\n        expr: up == 0\n        annotations:\n          summary: s\n          runbook_url: " +
		alerts.RunbookBaseURL + "kube-pod-crash-looping.md\n      - record: r\n        expr: up\n"
	runbookURL := func(t *testing.T, files map[string][]byte) string {
		t.Helper()
		var pr struct {
			Spec struct {
				Groups []struct {
					Rules []struct {
						Annotations map[string]string `json:"annotations"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(files["prometheusrule.yaml"], &pr); err != nil {
			t.Fatal(err)
		}
		return pr.Spec.Groups[0].Rules[0].Annotations["runbook_url"]
	}

	files, err := deploy.Generate(writeRepo(t, map[string]string{"alerts/a.yml": rule}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runbookURL(t, files), "https://github.com/vigil-monitoring/vigil/blob/main/alerts/runbooks/kube-pod-crash-looping.md"; got != want {
		t.Errorf("default runbook_url = %q, want %q", got, want)
	}

	files, err = deploy.Generate(writeRepo(t, map[string]string{
		"alerts/a.yml":      rule,
		deploy.SettingsFile: "runbookURLPattern: https://wiki.example.internal/ops/vigil/%s\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runbookURL(t, files), "https://wiki.example.internal/ops/vigil/kube-pod-crash-looping"; got != want {
		t.Errorf("runbook_url with the pattern = %q, want %q", got, want)
	}

	for name, tc := range map[string]struct{ files map[string]string }{
		"no %s":           {map[string]string{"alerts/a.yml": rule, deploy.SettingsFile: "runbookURLPattern: https://wiki.example/runbook\n"}},
		"two verbs":       {map[string]string{"alerts/a.yml": rule, deploy.SettingsFile: "runbookURLPattern: https://wiki.example/%s/%d\n"}},
		"relative":        {map[string]string{"alerts/a.yml": rule, deploy.SettingsFile: "runbookURLPattern: runbooks/%s.md\n"}},
		"unknown setting": {map[string]string{"alerts/a.yml": rule, deploy.SettingsFile: "runbookURLPatern: https://wiki.example/%s\n"}},
		"foreign runbook": {map[string]string{"alerts/a.yml": strings.Replace(rule, alerts.RunbookBaseURL, "https://elsewhere.example/", 1)}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := deploy.Generate(writeRepo(t, tc.files)); err == nil {
				t.Fatal("Generate accepted it")
			} else {
				t.Log(err)
			}
		})
	}

	// The committed settings are the default, so the committed PrometheusRule
	// links to the runbook files that exist here.
	s, err := deploy.LoadSettings(testenv.RepoRoot())
	if err != nil || s.RunbookURLPattern != deploy.DefaultRunbookURLPattern {
		t.Errorf("committed %s: pattern %q (%v), want the default %q", deploy.SettingsFile, s.RunbookURLPattern, err, deploy.DefaultRunbookURLPattern)
	}
}
