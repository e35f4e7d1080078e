package main

import (
	"encoding/json"
	"fmt"
	"go/version"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// minEntries is far below the real database's size (4,789 entries at
// 2026-11-05) and far above an empty or truncated one: a scan against a
// database that knows nothing finds nothing, and must not pass.
const minEntries = 1000

// countEntries reads how many vulnerabilities the offline database holds.
func countEntries(db string) (int, error) {
	b, err := os.ReadFile(filepath.Join(db, "index", "vulns.json"))
	if err != nil {
		return 0, fmt.Errorf("the vulnerability database %s has no index: rebuild it with scripts/install-tools.sh lint (%w)", db, err)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(b, &entries); err != nil {
		return 0, fmt.Errorf("the vulnerability database's index does not parse: rebuild it with scripts/install-tools.sh lint (%w)", err)
	}
	return len(entries), nil
}

// goEnvVersion is the Go that builds the module (GOTOOLCHAIN applied).
func goEnvVersion(dir string) (string, error) {
	cmd := exec.Command("go", "env", "GOVERSION")
	cmd.Dir = dir
	cmd.Env = withoutEnv(os.Environ(), "GOVERSION")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

var toolchainLine = regexp.MustCompile(`(?m)^toolchain\s+(go\S+)\s*$`)

// toolchainOf is the toolchain line of the module's go.mod, "" if none.
func toolchainOf(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	if m := toolchainLine.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

// checkScanned fails a scan that did not judge what ships: another Go than
// the one that builds, an older Go than go.mod's toolchain line, or a
// database too small to know anything.
func checkScanned(rep *report, goVersion, toolchain string, entries int) []string {
	var out []string
	if !version.IsValid(rep.GoVersion) || rep.GoVersion != goVersion {
		out = append(out, fmt.Sprintf("FAIL govulncheck judged the standard library of %q, but %q builds this module: unset GOVERSION and check GOTOOLCHAIN", rep.GoVersion, goVersion))
	}
	if toolchain != "" && version.IsValid(goVersion) && version.Compare(goVersion, toolchain) < 0 {
		out = append(out, fmt.Sprintf("FAIL scanned with %s, older than go.mod's toolchain %s: run through make, which sets GOTOOLCHAIN", goVersion, toolchain))
	}
	if entries < minEntries {
		out = append(out, fmt.Sprintf("FAIL the vulnerability database holds %d entries (fewer than %d): it is empty or truncated; rebuild it with scripts/install-tools.sh lint", entries, minEntries))
	}
	return out
}

func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
