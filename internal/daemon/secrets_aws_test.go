package daemon_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/daemon"
)

// TestAWSSecretsNeverLeak: the AWS access key ID and secret (from the SDK's
// environment chain) sign the infra collector's requests to an upstream
// that refuses them (403 whose message repeats the Authorization header,
// as a hostile or buggy endpoint might), fails (500) and answers garbage;
// no log line or scrape carries either canary.
func TestAWSSecretsNeverLeak(t *testing.T) {
	const keyCanary = "AKIACANARY7F3D2B91E4"
	const secretCanary = "canary-aws-secret-2c8e51a0f7"
	t.Setenv("AWS_ACCESS_KEY_ID", keyCanary)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretCanary)
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))

	var mode atomic.Value
	mode.Store("refuse")
	var sawKey atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if strings.Contains(auth, keyCanary) {
			sawKey.Add(1)
		}
		switch mode.Load() {
		case "refuse":
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials ` +
				keyCanary + ` ` + secretCanary + ` ` + auth + `</Message></Error></Errors><RequestID>x</RequestID></Response>`))
		case "fail":
			http.Error(w, "internal error "+auth, http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "text/xml")
			_, _ = w.Write([]byte("<DescribeInstancesResponse>" + keyCanary))
		}
	}))
	defer srv.Close()

	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, "environment: canary\naws:\n  accounts:\n    - name: production\n      region: eu-central-1\n      endpoint: "+srv.URL+
		"\ninfra:\n  aws:\n    refresh_interval: 10s\n    accounts:\n      - account: production\n        instance_tags: {role: k3s}\n")
	r := start(t, daemon.Options{ConfigFile: cfgFile})
	r.waitReady(t)
	src := infra.AWSSourceName("production", "eu-central-1")
	errorsOf := func(reason string) float64 {
		v, _ := value(parse(t, get(t, r.url+"/metrics")), "vigil_source_errors_total", map[string]string{"source": src, "reason": reason})
		return v
	}
	require.Eventually(t, func() bool { return errorsOf("auth") >= 1 }, 30*time.Second, 50*time.Millisecond)
	require.Positive(t, sawKey.Load(), "the key must reach the upstream, or this test proves nothing")
	scrapes := []string{get(t, r.url+"/metrics")}
	mode.Store("fail")
	require.Eventually(t, func() bool { return errorsOf("server_error") >= 1 }, 30*time.Second, 50*time.Millisecond)
	mode.Store("garbage")
	require.Eventually(t, func() bool { return errorsOf("decode") >= 1 }, 30*time.Second, 50*time.Millisecond)
	scrapes = append(scrapes, get(t, r.url+"/metrics"))

	logs := r.logs.String()
	require.Contains(t, logs, "source refresh failed", "the failures must have been logged")
	for _, canary := range []string{keyCanary, secretCanary} {
		assert.NotContains(t, logs, canary, "an AWS credential reached the logs")
		for _, s := range scrapes {
			assert.NotContains(t, s, canary, "an AWS credential reached /metrics")
		}
	}
}
