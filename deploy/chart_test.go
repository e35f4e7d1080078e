package deploy_test

import (
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-monitoring/vigil/deploy"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// The chart's copies of the rules and dashboards are what make generate
// writes from alerts/ and dashboards/ now.
func TestChartFilesAreInStep(t *testing.T) {
	root := testenv.RepoRoot()
	files, err := deploy.GenerateChart(root)
	if err != nil {
		t.Fatal(err)
	}
	stale, err := deploy.StaleDir(filepath.Join(root, deploy.ChartFilesDir), files)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("%s is out of step with alerts/ and dashboards/: %s; run make generate", deploy.ChartFilesDir, strings.Join(stale, ", "))
	}
}

// The chart's rules are the kustomize PrometheusRule's groups, with every
// runbook_url as the marker the chart's template replaces.
func TestChartRulesAreThePrometheusRulesGroups(t *testing.T) {
	root := testenv.RepoRoot()
	chart, err := deploy.GenerateChart(root)
	if err != nil {
		t.Fatal(err)
	}
	pattern := "https://wiki.example/vigil/%s"
	kustomize, err := deploy.GenerateWith(root, deploy.Settings{RunbookURLPattern: pattern})
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Spec struct {
			Groups []map[string]any `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(kustomize["prometheusrule.yaml"], &rule); err != nil {
		t.Fatal(err)
	}
	// What the chart's template does with the pattern.
	text := string(chart["rules.yaml"])
	marker := strings.Replace(deploy.ChartRunbookMarker, "%s", "", 1)
	if n := strings.Count(text, "runbook_url: "+marker); n == 0 || n != strings.Count(text, "runbook_url:") {
		t.Fatalf("rules.yaml: %d of %d runbook_url values are %s<name>", n, strings.Count(text, "runbook_url:"), marker)
	}
	text = strings.ReplaceAll(text, marker, strings.Replace(pattern, "%s", "", 1))
	var groups struct {
		Groups []map[string]any `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(text), &groups); err != nil {
		t.Fatal(err)
	}
	want, _ := yaml.Marshal(rule.Spec.Groups)
	got, _ := yaml.Marshal(groups.Groups)
	if len(groups.Groups) == 0 || string(got) != string(want) {
		t.Errorf("the chart's rule groups differ from the PrometheusRule's (%d groups, want %d)", len(groups.Groups), len(rule.Spec.Groups))
	}
	for name, data := range chart {
		if strings.HasPrefix(name, "dashboards/") && string(data) != string(kustomize[name]) {
			t.Errorf("chart dashboard %s differs from deploy/base/generated/%s", name, name)
		}
	}
}
