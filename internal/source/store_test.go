package source_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// process is what one run of the daemon has: its own metrics and a group
// on the shared storage directory.
type process struct {
	g    *source.Group
	reg  *prometheus.Registry
	src  *source.Source[payload]
	w    <-chan wait
	logs *logRecorder
}

func start(t *testing.T, dir string, opts source.Options, url string) *process {
	t.Helper()
	m := source.NewMetrics()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	logs := &logRecorder{}
	g := source.NewGroup(m, slog.New(logs), source.WithStorage(dir))
	p := &process{g: g, reg: reg, logs: logs, w: waits(g)}
	p.src = source.Add(g, opts, fetcher(url, noCount))
	return p
}

func persistentOpts() source.Options {
	o := slowOpts("billing", "key-1")
	o.Persistent = true
	return o
}

// TestPersistentSnapshotSurvivesRestarts: ten restarts within the interval
// send no request, serve the same value with its original timestamp, are
// ready at once, and wait for the rest of the interval.
func TestPersistentSnapshotSurvivesRestarts(t *testing.T) {
	up := newUpstream(t)
	dir := t.TempDir()
	first := start(t, dir, persistentOpts(), up.URL)
	first.g.Start(context.Background())
	awaitWaits(t, first.w, 1)
	first.g.Stop(false)
	want, wantAt, ok := first.src.Get()
	require.True(t, ok)
	require.FileExists(t, source.SnapshotFile(dir, "billing"))

	for i := range 10 {
		p := start(t, dir, persistentOpts(), up.URL)
		got, at, ok := p.src.Get()
		require.True(t, ok, "restart %d: the snapshot is served before the first refresh", i)
		assert.Equal(t, want, got)
		assert.True(t, at.Equal(wantAt), "restart %d: original timestamp %v, got %v", i, wantAt, at)
		assert.True(t, p.g.Ready(), "restart %d: a restored source counts as attempted", i)
		p.g.Start(context.Background())
		d := awaitWaits(t, p.w, 1)["billing"]
		assert.Greater(t, d, 50*time.Minute, "restart %d: waits for the rest of the interval", i)
		assert.LessOrEqual(t, d, time.Hour)
		assert.InDelta(t, float64(wantAt.UnixNano())/1e9, gauge(t, p.reg, "vigil_source_last_success_timestamp_seconds", "billing"), 0.001)
		assert.Equal(t, 1.0, gauge(t, p.reg, "vigil_source_up", "billing"))
		assert.Equal(t, 1.0, gauge(t, p.reg, "vigil_source_attempted", "billing"))
		p.g.Stop(false)
	}
	assert.Equal(t, int64(1), up.hits.Load(), "10 restarts within the interval: no request")

	// Once the interval has passed since the snapshot, the start refetches:
	// the same file, taken two hours ago.
	file := source.SnapshotFile(dir, "billing")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var f map[string]any
	require.NoError(t, json.Unmarshal(data, &f))
	wantAt = wantAt.Add(-2 * time.Hour)
	f["at"] = wantAt
	data, err = json.Marshal(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o600))
	p := start(t, dir, persistentOpts(), up.URL)
	_, at, _ := p.src.Get()
	require.True(t, at.Equal(wantAt), "the old snapshot is served until the refresh")
	p.g.Start(context.Background())
	awaitWaits(t, p.w, 1)
	p.g.Stop(false)
	assert.Equal(t, int64(2), up.hits.Load())
	got, at, _ := p.src.Get()
	assert.Equal(t, 2, got.Items)
	assert.True(t, at.After(wantAt))
}

// TestUnusableSnapshotFilesAreSetAside: truncated, corrupt and foreign files
// are logged, renamed aside and ignored; the source starts fresh and writes
// a good file.
func TestUnusableSnapshotFilesAreSetAside(t *testing.T) {
	up := newUpstream(t)
	seed := t.TempDir()
	p := start(t, seed, persistentOpts(), up.URL)
	p.g.Start(context.Background())
	awaitWaits(t, p.w, 1)
	p.g.Stop(false)
	good, err := os.ReadFile(source.SnapshotFile(seed, "billing"))
	require.NoError(t, err)
	var header map[string]any
	require.NoError(t, json.Unmarshal(good, &header))
	rewrite := func(field string, v any) []byte {
		h := map[string]any{}
		for k, x := range header {
			h[k] = x
		}
		h[field] = v
		b, err := json.Marshal(h)
		require.NoError(t, err)
		return b
	}

	cases := map[string]struct {
		content []byte
		aside   string
	}{
		"truncated":     {good[:len(good)/2], ".corrupt-"},
		"empty":         {[]byte{}, ".corrupt-"},
		"garbage":       {[]byte("\x00\x01not json"), ".corrupt-"},
		"no time":       {rewrite("at", nil), ".corrupt-"},
		"wrong type":    {rewrite("value", "a string"), ".corrupt-"},
		"other source":  {rewrite("source", "someone-else"), ".foreign-"},
		"other key":     {rewrite("key", "0000"), ".foreign-"},
		"other version": {rewrite("format", 99), ".foreign-"},
		"future time":   {rewrite("at", time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339Nano)), ".foreign-"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file := source.SnapshotFile(dir, "billing")
			require.NoError(t, os.WriteFile(file, tc.content, 0o600))
			before := up.hits.Load()

			p := start(t, dir, persistentOpts(), up.URL)
			_, _, ok := p.src.Get()
			assert.False(t, ok, "an unusable file is not served")
			assert.False(t, p.g.Ready())
			warned := p.logs.matching("stored snapshot is unusable")
			require.Len(t, warned, 1, "logged once")
			assert.Equal(t, "billing", warned[0].Attrs["source"])
			aside, err := filepath.Glob(file + tc.aside + "*")
			require.NoError(t, err)
			require.Len(t, aside, 1, "set aside with suffix %s", tc.aside)
			kept, err := os.ReadFile(aside[0])
			require.NoError(t, err)
			assert.Equal(t, tc.content, kept, "set aside as it was, for a post-mortem")

			p.g.Start(context.Background())
			awaitWaits(t, p.w, 1)
			p.g.Stop(false)
			assert.Equal(t, before+1, up.hits.Load(), "starts fresh")
			_, _, ok = p.src.Get()
			assert.True(t, ok)
			again := start(t, dir, persistentOpts(), up.URL)
			_, _, ok = again.src.Get()
			assert.True(t, ok, "the fresh snapshot was written and restores")
		})
	}
}

// TestSnapshotWriteIsAtomic: a write interrupted before its rename (kill -9
// mid-write) leaves a temp file beside the last good snapshot; the restart
// restores the good one and clears the leftover.
func TestSnapshotWriteIsAtomic(t *testing.T) {
	up := newUpstream(t)
	dir := t.TempDir()
	p := start(t, dir, persistentOpts(), up.URL)
	p.g.Start(context.Background())
	awaitWaits(t, p.w, 1)
	p.g.Stop(false)
	file := source.SnapshotFile(dir, "billing")
	leftover := file + ".tmp-12345"
	require.NoError(t, os.WriteFile(leftover, []byte(`{"format":1,"sou`), 0o600))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.True(t, e.Name() == filepath.Base(leftover) || !strings.Contains(e.Name(), ".tmp-"), "a finished write left %s", e.Name())
	}

	again := start(t, dir, persistentOpts(), up.URL)
	_, _, ok := again.src.Get()
	assert.True(t, ok)
	assert.NoFileExists(t, leftover)
	info, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "snapshots may hold account data: owner only")
}

func TestSnapshotFileNames(t *testing.T) {
	assert.Equal(t, filepath.Join("d", "billing-aws.snapshot.json"), source.SnapshotFile("d", "billing-aws"))
	a, b := source.SnapshotFile("d", "a/b"), source.SnapshotFile("d", "a_b")
	assert.NotEqual(t, a, b, "sanitised names must not collide")
	assert.Equal(t, "d", filepath.Dir(a))
	assert.Equal(t, "d", filepath.Dir(source.SnapshotFile("d", "../../etc/passwd")), "no path escapes the storage directory")
	assert.Equal(t, "d", filepath.Dir(source.SnapshotFile("d", "..")))
}

// TestNotPersistentWritesNothing: only sources marked persistent write.
func TestNotPersistentWritesNothing(t *testing.T) {
	up := newUpstream(t)
	dir := t.TempDir()
	p := start(t, dir, slowOpts("plain", "k"), up.URL)
	p.g.Start(context.Background())
	awaitWaits(t, p.w, 1)
	p.g.Stop(false)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}
