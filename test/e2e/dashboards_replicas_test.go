package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/dashboards"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// The two replicas' pod names, as the replicas component's relabeling puts
// them in vigil_replica.
var dashboardReplicas = [2]string{"vigil-5d8c7-a", "vigil-5d8c7-b"}

// summedOverReplicas are the panels that show what each replica does by
// itself: the requests it sends upstream and what they cost. Every replica
// reads every upstream on its own, so with two replicas these figures are
// the sum of both, not one replica's (deploy/README.md, "Two replicas, one
// page"). Every other panel shows one replica's figures.
var summedOverReplicas = map[string]bool{
	"overview.json: Upstream API requests":          true,
	"money.json: Vigil's paid requests today (USD)": true,
	"money.json: Billing API requests":              true,
	"infra.json: CloudWatch cost, 24 h":             true,
	"infra.json: CloudWatch metrics, 24 h":          true,
}

// TestDashboardsShowOneVigilOfTwoReplicas scrapes the sandbox exporter as
// two replicas (two targets of one real Prometheus, instance vigil/vigil
// and vigil_replica the pod's name, as deploy/components/replicas labels
// them) and evaluates every panel query of every generated dashboard three
// times at the same instant: as the panel runs it, over both replicas, and
// with every selector narrowed to one replica (vigil_replica="..."), which
// is what one replica alone shows. Each panel must show, over both replicas,
// what one replica shows: the same series once each (vigil_replica aside)
// with the same values. A sum that counts both replicas doubles, a join
// between duplicate series is refused or empty, an undeduplicated table
// lists every row twice: each fails with the dashboard, panel and query.
// The panels of summedOverReplicas must show the sum of the two instead.
//
// Both targets scrape one exporter, but at different moments, so a source
// refreshing between the two scrapes makes them differ for a second: a
// query that does not match is evaluated again, up to 20 s, and passes when
// it matches at one instant. A doubled or empty panel never does.
func TestDashboardsShowOneVigilOfTwoReplicas(t *testing.T) {
	prometheus := testenv.Tool(t, "prometheus", "tools")
	dir := t.TempDir()

	sandbox := startSandbox(t)

	promAddr := freeAddr(t)
	promConfig := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promConfig, fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vigil
    static_configs:
      - targets: [%[1]q]
        labels: {instance: vigil/vigil, vigil_replica: %[2]s}
      - targets: [%[1]q]
        labels: {instance: vigil/vigil, vigil_replica: %[3]s}
`, sandbox, dashboardReplicas[0], dashboardReplicas[1]))
	startProcess(t, "prometheus", prometheus, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr)
	client, err := api.NewClient(api.Config{Address: "http://" + promAddr})
	require.NoError(t, err)
	prom := promv1.NewAPI(client)

	// Both replicas scraped, each with the sandbox's AWS budgets, and enough
	// samples in each series for the panels' 30 s rates.
	require.Eventually(t, func() bool {
		return query(prom, `count(up{job="vigil"} == 1)`) == 2 &&
			query(prom, `count(count by (vigil_replica) (vigil_budget_aws_limit))`) == 2 &&
			query(prom, `min(count_over_time(up{job="vigil"}[30s]))`) >= 5
	}, 90*time.Second, 250*time.Millisecond, "Prometheus never scraped both replicas of the sandbox")

	panels := dashboardPanelQueries(t)
	pending := panels
	shown := map[string]model.Vector{} // two replicas' result of each query that matched
	var last map[string]string
	for attempt := 0; len(pending) > 0 && attempt < 20; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Second)
		}
		last = map[string]string{}
		var again []panelQuery
		for _, q := range pending {
			both, mismatch := q.compare(t, prom, time.Now())
			if mismatch == "" {
				shown[q.name()] = both
				continue
			}
			last[q.name()] = mismatch
			again = append(again, q)
		}
		pending = again
	}
	for _, q := range pending {
		t.Errorf("%s differs with two replicas:\n  query: %s\n  %s", q.name(), q.expr, last[q.name()])
	}

	// What the panels showed, so a sandbox that lost its data cannot make
	// the comparison vacuous: the billing panels the replicas broke show rows.
	nonEmpty := 0
	for _, v := range shown {
		if len(v) > 0 {
			nonEmpty++
		}
	}
	t.Logf("%d panel queries compared, %d of them show data on the sandbox", len(panels), nonEmpty)
	for _, name := range []string{
		"money.json: Month to date / budget",
		"money.json: Month to date and budget",
		"money.json: AWS Budgets",
		"money.json: AWS Budgets forecast",
		"overview.json: Spend this month / budget",
		"overview.json: Vigil builds and configuration",
	} {
		found := false
		for key, v := range shown {
			if strings.HasPrefix(key, name+" (") {
				found = true
				if len(v) == 0 {
					t.Errorf("%s shows nothing on the sandbox with two replicas", key)
				}
				if strings.HasPrefix(name, "money.json: AWS Budgets") {
					for _, s := range v {
						if s.Metric["time_unit"] == "" {
							t.Errorf("%s: row %v does not say the budget's period (time_unit)", key, s.Metric)
						}
					}
				}
			}
		}
		if !found && !t.Failed() {
			t.Errorf("no panel %s compared; was it renamed?", name)
		}
	}
}

// panelQuery is one target of one panel.
type panelQuery struct {
	file, panel, ref, expr string
}

func (q panelQuery) name() string { return fmt.Sprintf("%s: %s (%s)", q.file, q.panel, q.ref) }

// dashboardPanelQueries lists every target of every panel of the generated
// dashboards, with its panel's title.
func dashboardPanelQueries(t *testing.T) []panelQuery {
	t.Helper()
	doc, err := dashboards.Render()
	require.NoError(t, err)
	var out []panelQuery
	for _, board := range dashboards.All() {
		var b struct {
			Panels []struct {
				Title   string `json:"title"`
				Targets []struct {
					RefID string `json:"refId"`
					Expr  string `json:"expr"`
				} `json:"targets"`
				Panels []json.RawMessage `json:"panels"`
			} `json:"panels"`
		}
		require.NoError(t, json.Unmarshal(doc[board.File], &b), board.File)
		for _, p := range b.Panels {
			require.Empty(t, p.Panels, "%s: row %q holds panels; list them here too", board.File, p.Title)
			for _, tg := range p.Targets {
				out = append(out, panelQuery{file: board.File, panel: p.Title, ref: tg.RefID, expr: tg.Expr})
			}
		}
	}
	// The same queries as the panel evaluation on the sandbox, so none is missed.
	n := 0
	for _, board := range dashboards.All() {
		qs, err := dashboards.Queries(doc[board.File])
		require.NoError(t, err)
		for _, q := range qs {
			if !strings.HasPrefix(q.Where, "templating") {
				n++
			}
		}
	}
	require.Len(t, out, n, "panel targets found here and dashboards.Queries disagree")
	return out
}

// oneReplica narrows every selector of a panel query to one replica.
func oneReplica(t *testing.T, q panelQuery, replica string) string {
	t.Helper()
	expr := strings.ReplaceAll(q.expr, `environment=~"$environment"`, `environment=~".*",vigil_replica="`+replica+`"`)
	expr = panelVariables.Replace(expr)
	ast, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	require.NoError(t, err, "%s: %s", q.name(), expr)
	parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			narrowed := false
			for _, m := range vs.LabelMatchers {
				narrowed = narrowed || m.Name == "vigil_replica"
			}
			if !narrowed {
				t.Fatalf("%s: selector %s has no environment matcher to narrow to one replica", q.name(), vs)
			}
		}
		return nil
	})
	return expr
}

// compare evaluates the query over both replicas and over each alone at
// the instant at, and returns the two replicas' result and what differs
// ("" when it matches).
func (q panelQuery) compare(t *testing.T, prom promv1.API, at time.Time) (model.Vector, string) {
	t.Helper()
	both, err := evaluate(prom, panelVariables.Replace(q.expr), at)
	var alone [2]model.Vector
	for i, r := range dashboardReplicas {
		var err error
		if alone[i], err = evaluate(prom, oneReplica(t, q, r), at); err != nil {
			t.Fatalf("%s: Prometheus refused the query for one replica: %v", q.name(), err)
		}
	}
	if err != nil {
		return nil, fmt.Sprintf("two replicas: Prometheus refused it: %v; one replica: %s", err, show(alone[0]))
	}
	got, dup := byLabels(both)
	if dup != "" {
		return both, fmt.Sprintf("two replicas show %s twice (one replica: %s)", dup, show(alone[0]))
	}
	a, _ := byLabels(alone[0])
	b, _ := byLabels(alone[1])
	if summedOverReplicas[q.file+": "+q.panel] {
		sum := map[string]float64{}
		for k, v := range a {
			sum[k] += v
		}
		for k, v := range b {
			sum[k] += v
		}
		if sameValues(got, sum) {
			return both, ""
		}
		return both, fmt.Sprintf("two replicas show %s, want the sum of one replica's %s and the other's %s", show(both), show(alone[0]), show(alone[1]))
	}
	if sameValues(got, a) || sameValues(got, b) {
		return both, ""
	}
	return both, fmt.Sprintf("two replicas show %s, one replica %s (the other %s)", show(both), show(alone[0]), show(alone[1]))
}

func evaluate(prom promv1.API, expr string, at time.Time) (model.Vector, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, _, _, err := prom.Query(ctx, expr, at)
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case model.Vector:
		return v, nil
	case *model.Scalar:
		return model.Vector{{Metric: model.Metric{}, Value: v.Value}}, nil
	default:
		return nil, fmt.Errorf("result of type %s, want a vector", v.Type())
	}
}

// byLabels keys a result by its series' labels without vigil_replica; it
// returns the first label set that appears twice.
func byLabels(v model.Vector) (map[string]float64, string) {
	out := map[string]float64{}
	for _, s := range v {
		m := s.Metric.Clone()
		delete(m, "vigil_replica")
		k := m.String()
		if _, ok := out[k]; ok {
			return out, k
		}
		out[k] = float64(s.Value)
	}
	return out, ""
}

func sameValues(got, want map[string]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, g := range got {
		w, ok := want[k]
		if !ok {
			return false
		}
		if math.IsNaN(g) && math.IsNaN(w) {
			continue
		}
		if math.Abs(g-w) > 1e-9*math.Max(1, math.Max(math.Abs(g), math.Abs(w))) {
			return false
		}
	}
	return true
}

// show prints a result briefly: its series count and the first few.
func show(v model.Vector) string {
	lines := make([]string, 0, len(v))
	for _, s := range v {
		lines = append(lines, fmt.Sprintf("%s %g", s.Metric, float64(s.Value)))
	}
	sort.Strings(lines)
	if len(lines) > 4 {
		lines = append(lines[:4], "...")
	}
	return fmt.Sprintf("%d series [%s]", len(v), strings.Join(lines, "; "))
}
