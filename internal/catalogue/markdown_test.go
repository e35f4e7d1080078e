package catalogue

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/metricdoc"
)

func TestMetricsDocIsUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "metrics.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v; run make generate", path, err)
	}
	if !bytes.Equal(got, Markdown()) {
		t.Fatalf("docs/metrics.md differs from the metric catalogue in the code: run make generate (go run ./internal/catalogue/gen) and commit the result")
	}
}

func TestMarkdownListsEveryMetric(t *testing.T) {
	md := string(Markdown())
	for _, d := range All() {
		if !strings.Contains(md, "| `"+d.Name+"` | "+string(d.Type)+" |") {
			t.Errorf("docs/metrics.md lacks a row for %s", d.Name)
		}
	}
}

func TestRenderMarkdownGroupsAndEscapes(t *testing.T) {
	md := string(renderMarkdown([]metricdoc.Desc{
		{Name: "vigil_backup_last_success_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"kind"}, Help: "a | b"},
		{Name: "vigil_source_up", Type: metricdoc.Gauge, Help: "up"},
	}))
	for _, want := range []string{
		"## `vigil_backup_*`\n",
		"## Refresh engine (internal/source): `vigil_source_*`\n",
		"| `vigil_backup_last_success_timestamp_seconds` | gauge | `kind` | a \\| b |\n",
		"| `vigil_source_up` | gauge | (none) | up |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("rendered catalogue lacks %q:\n%s", want, md)
		}
	}
}

// Every metric is documented: help text, a type, and no duplicate names.
func TestCatalogueEntriesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range All() {
		if seen[d.Name] {
			t.Errorf("%s is declared twice", d.Name)
		}
		seen[d.Name] = true
		if strings.TrimSpace(d.Help) == "" || d.Type == "" {
			t.Errorf("%s: needs Help and Type", d.Name)
		}
		if !strings.HasPrefix(d.Name, "vigil_") {
			t.Errorf("%s: every metric name starts with vigil_", d.Name)
		}
	}
}
