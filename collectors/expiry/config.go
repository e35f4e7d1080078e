package expiry

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"time"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// Defaults. The alert thresholds follow the seeds: certificates ticket at 14
// days (cert-manager renews at 30, so earlier tickets would fire on every
// healthy renewal) and page at 3; tokens, which nothing renews, ticket at 30
// days and page at 3.
const (
	DefaultInterval          = 5 * time.Minute
	DefaultTimeout           = 10 * time.Second
	DefaultCertTicketWithin  = 14 * 24 * time.Hour
	DefaultCertPageWithin    = 3 * 24 * time.Hour
	DefaultTokenTicketWithin = 30 * 24 * time.Hour
	DefaultTokenPageWithin   = 3 * 24 * time.Hour
)

// Section is the `expiry:` section of the configuration file.
type Section struct {
	RefreshInterval config.Duration `yaml:"refresh_interval"`
	// TLSEndpoints are host:port to connect to and read the served chain
	// from (HTTPS sites, registries, API servers, any TLS port).
	TLSEndpoints []Endpoint `yaml:"tls_endpoints"`
	// AccessProbes reads the chain every TLS and HTTPS probe of the access
	// section serves (origin "probe", location the probe's name), so no
	// probe's certificate goes unwatched. Default true.
	AccessProbes *bool `yaml:"access_probes"`
	// Kubeconfigs are kubeconfig files or globs: every user's client
	// certificate and token, every cluster's CA, inline or by file.
	Kubeconfigs []string `yaml:"kubeconfigs"`
	// PEMFiles are PEM files or globs (certificates, bundles, chains).
	PEMFiles []string `yaml:"pem_files"`
	// JWTFiles are files holding one JWT each (service-account tokens,
	// CI tokens); only the exp claim is read.
	JWTFiles []JWTFile `yaml:"jwt_files"`
	// IONOS tokens, through the ionos: section's credentials.
	IONOS *IONOSTokens `yaml:"ionos"`
	// ACM: AWS Certificate Manager certificates, through the aws: section.
	ACM *ACM `yaml:"acm"`
	// KubernetesSecrets opts in to TLS Secrets of the listed namespaces.
	KubernetesSecrets *KubernetesSecrets `yaml:"kubernetes_secrets"`
	// Thresholds of the alerts, exported as vigil_cert_*_within_seconds
	// and vigil_token_*_within_seconds.
	CertTicketWithin  config.Duration `yaml:"cert_ticket_within"`
	CertPageWithin    config.Duration `yaml:"cert_page_within"`
	TokenTicketWithin config.Duration `yaml:"token_ticket_within"`
	TokenPageWithin   config.Duration `yaml:"token_page_within"`

	// sandbox, when set, reads the IONOS token emulator instead of the
	// provider (the --sandbox demo). Never from YAML.
	sandbox *IONOSClients
	// sandboxACM, when set, reads the sandbox's ACM emulator.
	sandboxACM []ACMTarget
}

// Endpoint is a TLS endpoint whose served chain is read.
type Endpoint struct {
	Name       string          `yaml:"name"`
	Address    string          `yaml:"address"`     // host:port
	ServerName string          `yaml:"server_name"` // SNI; default the host
	Timeout    config.Duration `yaml:"timeout"`

	// resolver is the DNS server of an access probe; never from YAML.
	resolver string
}

// JWTFile is a file holding a JWT.
type JWTFile struct {
	Name string `yaml:"name"`
	File string `yaml:"file"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// ApplyDefaults fills the interval, timeouts and thresholds.
func (s *Section) ApplyDefaults() {
	def := func(d *config.Duration, v time.Duration) {
		if *d == 0 {
			*d = config.Duration(v)
		}
	}
	def(&s.RefreshInterval, DefaultInterval)
	def(&s.CertTicketWithin, DefaultCertTicketWithin)
	def(&s.CertPageWithin, DefaultCertPageWithin)
	def(&s.TokenTicketWithin, DefaultTokenTicketWithin)
	def(&s.TokenPageWithin, DefaultTokenPageWithin)
	if s.AccessProbes == nil {
		on := true
		s.AccessProbes = &on
	}
	for i := range s.TLSEndpoints {
		def(&s.TLSEndpoints[i].Timeout, DefaultTimeout)
	}
}

// Validate reports every problem, fields relative to the section.
func (s *Section) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if !s.readsProbes() && !s.listsAnything() {
		add("", "names nothing to watch", nothingHint)
	}
	if k := s.KubernetesSecrets; k != nil {
		if len(k.Namespaces) == 0 {
			add("kubernetes_secrets.namespaces", "is empty", "list the namespaces whose TLS Secrets Vigil may read (each needs a Role; reading is never cluster-wide)")
		}
		nsSeen := map[string]bool{}
		for i, ns := range k.Namespaces {
			if !nameRE.MatchString(ns) || nsSeen[ns] {
				add(fmt.Sprintf("kubernetes_secrets.namespaces[%d]", i), fmt.Sprintf("%q is not a unique namespace name", ns), "e.g. ingress-nginx")
			}
			nsSeen[ns] = true
		}
	}
	if s.RefreshInterval.Std() < config.MinInterval {
		add("refresh_interval", fmt.Sprintf("%s is too short", s.RefreshInterval.Std()), "use at least 1s; 5m is the default")
	}
	seen := map[string]bool{}
	for i, e := range s.TLSEndpoints {
		f := func(n string) string { return fmt.Sprintf("tls_endpoints[%d].%s", i, n) }
		if !nameRE.MatchString(e.Name) || seen[e.Name] {
			add(f("name"), fmt.Sprintf("%q is not a unique name", e.Name), "use letters, digits, '-', '_' and '.', once each")
		}
		seen[e.Name] = true
		if h, p, err := net.SplitHostPort(e.Address); err != nil || h == "" || p == "" {
			add(f("address"), fmt.Sprintf("%q is not host:port", e.Address), "e.g. registry.example.com:443")
		}
		if e.Timeout.Std() <= 0 || e.Timeout.Std() > s.RefreshInterval.Std() {
			add(f("timeout"), fmt.Sprintf("%s must be positive and at most refresh_interval", e.Timeout.Std()), "e.g. 10s")
		}
	}
	for i, g := range s.Kubeconfigs {
		if _, err := filepath.Match(g, ""); err != nil || g == "" {
			add(fmt.Sprintf("kubeconfigs[%d]", i), fmt.Sprintf("%q is not a path or glob", g), "e.g. /etc/vigil/kubeconfigs/*.yaml")
		}
	}
	for i, g := range s.PEMFiles {
		if _, err := filepath.Match(g, ""); err != nil || g == "" {
			add(fmt.Sprintf("pem_files[%d]", i), fmt.Sprintf("%q is not a path or glob", g), "e.g. /etc/ssl/private/*.crt")
		}
	}
	for i, j := range s.JWTFiles {
		if !nameRE.MatchString(j.Name) || seen["jwt/"+j.Name] {
			add(fmt.Sprintf("jwt_files[%d].name", i), fmt.Sprintf("%q is not a unique name", j.Name), "use letters, digits, '-', '_' and '.', once each")
		}
		seen["jwt/"+j.Name] = true
		if j.File == "" {
			add(fmt.Sprintf("jwt_files[%d].file", i), "is required", "the path of the file holding the token")
		}
	}
	if s.CertPageWithin.Std() <= 0 || s.CertPageWithin.Std() >= s.CertTicketWithin.Std() {
		add("cert_page_within", "must be positive and shorter than cert_ticket_within", "defaults: 72h and 336h")
	}
	if s.TokenPageWithin.Std() <= 0 || s.TokenPageWithin.Std() >= s.TokenTicketWithin.Std() {
		add("token_page_within", "must be positive and shorter than token_ticket_within", "defaults: 72h and 720h")
	}
	return errs
}

// ValidateWith refuses, at --config.check and at a reload as at start, a
// section that lists nothing itself and relies on access_probes when the
// file's access section has no https or tls probe (or there is none).
func (s *Section) ValidateWith(others map[string]config.Section) []*config.Error {
	if !s.readsProbes() || s.listsAnything() || len(ProbeTargets(others)) > 0 {
		return nil
	}
	return []*config.Error{{Msg: nothingToWatchMsg, Hint: nothingHint}}
}

// nothingToWatchMsg says why a section relying on access_probes watches
// nothing.
const nothingToWatchMsg = "names nothing to watch: access_probes reads the https and tls probes of the access section, and it has none"

const nothingHint = "list tls_endpoints, kubeconfigs, pem_files, jwt_files or kubernetes_secrets.namespaces, enable ionos.registry_tokens or ionos.api_tokens, add https or tls probes to the access section (access_probes), or remove the expiry section"

// listsAnything is true when the section itself names a place to watch.
func (s *Section) listsAnything() bool {
	return len(s.TLSEndpoints)+len(s.Kubeconfigs)+len(s.PEMFiles)+len(s.JWTFiles) > 0 || s.IONOS.enabled() || s.KubernetesSecrets != nil || s.ACM != nil
}

// readsProbes is true when access_probes is on (the default).
func (s *Section) readsProbes() bool { return s.AccessProbes == nil || *s.AccessProbes }
