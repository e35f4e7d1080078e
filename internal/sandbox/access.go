package sandbox

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// AccessUpstream is what the access collector's sandbox probes, all on
// loopback: a container registry whose certificate expires in 5 days, a
// Kubernetes API whose /readyz is slower than the probe's timeout, an app
// port that refuses connections, and a DNS server that knows one name.
type AccessUpstream struct {
	CAFile      string // trusts the registry's and the API's certificates
	RegistryURL string // https; /v2/ answers 401 like a registry asking for a login
	APIURL      string // https; /readyz answers after SlowReadyz
	AppURL      string // http://127.0.0.1:<port>/api/v1/health, nothing listening
	DNSServer   string // host:port (UDP) answering KnownName, NXDOMAIN otherwise
	// CertNotAfter is when the registry's leaf certificate expires.
	CertNotAfter time.Time
	dir          string
	stops        []func()
}

// KnownName is the one name the sandbox DNS server resolves (to 127.0.0.1).
const KnownName = "registry.sandbox.vigil.test"

// SlowReadyz is how long the sandbox API server takes to answer /readyz.
const SlowReadyz = 1500 * time.Millisecond

// StartAccess starts the upstreams; Close stops them.
func StartAccess() (*AccessUpstream, error) {
	u := &AccessUpstream{}
	ok := false
	defer func() {
		if !ok {
			u.Close()
		}
	}()
	var err error
	if u.dir, err = os.MkdirTemp("", "vigil-sandbox-access-"); err != nil {
		return nil, err
	}
	now := time.Now()
	root, err := NewRoot("Vigil sandbox root CA", now.Add(-time.Hour), now.Add(10*365*24*time.Hour))
	if err != nil {
		return nil, err
	}
	inter, err := root.Issue("Vigil sandbox intermediate CA", true, now.Add(-time.Hour), now.Add(5*365*24*time.Hour))
	if err != nil {
		return nil, err
	}
	u.CertNotAfter = now.Add(5 * 24 * time.Hour).Truncate(time.Second)
	registry, err := inter.Issue("registry.sandbox.vigil.test", false, now.Add(-85*24*time.Hour), u.CertNotAfter, "127.0.0.1", KnownName)
	if err != nil {
		return nil, err
	}
	api, err := inter.Issue("kube-apiserver", false, now.Add(-time.Hour), now.Add(365*24*time.Hour), "127.0.0.1")
	if err != nil {
		return nil, err
	}
	u.CAFile = filepath.Join(u.dir, "ca.crt")
	if err := os.WriteFile(u.CAFile, root.PEM(), 0o644); err != nil {
		return nil, err
	}
	reg := http.NewServeMux()
	reg.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://`+r.Host+`/auth",service="registry"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	if u.RegistryURL, err = u.serveTLS(reg, TLSCertificate(registry, inter)); err != nil {
		return nil, err
	}
	kube := http.NewServeMux()
	kube.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(SlowReadyz):
			_, _ = w.Write([]byte("ok"))
		case <-r.Context().Done():
		}
	})
	if u.APIURL, err = u.serveTLS(kube, TLSCertificate(api, inter)); err != nil {
		return nil, err
	}
	port, err := RefusingPort()
	if err != nil {
		return nil, err
	}
	u.AppURL = fmt.Sprintf("http://127.0.0.1:%d/api/v1/health", port)
	dns, stop, err := ServeDNS(map[string]net.IP{KnownName: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	u.DNSServer = dns
	u.stops = append(u.stops, stop)
	ok = true
	return u, nil
}

func (u *AccessUpstream) serveTLS(h http.Handler, cert tls.Certificate) (string, error) {
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: discardLog()}
	go func() { _ = srv.Serve(l) }()
	u.stops = append(u.stops, func() { _ = srv.Close() })
	return "https://" + l.Addr().String(), nil
}

// Close stops every upstream and removes the files.
func (u *AccessUpstream) Close() {
	for i := len(u.stops) - 1; i >= 0; i-- {
		u.stops[i]()
	}
	u.stops = nil
	if u.dir != "" {
		_ = os.RemoveAll(u.dir)
	}
}

// RefusingPort returns a loopback port nothing listens on: it was bound and
// released, so a connect is refused.
func RefusingPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

// ServeDNS answers A queries over UDP on loopback: the names given (without
// the trailing dot, any case) get their address, every other name NXDOMAIN.
// It speaks the DNS wire format (RFC 1035) through x/net's dnsmessage.
func ServeDNS(names map[string]net.IP) (addr string, stop func(), err error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	known := map[string]net.IP{}
	for n, ip := range names {
		known[strings.ToLower(strings.TrimSuffix(n, "."))+"."] = ip
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			if out := answerDNS(buf[:n], known); out != nil {
				_, _ = pc.WriteTo(out, from)
			}
		}
	}()
	return pc.LocalAddr().String(), func() { _ = pc.Close(); wg.Wait() }, nil
}

func answerDNS(query []byte, known map[string]net.IP) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(q.Name.String())
	ip, found := known[name]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !found {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil
	}
	if found && q.Type == dnsmessage.TypeA {
		var a [4]byte
		copy(a[:], ip.To4())
		if b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: a}) != nil {
			return nil
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}

// discardLog silences net/http's server log (TLS handshakes the probes
// abort on purpose).
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
