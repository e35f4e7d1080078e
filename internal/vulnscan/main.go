// Command vulnscan runs govulncheck against an offline vulnerability database
// and decides whether the build may ship: it fails on every vulnerability the
// code calls that is not in the allow-list, on an allow-list entry past its
// review date, and on a database older than -max-age, so the database is
// bumped rather than frozen. Each failure prints one line saying what to
// upgrade. `make lint` runs it; govulncheck cannot reach vuln.go.dev here, so
// scripts/install-tools.sh builds the database from golang.org/x/vulndb.
//
// govulncheck's own exit status cannot do this: it has no allow-list and no
// notion of a stale database, hence this wrapper.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Now()))
}

func run(args []string, stdout, stderr io.Writer, now time.Time) int {
	fs := flag.NewFlagSet("vulnscan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "directory of the offline vulnerability database (govulncheck -db file://DIR)")
	allowPath := fs.String("allow", "scripts/vulncheck-allow.yml", "allow-list of called vulnerabilities that cannot be fixed yet")
	maxAgeDays := fs.Int("max-age-days", 60, "fail when the database's data is older than this many days")
	govulncheck := fs.String("govulncheck", "govulncheck", "the govulncheck binary")
	dir := fs.String("C", ".", "the module to scan")
	cacheDir := fs.String("cache", defaultCacheDir(), "directory keeping govulncheck's last answers, reused while nothing it depends on changed (\"\" = always scan)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *db == "" {
		fmt.Fprintln(stderr, "vulnscan: -db is required (scripts/install-tools.sh lint builds it under ~/.cache/vigil/tools/vulndb)")
		return 2
	}
	absDB, err := filepath.Abs(*db)
	if err != nil {
		fmt.Fprintf(stderr, "vulnscan: %v\n", err)
		return 2
	}
	allow, err := loadAllowList(*allowPath)
	if err != nil {
		fmt.Fprintf(stderr, "vulnscan: %v\n", err)
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	entries, err := countEntries(absDB)
	if err != nil {
		fmt.Fprintf(stderr, "vulnscan: %v\n", err)
		return 2
	}
	goVersion, err := goEnvVersion(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "vulnscan: %v\n", err)
		return 2
	}
	scanArgs := append([]string{"-db", "file://" + absDB, "-format", "json"}, patterns...)
	stream, code := scan(*govulncheck, *dir, absDB, goVersion, scanArgs, *cacheDir, stdout, stderr)
	if code != 0 {
		return code
	}
	rep, err := parseStream(bytes.NewReader(stream))
	if err != nil {
		fmt.Fprintf(stderr, "vulnscan: %v\n", err)
		return 2
	}
	lines, failed := verdict(rep, allow, *allowPath, now, time.Duration(*maxAgeDays)*24*time.Hour)
	for _, l := range checkScanned(rep, goVersion, toolchainOf(*dir), entries) {
		lines, failed = append(lines, l), true
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	if failed {
		return 1
	}
	return 0
}

// scan runs govulncheck on the module in dir, or reuses the stream of an
// earlier run whose inputs were all the same (cache.go).
func scan(govulncheck, dir, db, goVersion string, args []string, cacheDir string, stdout, stderr io.Writer) ([]byte, int) {
	bin, err := govulncheckPath(govulncheck, dir)
	if err != nil {
		fmt.Fprintf(stderr, "vulnscan: govulncheck: %v\n", err)
		return nil, 2
	}
	key, err := scanKey(dir, bin, db, goVersion, args)
	if err != nil {
		fmt.Fprintf(stderr, "vulnscan: not reusing an earlier scan: %v\n", err)
		cacheDir = ""
	}
	if b, ok := cachedScan(cacheDir, key); ok {
		if _, err := parseStream(bytes.NewReader(b)); err == nil {
			fmt.Fprintf(stdout, "govulncheck: nothing it reads changed since the scan kept in %s (sources, go.mod, go.sum, Go, database, govulncheck): its answer is reused\n", filepath.Join(cacheDir, key+".json"))
			return b, 0
		}
		os.Remove(filepath.Join(cacheDir, key+".json")) // damaged: scan again
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	// govulncheck takes the Go version from GOVERSION when it is set, before
	// asking the go command: a stray GOVERSION would make it judge the
	// standard library of a Go that is not the one that builds.
	cmd.Env = withoutEnv(os.Environ(), "GOVERSION")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "vulnscan: govulncheck failed: %v\n%s", err, errOut.String())
		return nil, 2
	}
	// Kept only if nothing changed while govulncheck ran: an answer about
	// files edited meanwhile must not be filed under either version's key.
	if _, err := parseStream(bytes.NewReader(out.Bytes())); err == nil && cacheDir != "" {
		if after, err := scanKey(dir, bin, db, goVersion, args); err == nil && after == key {
			keepScan(cacheDir, key, out.Bytes())
		}
	}
	return out.Bytes(), 0
}
