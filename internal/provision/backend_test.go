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
	// Each in its own backend, in its own workspace there.
	for _, env := range []string{"staging", "qa"} {
		f := filepath.Join("states", env+".d", env, "terraform.tfstate")
		data := mustRead(t, filepath.Join(s.dir, f))
		if !strings.Contains(data, `"environment": "`+env+`"`) {
			t.Errorf("%s does not hold %s's resources", f, env)
		}
	}
	for _, f := range []string{"terraform.tfstate", filepath.Join("states", "staging.tfstate"), filepath.Join("states", "qa.tfstate")} {
		if _, err := os.Stat(filepath.Join(s.dir, f)); !os.IsNotExist(err) {
			t.Fatalf("an environment used a default workspace's state file %s: %v", f, err)
		}
	}
	// Back to staging: its state is intact, nothing to change.
	sum, err = Plan(ctx(t), s.opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Add+sum.Change+sum.Destroy != 0 {
		t.Fatalf("staging plan after qa = %+v, want no changes", sum)
	}

	// dev has no backend file: its state is in the default local backend,
	// in workspace dev. Going back to staging afterwards used to make
	// terraform offer to copy dev's workspace into staging's backend (one
	// shared .terraform, re-initialised with staging's settings); with a data
	// directory per environment staging's settings never changed: its plan
	// runs as before, and neither state changes.
	dev := s.opts
	dev.Env = "dev"
	dev.BackupDir = filepath.Join(s.root, "backups", "dev")
	if _, err := Plan(ctx(t), dev); err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx(t), dev, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	stagingState := filepath.Join(s.dir, "states", "staging.d", "staging", "terraform.tfstate")
	devState := filepath.Join(s.dir, "terraform.tfstate.d", "dev", "terraform.tfstate")
	before, devBefore := mustRead(t, stagingState), mustRead(t, devState)
	if !strings.Contains(devBefore, `"environment": "dev"`) {
		t.Fatalf("dev's state is not in its workspace:\n%s", devBefore)
	}
	sum, err = Plan(ctx(t), s.opts)
	if err != nil || sum.Add+sum.Change+sum.Destroy != 0 {
		t.Fatalf("staging after a local dev state: %+v, %v; want no changes\n%s", sum, err, s.err)
	}
	if mustRead(t, stagingState) != before || mustRead(t, devState) != devBefore {
		t.Fatal("planning staging after dev changed a state")
	}
}
