package source_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// upstream is a real HTTP server whose behaviour a test switches at will.
type upstream struct {
	*httptest.Server
	mode    atomic.Value // string
	release chan struct{}
	hits    atomic.Int64
	hung    chan struct{} // one send per request that starts hanging
	blocked atomic.Int64  // requests hanging now
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{release: make(chan struct{}), hung: make(chan struct{}, 100)}
	u.mode.Store("ok")
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		switch u.mode.Load().(string) {
		case "ok":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"items": %d}`, u.hits.Load())
		case "hang":
			u.blocked.Add(1)
			defer u.blocked.Add(-1)
			select {
			case u.hung <- struct{}{}:
			default:
			}
			select {
			case <-u.release:
			case <-r.Context().Done():
			}
		case "500":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "429", "429-slow", "429-huge", "429-bad":
			w.Header().Set("Retry-After", map[string]string{"429": "1", "429-slow": "7", "429-huge": "7200", "429-bad": "soon"}[u.mode.Load().(string)])
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "401":
			http.Error(w, "who are you", http.StatusUnauthorized)
		case "404":
			http.NotFound(w, r)
		case "garbage":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"items": [1, 2,`)
		}
	}))
	t.Cleanup(func() {
		close(u.release)
		u.Close()
	})
	return u
}

type payload struct {
	Items int `json:"items"`
}

// fetcher is what a hand-written client does: one counted request, a status
// check and a decode.
func fetcher(url string, count func(string)) source.Fetch[payload] {
	return func(ctx context.Context) (payload, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return payload{}, err
		}
		count("GET /items")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return payload{}, fmt.Errorf("listing items: %w", err)
		}
		if err := source.CheckResponse("GET /items", resp); err != nil {
			return payload{}, err
		}
		defer resp.Body.Close()
		var p payload
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			return payload{}, &source.DecodeError{Err: err}
		}
		return p, nil
	}
}

func newGroup(t *testing.T) (*source.Group, *source.Metrics, *prometheus.Registry) {
	m := source.NewMetrics()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	return source.NewGroup(m, nil), m, reg
}

func fastOpts(name string) source.Options {
	return source.Options{
		Name: name, Interval: 20 * time.Millisecond, Timeout: 200 * time.Millisecond,
		NoJitter: true, BackoffInitial: 10 * time.Millisecond, BackoffMax: 80 * time.Millisecond,
	}
}

func errorsTotal(t *testing.T, reg prometheus.Gatherer, src, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "vigil_source_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["source"] == src && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func gauge(t *testing.T, reg prometheus.Gatherer, name, src string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "source" && l.GetValue() == src {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{source=%q}", name, src)
	return 0
}

// TestFailureKeepsSnapshotAndClassifies drives one source through every kind
// of upstream failure and checks the reason, the kept snapshot and up.
func TestFailureKeepsSnapshotAndClassifies(t *testing.T) {
	cases := []struct {
		mode, reason string
	}{
		{"500", source.ReasonServerError},
		{"429", source.ReasonThrottled},
		{"401", source.ReasonAuth},
		{"404", source.ReasonNotFound},
		{"garbage", source.ReasonDecode},
		{"hang", source.ReasonTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			up := newUpstream(t)
			g, m, reg := newGroup(t)
			opts := fastOpts("items")
			opts.Timeout = 100 * time.Millisecond
			src := source.Add(g, opts, fetcher(up.URL, m.APIRequestCounter("items")))
			g.Start(context.Background())
			defer g.Stop(false)

			require.Eventually(t, func() bool { return src.Status().Up }, 5*time.Second, 5*time.Millisecond)
			good, goodAt, ok := src.Get()
			require.True(t, ok)
			require.Positive(t, good.Items)

			up.mode.Store(tc.mode)
			require.Eventually(t, func() bool { return errorsTotal(t, reg, "items", tc.reason) >= 1 },
				5*time.Second, 5*time.Millisecond, "no error with reason %s", tc.reason)

			st := src.Status()
			assert.False(t, st.Up)
			assert.Equal(t, tc.reason, st.LastReason)
			kept, keptAt, ok := src.Get()
			assert.True(t, ok, "a failure must not erase the snapshot")
			assert.GreaterOrEqual(t, kept.Items, good.Items)
			assert.False(t, keptAt.Before(goodAt))
			assert.Equal(t, 0.0, gauge(t, reg, "vigil_source_up", "items"))
			last := gauge(t, reg, "vigil_source_last_success_timestamp_seconds", "items")
			assert.InDelta(t, float64(keptAt.UnixNano())/1e9, last, 0.001)

			// Recovery resets everything.
			up.mode.Store("ok")
			require.Eventually(t, func() bool { return src.Status().Up }, 5*time.Second, 5*time.Millisecond)
			assert.Equal(t, 1.0, gauge(t, reg, "vigil_source_up", "items"))
			assert.Zero(t, src.Status().ConsecutiveFailures)
		})
	}
}

// TestBackoffGrowsCapsAndResets checks the planned delays, not elapsed time.
func TestBackoffGrowsCapsAndResets(t *testing.T) {
	up := newUpstream(t)
	up.mode.Store("500")
	g, m, _ := newGroup(t)
	src := source.Add(g, fastOpts("items"), fetcher(up.URL, m.APIRequestCounter("items")))

	var mu sync.Mutex
	seen := map[int]time.Duration{}
	g.Start(context.Background())
	defer g.Stop(false)
	require.Eventually(t, func() bool {
		st := src.Status()
		mu.Lock()
		defer mu.Unlock()
		if st.ConsecutiveFailures > 0 {
			seen[st.ConsecutiveFailures] = st.NextDelay
		}
		return st.ConsecutiveFailures >= 6
	}, 10*time.Second, time.Millisecond)

	mu.Lock()
	want := map[int]time.Duration{1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 3: 40 * time.Millisecond, 4: 80 * time.Millisecond, 5: 80 * time.Millisecond}
	for n, d := range want {
		if got, ok := seen[n]; ok {
			assert.Equal(t, d, got, "delay after %d failures", n)
		}
	}
	assert.GreaterOrEqual(t, len(seen), 4, "observed too few failure states: %v", seen)
	mu.Unlock()

	up.mode.Store("ok")
	require.Eventually(t, func() bool { return src.Status().Up }, 5*time.Second, time.Millisecond)
	st := src.Status()
	assert.Equal(t, 20*time.Millisecond, st.NextDelay, "success goes back to the interval")
	assert.Zero(t, st.ConsecutiveFailures)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	up := newUpstream(t)
	up.mode.Store("429-slow")
	g, m, _ := newGroup(t)
	opts := fastOpts("items")
	opts.BackoffMax = 10 * time.Second // Retry-After is honoured up to BackoffMax
	src := source.Add(g, opts, fetcher(up.URL, m.APIRequestCounter("items")))
	g.Start(context.Background())
	defer g.Stop(false)
	require.Eventually(t, func() bool { return src.Status().ConsecutiveFailures == 1 }, 5*time.Second, time.Millisecond)
	st := src.Status()
	assert.Equal(t, source.ReasonThrottled, st.LastReason)
	assert.Equal(t, 7*time.Second, st.NextDelay, "Retry-After: 7 outweighs the 10ms backoff")
}

// TestHangingSourceBlocksNothing: while one upstream hangs in the middle of
// a refresh, the other source keeps refreshing, a scrape that renders both
// sources' snapshots (as collectors do) completes and serves the hanging
// source's last good data, and Stop returns, all while the hanging handler
// is still blocked (causality, not wall-clock).
func TestHangingSourceBlocksNothing(t *testing.T) {
	hanging := newUpstream(t)
	healthy := newUpstream(t)
	g, m, reg := newGroup(t)

	hopts := fastOpts("hanging")
	hopts.Timeout = time.Hour // the fetch would hang for the whole test
	hsrc := source.Add(g, hopts, fetcher(hanging.URL, m.APIRequestCounter("hanging")))
	ok := source.Add(g, fastOpts("healthy"), fetcher(healthy.URL, m.APIRequestCounter("healthy")))
	// The hanging source succeeds once, then its next request hangs.
	source.SetWaitHook(g, func(name string, _ time.Duration) {
		if name == "hanging" {
			hanging.mode.Store("hang")
		}
	})
	// A collector like every real one: it renders the snapshots.
	require.NoError(t, reg.Register(snapshotCollector{hsrc, ok}))
	g.Start(context.Background())

	<-hanging.hung // the second refresh is in the upstream and blocked
	before := healthy.hits.Load()
	require.Eventually(t, func() bool { return healthy.hits.Load() >= before+5 }, 5*time.Second, time.Millisecond,
		"the healthy source must keep refreshing while the other hangs")

	gathered := make(chan error)
	go func() {
		_, err := reg.Gather()
		gathered <- err
	}()
	select {
	case err := <-gathered:
		require.NoError(t, err)
		got := series(t, reg, "test_snapshot_items")
		assert.Equal(t, 1.0, got["source=hanging"], "the scrape serves the last good snapshot")
		assert.Contains(t, got, "source=healthy")
	case <-time.After(10 * time.Second):
		t.Fatal("a scrape waited for a hanging refresh")
	}
	assert.Equal(t, int64(1), hanging.blocked.Load(), "the upstream was still hanging during the scrape")
	assert.Equal(t, int64(2), hanging.hits.Load())
	assert.True(t, g.Ready())

	stopped := make(chan struct{})
	go func() { g.Stop(false); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop waited for a hanging fetch")
	}
}

// snapshotCollector renders the sources' snapshots at scrape time.
type snapshotCollector []*source.Source[payload]

var snapshotDesc = prometheus.NewDesc("test_snapshot_items", "Items in the snapshot.", []string{"source"}, nil)

func (c snapshotCollector) Describe(ch chan<- *prometheus.Desc) { ch <- snapshotDesc }
func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c {
		if v, _, ok := s.Get(); ok {
			ch <- prometheus.MustNewConstMetric(snapshotDesc, prometheus.GaugeValue, float64(v.Items), s.Name())
		}
	}
}

// TestFetchIgnoringContextIsAbandoned: a fetch that never returns is cut off
// at the timeout and counted as one; later refreshes find it still running
// (see TestStuckFetchIsNeverDuplicated).
func TestFetchIgnoringContextIsAbandoned(t *testing.T) {
	g, _, reg := newGroup(t)
	block := make(chan struct{})
	defer close(block)
	opts := fastOpts("stuck")
	opts.Timeout = 20 * time.Millisecond
	src := source.Add(g, opts, func(context.Context) (int, error) {
		<-block
		return 1, nil
	})
	g.Start(context.Background())
	defer g.Stop(false)
	require.Eventually(t, func() bool {
		return errorsTotal(t, reg, "stuck", source.ReasonTimeout) == 1 && errorsTotal(t, reg, "stuck", source.ReasonStuck) >= 1
	}, 5*time.Second, time.Millisecond)
	assert.True(t, g.Ready(), "a timed-out first refresh still counts as attempted")
	_, _, ok := src.Get()
	assert.False(t, ok)
}

func TestSelfMetricsLintAndCount(t *testing.T) {
	up := newUpstream(t)
	g, m, reg := newGroup(t)
	src := source.Add(g, fastOpts("items"), fetcher(up.URL, m.APIRequestCounter("items")))
	g.Start(context.Background())
	require.Eventually(t, func() bool { return src.Status().Up }, 5*time.Second, time.Millisecond)
	up.mode.Store("500")
	require.Eventually(t, func() bool { return errorsTotal(t, reg, "items", source.ReasonServerError) >= 1 }, 5*time.Second, time.Millisecond)
	g.Stop(false)

	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)

	hits := float64(up.hits.Load())
	assert.Equal(t, hits, testutil.ToFloat64(apiRequests(t, reg)), "every request sent upstream is counted")
	assert.Equal(t, 0.02, gauge(t, reg, "vigil_source_refresh_interval_seconds", "items"))

	// A reload that drops the source removes its series.
	g.Stop(true)
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		assert.Empty(t, mf.GetMetric(), "%s still has series after forget", mf.GetName())
	}
}

func apiRequests(t *testing.T, reg prometheus.Gatherer) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "vigil_source_api_requests_total" {
			var c float64
			for _, m := range mf.GetMetric() {
				c += m.GetCounter().GetValue()
			}
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
			g.Set(c)
			return g
		}
	}
	t.Fatal("no vigil_source_api_requests_total")
	return nil
}

func TestInstrumentTransportCounts(t *testing.T) {
	up := newUpstream(t)
	var n atomic.Int64
	var apis sync.Map
	client := &http.Client{Transport: source.InstrumentTransport(nil, func(api string) {
		n.Add(1)
		apis.Store(api, true)
	}, func(r *http.Request) string { return r.Method + " /items" })}
	for range 3 {
		resp, err := client.Get(up.URL + "/items?token=abc")
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.Equal(t, int64(3), n.Load())
	_, ok := apis.Load("GET /items")
	assert.True(t, ok)
}

func TestClassify(t *testing.T) {
	assert.Equal(t, "", source.Classify(nil))
	assert.Equal(t, source.ReasonTimeout, source.Classify(fmt.Errorf("x: %w", context.DeadlineExceeded)))
	assert.Equal(t, source.ReasonCanceled, source.Classify(context.Canceled))
	assert.Equal(t, source.ReasonClientError, source.Classify(&source.HTTPError{StatusCode: 400}))
	assert.Equal(t, "throttled", source.Classify(source.WithReason(fmt.Errorf("RequestLimitExceeded"), "throttled")))
	_, err := http.Get("http://127.0.0.1:1/")
	assert.Equal(t, source.ReasonConnection, source.Classify(err))
	assert.Equal(t, source.ReasonOther, source.Classify(fmt.Errorf("something odd")))
	e := (&source.HTTPError{API: "GET /x", StatusCode: 503}).Error()
	assert.True(t, strings.Contains(e, "503") && strings.Contains(e, "GET /x"))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, 120*time.Second, source.ParseRetryAfter("120", now))
	assert.Equal(t, 30*time.Second, source.ParseRetryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now))
	assert.Zero(t, source.ParseRetryAfter("soon", now))
	assert.Zero(t, source.ParseRetryAfter("-3", now))
}

// TestPanickingFetchIsAnError: a bug in one source is its own failure, not
// the daemon's crash.
func TestPanickingFetchIsAnError(t *testing.T) {
	g, _, reg := newGroup(t)
	src := source.Add(g, fastOpts("buggy"), func(context.Context) (int, error) {
		return 1, panicNow() // a runtime panic inside the fetch, as a bug would cause
	})
	g.Start(context.Background())
	defer g.Stop(false)
	require.Eventually(t, func() bool { return errorsTotal(t, reg, "buggy", source.ReasonOther) >= 1 }, 5*time.Second, time.Millisecond)
	assert.False(t, src.Status().Up)
}
