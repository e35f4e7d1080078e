package browser

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// This module imports nothing from the main module: it runs the exporter
// as the binary users run (built once per test run from ../../cmd/exporter),
// so the main module's dependencies never have to be tidied in here too.
// The few helpers below mirror internal/testenv's.

// repoRoot is the main module's directory, two above this package's, where
// go test runs it (not runtime.Caller: make test builds with -trimpath, under
// which source file names are module paths).
func repoRoot() string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return root
}

// tool returns the path of a command on PATH; a missing one skips the test
// locally and fails it under CI=true, so CI never passes by skipping.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		msg := name + " is not installed: run `make tools` (or `make test`, which installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
	buildOut  []byte
)

// exporterBinary builds cmd/exporter once per test run, where
// scripts/demo.sh builds it ($XDG_CACHE_HOME/vigil/demo/), with the same
// flags: go build relinks a binary only when its -o target is not already
// the one it would produce, so the demo's build finds it up to date, and a
// run where nothing changed skips the exporter's link (about 9 CPU-seconds)
// that a new temporary directory would cost each time. go build replaces
// the file by rename, so a build by another run never alters a binary that
// is running. (The main module's tests do the same through
// internal/testenv.GoBuild, which this module, importing none of Vigil's
// packages, does not use.)
func exporterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(cache, "vigil", "demo", "vigil-exporter")
		cmd := exec.Command("go", "build", "-o", built, "./cmd/exporter")
		cmd.Dir = repoRoot()
		// Static, as make image and make lint build: one set of compiled packages
		// in the cache serves all three (nothing in Vigil uses cgo).
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	require.NoError(t, buildErr, "building the exporter:\n%s", buildOut)
	return built
}

// startExporter runs the exporter binary with args on a free loopback port
// until the test ends and waits until /-/ready answers 200.
func startExporter(t *testing.T, args ...string) string {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", freePort(t))
	out := &syncBuffer{}
	// Its own storage path and working directory: snapshots of an earlier
	// run (the default --storage.path is ./data) must not leak in.
	dir := t.TempDir()
	cmd := exec.Command(exporterBinary(t), append(args, "--web.listen-address="+addr, "--storage.path="+filepath.Join(dir, "data"))...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("exporter output:\n%s", out.String())
		}
	})
	url := "http://" + addr
	require.Eventually(t, func() bool {
		select {
		case <-exited:
			return true // reported below
		default:
		}
		resp, err := http.Get(url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 100*time.Millisecond, "the exporter never became ready")
	select {
	case <-exited:
		t.Fatalf("the exporter exited:\n%s", out.String())
	default:
	}
	return url
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test
// reading it at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
