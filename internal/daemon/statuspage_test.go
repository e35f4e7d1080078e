package daemon_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/vigil-monitoring/vigil/internal/daemon"
)

// TestStatusPageOnTheSandbox: / is the status page, built from the sandbox's
// own scrape and its sources' states; /metrics, /-/healthy and /-/ready are
// what they were.
func TestStatusPageOnTheSandbox(t *testing.T) {
	r := start(t, daemon.Options{Sandbox: true})
	r.waitReady(t)
	page := get(t, r.url+"/")
	// AWS is at 92 % of budget, except on the 1st (UTC), when the month to
	// date, the month through yesterday, is 0.
	budget := `<span class="badge">92 %</span></td><td>aws</td>`
	if time.Now().UTC().Day() == 1 {
		budget = `<span class="badge">0 %</span></td><td>aws</td>`
	}
	for _, want := range []string{
		`<a href="/metrics">Metrics</a>`,
		"environment: sandbox",
		// A source's row, from its engine status.
		`<td>kubernetes-apiserver</td>`,
		// The refused probe with its reason, from vigil_access_probe_*.
		`<td>ticketly-health</td><td>http</td>`, `<td class="why">tcp_refused</td>`,
		// The sandbox's expired PEM certificate, with its date.
		`<td>old-ingress.sandbox.vigil.test</td>`,
		// terraform-state is past its 24 h RPO.
		`<span class="badge">too old</span></td><td>terraform-state</td>`,
		budget,
	} {
		assert.Contains(t, page, want)
	}
	assert.Contains(t, get(t, r.url+"/metrics"), "vigil_source_up{")
	assert.Equal(t, "Healthy.\n", get(t, r.url+"/-/healthy"))
	assert.Equal(t, "Ready.\n", get(t, r.url+"/-/ready"))
	resp, err := http.Get(r.url + "/no-such-page")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestStatusPageBehindBasicAuth: the page shows what /metrics shows, so the
// web config's basic auth guards it the same way.
func TestStatusPageBehindBasicAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	require.NoError(t, err)
	webConfig := filepath.Join(t.TempDir(), "web.yml")
	require.NoError(t, os.WriteFile(webConfig, fmt.Appendf(nil, "basic_auth_users:\n  ops: %s\n", hash), 0o600))
	r := start(t, daemon.Options{Sandbox: true, WebConfigFile: webConfig})

	page := func(user, pass string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, r.url+"/", nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	require.Eventually(t, func() bool { code, _ := page("ops", "s3cret-pass"); return code == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
	for _, creds := range [][2]string{{"", ""}, {"ops", "wrong"}} {
		code, body := page(creds[0], creds[1])
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.NotContains(t, body, "id=\"sources\"", "no status page without the password")
	}
}

// BenchmarkStatusPage measures one status page view on the sandbox: a full
// in-process scrape, the line filter, the parse and the template.
func BenchmarkStatusPage(b *testing.B) {
	r := start(b, daemon.Options{Sandbox: true})
	r.waitReady(b)
	h := r.d.Handler()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="sources"`) {
			b.Fatalf("status page answered %d", w.Code)
		}
	}
}
