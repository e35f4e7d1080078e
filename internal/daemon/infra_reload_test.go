package daemon_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/infra"
	"github.com/vigil-monitoring/vigil/internal/daemon"
)

// TestReloadRereadsInfraOnlyForTheChangedAccount: the infra collector keys
// each AWS account's source with that account's own fingerprint, so a
// reload that rotates one account's key and adds another account reads
// those two again and adopts the unchanged account's snapshot (0 requests
// for it, not a fresh EC2/ELBv2/WAF/SQS/RDS/CloudWatch round, whose
// GetMetricData is billed). Each account answers from its own emulator, so
// requests are counted per account.
func TestReloadRereadsInfraOnlyForTheChangedAccount(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	writeCreds := func(keyB string) {
		require.NoError(t, os.WriteFile(creds, []byte("[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = prod-secret\n"+
			"[stage]\naws_access_key_id = "+keyB+"\naws_secret_access_key = stage-secret\n"+
			"[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = dev-secret\n"), 0o600))
	}
	writeCreds("AKIASTAGE1")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		t.Setenv(v, "")
	}
	counts := map[string]*atomic.Int64{}
	urls := map[string]string{}
	for _, name := range []string{"prod", "stage", "dev"} {
		n, emu := &atomic.Int64{}, infra.SandboxAWSInfra()
		counts[name] = n
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			emu.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		urls[name] = srv.URL
	}
	reqs := func(name string) int64 { return counts[name].Load() }
	config := func(names ...string) string {
		var accounts, watched strings.Builder
		for _, n := range names {
			fmt.Fprintf(&accounts, "    - {name: %s, region: eu-central-1, profile: %s, endpoint: %s}\n", n, n, urls[n])
			fmt.Fprintf(&watched, "      - {account: %s, instance_ids: [i-0a1b2c3d4e5f60001]}\n", n)
		}
		return "environment: test\naws:\n  accounts:\n" + accounts.String() +
			"infra:\n  aws:\n    refresh_interval: 1h\n    accounts:\n" + watched.String()
	}
	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, config("prod", "stage"))

	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)
	prod, stage := reqs("prod"), reqs("stage")
	require.Positive(t, prod)
	require.Positive(t, stage)

	writeCreds("AKIASTAGE2") // stage's key rotated
	writeConfig(t, cfgFile, config("prod", "stage", "dev"))
	require.NoError(t, r.d.Reload())
	assert.Equal(t, prod, reqs("prod"), "the unchanged account must not be read again")
	assert.Greater(t, reqs("stage"), stage, "the rotated key rereads its account")
	assert.Positive(t, reqs("dev"), "the added account is read")
	assert.NotContains(t, r.logs.String(), "stage-secret")
	t.Logf("requests at the reload: prod (unchanged) %d, stage (key rotated) %d, dev (added) %d",
		reqs("prod")-prod, reqs("stage")-stage, reqs("dev"))
}
