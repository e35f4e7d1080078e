package deploy

import (
	"fmt"
	"strings"
)

// ChartFilesDir is where the Helm chart's generated files live, relative to
// the repository root: files/rules.yaml (the groups of alerts/*.yml) and
// files/dashboards/*.json (dashboards/*.json), read by the chart's templates
// with .Files. Helm reads no file outside the chart either, so they are
// copied in, committed and held in step by TestChartFilesAreInStep.
const ChartFilesDir = "charts/vigil/files"

// ChartRunbookMarker stands for each runbook_url in the chart's rules.yaml,
// %s being the runbook's name. The chart's prometheusrule.yaml replaces it
// with the value prometheusRule.runbookURLPattern, so the runbook links are
// a value of the release rather than of the generator.
const ChartRunbookMarker = "vigil-runbook:%s"

// GenerateChart returns every file that belongs in ChartFilesDir, keyed by
// its slash path relative to it, from the same sources and checks as
// Generate.
func GenerateChart(repoRoot string) (map[string][]byte, error) {
	kustomize, err := GenerateWith(repoRoot, Settings{RunbookURLPattern: DefaultRunbookURLPattern})
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for name, data := range kustomize {
		if strings.HasPrefix(name, "dashboards/") {
			files[name] = data
		}
	}
	groups, err := allRuleGroups(repoRoot, ChartRunbookMarker)
	if err != nil {
		return nil, err
	}
	head := fmt.Sprintf(header, "alerts/*.yml") +
		"# The spec of the chart's PrometheusRule; runbook_url is " + fmt.Sprintf(ChartRunbookMarker, "<name>") +
		",\n# which templates/prometheusrule.yaml turns into prometheusRule.runbookURLPattern.\n"
	rules, err := encodeYAML(head, mapping("groups", groups), "the chart's rule groups")
	if err != nil {
		return nil, err
	}
	files["rules.yaml"] = rules
	return files, nil
}
