package backup

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/aws/awstest"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func motoAccount(t *testing.T, endpoint string) aws.Account { return awstest.MotoAccount(t, endpoint) }

// listProxy forwards to moto and counts the ListObjectsV2 requests that
// really reach it (for buckets it does not refuse), and refuses every request for a denied bucket with
// S3's AccessDenied.
type listProxy struct {
	lists  atomic.Int64
	denied string
}

func newListProxy(t *testing.T, upstream, denied string) (*listProxy, string) {
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	p := &listProxy{denied: denied}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		denied := p.denied != "" && strings.HasPrefix(r.URL.Path, "/"+p.denied)
		if S3API(r) == "ListObjectsV2" && !denied {
			p.lists.Add(1)
		}
		if denied {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func seed(t *testing.T, client *s3.Client, bucket string, keys []string, size int) {
	t.Helper()
	ctx := context.Background()
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: awssdk.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuCentral1}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	work := make(chan string)
	errs := make(chan error, len(keys))
	for range 8 {
		wg.Go(func() {
			for k := range work {
				_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: awssdk.String(bucket), Key: awssdk.String(k), Body: bytes.NewReader(make([]byte, size))})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestS3EveryPageAgainstMoto: 2,001 objects under a prefix are counted
// over the three pages ListObjectsV2 really returns (three requests,
// counted as the source's api_requests), objects outside the prefix are
// not; the newest object's size is exported; a bucket answering
// AccessDenied fails its own source only while the other stays served;
// and a prefix that becomes empty exports 0 objects and no last success.
func TestS3EveryPageAgainstMoto(t *testing.T) {
	murl := testenv.Moto(t)
	proxy, purl := newListProxy(t, murl, "locked-bucket")
	acct := motoAccount(t, murl)
	direct := S3Client(acct, "", "")(nil).(*s3.Client)

	keys := make([]string, 2001)
	for i := range keys {
		keys[i] = fmt.Sprintf("pg/dump-%05d.sql.gz", i)
	}
	seed(t, direct, "pg-dumps", keys, 10)
	seed(t, direct, "locked-bucket", []string{"pg/x"}, 1)
	// Newest: written after the others, a different size.
	time.Sleep(1100 * time.Millisecond) // S3 LastModified has one-second resolution
	_, err := direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: awssdk.String("pg-dumps"), Key: awssdk.String("pg/dump-latest.sql.gz"), Body: bytes.NewReader(make([]byte, 77))})
	require.NoError(t, err)
	_, err = direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: awssdk.String("pg-dumps"), Key: awssdk.String("other/not-counted"), Body: bytes.NewReader(make([]byte, 5))})
	require.NoError(t, err)

	target := func(name, bucket string) TargetConfig {
		s := &Section{Targets: []Target{{Name: name, Kind: KindS3, Account: "production", Bucket: bucket, Prefix: "pg/", Endpoint: purl,
			Interval: config.Duration(24 * time.Hour)}}}
		s.ApplyDefaults()
		return TargetConfig{Target: s.Targets[0], Severity: "page", Key: "k", S3: S3Client(acct, "", purl)}
	}
	c, g, m := start(t, Config{Environment: "production", Targets: []TargetConfig{target("pg-dumps", "pg-dumps"), target("locked", "locked-bucket")}})
	out := render(t, c)
	l := `{environment="production",kind="s3",name="pg-dumps"}`
	assert.Contains(t, out, "vigil_backup_objects"+l+" 2002\n")
	assert.Contains(t, out, "vigil_backup_total_size_bytes"+l+" 20087\n")
	assert.Contains(t, out, "vigil_backup_size_bytes"+l+" 77\n")
	assert.Contains(t, out, "vigil_backup_last_success_timestamp_seconds"+l+" ")
	assert.NotContains(t, out, `vigil_backup_objects{environment="production",kind="s3",name="locked"}`)
	// Exact for the bucket that pages (its next refresh is 15m away); the
	// refused one retries after a 1s backoff, so at least one.
	assert.EqualValues(t, 3, proxy.lists.Load(), "three pages reached moto for pg-dumps")
	assert.EqualValues(t, 3, counted(t, m, SourceName(KindS3, "pg-dumps"), "ListObjectsV2"))
	assert.GreaterOrEqual(t, counted(t, m, SourceName(KindS3, "locked"), "ListObjectsV2"), 1.0)
	for _, st := range g.Statuses() {
		assert.Equal(t, st.Name == SourceName(KindS3, "pg-dumps"), st.Up, st.Name)
		if st.Name == SourceName(KindS3, "locked") {
			assert.Equal(t, "auth", st.LastReason)
		}
	}

	// The prefix empties: the next read says so.
	for i := 0; i < len(keys); i += 1000 {
		var objs []s3types.ObjectIdentifier
		for _, k := range keys[i:min(i+1000, len(keys))] {
			objs = append(objs, s3types.ObjectIdentifier{Key: awssdk.String(k)})
		}
		_, err := direct.DeleteObjects(context.Background(), &s3.DeleteObjectsInput{Bucket: awssdk.String("pg-dumps"), Delete: &s3types.Delete{Objects: objs}})
		require.NoError(t, err)
	}
	_, err = direct.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: awssdk.String("pg-dumps"), Key: awssdk.String("pg/dump-latest.sql.gz")})
	require.NoError(t, err)
	c2, _, _ := start(t, Config{Environment: "production", Targets: []TargetConfig{target("pg-dumps", "pg-dumps")}})
	out = render(t, c2)
	assert.Contains(t, out, "vigil_backup_objects"+l+" 0\n")
	assert.NotContains(t, out, "vigil_backup_last_success_timestamp_seconds"+l)
}
