package expiry_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/expiry"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

const day = 24 * time.Hour

// series is one rendered series: its labels and value.
type series struct {
	labels map[string]string
	value  float64
}

type harness struct {
	c       *expiry.Collector
	group   *source.Group
	metrics *source.Metrics
	logs    *testenv.SyncBuffer
}

func start(t *testing.T, sec *expiry.Section) *harness {
	t.Helper()
	if sec.RefreshInterval == 0 {
		sec.RefreshInterval = config.Duration(time.Hour)
	}
	sec.ApplyDefaults()
	require.Empty(t, sec.Validate())
	logs := &testenv.SyncBuffer{}
	m := source.NewMetrics()
	g := source.NewGroup(m, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	c := expiry.New(sec, "k", g, nil, nil)
	g.Start(context.Background())
	t.Cleanup(func() { g.Stop(false) })
	require.Eventually(t, g.Ready, 20*time.Second, 5*time.Millisecond)
	return &harness{c: c, group: g, metrics: m, logs: logs}
}

func (h *harness) scrape(t *testing.T) map[string][]series {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, h.c.RenderText(&b, "test"))
	mfs := testenv.ParseLinted(t, b.String())
	out := map[string][]series{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			ls := map[string]string{}
			for _, l := range m.GetLabel() {
				ls[l.GetName()] = l.GetValue()
			}
			out[name] = append(out[name], series{ls, m.GetGauge().GetValue()})
		}
	}
	return out
}

// notAfter maps "location entry position subject" to not_after.
func notAfter(s map[string][]series) map[string]time.Time {
	out := map[string]time.Time{}
	for _, x := range s["vigil_cert_not_after_timestamp_seconds"] {
		l := x.labels
		key := strings.TrimSpace(strings.Join([]string{l["location"], l["entry"], l["chain_position"], l["subject_cn"]}, " "))
		out[key] = time.Unix(int64(x.value), 0)
	}
	return out
}

func serve(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	return l.Addr().String()
}

// The three chains the issue names, served by real TLS servers on loopback:
// an intermediate that expires before its leaf, a chain served out of order
// and a leaf already expired. Each certificate is its own series with its
// own dates and its chain position.
func TestChainPositionsFromTLSEndpoints(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	root, err := sandbox.NewRoot("Root CA", now.Add(-day), now.Add(3650*day))
	require.NoError(t, err)
	shortInter, err := root.Issue("Short Intermediate", true, now.Add(-day), now.Add(5*day))
	require.NoError(t, err)
	longLeaf, err := shortInter.Issue("long.example", false, now.Add(-day), now.Add(60*day), "127.0.0.1")
	require.NoError(t, err)
	inter, err := root.Issue("Intermediate", true, now.Add(-day), now.Add(1000*day))
	require.NoError(t, err)
	oooLeaf, err := inter.Issue("ooo.example", false, now.Add(-day), now.Add(90*day), "127.0.0.1")
	require.NoError(t, err)
	expiredLeaf, err := inter.Issue("expired.example", false, now.Add(-90*day), now.Add(-2*day), "127.0.0.1")
	require.NoError(t, err)

	h := start(t, &expiry.Section{TLSEndpoints: []expiry.Endpoint{
		{Name: "inter-first", Address: serve(t, sandbox.TLSCertificate(longLeaf, shortInter))},
		{Name: "out-of-order", Address: serve(t, sandbox.TLSCertificate(oooLeaf, root, inter))},
		{Name: "expired", Address: serve(t, sandbox.TLSCertificate(expiredLeaf, inter))},
	}})
	s := h.scrape(t)
	got := notAfter(s)
	want := map[string]time.Time{
		"inter-first  leaf long.example":               now.Add(60 * day),
		"inter-first  intermediate Short Intermediate": now.Add(5 * day),
		"out-of-order  leaf ooo.example":               now.Add(90 * day),
		"out-of-order  root Root CA":                   now.Add(3650 * day),
		"out-of-order  intermediate Intermediate":      now.Add(1000 * day),
		"expired  leaf expired.example":                now.Add(-2 * day),
		"expired  intermediate Intermediate":           now.Add(1000 * day),
	}
	for k, v := range want {
		if assert.Contains(t, got, k) {
			assert.Equal(t, v.Unix(), got[k].Unix(), k)
		}
	}
	assert.Len(t, got, len(want))
	for _, x := range s["vigil_cert_not_before_timestamp_seconds"] {
		if x.labels["subject_cn"] == "expired.example" {
			assert.Equal(t, float64(now.Add(-90*day).Unix()), x.value)
			assert.Equal(t, "tls", x.labels["origin"])
			assert.Equal(t, "Intermediate", x.labels["issuer_cn"])
			assert.NotEmpty(t, x.labels["serial"])
		}
	}
}

// An endpoint that cannot be reached keeps its last chain and fails alone:
// the source stays up while another endpoint answers.
func TestUnreachableEndpointIsAFailedItem(t *testing.T) {
	now := time.Now()
	root, err := sandbox.NewRoot("Root CA", now.Add(-day), now.Add(day))
	require.NoError(t, err)
	port, err := sandbox.RefusingPort()
	require.NoError(t, err)
	h := start(t, &expiry.Section{TLSEndpoints: []expiry.Endpoint{
		{Name: "up", Address: serve(t, sandbox.TLSCertificate(root))},
		{Name: "down", Address: fmt.Sprintf("127.0.0.1:%d", port)},
	}})
	got := notAfter(h.scrape(t))
	assert.Contains(t, got, "up  leaf Root CA", "the first certificate served is the leaf, even self-signed")
	assert.Len(t, got, 1)
	st := h.group.Statuses()
	require.Len(t, st, 1)
	assert.True(t, st[0].Up)
	assert.Contains(t, h.logs.String(), "item=down reason=connection", "counted and logged as a failed item")
}

// An endpoint that stops answering keeps the chain it served last.
func TestEndpointThatGoesAwayKeepsItsLastChain(t *testing.T) {
	now := time.Now()
	root, err := sandbox.NewRoot("Root CA", now.Add(-day), now.Add(day))
	require.NoError(t, err)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{sandbox.TLSCertificate(root)}})
	require.NoError(t, err)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	h := start(t, &expiry.Section{RefreshInterval: config.Duration(time.Second),
		TLSEndpoints: []expiry.Endpoint{{Name: "going", Address: l.Addr().String(), Timeout: config.Duration(time.Second)}}})
	require.Len(t, notAfter(h.scrape(t)), 1)
	require.NoError(t, l.Close())
	// Its only item failing, the refresh fails as a whole and the engine
	// keeps the previous snapshot.
	require.Eventually(t, func() bool { return h.group.Statuses()[0].LastReason == source.ReasonConnection }, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, notAfter(h.scrape(t)), "going  leaf Root CA")
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// Every user and cluster of a kubeconfig, inline data and file references
// (relative to the kubeconfig), client certificates, CAs and bearer JWTs,
// inline or in a token file; static tokens have no expiry and are skipped.
func TestKubeconfigs(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	dir := t.TempDir()
	root, err := sandbox.NewRoot("cluster-ca", now.Add(-day), now.Add(3650*day))
	require.NoError(t, err)
	other, err := sandbox.NewRoot("other-ca", now.Add(-day), now.Add(700*day))
	require.NoError(t, err)
	admin, err := root.Issue("admin", false, now.Add(-day), now.Add(20*day))
	require.NoError(t, err)
	dev, err := other.Issue("dev", false, now.Add(-day), now.Add(8*day))
	require.NoError(t, err)
	const canary = "canary-static-token-71c3"
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "pki"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pki", "dev.crt"), dev.PEM(), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pki", "other-ca.crt"), other.PEM(), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ci.token"), []byte(sandbox.JWT("k", map[string]any{"exp": now.Add(40 * day).Unix()})+"\n"), 0o600))
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://prod:6443", certificate-authority-data: %s}
- name: dev
  cluster: {server: "https://dev:6443", certificate-authority: pki/other-ca.crt}
users:
- name: admin
  user: {client-certificate-data: %s, client-key-data: %s}
- name: dev
  user: {client-certificate: pki/dev.crt, client-key: pki/dev.key}
- name: deployer
  user: {token: %s}
- name: ci
  user: {tokenFile: ci.token}
- name: static
  user: {token: %s}
- name: oidc
  user:
    auth-provider:
      name: oidc
      config: {idp-issuer-url: "https://sso.example.com", client-id: kubectl, id-token: %s}
contexts: []
`, b64(root.PEM()), b64(admin.PEM()), b64(admin.KeyPEM()), sandbox.JWT("k", map[string]any{"sub": "x", "exp": now.Add(2 * day).Unix()}), canary,
		sandbox.JWT("k", map[string]any{"sub": "me", "exp": now.Add(time.Hour).Unix()}))
	path := filepath.Join(dir, "prod.kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(kc), 0o600))

	h := start(t, &expiry.Section{Kubeconfigs: []string{filepath.Join(dir, "*.kubeconfig")}})
	s := h.scrape(t)
	got := notAfter(s)
	want := map[string]time.Time{
		path + " cluster/prod root cluster-ca": now.Add(3650 * day),
		path + " cluster/dev root other-ca":    now.Add(700 * day),
		path + " user/admin leaf admin":        now.Add(20 * day),
		path + " user/dev leaf dev":            now.Add(8 * day),
	}
	for k, v := range want {
		if assert.Contains(t, got, k) {
			assert.Equal(t, v.Unix(), got[k].Unix(), k)
		}
	}
	tokens := map[string]float64{}
	for _, x := range s["vigil_token_expiry_timestamp_seconds"] {
		assert.Equal(t, "jwt", x.labels["kind"])
		assert.Equal(t, path, x.labels["location"])
		tokens[x.labels["name"]] = x.value
	}
	assert.Equal(t, map[string]float64{"user/deployer": float64(now.Add(2 * day).Unix()), "user/ci": float64(now.Add(40 * day).Unix()),
		"user/oidc": float64(now.Add(time.Hour).Unix())}, tokens)
	var b bytes.Buffer
	require.NoError(t, h.c.RenderText(&b, "test"))
	assert.NotContains(t, b.String(), canary)
	assert.NotContains(t, b.String(), "eyJ", "no token value in any label")
	assert.NotContains(t, h.logs.String(), canary)
}

// A kubeconfig that yields certificates but has one unreadable entry (a
// client certificate file that is gone, a CA that is not PEM) exports what
// it read, and each bad entry is a failed item: logged with the file and
// the entry, never the value, and counted in vigil_source_errors_total.
func TestKubeconfigWithOneUnreadableEntry(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	dir := t.TempDir()
	root, err := sandbox.NewRoot("cluster-ca", now.Add(-day), now.Add(3650*day))
	require.NoError(t, err)
	admin, err := root.Issue("admin", false, now.Add(-day), now.Add(20*day))
	require.NoError(t, err)
	const canary = "canary-broken-ca-5e2a"
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://prod:6443", certificate-authority-data: %s}
- name: broken
  cluster: {server: "https://broken:6443", certificate-authority-data: %s}
users:
- name: admin
  user: {client-certificate-data: %s, client-key-data: %s}
- name: gone
  user: {client-certificate: pki/gone.crt, client-key: pki/gone.key}
contexts: []
`, b64(root.PEM()), b64([]byte(canary)), b64(admin.PEM()), b64(admin.KeyPEM()))
	path := filepath.Join(dir, "prod.kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(kc), 0o600))

	h := start(t, &expiry.Section{Kubeconfigs: []string{path}})
	got := notAfter(h.scrape(t))
	assert.Equal(t, map[string]time.Time{
		path + " cluster/prod root cluster-ca": now.Add(3650 * day),
		path + " user/admin leaf admin":        now.Add(20 * day),
	}, got, "what was readable is exported")

	st := h.group.Statuses()
	require.Len(t, st, 1)
	assert.True(t, st[0].Up, "a bad entry does not fail the source")
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(h.metrics))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	errs := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "vigil_source_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var src, reason string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "source":
					src = l.GetValue()
				case "reason":
					reason = l.GetValue()
				}
			}
			if src == expiry.SourceFiles && m.GetCounter().GetValue() > 0 {
				errs[reason] = m.GetCounter().GetValue()
			}
		}
	}
	assert.Equal(t, map[string]float64{"not_found": 1, "decode": 1}, errs, "each unreadable entry counts once, by its reason")

	logs := h.logs.String()
	for _, entry := range []string{"user/gone", "cluster/broken"} {
		assert.Regexp(t, `item of the source failed.*item=".*prod.kubeconfig `+entry+`".*err=".*prod.kubeconfig: `+entry, logs)
	}
	assert.Contains(t, logs, "gone.crt")
	assert.NotContains(t, logs, canary, "a value is never logged")
	assert.NotContains(t, logs, "BEGIN", "no certificate or key in the logs")
}

// PEM globs: bundles give one series per certificate, keys are skipped, a
// file that is not PEM fails alone and names itself, a glob that matches
// nothing fails as not_found; the source stays up.
func TestPEMFilesAndJWTFiles(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	dir := t.TempDir()
	root, err := sandbox.NewRoot("bundle-root", now.Add(-day), now.Add(900*day))
	require.NoError(t, err)
	inter, err := root.Issue("bundle-inter", true, now.Add(-day), now.Add(400*day))
	require.NoError(t, err)
	leaf, err := inter.Issue("www.example", false, now.Add(-day), now.Add(10*day))
	require.NoError(t, err)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	chain := write("www.crt", append(append(sandbox.ChainPEM(leaf, inter, root), leaf.KeyPEM()...), sandbox.ChainPEM(leaf)...))
	write("broken.crt", []byte("not a certificate canary-pem-9f1e"))
	soon := write("deploy.jwt", []byte(sandbox.JWT("k", map[string]any{"exp": now.Add(day).Unix()})))
	forever := write("forever.jwt", []byte(sandbox.JWT("k", map[string]any{"sub": "no-exp"})))
	millis := write("millis.jwt", []byte(sandbox.JWT("k", map[string]any{"exp": now.Add(5 * day).UnixMilli()})))
	garbage := write("garbage.jwt", []byte("canary-jwt-0d5b"))

	h := start(t, &expiry.Section{
		PEMFiles: []string{filepath.Join(dir, "*.crt"), filepath.Join(dir, "missing", "*.pem")},
		JWTFiles: []expiry.JWTFile{{Name: "deploy", File: soon}, {Name: "forever", File: forever}, {Name: "garbage", File: garbage}, {Name: "millis", File: millis}},
	})
	s := h.scrape(t)
	got := notAfter(s)
	assert.Equal(t, map[string]time.Time{
		chain + "  leaf www.example":          now.Add(10 * day),
		chain + "  intermediate bundle-inter": now.Add(400 * day),
		chain + "  root bundle-root":          now.Add(900 * day),
	}, got, "one series per certificate; the repeated leaf counts once")
	expires := map[string]float64{}
	for _, x := range s["vigil_token_expires"] {
		expires[x.labels["name"]] = x.value
	}
	assert.Equal(t, map[string]float64{"deploy": 1, "forever": 0, "millis": 1}, expires)
	exp := map[string]float64{}
	for _, x := range s["vigil_token_expiry_timestamp_seconds"] {
		exp[x.labels["name"]] = x.value
	}
	assert.Equal(t, map[string]float64{"deploy": float64(now.Add(day).Unix()), "millis": float64(now.Add(5 * day).Unix())}, exp,
		"a token that never expires has no expiry series; an exp in milliseconds is read as such")
	st := h.group.Statuses()
	require.Len(t, st, 1)
	assert.True(t, st[0].Up, "failed files do not fail the source")
	logs := h.logs.String()
	assert.Contains(t, logs, "broken.crt")
	assert.Contains(t, logs, "garbage")
	assert.NotContains(t, logs, "canary-pem-9f1e")
	assert.NotContains(t, logs, "canary-jwt-0d5b", "a token's value is never logged")
}

func TestValidation(t *testing.T) {
	sec := &expiry.Section{
		TLSEndpoints:   []expiry.Endpoint{{Name: "a", Address: "nohost"}, {Name: "a", Address: "h:1"}},
		PEMFiles:       []string{"["},
		JWTFiles:       []expiry.JWTFile{{Name: "j"}},
		CertPageWithin: config.Duration(30 * day),
	}
	sec.ApplyDefaults()
	var fields []string
	for _, e := range sec.Validate() {
		fields = append(fields, e.Field)
		assert.NotEmpty(t, e.Hint)
	}
	assert.ElementsMatch(t, []string{"tls_endpoints[0].address", "tls_endpoints[1].name", "pem_files[0]", "jwt_files[0].file", "cert_page_within"}, fields)
	// An empty section reads the access probes (access_probes defaults
	// to true); whether there are any is known at build.
	empty := &expiry.Section{}
	empty.ApplyDefaults()
	require.Empty(t, empty.Validate())
}

func slogTo(w *testenv.SyncBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
