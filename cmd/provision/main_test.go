package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

var verbs = []string{"plan", "apply", "destroy", "backup", "restore", "drift", "check", "kubeconfig", "deploy"}

// buildBinary builds the provision command for the tests that run it.
func buildBinary(t *testing.T) string {
	t.Helper()
	return testenv.GoBuild(t, "provision", "./cmd/provision")
}

func TestHelp(t *testing.T) {
	bin := buildBinary(t)
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("provision --help: %v\n%s", err, out)
	}
	for _, v := range verbs {
		if !strings.Contains(string(out), "\n"+v+" ") {
			t.Errorf("--help does not list %s:\n%s", v, out)
		}
	}
	for _, want := range []string{"IONOS_TOKEN", "--confirm=production", "--allow-destroy-production", "--lock-timeout", "--backup-dir", "--dir", "workspace named ENV", "TF_WORKSPACE", "--stack", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "an unknown key is refused"} {
		// kingpin wraps the text: compare with single spaces.
		if !strings.Contains(strings.Join(strings.Fields(string(out)), " "), want) {
			t.Errorf("--help lacks %s", want)
		}
	}
	perVerb := map[string][]string{
		"apply":      {"--plan-max-age", "--[no-]check"},
		"destroy":    {"--allow-destroy-production"},
		"backup":     {"--keep=30"},
		"restore":    {"--from=FILE", "--[no-]force"},
		"drift":      {"--textfile-dir"},
		"check":      {"--output=table", "--expect-lan-public", "--kubeconfig=FILE", "--alb-ca-file"},
		"kubeconfig": {"--out", "--[no-]stdout", "--ssh-key", "--known-hosts", "--host-key-fingerprint", "--ssh-port=22"},
		"deploy":     {"--dry-run", "--[no-]force-conflicts", "--[no-]wait", "--timeout"},
	}
	for verb, flags := range perVerb {
		out, err := exec.Command(bin, verb, "--help").CombinedOutput()
		if err != nil {
			t.Errorf("provision %s --help: %v", verb, err)
		}
		if !strings.Contains(string(out), "usage: provision "+verb) {
			t.Errorf("%s --help is not the verb's help:\n%s", verb, out)
		}
		for _, f := range flags {
			if !strings.Contains(string(out), f) {
				t.Errorf("%s --help lacks %s:\n%s", verb, f, out)
			}
		}
	}
}

// The built binary refuses to change production without a terminal or
// --confirm, saying what to add, and exits 1.
func TestBinaryProductionGuard(t *testing.T) {
	bin := buildBinary(t)
	tfBin := testenv.Tool(t, "terraform", "tools")
	root := t.TempDir()
	stack := filepath.Join(root, "stack")
	if err := os.CopyFS(stack, os.DirFS(filepath.Join(testenv.RepoRoot(), "internal", "provision", "testdata", "stack"))); err != nil {
		t.Fatal(err)
	}
	tfrc := filepath.Join(root, "tfrc")
	os.WriteFile(tfrc, nil, 0o644)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "TF_CLI_CONFIG_FILE=" + tfrc}
	runBin := func(args ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"--dir", stack, "--plan-dir", filepath.Join(root, "plans"), "--backup-dir", filepath.Join(root, "backups"), "--terraform", tfBin}, args...)...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader("production\n") // not a terminal: never read
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), 0
	}
	if out, code := runBin("plan", "production"); code != 0 {
		t.Fatalf("plan production: exit %d\n%s", code, out)
	}
	out, code := runBin("apply", "--no-check", "production")
	if code != 1 || !strings.Contains(out, "add --confirm=production") {
		t.Fatalf("apply production without confirmation: exit %d\n%s", code, out)
	}
	out, code = runBin("destroy", "--confirm=production", "production")
	if code != 1 || !strings.Contains(out, "--allow-destroy-production") {
		t.Fatalf("destroy production without --allow-destroy-production: exit %d\n%s", code, out)
	}
	if out, code := runBin("apply", "--no-check", "--confirm=production", "production"); code != 0 {
		t.Fatalf("confirmed apply: exit %d\n%s", code, out)
	}
	// drift exits 2 when it finds drift.
	os.WriteFile(filepath.Join(stack, "external", "production.txt"), []byte("edited\n"), 0o644)
	out, code = runBin("drift", "--textfile-dir", filepath.Join(root, "textfiles"), "production")
	if code != exitDrift || !strings.Contains(out, "terraform_data.external") {
		t.Fatalf("drift: exit %d, want %d\n%s", code, exitDrift, out)
	}
}

func TestRunUsageErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"plan"}, nil, false, &out, &errOut); code != exitError {
		t.Errorf("plan without ENV: exit %d", code)
	}
	if !strings.Contains(errOut.String(), "required argument 'env' not provided") {
		t.Errorf("stderr: %q", errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"frobnicate"}, nil, false, &out, &errOut); code != exitError {
		t.Errorf("unknown verb: exit %d", code)
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"check", "--output", "yaml", "dev"}, nil, false, &out, &errOut); code != exitError {
		t.Errorf("bad --output: exit %d", code)
	}
}
