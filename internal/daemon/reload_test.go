package daemon_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
}

func postReload(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/-/reload", "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	b := new(strings.Builder)
	_, _ = io.Copy(b, resp.Body)
	return resp.StatusCode, b.String()
}

// TestReloadKeepsRunningConfigOnError drives reloads against a real API
// server: a good reload takes effect, a bad one keeps the old config and
// says so in vigil_config_last_reload_successful, SIGHUP works too.
func TestReloadKeepsRunningConfigOnError(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	cfgFile := filepath.Join(t.TempDir(), "vigil.yml")
	writeConfig(t, cfgFile, "environment: staging\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  metrics_api: false\n")

	r := start(t, daemon.Options{ConfigFile: cfgFile, EnableLifecycle: true})
	r.waitReady(t)
	mfs := parse(t, get(t, r.url+"/metrics"))
	v, ok := value(mfs, "vigil_cluster_apiserver_up", map[string]string{"environment": "staging", "cluster": "envtest"})
	require.True(t, ok && v == 1, "the real API server is up")
	v, _ = value(mfs, "vigil_config_last_reload_successful", nil)
	assert.Equal(t, 1.0, v)

	// A broken file: refused, old config keeps running.
	writeConfig(t, cfgFile, "environment: production\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  probe_interval: sometimes\n")
	code, body := postReload(t, r.url)
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Contains(t, body, cfgFile+":5:")
	assert.Contains(t, body, "kubernetes.probe_interval")
	mfs = parse(t, get(t, r.url+"/metrics"))
	v, _ = value(mfs, "vigil_config_last_reload_successful", nil)
	assert.Equal(t, 0.0, v)
	_, ok = value(mfs, "vigil_cluster_apiserver_up", map[string]string{"environment": "staging"})
	assert.True(t, ok, "the previous configuration must keep running")
	assert.Contains(t, r.logs.String(), "previous configuration keeps running")

	// Fixed, and reloaded with SIGHUP as an operator would.
	writeConfig(t, cfgFile, "environment: production\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  metrics_api: false\n")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool {
		mfs := parse(t, get(t, r.url+"/metrics"))
		v, ok := value(mfs, "vigil_cluster_apiserver_up", map[string]string{"environment": "production"})
		ok2, _ := value(mfs, "vigil_config_last_reload_successful", nil)
		return ok && v == 1 && ok2 == 1
	}, 30*time.Second, 100*time.Millisecond)

	// A reload shows no gap: the moment it returns, the new runtime is warm.
	before := parse(t, get(t, r.url+"/metrics"))
	lastBefore, _ := value(before, "vigil_source_last_success_timestamp_seconds", map[string]string{"source": "kubernetes-apiserver"})
	require.Positive(t, lastBefore)
	code, body = postReload(t, r.url)
	require.Equal(t, http.StatusOK, code, body)
	after := parse(t, get(t, r.url+"/metrics"))
	lastAfter, _ := value(after, "vigil_source_last_success_timestamp_seconds", map[string]string{"source": "kubernetes-apiserver"})
	assert.GreaterOrEqual(t, lastAfter, lastBefore, "a reload must not reset the data age")
	up, _ := value(after, "vigil_source_up", map[string]string{"source": "kubernetes-apiserver"})
	assert.Equal(t, 1.0, up, "a reload must not show a false outage")
	v, ok = value(after, "vigil_cluster_apiserver_up", map[string]string{"environment": "production"})
	assert.True(t, ok && v == 1)
	assert.True(t, r.d.Ready(), "ready straight after a reload")

	resp, err := http.Get(r.url + "/-/reload")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestMain(m *testing.M) { os.Exit(testenv.RunShared(m)) }

// TestReloadEndpointNeedsLifecycleFlag: without --web.enable-lifecycle,
// POST /-/reload is refused and says how to reload instead.
func TestReloadEndpointNeedsLifecycleFlag(t *testing.T) {
	r := start(t, daemon.Options{Sandbox: true})
	code, body := postReload(t, r.url)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "--web.enable-lifecycle")
}
