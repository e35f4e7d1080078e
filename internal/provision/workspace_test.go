package provision

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/provision/backup"
)

// Every environment of one --dir has its own workspace and state, even with
// a stray TF_WORKSPACE=dev in the caller's environment.
func TestEnvironmentsHaveOwnState(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	s.applied()
	devBefore := s.stateOf("dev")

	prod := s.opts
	prod.Env = Production
	prod.Confirm = Production
	prod.AllowDestroyProduction = false
	prod.BackupDir = filepath.Join(s.root, "backups", Production)
	prod.Environ = append(slices.Clip(s.opts.Environ), "TF_WORKSPACE=dev")
	sum, err := Plan(ctx(t), prod)
	if err != nil {
		t.Fatalf("plan production: %v\n%s", err, s.err)
	}
	if sum.Add != 3 || sum.Change != 0 || sum.Destroy != 0 {
		t.Fatalf("production plan after dev = %+v: want everything to add (its own, empty state)", sum)
	}
	if err := Apply(ctx(t), prod, ApplyOptions{}); err != nil {
		t.Fatalf("apply production: %v\n%s", err, s.err)
	}
	devAfter := s.stateOf("dev")
	if devAfter["lineage"] != devBefore["lineage"] || devAfter["serial"] != devBefore["serial"] {
		t.Fatalf("apply production touched dev's state: lineage/serial %v/%v -> %v/%v",
			devBefore["lineage"], devBefore["serial"], devAfter["lineage"], devAfter["serial"])
	}
	if got := s.resourcesOf(Production); len(got) != 3 {
		t.Fatalf("production resources = %v, want 3", got)
	}
	if !strings.Contains(s.terraformIn(Production, "state", "show", "-no-color", "terraform_data.cluster"), `"production"`) {
		t.Error("production's workspace does not hold production's resources")
	}

	// Backups of the two have different lineages.
	devBackup, err := Backup(ctx(t), s.opts, 30)
	if err != nil {
		t.Fatal(err)
	}
	prodBackup, err := Backup(ctx(t), prod, 30)
	if err != nil {
		t.Fatal(err)
	}
	mDev, mProd := readMeta(t, devBackup), readMeta(t, prodBackup)
	if mDev.Lineage == mProd.Lineage {
		t.Fatalf("dev and production backups share lineage %s", mDev.Lineage)
	}

	// A dev backup is refused as production's state, unless forced.
	if err := Restore(ctx(t), prod, RestoreOptions{From: devBackup}); !errors.Is(err, ErrLineage) {
		t.Fatalf("restore dev backup into production: err = %v, want ErrLineage", err)
	}
	if got := s.stateOf(Production)["lineage"]; got != mProd.Lineage {
		t.Fatalf("refused restore changed production's lineage to %v", got)
	}

	// A plan made for dev, put where production's plan goes, is refused.
	prodSerial := s.stateOf(Production)["serial"]
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatal(err)
	}
	devPlan, _ := s.opts.PlanFile()
	prodPlan, _ := prod.PlanFile()
	copyFile(t, devPlan, prodPlan)
	copyFile(t, devPlan+".meta", prodPlan+".meta")
	err = Apply(ctx(t), prod, ApplyOptions{})
	if !errors.Is(err, ErrPlanMismatch) || !strings.Contains(err.Error(), `made for workspace "dev"`) {
		t.Fatalf("apply of dev's plan to production: err = %v, want ErrPlanMismatch naming workspace dev", err)
	}
	// Without its record, or with another plan's record, it is refused too.
	os.Remove(prodPlan + ".meta")
	if err := Apply(ctx(t), prod, ApplyOptions{}); !errors.Is(err, ErrPlanMismatch) {
		t.Fatalf("apply of a plan without record: err = %v, want ErrPlanMismatch", err)
	}
	if _, err := Plan(ctx(t), prod); err != nil {
		t.Fatal(err)
	}
	copyFile(t, devPlan, prodPlan)
	if err := Apply(ctx(t), prod, ApplyOptions{}); !errors.Is(err, ErrPlanMismatch) || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("apply of a swapped plan file: err = %v, want ErrPlanMismatch naming the SHA-256", err)
	}
	if got := s.stateOf(Production)["serial"]; got != prodSerial {
		t.Fatalf("refused applies changed production's serial %v -> %v", prodSerial, got)
	}

	// Destroying dev leaves production's state intact.
	prodState := s.stateOf(Production)
	o := s.opts
	o.Confirm = "dev"
	if err := Destroy(ctx(t), o); err != nil {
		t.Fatalf("destroy dev: %v\n%s", err, s.err)
	}
	if got := s.resourcesOf("dev"); len(got) != 0 {
		t.Fatalf("dev resources after destroy: %v", got)
	}
	after := s.stateOf(Production)
	if got := s.resourcesOf(Production); len(got) != 3 || after["serial"] != prodState["serial"] || after["lineage"] != prodState["lineage"] {
		t.Fatalf("destroy dev changed production: resources %v, serial %v -> %v", got, prodState["serial"], after["serial"])
	}
}

// Verbs that only read, or act on an existing state, never create an
// environment's workspace: without one they say what to run first.
func TestVerbsWithoutStateSayWhatToRun(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	o := s.opts
	o.Confirm = "dev"
	verbs := map[string]func() error{
		"backup": func() error { _, err := Backup(ctx(t), o, 3); return err },
		"check":  func() error { return Check(ctx(t), o, CheckOptions{}) },
		"kubeconfig": func() error {
			_, err := Kubeconfig(ctx(t), o, KubeconfigOptions{Out: filepath.Join(s.root, "kc")})
			return err
		},
		"drift":   func() error { _, err := Drift(ctx(t), o, DriftOptions{}); return err },
		"destroy": func() error { return Destroy(ctx(t), o) },
	}
	want := "no state for dev yet: run `provision plan dev` and `provision apply dev` first"
	for name, run := range verbs {
		err := run()
		if !errors.Is(err, ErrNoState) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
	if ws := s.workspaces(); slices.Contains(ws, "dev") {
		t.Fatalf("a verb without state created workspace dev: %v", ws)
	}
	if _, err := os.Stat(filepath.Join(s.root, "kc")); !os.IsNotExist(err) {
		t.Errorf("kubeconfig written without state: %v", err)
	}
	o.Env = DefaultWorkspace
	if _, err := Plan(ctx(t), o); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("environment named default: err = %v, want a refusal", err)
	}
}

// A state left in the default workspace (from before every environment had
// its own) stops the creation of a workspace until it is moved, as told.
func TestDefaultWorkspaceStateIsNotForgotten(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	s.terraform("init", "-input=false", "-no-color")
	s.terraform("apply", "-auto-approve", "-input=false", "-no-color", "-var-file="+filepath.Join("environments", "dev.tfvars"))

	_, err := Plan(ctx(t), s.opts)
	if !errors.Is(err, ErrDefaultState) || !strings.Contains(err.Error(), "terraform workspace new -state=") {
		t.Fatalf("plan with a default-workspace state: err = %v, want ErrDefaultState with what to do", err)
	}
	if slices.Contains(s.workspaces(), "dev") {
		t.Fatal("the refused plan created workspace dev")
	}
	// Follow the instructions: move the state into dev's workspace.
	moved := filepath.Join(s.root, "dev-from-default.tfstate")
	if err := os.WriteFile(moved, []byte(s.terraformIn("default", "state", "pull")), 0o600); err != nil {
		t.Fatal(err)
	}
	s.terraform("workspace", "new", "-state="+moved, "dev")
	if err := os.Rename(filepath.Join(s.dir, "terraform.tfstate"), filepath.Join(s.root, "old.tfstate")); err != nil {
		t.Fatal(err)
	}
	sum, err := Plan(ctx(t), s.opts)
	if err != nil {
		t.Fatalf("plan after moving the state: %v", err)
	}
	if sum.Add+sum.Change+sum.Destroy != 0 {
		t.Fatalf("plan after moving the state = %+v, want no changes", sum)
	}
}

func readMeta(t *testing.T, path string) backup.Meta {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := backup.ParseMeta(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
