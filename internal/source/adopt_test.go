package source_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// TestAdoptReloadsWithoutRefetching: ten reloads of an unchanged
// configuration send no request upstream and keep values, timestamps and
// readiness; changing one source's key refetches that source only.
func TestAdoptReloadsWithoutRefetching(t *testing.T) {
	upA, upB := newUpstream(t), newUpstream(t)
	m := source.NewMetrics()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	ctx := context.Background()

	build := func(keyB string) (*source.Group, *source.Source[payload], *source.Source[payload], <-chan wait) {
		g := source.NewGroup(m, nil)
		w := waits(g)
		a := source.Add(g, slowOpts("a", "key-a"), fetcher(upA.URL, noCount))
		b := source.Add(g, slowOpts("b", keyB), fetcher(upB.URL, noCount))
		return g, a, b, w
	}

	g, a, b, w := build("key-b")
	g.Start(ctx)
	awaitWaits(t, w, 2) // both fetched once and wait an hour
	va, atA, ok := a.Get()
	require.True(t, ok)
	vb, atB, ok := b.Get()
	require.True(t, ok)
	require.Equal(t, int64(1), upA.hits.Load())
	require.Equal(t, int64(1), upB.hits.Load())

	for i := range 10 {
		ng, na, nb, nw := build("key-b")
		assert.False(t, ng.Ready(), "reload %d: nothing adopted yet", i)
		assert.ElementsMatch(t, []string{"a", "b"}, ng.Adopt(g), "reload %d", i)
		assert.True(t, ng.Ready(), "reload %d: adopted sources count as attempted", i)
		ng.Start(ctx)
		g.Stop(false)
		// The old runtime still serves what it had until it is dropped.
		old, _, ok := a.Get()
		assert.True(t, ok)
		assert.Equal(t, va, old)

		delays := awaitWaits(t, nw, 2)
		for name, d := range delays {
			assert.Greater(t, d, 50*time.Minute, "reload %d: %s waits for the rest of its interval", i, name)
		}
		got, at, ok := na.Get()
		require.True(t, ok)
		assert.Equal(t, va, got)
		assert.True(t, at.Equal(atA), "reload %d: the snapshot keeps its time", i)
		got, at, _ = nb.Get()
		assert.Equal(t, vb, got)
		assert.True(t, at.Equal(atB))
		assert.True(t, na.Status().Up)
		g, a, b = ng, na, nb
	}
	assert.Equal(t, int64(1), upA.hits.Load(), "10 reloads of an unchanged source: no request")
	assert.Equal(t, int64(1), upB.hits.Load(), "10 reloads of an unchanged source: no request")
	assert.Equal(t, 1.0, gauge(t, reg, "vigil_source_up", "a"))
	assert.InDelta(t, float64(atA.UnixNano())/1e9, gauge(t, reg, "vigil_source_last_success_timestamp_seconds", "a"), 0.001)

	// b's key changes (a rotated token, say): b refetches, a does not.
	ng, na, nb, nw := build("key-b-rotated")
	assert.Equal(t, []string{"a"}, ng.Adopt(g))
	ng.Start(ctx)
	g.Stop(false)
	awaitWaits(t, nw, 2)
	assert.Equal(t, int64(1), upA.hits.Load(), "unchanged a: no request")
	assert.Equal(t, int64(2), upB.hits.Load(), "changed b: one request")
	got, _, _ := nb.Get()
	assert.Equal(t, 2, got.Items, "b serves its new fetch")
	got, _, _ = na.Get()
	assert.Equal(t, va, got)
	ng.Stop(true)
}

// TestAdoptCarriesFailureAndBackoff: a failing source's failures, reason and
// backoff schedule survive a reload, the reload does not retry early, and
// the old group's Stop(forget) leaves the adopted source's series alone.
func TestAdoptCarriesFailureAndBackoff(t *testing.T) {
	up := newUpstream(t)
	up.mode.Store("500")
	g, m, reg := newGroup(t)
	w := waits(g)
	opts := slowOpts("flaky", "k")
	opts.BackoffInitial = 40 * time.Minute
	src := source.Add(g, opts, fetcher(up.URL, noCount))
	g.Start(context.Background())
	awaitWaits(t, w, 1)
	before := src.Status()
	require.Equal(t, 1, before.ConsecutiveFailures)

	ng := source.NewGroup(m, nil)
	nw := waits(ng)
	nsrc := source.Add(ng, opts, fetcher(up.URL, noCount))
	require.Equal(t, []string{"flaky"}, ng.Adopt(g))
	ng.Start(context.Background())
	g.Stop(true) // as if the old runtime dropped every source it had
	d := awaitWaits(t, nw, 1)["flaky"]
	assert.Greater(t, d, 30*time.Minute, "the backoff continues where it was")
	assert.LessOrEqual(t, d, 40*time.Minute)

	st := nsrc.Status()
	assert.Equal(t, before.ConsecutiveFailures, st.ConsecutiveFailures)
	assert.Equal(t, source.ReasonServerError, st.LastReason)
	assert.True(t, st.Attempted)
	assert.False(t, st.Up)
	assert.True(t, st.NextRefresh.Equal(before.NextRefresh))
	assert.Equal(t, int64(1), up.hits.Load())
	assert.True(t, has(t, reg, "vigil_source_up", "flaky"), "Stop(true) of the old group removed an adopted source's series")
	assert.Equal(t, 1.0, errorsTotal(t, reg, "flaky", source.ReasonServerError))
	assert.False(t, has(t, reg, "vigil_source_last_success_timestamp_seconds", "flaky"))
	ng.Stop(true)
	assert.False(t, has(t, reg, "vigil_source_up", "flaky"))
}

// TestAdoptNeedsSameKeyAndType: an empty key, another key or another value
// type is not the same source.
func TestAdoptNeedsSameKeyAndType(t *testing.T) {
	g, m, _ := newGroup(t)
	source.Add(g, slowOpts("nokey", ""), func(context.Context) (int, error) { return 1, nil })
	source.Add(g, slowOpts("typed", "k"), func(context.Context) (int, error) { return 1, nil })
	source.Add(g, slowOpts("keyed", "k1"), func(context.Context) (int, error) { return 1, nil })
	ng := source.NewGroup(m, nil)
	source.Add(ng, slowOpts("nokey", ""), func(context.Context) (int, error) { return 1, nil })
	source.Add(ng, slowOpts("typed", "k"), func(context.Context) (string, error) { return "", nil })
	source.Add(ng, slowOpts("keyed", "k2"), func(context.Context) (int, error) { return 1, nil })
	source.Add(ng, slowOpts("new", "k"), func(context.Context) (int, error) { return 1, nil })
	assert.Empty(t, ng.Adopt(g))
	assert.Nil(t, ng.Adopt(nil))
}
