package daemon_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// probeCerts returns "location chain_position subject_cn" of every
// certificate the expiry collector exports from access probes.
func probeCerts(t *testing.T, url string) []string {
	t.Helper()
	var out []string
	for _, m := range parse(t, get(t, url+"/metrics"))["vigil_cert_not_after_timestamp_seconds"].GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		if l["origin"] == "probe" {
			out = append(out, l["location"]+" "+l["chain_position"]+" "+l["subject_cn"])
		}
	}
	sort.Strings(out)
	return out
}

// TestProbeCertificatesFollowTheAccessSection: the expiry collector reads
// the access section (collector.Registration.Reads), so a configuration
// whose expiry section lists no TLS endpoint still exports every HTTPS
// probe's chain; a reload that changes the probes changes the
// certificates, and one that removes the access section removes them.
func TestProbeCertificatesFollowTheAccessSection(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	root, err := sandbox.NewRoot("Reload Root", now.Add(-day), now.Add(3650*day))
	require.NoError(t, err)
	inter, err := root.Issue("Reload Intermediate", true, now.Add(-day), now.Add(400*day))
	require.NoError(t, err)
	https := func(cn string) string {
		leaf, err := inter.Issue(cn, false, now.Add(-day), now.Add(30*day), "127.0.0.1")
		require.NoError(t, err)
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{sandbox.TLSCertificate(leaf, inter)}}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}
	appURL, apiURL := https("app.example"), https("api.example")
	dir := t.TempDir()
	pem := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(pem, root.PEM(), 0o600))
	expirySection := "expiry:\n  pem_files: [" + pem + "]\n"
	probe := func(name, url string) string {
		return "    - {name: " + name + ", kind: http, target: '" + url + "', interval: 1h, timeout: 5s}\n"
	}
	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, "environment: staging\n"+expirySection+"access:\n  probes:\n"+probe("app", appURL))

	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)
	assert.Equal(t, []string{"app intermediate Reload Intermediate", "app leaf app.example"}, probeCerts(t, r.url))

	// Another probe list: its certificates, and only its, once reloaded
	// (the new runtime has read them before it is swapped in).
	writeConfig(t, cfgFile, "environment: staging\n"+expirySection+"access:\n  probes:\n"+probe("api", apiURL)+
		"    - {name: plain, kind: tcp, target: '127.0.0.1:1', interval: 1h, timeout: 1s}\n")
	require.NoError(t, r.d.Reload())
	assert.Equal(t, []string{"api intermediate Reload Intermediate", "api leaf api.example"}, probeCerts(t, r.url))

	// Access disabled: the probes' certificates go, the PEM file's stay.
	writeConfig(t, cfgFile, "environment: staging\n"+expirySection)
	require.NoError(t, r.d.Reload())
	assert.Empty(t, probeCerts(t, r.url))
	_, ok := value(parse(t, get(t, r.url+"/metrics")), "vigil_cert_not_after_timestamp_seconds", map[string]string{"origin": "pem", "subject_cn": "Reload Root"})
	assert.True(t, ok, "the expiry section's own PEM file is still read")
	_, ok = value(parse(t, get(t, r.url+"/metrics")), "vigil_source_up", map[string]string{"source": "expiry_probes"})
	assert.False(t, ok, "the probes' source went with the access section")
}

// TestProbeChangeKeepsExpirysOtherSnapshots: a reload that changes only the
// access probes rebuilds the expiry collector, but only its probes' source
// depends on them (Deps.OwnFingerprint keys the others): the IONOS registry
// tokens are not fetched again. Counted by the token emulator itself.
func TestProbeChangeKeepsExpirysOtherSnapshots(t *testing.T) {
	dir := t.TempDir()
	const bearer = "probe-reload-ionos-token"
	tokens := sandbox.StartIONOSTokens(bearer, 0, []sandbox.SandboxRegistry{{ID: "3f1d2c4e-8a7b-4c1d-9e2f-0a1b2c3d4e70", Name: "reg",
		Tokens: []sandbox.SandboxRegistryToken{{ID: "8fb592e4-494c-11ed-b878-0242ac120070", Name: "pull", Status: "enabled"}}}}, nil)
	t.Cleanup(tokens.Close)
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(bearer), 0o600))
	base := "environment: staging\nionos:\n  token: {file: " + tokenFile + "}\n  registry_url: " + tokens.RegistryURL() +
		"\n  auth_url: " + tokens.AuthURL() + "\nexpiry:\n  ionos: {registry_tokens: true}\naccess:\n  probes:\n"
	probe := func(name string) string {
		return "    - {name: " + name + ", kind: tcp, target: '127.0.0.1:1', interval: 1h, timeout: 1s}\n"
	}
	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, base+probe("a"))
	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)
	fetched := len(tokens.Requests())
	require.Positive(t, fetched, "the registry tokens were read")

	writeConfig(t, cfgFile, base+probe("b"))
	require.NoError(t, r.d.Reload())
	assert.Equal(t, fetched, len(tokens.Requests()), "only the probes changed: the tokens' snapshot is adopted, not fetched again")
	_, ok := value(parse(t, get(t, r.url+"/metrics")), "vigil_token_expires", map[string]string{"kind": "ionos_registry"})
	assert.True(t, ok, "the adopted tokens are served")
}
