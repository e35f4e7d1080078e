// Package docs_test holds the documentation to what the code does: the
// traps a new user fell into (a reload command that answers 403, a test run
// announced as ten minutes, references to files the repository does not
// have, figures nothing measures) each have a check here.
package docs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// userDocs are the files a user reads to run Vigil.
func userDocs(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "examples/vigil.yml", "deploy/README.md", "docs/benchmarks.md"}
	runbooks, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "alerts", "runbooks", "*.md"))
	if err != nil || len(runbooks) == 0 {
		t.Fatalf("no runbooks (%v)", err)
	}
	for _, r := range runbooks {
		files = append(files, "alerts/runbooks/"+filepath.Base(r))
	}
	return files
}

// POST /-/reload answers 403 unless Vigil runs with --web.enable-lifecycle:
// wherever the docs show it, the flag is named in the same paragraph.
func TestReloadByHTTPNamesTheLifecycleFlag(t *testing.T) {
	for _, f := range userDocs(t) {
		paragraphs := regexp.MustCompile(`\n\s*(#\s*)?\n`).Split(read(t, f), -1)
		for _, p := range paragraphs {
			if strings.Contains(p, "/-/reload") && strings.Contains(p, "POST") && !strings.Contains(p, "--web.enable-lifecycle") {
				t.Errorf("%s: shows POST /-/reload without saying it needs --web.enable-lifecycle (it answers 403 otherwise):\n%s", f, p)
			}
		}
	}
}

var mdRef = regexp.MustCompile(`[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b`)

// Every *.md file the docs and scripts name exists in the repository, by
// its path or, for a bare name, somewhere in it.
func TestReferencedMarkdownFilesExist(t *testing.T) {
	root := testenv.RepoRoot()
	names := map[string]bool{}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".md") {
			names[d.Name()] = true
		}
		return nil
	})
	files := userDocs(t)
	scripts, _ := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	for _, s := range scripts {
		files = append(files, "scripts/"+filepath.Base(s))
	}
	for _, f := range files {
		for _, ref := range mdRef.FindAllString(read(t, f), -1) {
			if strings.Contains(ref, "://") || strings.HasPrefix(ref, "/") {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.Dir(filepath.FromSlash(f)), filepath.FromSlash(ref))); err == nil {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(ref))); err == nil {
				continue
			}
			if !strings.Contains(ref, "/") && names[ref] {
				continue
			}
			t.Errorf("%s names %s, which is not in the repository", f, ref)
		}
	}
}

// The README's account of the first `make test` names every slow thing
// scripts/install-tools.sh may install.
func TestReadmeSaysWhatTheFirstTestRunBuilds(t *testing.T) {
	readme := read(t, "README.md")
	i := strings.Index(readme, "`make test` first installs")
	if i < 0 {
		t.Fatal("README.md does not say what `make test` installs before the tests")
	}
	section := readme[i:]
	if j := strings.Index(section, "\n## "); j > 0 {
		section = section[:j]
	}
	for _, want := range []string{"apt-get", "kube-apiserver", "OpenTofu", "hashicorp/aws", "docs/benchmarks.md"} {
		if !strings.Contains(section, want) {
			t.Errorf("README.md's account of the first make test does not mention %q", want)
		}
	}
	// The total it gives is the last cold run docs/benchmarks.md records,
	// so neither can be updated without the other.
	total := regexp.MustCompile(`\((\d+) minutes,\s+measured`).FindStringSubmatch(section)
	if total == nil {
		t.Fatal(`README.md's account of the first make test gives no "(N minutes, measured <date>" total`)
	}
	runs := regexp.MustCompile(`passed in (\d+) min`).FindAllStringSubmatch(read(t, "docs/benchmarks.md"), -1)
	if len(runs) == 0 {
		t.Fatal(`docs/benchmarks.md records no cold make test that "passed in N min"`)
	}
	if last := runs[len(runs)-1][1]; last != total[1] {
		t.Errorf("README.md says a first make test takes %s minutes; the last cold run in docs/benchmarks.md passed in %s", total[1], last)
	}
	if strings.Contains(section, "about 10 minutes the first") {
		t.Error("README.md still says the first make test takes about 10 minutes")
	}
}

// docs/benchmarks.md shows no figure about kube-state-metrics, which nothing
// in the repository measures, except under a heading that calls them
// outside figures and gives their source.
func TestBenchmarkFiguresOfOthersAreMarkedWithTheirSource(t *testing.T) {
	doc := read(t, "docs/benchmarks.md")
	sections := regexp.MustCompile(`(?m)^#+ `).Split(doc, -1)
	for _, s := range sections {
		heading, _, _ := strings.Cut(s, "\n")
		outside := strings.Contains(strings.ToLower(heading), "outside figures")
		for _, line := range strings.Split(s, "\n") {
			// Any mention is a comparison: a column, a row or a sentence.
			if strings.Contains(line, "kube-state-metrics") && !outside {
				t.Errorf("docs/benchmarks.md section %q: kube-state-metrics outside an \"Outside figures\" section with its source: %s", heading, line)
			}
		}
		if outside && !strings.Contains(s, "https://") {
			t.Errorf("docs/benchmarks.md section %q gives no source address", heading)
		}
	}
}
