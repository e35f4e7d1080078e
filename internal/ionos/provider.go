// Package ionos owns Vigil's IONOS Cloud credentials and clients, built once
// per loaded configuration and shared by every collector that reads IONOS
// (cloudcost-exporter's provider → collector split): collectors ask it for a
// client and never see a secret, an environment variable or a base URL.
//
// Two promises shape it:
//   - Each source counts its own upstream requests, so a client is built per
//     source over the counting transport the engine gives it; what sources
//     share is the resolved credentials, never an http.Client.
//   - A secret never leaves this package in clear: not in an error, a log
//     line, a fmt dump of the Provider or the Fingerprint. Credentials are
//     added by the transport, below the SDK's own request logging, and only
//     to the configured IONOS hosts, so a redirect or a foreign link never
//     receives them.
//
// The Cloud API client is sdk-go/v6's. The Container Registry, Auth and
// Billing APIs have no SDK obtainable here; their small hand-written clients
// use HTTP, which authenticates the same way.
package ionos

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"
	"github.com/vigil-monitoring/vigil/internal/config"
)

// Provider is the IONOS client set of one loaded configuration.
type Provider struct {
	apiURL, registryURL, authURL, billingURL string
	contract                                 string
	// cred sits behind a pointer so that printing a Provider with %+v shows
	// an address, not the Authorization header.
	cred        *credential
	hosts       map[string]bool // scheme://host that may receive credentials
	fingerprint string
}

type credential struct {
	method string // "token" or "basic"
	from   string // where it came from, e.g. "file /run/secrets/ionos-token"
	header string // the Authorization header value
}

// New resolves the credentials once (files are read now; a rotated file is
// picked up by the next reload, which builds a new Provider) and returns the
// client set. cfg must have had ApplyDefaults and Validate.
func New(cfg *Config) (*Provider, error) {
	c := *cfg
	c.ApplyDefaults()
	cred, secret, err := resolve(&c)
	if err != nil {
		return nil, err
	}
	contract := c.ContractNumber
	if contract == "" {
		contract = os.Getenv(EnvContractNumber)
		if contract != "" && !contractNumber.MatchString(contract) {
			return nil, fmt.Errorf("ionos: %s is not a contract number (digits only): set contract_number in the ionos section or fix the variable", EnvContractNumber)
		}
	}
	p := &Provider{
		apiURL: c.APIURL, registryURL: c.RegistryURL, authURL: c.AuthURL, billingURL: c.BillingURL,
		contract: contract, cred: cred, hosts: map[string]bool{},
	}
	for _, s := range []string{c.APIURL, c.RegistryURL, c.AuthURL, c.BillingURL} {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("ionos: base URL %q is not an absolute URL", s)
		}
		p.hosts[origin(u)] = true
	}
	if p.fingerprint, err = fingerprint(&c, contract, cred, secret); err != nil {
		return nil, err
	}
	return p, nil
}

// resolve picks the credentials: the section's references first, then the
// IONOS tools' environment variables. The returned secret is only for the
// fingerprint.
func resolve(c *Config) (*credential, string, error) {
	value := func(r *config.SecretRef) (string, error) {
		v, err := r.Value() // its errors name the reference, never the value
		if err != nil {
			return "", fmt.Errorf("ionos: %w", err)
		}
		return v, nil
	}
	switch {
	case c.Token != nil:
		tok, err := value(c.Token)
		if err != nil {
			return nil, "", err
		}
		return bearer(tok, c.Token.String()), tok, nil
	case c.Username != nil && c.Password != nil:
		user, err := value(c.Username)
		if err != nil {
			return nil, "", err
		}
		pass, err := value(c.Password)
		if err != nil {
			return nil, "", err
		}
		return basic(user, pass, c.Username.String()+" and "+c.Password.String()), user + "\x00" + pass, nil
	case c.Username != nil || c.Password != nil:
		return nil, "", errors.New("ionos: username and password go together (run --config.check)")
	}
	if tok := os.Getenv(EnvToken); tok != "" {
		return bearer(tok, "environment variable "+EnvToken), tok, nil
	}
	user, pass := os.Getenv(EnvUsername), os.Getenv(EnvPassword)
	if user != "" && pass != "" {
		return basic(user, pass, "environment variables "+EnvUsername+" and "+EnvPassword), user + "\x00" + pass, nil
	}
	return nil, "", fmt.Errorf("ionos: no credentials: set token: {env: VARIABLE} or {file: /path} in the ionos section, "+
		"or the environment variable %s (or %s and %s)", EnvToken, EnvUsername, EnvPassword)
}

func bearer(tok, from string) *credential {
	return &credential{method: "token", from: from, header: "Bearer " + tok}
}

func basic(user, pass, from string) *credential {
	return &credential{method: "basic", from: from, header: "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
}

// CloudAPI returns a Cloud API v6 client whose requests go through rt (the
// source's counting transport), authenticated and with X-Contract-Number.
// It never retries (MaxRetries 0): the engine's backoff and Retry-After
// handling decide. It sets no depth: every caller asks the depth it needs.
//
// sdk-go's IONOS_PINNED_CERT is not honoured: it would replace rt, and with
// it the request count and the credentials.
func (p *Provider) CloudAPI(rt http.RoundTripper) *ionoscloud.APIClient {
	cfg := ionoscloud.NewConfiguration("", "", "", p.apiURL)
	cfg.MaxRetries = 0
	hc := p.HTTP(rt)
	ours := hc.Transport
	cfg.HTTPClient = hc
	client := ionoscloud.NewAPIClient(cfg)
	hc.Transport = ours // NewAPIClient swaps it out when IONOS_PINNED_CERT is set
	return client
}

// HTTP returns a client for the hand-written Container Registry, Auth and
// Billing clients: requests go through rt, and those to the configured IONOS
// hosts carry Authorization and X-Contract-Number. A new client per call, so
// sources never share one.
func (p *Provider) HTTP(rt http.RoundTripper) *http.Client {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &http.Client{Transport: &authTransport{p: p, next: rt}}
}

// APIURL, RegistryURL, AuthURL and BillingURL are the base URLs in use.
func (p *Provider) APIURL() string      { return p.apiURL }
func (p *Provider) RegistryURL() string { return p.registryURL }
func (p *Provider) AuthURL() string     { return p.authURL }
func (p *Provider) BillingURL() string  { return p.billingURL }

// ContractNumber is the contract requests select ("" when none is set);
// the Billing API needs it in its paths.
func (p *Provider) ContractNumber() string { return p.contract }

// AuthMethod is "token" or "basic"; CredentialSource says where the
// credentials came from (a reference, never a value), for messages.
func (p *Provider) AuthMethod() string       { return p.cred.method }
func (p *Provider) CredentialSource() string { return p.cred.from }

// Fingerprint identifies the configuration and the resolved credentials: it
// changes when either does (a rotated token file plus a reload), and reveals
// neither. Sources use it in their Key.
func (p *Provider) Fingerprint() string { return p.fingerprint }

// origin is scheme://host[:port] in canonical form (lower case, default
// port dropped), so https://API.ionos.com:443 and https://api.ionos.com match.
func origin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host
}
