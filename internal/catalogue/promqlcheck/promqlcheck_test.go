package promqlcheck

import (
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/metricdoc"
)

var testCatalogue = []metricdoc.Desc{
	{Name: "vigil_source_up", Type: metricdoc.Gauge, Labels: []string{"source"}},
	{Name: "vigil_cluster_pod_phase", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod", "phase"}},
}

func TestCheck(t *testing.T) {
	c := New(testCatalogue)
	for _, tc := range []struct {
		expr    string
		wantErr string // "" for none
	}{
		{`vigil_source_up == 0`, ""},
		{`sum by (cluster) (vigil_cluster_pod_phase{phase="Pending", environment="prod", job="vigil"})`, ""},
		{`time() - 3 * vigil_source_up{source=~"kube.*"} > 0`, ""},
		{`{__name__=~"vigil_source_.*", source="x"}`, ""},
		{`vigil_source_upp`, "metric vigil_source_upp is not exposed"},
		{`rate(up[5m])`, "metric up is not exposed"},
		{`vigil_source_up{sourec="x"}`, `has no label "sourec"`},
		{`vigil_source_up{cluster="c1"}`, `has no label "cluster"`},
		{`{__name__=~"node_.*"}`, "matches no metric"},
		{`{source="x"}`, "names no metric"},
		{`{__name__=~"vigil_.*", phase="Running"}`, `metric vigil_source_up has no label "phase"`},
		{`vigil_source_up ==`, "parse"},
		{`holt_winters(vigil_source_up[5m], 0.5, 0.5)`, "parse"}, // removed in Prometheus 3.0
	} {
		errs := c.Check(tc.expr)
		if tc.wantErr == "" {
			if len(errs) > 0 {
				t.Errorf("Check(%q) = %v, want no error", tc.expr, errs)
			}
			continue
		}
		if len(errs) == 0 {
			t.Errorf("Check(%q) = no error, want one containing %q", tc.expr, tc.wantErr)
			continue
		}
		if !strings.Contains(errs[0].Error(), tc.wantErr) {
			t.Errorf("Check(%q) = %v, want an error containing %q", tc.expr, errs, tc.wantErr)
		}
	}
}

func TestCheckGrafana(t *testing.T) {
	c := New(testCatalogue)
	for _, tc := range []struct {
		query   string
		wantErr string
	}{
		{`sum(rate(vigil_cluster_pod_phase{cluster=~"$cluster", environment=~"${environment}"}[$__rate_interval]))`, ""},
		{`max_over_time(vigil_source_up{source="[[source]]"}[$__interval])`, ""},
		{`label_values(vigil_cluster_pod_phase{environment=~"$environment"}, cluster)`, ""},
		{`query_result(count by (source) (vigil_source_up))`, ""},
		{`label_values(vigil_source_up, cluster)`, `has no label "cluster"`},
		{`label_values(vigil_nope, source)`, "not exposed"},
		{`label_values(sum(vigil_source_up), source)`, "must be a series selector"},
		{`query_result(vigil_nope)`, "not exposed"},
		{`vigil_source_up{environmnet="$environment"}`, `has no label "environmnet"`},
	} {
		errs := c.CheckGrafana(tc.query)
		if tc.wantErr == "" {
			if len(errs) > 0 {
				t.Errorf("CheckGrafana(%q) = %v, want no error", tc.query, errs)
			}
			continue
		}
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.wantErr) {
			t.Errorf("CheckGrafana(%q) = %v, want an error containing %q", tc.query, errs, tc.wantErr)
		}
	}
}

// The real catalogue must hold the metrics the rules depend on; a cheap
// guard that Default is wired to catalogue.All().
func TestDefaultKnowsTheCatalogue(t *testing.T) {
	c := Default()
	if errs := c.Check(`vigil_cluster_pod_container_waiting{reason="CrashLoopBackOff", cluster="c", environment="e"}`); len(errs) > 0 {
		t.Fatal(errs)
	}
	if errs := c.Check(`vigil_build_info{version="1"}`); len(errs) > 0 {
		t.Fatal(errs)
	}
}
