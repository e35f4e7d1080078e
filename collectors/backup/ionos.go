package backup

import (
	"context"
	"errors"
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
