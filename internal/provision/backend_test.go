package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Environments with environments/ENV.backend.hcl get it as terraform init's
// -backend-config, and switching between them in one directory keeps their
// states apart (init reconfigures, never migrates).
func TestBackendConfigPerEnvironment(t *testing.T) {
	t.Parallel()
	s := newStack(t, "staging")
	s.applied()
	qa := s.opts
	qa.Env = "qa"
	qa.BackupDir = filepath.Join(s.root, "backups", "qa")
	sum, err := Plan(ctx(t), qa)
	if err != nil {
		t.Fatalf("plan qa after staging: %v\n%s", err, s.err)
	}
	if sum.Add != 3 {
		t.Fatalf("qa plan = %+v: it did not start from its own (empty) state", sum)
	}
	if err := Apply(ctx(t), qa, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"staging.tfstate", "qa.tfstate"} {
		data := mustRead(t, filepath.Join(s.dir, "states", f))
		env := strings.TrimSuffix(f, ".tfstate")
		if !strings.Contains(data, `"environment": "`+env+`"`) {
			t.Errorf("states/%s does not hold %s's resources", f, env)
		}
	}
	if _, err := os.Stat(filepath.Join(s.dir, "terraform.tfstate")); !os.IsNotExist(err) {
		t.Fatalf("an environment used the default state file: %v", err)
	}
	// Back to staging: its state is intact, nothing to change.
	sum, err = Plan(ctx(t), s.opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Add+sum.Change+sum.Destroy != 0 {
		t.Fatalf("staging plan after qa = %+v, want no changes", sum)
	}

	// dev has no backend file: its state is the default local file. Going
	// back to staging afterwards would make terraform offer to copy dev's
	// state into staging's backend: refused, with what to do.
	dev := s.opts
	dev.Env = "dev"
	dev.BackupDir = filepath.Join(s.root, "backups", "dev")
	if _, err := Plan(ctx(t), dev); err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx(t), dev, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, filepath.Join(s.dir, "states", "staging.tfstate"))
	_, err = Plan(ctx(t), s.opts)
	if err == nil || !strings.Contains(err.Error(), "never migrates state between environments") {
		t.Fatalf("staging after a local dev state: err = %v", err)
	}
	if after := mustRead(t, filepath.Join(s.dir, "states", "staging.tfstate")); after != before {
		t.Fatal("the refused init changed staging's state")
	}
}
