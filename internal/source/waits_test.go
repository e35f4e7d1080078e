package source_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

func loggedGroup(t *testing.T) (*source.Group, *prometheus.Registry, *logRecorder) {
	m := source.NewMetrics()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	logs := &logRecorder{}
	return source.NewGroup(m, slog.New(logs)), reg, logs
}

// TestRetryAfterIsBounded: a Retry-After beyond BackoffMax waits BackoffMax
// and is logged once; a malformed one falls back to the backoff and is
// logged once; BackoffMax itself stops at an hour.
func TestRetryAfterIsBounded(t *testing.T) {
	cases := []struct {
		mode, log  string
		backoffMax time.Duration
		want       []time.Duration // planned delays after failures 1, 2, 3
	}{
		{"429-huge", "longer than backoff_max", 50 * time.Millisecond, []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}},
		{"429-bad", "malformed Retry-After", 50 * time.Millisecond, []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}},
		{"429-huge", "longer than backoff_max", 3 * time.Hour, []time.Duration{time.Hour}},
	}
	for _, tc := range cases {
		t.Run(tc.mode+"/"+tc.backoffMax.String(), func(t *testing.T) {
			up := newUpstream(t)
			up.mode.Store(tc.mode)
			g, _, logs := loggedGroup(t)
			st := newStepper(t, g)
			opts := fastOpts("throttled")
			opts.BackoffMax = tc.backoffMax
			src := source.Add(g, opts, fetcher(up.URL, noCount))
			g.Start(context.Background())
			for i, want := range tc.want {
				if i > 0 {
					st.next()
				}
				st.await(t)
				assert.Equal(t, want, src.Status().NextDelay, "delay after failure %d", i+1)
				assert.Equal(t, source.ReasonThrottled, src.Status().LastReason)
			}
			st.release()
			assert.Len(t, logs.matching(tc.log), 1, "logged once")
		})
	}
}

// TestStuckFetchIsNeverDuplicated: a fetch that ignores its context is
// abandoned at the timeout, but while it runs no second fetch starts; later
// refreshes fail as stuck, vigil_source_fetches_in_flight shows it, and once
// it returns the source fetches again.
func TestStuckFetchIsNeverDuplicated(t *testing.T) {
	g, reg, _ := loggedGroup(t)
	st := newStepper(t, g)
	block := make(chan struct{})
	var calls atomic.Int64
	opts := fastOpts("stuck")
	opts.Timeout = 20 * time.Millisecond
	src := source.Add(g, opts, func(context.Context) (int, error) {
		if calls.Add(1) == 1 {
			<-block // ignores its context
		}
		return 1, nil
	})
	g.Start(context.Background())

	st.await(t)
	assert.Equal(t, source.ReasonTimeout, src.Status().LastReason)
	for range 3 {
		st.next()
		st.await(t)
		assert.Equal(t, source.ReasonStuck, src.Status().LastReason)
		assert.Equal(t, 1.0, gauge(t, reg, "vigil_source_fetches_in_flight", "stuck"))
	}
	assert.Equal(t, int64(1), calls.Load(), "no second fetch while the first still runs")
	assert.Equal(t, 1.0, errorsTotal(t, reg, "stuck", source.ReasonTimeout))
	assert.Equal(t, 3.0, errorsTotal(t, reg, "stuck", source.ReasonStuck))

	close(block)
	// The next refresh may still find the old fetch finishing; it waits
	// for it within its timeout, then fetches.
	for i := 0; !src.Status().Up; i++ {
		require.Less(t, i, 100, "the source never fetched again")
		st.next()
		st.await(t)
	}
	assert.Equal(t, int64(2), calls.Load())
	assert.Equal(t, 0.0, gauge(t, reg, "vigil_source_fetches_in_flight", "stuck"))
	st.release()
}

// TestPanicStackIsLoggedOnceAndNowhereElse: a panicking fetch is the
// source's error with reason other; its stack is logged once, and appears
// in no other log line and no metric.
func TestPanicStackIsLoggedOnceAndNowhereElse(t *testing.T) {
	g, reg, logs := loggedGroup(t)
	st := newStepper(t, g)
	src := source.Add(g, fastOpts("buggy"), func(context.Context) (int, error) {
		return 1, panicNow() // a runtime panic inside the fetch, as a bug would cause
	})
	g.Start(context.Background())
	for range 3 {
		st.await(t)
		st.next()
	}
	st.await(t)
	st.release()
	assert.False(t, src.Status().Up)
	assert.Equal(t, 4.0, errorsTotal(t, reg, "buggy", source.ReasonOther))

	stacks := 0
	for _, r := range logs.all() {
		for k, v := range r.Attrs {
			if strings.Contains(v, "goroutine ") {
				assert.Equal(t, "stack", k, "a stack in %q of %q", k, r.Message)
				assert.Contains(t, v, "waits_test.go", "the stack shows where the fetch panicked")
				stacks++
			}
		}
	}
	assert.Equal(t, 1, stacks, "the stack is logged once")
	failed := logs.matching("source refresh failed")
	require.NotEmpty(t, failed)
	assert.Contains(t, failed[0].Attrs["err"], "assignment to entry in nil map")

	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		assert.NotContains(t, mf.String(), "goroutine")
	}
}
