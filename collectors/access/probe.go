package access

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Reasons is the closed set of probe outcomes: every probe exports every one
// of them, 1 for its outcome and 0 for the others, so the on-call reads why
// a probe fails from the metrics (blackbox_exporter's #1077).
var Reasons = []string{
	ReasonNone,
	ReasonDNSNXDomain, ReasonDNSTimeout, ReasonDNSError,
	ReasonTCPRefused, ReasonTCPTimeout, ReasonTCPError,
	ReasonTLSExpired, ReasonTLSUntrusted, ReasonTLSHostname, ReasonTLSHandshake,
	ReasonHTTPStatus, ReasonHTTPError, ReasonBodyMismatch, ReasonTimeout,
}

const (
	ReasonNone         = "none"          // the probe succeeded
	ReasonDNSNXDomain  = "dns_nxdomain"  // the name does not exist (or has no address)
	ReasonDNSTimeout   = "dns_timeout"   // the resolver did not answer in time
	ReasonDNSError     = "dns_error"     // the resolver failed otherwise (SERVFAIL, refused)
	ReasonTCPRefused   = "tcp_refused"   // connection refused: nothing listens there
	ReasonTCPTimeout   = "tcp_timeout"   // no answer to the connect: a firewall drops it, or the host is down
	ReasonTCPError     = "tcp_error"     // unreachable network, reset
	ReasonTLSExpired   = "tls_expired"   // a certificate of the served chain is expired or not yet valid
	ReasonTLSUntrusted = "tls_untrusted" // the chain does not lead to a trusted root
	ReasonTLSHostname  = "tls_hostname"  // the certificate is not valid for the name asked for
	ReasonTLSHandshake = "tls_handshake" // the handshake failed otherwise (protocol, cipher, not TLS)
	ReasonHTTPStatus   = "http_status"   // an HTTP answer with a status not expected
	ReasonHTTPError    = "http_error"    // the connection broke or the answer was not HTTP
	ReasonBodyMismatch = "body_mismatch" // the body does not match body_regexp
	ReasonTimeout      = "timeout"       // the probe's timeout passed after the connection was made
)

// Phases of a probe, in order.
const (
	PhaseDNS       = "dns"
	PhaseConnect   = "connect"
	PhaseTLS       = "tls"
	PhaseFirstByte = "first_byte"
)

// Result is what one run of a probe learned: a failing target is a result,
// not an error.
type Result struct {
	Success bool    `json:"success"`
	Reason  string  `json:"reason"`
	Seconds float64 `json:"seconds"` // the whole probe
	// Phases holds the seconds spent in each phase the probe reached.
	Phases     map[string]float64 `json:"phases,omitempty"`
	StatusCode int                `json:"status_code,omitempty"` // 0: no HTTP answer
}

// phasesOf lists the phases a kind goes through, for rendering.
func phasesOf(kind string, https bool) []string {
	switch kind {
	case KindDNS:
		return []string{PhaseDNS}
	case KindTCP:
		return []string{PhaseDNS, PhaseConnect}
	case KindTLS:
		return []string{PhaseDNS, PhaseConnect, PhaseTLS}
	}
	if https {
		return []string{PhaseDNS, PhaseConnect, PhaseTLS, PhaseFirstByte}
	}
	return []string{PhaseDNS, PhaseConnect, PhaseFirstByte}
}

// prober runs one configured probe.
type prober struct {
	p        Probe
	address  string // host:port, or the host for dns
	url      string // the URL requested (http, registry, readyz)
	https    bool
	body     *regexp.Regexp
	tls      *tls.Config
	resolver *net.Resolver
}

func newProber(p Probe) (*prober, error) {
	pr := &prober{p: p, resolver: net.DefaultResolver}
	var err error
	if pr.address, err = p.Address(); err != nil {
		return nil, err
	}
	switch p.Kind {
	case KindHTTP:
		pr.url = p.Target
	case KindRegistry:
		pr.url = strings.TrimRight(p.Target, "/") + "/v2/"
	case KindReadyz:
		pr.url = strings.TrimRight(p.Target, "/") + "/readyz"
	}
	pr.https = p.Kind == KindTLS || strings.HasPrefix(p.Target, "https://")
	if p.BodyRegexp != "" {
		pr.body = regexp.MustCompile(p.BodyRegexp) // validated
	}
	if pr.https {
		host, _, _ := net.SplitHostPort(pr.address)
		pr.tls = &tls.Config{ServerName: host, InsecureSkipVerify: p.InsecureSkipTLSVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // the user's explicit choice, documented
		if p.ServerName != "" {
			pr.tls.ServerName = p.ServerName
		}
		if p.CAFile != "" {
			pem, err := os.ReadFile(p.CAFile)
			if err != nil {
				return nil, fmt.Errorf("probe %s: ca_file: %w", p.Name, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("probe %s: ca_file %s holds no PEM certificate", p.Name, p.CAFile)
			}
			pr.tls.RootCAs = pool
		}
	}
	if p.Resolver != "" {
		server := p.Resolver
		pr.resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		}}
	}
	return pr, nil
}

// run probes once. The error is for a probe that could not be run at all
// (a header secret that cannot be read); everything the target does is in
// the Result.
func (pr *prober) run(ctx context.Context) (Result, error) {
	var headers http.Header
	for _, h := range pr.p.Headers {
		v, err := h.Value.Value() // names the reference, never the value
		if err != nil {
			return Result{}, fmt.Errorf("probe %s: header %s: %w", pr.p.Name, h.Name, err)
		}
		if headers == nil {
			headers = http.Header{}
		}
		headers.Set(h.Name, v)
	}
	ctx, cancel := context.WithTimeout(ctx, pr.p.Timeout.Std())
	defer cancel()
	start := time.Now()
	res := Result{Phases: map[string]float64{}}
	res.Reason = pr.probe(ctx, &res, headers)
	res.Success = res.Reason == ReasonNone
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// probe goes through the phases and returns the reason it stopped.
func (pr *prober) probe(ctx context.Context, res *Result, headers http.Header) string {
	phase := func(name string, t0 time.Time) { res.Phases[name] = time.Since(t0).Seconds() }
	host, port, _ := net.SplitHostPort(pr.address)
	if pr.p.Kind == KindDNS {
		host = pr.address
	}
	// DNS.
	ip := host
	if net.ParseIP(host) == nil {
		t0 := time.Now()
		addrs, err := pr.resolver.LookupIPAddr(ctx, host)
		phase(PhaseDNS, t0)
		if err != nil {
			return dnsReason(ctx, err)
		}
		if len(addrs) == 0 {
			return ReasonDNSNXDomain
		}
		ip = addrs[0].IP.String()
	} else {
		res.Phases[PhaseDNS] = 0
	}
	if pr.p.Kind == KindDNS {
		return ReasonNone
	}
	// Connect.
	t0 := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, port))
	phase(PhaseConnect, t0)
	if err != nil {
		return tcpReason(ctx, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// TLS.
	if pr.https {
		t0 = time.Now()
		tc := tls.Client(conn, pr.tls.Clone())
		err := tc.HandshakeContext(ctx)
		phase(PhaseTLS, t0)
		if err != nil {
			return tlsReason(ctx, err)
		}
		conn = tc
	}
	if pr.p.Kind == KindTCP || pr.p.Kind == KindTLS {
		return ReasonNone
	}
	return pr.exchange(ctx, conn, res, headers)
}

// exchange sends the HTTP request over the connection already made, so the
// phases above are the request's own.
func (pr *prober) exchange(ctx context.Context, conn net.Conn, res *Result, headers http.Header) string {
	used := false
	dial := func(context.Context, string, string) (net.Conn, error) {
		if used {
			return nil, errors.New("probe connection already used")
		}
		used = true
		return conn, nil
	}
	tr := &http.Transport{DialContext: dial, DialTLSContext: dial, DisableKeepAlives: true, DisableCompression: true}
	defer tr.CloseIdleConnections()
	// Written by the transport's read loop, which may outlive RoundTrip
	// when the context ends.
	var first atomic.Int64
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { first.Store(time.Now().UnixNano()) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), pr.p.Method, pr.url, nil)
	if err != nil {
		return ReasonHTTPError
	}
	for k, v := range headers {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "vigil-access-probe")
	t0 := time.Now()
	resp, err := tr.RoundTrip(req)
	if f := first.Load(); f != 0 {
		res.Phases[PhaseFirstByte] = time.Unix(0, f).Sub(t0).Seconds()
	}
	if err != nil {
		if timedOut(ctx, err) {
			return ReasonTimeout
		}
		return ReasonHTTPError
	}
	defer resp.Body.Close()
	res.StatusCode = resp.StatusCode
	expected := false
	for _, c := range pr.p.ExpectedStatus {
		expected = expected || c == resp.StatusCode
	}
	if !expected {
		return ReasonHTTPStatus
	}
	if pr.body == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return ReasonNone
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20)) // a health body, not a download
	if err != nil {
		if timedOut(ctx, err) {
			return ReasonTimeout
		}
		return ReasonHTTPError
	}
	if !pr.body.Match(body) {
		return ReasonBodyMismatch
	}
	return ReasonNone
}

func timedOut(ctx context.Context, err error) bool {
	var ne net.Error
	return ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func dnsReason(ctx context.Context, err error) string {
	var de *net.DNSError
	switch {
	case errors.As(err, &de) && de.IsNotFound:
		return ReasonDNSNXDomain
	case timedOut(ctx, err):
		return ReasonDNSTimeout
	}
	return ReasonDNSError
}

func tcpReason(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonTCPRefused
	case timedOut(ctx, err):
		return ReasonTCPTimeout
	}
	return ReasonTCPError
}

func tlsReason(ctx context.Context, err error) string {
	var (
		invalid  x509.CertificateInvalidError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return ReasonTLSExpired
	case errors.As(err, &unknown):
		return ReasonTLSUntrusted
	case errors.As(err, &hostname):
		return ReasonTLSHostname
	case timedOut(ctx, err):
		return ReasonTimeout
	}
	return ReasonTLSHandshake
}
