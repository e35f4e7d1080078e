package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// AWSProviderVersion is the hashicorp/aws release terraform/aws pins and
// scripts/install-tools.sh aws-provider builds (the VERSION file of the
// module version tools/terraform-provider-aws requires).
const AWSProviderVersion = "6.47.1"

var awsProviderModule = regexp.MustCompile(`(?m)^\s*github\.com/hashicorp/terraform-provider-aws (v\S+)`)

// AWSProviderMirror returns the filesystem mirror holding the real
// hashicorp/aws provider that `make tools` builds, or skips the test
// (fails it under CI=true) when it has not been built.
func AWSProviderMirror(t testing.TB) string {
	t.Helper()
	gomod := filepath.Join(RepoRoot(), "tools", "terraform-provider-aws", "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatalf("reading %s: %v", gomod, err)
	}
	m := awsProviderModule.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s requires no github.com/hashicorp/terraform-provider-aws", gomod)
	}
	// The mirror's name is scripts/install-tools.sh's AWS_PROVIDER_DIR: the
	// module version and the hash of the trim program and the types it keeps.
	sum := sha256.New()
	for _, f := range []string{"trim/main.go", "resources.txt"} {
		b, err := os.ReadFile(filepath.Join(RepoRoot(), "tools", "terraform-provider-aws", filepath.FromSlash(f)))
		if err != nil {
			t.Fatalf("reading the provider build's %s: %v", f, err)
		}
		sum.Write(b)
	}
	dir := filepath.Join(ToolsDir(), "terraform-provider-aws-"+string(m[1])+"-"+hex.EncodeToString(sum.Sum(nil))[:12])
	bin := filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws", AWSProviderVersion, runtime.GOOS+"_"+runtime.GOARCH,
		"terraform-provider-aws_v"+AWSProviderVersion+"_x5")
	if _, err := os.Stat(bin); err != nil {
		Missing(t, "the hashicorp/aws provider (scripts/install-tools.sh aws-provider)", "tools")
	}
	return dir
}

// TerraformRC writes a terraform CLI configuration that installs providers
// from the given filesystem mirror only, and returns its path.
func TerraformRC(t testing.TB, mirror string) string {
	t.Helper()
	rc := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/*/*"]
  }
}
`, mirror)
	f := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(f, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// awsServices are the provider's endpoint names of every service
// terraform/aws uses (and those it calls on the way: STS, Secrets Manager
// for RDS's managed password).
var awsServices = []string{"acm", "ec2", "elbv2", "iam", "rds", "s3", "scheduler", "secretsmanager", "sqs", "sts", "wafv2"}

// AWSProviderOverride is a Terraform override file (name it
// *_override.tf) that points the root module's aws provider at an emulator
// such as moto_server: every endpoint, path-style S3, and no account,
// credential, region or metadata checks.
func AWSProviderOverride(endpoint string) string {
	var eps strings.Builder
	for _, s := range awsServices {
		fmt.Fprintf(&eps, "    %s = %q\n", s, endpoint)
	}
	return `# Written by the tests: the provider talks to an AWS emulator.
provider "aws" {
  skip_credentials_validation = true
  # Without an account ID the provider tags S3 buckets through S3 itself,
  # not S3 Control (whose account host prefix cannot reach an emulator).
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
` + eps.String() + `  }
}
`
}
