package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// TestExpiryTokensNeverLeak extends TestSecretsNeverLeak to the tokens the
// expiry collector finds and reads: a bearer JWT in a kubeconfig, a JWT
// file, files that are not what they should be (whose contents an error
// could quote), and the IONOS token the provider authenticates with to list
// registry and API tokens. The exporter must read their dates (the series
// are there) and never show a token in its logs or on /metrics.
func TestExpiryTokensNeverLeak(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	kubeJWT := sandbox.JWT("canary-kid-kube", map[string]any{"sub": "canary-kubeconfig-jwt-5e1d", "exp": now.Add(48 * time.Hour).Unix()})
	fileJWT := sandbox.JWT("canary-kid-file", map[string]any{"sub": "canary-file-jwt-77a0", "exp": now.Add(72 * time.Hour).Unix()})
	ionosJWT := sandbox.JWT("41c501e4-74f7-40b7-bc12-eeb310358ed9", map[string]any{"sub": "canary-ionos-jwt-c4b2", "exp": now.Add(96 * time.Hour).Unix()})
	const opaque = "canary-opaque-token-19fe"
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	kubeconfig := write("canary.kubeconfig", "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers:\n- name: ci\n  user: {token: "+kubeJWT+"}\n- name: static\n  user: {token: "+opaque+"}\n")
	broken := write("broken.kubeconfig", "users: [{name: x, user: {token: "+opaque+"}\n") // does not parse
	jwtFile := write("deploy.jwt", fileJWT)
	notJWT := write("opaque.jwt", opaque)
	ionosToken := write("ionos-token", ionosJWT)
	emu := sandbox.StartIONOSTokens(ionosJWT, 1, []sandbox.SandboxRegistry{{ID: "3f1d2c4e-8a7b-4c1d-9e2f-0a1b2c3d4e5f", Name: "canary-registry",
		Tokens: []sandbox.SandboxRegistryToken{{ID: "8fb592e4-494c-11ed-b878-0242ac120002", Name: "pull", Status: "enabled", Password: opaque}}}},
		[]sandbox.SandboxAPIToken{{ID: "41c501e4-74f7-40b7-bc12-eeb310358ed9", Created: now, Expiration: now.Add(96 * time.Hour)}})
	defer emu.Close()

	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, `environment: canary
ionos:
  token: {file: `+ionosToken+`}
  registry_url: `+emu.RegistryURL()+`
  auth_url: `+emu.AuthURL()+`
expiry:
  refresh_interval: 1s
  kubeconfigs: [`+kubeconfig+`, `+broken+`]
  jwt_files:
    - {name: deploy, file: `+jwtFile+`}
    - {name: opaque, file: `+notJWT+`}
  ionos: {registry_tokens: true, api_tokens: true}
`)
	r := start(t, daemon.Options{ConfigFile: cfgFile})
	r.waitReady(t)
	var scrape string
	require.Eventually(t, func() bool {
		scrape = get(t, r.url+"/metrics")
		return strings.Contains(scrape, `name="user/ci"`) && strings.Contains(scrape, `name="deploy"`) &&
			strings.Contains(scrape, `kind="ionos_api"`) && strings.Contains(scrape, `location="canary-registry"`)
	}, 30*time.Second, 100*time.Millisecond, "the tokens' dates must be read, or this test proves nothing")
	time.Sleep(1500 * time.Millisecond) // a second refresh logs the failing files again
	logs := r.logs.String()
	require.Contains(t, logs, "broken.kubeconfig", "the broken files must have been logged")
	require.Contains(t, logs, "opaque.jwt")
	for _, canary := range []string{kubeJWT, fileJWT, ionosJWT, opaque, "canary-kubeconfig-jwt-5e1d", "canary-file-jwt-77a0", "canary-ionos-jwt-c4b2",
		strings.Split(kubeJWT, ".")[1], strings.Split(fileJWT, ".")[1], strings.Split(ionosJWT, ".")[1]} {
		assert.NotContains(t, logs, canary, "a token reached the logs")
		assert.NotContains(t, scrape, canary, "a token reached /metrics")
	}
}
