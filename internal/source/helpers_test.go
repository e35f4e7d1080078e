package source_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// logRecorder is a slog.Handler that keeps every record, attributes
// flattened to strings, for assertions on what was logged.
type logRecorder struct {
	mu      sync.Mutex
	records []logRecord
}

type logRecord struct {
	Level   slog.Level
	Message string
	Attrs   map[string]string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Message: r.Message, Attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	l.records = append(l.records, rec)
	l.mu.Unlock()
	return nil
}

// matching returns the records whose message contains msg.
func (l *logRecorder) matching(msg string) []logRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logRecord
	for _, r := range l.records {
		if strings.Contains(r.Message, msg) {
			out = append(out, r)
		}
	}
	return out
}

func (l *logRecorder) all() []logRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.records)
}

// wait is one loop of a group starting to wait for its next refresh: the
// refresh before it has fully finished.
type wait struct {
	source string
	delay  time.Duration
}

// waits records every wait of g's loops on a channel.
func waits(g *source.Group) <-chan wait {
	ch := make(chan wait, 1000)
	source.SetWaitHook(g, func(name string, d time.Duration) { ch <- wait{name, d} })
	return ch
}

// stepper holds g's loops between refreshes: each wait is sent on events and
// the loop goes on only when the test calls next (or the test ends). It
// stops g when the test ends; tests using it must not defer g.Stop.
type stepper struct {
	events  chan wait
	proceed chan struct{}
	done    chan struct{}
}

func newStepper(t *testing.T, g *source.Group) *stepper {
	s := &stepper{events: make(chan wait), proceed: make(chan struct{}), done: make(chan struct{})}
	source.SetWaitHook(g, func(name string, d time.Duration) {
		select {
		case s.events <- wait{name, d}:
		case <-s.done:
			return
		}
		select {
		case <-s.proceed:
		case <-s.done:
		}
	})
	// Cleanups run after defers: a test that fails while a loop is held
	// must not leave Stop waiting for it.
	t.Cleanup(func() {
		s.release()
		g.Stop(false)
	})
	return s
}

// await returns the next wait, i.e. the end of the next refresh.
func (s *stepper) await(t *testing.T) wait {
	t.Helper()
	select {
	case w := <-s.events:
		return w
	case <-time.After(20 * time.Second):
		t.Fatal("no refresh finished in 20s")
		return wait{}
	}
}

// next lets the held loop go on to its next refresh.
func (s *stepper) next() { s.proceed <- struct{}{} }

// release lets every loop run freely from now on; call before Stop.
func (s *stepper) release() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// awaitWaits collects n waits, one per source at most once each.
func awaitWaits(t *testing.T, ch <-chan wait, n int) map[string]time.Duration {
	t.Helper()
	got := map[string]time.Duration{}
	for len(got) < n {
		select {
		case w := <-ch:
			got[w.source] = w.delay
		case <-time.After(20 * time.Second):
			t.Fatalf("only %d of %d loops started waiting: %v", len(got), n, got)
		}
	}
	return got
}

// series returns the label sets (as "k=v,..." strings) and values of a family.
func series(t *testing.T, reg prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var parts []string
			for _, l := range m.GetLabel() {
				parts = append(parts, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.GetCounter().GetValue()
			}
			out[strings.Join(parts, ",")] = v
		}
	}
	return out
}

// has reports whether name{source=src} exists.
func has(t *testing.T, reg prometheus.Gatherer, name, src string) bool {
	t.Helper()
	_, ok := series(t, reg, name)["source="+src]
	return ok
}

func slowOpts(name, key string) source.Options {
	return source.Options{Name: name, Key: key, Interval: time.Hour, NoJitter: true,
		BackoffInitial: time.Hour, BackoffMax: time.Hour}
}

func noCount(string) {}

var _ = fmt.Sprint

// panicNow panics with a runtime error (assignment to entry in nil map), as
// a bug in a fetch would. The map comes in as a parameter so static analysis
// does not flag the deliberate panic.
func panicNow() error { return writeTo(nil) }

func writeTo(m map[string]int) error {
	m["x"] = 1
	return nil
}
