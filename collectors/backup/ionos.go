package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"time"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"

	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// IONOSStates is the closed set of snapshot states vigil_backup_phase takes
// for IONOS (DatacenterElementMetadata.state of a snapshot); any other is
// "other".
var IONOSStates = []string{"AVAILABLE", "BUSY", "INACTIVE", "other"}

// gib: the Cloud API gives a snapshot's size in GB, which IONOS bills and
// sizes in binary units.
const gib = 1 << 30

// readIONOS reads /snapshots (one request: the API does not page it) and
// counts the AVAILABLE snapshots whose name matches glob; the newest
// snapshot's state, whatever it is, becomes Found.Phase.
func readIONOS(ctx context.Context, api *ionoscloud.APIClient, glob string) (Found, error) {
	list, resp, err := api.SnapshotsApi.SnapshotsGet(ctx).Depth(1).Execute()
	if err != nil {
		return Found{}, ionos.SDKError(ctx, "GET /snapshots", resp, err)
	}
	var f Found
	var newest time.Time
	for _, s := range deref(list.Items) {
		if s.Properties == nil || s.Metadata == nil || s.Metadata.CreatedDate == nil {
			return Found{}, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /snapshots: a snapshot without properties or createdDate (depth not honoured?)")}
		}
		if ok, _ := path.Match(glob, deref(s.Properties.Name)); !ok {
			continue
		}
		at, state := s.Metadata.CreatedDate.Time, deref(s.Metadata.State)
		if f.Phase == "" || at.After(newest) {
			newest, f.Phase = at, ionosState(state)
		}
		if state == "AVAILABLE" {
			f.add(at, int64(float64(deref(s.Properties.Size))*gib))
		}
	}
	return f, nil
}

func ionosState(s string) string {
	if slices.Contains(IONOSStates, s) {
		return s
	}
	return "other"
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// maxIONOSAnswer bounds the one unpaged /snapshots answer the SDK reads
// into memory (about 1.5 KB a snapshot at depth 1: 64 MiB is some 40,000
// snapshots). A larger answer, from a broken or hostile endpoint, fails
// the refresh as decode instead of growing the heap without bound.
var maxIONOSAnswer int64 = 64 << 20

// limitAnswers caps every answer body read through next at limit bytes.
type limitAnswers struct {
	next  http.RoundTripper
	limit int64
}

func (t limitAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.Body != nil {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: t.limit, limit: t.limit}
	}
	return resp, err
}

type limitedBody struct {
	io.ReadCloser
	left, limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.left <= 0 {
		// At the limit: an answer of exactly limit bytes ends here.
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, &source.DecodeError{Err: fmt.Errorf("IONOS Cloud API GET /snapshots: the answer is larger than %d bytes", b.limit)}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
