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

// Every Go fuzz target in the repository is one scripts/fuzz.sh (`make
// fuzz`) runs, with its package, and has a committed seed corpus, so a new
// parser's target is searched as well as replayed by `make test`.
func TestMakeFuzzRunsEveryTarget(t *testing.T) {
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+"(\S+ Fuzz\w+)"$`).FindAllStringSubmatch(read(t, "scripts/fuzz.sh"), -1) {
		listed[m[1]] = true
	}
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
	root := testenv.RepoRoot()
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			found++
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			pkg := "./" + filepath.ToSlash(rel)
			if !listed[pkg+" "+m[1]] {
				t.Errorf("%s (%s) is not listed in scripts/fuzz.sh: add %q", m[1], path, pkg+" "+m[1])
			}
			corpus := filepath.Join(filepath.Dir(path), "testdata", "fuzz", m[1])
			if entries, err := os.ReadDir(corpus); err != nil || len(entries) == 0 {
				t.Errorf("%s has no seed corpus in %s: commit the inputs that matter (a crasher, each edge case)", m[1], corpus)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("found no fuzz target")
	}
}
