package daemon_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/daemon"
)

// TestReadyAfterFirstRefreshFailedOrNot: /-/ready stays 503 while the API
// server probe's first refresh hangs, /-/healthy and /metrics answer all the
// while, and readiness comes once that refresh has finished, here as a failure.
func TestReadyAfterFirstRefreshFailedOrNot(t *testing.T) {
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		http.Error(w, "still starting", http.StatusServiceUnavailable)
	}))
	defer hanging.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	cfg := filepath.Join(t.TempDir(), "vigil.yml")
	writeConfig(t, cfg, "environment: dev\nkubernetes:\n  cluster: slow\n  server: "+hanging.URL+"\n  metrics_api: false\n  probe_interval: 60s\n")
	r := start(t, daemon.Options{ConfigFile: cfg})

	status := func(path string) int {
		resp, err := http.Get(r.url + path)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Eventually(t, func() bool { return status("/-/healthy") == http.StatusOK }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, http.StatusServiceUnavailable, status("/-/ready"), "the first probe is still hanging")
	assert.Equal(t, http.StatusOK, status("/metrics"), "a scrape never waits for an upstream")

	close(release) // the API server now answers 503
	r.waitReady(t)
	v, ok := value(parse(t, get(t, r.url+"/metrics")), "vigil_cluster_apiserver_up", map[string]string{"cluster": "slow"})
	assert.True(t, ok && v == 0, "ready, and saying the API server is down")
}
