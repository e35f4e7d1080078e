package ionoscloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	sdk "github.com/ionos-cloud/sdk-go/v6"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
)

func client(t *testing.T, s *ionoscloud.Server, token string) *sdk.APIClient {
	t.Helper()
	cfg := sdk.NewConfiguration("", "", token, s.URL())
	cfg.MaxRetries = 0
	return sdk.NewAPIClient(cfg)
}

// The SDK parses every object the emulator serves, with the properties the
// collector reads.
func TestSDKParsesEveryObject(t *testing.T) {
	s := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken("tok"))
	defer s.Close()
	api, ctx := client(t, s, "tok"), context.Background()

	dcs, _, err := api.DataCentersApi.DatacentersGet(ctx).Depth(1).Execute()
	require.NoError(t, err)
	require.Len(t, *dcs.Items, 1)
	require.Equal(t, "prod-fra", *(*dcs.Items)[0].Properties.Name)
	require.Equal(t, "AVAILABLE", *(*dcs.Items)[0].Metadata.State)

	lans, _, err := api.LANsApi.DatacentersLansGet(ctx, ionoscloud.DatacenterID).Depth(1).Execute()
	require.NoError(t, err)
	require.Len(t, *lans.Items, 2)
	require.True(t, *(*lans.Items)[0].Properties.Public)

	k8s, _, err := api.KubernetesApi.K8sGet(ctx).Depth(3).Execute()
	require.NoError(t, err)
	c := (*k8s.Items)[0]
	require.Equal(t, "1.31.4", *c.Properties.K8sVersion)
	require.Equal(t, []string{"1.32.1"}, *c.Properties.AvailableUpgradeVersions)
	require.Equal(t, "Sunday", *c.Properties.MaintenanceWindow.DayOfTheWeek)
	pools := *c.Entities.Nodepools.Items
	require.Len(t, pools, 2)
	require.Equal(t, int32(8), *pools[1].Properties.AutoScaling.MaxNodeCount)

	ns, _, err := api.KubernetesApi.K8sNodepoolsNodesGet(ctx, ionoscloud.ClusterID, ionoscloud.PoolWorkerID).Depth(1).Execute()
	require.NoError(t, err)
	require.Len(t, *ns.Items, 5)
	require.Equal(t, "READY", *(*ns.Items)[0].Metadata.State)
	require.NotNil(t, (*ns.Items)[0].Properties.PublicIP)

	ips, _, err := api.IPBlocksApi.IpblocksGet(ctx).Depth(1).Execute()
	require.NoError(t, err)
	require.Equal(t, int32(4), *(*ips.Items)[1].Properties.Size)
	require.Len(t, *(*ips.Items)[1].Properties.IpConsumers, 4)
}

// Below the depth asked, children are references only. A list is one
// level: /k8s?depth=1 gives clusters with properties, their node pools as
// references; depth=3 gives the node pools' properties.
func TestDepthIsHonoured(t *testing.T) {
	s := ionoscloud.Start(ionoscloud.Realistic())
	defer s.Close()
	api, ctx := client(t, s, "tok"), context.Background()

	k8s, _, err := api.KubernetesApi.K8sGet(ctx).Depth(0).Execute()
	require.NoError(t, err)
	require.Nil(t, (*k8s.Items)[0].Properties, "depth 0: items are references")

	k8s, _, err = api.KubernetesApi.K8sGet(ctx).Depth(1).Execute()
	require.NoError(t, err)
	require.NotNil(t, (*k8s.Items)[0].Properties)
	require.Nil(t, (*k8s.Items)[0].Entities, "depth 1: a list's items without their children")

	k8s, _, err = api.KubernetesApi.K8sGet(ctx).Depth(2).Execute()
	require.NoError(t, err)
	for _, p := range *(*k8s.Items)[0].Entities.Nodepools.Items {
		require.Nil(t, p.Properties, "depth 2: a cluster's node pools are references")
		require.NotNil(t, p.Id)
	}
}

// Paged lists stop at the API's default limit and link the next page;
// /k8s lists carry no paging fields.
func TestListsArePaged(t *testing.T) {
	w := ionoscloud.Realistic()
	for i := range 150 {
		w.IPBlocks = append(w.IPBlocks, ionoscloud.IPBlock{ID: fmt.Sprintf("b-%03d", i), Location: "de/fra", IPs: []string{"192.0.2.1"}})
	}
	s := ionoscloud.Start(w)
	defer s.Close()
	api, ctx := client(t, s, "tok"), context.Background()

	page, _, err := api.IPBlocksApi.IpblocksGet(ctx).Depth(1).Execute()
	require.NoError(t, err)
	require.Len(t, *page.Items, ionoscloud.DefaultIPBlockLimit)
	require.NotEmpty(t, *page.Links.Next)
	page, _, err = api.IPBlocksApi.IpblocksGet(ctx).Depth(1).Offset(100).Execute()
	require.NoError(t, err)
	require.Len(t, *page.Items, 52)
	require.Nil(t, page.Links.Next)
	require.NotNil(t, page.Links.Prev)

	req, _ := http.NewRequest(http.MethodGet, s.APIURL()+"/k8s?depth=1", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var raw map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	require.NotContains(t, raw, "_links")
	require.NotContains(t, raw, "limit")
}

// The switchable faults: 401, a 429 storm with Retry-After, a half page.
func TestFaults(t *testing.T) {
	s := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken("tok"))
	defer s.Close()
	ctx := context.Background()

	_, resp, err := client(t, s, "wrong").KubernetesApi.K8sGet(ctx).Depth(1).Execute()
	require.Error(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	api := client(t, s, "tok")
	s.Unauthorized(true)
	_, resp, _ = api.KubernetesApi.K8sGet(ctx).Depth(1).Execute()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	s.Unauthorized(false)

	s.Throttle(2, 30e9)
	for range 2 {
		_, resp, err = api.KubernetesApi.K8sGet(ctx).Depth(1).Execute()
		require.Error(t, err)
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		require.Equal(t, "30", resp.Header.Get("Retry-After"))
	}
	_, _, err = api.KubernetesApi.K8sGet(ctx).Depth(1).Execute()
	require.NoError(t, err, "the storm ends after the requests it was given")

	s.TruncateLists(1)
	_, _, err = api.DataCentersApi.DatacentersGet(ctx).Depth(1).Execute()
	require.Error(t, err, "a half-written page must not parse")
	_, _, err = api.DataCentersApi.DatacentersGet(ctx).Depth(1).Execute()
	require.NoError(t, err)
}
