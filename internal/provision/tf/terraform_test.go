package tf

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// script writes an executable that answers `version -json` like terraform
// or tofu of the given version. These stand in for binaries of versions this
// machine does not have; the real terraform is tested below.
func script(t *testing.T, dir, name, version string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	body := "#!/bin/sh\necho '{\"terraform_version\":\"" + version + "\",\"platform\":\"linux_amd64\",\"provider_selections\":{},\"terraform_outdated\":false}'\n"
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFind(t *testing.T) {
	real := testenv.Tool(t, "terraform", "tools")
	ctx := context.Background()
	env := func(path string) map[string]string { return map[string]string{"PATH": path, "HOME": t.TempDir()} }

	// The real terraform on PATH (1.11) is chosen.
	t.Setenv("PATH", filepath.Dir(real))
	got, err := Find(ctx, "", env(filepath.Dir(real)))
	if err != nil || got != real {
		t.Fatalf("Find = %q, %v; want %s", got, err, real)
	}

	// A terraform older than 1.6 loses to tofu.
	old := t.TempDir()
	script(t, old, "terraform", "1.5.7")
	tofu := script(t, old, "tofu", "1.12.6")
	t.Setenv("PATH", old)
	got, err = Find(ctx, "", env(old))
	if err != nil || got != tofu {
		t.Fatalf("with terraform 1.5.7 and tofu: Find = %q, %v; want %s", got, err, tofu)
	}

	// Only an old terraform: a clear error naming its version.
	os.Remove(tofu)
	_, err = Find(ctx, "", env(old))
	if err == nil || !strings.Contains(err.Error(), "1.5.7") || !strings.Contains(err.Error(), "--terraform") {
		t.Fatalf("only terraform 1.5.7: err = %v", err)
	}

	// --terraform wins, and a missing one is named.
	if got, err := Find(ctx, real, nil); err != nil || got != real {
		t.Fatalf("given path: %q, %v", got, err)
	}
	if _, err := Find(ctx, filepath.Join(old, "nope"), nil); err == nil || !strings.Contains(err.Error(), "--terraform") {
		t.Fatalf("missing given path: %v", err)
	}
}

func TestEnvPassesOnlyWhatTerraformNeeds(t *testing.T) {
	got := Env([]string{
		"PATH=/bin", "HOME=/h", "TF_CLI_CONFIG_FILE=/c", "TF_DATA_DIR=/d",
		"IONOS_TOKEN=t", "IONOS_USERNAME=u", "IONOS_PASSWORD=p",
		"TF_LOG=TRACE", "TF_VAR_x=1", "TF_WORKSPACE=production", "GITHUB_TOKEN=secret", "AWS_PROFILE=x", "AWSX=1", "noequals",
	})
	want := map[string]string{"PATH": "/bin", "HOME": "/h", "TF_CLI_CONFIG_FILE": "/c", "TF_DATA_DIR": "/d",
		"IONOS_TOKEN": "t", "IONOS_USERNAME": "u", "IONOS_PASSWORD": "p", "AWS_PROFILE": "x"}
	if len(got) != len(want) {
		t.Fatalf("Env = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// Init passes an environment's backend file only to a stack that declares a
// backend; otherwise terraform warns "Missing backend configuration" on
// every run (and ignores the file).
func TestHasBackend(t *testing.T) {
	for name, c := range map[string]struct {
		files map[string]string
		want  bool
	}{
		"none":       {map[string]string{"main.tf": "terraform {\n  required_version = \">= 1.6\"\n}\n"}, false},
		"commented":  {map[string]string{"main.tf": "terraform {\n  # backend \"s3\" {}\n}\n", "backend_s3.tf.example": "terraform {\n  backend \"s3\" {}\n}\n"}, false},
		"declared":   {map[string]string{"backend_s3.tf": "terraform {\n  backend \"s3\" {}\n}\n"}, true},
		"json":       {map[string]string{"backend.tf.json": `{"terraform": {"backend": {"local": {}}}}`}, true},
		"multi-line": {map[string]string{"main.tf": "terraform {\n  backend \"local\" {\n  }\n}\n"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, content := range c.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := (&Runner{Dir: dir}).HasBackend(); got != c.want {
				t.Errorf("HasBackend = %v, want %v", got, c.want)
			}
		})
	}
}

// TestUnusedBackendFileIsNotSilent: a backend file without a backend block
// in the stack is named (state stays local), and refused for production.
func TestUnusedBackendFileIsNotSilent(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "environments"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.tf", "environments/dev.s3.tfbackend", "environments/production.s3.tfbackend"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("# test\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &Runner{Dir: dir}
	note, err := r.unusedBackend("dev")
	if err != nil || !strings.Contains(note, "is not used") || !strings.Contains(note, "terraform.tfstate.d/dev") {
		t.Errorf("dev: note %q, err %v", note, err)
	}
	if _, err := r.unusedBackend("production"); err == nil || !strings.Contains(err.Error(), "declares no backend block") {
		t.Errorf("production: %v, want a refusal", err)
	}
	if note, err := r.unusedBackend("staging"); note != "" || err != nil {
		t.Errorf("staging has no backend file: %q %v", note, err)
	}
}

// TestInitNamesALockFileChecksumMismatch: terraform/aws commits a lock file
// holding the hash of the provider scripts/install-tools.sh builds; a user
// whose terraform downloads hashicorp/aws from the registry (or builds it
// elsewhere) gets another package, and init refuses it. The error says how
// to add the package's checksums, not terraform's bare refusal. The real
// terraform runs init against a filesystem mirror holding a package whose
// hash the lock file does not record.
func TestInitNamesALockFileChecksumMismatch(t *testing.T) {
	bin := testenv.Tool(t, "terraform", "tools")
	root := t.TempDir()
	mirror := filepath.Join(root, "mirror")
	pkg := filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws", "6.47.1", "linux_amd64")
	dir := filepath.Join(root, "stack")
	for _, d := range []string{pkg, dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(pkg, "terraform-provider-aws_v6.47.1_x5"): "#!/bin/sh\nexit 1\n",
		filepath.Join(dir, "versions.tf"):                       "terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"6.47.1\"\n    }\n  }\n}\n",
		filepath.Join(dir, ".terraform.lock.hcl"): "provider \"registry.terraform.io/hashicorp/aws\" {\n  version     = \"6.47.1\"\n  constraints = \"6.47.1\"\n" +
			"  hashes = [\n    \"h1:fJQhPeIvq+4tEGCx4GHRqsOBdULjJxAqVjb4+SLFfDo=\",\n  ]\n}\n",
		filepath.Join(root, "terraformrc"): "provider_installation {\n  filesystem_mirror {\n    path    = \"" + mirror + "\"\n    include = [\"registry.terraform.io/*/*\"]\n  }\n}\n",
	}
	for f, content := range files {
		if err := os.WriteFile(f, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": root, "TF_CLI_CONFIG_FILE": filepath.Join(root, "terraformrc"), "CHECKPOINT_DISABLE": "1"}
	r, err := New(dir, bin, "dev", env, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Init(context.Background(), "dev")
	if err == nil {
		t.Fatal("init accepted a provider package the lock file does not record")
	}
	for _, want := range []string{"registry.terraform.io/hashicorp/aws 6.47.1", ".terraform.lock.hcl records",
		"terraform providers lock -platform=linux_amd64 -platform=darwin_arm64 registry.terraform.io/hashicorp/aws",
		"-fs-mirror=", "do not delete the lock file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("init's error does not say %q:\n%v", want, err)
		}
	}
}
