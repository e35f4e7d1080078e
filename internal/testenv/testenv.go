// Package testenv finds and starts the real components the tests run against:
// Debian's Prometheus tools, terraform, and a kube-apiserver with etcd through
// controller-runtime's envtest.
//
// A missing tool skips the test locally with a message naming the make target
// that installs it; under CI=true it fails instead, so CI never passes by
// skipping.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// KubeVersion is the kube-apiserver version scripts/install-tools.sh builds.
const KubeVersion = "v1.37.1"

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips (locally) or fails (CI=true) the test because a tool is absent.
func Missing(t testing.TB, what, makeTarget string) {
	t.Helper()
	msg := what + " is not installed: run `make " + makeTarget + "` (or `make test`, which installs it)"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Tool returns the path of a command on PATH, or skips/fails the test.
func Tool(t testing.TB, name, makeTarget string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, makeTarget)
	}
	return p
}

// RepoRoot returns the repository root (the directory holding go.mod).
//
// It is found from the working directory (go test runs a test in its
// package's directory), not from runtime.Caller: make test builds with
// -trimpath, under which source file names are module paths.
func RepoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		panic("testenv.RepoRoot: " + err.Error())
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if isMainModule(filepath.Join(dir, "go.mod")) {
			return dir
		}
		if filepath.Dir(dir) == dir {
			panic("testenv.RepoRoot: no directory at or above " + wd + " holds the go.mod of module " + mainModule)
		}
	}
}

const mainModule = "github.com/vigil-monitoring/vigil"

// isMainModule reports whether the go.mod file declares the main module (the
// separate modules under test/ and tools/ have go.mod files of their own).
func isMainModule(gomod string) bool {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == mainModule
		}
	}
	return false
}

// ToolsDir is where scripts/install-tools.sh caches what it builds.
func ToolsDir() string {
	if d := os.Getenv("VIGIL_TOOLS_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "vigil", "tools")
}

// KubeAssetsDir returns the directory holding kube-apiserver and etcd, or
// skips/fails the test when they have not been built.
func KubeAssetsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(ToolsDir(), "envtest-"+KubeVersion)
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			Missing(t, "kube-apiserver and etcd for envtest", "tools")
		}
	}
	return dir
}

// Govulncheck returns the govulncheck binary and the offline vulnerability
// database scripts/install-tools.sh builds (`make tools`), or skips/fails.
func Govulncheck(t testing.TB) (bin, db string) {
	t.Helper()
	bin = filepath.Join(ToolsDir(), "bin", "govulncheck")
	db = filepath.Join(ToolsDir(), "vulndb")
	for _, p := range []string{bin, filepath.Join(db, "index", "db.json")} {
		if _, err := os.Stat(p); err != nil {
			Missing(t, "govulncheck and its offline database", "tools")
		}
	}
	return bin, db
}

// Promtools returns every promtool the rules are tested with: Debian's 2.42
// on PATH and the 3.x that scripts/install-tools.sh builds (promtool3), so a
// rule that means something else on the Prometheus users run fails here.
func Promtools(t testing.TB) []string {
	t.Helper()
	v2 := Tool(t, "promtool", "tools-prometheus")
	v3 := filepath.Join(ToolsDir(), "bin", "promtool3")
	if _, err := os.Stat(v3); err != nil {
		Missing(t, "promtool 3.x", "tools")
	}
	return []string{v2, v3}
}
