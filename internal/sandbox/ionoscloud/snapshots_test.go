package ionoscloud_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
)

// TestSnapshotsAsTheSDKReadsThem: sdk-go parses /snapshots with the
// created date, size and state a backup check reads; the collection is
// not paged (no offset, limit or _links, as the API's); one snapshot by ID
// and an unknown one (404 in the error envelope).
func TestSnapshotsAsTheSDKReadsThem(t *testing.T) {
	now := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	w := ionoscloud.Realistic()
	w.Snapshots = ionoscloud.SandboxSnapshots(now)
	s := ionoscloud.Start(w, ionoscloud.WithToken("tok"))
	defer s.Close()
	api, ctx := client(t, s, "tok"), context.Background()

	list, _, err := api.SnapshotsApi.SnapshotsGet(ctx).Depth(1).Execute()
	require.NoError(t, err)
	require.Len(t, *list.Items, 4)
	sn := (*list.Items)[1]
	assert.Equal(t, "db-nightly-2", *sn.Properties.Name)
	assert.InDelta(t, 52, float64(*sn.Properties.Size), 0)
	assert.Equal(t, "AVAILABLE", *sn.Metadata.State)
	assert.True(t, sn.Metadata.CreatedDate.Time.Equal(now.Add(-3*time.Hour)))
	assert.Equal(t, "BUSY", *(*list.Items)[3].Metadata.State)

	one, _, err := api.SnapshotsApi.SnapshotsFindById(ctx, *sn.Id).Depth(0).Execute()
	require.NoError(t, err)
	assert.Equal(t, "db-nightly-2", *one.Properties.Name)
	_, resp, err := api.SnapshotsApi.SnapshotsFindById(ctx, "no-such-snapshot").Execute()
	require.Error(t, err)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	req, err := http.NewRequest(http.MethodGet, s.APIURL()+"/snapshots?depth=1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer tok")
	raw, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer raw.Body.Close()
	body, err := io.ReadAll(raw.Body)
	require.NoError(t, err)
	var coll map[string]any
	require.NoError(t, json.Unmarshal(body, &coll))
	assert.Equal(t, "snapshots", coll["id"])
	assert.Equal(t, "collection", coll["type"])
	for _, key := range []string{"offset", "limit", "_links"} {
		assert.NotContains(t, coll, key, "/snapshots is not paged")
	}
}
