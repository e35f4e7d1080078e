package daemon_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestCloudsFailingNeverBlankTheCluster: the whole daemon with the cluster
// collector on a real API server (envtest) and both clouds. When IONOS
// starts refusing its token and AWS answers 503, both infra sources go
// down while the cluster's series keep coming and the clouds' last good
// series stay (their age is vigil_source_last_success_timestamp_seconds):
// one failing part never blanks /metrics for the others.
func TestCloudsFailingNeverBlankTheCluster(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	dir := t.TempDir()
	const token = "ionos-canary-token-4711"
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(token), 0o600))
	ionosSrv := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken(token))
	t.Cleanup(ionosSrv.Close)
	var awsDown atomic.Bool
	emu := infra.SandboxAWSInfra()
	awsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if awsDown.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(awsSrv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIACANARY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-canary-secret-0815")
	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, "environment: staging\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  metrics_api: false\n"+
		"ionos:\n  token: {file: "+tokenFile+"}\n  api_url: "+ionosSrv.APIURL()+"\n"+
		"aws:\n  accounts:\n    - {name: production, region: eu-central-1, endpoint: "+awsSrv.URL+"}\n"+
		"infra:\n  ionos:\n    refresh_interval: 30s\n  aws:\n    refresh_interval: 10s\n    accounts:\n"+
		"      - {account: production, instance_ids: [i-0a1b2c3d4e5f60001]}\n")

	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)
	up := func(source string) (float64, bool) {
		return value(parse(t, get(t, r.url+"/metrics")), "vigil_source_up", map[string]string{"source": source})
	}
	awsSource := infra.AWSSourceName("production", "eu-central-1")
	require.Eventually(t, func() bool {
		a, _ := up(infra.IONOSSourceName)
		b, _ := up(awsSource)
		return a == 1 && b == 1
	}, 30*time.Second, 200*time.Millisecond, "both clouds read")

	ionosSrv.Unauthorized(true)
	awsDown.Store(true)
	require.Eventually(t, func() bool {
		a, _ := up(infra.IONOSSourceName)
		b, _ := up(awsSource)
		return a == 0 && b == 0
	}, 90*time.Second, 500*time.Millisecond, "both clouds fail at their next refresh")

	mfs := parse(t, get(t, r.url+"/metrics"))
	v, ok := value(mfs, "vigil_cluster_apiserver_up", map[string]string{"environment": "staging", "cluster": "envtest"})
	assert.True(t, ok && v == 1, "the cluster's series stay while both clouds fail")
	_, ok = value(mfs, "vigil_infra_ionos_k8s_cluster_state", map[string]string{"state": "ACTIVE"})
	assert.True(t, ok, "IONOS's last good snapshot stays")
	_, ok = value(mfs, "vigil_infra_aws_ec2_instance_state", map[string]string{"instance_id": "i-0a1b2c3d4e5f60001", "state": "running"})
	assert.True(t, ok, "AWS's last good snapshot stays")
	for _, s := range []string{infra.IONOSSourceName, awsSource} {
		_, ok = value(mfs, "vigil_source_last_success_timestamp_seconds", map[string]string{"source": s})
		assert.True(t, ok, "%s: its age stays visible", s)
	}
	for _, secret := range []string{token, "aws-canary-secret-0815"} {
		assert.NotContains(t, r.logs.String(), secret)
		assert.NotContains(t, get(t, r.url+"/metrics"), secret)
	}
}
