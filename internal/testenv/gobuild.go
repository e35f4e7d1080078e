package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// GoBuild builds the main package pkg of the main module (as go build takes
// it from the repository root, e.g. "./cmd/exporter") with the go build
// flags args, and returns the path of the binary, named name, in a directory
// of the test's own. It builds statically (CGO_ENABLED=0), as make image and
// make lint do: one set of compiled packages in the cache serves all three
// (nothing in Vigil uses cgo).
//
// A plain `go build -o $(t.TempDir())/name` links the binary on every run:
// go build skips the link only when its -o target already is the binary it
// would produce, and a new directory never holds it. Linking the exporter
// costs about 9 CPU-seconds, and several packages' tests build it. So the
// binary is built into a directory kept between runs,
// $XDG_CACHE_HOME/vigil/testbin/built/<hash of pkg, args and GOFLAGS>/,
// where go build relinks it only when its build ID (sources, flags,
// toolchain) changed, as `go install` does. The test gets a hard link to it
// (a copy on another file system): a later build there, by another clone
// or after a change, replaces the file and never alters the one a test
// runs. A lock file serialises the builds of one directory across
// processes.
func GoBuild(t testing.TB, name, pkg string, args ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		Missing(t, "the go command", "tools")
	}
	key := strings.Join(append([]string{pkg, "GOFLAGS=" + os.Getenv("GOFLAGS")}, args...), "\x00")
	sum := sha256.Sum256([]byte(key))
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("no cache directory for the built binaries: %v", err)
	}
	dir := filepath.Join(cache, "vigil", "testbin", "built", hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating %s: %v", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("locking %s: %v", dir, err)
	}
	defer lock.Close() // and with it the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("locking %s: %v", dir, err)
	}

	built := filepath.Join(dir, name)
	cmd := exec.CommandContext(t.Context(), goTool, append(append([]string{"build"}, args...), "-o", built, pkg)...)
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	mine := filepath.Join(t.TempDir(), name)
	if err := os.Link(built, mine); err != nil {
		if err := copyFile(built, mine, 0o755); err != nil {
			t.Fatalf("copying the built %s: %v", name, err)
		}
	}
	return mine
}
