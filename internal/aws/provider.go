// Package aws owns Vigil's AWS credentials and configuration: one resolved
// aws.Config per configured account, built once per loaded configuration and
// shared by every collector that reads AWS (cloudcost-exporter's provider →
// collector split). Collectors ask an Account for a config per region and
// build their service clients from it; they never see a credential.
//
// What is shared and what is not follows from the refresh engine: every
// source counts its own upstream requests, so each gets a copy of the
// account's config whose HTTP client sends through that source's transport,
// while all copies share one credentials cache (one AssumeRole per account
// and expiry, not per source). SDK retries are off: the engine's backoff and
// Retry-After handling decide when to try again.
//
// Credentials come from the SDK's default chain only, never from the
// configuration file, and no secret appears in an error, a log line or the
// Fingerprint.
package aws

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// SessionName is the role session name Vigil assumes roles under; it shows
// in CloudTrail.
const SessionName = "vigil"

// Provider is the AWS client configuration of one loaded configuration.
type Provider struct {
	accounts    []Account
	fingerprint string
}

// New loads each account's configuration from the SDK's default chain (no
// request is sent: credentials are resolved on first use) and wraps the
// role to assume, if any, in a shared credentials cache. cfg must have had
// ApplyDefaults and Validate.
func New(ctx context.Context, cfg *Config) (*Provider, error) {
	p := &Provider{}
	for _, ac := range cfg.Accounts {
		regions := ac.Regions
		if len(regions) == 0 && ac.Region != "" {
			regions = []string{ac.Region}
		}
		if len(regions) == 0 {
			return nil, fmt.Errorf("aws account %s: no region (run --config.check)", ac.Name)
		}
		opts := []func(*awsconfig.LoadOptions) error{
			awsconfig.WithRegion(regions[0]),
			awsconfig.WithRetryer(func() awssdk.Retryer { return awssdk.NopRetryer{} }),
		}
		if ac.Profile != "" {
			opts = append(opts, awsconfig.WithSharedConfigProfile(ac.Profile))
		}
		if ac.Endpoint != "" {
			opts = append(opts, awsconfig.WithBaseEndpoint(ac.Endpoint))
		}
		base, err := awsconfig.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("aws account %s: loading the SDK configuration: %w", ac.Name, err)
		}
		redactSources(&base)
		if ac.RoleARN != "" {
			ext := ac.ExternalID
			role := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), ac.RoleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = SessionName
				if ext != "" {
					o.ExternalID = &ext
				}
			})
			base.Credentials = awssdk.NewCredentialsCache(role)
		}
		p.accounts = append(p.accounts, Account{
			Name: ac.Name, Regions: append([]string(nil), regions...), RoleARN: ac.RoleARN,
			state: &accountState{cfg: base, fingerprint: accountFingerprint(ctx, ac)},
		})
	}
	p.fingerprint = fingerprint(cfg)
	return p, nil
}

// Accounts returns the configured accounts, in configuration order. Copies
// share their cached credentials and account ID.
func (p *Provider) Accounts() []Account { return append([]Account(nil), p.accounts...) }

// Account returns the account configured under name.
func (p *Provider) Account(name string) (Account, bool) {
	for _, a := range p.accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// Fingerprint identifies the configuration and the parts of the environment
// that choose the credentials (AWS_ACCESS_KEY_ID, profile, role and web
// identity variables, config file paths), hashed: it reveals none of them.
// Sources use it in their Key, so it is stable across restarts.
func (p *Provider) Fingerprint() string { return p.fingerprint }

// credentialEnv are the variables that change which identity the default
// chain resolves. Secret keys are left out: a new secret comes with a new
// key ID.
var credentialEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
}

func fingerprint(cfg *Config) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	for _, a := range cfg.Accounts {
		accountFields(field, a)
	}
	envFields(field)
	// The shared files' contents too: keys rotated in ~/.aws/credentials
	// at the same path, plus SIGHUP, must reach the clients. Digests only.
	for _, path := range sharedFiles() {
		b, err := os.ReadFile(path)
		sum := sha256.Sum256(b)
		field(path)
		field(fmt.Sprintf("%x %v", sum, err != nil))
	}
	return "aws-" + hex.EncodeToString(h.Sum(nil))[:32]
}

func accountFields(field func(string), a AccountConfig) {
	for _, f := range []string{"account", a.Name, a.Region, strings.Join(a.Regions, ","), a.Profile, a.RoleARN, a.ExternalID, a.Endpoint} {
		field(f)
	}
}

func envFields(field func(string)) {
	for _, v := range credentialEnv {
		field(v)
		field(os.Getenv(v))
	}
}

// accountFingerprint identifies one account's configuration and the
// credentials it resolves to: its own fields, the credential environment,
// and of the shared files only the profile it reads (the default profile
// when it names none), hashed. A key rotated in one profile, or an account
// added, changes no other account's: sources keyed by it (Cost Explorer,
// USD 0.01 a request) keep their snapshots across such a reload.
func accountFingerprint(ctx context.Context, a AccountConfig) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	accountFields(field, a)
	envFields(field)
	field(profileDigest(ctx, a.Profile))
	return "aws-account-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// profileDigest digests the shared-config profile the default chain reads
// for an account (the SDK's own parser, so source_profile chains and
// credential_process lines count too); never the values themselves.
func profileDigest(ctx context.Context, profile string) string {
	if profile == "" {
		profile = cmp.Or(os.Getenv("AWS_PROFILE"), os.Getenv("AWS_DEFAULT_PROFILE"), "default")
	}
	files := sharedFiles() // credentials, then config; the variables count
	sc, err := awsconfig.LoadSharedConfigProfile(ctx, profile, func(o *awsconfig.LoadSharedConfigOptions) {
		if len(files) == 2 {
			o.CredentialsFiles, o.ConfigFiles = files[:1], files[1:]
		}
	})
	if err != nil {
		// No such profile (or no files): the chain looks elsewhere. The
		// error's type says which, without a value.
		return fmt.Sprintf("profile %s: %T", profile, err)
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return fmt.Sprintf("profile %s: %T", profile, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sharedFiles are the files the default chain reads credentials and
// profiles from (the SDK's own defaults when the variables are unset).
func sharedFiles() []string {
	var out []string
	for _, v := range []struct{ env, def string }{{"AWS_SHARED_CREDENTIALS_FILE", "credentials"}, {"AWS_CONFIG_FILE", "config"}} {
		if p := os.Getenv(v.env); p != "" {
			out = append(out, p)
		} else if home, err := os.UserHomeDir(); err == nil {
			out = append(out, filepath.Join(home, ".aws", v.def))
		}
	}
	return out
}
