package testenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
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
	if _, err := os.Stat(awsProviderBinary(dir)); err != nil {
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

// awsProviderBinary is the provider executable in the mirror.
func awsProviderBinary(mirror string) string {
	return filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws", AWSProviderVersion, runtime.GOOS+"_"+runtime.GOARCH,
		"terraform-provider-aws_v"+AWSProviderVersion+"_x5")
}

// AWSProviderServer starts the mirror's hashicorp/aws provider once, in the
// provider's own debug mode (its -debug flag, the way provider developers
// attach terraform to a provider under a debugger), and returns the
// TF_REATTACH_PROVIDERS value with which every terraform command given it
// talks to that one process instead of starting the provider itself. The
// process stops when the test ends.
//
// `terraform test` starts a provider about three times per run block, and
// each start of this 117 MB provider costs about a CPU-second of start-up
// and schema building: for tests whose provider is mocked (mock_provider:
// terraform asks the real provider only for its schema and its
// validation), one shared process gives the same answers. It must not serve
// a configured provider (a real plan or apply): each terraform command
// would configure the one shared process, so parallel commands with
// different settings would race. `terraform init` does not need it and
// should run without it, so that it still installs the provider from the
// mirror and checks it against the lock file.
func AWSProviderServer(t testing.TB, mirror string) string {
	t.Helper()
	return ProviderServer(t, awsProviderBinary(mirror))
}

// ProviderServer starts the Terraform provider binary once in its debug mode
// (terraform-plugin-go's -debug flag) and returns the TF_REATTACH_PROVIDERS
// value that points terraform at it; AWSProviderServer says when that is
// safe. The provider runs with this process's environment minus TF_* and
// AWS_* (and no shared AWS files), and stops when the test ends.
func ProviderServer(t testing.TB, binary string) string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(binary, "-debug")
	cmd.Env = append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	// A test binary killed by its -timeout runs no cleanup: the provider,
	// which in debug mode never exits by itself, goes with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var logs SyncBuffer
	cmd.Stderr = &logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the provider %s: %v", filepath.Base(binary), err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // debug mode stops on SIGINT
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	found := make(chan string, 1)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			if m := reattachLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default: // printed once; never block the reader
				}
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case v := <-found:
		return v
	case <-exited:
		t.Fatalf("the provider %s exited in debug mode without printing TF_REATTACH_PROVIDERS:\n%s", filepath.Base(binary), logs.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("the provider %s printed no TF_REATTACH_PROVIDERS within 3 minutes:\n%s", filepath.Base(binary), logs.String())
	}
	return ""
}

// reattachLine is how terraform-plugin-go's managed debug mode prints the
// setting on Linux: a tab, TF_REATTACH_PROVIDERS='{...}'. The JSON holds no
// single quote.
var reattachLine = regexp.MustCompile(`^\s*TF_REATTACH_PROVIDERS='(\{.*\})'\s*$`)
