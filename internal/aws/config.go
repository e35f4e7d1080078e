package aws

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// Config is the top-level `aws:` section: the AWS accounts Vigil reads.
// Credentials are never written here: each account starts from the SDK's
// default chain (environment, shared config and credentials files, web
// identity, ECS or EC2 instance role), optionally with a named profile, and
// may assume a role from there.
type Config struct {
	Accounts []AccountConfig `yaml:"accounts"`
}

// AccountConfig is one AWS account.
type AccountConfig struct {
	// Name becomes the account label value, e.g. production.
	Name string `yaml:"name"`
	// Region or Regions: where the account's resources live; the first is
	// the default region of its clients.
	Region  string   `yaml:"region"`
	Regions []string `yaml:"regions"`
	// Profile selects a profile of the shared config files (empty: the
	// SDK's default, AWS_PROFILE or "default").
	Profile string `yaml:"profile"`
	// RoleARN, when set, is assumed with STS from the default chain's
	// credentials; ExternalID is passed along if the role's trust policy
	// requires one.
	RoleARN    string `yaml:"role_arn"`
	ExternalID string `yaml:"external_id"`
	// Endpoint replaces every AWS service endpoint (moto_server, tests).
	Endpoint string `yaml:"endpoint"`
}

// Config is a configuration file section with defaults.
var (
	_ config.Section   = (*Config)(nil)
	_ config.Defaulter = (*Config)(nil)
)

// ApplyDefaults folds a single region into Regions.
func (c *Config) ApplyDefaults() {
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if a.Region != "" && len(a.Regions) == 0 {
			a.Regions, a.Region = []string{a.Region}, ""
		}
	}
}

var (
	labelValue = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	roleARN    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	externalID = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// Validate reports every problem in the section, with fields relative to it
// (accounts[1].role_arn). Call it after ApplyDefaults.
func (c *Config) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if len(c.Accounts) == 0 {
		add("accounts", "is required", "list the AWS accounts to read, each with a name and a region; see examples/vigil.yml")
	}
	names := map[string]int{}
	for i, a := range c.Accounts {
		at := func(f string) string { return fmt.Sprintf("accounts[%d].%s", i, f) }
		switch {
		case a.Name == "":
			add(at("name"), "is required", "name the account, e.g. production; it becomes the account label")
		case !labelValue.MatchString(a.Name):
			add(at("name"), fmt.Sprintf("%q is not a plain name", a.Name), "use letters, digits, '-', '_' or '.'")
		default:
			if j, dup := names[a.Name]; dup {
				add(at("name"), fmt.Sprintf("%q is also the name of accounts[%d]", a.Name, j), "give each account its own name")
			}
			names[a.Name] = i
		}
		regions, field := a.Regions, func(j int) string { return fmt.Sprintf("accounts[%d].regions[%d]", i, j) }
		switch {
		case a.Region != "" && len(a.Regions) > 0:
			add(at("region"), "is set together with regions", "list every region under regions and remove region")
		case a.Region != "": // ApplyDefaults not called yet
			regions, field = []string{a.Region}, func(int) string { return at("region") }
		case len(a.Regions) == 0:
			add(at("regions"), "is required", "name the account's region, e.g. region: eu-central-1, or list several under regions")
		}
		seen := map[string]bool{}
		for j, r := range regions {
			field := field(j)
			if !regionName.MatchString(r) {
				add(field, fmt.Sprintf("%q is not an AWS region", r), "write a region code such as eu-central-1 or us-east-1")
			} else if seen[r] {
				add(field, fmt.Sprintf("%q is listed twice", r), "list each region once")
			}
			seen[r] = true
		}
		if a.RoleARN != "" && !roleARN.MatchString(a.RoleARN) {
			add(at("role_arn"), fmt.Sprintf("%q is not an IAM role ARN", a.RoleARN),
				"write it as arn:aws:iam::123456789012:role/vigil-read (the role to assume, not a user or policy)")
		}
		if a.ExternalID != "" {
			if a.RoleARN == "" {
				add(at("external_id"), "needs role_arn", "set role_arn to the role whose trust policy asks for this external ID, or remove external_id")
			} else if len(a.ExternalID) < 2 || len(a.ExternalID) > 1224 || !externalID.MatchString(a.ExternalID) {
				add(at("external_id"), "is not a valid external ID", "use 2 to 1224 letters, digits or +=,.@:/-")
			}
		}
		if a.Endpoint != "" {
			if u, err := url.Parse(a.Endpoint); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
				add(at("endpoint"), "is not an absolute http(s) URL", "write it as http://127.0.0.1:5000 (moto_server), or leave it out to use AWS")
			}
		}
	}
	return errs
}
