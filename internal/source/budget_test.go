package source_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// pagedUpstream answers any page; before answering it checks that the
// request it is serving is already recorded in the budget ledger on disk.
type pagedUpstream struct {
	*httptest.Server
	hits       atomic.Int64
	unrecorded atomic.Int64 // requests that arrived before the ledger counted them
	dayStart   atomic.Int64 // hits before the current UTC day
}

func newPagedUpstream(t *testing.T, ledger string) *pagedUpstream {
	u := &pagedUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := u.hits.Add(1)
		var f struct{ Used int64 }
		data, err := os.ReadFile(ledger)
		if err != nil || json.Unmarshal(data, &f) != nil || f.Used < n-u.dayStart.Load() {
			u.unrecorded.Add(1)
		}
		fmt.Fprint(w, `{"items": 1}`)
	}))
	t.Cleanup(u.Close)
	return u
}

// pagedSource adds a source that reads two pages per refresh through its own
// transport.
func pagedSource(g *source.Group, opts source.Options, url string) *source.Source[int] {
	var client *http.Client
	src := source.Add(g, opts, func(ctx context.Context) (int, error) {
		total := 0
		for page := 1; page <= 2; page++ {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/items?page=%d", url, page), nil)
			if err != nil {
				return 0, err
			}
			resp, err := client.Do(req)
			if err != nil {
				return 0, fmt.Errorf("page %d: %w", page, err)
			}
			if err := source.CheckResponse("GET /items", resp); err != nil {
				return 0, err
			}
			var p payload
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err != nil {
				return 0, &source.DecodeError{Err: err}
			}
			total += p.Items
		}
		return total, nil
	})
	client = &http.Client{Transport: src.Transport(nil, func(*http.Request) string { return "GET /items" })}
	return src
}

// TestDailyRequestBudget: every page counts; each request is on disk before
// it is sent; at the cap nothing is sent and the refresh fails with
// budget_exhausted; a restart (crash loop) cannot spend more the same day;
// the next UTC day the source refreshes again.
func TestDailyRequestBudget(t *testing.T) {
	dir := t.TempDir()
	up := newPagedUpstream(t, source.BudgetFile(dir, "cost-explorer"))
	var now atomic.Pointer[time.Time]
	day1 := time.Date(2026, 11, 22, 23, 0, 0, 0, time.FixedZone("CET", 3600)) // 22:00 UTC
	now.Store(&day1)
	clock := func() time.Time { return *now.Load() }

	opts := fastOpts("cost-explorer")
	opts.DailyRequestBudget = 5
	run := func() (*source.Group, *prometheus.Registry, *source.Source[int], *stepper) {
		m := source.NewMetrics()
		reg := prometheus.NewPedanticRegistry()
		require.NoError(t, reg.Register(m))
		g := source.NewGroup(m, nil, source.WithStorage(dir))
		source.SetClock(g, clock)
		st := newStepper(t, g)
		return g, reg, pagedSource(g, opts, up.URL), st
	}

	g, reg, src, st := run()
	assert.Equal(t, 5.0, gauge(t, reg, "vigil_source_budget_remaining", "cost-explorer"))
	g.Start(context.Background())
	for range 2 { // two refreshes of two pages
		st.await(t)
		require.True(t, src.Status().Up)
		st.next()
	}
	st.await(t) // the fifth request is sent, the sixth refused
	s := src.Status()
	assert.False(t, s.Up)
	assert.Equal(t, source.ReasonBudgetExhausted, s.LastReason)
	assert.Equal(t, int64(5), up.hits.Load(), "every page counts")
	assert.Equal(t, 0.0, gauge(t, reg, "vigil_source_budget_remaining", "cost-explorer"))
	assert.Equal(t, 1.0, errorsTotal(t, reg, "cost-explorer", source.ReasonBudgetExhausted))
	st.next()
	st.await(t) // refused without sending
	assert.Equal(t, int64(5), up.hits.Load())
	assert.Equal(t, 5.0, series(t, reg, "vigil_source_api_requests_total")["api=GET /items,source=cost-explorer"],
		"refused requests are not counted as sent")
	st.release()
	g.Stop(false)

	// A crash loop: every start finds the day's budget spent.
	for range 3 {
		g, reg, src, st = run()
		assert.Equal(t, 0.0, gauge(t, reg, "vigil_source_budget_remaining", "cost-explorer"))
		g.Start(context.Background())
		st.await(t)
		assert.Equal(t, source.ReasonBudgetExhausted, src.Status().LastReason)
		st.release()
		g.Stop(false)
	}
	assert.Equal(t, int64(5), up.hits.Load(), "restarts cannot spend past the cap")

	// 00:00 UTC: a new budget, within the same run.
	g, reg, src, st = run()
	g.Start(context.Background())
	st.await(t)
	day2 := day1.Add(2 * time.Hour)
	up.dayStart.Store(up.hits.Load())
	now.Store(&day2)
	st.next()
	st.await(t)
	assert.True(t, src.Status().Up, "the next UTC day refreshes again")
	assert.Equal(t, int64(7), up.hits.Load())
	assert.Equal(t, 3.0, gauge(t, reg, "vigil_source_budget_remaining", "cost-explorer"))
	st.release()
	g.Stop(false)

	assert.Zero(t, up.unrecorded.Load(), "a request reached the upstream before the ledger on disk counted it")
}

// TestBudgetLedgerUnwritableRefusesRequests: a count that cannot be
// recorded is a request not sent.
func TestBudgetLedgerUnwritableRefusesRequests(t *testing.T) {
	up := newUpstream(t)
	dir := filepath.Join(t.TempDir(), "not-a-directory")
	require.NoError(t, os.WriteFile(dir, nil, 0o600))
	g := source.NewGroup(source.NewMetrics(), nil, source.WithStorage(dir))
	opts := fastOpts("paid")
	opts.DailyRequestBudget = 100
	var client *http.Client
	src := source.Add(g, opts, func(ctx context.Context) (int, error) {
		resp, err := client.Get(up.URL)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return 1, nil
	})
	client = &http.Client{Transport: src.Transport(nil, nil)}
	_, err := client.Get(up.URL)
	require.Error(t, err)
	assert.Zero(t, up.hits.Load())
	var be *source.BudgetError
	assert.False(t, errors.As(err, &be), "not a spent budget: %v", err)
}

// TestTransportPerSource: sources sharing one base transport each count
// their own requests, under their API names.
func TestTransportPerSource(t *testing.T) {
	up := newUpstream(t)
	g, _, reg := newGroup(t)
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	a := source.Add(g, fastOpts("a"), func(context.Context) (int, error) { return 0, nil })
	b := source.Add(g, fastOpts("b"), func(context.Context) (int, error) { return 0, nil })
	ca := &http.Client{Transport: a.Transport(base, func(r *http.Request) string { return "GET /a" })}
	cb := &http.Client{Transport: b.Transport(base, nil)}
	for range 3 {
		resp, err := ca.Get(up.URL)
		require.NoError(t, err)
		resp.Body.Close()
	}
	resp, err := cb.Get(up.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, map[string]float64{"api=GET /a,source=a": 3, "api=GET,source=b": 1},
		series(t, reg, "vigil_source_api_requests_total"))
	assert.False(t, has(t, reg, "vigil_source_budget_remaining", "a"), "no budget, no gauge")
}

// TestBudgetSurvivesReload: without a storage path the count is in memory,
// still shared by every group on the same Metrics, so a reload (even one
// that changes the source) does not start the day again.
func TestBudgetSurvivesReload(t *testing.T) {
	up := newUpstream(t)
	m := source.NewMetrics()
	get := func(g *source.Group, key string) error {
		opts := slowOpts("paid", key)
		opts.DailyRequestBudget = 2
		src := source.Add(g, opts, func(context.Context) (int, error) { return 0, nil })
		resp, err := (&http.Client{Transport: src.Transport(nil, nil)}).Get(up.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	require.NoError(t, get(source.NewGroup(m, nil), "k1"))
	require.NoError(t, get(source.NewGroup(m, nil), "k2"))
	err := get(source.NewGroup(m, nil), "k3")
	var be *source.BudgetError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, source.ReasonBudgetExhausted, source.Classify(err))
	assert.Equal(t, int64(2), up.hits.Load())
}
