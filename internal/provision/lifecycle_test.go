package provision

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-monitoring/vigil/internal/provision/backup"
	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

func TestPlanThenApplySavedPlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")

	sum, err := Plan(ctx(t), s.opts)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, s.out)
	}
	if sum.Add != 3 || sum.Change != 0 || sum.Destroy != 0 {
		t.Fatalf("summary = %+v, want 3 to add", sum)
	}
	out := s.out.String()
	for _, want := range []string{"Plan: 3 to add, 0 to change, 0 to destroy.", "create terraform_data.cluster", "provision apply dev"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	planFile, _ := s.opts.PlanFile()
	if _, err := os.Stat(planFile); err != nil {
		t.Fatalf("plan not saved: %v", err)
	}
	if got := s.resources(); len(got) != 0 {
		t.Fatalf("plan changed the state: %v", got)
	}

	// The tfvars change after the plan: apply must apply the saved plan,
	// not a new one (node_count stays 2 in the state).
	s.setVar("dev", "node_count", "7")
	if err := Apply(ctx(t), s.opts, ApplyOptions{}); err != nil {
		t.Fatalf("apply: %v\n%s", err, s.out)
	}
	got := s.resources()
	slices.Sort(got)
	want := []string{"terraform_data.cluster", "terraform_data.external", "terraform_data.registry"}
	if !slices.Equal(got, want) {
		t.Fatalf("resources after apply = %v, want %v", got, want)
	}
	if nodeCount(s) != "2" {
		t.Errorf("apply did not apply the saved plan (node_count 2):\n%s", s.terraformIn("dev", "state", "show", "terraform_data.cluster"))
	}
	if _, err := os.Stat(planFile); !os.IsNotExist(err) {
		t.Errorf("the applied plan should be removed, stat: %v", err)
	}

	// A second apply has no plan to apply.
	if err := Apply(ctx(t), s.opts, ApplyOptions{}); !errors.Is(err, ErrNoPlan) {
		t.Fatalf("second apply: err = %v, want ErrNoPlan", err)
	}
	// The next plan shows the tfvars change.
	sum, err = Plan(ctx(t), s.opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Change != 1 || sum.Add != 0 || sum.Destroy != 0 {
		t.Fatalf("plan after tfvars change = %+v, want 1 change", sum)
	}
}

func TestApplyRefusesMissingPlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	err := Apply(ctx(t), s.opts, ApplyOptions{})
	if !errors.Is(err, ErrNoPlan) {
		t.Fatalf("err = %v, want ErrNoPlan", err)
	}
	if !strings.Contains(err.Error(), "provision plan dev") {
		t.Errorf("error does not say what to run: %v", err)
	}
	if got := s.resources(); len(got) != 0 {
		t.Fatalf("apply without plan changed the state: %v", got)
	}
}

func TestApplyRefusesStalePlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatal(err)
	}
	// Someone else plans and applies in the meantime (another plan dir).
	other := s.opts
	other.PlanDir = filepath.Join(s.root, "other-plans")
	if _, err := Plan(ctx(t), other); err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx(t), other, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	before := s.state()["serial"]

	err := Apply(ctx(t), s.opts, ApplyOptions{})
	if !errors.Is(err, tf.ErrStalePlan) {
		t.Fatalf("err = %v, want ErrStalePlan", err)
	}
	if !strings.Contains(err.Error(), "provision plan dev") {
		t.Errorf("error does not say what to do: %v", err)
	}
	if after := s.state()["serial"]; after != before {
		t.Errorf("stale apply changed the state serial %v -> %v", before, after)
	}
}

func TestApplyRefusesOldPlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatal(err)
	}
	o := s.opts
	o.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	err := Apply(ctx(t), o, ApplyOptions{MaxAge: time.Hour})
	if err == nil || !strings.Contains(err.Error(), "--plan-max-age=1h0m0s") {
		t.Fatalf("err = %v, want a refusal naming --plan-max-age", err)
	}
	if got := s.resources(); len(got) != 0 {
		t.Fatalf("refused apply changed the state: %v", got)
	}
	// Within the limit the same plan applies.
	if err := Apply(ctx(t), o, ApplyOptions{MaxAge: 3 * time.Hour}); err != nil {
		t.Fatalf("apply within max age: %v", err)
	}
}

func TestBackupKeepsNewest(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	// Never planned: no workspace, so no state to back up (and backup, a
	// read-only verb, does not create one).
	if p, err := Backup(ctx(t), s.opts, 3); !errors.Is(err, ErrNoState) || p != "" {
		t.Fatalf("backup of no state = %q, %v; want ErrNoState", p, err)
	}
	s.applied()
	lineage := s.state()["lineage"].(string)
	first, err := backup.List(s.opts.BackupDir)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var made []string
	for i := range 5 {
		o := s.opts
		o.Now = func() time.Time { return base.Add(time.Duration(i) * time.Minute) }
		p, err := Backup(ctx(t), o, 3)
		if err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		made = append(made, p)
	}
	got, err := backup.List(s.opts.BackupDir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, made[2:]) {
		t.Fatalf("kept backups = %v, want the 3 newest %v (apply's own backups were %v)", got, made[2:], first)
	}
	for _, p := range got {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", p, fi.Mode().Perm())
		}
		data, _ := os.ReadFile(p)
		m, err := backup.ParseMeta(data)
		if err != nil || m.Lineage != lineage {
			t.Errorf("%s: meta %+v, %v; want lineage %s", p, m, err, lineage)
		}
	}
	if _, err := Backup(ctx(t), s.opts, 0); err == nil || !strings.Contains(err.Error(), "--keep") {
		t.Errorf("keep 0: err = %v, want a refusal naming --keep", err)
	}
	if after, _ := backup.List(s.opts.BackupDir); !slices.Equal(after, got) {
		t.Errorf("a refused backup changed the backups: %v", after)
	}
}

func TestRestore(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	s.applied()
	saved, err := Backup(ctx(t), s.opts, 30)
	if err != nil {
		t.Fatal(err)
	}
	// The stack moves on: node_count 5.
	s.setVar("dev", "node_count", "5")
	s.applied()
	if nodeCount(s) != "5" {
		t.Fatal("setup: node_count 5 not applied")
	}
	serialBefore := s.state()["serial"].(float64)
	nBefore, _ := backup.List(s.opts.BackupDir)

	if err := Restore(ctx(t), s.opts, RestoreOptions{From: saved}); err != nil {
		t.Fatalf("restore: %v\n%s", err, s.out)
	}
	if nodeCount(s) != "2" {
		t.Errorf("restored state does not hold node_count 2:\n%s", s.terraformIn("dev", "state", "show", "terraform_data.cluster"))
	}
	st := s.state()
	if st["serial"].(float64) <= serialBefore {
		t.Errorf("restored serial %v not above the replaced %v", st["serial"], serialBefore)
	}
	nAfter, _ := backup.List(s.opts.BackupDir)
	if len(nAfter) != len(nBefore)+1 {
		t.Errorf("restore did not back the current state up first: %d backups before, %d after", len(nBefore), len(nAfter))
	}
	// The state now differs from the tfvars (5): plan sees it.
	sum, err := Plan(ctx(t), s.opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Change != 1 {
		t.Errorf("plan after restore = %+v, want 1 change", sum)
	}
}

func TestRestoreRefusesOtherLineage(t *testing.T) {
	t.Parallel()
	a := newStack(t, "dev")
	a.applied()
	b := newStack(t, "dev")
	b.applied()
	foreign, err := Backup(ctx(t), b.opts, 30)
	if err != nil {
		t.Fatal(err)
	}
	lineageA := a.state()["lineage"]
	lineageB := b.state()["lineage"]
	if lineageA == lineageB {
		t.Fatal("setup: two stacks share a lineage")
	}

	err = Restore(ctx(t), a.opts, RestoreOptions{From: foreign})
	if !errors.Is(err, ErrLineage) {
		t.Fatalf("err = %v, want ErrLineage", err)
	}
	if !strings.Contains(err.Error(), "--force") {
		t.Errorf("refusal does not name --force: %v", err)
	}
	if got := a.state()["lineage"]; got != lineageA {
		t.Fatalf("refused restore changed the lineage to %v", got)
	}

	if err := Restore(ctx(t), a.opts, RestoreOptions{From: foreign, Force: true}); err != nil {
		t.Fatalf("forced restore: %v", err)
	}
	if got := a.state()["lineage"]; got != lineageB {
		t.Fatalf("forced restore: lineage %v, want %v", got, lineageB)
	}
}

func TestRestoreRefusesGarbage(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	bad := filepath.Join(s.root, "bad.tfstate")
	os.WriteFile(bad, []byte("not json"), 0o600)
	err := Restore(ctx(t), s.opts, RestoreOptions{From: bad})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("err = %v, want one naming %s", err, bad)
	}
}

func TestDestroy(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	s.applied()
	nBefore, _ := backup.List(s.opts.BackupDir)

	// No terminal and no --confirm: refused.
	err := Destroy(ctx(t), s.opts)
	if !errors.Is(err, ErrNotConfirmed) || !strings.Contains(err.Error(), "--confirm=dev") {
		t.Fatalf("err = %v, want a refusal naming --confirm=dev", err)
	}
	// A wrong name typed at the terminal: refused.
	o := s.opts
	o.Prompt = Prompt{In: strings.NewReader("staging\n"), Terminal: true}
	if err := Destroy(ctx(t), o); !errors.Is(err, ErrNotConfirmed) {
		t.Fatalf("wrong name typed: err = %v", err)
	}
	if len(s.resources()) != 3 {
		t.Fatalf("refused destroy changed the state: %v", s.resources())
	}
	// The right name typed: destroyed, after a backup.
	o.Prompt = Prompt{In: strings.NewReader("dev\n"), Terminal: true}
	if err := Destroy(ctx(t), o); err != nil {
		t.Fatalf("destroy: %v\n%s", err, s.out)
	}
	if got := s.resources(); len(got) != 0 {
		t.Fatalf("resources after destroy: %v", got)
	}
	nAfter, _ := backup.List(s.opts.BackupDir)
	if len(nAfter) != len(nBefore)+1 {
		t.Errorf("destroy did not back the state up first: %d -> %d backups", len(nBefore), len(nAfter))
	}
	if !strings.Contains(s.err.String(), "Type the environment name") {
		t.Errorf("no prompt shown on stderr: %q", s.err.String())
	}
	// The emptied workspace is deleted; its last state is in the backup.
	if ws := s.workspaces(); slices.Contains(ws, "dev") {
		t.Errorf("workspace dev left behind after destroy: %v", ws)
	}
	last := nAfter[len(nAfter)-1]
	if b := mustRead(t, last); !strings.Contains(b, "terraform_data") {
		t.Errorf("the backup taken before destroy (%s) does not hold the resources", last)
	}
	// The environment starts afresh.
	sum, err := Plan(ctx(t), s.opts)
	if err != nil || sum.Add != 3 {
		t.Fatalf("plan after destroy = %+v, %v; want 3 to add in a new workspace", sum, err)
	}
}

func TestUnknownEnvironment(t *testing.T) {
	t.Parallel()
	s := newStack(t, "uat")
	_, err := Plan(ctx(t), s.opts)
	if err == nil || !strings.Contains(err.Error(), filepath.Join("environments", "uat.tfvars")) {
		t.Fatalf("err = %v, want one naming environments/uat.tfvars", err)
	}
	o := s.opts
	o.Env = "../prod"
	if _, err := Plan(ctx(t), o); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("err = %v, want an invalid name error", err)
	}
}

var nodeCountRe = regexp.MustCompile(`node_count\s*=\s*(\d+)`)

// nodeCount reads the node_count the state holds for terraform_data.cluster.
func nodeCount(s *stack) string {
	m := nodeCountRe.FindStringSubmatch(s.terraformIn(s.opts.Env, "state", "show", "-no-color", "terraform_data.cluster"))
	if m == nil {
		s.t.Fatal("no node_count in the state")
	}
	return m[1]
}

// TestRestoreRefusesAFailedWrite makes writing the state to push fail half
// way (a full disk): restore must stop with that error and leave the state
// alone, never push the truncated file. Not parallel: it swaps writeState.
func TestRestoreRefusesAFailedWrite(t *testing.T) {
	s := newStack(t, "dev")
	s.applied()
	saved, err := Backup(ctx(t), s.opts, 30)
	if err != nil {
		t.Fatal(err)
	}
	s.setVar("dev", "node_count", "5")
	s.applied()
	before := s.state()

	orig := writeState
	t.Cleanup(func() { writeState = orig })
	writeState = func(w io.Writer, state []byte) error {
		if _, err := w.Write(state[:len(state)/2]); err != nil {
			return err
		}
		return syscall.ENOSPC
	}
	err = Restore(ctx(t), s.opts, RestoreOptions{From: saved})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "nothing was restored") {
		t.Fatalf("restore with a failing write: err = %v, want the write's ENOSPC and \"nothing was restored\"\n%s", err, s.err)
	}
	after := s.state()
	if after["serial"] != before["serial"] || after["lineage"] != before["lineage"] || nodeCount(s) != "5" {
		t.Fatalf("a restore whose write failed changed the state: serial %v -> %v, node_count %s", before["serial"], after["serial"], nodeCount(s))
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(saved), ".restore-*"))
	if len(left) > 0 {
		t.Errorf("temporary restore files left behind: %v", left)
	}
}
