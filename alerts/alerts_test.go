package alerts_test

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"

	"github.com/vigil-monitoring/vigil/alerts"
	"github.com/vigil-monitoring/vigil/internal/catalogue"
	"github.com/vigil-monitoring/vigil/internal/catalogue/promqlcheck"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// ruleFiles returns the rule files of this directory (go test runs in it).
func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files *.yml in alerts/ (err %v)", err)
	}
	return files
}

func testFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("tests", "*.test.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool test files tests/*.test.yml (err %v)", err)
	}
	return files
}

type alertRule struct {
	file string
	rulefmt.Rule
}

// loadAlerts parses every rule file with Prometheus' own rule loader.
func loadAlerts(t *testing.T) []alertRule {
	t.Helper()
	var out []alertRule
	p := parser.NewParser(parser.Options{})
	logger := slog.New(slog.DiscardHandler)
	for _, f := range ruleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		groups, errs := rulefmt.Parse(b, false, model.UTF8Validation, p, logger)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", f, errs)
		}
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				out = append(out, alertRule{file: f, Rule: r})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no alerting rules found")
	}
	return out
}

// runPromtool runs the command with Debian's promtool 2.42 and with promtool
// 3.x, so rules and their tests must mean the same on both.
func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	for _, promtool := range testenv.Promtools(t) {
		cmd := exec.Command(promtool, args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", promtool, strings.Join(args, " "), err, out)
		}
		t.Logf("%s %s:\n%s", promtool, strings.Join(args, " "), out)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	runPromtool(t, append([]string{"check", "rules"}, ruleFiles(t)...)...)
}

// TestPromtoolTestRules runs every test file with each promtool as a
// subtest of its own (promtool/<file>, promtool3/<file>), in parallel: a
// failure names the version and the file (promtool's output the group, the
// alert and the time), and the runs share the cores instead of
// queueing in one process per version.
func TestPromtoolTestRules(t *testing.T) {
	promtools := testenv.Promtools(t)
	for _, f := range testFiles(t) {
		for _, promtool := range promtools {
			t.Run(filepath.Base(promtool)+"/"+filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				out, err := exec.Command(promtool, "test", "rules", f).CombinedOutput()
				if err != nil {
					t.Fatalf("%s test rules %s: %v\n%s", promtool, f, err, out)
				}
			})
		}
	}
}

// kebab turns an alert name into its runbook file name:
// KubeAPIServerUnreachable -> kube-api-server-unreachable.
func kebab(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 &&
			(unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{
		"KubeAPIServerUnreachable": "kube-api-server-unreachable",
		"KubeHPAMaxedOut":          "kube-hpa-maxed-out",
		"KubePodOOMKilled":         "kube-pod-oom-killed",
		"VigilSourceDown":          "vigil-source-down",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEveryAlertIsDocumented(t *testing.T) {
	linked := map[string]bool{}
	seen := map[string]string{}
	for _, a := range loadAlerts(t) {
		where := fmt.Sprintf("%s: alert %s", a.file, a.Alert)
		// One name may have one rule per severity (kubernetes-mixin's
		// warning and critical pairs), never two rules of one severity.
		key := a.Alert + "/" + a.Labels["severity"]
		if prev, dup := seen[key]; dup {
			t.Errorf("%s: name already used with severity %q in %s", where, a.Labels["severity"], prev)
		}
		seen[key] = a.file
		if s := a.Labels["severity"]; a.Alert == alwaysFiring {
			if s != "none" {
				t.Errorf("%s: labels.severity is %q; the always-firing %s has severity none, so no route pages with it", where, s, alwaysFiring)
			}
		} else if inhibitorOnly[a.Alert] {
			if s != "none" {
				t.Errorf("%s: labels.severity is %q; %s only drives an Alertmanager inhibition and must not reach a person: set none", where, s, a.Alert)
			}
		} else if s != "page" && s != "ticket" {
			t.Errorf("%s: labels.severity is %q; set it to page or ticket", where, s)
		}
		for _, k := range []string{"summary", "description"} {
			v := a.Annotations[k]
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: annotations.%s is missing", where, k)
			} else if !strings.Contains(v, "{{ $labels.") && !strings.Contains(v, "{{ $externalLabels.") {
				t.Errorf("%s: annotations.%s names no object; use {{ $labels.<label> }} (or {{ $externalLabels.<label> }} for Prometheus' own series)", where, k)
			}
		}
		url := a.Annotations["runbook_url"]
		want := alerts.RunbookBaseURL + kebab(a.Alert) + ".md"
		if url != want {
			t.Errorf("%s: runbook_url is %q, want %q", where, url, want)
			continue
		}
		rel := strings.TrimPrefix(url, alerts.RunbookBaseURL)
		if _, err := os.Stat(filepath.Join("runbooks", rel)); err != nil {
			t.Errorf("%s: runbook_url points at alerts/runbooks/%s, which does not exist: write it", where, rel)
		}
		linked[rel] = true
	}
	// Every runbook belongs to an alert: a renamed alert must not leave its old runbook behind.
	entries, err := os.ReadDir("runbooks")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !linked[e.Name()] {
			t.Errorf("runbooks/%s: no alert links to it; remove it or fix the alert's runbook_url", e.Name())
		}
	}
}

// The Alertmanager inhibition rule in deploy/ matches this alert by name and
// by its cluster label.
func TestInhibitingAlertExists(t *testing.T) {
	for _, a := range loadAlerts(t) {
		if a.Alert == "KubeAPIServerUnreachable" {
			if a.Labels["severity"] != "page" {
				t.Errorf("KubeAPIServerUnreachable must page")
			}
			return
		}
	}
	t.Fatal("alert KubeAPIServerUnreachable is missing; the Alertmanager inhibition rule depends on its name")
}

// inhibitorOnly are the alerts that page no one and exist for the
// Alertmanager inhibit rules of deploy/alertmanager (maintenance awareness).
var inhibitorOnly = map[string]bool{"KubernetesClusterMaintenance": true, "ProvisionApplyInProgress": true}

// alwaysFiring is the Watchdog alert: it fires by design and has no quiet
// state to test; Alertmanager routes it to a dead man's switch.
const alwaysFiring = "Watchdog"

// promtool's unit test format, as far as this check needs it.
type promtoolTests struct {
	RuleFiles []string `json:"rule_files"`
	Tests     []struct {
		Name           string            `json:"name"`
		ExternalLabels map[string]string `json:"external_labels"`
		AlertRuleTest  []struct {
			Alertname string     `json:"alertname"`
			ExpAlerts []expAlert `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

type expAlert struct {
	ExpLabels map[string]string `json:"exp_labels"`
}

func TestEveryAlertFiresAndStaysQuietInATest(t *testing.T) {
	fires, quiet := map[string]bool{}, map[string]bool{}
	firedLabels := map[string][]map[string]string{} // alert -> exp_labels of its firing cases
	for _, f := range testFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var pt promtoolTests
		if err := yaml.Unmarshal(b, &pt); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range pt.Tests {
			for _, art := range tc.AlertRuleTest {
				if len(art.ExpAlerts) > 0 {
					fires[art.Alertname] = true
					for _, e := range art.ExpAlerts {
						// Prometheus adds its external labels to the alerts
						// it sends, unless the alert has the label already.
						ls := map[string]string{}
						for k, v := range tc.ExternalLabels {
							ls[k] = v
						}
						for k, v := range e.ExpLabels {
							ls[k] = v
						}
						firedLabels[art.Alertname] = append(firedLabels[art.Alertname], ls)
					}
				} else {
					quiet[art.Alertname] = true
				}
			}
		}
	}
	var names []string
	for _, a := range loadAlerts(t) {
		names = append(names, a.Alert)
		if !fires[a.Alert] {
			t.Errorf("alert %s (%s): no promtool test makes it fire; add an alert_rule_test with exp_alerts under alerts/tests/", a.Alert, a.file)
		}
		if !quiet[a.Alert] && a.Alert != alwaysFiring {
			t.Errorf("alert %s (%s): no promtool test keeps it quiet; add an alert_rule_test with exp_alerts: [] under alerts/tests/", a.Alert, a.file)
		}
	}
	sort.Strings(names)
	// Routing and inhibition match on environment, and for cluster alerts on
	// cluster (KubeAPIServerUnreachable inhibits the others of its cluster):
	// every firing case must show the alert keeps them. An alert on
	// Prometheus' own series (up, absent()) gets environment from the
	// external labels its test group sets.
	for _, a := range loadAlerts(t) {
		want := []string{"environment"}
		if a.file == "cluster.yml" {
			want = append(want, "cluster")
		}
		for _, ls := range firedLabels[a.Alert] {
			for _, l := range want {
				if ls[l] == "" {
					t.Errorf("alert %s (%s): a firing test expects no %q label; the alert must keep it for routing and inhibition", a.Alert, a.file, l)
				}
			}
		}
	}
	t.Logf("%d alerts, each tested firing and quiet: %s", len(names), strings.Join(names, ", "))
}

func TestRuleExpressionsSelectRealMetrics(t *testing.T) {
	// Besides Vigil's own metrics, the rules watching Vigil select `up`,
	// which Prometheus writes for every target (labels job and instance).
	c := promqlcheck.New(append(catalogue.All(), metricdoc.Desc{Name: "up", Type: metricdoc.Gauge}))
	for _, a := range loadAlerts(t) {
		for _, err := range c.Check(a.Expr) {
			t.Errorf("%s: alert %s: %v", a.file, a.Alert, err)
		}
	}
}

// The embedded rule files are the files on disk (a guard against an embed
// pattern that misses a new file).
func TestEmbeddedRules(t *testing.T) {
	embedded, err := fs.Glob(alerts.Rules, "*.yml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(embedded, ","), strings.Join(ruleFiles(t), ","); got != want {
		t.Errorf("embedded rule files %s, on disk %s", got, want)
	}
}
