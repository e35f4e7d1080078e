package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	driftdoc "github.com/vigil-monitoring/vigil/internal/drift"
)

// TestApplyWritesInProgressWhileTerraformApplies: a resource of the stack
// copies the textfile while terraform applies it, so the test sees what
// the textfile collector would have served mid-apply (1) and after it (0),
// with the same start time in both.
func TestApplyWritesInProgressWhileTerraformApplies(t *testing.T) {
	t.Parallel()
	textfiles := filepath.Join(t.TempDir(), "textfiles")
	seen := filepath.Join(t.TempDir(), "seen.prom")
	metric := filepath.Join(textfiles, driftdoc.ApplyFileName("dev"))
	s := newStack(t, "dev")
	// terraform passes the provisioner only the environment provision
	// allows, so the paths are written into the resource itself.
	observe := `resource "terraform_data" "observe_apply" {
  provisioner "local-exec" {
    command = "cp '` + metric + `' '` + seen + `'"
  }
}
`
	if err := os.WriteFile(filepath.Join(s.dir, "observe_apply.tf"), []byte(observe), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatalf("plan: %v\n%s", err, s.out)
	}
	if err := Apply(ctx(t), s.opts, ApplyOptions{TextfileDir: textfiles}); err != nil {
		t.Fatalf("apply: %v\n%s%s", err, s.out, s.err)
	}
	during, err := os.ReadFile(seen)
	if err != nil {
		t.Fatalf("the stack never saw the textfile during apply: %v", err)
	}
	after, err := os.ReadFile(metric)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, text, want string
	}{
		{"during apply", string(during), `vigil_provision_apply_in_progress{environment="dev"} 1`},
		{"after apply", string(after), `vigil_provision_apply_in_progress{environment="dev"} 0`},
	} {
		if !strings.Contains(c.text, c.want+"\n") {
			t.Errorf("%s the textfile lacks %q:\n%s", c.name, c.want, c.text)
		}
	}
	start := func(text string) string {
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, "vigil_provision_apply_started_timestamp_seconds{") {
				return l
			}
		}
		return ""
	}
	if start(string(during)) == "" || start(string(during)) != start(string(after)) {
		t.Errorf("the start time must be written once and kept: during %q, after %q", start(string(during)), start(string(after)))
	}
}

// Without a textfile directory nothing is written.
func TestApplyMetricOffWithoutDir(t *testing.T) {
	done, err := markApply("", Options{Env: "dev"})
	if err != nil || done() != nil {
		t.Fatalf("markApply without a directory: %v", err)
	}
}
