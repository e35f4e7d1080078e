package source_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// buckets is an upstream with one object per bucket, each of which a test
// can break on its own.
type buckets struct {
	*httptest.Server
	mu     sync.Mutex
	broken map[string]bool
	hits   map[string]int
}

func newBuckets(t *testing.T) *buckets {
	b := &buckets{broken: map[string]bool{}, hits: map[string]int{}}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/bucket/")
		b.mu.Lock()
		b.hits[name]++
		n, broken := b.hits[name], b.broken[name]
		b.mu.Unlock()
		if broken {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `{"items": %d}`, n)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *buckets) set(broken ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.broken)
	for _, n := range broken {
		b.broken[n] = true
	}
}

// bucketFetch lists every bucket, one request each; a bucket that fails is a
// failed item, not a failed fetch.
func bucketFetch(url string, names ...string) source.Fetch[source.Items[payload]] {
	return func(ctx context.Context) (source.Items[payload], error) {
		items := source.Items[payload]{}
		for _, name := range names {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/bucket/"+name, nil)
			if err != nil {
				return nil, err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				items.Fail(name, err)
				continue
			}
			if err := source.CheckResponse("GET /bucket", resp); err != nil {
				items.Fail(name, err)
				continue
			}
			var p payload
			err = json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			if err != nil {
				items.Fail(name, &source.DecodeError{Err: err})
				continue
			}
			items.Set(name, p)
		}
		return items, nil
	}
}

// TestPartialResults: one of three buckets failing keeps the other two
// fresh, carries the failed one's previous value with its own timestamp,
// counts one error by reason, and leaves the source up; only every bucket
// failing fails the source. The merged snapshot survives a restart.
func TestPartialResults(t *testing.T) {
	up := newBuckets(t)
	dir := t.TempDir()
	m := source.NewMetrics()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	logs := &logRecorder{}
	g := source.NewGroup(m, slog.New(logs), source.WithStorage(dir))
	st := newStepper(t, g)
	opts := fastOpts("backups")
	opts.Key, opts.Persistent = "k", true
	src := source.Add(g, opts, bucketFetch(up.URL, "a", "b", "c"))
	g.Start(context.Background())

	st.await(t)
	first, at1, ok := src.Get()
	require.True(t, ok)
	require.Len(t, first, 3)
	for _, name := range first.Names() {
		assert.True(t, first[name].At.Equal(at1), "fresh items carry the refresh time")
		assert.Empty(t, first[name].Reason)
	}

	up.set("b")
	st.next()
	st.await(t)
	second, at2, _ := src.Get()
	assert.True(t, src.Status().Up, "a failed item does not fail the source")
	assert.True(t, second["a"].At.Equal(at2) && second["c"].At.Equal(at2), "the others are fresh")
	assert.Equal(t, 2, second["a"].Value.Items)
	assert.Equal(t, first["b"].Value, second["b"].Value, "the failed item keeps its last good value")
	assert.True(t, second["b"].At.Equal(at1), "with its own timestamp")
	assert.Equal(t, source.ReasonServerError, second["b"].Reason)
	assert.Error(t, second["b"].Err)
	assert.True(t, second["b"].Has())
	assert.Equal(t, 1.0, errorsTotal(t, reg, "backups", source.ReasonServerError), "one failed item, one error")
	assert.Equal(t, 1.0, gauge(t, reg, "vigil_source_up", "backups"))
	assert.Len(t, logs.matching("item of the source failed"), 1)

	// Still broken: counted again, but not logged again as a warning.
	st.next()
	st.await(t)
	third, _, _ := src.Get()
	assert.True(t, third["b"].At.Equal(at1), "carried from refresh to refresh")
	assert.Equal(t, 2.0, errorsTotal(t, reg, "backups", source.ReasonServerError))
	warnings := 0
	for _, r := range logs.matching("item of the source failed") {
		if r.Level == slog.LevelWarn {
			warnings++
		}
	}
	assert.Equal(t, 1, warnings, "one warning while the same item stays broken")

	// Every bucket failing is a failed refresh: down, one error per item,
	// the snapshot as it was.
	up.set("a", "b", "c")
	st.next()
	st.await(t)
	assert.False(t, src.Status().Up)
	assert.Equal(t, source.ReasonServerError, src.Status().LastReason)
	assert.Equal(t, 5.0, errorsTotal(t, reg, "backups", source.ReasonServerError))
	kept, keptAt, _ := src.Get()
	assert.Equal(t, third, kept)
	assert.False(t, keptAt.Before(at2))
	st.release()
	g.Stop(false)

	// The persisted snapshot keeps every item's value, time and reason.
	ng := source.NewGroup(source.NewMetrics(), nil, source.WithStorage(dir))
	restored := source.Add(ng, opts, bucketFetch(up.URL, "a", "b", "c"))
	got, _, ok := restored.Get()
	require.True(t, ok)
	for _, name := range third.Names() {
		assert.Equal(t, third[name].Value, got[name].Value, name)
		assert.True(t, third[name].At.Equal(got[name].At), name)
		assert.Equal(t, third[name].Reason, got[name].Reason, name)
	}
}

// TestItemsMergeIsNotShared: a merge builds a new map; the snapshot a
// scrape holds never changes under it.
func TestItemsMergeIsNotShared(t *testing.T) {
	up := newBuckets(t)
	g, _, _ := newGroup(t)
	st := newStepper(t, g)
	src := source.Add(g, fastOpts("x"), bucketFetch(up.URL, "a", "b"))
	g.Start(context.Background())
	st.await(t)
	held, _, _ := src.Get()
	before := maps.Clone(held)
	up.set("b")
	st.next()
	st.await(t)
	now, _, _ := src.Get()
	assert.Equal(t, source.ReasonServerError, now["b"].Reason)
	assert.Equal(t, before, held)
	st.release()
}
