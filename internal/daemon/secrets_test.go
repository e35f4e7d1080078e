package daemon_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestSecretsNeverLeak runs the exporter with canary credentials against API
// servers that refuse them (401), fail (500) or answer garbage, reloads a
// file with an inline canary, and then searches every log line, the scrape
// and the reload answers for the canaries.
func TestSecretsNeverLeak(t *testing.T) {
	const tokenCanary = "canary-bearer-5b1f0c9e"
	const kubeconfigCanary = "canary-kubeconfig-8d2a7e41"
	const inlineCanary = "canary-inline-3e9b"
	t.Setenv("VIGIL_CANARY_TOKEN", tokenCanary)

	var sawToken atomic.Int64
	refusing := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), tokenCanary) {
			sawToken.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`))
	}))
	defer refusing.Close()
	var sawKubeconfigToken atomic.Int64
	broken := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), kubeconfigCanary) {
			sawKubeconfigToken.Add(1)
		}
		if strings.HasPrefix(r.URL.Path, "/version") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"gitVersion": `)) // garbage
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
	}))
	defer broken.Close()

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, "environment: canary\nkubernetes:\n  cluster: refusing\n  server: "+refusing.URL+
		"\n  bearer_token: {env: VIGIL_CANARY_TOKEN}\n  insecure_skip_tls_verify: true\n  probe_interval: 1s\n  metrics_interval: 1s\n")

	r := start(t, daemon.Options{ConfigFile: cfgFile, EnableLifecycle: true})
	r.waitReady(t) // ready although the API server refuses us
	require.Eventually(t, func() bool {
		mfs := parse(t, get(t, r.url+"/metrics"))
		v, ok := value(mfs, "vigil_source_errors_total", map[string]string{"source": "kubernetes-apiserver", "reason": "auth"})
		return ok && v >= 2
	}, 30*time.Second, 100*time.Millisecond)
	require.Positive(t, sawToken.Load(), "the token must reach the API server, or this test proves nothing")
	scrapes := []string{get(t, r.url+"/metrics")}

	// Switch to a kubeconfig holding a token, against a broken server.
	kubeconfig := testenv.WriteKubeconfig(t, &rest.Config{Host: broken.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}, kubeconfigCanary)
	writeConfig(t, cfgFile, "environment: canary\nkubernetes:\n  cluster: broken\n  kubeconfig: "+kubeconfig+"\n  probe_interval: 1s\n  metrics_interval: 1s\n")
	code, body := postReload(t, r.url)
	require.Equal(t, http.StatusOK, code, body)
	require.Eventually(t, func() bool {
		mfs := parse(t, get(t, r.url+"/metrics"))
		v, ok := value(mfs, "vigil_source_errors_total", map[string]string{"source": "kubernetes-apiserver", "reason": "decode"})
		return ok && v >= 1 && sawKubeconfigToken.Load() > 0
	}, 30*time.Second, 100*time.Millisecond)
	time.Sleep(2 * time.Second) // let informers log their failures too
	scrapes = append(scrapes, get(t, r.url+"/metrics"))

	// An inline secret in a reloaded file is refused without being repeated.
	writeConfig(t, cfgFile, "environment: canary\nkubernetes:\n  cluster: c\n  server: https://x\n  bearer_token: "+inlineCanary+"\n")
	code, body = postReload(t, r.url)
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Contains(t, body, "cannot be written inline")
	scrapes = append(scrapes, body)

	logs := r.logs.String()
	require.Contains(t, logs, "source refresh failed", "the failures must have been logged")
	for _, canary := range []string{tokenCanary, kubeconfigCanary, inlineCanary} {
		assert.NotContains(t, logs, canary, "a secret reached the logs")
		for _, s := range scrapes {
			assert.NotContains(t, s, canary, "a secret reached /metrics or an HTTP answer")
		}
	}
	_ = os.Remove(kubeconfig)
}
