package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// AWSProviderVersion is the hashicorp/aws release terraform/aws pins and
// scripts/install-tools.sh aws-provider builds (the VERSION file of the
// module version tools/terraform-provider-aws requires).
const AWSProviderVersion = "6.47.1"

// AWSProviderMirror returns the filesystem mirror holding the real
// hashicorp/aws provider that `make tools` builds, or skips the test
// (fails it under CI=true) when it has not been built. The script names the
// directory (its name is a hash of what the build reads), so there is one
// implementation of it.
func AWSProviderMirror(t testing.TB) string {
	t.Helper()
	script := filepath.Join(RepoRoot(), "scripts", "install-tools.sh")
	cmd := exec.Command("bash", script, "aws-provider-dir")
	cmd.Env = append(os.Environ(), "VIGIL_TOOLS_DIR="+ToolsDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s aws-provider-dir: %v", script, err)
	}
	dir := strings.TrimSpace(string(out))
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
