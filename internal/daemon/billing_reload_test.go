package daemon_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/billing"
	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// TestReloadRefetchesCostExplorerOnlyForTheChangedAccount: each AWS account
// has its own fingerprint, so a reload that rotates one account's key (in
// its profile of the shared credentials file) and adds another account
// sends Cost Explorer requests (USD 0.01 each) for those two only: 0 for
// the unchanged account, whose snapshot the new runtime adopts. Each
// account answers from its own Cost Explorer emulator, so requests are
// counted per account.
func TestReloadRefetchesCostExplorerOnlyForTheChangedAccount(t *testing.T) {
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
	fakes := map[string]*sandbox.AWSBilling{}
	urls := map[string]string{}
	for _, name := range []string{"prod", "stage", "dev"} {
		fakes[name] = billing.SandboxAWS()
		srv := httptest.NewServer(fakes[name])
		t.Cleanup(srv.Close)
		urls[name] = srv.URL
	}
	ce := func(name string) int {
		return fakes[name].Requests("GetCostAndUsage") + fakes[name].Requests("GetCostForecast")
	}
	config := func(names ...string) string {
		var accounts, billed strings.Builder
		for _, n := range names {
			fmt.Fprintf(&accounts, "    - {name: %s, region: eu-central-1, profile: %s, endpoint: %s}\n", n, n, urls[n])
			fmt.Fprintf(&billed, "    - account: %s\n", n)
		}
		return "environment: test\naws:\n  accounts:\n" + accounts.String() + "billing:\n  aws:\n" + billed.String() +
			"  budgets:\n    - {provider: aws, amount: 300, currency: USD}\n"
	}
	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, config("prod", "stage"))

	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)
	require.Equal(t, 2, ce("prod"), "one GetCostAndUsage page and one GetCostForecast")
	require.Equal(t, 2, ce("stage"))

	writeCreds("AKIASTAGE2") // stage's key rotated
	writeConfig(t, cfgFile, config("prod", "stage", "dev"))
	require.NoError(t, r.d.Reload())
	assert.Equal(t, 2, ce("prod"), "the unchanged account must not pay for Cost Explorer again")
	assert.Equal(t, 4, ce("stage"), "the rotated key refetches its account")
	assert.Equal(t, 2, ce("dev"), "the added account fetches once")
	assert.NotContains(t, r.logs.String(), "stage-secret")
	t.Logf("Cost Explorer requests at the reload: prod (unchanged) %d, stage (key rotated) %d, dev (added) %d",
		ce("prod")-2, ce("stage")-2, ce("dev"))

	// And an unchanged reload costs nothing for anyone.
	require.NoError(t, r.d.Reload())
	assert.Equal(t, []int{2, 4, 2}, []int{ce("prod"), ce("stage"), ce("dev")})
}
