package backup

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/aws/awstest"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// fakeS3 is gofakes3 in process: it pages ListObjectsV2 at 1,000 keys, as
// S3 does, and stamps objects with a clock the test moves, so objects can
// be back-dated (moto and S3 stamp the PUT time). lists counts the
// ListObjectsV2 requests that reach it.
type fakeS3 struct {
	backend *s3mem.Backend
	clock   gofakes3.TimeSourceAdvancer
	url     string
	lists   atomic.Int64
}

func newFakeS3(t *testing.T, start time.Time) *fakeS3 {
	f := &fakeS3{clock: gofakes3.FixedTimeSource(start)}
	f.backend = s3mem.New(s3mem.WithTimeSource(f.clock))
	// The clock is in the past: no skew limit, or every signed request is refused.
	h := gofakes3.New(f.backend, gofakes3.WithTimeSource(f.clock), gofakes3.WithTimeSkewLimit(0)).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if S3API(r) == "ListObjectsV2" {
			f.lists.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// put writes n objects under prefix, one every step of the clock, each of
// size bytes; the last is the newest.
func (f *fakeS3) put(t *testing.T, bucket, prefix string, n int, size int, step time.Duration) {
	t.Helper()
	for i := range n {
		_, err := f.backend.PutObject(bucket, fmt.Sprintf("%sdump-%05d.sql.gz", prefix, i), nil, bytes.NewReader(make([]byte, size)), int64(size), nil)
		require.NoError(t, err)
		f.clock.Advance(step)
	}
}

func (f *fakeS3) target(t *testing.T, name, bucket, prefix string) TargetConfig {
	s := &Section{Targets: []Target{{Name: name, Kind: KindS3, Account: "production", Bucket: bucket, Prefix: prefix, Endpoint: f.url,
		Interval: config.Duration(24 * time.Hour)}}}
	s.ApplyDefaults()
	return TargetConfig{Target: s.Targets[0], Severity: "page", Key: "k", S3: S3Client(awstest.MotoAccount(t, f.url), "", f.url)}
}

// TestS3TenThousandObjectsTakeTenRequests: 10,000 objects under a prefix
// take exactly 10 ListObjectsV2 requests against a server that pages at
// 1,000 (counted where they arrive and by the source), and every one is
// counted; objects beside the prefix are not. The figure is in
// docs/benchmarks.md.
func TestS3TenThousandObjectsTakeTenRequests(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f := newFakeS3(t, start)
	require.NoError(t, f.backend.CreateBucket("pg-dumps"))
	// Beside the prefix, sorted before it: gofakes3 (unlike S3) marks a page
	// truncated when any key of the bucket follows, so keys after the
	// prefix would cost an 11th, empty request.
	f.put(t, "pg-dumps", "archive/", 5, 1, time.Second)
	f.put(t, "pg-dumps", "daily/", 10_000, 3, time.Second)

	c, _, m := start2(t, f.target(t, "pg-dumps", "pg-dumps", "daily/"))
	out := render(t, c)
	l := `{environment="production",kind="s3",name="pg-dumps"}`
	newest := start.Add(10_004 * time.Second) // 5 + 9,999 steps after start
	assert.Contains(t, out, "vigil_backup_objects"+l+" 10000\n")
	assert.Contains(t, out, "vigil_backup_total_size_bytes"+l+" 30000\n")
	assert.Contains(t, out, "vigil_backup_last_success_timestamp_seconds"+l+" "+strconv.FormatFloat(float64(newest.Unix()), 'g', -1, 64)+"\n")
	assert.EqualValues(t, 10, f.lists.Load(), "ListObjectsV2 requests that reached the server")
	assert.EqualValues(t, 10, counted(t, m, SourceName(KindS3, "pg-dumps"), "ListObjectsV2"))
	t.Logf("10,000 objects: %d ListObjectsV2 requests", f.lists.Load())
}

// TestS3BackDatedObjectIsTooOld: an object written 30 h ago (gofakes3's
// clock) is exported with that LastModified, past min(24h * 1.5, 24h).
func TestS3BackDatedObjectIsTooOld(t *testing.T) {
	written := time.Now().Add(-30 * time.Hour).UTC().Truncate(time.Second)
	f := newFakeS3(t, written)
	require.NoError(t, f.backend.CreateBucket("state"))
	f.put(t, "state", "tf/", 1, 10, time.Second)
	c, _, _ := start2(t, f.target(t, "state", "state", "tf/"))
	rows := c.rows()
	require.Len(t, rows, 1)
	require.NotNil(t, rows[0].found)
	assert.True(t, rows[0].found.Newest.Equal(written), "LastModified is the back-dated write")
	assert.Greater(t, time.Since(rows[0].found.Newest), min(36*time.Hour, 24*time.Hour))
}

// start2 starts one target in production.
func start2(t *testing.T, tc TargetConfig) (*Collector, any, *source.Metrics) {
	c, g, m := start(t, Config{Environment: "production", Targets: []TargetConfig{tc}})
	return c, g, m
}
