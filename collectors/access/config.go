package access

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
)

// Probe kinds.
const (
	KindHTTP     = "http"     // an HTTP(S) URL, expected status codes, optional body match
	KindTCP      = "tcp"      // a TCP connect to host:port
	KindTLS      = "tls"      // a TCP connect and TLS handshake to host:port
	KindDNS      = "dns"      // resolving a host name
	KindRegistry = "registry" // a container registry's /v2/: 200 or 401 both mean serving
	KindReadyz   = "readyz"   // a Kubernetes API server's /readyz from outside
)

var kinds = []string{KindHTTP, KindTCP, KindTLS, KindDNS, KindRegistry, KindReadyz}

// Defaults.
const (
	DefaultInterval = 30 * time.Second
	DefaultTimeout  = 10 * time.Second
)

// Section is the `access:` section of the configuration file.
type Section struct {
	// Probes to run. Probes of one target (host:port) run one after the
	// other in one refresh source, never at the same time.
	Probes []Probe `yaml:"probes"`
}

// Probe is one check of reachability from where Vigil runs.
type Probe struct {
	// Name is the probe label: letters, digits, '-', '_', '.'; unique.
	Name string `yaml:"name"`
	// Kind is one of http, tcp, tls, dns, registry, readyz.
	Kind string `yaml:"kind"`
	// Target is a URL (http, registry, readyz: base URL of the registry or
	// API server), host:port (tcp, tls) or a host name (dns).
	Target   string          `yaml:"target"`
	Interval config.Duration `yaml:"interval"`
	Timeout  config.Duration `yaml:"timeout"`
	// HTTP only.
	Method         string   `yaml:"method"`
	ExpectedStatus []int    `yaml:"expected_status"`
	BodyRegexp     string   `yaml:"body_regexp"`
	Headers        []Header `yaml:"headers"`
	// AllowHeadersOverHTTP lets a probe of an http:// target send its
	// headers, whose values are secrets, in clear (a lab only).
	AllowHeadersOverHTTP bool `yaml:"allow_headers_over_http"`
	// TLS verification (http, registry, readyz, tls).
	CAFile                string `yaml:"ca_file"`
	ServerName            string `yaml:"server_name"`
	InsecureSkipTLSVerify bool   `yaml:"insecure_skip_tls_verify"`
	// Resolver is host:port of a DNS server to ask instead of the system's
	// (dns probes, and the host names of the others).
	Resolver string `yaml:"resolver"`
}

// Header is a request header whose value is a secret reference.
type Header struct {
	Name  string            `yaml:"name"`
	Value *config.SecretRef `yaml:"value"`
}

var probeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// ApplyDefaults fills intervals, timeouts, methods and expected codes.
func (s *Section) ApplyDefaults() {
	for i := range s.Probes {
		p := &s.Probes[i]
		if p.Interval == 0 {
			p.Interval = config.Duration(DefaultInterval)
		}
		if p.Timeout == 0 {
			p.Timeout = config.Duration(min(DefaultTimeout, p.Interval.Std()))
		}
		switch p.Kind {
		case KindHTTP:
			if p.Method == "" {
				p.Method = "GET"
			}
			if len(p.ExpectedStatus) == 0 {
				p.ExpectedStatus = []int{200, 201, 202, 203, 204}
			}
		case KindRegistry:
			p.Method = "GET"
			if len(p.ExpectedStatus) == 0 {
				p.ExpectedStatus = []int{200, 401} // 401: serving, asks for a login
			}
		case KindReadyz:
			p.Method = "GET"
			if len(p.ExpectedStatus) == 0 {
				p.ExpectedStatus = []int{200}
			}
		}
	}
}

// FingerprintFiles names the CA files, whose contents the probes depend on.
func (s *Section) FingerprintFiles() []string {
	var out []string
	for _, p := range s.Probes {
		if p.CAFile != "" {
			out = append(out, p.CAFile)
		}
	}
	return out
}

// Validate reports every problem, fields relative to the section.
func (s *Section) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if len(s.Probes) == 0 {
		add("probes", "is empty", "list at least one probe, or remove the access section")
	}
	seen := map[string]bool{}
	for i, p := range s.Probes {
		f := func(name string) string { return fmt.Sprintf("probes[%d].%s", i, name) }
		switch {
		case !probeName.MatchString(p.Name):
			add(f("name"), fmt.Sprintf("%q is not a probe name", p.Name), "use letters, digits, '-', '_' and '.', e.g. registry or ticketly-health")
		case seen[p.Name]:
			add(f("name"), fmt.Sprintf("%q is used by two probes", p.Name), "give every probe its own name")
		}
		seen[p.Name] = true
		if !contains(kinds, p.Kind) {
			add(f("kind"), fmt.Sprintf("%q is not a probe kind", p.Kind), "use one of "+strings.Join(kinds, ", "))
			continue
		}
		if _, err := p.Address(); err != nil {
			add(f("target"), err.Error(), targetHint(p.Kind))
		}
		if p.Interval.Std() < config.MinInterval {
			add(f("interval"), fmt.Sprintf("%s is too short", p.Interval.Std()), "use at least 1s; 30s is the default")
		}
		if p.Timeout.Std() <= 0 || p.Timeout.Std() > p.Interval.Std() {
			add(f("timeout"), fmt.Sprintf("%s must be positive and at most the interval (%s)", p.Timeout.Std(), p.Interval.Std()), "e.g. timeout: 10s with interval: 30s")
		}
		web := p.Kind == KindHTTP || p.Kind == KindRegistry || p.Kind == KindReadyz
		if !web && (len(p.Headers) > 0 || p.BodyRegexp != "" || (p.Method != "" && p.Kind != KindHTTP)) {
			add(f("kind"), "headers, body_regexp and method apply to http, registry and readyz probes only", "remove them or change the kind")
		}
		if p.BodyRegexp != "" {
			if _, err := regexp.Compile(p.BodyRegexp); err != nil {
				add(f("body_regexp"), "does not compile: "+err.Error(), "use Go (RE2) regular expression syntax")
			}
		}
		for _, c := range p.ExpectedStatus {
			if c < 100 || c > 599 {
				add(f("expected_status"), fmt.Sprintf("%d is not an HTTP status code", c), "use codes between 100 and 599")
			}
		}
		if len(p.Headers) > 0 && web && strings.HasPrefix(p.Target, "http://") && !p.AllowHeadersOverHTTP {
			add(f("headers"), "would send header values, which are secrets, in clear over http://",
				"use the https:// URL of the target; only for a lab, set allow_headers_over_http: true")
		}
		if p.AllowHeadersOverHTTP && !web {
			add(f("allow_headers_over_http"), "applies to http, registry and readyz probes only", "remove it")
		}
		for j, h := range p.Headers {
			if h.Name == "" || h.Value == nil {
				add(fmt.Sprintf("probes[%d].headers[%d]", i, j), "needs a name and a value", "value: {env: VARIABLE} or {file: /path}")
			} else if msg := h.Value.Validate(); msg != "" {
				add(fmt.Sprintf("probes[%d].headers[%d].value", i, j), msg, "value: {env: VARIABLE} or {file: /path}")
			}
		}
		if p.Resolver != "" {
			if _, _, err := net.SplitHostPort(p.Resolver); err != nil {
				add(f("resolver"), fmt.Sprintf("%q is not host:port", p.Resolver), "e.g. 10.0.0.2:53")
			}
		}
	}
	return errs
}

func targetHint(kind string) string {
	switch kind {
	case KindTCP, KindTLS:
		return "use host:port, e.g. db.example.com:5432"
	case KindDNS:
		return "use a host name, e.g. registry.example.com"
	}
	return "use an absolute http(s) URL without user:password, e.g. https://registry.example.com"
}

// Address returns the probe's target as host:port (dns probes: the host),
// the value of its target label. It never contains a path, query or user.
func (p *Probe) Address() (string, error) {
	switch p.Kind {
	case KindTCP, KindTLS:
		host, port, err := net.SplitHostPort(p.Target)
		if err != nil || host == "" || port == "" {
			return "", fmt.Errorf("%q is not host:port", p.Target)
		}
		return p.Target, nil
	case KindDNS:
		if p.Target == "" || strings.ContainsAny(p.Target, "/: ") {
			return "", fmt.Errorf("%q is not a host name", p.Target)
		}
		return p.Target, nil
	}
	u, err := url.Parse(p.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("the target is not an absolute http(s) URL")
	}
	if u.User != nil {
		// The URL would end up in logs; credentials go in headers.
		return "", fmt.Errorf("the target URL carries a user or password")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func parseDuration(s string) (config.Duration, error) {
	d, err := time.ParseDuration(s)
	return config.Duration(d), err
}

// TLSTargets lists the probes that speak TLS (tls probes, and http,
// registry and readyz probes of https URLs), so the expiry collector, which
// reads this section, watches the certificates each one serves.
func (s *Section) TLSTargets() []collector.TLSTarget {
	var out []collector.TLSTarget
	for _, p := range s.Probes {
		web := p.Kind == KindHTTP || p.Kind == KindRegistry || p.Kind == KindReadyz
		if p.Kind != KindTLS && !(web && strings.HasPrefix(p.Target, "https://")) {
			continue
		}
		addr, err := p.Address()
		if err != nil {
			continue // validated: cannot happen in a loaded section
		}
		out = append(out, collector.TLSTarget{Name: p.Name, Address: addr, ServerName: p.ServerName, Resolver: p.Resolver, Timeout: p.Timeout.Std()})
	}
	return out
}
