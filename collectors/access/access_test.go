package access_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/access"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// outcome is what the exposition says about one probe.
type outcome struct {
	success float64
	reasons map[string]float64
	status  float64
	phases  map[string]float64
	seconds float64
}

func (o outcome) reason(t *testing.T) string {
	t.Helper()
	var on []string
	for r, v := range o.reasons {
		if v == 1 {
			on = append(on, r)
		}
	}
	require.Len(t, on, 1, "exactly one reason is 1: %v", o.reasons)
	return on[0]
}

type harness struct {
	c     *access.Collector
	group *source.Group
}

func start(t *testing.T, probes ...access.Probe) *harness {
	t.Helper()
	sec := &access.Section{Probes: probes}
	sec.ApplyDefaults()
	require.Empty(t, sec.Validate())
	g := source.NewGroup(source.NewMetrics(), nil)
	c, err := access.New(access.Config{Probes: sec.Probes}, g, nil)
	require.NoError(t, err)
	g.Start(context.Background())
	t.Cleanup(func() { g.Stop(false) })
	require.Eventually(t, g.Ready, 20*time.Second, 5*time.Millisecond)
	return &harness{c: c, group: g}
}

func (h *harness) scrape(t *testing.T) map[string]outcome {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, h.c.RenderText(&b, "test"))
	mfs := testenv.ParseLinted(t, b.String())
	out := map[string]outcome{}
	get := func(m *dto.Metric) (string, map[string]string) {
		ls := map[string]string{}
		for _, l := range m.GetLabel() {
			ls[l.GetName()] = l.GetValue()
		}
		o, ok := out[ls["probe"]]
		if !ok {
			o = outcome{reasons: map[string]float64{}, phases: map[string]float64{}, status: -1}
		}
		out[ls["probe"]] = o
		return ls["probe"], ls
	}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			p, ls := get(m)
			o := out[p]
			v := m.GetGauge().GetValue()
			switch name {
			case "vigil_access_probe_success":
				o.success = v
			case "vigil_access_probe_failure_reason":
				o.reasons[ls["reason"]] = v
			case "vigil_access_probe_http_status_code":
				o.status = v
			case "vigil_access_probe_phase_duration_seconds":
				o.phases[ls["phase"]] = v
			case "vigil_access_probe_duration_seconds":
				o.seconds = v
			}
			out[p] = o
		}
	}
	return out
}

func d(s string) config.Duration {
	v, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return config.Duration(v)
}

// pki is a root, an intermediate and a leaf for 127.0.0.1, with the root in
// a CA file.
type pki struct {
	root, inter *sandbox.Cert
	caFile      string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	now := time.Now()
	root, err := sandbox.NewRoot("test root", now.Add(-time.Hour), now.Add(24*time.Hour))
	require.NoError(t, err)
	inter, err := root.Issue("test intermediate", true, now.Add(-time.Hour), now.Add(24*time.Hour))
	require.NoError(t, err)
	f := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(f, root.PEM(), 0o600))
	return &pki{root: root, inter: inter, caFile: f}
}

func (p *pki) server(t *testing.T, h http.Handler, notBefore, notAfter time.Time, hosts ...string) *httptest.Server {
	t.Helper()
	leaf, err := p.inter.Issue("leaf", false, notBefore, notAfter, hosts...)
	require.NoError(t, err)
	s := httptest.NewUnstartedServer(h)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{sandbox.TLSCertificate(leaf, p.inter)}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte(`{"status":"ok"}`))
})

// Every reason of the closed set is its own outcome, produced by a real
// server on loopback doing that thing.
func TestReasons(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	good := p.server(t, ok, now.Add(-time.Hour), now.Add(time.Hour), "127.0.0.1")
	expired := p.server(t, ok, now.Add(-48*time.Hour), now.Add(-time.Hour), "127.0.0.1")
	otherName := p.server(t, ok, now.Add(-time.Hour), now.Add(time.Hour), "elsewhere.example")
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }))
	defer status.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	plain := httptest.NewServer(ok)
	defer plain.Close()
	notHTTP := rawServer(t, func(c net.Conn) { _, _ = c.Write([]byte("SSH-2.0-OpenSSH\r\n")); time.Sleep(100 * time.Millisecond) })
	notTLS := rawServer(t, func(c net.Conn) { _, _ = c.Write([]byte("220 smtp ready\r\n")); time.Sleep(100 * time.Millisecond) })
	refused, err := sandbox.RefusingPort()
	require.NoError(t, err)
	dnsAddr, stop, err := sandbox.ServeDNS(map[string]net.IP{"known.test": net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer stop()
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // a resolver that never answers
	require.NoError(t, err)
	defer silent.Close()

	tlsProbe := func(name, url string) access.Probe {
		return access.Probe{Name: name, Kind: access.KindHTTP, Target: url, CAFile: p.caFile, Interval: d("1h"), Timeout: d("3s")}
	}
	probes := []access.Probe{
		tlsProbe("good", good.URL),
		{Name: "body-ok", Kind: access.KindHTTP, Target: plain.URL + "/api/v1/health", BodyRegexp: `"status":"ok"`, Interval: d("1h"), Timeout: d("3s")},
		{Name: "body-bad", Kind: access.KindHTTP, Target: plain.URL + "/api/v1/health", BodyRegexp: `"status":"degraded"`, Interval: d("1h"), Timeout: d("3s")},
		tlsProbe("expired", expired.URL),
		tlsProbe("hostname", otherName.URL),
		{Name: "untrusted", Kind: access.KindHTTP, Target: good.URL, Interval: d("1h"), Timeout: d("3s")}, // no ca_file
		{Name: "status", Kind: access.KindHTTP, Target: status.URL, Interval: d("1h"), Timeout: d("3s")},
		{Name: "slow", Kind: access.KindHTTP, Target: slow.URL, Interval: d("1h"), Timeout: d("300ms")},
		{Name: "refused", Kind: access.KindTCP, Target: net.JoinHostPort("127.0.0.1", itoa(refused)), Interval: d("1h"), Timeout: d("3s")},
		{Name: "refused-http", Kind: access.KindHTTP, Target: "http://127.0.0.1:" + itoa(refused) + "/", Interval: d("1h"), Timeout: d("3s")},
		{Name: "dropped", Kind: access.KindTCP, Target: unanswered(t), Interval: d("1h"), Timeout: d("300ms")},
		{Name: "tcp-ok", Kind: access.KindTCP, Target: strings.TrimPrefix(plain.URL, "http://"), Interval: d("1h"), Timeout: d("3s")},
		{Name: "tls-ok", Kind: access.KindTLS, Target: strings.TrimPrefix(good.URL, "https://"), CAFile: p.caFile, Interval: d("1h"), Timeout: d("3s")},
		{Name: "not-tls", Kind: access.KindTLS, Target: notTLS, CAFile: p.caFile, Interval: d("1h"), Timeout: d("3s")},
		{Name: "not-http", Kind: access.KindHTTP, Target: "http://" + notHTTP + "/", Interval: d("1h"), Timeout: d("3s")},
		{Name: "dns-ok", Kind: access.KindDNS, Target: "known.test", Resolver: dnsAddr, Interval: d("1h"), Timeout: d("3s")},
		{Name: "dns-nx", Kind: access.KindDNS, Target: "gone.test", Resolver: dnsAddr, Interval: d("1h"), Timeout: d("3s")},
		{Name: "dns-timeout", Kind: access.KindDNS, Target: "known.test", Resolver: silent.LocalAddr().String(), Interval: d("1h"), Timeout: d("500ms")},
		{Name: "name-http", Kind: access.KindHTTP, Target: "http://known.test:" + port(plain.URL) + "/", Resolver: dnsAddr, Interval: d("1h"), Timeout: d("3s")},
	}
	h := start(t, probes...)
	got := h.scrape(t)
	want := map[string]string{
		"good": access.ReasonNone, "body-ok": access.ReasonNone, "body-bad": access.ReasonBodyMismatch,
		"expired": access.ReasonTLSExpired, "hostname": access.ReasonTLSHostname, "untrusted": access.ReasonTLSUntrusted,
		"status": access.ReasonHTTPStatus, "slow": access.ReasonTimeout, "refused": access.ReasonTCPRefused,
		"refused-http": access.ReasonTCPRefused, "dropped": access.ReasonTCPTimeout, "tcp-ok": access.ReasonNone, "tls-ok": access.ReasonNone,
		"not-tls": access.ReasonTLSHandshake, "not-http": access.ReasonHTTPError,
		"dns-ok": access.ReasonNone, "dns-nx": access.ReasonDNSNXDomain, "dns-timeout": access.ReasonDNSTimeout,
		"name-http": access.ReasonNone,
	}
	for name, reason := range want {
		o, ok := got[name]
		if !assert.True(t, ok, "probe %s not rendered", name) {
			continue
		}
		assert.Equal(t, reason, o.reason(t), "probe %s", name)
		assert.Len(t, o.reasons, len(access.Reasons), "probe %s: every reason present as 0 or 1", name)
		assert.Equal(t, reason == access.ReasonNone, o.success == 1, "probe %s success", name)
	}
	assert.Equal(t, 503.0, got["status"].status)
	assert.Equal(t, 200.0, got["good"].status)
	assert.Equal(t, 0.0, got["refused-http"].status, "no answer: status 0")
	assert.Equal(t, -1.0, got["tcp-ok"].status, "tcp probes have no status series")
	// Phases: an HTTPS probe goes through all four, a TCP probe through two.
	assert.ElementsMatch(t, []string{"dns", "connect", "tls", "first_byte"}, keys(got["good"].phases))
	assert.ElementsMatch(t, []string{"dns", "connect"}, keys(got["tcp-ok"].phases))
	assert.Greater(t, got["good"].phases["tls"], 0.0)
	assert.Greater(t, got["name-http"].phases["dns"], 0.0, "a host name is resolved and timed")
	// A failing probe is data: every source stays up.
	for _, s := range h.group.Statuses() {
		assert.True(t, s.Up, "source %s up although its probes fail", s.Name)
	}
}

// Probes of one target never overlap, even when their intervals would make
// them due together; another target's probes run at the same time.
func TestProbesOfOneTargetNeverOverlap(t *testing.T) {
	var inFlight, most atomic.Int64
	var runs atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		runs.Add(1)
		time.Sleep(30 * time.Millisecond)
	}))
	defer srv.Close()
	var probes []access.Probe
	for _, n := range []string{"a", "b", "c", "d"} {
		probes = append(probes, access.Probe{Name: n, Kind: access.KindHTTP, Target: srv.URL + "/" + n, Interval: d("1s"), Timeout: d("1s")})
	}
	start(t, probes...)
	require.Eventually(t, func() bool { return runs.Load() >= 8 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, int64(1), most.Load(), "probes of one target ran at the same time")
}

// A probe with a longer interval than its target's shortest runs on its own
// interval, keeping its result in between.
func TestProbeIntervalIsTheProbes(t *testing.T) {
	var fast, slow atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			slow.Add(1)
		} else {
			fast.Add(1)
		}
	}))
	defer srv.Close()
	h := start(t,
		access.Probe{Name: "fast", Kind: access.KindHTTP, Target: srv.URL + "/fast", Interval: d("1s"), Timeout: d("1s")},
		access.Probe{Name: "hourly", Kind: access.KindHTTP, Target: srv.URL + "/slow", Interval: d("1h"), Timeout: d("1s")})
	require.Eventually(t, func() bool { return fast.Load() >= 3 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, int64(1), slow.Load())
	assert.Equal(t, 1.0, h.scrape(t)["hourly"].success, "the hourly probe keeps its result between runs")
}

// Header values come from secret references; the registry kind asks /v2/
// and counts 401 as serving; readyz asks /readyz.
func TestKindsAndHeaders(t *testing.T) {
	t.Setenv("VIGIL_TEST_PROBE_TOKEN", "Bearer s3cret-probe")
	var sawAuth atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/reg/v2/":
			w.WriteHeader(401)
		case "/down/v2/":
			w.WriteHeader(404)
		case "/api/readyz":
			if r.Header.Get("Authorization") == "Bearer s3cret-probe" {
				sawAuth.Store(true)
			}
			_, _ = w.Write([]byte("ok"))
		default:
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	h := start(t,
		access.Probe{Name: "registry", Kind: access.KindRegistry, Target: srv.URL + "/reg", Interval: d("1h"), Timeout: d("2s")},
		access.Probe{Name: "registry-404", Kind: access.KindRegistry, Target: srv.URL + "/down/", Interval: d("1h"), Timeout: d("2s")},
		access.Probe{Name: "api", Kind: access.KindReadyz, Target: srv.URL + "/api", Interval: d("1h"), Timeout: d("2s"), AllowHeadersOverHTTP: true,
			Headers: []access.Header{{Name: "Authorization", Value: &config.SecretRef{Env: "VIGIL_TEST_PROBE_TOKEN"}}}},
		access.Probe{Name: "api-nohdr", Kind: access.KindReadyz, Target: srv.URL, Interval: d("1h"), Timeout: d("2s")},
	)
	got := h.scrape(t)
	assert.Equal(t, access.ReasonNone, got["registry"].reason(t))
	assert.Equal(t, 401.0, got["registry"].status)
	assert.Equal(t, access.ReasonHTTPStatus, got["registry-404"].reason(t))
	assert.Equal(t, access.ReasonNone, got["api"].reason(t))
	assert.True(t, sawAuth.Load(), "the header from the secret reference was sent")
	assert.Equal(t, access.ReasonHTTPStatus, got["api-nohdr"].reason(t))
}

// A probe Vigil cannot run (its header secret is missing) is a failed item:
// counted by the engine, never shown as the target's failure, and its error
// names the reference, not a value.
func TestUnreadableHeaderFailsTheItemNotTheTarget(t *testing.T) {
	srv := httptest.NewServer(ok)
	defer srv.Close()
	sec := &access.Section{Probes: []access.Probe{
		{Name: "fine", Kind: access.KindHTTP, Target: srv.URL, Interval: d("1h"), Timeout: d("2s")},
		{Name: "nosecret", Kind: access.KindHTTP, Target: srv.URL + "/x", Interval: d("1h"), Timeout: d("2s"), AllowHeadersOverHTTP: true,
			Headers: []access.Header{{Name: "Authorization", Value: &config.SecretRef{Env: "VIGIL_TEST_UNSET_VARIABLE"}}}},
	}}
	sec.ApplyDefaults()
	g := source.NewGroup(source.NewMetrics(), nil)
	c, err := access.New(access.Config{Probes: sec.Probes}, g, nil)
	require.NoError(t, err)
	g.Start(context.Background())
	defer g.Stop(false)
	require.Eventually(t, g.Ready, 10*time.Second, 5*time.Millisecond)
	h := &harness{c: c, group: g}
	got := h.scrape(t)
	assert.Contains(t, got, "fine")
	assert.NotContains(t, got, "nosecret", "no result is invented for a probe that never ran")
	st := g.Statuses()
	require.Len(t, st, 1)
	assert.True(t, st[0].Up, "one probe that could not run does not fail the target's source")
}

func TestValidation(t *testing.T) {
	hdr := []access.Header{{Name: "Authorization", Value: &config.SecretRef{Env: "VIGIL_TEST_PROBE_TOKEN"}}}
	sec := &access.Section{Probes: []access.Probe{
		{Name: "a", Kind: "icmp", Target: "x"},
		{Name: "a", Kind: access.KindHTTP, Target: "https://user:pw@example.com/"},
		{Name: "bad name", Kind: access.KindTCP, Target: "example.com"},
		{Name: "c", Kind: access.KindHTTP, Target: "https://example.com", BodyRegexp: "(", ExpectedStatus: []int{99}},
		{Name: "d", Kind: access.KindTCP, Target: "example.com:22", BodyRegexp: "x", Timeout: d("1m")},
		// A header secret over plain http is refused unless allowed.
		{Name: "e", Kind: access.KindHTTP, Target: "http://app.example.com/health", Headers: hdr},
		{Name: "f", Kind: access.KindHTTP, Target: "http://app.example.com/health", Headers: hdr, AllowHeadersOverHTTP: true},
		{Name: "g", Kind: access.KindReadyz, Target: "https://api.example.com:6443", Headers: hdr},
	}}
	sec.ApplyDefaults()
	var fields []string
	for _, e := range sec.Validate() {
		fields = append(fields, e.Field)
		assert.NotEmpty(t, e.Hint, e.Field)
		assert.NotContains(t, e.Msg, "pw@", "a URL's password is never repeated")
	}
	assert.ElementsMatch(t, []string{"probes[0].kind", "probes[1].name", "probes[1].target", "probes[2].name", "probes[2].target",
		"probes[3].body_regexp", "probes[3].expected_status", "probes[4].timeout", "probes[4].kind", "probes[5].headers"}, fields)
}

// unanswered returns host:port of a loopback listener whose accept queue
// (backlog 0) is already full: the kernel drops further SYNs, so a connect
// hangs as behind a firewall that drops packets.
func unanswered(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	c, err := net.DialTimeout("tcp", addr, time.Second) // fills the queue
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return addr
}

func rawServer(t *testing.T, f func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); f(c) }()
		}
	}()
	return l.Addr().String()
}

func itoa(i int) string { return strconv.Itoa(i) }

func port(u string) string { return u[strings.LastIndex(u, ":")+1:] }

func keys(m map[string]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
