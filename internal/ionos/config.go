package ionos

import (
	"fmt"
	"net"
	"net/url"
	"regexp"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// Default base URLs: the Cloud API's is the one sdk-go/v6 uses; the others
// are the published bases of the APIs that have no SDK obtainable here.
const (
	DefaultAPIURL      = "https://api.ionos.com/cloudapi/v6"
	DefaultRegistryURL = "https://api.ionos.com/containerregistries"
	DefaultAuthURL     = "https://api.ionos.com/auth/v1"
	DefaultBillingURL  = "https://api.ionos.com/billing"
)

// The environment variables the IONOS tools (sdk-go, ionosctl, the Terraform
// provider) read, used when the section names no credentials.
const (
	EnvToken          = "IONOS_TOKEN"
	EnvUsername       = "IONOS_USERNAME"
	EnvPassword       = "IONOS_PASSWORD"
	EnvContractNumber = "IONOS_CONTRACT_NUMBER"
)

// Config is the top-level `ionos:` section: how to reach and authenticate to
// IONOS Cloud. Credentials are references, never values: either Token, or
// Username and Password. When the section names none, the variables the
// IONOS tools read are used, as sdk-go's NewConfigurationFromEnv does:
// IONOS_TOKEN, or else IONOS_USERNAME and IONOS_PASSWORD. A token is the
// better choice: basic authentication is refused for users with 2FA.
type Config struct {
	// Token is an IONOS API token (a JWT), sent as "Authorization: Bearer".
	Token *config.SecretRef `yaml:"token"`
	// Username and Password authenticate with HTTP basic authentication.
	Username *config.SecretRef `yaml:"username"`
	Password *config.SecretRef `yaml:"password"`
	// ContractNumber selects one contract for users who have several; it is
	// sent as X-Contract-Number on every request. Empty: IONOS_CONTRACT_NUMBER
	// if set (sdk-go sends that on its own), else no header.
	ContractNumber string `yaml:"contract_number"`
	// APIURL is the Cloud API v6 base (sandbox and tests override it).
	APIURL string `yaml:"api_url"`
	// RegistryURL, AuthURL and BillingURL are the bases of the Container
	// Registry, Auth and Billing APIs.
	RegistryURL string `yaml:"registry_url"`
	AuthURL     string `yaml:"auth_url"`
	BillingURL  string `yaml:"billing_url"`
}

// Config is a configuration file section with defaults.
var (
	_ config.Section   = (*Config)(nil)
	_ config.Defaulter = (*Config)(nil)
)

// ApplyDefaults fills the base URLs left empty.
func (c *Config) ApplyDefaults() {
	for _, f := range []struct {
		v   *string
		def string
	}{{&c.APIURL, DefaultAPIURL}, {&c.RegistryURL, DefaultRegistryURL}, {&c.AuthURL, DefaultAuthURL}, {&c.BillingURL, DefaultBillingURL}} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
}

// contractNumber is what X-Contract-Number accepts: an int32 of digits (the
// Billing API's path pattern is [0-9]{5,10}).
var contractNumber = regexp.MustCompile(`^[0-9]{1,10}$`)

// Validate reports every problem in the section; fields are relative to it.
func (c *Config) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	const refHint = "reference the secret as {env: VARIABLE} or {file: /path}"
	for _, r := range []struct {
		field string
		ref   *config.SecretRef
	}{{"token", c.Token}, {"username", c.Username}, {"password", c.Password}} {
		if r.ref == nil {
			continue
		}
		if msg := r.ref.Validate(); msg != "" {
			add(r.field, msg, refHint)
		}
	}
	switch {
	case c.Token != nil && (c.Username != nil || c.Password != nil):
		add("token", "is set together with username/password",
			"use one way to authenticate: a token (preferred; basic authentication fails for users with 2FA) or username and password")
	case c.Username != nil && c.Password == nil:
		add("password", "is required with username", "add password: {env: IONOS_PASSWORD} or {file: /path}, or use a token instead")
	case c.Password != nil && c.Username == nil:
		add("username", "is required with password", "add username: {env: IONOS_USERNAME} or {file: /path}, or use a token instead")
	}
	if c.ContractNumber != "" && !contractNumber.MatchString(c.ContractNumber) {
		add("contract_number", fmt.Sprintf("%q is not a contract number", c.ContractNumber),
			"write the contract's number, digits only, as the DCD shows it; leave it out if you have one contract")
	}
	for _, u := range []struct{ field, v string }{
		{"api_url", c.APIURL}, {"registry_url", c.RegistryURL}, {"auth_url", c.AuthURL}, {"billing_url", c.BillingURL},
	} {
		if u.v == "" {
			continue // ApplyDefaults fills it
		}
		if msg := checkURL(u.v); msg != "" {
			add(u.field, msg, "write an absolute http(s) URL without query, e.g. "+defaultFor(u.field)+", or leave it out for that default")
		}
	}
	return errs
}

func defaultFor(field string) string {
	switch field {
	case "api_url":
		return DefaultAPIURL
	case "registry_url":
		return DefaultRegistryURL
	case "auth_url":
		return DefaultAuthURL
	}
	return DefaultBillingURL
}

// checkURL accepts an absolute http or https URL with a host and without a
// query, fragment or user info (credentials belong in the secret fields).
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "":
		return fmt.Sprintf("%q is not an absolute URL", s)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("%q is not an http or https URL", s)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		// The token or password would cross the network in clear text.
		return fmt.Sprintf("%q is plain http to another host: use https (plain http only to an emulator on loopback)", s)
	case u.User != nil:
		return "must not carry credentials"
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Sprintf("%q has a query or fragment", s)
	}
	return ""
}

// isLoopback reports whether host is this machine (an emulator in tests or
// the sandbox), the only place credentials may go over plain http.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
