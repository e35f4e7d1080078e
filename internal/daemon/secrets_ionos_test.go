package daemon_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
)

// TestIONOSSecretsNeverLeak: the IONOS token (ionos: section, by env
// reference) travels to the Cloud API emulator, which refuses it (401),
// throttles (429) and cuts pages in half; no log line, scrape or error
// carries it.
func TestIONOSSecretsNeverLeak(t *testing.T) {
	const canary = "canary-ionos-token-7c41d2"
	t.Setenv("VIGIL_CANARY_IONOS_TOKEN", canary)
	srv := ionoscloud.Start(ionoscloud.Realistic(), ionoscloud.WithToken(canary))
	defer srv.Close()
	srv.Unauthorized(true)

	cfgFile := filepath.Join(t.TempDir(), "vigil.yml")
	writeConfig(t, cfgFile, "environment: canary\nionos:\n  token: {env: VIGIL_CANARY_IONOS_TOKEN}\n  api_url: "+srv.APIURL()+
		"\ninfra:\n  ionos:\n    refresh_interval: 30s\n")
	r := start(t, daemon.Options{ConfigFile: cfgFile})
	r.waitReady(t)
	errorsOf := func(reason string) float64 {
		v, _ := value(parse(t, get(t, r.url+"/metrics")), "vigil_source_errors_total", map[string]string{"source": infra.IONOSSourceName, "reason": reason})
		return v
	}
	require.Eventually(t, func() bool { return errorsOf("auth") >= 1 }, 30*time.Second, 50*time.Millisecond)
	scrapes := []string{get(t, r.url+"/metrics")}

	// The token is accepted now (a truncated answer is only sent past the
	// credentials check), but every list is cut in half.
	srv.Unauthorized(false)
	srv.TruncateLists(1 << 20)
	require.Eventually(t, func() bool { return errorsOf("decode") >= 1 }, 30*time.Second, 50*time.Millisecond)
	srv.TruncateLists(0)
	srv.Throttle(1<<20, time.Second)
	require.Eventually(t, func() bool { return errorsOf("throttled") >= 1 }, 30*time.Second, 50*time.Millisecond)
	scrapes = append(scrapes, get(t, r.url+"/metrics"))

	logs := r.logs.String()
	require.Contains(t, logs, "source refresh failed", "the failures must have been logged")
	assert.NotContains(t, logs, canary, "the IONOS token reached the logs")
	for _, s := range scrapes {
		assert.NotContains(t, s, canary, "the IONOS token reached /metrics")
	}
}
