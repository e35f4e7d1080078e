package dashboards

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/catalogue/promqlcheck"
)

func TestCommittedJSONIsUpToDate(t *testing.T) {
	files, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("dashboards/%s: %v; run make generate (go run ./dashboards/gen) and commit the result", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("dashboards/%s differs from what the Go code builds: run make generate (go run ./dashboards/gen) and commit the result", name)
		}
	}
	// No committed dashboard without a builder (a renamed board leaves no stale file).
	committed, _ := filepath.Glob("*.json")
	for _, f := range committed {
		if _, ok := files[f]; !ok {
			t.Errorf("dashboards/%s is not built by any function in All(): delete it or add its builder", f)
		}
	}
}

// The sdk numbers boards and panels from package-level counters; the builder
// must not depend on them, or the output would change with build order.
func TestRenderIsDeterministic(t *testing.T) {
	a, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: two builds in one process differ", name)
		}
	}
}

// Every PromQL expression of every committed dashboard parses and selects
// only metrics and labels Vigil exposes.
func TestQueriesSelectRealMetrics(t *testing.T) {
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards/*.json (err %v)", err)
	}
	c := promqlcheck.Default()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		qs, err := Queries(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(qs) < 5 {
			t.Errorf("%s: found only %d queries; is the extraction broken?", f, len(qs))
		}
		for _, q := range qs {
			for _, err := range c.CheckGrafana(q.Expr) {
				t.Errorf("%s: %s: %v\n  query: %s", f, q.Where, err, q.Expr)
			}
		}
		t.Logf("%s: %d queries checked", f, len(qs))
	}
}

type panelJSON struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	Targets    []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
}

// Every panel queries the chosen datasource, filters on the environment
// variable (and on cluster in the cluster dashboard), and has a unique id
// and a place on the grid.
func TestPanelsAreWired(t *testing.T) {
	for _, d := range All() {
		raw, err := render(d.Build())
		if err != nil {
			t.Fatal(err)
		}
		var board struct {
			UID    string      `json:"uid"`
			Panels []panelJSON `json:"panels"`
		}
		if err := json.Unmarshal(raw, &board); err != nil {
			t.Fatal(err)
		}
		if board.UID == "" {
			t.Errorf("%s: no uid; links and provisioning need a stable one", d.File)
		}
		ids := map[int]bool{}
		for _, p := range board.Panels {
			where := d.File + ": panel " + p.Title
			if ids[p.ID] {
				t.Errorf("%s: duplicate id %d", where, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: bad grid position %+v", where, p.GridPos)
			}
			if p.Type == "row" {
				continue
			}
			if !strings.Contains(string(p.Datasource), "${datasource}") {
				t.Errorf("%s: datasource %s is not the ${datasource} variable", where, p.Datasource)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: no query", where)
			}
			for _, tg := range p.Targets {
				if !strings.Contains(tg.Expr, `environment=~"$environment"`) {
					t.Errorf("%s: query does not filter on $environment: %s", where, tg.Expr)
				}
				if strings.Contains(tg.Expr, "vigil_cluster_") && d.File == "cluster.json" && !strings.Contains(tg.Expr, `cluster=~"$cluster"`) {
					t.Errorf("%s: query does not filter on $cluster: %s", where, tg.Expr)
				}
			}
		}
	}
}

func TestQueriesFindsNestedAndTemplatingQueries(t *testing.T) {
	doc := []byte(`{
	  "panels": [
	    {"type": "row", "panels": [{"targets": [{"expr": "vigil_source_up"}]}]},
	    {"targets": [{"expr": "vigil_build_info"}, {"expr": ""}]}
	  ],
	  "templating": {"list": [
	    {"name": "datasource", "type": "datasource", "query": "prometheus"},
	    {"name": "env", "type": "query", "query": "label_values(vigil_build_info, environment)"},
	    {"name": "src", "type": "query", "query": {"query": "label_values(vigil_source_up, source)", "refId": "X"}}
	  ]}
	}`)
	qs, err := Queries(doc)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range qs {
		got = append(got, q.Expr)
	}
	want := "vigil_source_up|vigil_build_info|label_values(vigil_build_info, environment)|label_values(vigil_source_up, source)"
	if strings.Join(got, "|") != want {
		t.Errorf("Queries found %q, want %q", strings.Join(got, "|"), want)
	}
	if _, err := Queries([]byte("{not json")); err == nil {
		t.Error("Queries accepted broken JSON")
	}
}
