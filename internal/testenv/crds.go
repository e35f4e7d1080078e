package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// PrometheusOperatorVersion is the prometheus-operator release whose CRDs the
// tests install. The Go module proxy here is filtered: v0.93.0 is served.
const PrometheusOperatorVersion = "v0.93.0"

const prometheusOperatorModule = "github.com/prometheus-operator/prometheus-operator"

// prometheusOperatorCRDFiles are the CRDs Vigil's manifests use, as the
// operator ships them in its module (example/prometheus-operator-crd/).
var prometheusOperatorCRDFiles = []string{
	"monitoring.coreos.com_servicemonitors.yaml",
	"monitoring.coreos.com_prometheusrules.yaml",
}

// PrometheusOperatorCRDs returns a directory holding the real
// prometheus-operator CRDs for ServiceMonitor and PrometheusRule
// (monitoring.coreos.com/v1), ready for APIServer(t, dir).
//
// The CRDs come from the operator's own Go module, fetched through the Go
// module proxy with `go mod download` (no other network access exists on these
// machines), and are cached under ToolsDir()/prometheus-operator-crds-<version>;
// a second call, in any process, reuses the cache. Without a go command or
// without the proxy the test skips locally and fails under CI=true.
func PrometheusOperatorCRDs(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(ToolsDir(), "prometheus-operator-crds-"+PrometheusOperatorVersion)
	if haveFiles(dir, prometheusOperatorCRDFiles) {
		return dir
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		Missing(t, "the go command (to fetch the prometheus-operator CRDs from the module proxy)", "tools")
	}
	modDir, err := downloadModule(t, goBin, prometheusOperatorModule+"@"+PrometheusOperatorVersion)
	if err != nil {
		Missing(t, "prometheus-operator CRDs ("+err.Error()+")", "tools")
	}

	// Build into a private temporary directory and rename it into place, so a
	// half-copied cache is never used and concurrent test processes (go test
	// runs packages in parallel) do not write into each other's copy.
	if err := os.MkdirAll(ToolsDir(), 0o755); err != nil {
		t.Fatalf("creating tools cache: %v", err)
	}
	tmp, err := os.MkdirTemp(ToolsDir(), filepath.Base(dir)+".tmp-")
	if err != nil {
		t.Fatalf("creating temporary CRD directory: %v", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for _, name := range prometheusOperatorCRDFiles {
		src := filepath.Join(modDir, "example", "prometheus-operator-crd", name)
		if err := copyFile(src, filepath.Join(tmp, name), 0o644); err != nil {
			t.Fatalf("copying prometheus-operator CRD %s from module %s@%s: %v",
				name, prometheusOperatorModule, PrometheusOperatorVersion, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatalf("setting mode of %s: %v", tmp, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process may have won the race: its copy is as good as ours.
		if haveFiles(dir, prometheusOperatorCRDFiles) {
			return dir
		}
		t.Fatalf("moving prometheus-operator CRDs into %s: %v", dir, err)
	}
	return dir
}

// downloadModule fetches module@version through the Go module proxy and
// returns the directory of its extracted source. It runs in an empty temporary
// directory with GOFLAGS=-mod=mod so the repository's go.mod is never touched.
func downloadModule(t testing.TB, goBin, modVersion string) (string, error) {
	t.Helper()
	cmd := exec.Command(goBin, "mod", "download", "-json", modVersion)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var info struct {
		Dir   string
		Error string
	}
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		if runErr != nil {
			return "", fmt.Errorf("go mod download %s: %v: %s", modVersion, runErr, bytes.TrimSpace(stderr.Bytes()))
		}
		return "", fmt.Errorf("go mod download %s: decoding its JSON output: %v", modVersion, err)
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	if runErr != nil {
		return "", fmt.Errorf("go mod download %s: %v: %s", modVersion, runErr, bytes.TrimSpace(stderr.Bytes()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no module directory reported", modVersion)
	}
	return info.Dir, nil
}

func haveFiles(dir string, names []string) bool {
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// copyFile copies src to dst, created with mode (the module cache's files are
// read-only, and copies of them must stay removable: 0644 for those).
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
