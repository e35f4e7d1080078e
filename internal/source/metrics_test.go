package source_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// TestEveryReasonFromTheStart: as soon as a source is added, before any
// refresh, every bounded reason exists at 0, with up 0, attempted 0, no last
// success, its interval, criticality and no fetch in flight; Forget removes
// them all.
func TestEveryReasonFromTheStart(t *testing.T) {
	g, m, reg := newGroup(t)
	release := make(chan struct{})
	source.Add(g, fastOpts("fresh"), func(ctx context.Context) (int, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return 1, nil
	})
	assert.Empty(t, series(t, reg, "vigil_source_info"), "nothing is announced before Start: a reload may still fail")
	g.Start(context.Background())
	t.Cleanup(func() { close(release); g.Stop(true) })
	// The first refresh is still running: this is what the first scrape sees.
	require.Eventually(t, func() bool { return gauge(t, reg, "vigil_source_fetches_in_flight", "fresh") == 1 }, 10*time.Second, time.Millisecond)

	errs := series(t, reg, "vigil_source_errors_total")
	require.Len(t, errs, len(source.Reasons()))
	for _, r := range source.Reasons() {
		v, ok := errs["reason="+r+",source=fresh"]
		assert.True(t, ok, "reason %s missing before the first failure", r)
		assert.Zero(t, v)
	}
	assert.Contains(t, source.Reasons(), source.ReasonBudgetExhausted)
	assert.Contains(t, source.Reasons(), source.ReasonStuck)
	assert.Equal(t, 0.0, gauge(t, reg, "vigil_source_up", "fresh"))
	assert.Equal(t, 0.0, gauge(t, reg, "vigil_source_attempted", "fresh"))
	assert.False(t, has(t, reg, "vigil_source_last_success_timestamp_seconds", "fresh"), "no success, no timestamp")
	assert.Equal(t, map[string]float64{"criticality=page,source=fresh": 1}, series(t, reg, "vigil_source_info"), "default criticality")
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)

	// Parts that are not refresh sources (informers) get the same.
	m.ErrorCounter("informers")("auth")
	errs = series(t, reg, "vigil_source_errors_total")
	assert.Equal(t, 1.0, errs["reason=auth,source=informers"])
	assert.Contains(t, errs, "reason=timeout,source=informers")

	m.Forget("fresh")
	m.Forget("informers")
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		assert.Empty(t, mf.GetMetric(), "%s still has series after Forget", mf.GetName())
	}
}

// TestNeverSucceededIsNotStale: a source that has failed since it was added
// has attempted 1 and no last-success timestamp (not 0, which PromQL would
// read as 56 years old); its first success sets it.
func TestNeverSucceededIsNotStale(t *testing.T) {
	up := newUpstream(t)
	up.mode.Store("401")
	g, _, reg := newGroup(t)
	st := newStepper(t, g)
	src := source.Add(g, fastOpts("metrics-server"), fetcher(up.URL, noCount))
	g.Start(context.Background())
	st.await(t)
	assert.Equal(t, 1.0, gauge(t, reg, "vigil_source_attempted", "metrics-server"))
	assert.Equal(t, 0.0, gauge(t, reg, "vigil_source_up", "metrics-server"))
	assert.False(t, has(t, reg, "vigil_source_last_success_timestamp_seconds", "metrics-server"))
	assert.True(t, g.Ready(), "a failed first refresh is still attempted")

	up.mode.Store("ok")
	st.next()
	st.await(t)
	_, at, ok := src.Get()
	require.True(t, ok)
	assert.InDelta(t, float64(at.UnixNano())/1e9, gauge(t, reg, "vigil_source_last_success_timestamp_seconds", "metrics-server"), 0.001)
}

// TestChangedSourceStartsFresh: a reload that changes a source's key keeps
// its series as they were until the new source's first refresh; if that
// fails, the old timestamp goes (the new configuration never worked).
func TestChangedSourceStartsFresh(t *testing.T) {
	up := newUpstream(t)
	g, m, reg := newGroup(t)
	w := waits(g)
	source.Add(g, slowOpts("probe", "old"), fetcher(up.URL, noCount))
	g.Start(context.Background())
	awaitWaits(t, w, 1)
	require.True(t, has(t, reg, "vigil_source_last_success_timestamp_seconds", "probe"))

	up.mode.Store("404")
	ng := source.NewGroup(m, nil)
	st := newStepper(t, ng)
	opts := slowOpts("probe", "new")
	opts.Criticality = source.CriticalityTicket
	nsrc := source.Add(ng, opts, fetcher(up.URL, noCount))
	assert.Empty(t, ng.Adopt(g))
	assert.True(t, has(t, reg, "vigil_source_last_success_timestamp_seconds", "probe"), "kept until the new source's first refresh")
	assert.Equal(t, 1.0, gauge(t, reg, "vigil_source_up", "probe"))
	assert.Equal(t, map[string]float64{"criticality=page,source=probe": 1}, series(t, reg, "vigil_source_info"),
		"until the new group starts, the running configuration's settings stay (a reload may still fail)")
	ng.Start(context.Background())
	assert.Equal(t, map[string]float64{"criticality=ticket,source=probe": 1}, series(t, reg, "vigil_source_info"),
		"a changed criticality replaces the old one")
	g.Stop(false)
	st.await(t)
	assert.Equal(t, source.ReasonNotFound, nsrc.Status().LastReason)
	assert.False(t, has(t, reg, "vigil_source_last_success_timestamp_seconds", "probe"))
	_, _, ok := nsrc.Get()
	assert.False(t, ok, "a changed source does not serve the old configuration's data")
}

// TestOptionsBounds: BackoffMax stops at an hour even when configured
// higher, and the default follows the interval up to that.
func TestOptionsBounds(t *testing.T) {
	up := newUpstream(t)
	up.mode.Store("500")
	g, _, _ := newGroup(t)
	st := newStepper(t, g)
	opts := source.Options{Name: "daily", Interval: 24 * time.Hour, NoJitter: true, BackoffInitial: 2 * time.Hour}
	src := source.Add(g, opts, fetcher(up.URL, noCount))
	g.Start(context.Background())
	st.await(t)
	assert.Equal(t, time.Hour, src.Status().NextDelay)
}
