package aws_test

import (
	"bufio"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// typeUse finds the hashicorp/aws types a configuration or test file names in
// a block label: resource, data, and the test framework's mock_resource and
// mock_data.
var typeUse = regexp.MustCompile(`(?m)^\s*(?:resource|data|mock_resource|mock_data)\s+"(aws_[a-z0-9_]+)"`)

// TestProviderBuildHasEveryTypeUsed: the provider scripts/install-tools.sh
// builds registers only the types in tools/terraform-provider-aws/resources.txt,
// so every type the stack or its tests use must be listed there, and (each
// one widening the schema every terraform command loads) nothing else.
func TestProviderBuildHasEveryTypeUsed(t *testing.T) {
	listFile := filepath.Join(testenv.RepoRoot(), "tools", "terraform-provider-aws", "resources.txt")
	listed := readTypeList(t, listFile)
	used := map[string]string{}
	root := filepath.Join(testenv.RepoRoot(), "terraform", "aws")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, ".tf.json") || strings.HasSuffix(path, ".tftest.json") {
			t.Errorf("%s: this test reads HCL only; list the types it uses in tools/terraform-provider-aws/resources.txt and teach the test JSON", path)
			return nil
		}
		if !strings.HasSuffix(path, ".tf") && !strings.HasSuffix(path, ".tftest.hcl") && !strings.HasSuffix(path, ".tfmock.hcl") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range typeUse.FindAllStringSubmatch(string(b), -1) {
			rel, _ := filepath.Rel(testenv.RepoRoot(), path)
			used[m[1]] = rel
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 30 {
		t.Fatalf("found only %d hashicorp/aws types in terraform/aws: the pattern no longer matches the stack", len(used))
	}
	for _, typ := range slices.Sorted(maps.Keys(used)) {
		if !listed[typ] {
			t.Errorf("%s uses %s, which the provider build does not register: add it to tools/terraform-provider-aws/resources.txt, then update .terraform.lock.hcl as terraform/aws/README.md says", used[typ], typ)
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(listed)) {
		if _, ok := used[typ]; !ok {
			t.Errorf("tools/terraform-provider-aws/resources.txt lists %s, which nothing in terraform/aws uses: remove it", typ)
		}
	}
}

func readTypeList(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			listed[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return listed
}
