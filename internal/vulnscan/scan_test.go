package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// scanVulnerable runs the real govulncheck over testdata/vulnerable, a module
// that pins golang.org/x/net v0.61.0 and calls the vulnerable html.Parse.
// The scan is made once and shared by the tests that only judge its report
// (each govulncheck run is about 15 CPU-seconds).
func scanVulnerable(t *testing.T) (*report, string, string) {
	t.Helper()
	bin, db := testenv.Govulncheck(t)
	vulnerable.Lock()
	defer vulnerable.Unlock()
	if vulnerable.stream == nil {
		cmd := exec.Command(bin, "-db", "file://"+db, "-format", "json", "./...")
		cmd.Dir = filepath.Join("testdata", "vulnerable")
		out, err := cmd.Output()
		require.NoError(t, err, "govulncheck")
		vulnerable.stream = out
	}
	rep, err := parseStream(bytes.NewReader(vulnerable.stream))
	require.NoError(t, err)
	return rep, bin, db
}

var vulnerable struct {
	sync.Mutex
	stream []byte
}

func writeAllow(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "allow.yml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestScanFailsOnACalledVulnerability(t *testing.T) {
	_, bin, db := scanVulnerable(t)
	// A GOVERSION in the environment (as some CI images export) must not
	// make govulncheck judge another Go's standard library: checked on
	// this scan rather than on one more (TestScanJudgesTheGoThatBuilds).
	t.Setenv("GOVERSION", "go1.99.0")
	var out, errOut bytes.Buffer
	code := run([]string{"-db", db, "-govulncheck", bin, "-allow", filepath.Join(t.TempDir(), "none.yml"), "-cache", "",
		"-C", filepath.Join("testdata", "vulnerable")}, &out, &errOut, time.Now())
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "FAIL GO-2026-6860 in golang.org/x/net@v0.61.0")
	require.Contains(t, out.String(), "golang.org/x/net/html.Parse from example.com/vulnerable.main (main.go:11)")
	require.Contains(t, out.String(), "upgrade: go get golang.org/x/net@v0.62.0")
	require.Contains(t, out.String(), "data as of ", "the scan prints the database's date")
	// GO-2026-6866 is in the same module but in html.Render, which the
	// module does not call: imported, not called, so not a failure.
	require.NotContains(t, out.String(), "GO-2026-6866")

	require.NotContains(t, out.String(), "go1.99.0", "GOVERSION reached govulncheck:\n%s", out.String())
	goVersion, err := goEnvVersion(filepath.Join("testdata", "vulnerable"))
	require.NoError(t, err)
	require.Contains(t, out.String(), "scanned with "+goVersion)
}

func TestAllowListExcusesUntilItsReviewDate(t *testing.T) {
	rep, _, _ := scanVulnerable(t)
	now := rep.DBDate.Add(24 * time.Hour)
	entry := func(reviewBy string) string {
		return "allow:\n  - id: GO-2026-6860\n    module: golang.org/x/net\n    reason: test pin\n    review_by: " + reviewBy + "\n"
	}

	allow, err := loadAllowList(writeAllow(t, entry(now.AddDate(0, 0, 7).Format(time.DateOnly))))
	require.NoError(t, err)
	lines, failed := verdict(rep, allow, "allow.yml", now, 60*24*time.Hour)
	require.False(t, failed, strings.Join(lines, "\n"))
	require.Contains(t, strings.Join(lines, "\n"), "allowed GO-2026-6860")

	allow, err = loadAllowList(writeAllow(t, entry(now.AddDate(0, 0, -2).Format(time.DateOnly))))
	require.NoError(t, err)
	lines, failed = verdict(rep, allow, "allow.yml", now, 60*24*time.Hour)
	require.True(t, failed, "an entry past its review date must fail the scan")
	require.Contains(t, strings.Join(lines, "\n"), "allow.yml:2: the allow-list entry for GO-2026-6860 was due for review on")
	require.Contains(t, strings.Join(lines, "\n"), "FAIL GO-2026-6860", "an expired entry excuses nothing")

	// An entry for another module does not excuse this one.
	allow, err = loadAllowList(writeAllow(t, strings.Replace(entry(now.AddDate(0, 0, 7).Format(time.DateOnly)), "golang.org/x/net", "golang.org/x/crypto", 1)))
	require.NoError(t, err)
	_, failed = verdict(rep, allow, "allow.yml", now, 60*24*time.Hour)
	require.True(t, failed)
}

func TestStaleDatabaseFails(t *testing.T) {
	rep, _, _ := scanVulnerable(t)
	require.False(t, rep.DBDate.IsZero(), "install-tools must record the database's date")
	clean := &report{DB: rep.DB, DBDate: rep.DBDate, GoVersion: rep.GoVersion}

	lines, failed := verdict(clean, nil, "allow.yml", rep.DBDate.AddDate(0, 0, 59), 60*24*time.Hour)
	require.False(t, failed, strings.Join(lines, "\n"))
	lines, failed = verdict(clean, nil, "allow.yml", rep.DBDate.AddDate(0, 0, 61), 60*24*time.Hour)
	require.True(t, failed)
	require.Contains(t, strings.Join(lines, "\n"), "too old: bump golang.org/x/vulndb in tools/vulndb")

	_, failed = verdict(&report{DB: rep.DB}, nil, "allow.yml", time.Now(), 60*24*time.Hour)
	require.True(t, failed, "a database without a date cannot be judged fresh")
}

func TestAllowListErrorsNameTheLineAndField(t *testing.T) {
	for body, want := range map[string]string{
		"allow:\n  - id: GO-1\n    module: m\n    reason: r\n":                                 "allow.yml:2: field review_by is empty",
		"allow:\n  - id: GO-1\n    module: m\n    reason: r\n    review_by: soon\n":            `allow.yml:2: field review_by "soon" is not a date`,
		"allow:\n  - id: GO-1\n    module: m\n    reason: r\n    review_by: 2027-01-01\n  - x": "allow.yml:6:",
	} {
		_, err := loadAllowList(writeAllow(t, body))
		require.Error(t, err, body)
		require.Contains(t, err.Error(), want)
	}
	entries, err := loadAllowList(filepath.Join("..", "..", "scripts", "vulncheck-allow.yml"))
	require.NoError(t, err, "the shipped allow-list parses")
	for _, e := range entries {
		require.NotEmpty(t, e.Reason)
	}
}

// TestScanJudgesTheGoThatBuilds: a scan that reports another Go than the
// one that builds, or one older than go.mod's toolchain, fails. (That a
// GOVERSION in the environment does not reach govulncheck is
// TestScanFailsOnACalledVulnerability's, on its scan.)
func TestScanJudgesTheGoThatBuilds(t *testing.T) {
	require.NotEmpty(t, checkScanned(&report{GoVersion: "1.26.8"}, "go1.27.3", "", minEntries), "a version that is not go1.x.y")
	require.NotEmpty(t, checkScanned(&report{GoVersion: "go1.99.0"}, "go1.27.3", "", minEntries), "another Go than the one that builds")
	require.NotEmpty(t, checkScanned(&report{GoVersion: "go1.26.8"}, "go1.26.8", "go1.27.3", minEntries), "older than go.mod's toolchain")
	require.Empty(t, checkScanned(&report{GoVersion: "go1.27.3"}, "go1.27.3", "go1.27.3", minEntries))
}

// TestEmptyDatabaseFails: a dated database that knows no vulnerability
// finds none, and must not pass.
func TestEmptyDatabaseFails(t *testing.T) {
	_, bin, _ := scanVulnerable(t)
	db := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(db, "index"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(db, "ID"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(db, "index", "db.json"), []byte(`{"modified":"`+time.Now().UTC().Format(time.RFC3339)+`"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(db, "index", "vulns.json"), []byte(`[]`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(db, "index", "modules.json"), []byte(`[]`), 0o644))
	var out, errOut bytes.Buffer
	code := run([]string{"-db", db, "-govulncheck", bin, "-allow", filepath.Join(t.TempDir(), "none.yml"), "-cache", "",
		"-C", filepath.Join("testdata", "vulnerable")}, &out, &errOut, time.Now())
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "holds 0 entries")
}

// TestAllowListCannotBePermanentOrCoverAFixedGo: review dates are at most
// 90 days ahead, and the standard library is never excused once a fixed Go
// exists.
func TestAllowListCannotBePermanentOrCoverAFixedGo(t *testing.T) {
	rep, _, _ := scanVulnerable(t)
	now := rep.DBDate.Add(24 * time.Hour)
	far := "allow:\n  - id: GO-2026-6860\n    module: golang.org/x/net\n    reason: test pin\n    review_by: " + now.AddDate(1, 0, 0).Format(time.DateOnly) + "\n"
	allow, err := loadAllowList(writeAllow(t, far))
	require.NoError(t, err)
	lines, failed := verdict(rep, allow, "allow.yml", now, 60*24*time.Hour)
	require.True(t, failed)
	require.Contains(t, strings.Join(lines, "\n"), "more than 90 days ahead")

	std := &report{DB: rep.DB, DBDate: rep.DBDate, GoVersion: "go1.26.8", Called: []called{{ID: "GO-2026-6617", Module: "stdlib", Version: "go1.26.8", Fixed: "v1.26.9", Symbol: "net/http.Serve"}}}
	stdAllow := "allow:\n  - id: GO-2026-6617\n    module: stdlib\n    reason: later\n    review_by: " + now.AddDate(0, 0, 7).Format(time.DateOnly) + "\n"
	allow, err = loadAllowList(writeAllow(t, stdAllow))
	require.NoError(t, err)
	lines, failed = verdict(std, allow, "allow.yml", now, 60*24*time.Hour)
	require.True(t, failed, "a fixed Go exists: the toolchain is the fix")
	require.Contains(t, strings.Join(lines, "\n"), "upgrade Go to go1.26.9")
}

// TestScanReusesAnUnchangedScan: a second scan of an unchanged module reuses
// the first one's answer, and any change to a source file scans afresh.
func TestScanReusesAnUnchangedScan(t *testing.T) {
	_, bin, db := scanVulnerable(t)
	mod := t.TempDir()
	require.NoError(t, os.CopyFS(mod, os.DirFS(filepath.Join("testdata", "vulnerable"))))
	cache := t.TempDir()
	scanIn := func(dir string) (int, string) {
		var out, errOut bytes.Buffer
		code := run([]string{"-db", db, "-govulncheck", bin, "-allow", filepath.Join(t.TempDir(), "none.yml"), "-cache", cache, "-C", dir}, &out, &errOut, time.Now())
		return code, out.String() + errOut.String()
	}
	scanMod := func() (int, string) { return scanIn(mod) }
	code, out := scanMod()
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL GO-2026-6860")
	require.NotContains(t, out, "is reused")

	// Blank out the kept answer's findings: a run that passes now read it
	// instead of scanning.
	kept, err := filepath.Glob(filepath.Join(cache, "*.json"))
	require.NoError(t, err)
	require.Len(t, kept, 1)
	stream, err := os.ReadFile(kept[0])
	require.NoError(t, err)
	rep, err := parseStream(bytes.NewReader(stream))
	require.NoError(t, err)
	require.NotEmpty(t, rep.Called)
	var clean []string
	for _, l := range strings.Split(string(stream), "\n{") {
		if !strings.Contains(l, `"finding"`) {
			clean = append(clean, l)
		}
	}
	require.NoError(t, os.WriteFile(kept[0], []byte(strings.Join(clean, "\n{")), 0o644))
	code, out = scanMod()
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "is reused")

	// The same files in another directory (a fresh clone of the same
	// commit, as CI makes) reuse it too: where the checkout is changes
	// nothing govulncheck reports.
	clone := t.TempDir()
	require.NoError(t, os.CopyFS(clone, os.DirFS(mod)))
	code, out = scanIn(clone)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "is reused")

	// A comment added to main.go is a change: scanned again, found again.
	main := filepath.Join(mod, "main.go")
	src, err := os.ReadFile(main)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(main, append(src, []byte("\n// changed\n")...), 0o644))
	code, out = scanMod()
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL GO-2026-6860")
	require.NotContains(t, out, "is reused")

	// So is a change to go.sum (a dependency bumped without a source change).
	sum := filepath.Join(mod, "go.sum")
	sums, err := os.ReadFile(sum)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(sum, append(sums, '\n'), 0o644))
	code, out = scanMod()
	require.Equal(t, 1, code, out)
	require.NotContains(t, out, "is reused")
}
