//go:build soak

package soak

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-monitoring/vigil/internal/sandbox/flap"
	"github.com/vigil-monitoring/vigil/internal/soak"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestSoak builds the exporter, runs it on the sandbox with every HTTP
// upstream flapping (healthy, slow, 503, 429; VIGIL_SANDBOX_FLAP), scrapes
// it every second, reloads it every SOAK_RELOAD_EVERY (30s), samples its
// goroutines, heap in use and open fds from its own metrics every 10 s, and
// fails when soak.Judge finds one growing after the warm-up (a fifth of the
// run, at least a minute).
func TestSoak(t *testing.T) {
	duration := envDuration(t, "SOAK_DURATION", 10*time.Minute)
	reloadEvery := envDuration(t, "SOAK_RELOAD_EVERY", 30*time.Second)
	warmup := max(time.Minute, duration/5)
	dir := t.TempDir()
	bin := filepath.Join(dir, "vigil-exporter")
	args := []string{"build", "-o", bin}
	if os.Getenv("SOAK_LEAK") == "1" {
		args = append(args, "-tags", "soakleak")
		t.Log("SOAK_LEAK=1: this exporter leaks a goroutine per reload; the soak must fail")
	}
	build := exec.Command("go", append(args, "./cmd/exporter")...)
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--sandbox", "--web.enable-lifecycle", "--web.listen-address="+addr, "--storage.path="+filepath.Join(dir, "data"), "--log.level=warn")
	cmd.Env = append(os.Environ(), flap.Env+"=20s")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("exporter log (last 4 KiB):\n%s", tail(logs.String(), 4096))
		}
	})
	base := "http://" + addr
	waitReady(t, base+"/-/ready")

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	began := time.Now()
	scrapes, reloads := time.NewTicker(time.Second), time.NewTicker(reloadEvery)
	samples := time.NewTicker(10 * time.Second)
	defer scrapes.Stop()
	defer reloads.Stop()
	defer samples.Stop()
	var got []soak.Sample
	var failedScrapes, failedReloads int
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-scrapes.C:
			if _, err := get(base + "/metrics"); err != nil {
				failedScrapes++
			}
		case <-reloads.C:
			resp, err := http.Post(base+"/-/reload", "", nil)
			if err != nil || resp.StatusCode != http.StatusOK {
				failedReloads++
			}
			if resp != nil {
				resp.Body.Close()
			}
		case <-samples.C:
			s, err := sample(base+"/metrics", time.Since(began))
			if err != nil {
				t.Fatalf("sampling: %v", err)
			}
			got = append(got, s)
			t.Logf("%6s goroutines %4.0f  heap_inuse %6.1f MiB  open_fds %3.0f", s.At.Round(time.Second), s.Goroutines, s.HeapBytes/(1<<20), s.FDs)
		}
	}
	if failedScrapes > 0 || failedReloads > 0 {
		t.Errorf("%d scrapes and %d reloads failed", failedScrapes, failedReloads)
	}
	first, last := got[0], got[len(got)-1]
	t.Logf("soak %s, reload every %s, warm-up %s: goroutines %.0f -> %.0f, heap_inuse %.1f -> %.1f MiB, open_fds %.0f -> %.0f",
		duration, reloadEvery, warmup, first.Goroutines, last.Goroutines, first.HeapBytes/(1<<20), last.HeapBytes/(1<<20), first.FDs, last.FDs)
	for _, p := range soak.Judge(got, warmup) {
		t.Error(p)
	}
}

func sample(url string, at time.Duration) (soak.Sample, error) {
	body, err := get(url)
	if err != nil {
		return soak.Sample{}, err
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return soak.Sample{}, err
	}
	val := func(name string) float64 {
		mf := mfs[name]
		if mf == nil || len(mf.GetMetric()) == 0 {
			return -1
		}
		return mf.GetMetric()[0].GetGauge().GetValue()
	}
	return soak.Sample{At: at, Goroutines: val("go_goroutines"), HeapBytes: val("go_memstats_heap_inuse_bytes"), FDs: val("process_open_fds")}, nil
}

func get(url string) ([]byte, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := get(url); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s not ready after 2 minutes", url)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a duration such as 10m", name, v)
	}
	return d
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}
