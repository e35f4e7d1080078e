package infra_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// faulty wraps the AWS emulator with the faults of a failing cloud.
type faulty struct {
	next  http.Handler
	fault atomic.Value // string: "", "401", "503", "hang", "garbage"
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch f.fault.Load() {
	case "401":
		w.WriteHeader(http.StatusUnauthorized)
	case "503":
		w.WriteHeader(http.StatusServiceUnavailable)
	case "hang":
		select { // until the refresh times out and drops the request
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	case "garbage":
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte("<DescribeInstancesResponse><reservationSet><item><instanceId>i-1</instanceId></item></oops>"))
	default:
		f.next.ServeHTTP(w, r)
	}
}

// bothClouds runs the IONOS and AWS parts side by side, refreshing every
// 200 ms (the refresh timeout is as long).
func bothClouds(t *testing.T, ionosSrv *ionoscloud.Server, awsURL string) *infra.Collector {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token), 0o600))
	prov, err := ionos.New(&ionos.Config{Token: &config.SecretRef{File: tokenFile}, APIURL: ionosSrv.APIURL()})
	require.NoError(t, err)
	p := awsProvider(t, awsURL)
	acct, _ := p.Account("production")
	sel := infra.SandboxAWSSelection()
	iv := config.Duration(200 * time.Millisecond)
	g := source.NewGroup(source.NewMetrics(), nil)
	c := infra.New(infra.Config{Environment: "production", Key: "k1",
		IONOS: &infra.IONOSSection{RefreshInterval: iv, MaintenanceWindowDuration: config.Duration(4 * time.Hour)},
		AWS:   &infra.AWSSection{RefreshInterval: iv, Accounts: []infra.AWSAccount{sel}},
		AWSTargets: []infra.AWSTarget{{Name: "production", Region: region, Select: sel, Key: p.Fingerprint(),
			Config: func(rt http.RoundTripper) awssdk.Config { return acct.Config(region, rt) }}}}, prov, g, nil)
	g.Start(context.Background())
	t.Cleanup(func() { g.Stop(false) })
	require.Eventually(t, func() bool { return c.IONOSStatus().Up && c.AWSStatus(0).Up }, 20*time.Second, 5*time.Millisecond)
	return c
}

// TestOneCloudFailingNeverBlanksTheOther: AWS answering 401, 503, nothing
// (timeout) or garbage, then IONOS refusing its token, each fail only
// their own source: the other keeps refreshing, and the failing one keeps
// serving its last good snapshot with its last success time unchanged (so
// vigil_source_last_success_timestamp_seconds shows its age).
func TestOneCloudFailingNeverBlanksTheOther(t *testing.T) {
	ionosSrv := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken(token))
	defer ionosSrv.Close()
	f := &faulty{next: infra.SandboxAWSInfra()}
	f.fault.Store("")
	awsSrv := httptest.NewServer(f)
	defer awsSrv.Close()
	c := bothClouds(t, ionosSrv, awsSrv.URL)

	bothServed := func() {
		t.Helper()
		h := &harness{c: c}
		_, mfs := h.scrape(t)
		requireValue(t, mfs, "vigil_infra_ionos_k8s_cluster_state", map[string]string{"state": "ACTIVE"}, 1)
		requireValue(t, mfs, "vigil_infra_aws_ec2_instance_state", map[string]string{"instance_name": "k3s-server-1", "state": "running"}, 1)
		requireValue(t, mfs, "vigil_infra_aws_waf_web_acl_associated", map[string]string{"load_balancer": "k3s-ingress"}, 0)
	}
	for _, tc := range []struct{ fault, reason string }{
		{"401", source.ReasonAuth}, {"503", source.ReasonServerError}, {"hang", source.ReasonTimeout}, {"garbage", source.ReasonDecode},
	} {
		t.Run("aws "+tc.fault, func(t *testing.T) {
			require.Eventually(t, func() bool { return c.AWSStatus(0).Up }, 20*time.Second, 5*time.Millisecond)
			good := c.AWSStatus(0).LastSuccess
			f.fault.Store(tc.fault)
			require.Eventually(t, func() bool { st := c.AWSStatus(0); return !st.Up && st.LastReason == tc.reason }, 20*time.Second, 5*time.Millisecond)
			ionosBefore := c.IONOSStatus().LastSuccess
			require.Eventually(t, func() bool { return c.IONOSStatus().LastSuccess.After(ionosBefore) }, 20*time.Second, 5*time.Millisecond,
				"IONOS keeps refreshing while AWS fails")
			require.True(t, c.IONOSStatus().Up)
			require.Equal(t, good, c.AWSStatus(0).LastSuccess, "the last good AWS snapshot keeps its time")
			bothServed()
			f.fault.Store("")
		})
	}
	t.Run("ionos 401", func(t *testing.T) {
		good := c.IONOSStatus().LastSuccess
		ionosSrv.Unauthorized(true)
		require.Eventually(t, func() bool { st := c.IONOSStatus(); return !st.Up && st.LastReason == source.ReasonAuth }, 20*time.Second, 5*time.Millisecond)
		awsBefore := c.AWSStatus(0).LastSuccess
		require.Eventually(t, func() bool { return c.AWSStatus(0).LastSuccess.After(awsBefore) }, 20*time.Second, 5*time.Millisecond,
			"AWS keeps refreshing while IONOS fails")
		require.Equal(t, good, c.IONOSStatus().LastSuccess)
		bothServed()
		ionosSrv.Unauthorized(false)
	})
}
