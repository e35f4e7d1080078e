package all_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-monitoring/vigil/alerts"
	_ "github.com/vigil-monitoring/vigil/collectors/all"
	"github.com/vigil-monitoring/vigil/dashboards"
	"github.com/vigil-monitoring/vigil/internal/catalogue/promqlcheck"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// These tests are driven by the registry, not by a list kept here: a
// collector registered without its documented section, its sandbox
// upstream, an alert or panel for each family (or a reason why not) or a
// runbook for each alert fails them.

var root = testenv.RepoRoot()

// TestEveryCollectorIsDocumentedInTheExample decodes each registered
// section of examples/vigil.yml with the collector's own decoder (strict:
// an unknown or misspelt field fails), and requires every field of the
// section's type, derived from its yaml tags, to be documented there.
func TestEveryCollectorIsDocumentedInTheExample(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(root, "examples", "vigil.yml"))
	require.NoError(t, err)
	type documented struct {
		Name, Section string
		NewSection    func() config.Section
	}
	var regs []documented
	for _, r := range collector.All() {
		regs = append(regs, documented{r.Name, r.Section, r.NewSection})
	}
	for _, p := range collector.Providers() {
		regs = append(regs, documented{p.Section, p.Section, p.NewSection})
	}
	require.NotEmpty(t, regs)
	for _, reg := range regs {
		t.Run(reg.Name, func(t *testing.T) {
			block, body := exampleSection(string(text), reg.Section)
			if block == "" {
				t.Fatalf("examples/vigil.yml has no %q section (written or commented out): document every field of it", reg.Section)
			}
			// Strict decoding into a struct holding the section at its key,
			// as config.Parse does.
			secType := reflect.TypeOf(reg.NewSection())
			doc := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "S", Type: secType, Tag: reflect.StructTag(`yaml:"` + reg.Section + `"`)}}))
			dec := yaml.NewDecoder(strings.NewReader(body))
			dec.KnownFields(true)
			require.NoError(t, dec.Decode(doc.Interface()), "examples/vigil.yml: the %s section does not decode with the collector's own type", reg.Section)
			require.False(t, doc.Elem().Field(0).IsNil(), "examples/vigil.yml: the %s section is empty", reg.Section)
			for _, field := range yamlFields(secType, "") {
				leaf := field[strings.LastIndex(field, ".")+1:]
				if !regexp.MustCompile(`(?m)^[\s#]*(- )?` + regexp.QuoteMeta(leaf) + `:`).MatchString(block) {
					t.Errorf("examples/vigil.yml does not document %s.%s", reg.Section, field)
				}
			}
		})
	}
	// And the example as a whole is a valid file for the daemon.
	example := strings.ReplaceAll(string(text), "directory: /var/lib/vigil/textfile", "directory: "+t.TempDir())
	_, err = config.Parse([]byte(example), "examples/vigil.yml", collector.Sections())
	require.NoError(t, err)
}

// exampleSection returns the raw lines of a top-level section (with its
// comments) and the section as YAML, uncommented when the example comments
// it out because it needs something that must exist first.
func exampleSection(text, key string) (block, body string) {
	lines := strings.Split(text, "\n")
	start := -1
	commented := false
	for i, l := range lines {
		if l == key+":" || strings.HasPrefix(l, key+": ") {
			start = i
			break
		}
		if l == "# "+key+":" {
			start, commented = i, true
			break
		}
	}
	if start < 0 {
		return "", ""
	}
	topLevel := regexp.MustCompile(`^(# )?[a-z_]+:\s*$|^[a-z_]+:`)
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		// A commented-out section ends at its first blank line; a written
		// one at the next top-level key, written or commented.
		if (commented && strings.TrimSpace(lines[i]) == "") || (!commented && topLevel.MatchString(lines[i])) {
			end = i
			break
		}
	}
	var b strings.Builder
	for _, l := range lines[start:end] {
		if commented {
			if !strings.HasPrefix(l, "#") {
				continue
			}
			l = strings.TrimPrefix(strings.TrimPrefix(l, "#"), " ")
		}
		b.WriteString(l + "\n")
	}
	return strings.Join(lines[start:end], "\n"), b.String()
}

var unmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

// yamlFields lists the yaml field paths of a section type; types that
// decode themselves (durations, secret references) are leaves.
func yamlFields(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || tag[0] == "-" {
			continue
		}
		if len(tag) > 1 && tag[1] == "inline" {
			out = append(out, yamlFields(f.Type, prefix)...)
			continue
		}
		name := prefix + tag[0]
		out = append(out, name)
		out = append(out, yamlFields(f.Type, name+".")...)
	}
	return out
}

// TestEveryFamilyHasASandboxUpstream: the sandbox, which runs every
// registered collector on its own upstream, serves every family of it.
func TestEveryFamilyHasASandboxUpstream(t *testing.T) {
	served := scrapeSandbox(t)
	for _, reg := range collector.All() {
		for _, d := range reg.Catalogue {
			if !served[d.Name] {
				t.Errorf("collector %s: the sandbox does not serve %s: give its sandbox upstream data that produces it", reg.Name, d.Name)
			}
		}
	}
}

func scrapeSandbox(t *testing.T) map[string]bool {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	d, err := daemon.New(daemon.Options{Sandbox: true, StoragePath: t.TempDir(), Listeners: []net.Listener{l}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, d.Ready, 30*time.Second, 50*time.Millisecond, "the sandbox never became ready")
	resp, err := http.Get("http://" + l.Addr().String() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	served := map[string]bool{}
	for name := range mfs {
		served[name] = true
	}
	return served
}

// TestEveryFamilyIsAlertedOrShown: each family of a registered collector is
// selected by an alert rule or a dashboard panel, or the registration says
// why it is information only; and each alert has its runbook.
func TestEveryFamilyIsAlertedOrShown(t *testing.T) {
	used := map[string]bool{}
	for _, r := range alertRules(t) {
		for _, n := range selected(t, r.Expr) {
			used[n] = true
		}
		url := r.Annotations["runbook_url"]
		rel := strings.TrimPrefix(url, alerts.RunbookBaseURL)
		if _, err := os.Stat(filepath.Join(root, "alerts", "runbooks", rel)); rel == url || err != nil {
			t.Errorf("alert %s: runbook_url %q is not a runbook file under alerts/runbooks", r.Alert, url)
		}
	}
	boards, err := dashboards.Render()
	require.NoError(t, err)
	for name, data := range boards {
		var v any
		require.NoError(t, json.Unmarshal(data, &v), name)
		for _, q := range exprs(v) {
			for _, n := range selected(t, promqlcheck.SubstituteGrafana(q)) {
				used[n] = true
			}
		}
	}
	for _, reg := range collector.All() {
		for _, d := range reg.Catalogue {
			why, info := reg.InfoOnly[d.Name]
			switch {
			case info && used[d.Name]:
				t.Errorf("collector %s: %s is marked information only (%s) but an alert or panel uses it: drop the mark", reg.Name, d.Name, why)
			case info && strings.TrimSpace(why) == "":
				t.Errorf("collector %s: %s is marked information only without a reason", reg.Name, d.Name)
			case !info && !used[d.Name]:
				t.Errorf("collector %s: no alert or dashboard panel uses %s: add one, or mark it InfoOnly with the reason", reg.Name, d.Name)
			}
		}
	}
}

func alertRules(t *testing.T) []rulefmt.Rule {
	t.Helper()
	var out []rulefmt.Rule
	require.NoError(t, fs.WalkDir(alerts.Rules, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(alerts.Rules, p)
		if err != nil {
			return err
		}
		groups, errs := rulefmt.Parse(b, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
		require.Empty(t, errs, p)
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" {
					out = append(out, r)
				}
			}
		}
		return nil
	}))
	require.NotEmpty(t, out)
	return out
}

// exprs collects every "expr" string of a dashboard's JSON.
func exprs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "expr" {
				out = append(out, s)
			} else {
				out = append(out, exprs(e)...)
			}
		}
	case []any:
		for _, e := range x {
			out = append(out, exprs(e)...)
		}
	}
	return out
}

// selected returns the metric names an expression selects.
func selected(t *testing.T, expr string) []string {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	require.NoError(t, err, expr)
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name != "" {
			out = append(out, vs.Name)
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type != labels.MatchEqual {
				t.Errorf("%s: select metrics by name, not by a %s matcher, so this test can see what is used", expr, m.Type)
			}
		}
		return nil
	})
	return out
}

// TestAddingACollectorDocIsTrue: docs/adding-a-collector.md names every
// Registration field and every method a collector implements, and each path
// it mentions exists.
func TestAddingACollectorDocIsTrue(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root, "docs", "adding-a-collector.md"))
	require.NoError(t, err)
	text := string(doc)
	rt := reflect.TypeFor[collector.Registration]()
	for i := range rt.NumField() {
		require.Contains(t, text, "`"+rt.Field(i).Name+"`", "the walk-through does not mention Registration.%s", rt.Field(i).Name)
	}
	ct := reflect.TypeFor[collector.Collector]()
	for i := range ct.NumMethod() {
		require.Contains(t, text, "`"+ct.Method(i).Name+"`", "the walk-through does not mention Collector.%s", ct.Method(i).Name)
	}
	for _, m := range regexp.MustCompile("`((?:collectors|internal|alerts|deploy|docs|examples|dashboards)/[^`<>]*)`").FindAllStringSubmatch(text, -1) {
		if _, err := os.Stat(filepath.Join(root, m[1])); err != nil {
			t.Errorf("docs/adding-a-collector.md names %s, which does not exist", m[1])
		}
	}
	for _, sym := range []string{"TestAddingACollectorDocIsTrue", "collector.Register", "source.Add", "SandboxEnv.OnStop", "config.Fingerprinter", "source.Items"} {
		require.Contains(t, text, sym)
	}
}
