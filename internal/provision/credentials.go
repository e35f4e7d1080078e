package provision

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// A stack's provider needs credentials that only the caller's environment
// can give (provision never reads them from files it controls). Without
// them terraform init runs, downloads the provider, and plan fails minutes
// later deep in the provider's output; provision checks first and says
// which variables to set.

// credentialNeed is what one provider needs: any one of the sets, each
// complete (every variable non-empty).
type credentialNeed struct {
	provider string     // registry source, e.g. ionos-cloud/ionoscloud
	anyOf    [][]string // alternatives
	hint     string     // what to tell the user
}

var credentialNeeds = []credentialNeed{
	{
		provider: "ionos-cloud/ionoscloud",
		// Or the provider's own profile file, IONOS_CONFIG_FILE or its
		// default ~/.ionos/config.yaml, when it exists (checked below).
		anyOf: [][]string{{"IONOS_TOKEN"}, {"IONOS_USERNAME", "IONOS_PASSWORD"}},
		hint:  "export IONOS_TOKEN (an API token), or IONOS_USERNAME and IONOS_PASSWORD",
	},
	{
		provider: "hashicorp/aws",
		// Or a profile (AWS_PROFILE, else "default") that exists in the
		// shared config or credentials file: SSO, credential_process and,
		// on EC2, credential_source = Ec2InstanceMetadata all live there
		// (checked below). The provider's default chain would also try the
		// instance metadata service unasked; provision wants that said in
		// a profile, so a laptop never waits for an IMDS timeout.
		anyOf: [][]string{
			{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
			{"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"},
			{"AWS_CONTAINER_CREDENTIALS_FULL_URI"},
			{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"},
		},
		hint: "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile of ~/.aws/config or ~/.aws/credentials " +
			"(AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE; SSO, credential_process, or credential_source = Ec2InstanceMetadata for an instance role), " +
			"or AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN",
	},
}

var providerSource = regexp.MustCompile(`(?m)^\s*source\s*=\s*"(?:registry\.terraform\.io/|registry\.opentofu\.org/)?([A-Za-z0-9_-]+/[A-Za-z0-9_-]+)"`)

// stackProviders lists the provider sources the root module's *.tf files
// name in required_providers.
func stackProviders(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range providerSource.FindAllStringSubmatch(string(b), -1) {
			if p := strings.ToLower(m[1]); !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// checkCredentials refuses, before terraform runs, a verb that configures
// the providers (plan, apply, destroy, drift) when the environment lacks
// the credentials of a provider the stack uses. It names the variables and
// never their values.
func (o *Options) checkCredentials() error {
	env := map[string]string{}
	for _, kv := range o.environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var missing []string
	for _, p := range stackProviders(o.dir()) {
		for _, need := range credentialNeeds {
			if need.provider != p || need.satisfied(env) {
				continue
			}
			missing = append(missing, fmt.Sprintf("the %s provider has no credentials: %s", p, need.hint))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%s (terraform was not run; provision passes credentials from the environment only, never from %s)",
		strings.Join(missing, "; "), filepath.Join(o.dir(), "environments", o.Env+".tfvars"))
}

func (n credentialNeed) satisfied(env map[string]string) bool {
	for _, set := range n.anyOf {
		ok := true
		for _, k := range set {
			ok = ok && env[k] != ""
		}
		if ok {
			return true
		}
	}
	if n.provider == "hashicorp/aws" {
		return awsProfileExists(env)
	}
	if n.provider == "ionos-cloud/ionoscloud" {
		file := env["IONOS_CONFIG_FILE"]
		if file == "" && env["HOME"] != "" {
			file = filepath.Join(env["HOME"], ".ionos", "config.yaml")
		}
		if file != "" {
			if _, err := os.Stat(file); err == nil {
				return true
			}
		}
	}
	return false
}

// awsProfileExists reports whether the profile the AWS SDK would use
// (AWS_PROFILE, else AWS_DEFAULT_PROFILE, else default) has a section in
// the shared config file ([profile NAME], [default]) or the credentials
// file ([NAME]). What the section holds is the provider's to judge.
func awsProfileExists(env map[string]string) bool {
	profile := cmp.Or(env["AWS_PROFILE"], env["AWS_DEFAULT_PROFILE"], "default")
	home := env["HOME"]
	config := []string{"profile " + profile}
	if profile == "default" {
		config = append(config, "default")
	}
	files := map[string][]string{
		cmp.Or(env["AWS_CONFIG_FILE"], filepath.Join(home, ".aws", "config")):                  config,
		cmp.Or(env["AWS_SHARED_CREDENTIALS_FILE"], filepath.Join(home, ".aws", "credentials")): {profile},
	}
	for file, sections := range files {
		if home == "" && !filepath.IsAbs(file) {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
				continue
			}
			name := strings.Join(strings.Fields(line[1:len(line)-1]), " ")
			if slices.Contains(sections, name) {
				return true
			}
		}
	}
	return false
}
