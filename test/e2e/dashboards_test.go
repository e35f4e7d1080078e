package e2e_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/vigil-monitoring/vigil/dashboards"
)

// panelVariables stands in for Grafana's template variables: every
// environment and cluster, and a rate window the 1 s scrape fills.
var panelVariables = strings.NewReplacer(
	"$environment", ".*",
	"$cluster", ".*",
	"$__rate_interval", "30s",
)

// checkDashboardsOnTheSandbox evaluates every panel query of the generated
// dashboards in the real Prometheus that scrapes the sandbox. Every query
// must be accepted; the panels below must show the rows the sandbox's data
// gives them (a query can be valid PromQL and still show nothing, as an `or`
// between two sides with the same labels did for the Budgets table).
func checkDashboardsOnTheSandbox(t *testing.T, prom promv1.API) {
	t.Helper()
	var empty []string
	results := map[string]model.Vector{}
	doc, err := dashboards.Render()
	if err != nil {
		t.Fatalf("render dashboards: %v", err)
	}
	for _, board := range dashboards.All() {
		queries, err := dashboards.Queries(doc[board.File])
		if err != nil {
			t.Fatalf("%s: %v", board.File, err)
		}
		for _, q := range queries {
			if strings.HasPrefix(q.Where, "templating") {
				continue // label_values(): Grafana's, not PromQL
			}
			expr := panelVariables.Replace(q.Expr)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			v, _, _, err := prom.Query(ctx, expr, time.Now())
			cancel()
			if err != nil {
				t.Errorf("%s %s: Prometheus refused %q: %v", board.File, q.Where, expr, err)
				continue
			}
			vec, _ := v.(model.Vector)
			results[board.File+" "+q.Where] = vec
			if len(vec) == 0 {
				empty = append(empty, board.File+" "+q.Where)
			}
		}
	}
	sort.Strings(empty)
	t.Logf("%d panel queries show nothing on the sandbox (data it does not hold): %v", len(empty), empty)

	budgets := findPanel(t, doc, results, "money.json", "vigil_budget_page_within_seconds")
	figures := map[string]bool{}
	for _, s := range budgets {
		figures[string(s.Metric["figure"])] = true
	}
	if !figures["budget"] || !figures["pages within (days)"] {
		t.Errorf("money.json Budgets table shows figures %v, want both the budget and the paging horizon", figures)
	}
}

// findPanel returns the result of the one query of file whose expression
// (after the variables are replaced) contains marker.
func findPanel(t *testing.T, doc map[string][]byte, results map[string]model.Vector, file, marker string) model.Vector {
	t.Helper()
	queries, err := dashboards.Queries(doc[file])
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		if strings.Contains(q.Expr, marker) {
			return results[file+" "+q.Where]
		}
	}
	t.Fatalf("no query of %s contains %s", file, marker)
	return nil
}
