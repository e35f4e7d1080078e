package expiry_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/access"
	"github.com/vigil-monitoring/vigil/collectors/expiry"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
)

func expiryRegistration(t *testing.T) collector.Registration {
	t.Helper()
	for _, r := range collector.All() {
		if r.Name == "expiry" {
			return r
		}
	}
	t.Fatal("expiry is not registered")
	return collector.Registration{}
}

// serveHTTPS serves an HTTP answer over TLS with the chain given.
func serveHTTPS(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// buildWithProbes builds the expiry collector as the daemon does, with the
// access section as the one it reads, and waits for its first refresh.
func buildWithProbes(t *testing.T, sec *expiry.Section, probes *access.Section) *harness {
	t.Helper()
	sec.ApplyDefaults()
	require.Empty(t, sec.Validate())
	sections := map[string]config.Section{}
	if probes != nil {
		probes.ApplyDefaults()
		require.Empty(t, probes.Validate())
		sections["access"] = probes
	}
	m := source.NewMetrics()
	g := source.NewGroup(m, nil)
	c, err := expiryRegistration(t).Build(sec, &collector.Deps{Group: g, Fingerprint: "k", Sections: sections})
	require.NoError(t, err)
	g.Start(context.Background())
	t.Cleanup(func() { g.Stop(false) })
	require.Eventually(t, g.Ready, 20*time.Second, 5*time.Millisecond)
	return &harness{c: c.(*expiry.Collector), group: g, metrics: m}
}

// An expiry section that lists no TLS endpoint still exports the chain of
// every HTTPS and TLS access probe, per chain position, with origin
// "probe"; plain HTTP, TCP and DNS probes have no certificate to read.
func TestAccessProbesCertificatesAreWatched(t *testing.T) {
	require.Equal(t, []string{"access"}, expiryRegistration(t).Reads)
	now := time.Now().Truncate(time.Second)
	root, err := sandbox.NewRoot("Probe Root", now.Add(-day), now.Add(3650*day))
	require.NoError(t, err)
	inter, err := root.Issue("Probe Intermediate", true, now.Add(-day), now.Add(2*day))
	require.NoError(t, err)
	appLeaf, err := inter.Issue("app.example", false, now.Add(-day), now.Add(60*day), "127.0.0.1")
	require.NoError(t, err)
	regLeaf, err := inter.Issue("registry.example", false, now.Add(-90*day), now.Add(-day), "127.0.0.1")
	require.NoError(t, err)
	appURL := serveHTTPS(t, sandbox.TLSCertificate(appLeaf, inter))
	regURL := serveHTTPS(t, sandbox.TLSCertificate(regLeaf, inter))
	tlsAddr := serve(t, sandbox.TLSCertificate(appLeaf, root, inter))
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)

	h := buildWithProbes(t, &expiry.Section{}, &access.Section{Probes: []access.Probe{
		{Name: "app", Kind: access.KindHTTP, Target: appURL + "/api/health"},
		{Name: "registry", Kind: access.KindRegistry, Target: regURL},
		{Name: "db-tls", Kind: access.KindTLS, Target: tlsAddr},
		{Name: "plain", Kind: access.KindHTTP, Target: plain.URL},
		{Name: "tcp", Kind: access.KindTCP, Target: tlsAddr},
		{Name: "dns", Kind: access.KindDNS, Target: "localhost"},
	}})
	s := h.scrape(t)
	got := notAfter(s)
	want := map[string]time.Time{
		"app  leaf app.example":                     now.Add(60 * day),
		"app  intermediate Probe Intermediate":      now.Add(2 * day),
		"registry  leaf registry.example":           now.Add(-day),
		"registry  intermediate Probe Intermediate": now.Add(2 * day),
		"db-tls  leaf app.example":                  now.Add(60 * day),
		"db-tls  intermediate Probe Intermediate":   now.Add(2 * day),
		"db-tls  root Probe Root":                   now.Add(3650 * day),
	}
	for k, v := range want {
		if assert.Contains(t, got, k) {
			assert.Equal(t, v.Unix(), got[k].Unix(), k)
		}
	}
	assert.Len(t, got, len(want), "plain http, tcp and dns probes have no certificate")
	for _, x := range s["vigil_cert_not_after_timestamp_seconds"] {
		assert.Equal(t, expiry.OriginProbe, x.labels["origin"])
	}
}

// access_probes: false leaves the probes alone; an expiry section that
// then names nothing, or reads probes of which none speaks TLS, is refused
// at build with what to do.
func TestAccessProbesOptOutAndNothingToWatch(t *testing.T) {
	plain := &access.Section{Probes: []access.Probe{{Name: "dns", Kind: access.KindDNS, Target: "localhost"}}}
	plain.ApplyDefaults()
	off := false
	for name, tc := range map[string]struct {
		sec   *expiry.Section
		reads map[string]config.Section
	}{
		"no access section": {&expiry.Section{}, nil},
		"no tls probe":      {&expiry.Section{}, map[string]config.Section{"access": plain}},
		"access_probes off": {&expiry.Section{AccessProbes: &off, TLSEndpoints: []expiry.Endpoint{{Name: "x", Address: "127.0.0.1:1"}}}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			tc.sec.ApplyDefaults()
			_, err := expiryRegistration(t).Build(tc.sec, &collector.Deps{Group: source.NewGroup(source.NewMetrics(), nil), Sections: tc.reads})
			if name == "access_probes off" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "names nothing to watch")
			assert.Contains(t, err.Error(), "access section")
		})
	}
	empty := &expiry.Section{AccessProbes: &off}
	empty.ApplyDefaults()
	require.Len(t, empty.Validate(), 1, "access_probes off and nothing listed is a config error")
}

// --config.check (config.Load over the registry's sections) refuses what
// Build refuses: an expiry section that lists nothing and relies on
// access_probes, when the file's access section has no https or tls probe
// or there is none, with the file, the line of the expiry section and the
// hint. Before, the check passed and the daemon refused to start.
func TestConfigCheckRefusesExpiryWithNoProbeToRead(t *testing.T) {
	const head = "environment: test\n"
	const dnsOnly = "access:\n  probes:\n    - name: dns\n      kind: dns\n      target: localhost\n"
	const httpsProbe = "access:\n  probes:\n    - name: app\n      kind: http\n      target: https://app.example.com/health\n"
	const exp = "expiry:\n  refresh_interval: 5m\n"
	for name, tc := range map[string]struct {
		file string
		line int // of the expiry section, 0 when valid
	}{
		"no tls probe":        {head + dnsOnly + exp, 7},
		"no access section":   {head + exp, 2},
		"an https probe":      {head + httpsProbe + exp, 0},
		"a listed endpoint":   {head + dnsOnly + exp + "  tls_endpoints:\n    - name: x\n      address: example.com:443\n", 0},
		"access_probes false": {head + httpsProbe + exp + "  access_probes: false\n", -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.file), "vigil.yml", collector.Sections())
			switch tc.line {
			case 0:
				require.NoError(t, err)
			case -1:
				// Its own Validate says so already (no second error).
				require.Error(t, err)
				assert.Equal(t, 1, strings.Count(err.Error(), "names nothing to watch"), err.Error())
			default:
				require.Error(t, err)
				assert.Contains(t, err.Error(), fmt.Sprintf("vigil.yml:%d", tc.line))
				assert.Contains(t, err.Error(), "expiry")
				assert.Contains(t, err.Error(), "names nothing to watch")
				assert.Contains(t, err.Error(), "add https or tls probes to the access section")
			}
		})
	}
}
