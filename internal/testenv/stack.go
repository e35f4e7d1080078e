package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CopyStack copies the Terraform stack src into dst (created if missing),
// leaving out the tests' Go files and terraform's working data (.terraform,
// state), so that init's directories never land in the repository and every
// test starts from what is committed. A dependency lock file
// (.terraform.lock.hcl) is copied: where the stack commits one
// (terraform/aws), init must verify the provider against it.
func CopyStack(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, r), 0o755)
		}
		if strings.HasSuffix(d.Name(), ".go") || strings.HasSuffix(d.Name(), ".tfstate") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, r), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying the stack %s: %v", src, err)
	}
}
