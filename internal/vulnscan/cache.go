package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// govulncheck analyses the call graph of every package afresh on each run
// (about a CPU-minute for this module) and has no cache of its own. Its
// answer depends only on the inputs scanKey hashes, so a scan whose inputs
// are all unchanged reuses the stream of the last one, as go vet reuses its
// results. Only govulncheck's raw output is kept: the verdict (allow-list
// review dates, the database's age) is judged again on every run, because
// it depends on today's date.

// cacheKeep is how many scans the cache directory holds.
const cacheKeep = 8

// buildEnv are the go settings that change which files make up a package,
// and where the module and workspace files are: read through `go env`, so
// that settings saved with `go env -w` count too.
var buildEnv = []string{"GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOMOD", "GOWORK"}

// scanKey hashes what govulncheck's answer depends on: the govulncheck
// binary, the database's index (its date and what it covers), the Go that
// builds, the build settings, the arguments, the module's (and workspace's)
// go.mod, go.sum and go.work, and every file in dir a package can be built
// from.
func scanKey(dir, govulncheck, db, goVersion string, args []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "go %s\nargs %q\n", goVersion, args)
	cmd := exec.Command("go", append([]string{"env"}, buildEnv...)...)
	cmd.Dir = dir
	cmd.Env = withoutEnv(os.Environ(), "GOVERSION")
	env, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	files := []string{govulncheck, filepath.Join(db, "index", "db.json"), filepath.Join(db, "index", "modules.json"), filepath.Join(db, "index", "vulns.json")}
	lines := strings.Split(string(env), "\n") // one line per setting, in order
	if len(lines) < len(buildEnv) {
		return "", fmt.Errorf("go env printed %d lines for %d settings", len(lines), len(buildEnv))
	}
	for i := len(buildEnv) - 2; i < len(buildEnv); i++ { // GOMOD, GOWORK
		f := lines[i]
		if f == "" || f == os.DevNull {
			continue
		}
		if rel, err := filepath.Rel(absDir, f); err == nil && filepath.IsLocal(rel) {
			// The module's own go.mod (or go.work), which hashModule hashes
			// under its name in the module. Its absolute path says only
			// where the checkout is, which nothing govulncheck reports
			// depends on: a fresh clone of the same commit (as CI makes)
			// reuses the scan.
			lines[i] = rel
			continue
		}
		files = append(files, f, strings.TrimSuffix(f, ".mod")+".sum", f+".sum")
	}
	fmt.Fprintf(h, "env %s\n", strings.Join(lines, "\n"))
	for _, f := range files {
		if err := hashFile(h, f, f); err != nil && !(os.IsNotExist(err) && strings.HasSuffix(f, ".sum")) {
			return "", err
		}
	}
	if err := hashModule(h, dir); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashModule hashes the name and content of every file of the module in dir
// that go may read to build it: Go and assembly sources, cgo's C files,
// go.mod, go.sum and go.work. Like ./..., it leaves out testdata, vendor,
// directories starting with . or _, and nested modules.
func hashModule(h io.Writer, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if rel != "." {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !d.Type().IsRegular() || !moduleFile(d.Name()) {
			return nil
		}
		return hashFile(h, p, rel)
	})
}

func moduleFile(name string) bool {
	switch name {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	return slices.Contains([]string{".go", ".s", ".c", ".h", ".cc", ".cpp", ".syso"}, filepath.Ext(name))
}

func hashFile(h io.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h, "file %s\n", name)
	n, err := io.Copy(h, f)
	fmt.Fprintf(h, "\nsize %d\n", n)
	return err
}

// govulncheckPath is the binary exec runs for bin with Dir set to dir: a
// path with a separator is relative to dir, a bare name is looked up in PATH.
func govulncheckPath(bin, dir string) (string, error) {
	if !strings.ContainsRune(bin, filepath.Separator) {
		return exec.LookPath(bin)
	}
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(dir, bin)
	}
	return filepath.Abs(bin)
}

// cachedScan returns the stream kept for key, if any.
func cachedScan(cacheDir, key string) ([]byte, bool) {
	if cacheDir == "" {
		return nil, false
	}
	b, err := os.ReadFile(filepath.Join(cacheDir, key+".json"))
	if err != nil {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(filepath.Join(cacheDir, key+".json"), now, now) // newest is kept longest
	return b, true
}

// keepScan stores a stream govulncheck produced, and drops all but the
// cacheKeep most recently used ones. A cache that cannot be written only
// costs the next run a full scan.
func keepScan(cacheDir, key string, stream []byte) {
	if cacheDir == "" || os.MkdirAll(cacheDir, 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(cacheDir, "scan-*.tmp")
	if err != nil {
		return
	}
	_, werr := tmp.Write(stream)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), filepath.Join(cacheDir, key+".json")) != nil {
		os.Remove(tmp.Name())
		return
	}
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "*.json"))
	if len(entries) <= cacheKeep {
		return
	}
	mod := map[string]time.Time{}
	for _, e := range entries {
		if fi, err := os.Stat(e); err == nil {
			mod[e] = fi.ModTime()
		}
	}
	slices.SortFunc(entries, func(a, b string) int { return mod[b].Compare(mod[a]) })
	for _, e := range entries[cacheKeep:] {
		os.Remove(e)
	}
}

// defaultCacheDir is vigil/vulnscan in the user's cache directory
// (XDG_CACHE_HOME, else ~/.cache), or "" (no cache) when there is none.
func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "vigil", "vulnscan")
}
