package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// DefaultPlanMaxAge is how old a saved plan may be for apply.
const DefaultPlanMaxAge = 24 * time.Hour

// Summary counts a plan's changes as terraform's own summary line does (a
// replacement counts as one add and one destroy).
type Summary struct {
	Add, Change, Destroy int
	// Resources lists "ACTION ADDRESS" for every resource that changes.
	Resources []string
}

func (s Summary) String() string {
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy)
}

// Summarize counts the resource changes of a plan.
func Summarize(p *tfjson.Plan) Summary {
	var s Summary
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil {
			continue
		}
		a := rc.Change.Actions
		var what string
		switch {
		case a.Replace():
			s.Add++
			s.Destroy++
			what = "replace"
		case a.Create():
			s.Add++
			what = "create"
		case a.Update():
			s.Change++
			what = "update"
		case a.Delete():
			s.Destroy++
			what = "destroy"
		default:
			continue // no-op and read
		}
		s.Resources = append(s.Resources, what+" "+rc.Address)
	}
	sort.Strings(s.Resources)
	return s
}

func printSummary(w io.Writer, s Summary) {
	for _, r := range s.Resources {
		fmt.Fprintf(w, "  %s\n", r)
	}
	fmt.Fprintln(w, s.String())
}

// Plan runs terraform init and plan for the environment, saves the plan for
// apply, and prints a summary of it.
func Plan(ctx context.Context, o Options) (sum Summary, err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	r, err := o.setup(ctx, true)
	if err != nil {
		return Summary{}, err
	}
	planFile, err := o.PlanFile()
	if err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(filepath.Dir(planFile), 0o700); err != nil {
		return Summary{}, fmt.Errorf("creating plan directory: %w", err)
	}
	// A failed plan must not leave an older plan behind for apply.
	o.removePlan()
	if err := r.Init(ctx, o.Env); err != nil {
		return Summary{}, err
	}
	if err := o.useWorkspace(ctx, r, true); err != nil {
		return Summary{}, err
	}
	prior, _, err := currentState(ctx, r)
	if err != nil {
		return Summary{}, err
	}
	if _, err := r.Plan(ctx, o.Env, planFile, false); err != nil {
		o.removePlan()
		return Summary{}, err
	}
	if err := writePlanMeta(planFile, planMeta{Environment: o.Env, Workspace: o.Env, Lineage: prior.Lineage, Serial: prior.Serial}); err != nil {
		o.removePlan()
		return Summary{}, err
	}
	p, err := r.TF.ShowPlanFile(ctx, planFile)
	if err != nil {
		return Summary{}, tf.Translate("terraform show (of the saved plan)", err)
	}
	sum = Summarize(p)
	fmt.Fprintf(o.Stdout, "\nPlan for %s (terraform workspace %s) saved to %s\n", o.Env, o.Env, planFile)
	printSummary(o.Stdout, sum)
	if sum.Add+sum.Change+sum.Destroy > 0 {
		fmt.Fprintf(o.Stdout, "Apply exactly this plan with: provision apply %s\n", o.Env)
	}
	return sum, nil
}

// ApplyOptions are apply's own settings.
type ApplyOptions struct {
	// MaxAge refuses a saved plan older than this (0 = DefaultPlanMaxAge,
	// negative = no limit).
	MaxAge time.Duration
	// Check runs `check` after a successful apply.
	Check bool
	// CheckOptions are used when Check is set.
	CheckOptions CheckOptions
	// TextfileDir receives vigil_provision_apply_ENV.prom, 1 while
	// terraform applies ("" = none; applymetric.go).
	TextfileDir string
}

// ErrNoPlan says apply found no saved plan.
var ErrNoPlan = errors.New("no saved plan")

// Apply backs the state up and applies exactly the plan saved by the last
// Plan, then (with a.Check) checks external access.
func Apply(ctx context.Context, o Options, a ApplyOptions) (err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	r, err := o.setup(ctx, true)
	if err != nil {
		return err
	}
	planFile, err := o.PlanFile()
	if err != nil {
		return err
	}
	fi, err := os.Stat(planFile)
	if err != nil {
		return fmt.Errorf("%w for %s at %s: run `provision plan %s` first, review it, then apply", ErrNoPlan, o.Env, planFile, o.Env)
	}
	maxAge := a.MaxAge
	if maxAge == 0 {
		maxAge = DefaultPlanMaxAge
	}
	if age := o.now().Sub(fi.ModTime()); maxAge > 0 && age > maxAge {
		return fmt.Errorf("the saved plan %s is %s old, older than --plan-max-age=%s: run `provision plan %s` again and review it",
			planFile, age.Round(time.Second), maxAge, o.Env)
	}
	planned, err := o.checkPlanMeta(planFile)
	if err != nil {
		return err
	}
	if err := o.confirm("apply the saved plan to", false); err != nil {
		return err
	}
	if err := r.Init(ctx, o.Env); err != nil {
		return err
	}
	// plan created the workspace: a missing one means the plan is not for
	// this directory's states, and apply never starts an environment afresh.
	if err := o.useWorkspace(ctx, r, false); err != nil {
		return err
	}
	// terraform checks this too, except for a first plan (made on an empty
	// state), which it applies to any workspace whose state has serial 0.
	cur, state, err := currentState(ctx, r)
	if err != nil {
		return err
	}
	if cur.Lineage != planned.Lineage || cur.Serial != planned.Serial {
		return fmt.Errorf("%w: the plan was made on the state of %s with lineage %q serial %d, the state is now lineage %q serial %d; run `provision plan %s` again, review it, then apply (nothing was applied)",
			tf.ErrStalePlan, o.Env, planned.Lineage, planned.Serial, cur.Lineage, cur.Serial, o.Env)
	}
	if _, err := writeBackup(o, state, 0); err != nil {
		return fmt.Errorf("backing up the state before apply (nothing was applied): %w", err)
	}
	done, err := markApply(a.TextfileDir, o)
	if err != nil {
		return fmt.Errorf("nothing was applied: %w", err)
	}
	err = r.ApplyPlan(ctx, planFile)
	if derr := done(); derr != nil {
		// The apply's outcome matters more; the rule's bound ends the
		// inhibition anyway.
		fmt.Fprintf(o.Stdout, "warning: %v; the node and pod alert inhibition ends by itself within 2 hours of the start\n", derr)
	}
	if err != nil {
		if errors.Is(err, tf.ErrStalePlan) {
			return fmt.Errorf("%w: terraform refused to apply it; run `provision plan %s` again, review it, then apply", err, o.Env)
		}
		return err
	}
	// An applied plan cannot be applied again; removing it keeps the next
	// apply from meeting a stale plan.
	o.removePlan()
	fmt.Fprintf(o.Stdout, "Applied the saved plan to %s (terraform workspace %s).\n", o.Env, o.Env)
	if !a.Check {
		return nil
	}
	if err := runCheck(ctx, o, r, a.CheckOptions); err != nil {
		return fmt.Errorf("the plan was applied, but the check after it failed: %w", err)
	}
	return nil
}

// Destroy backs the state up and destroys everything in the environment,
// after confirmation (production also needs AllowDestroyProduction).
func Destroy(ctx context.Context, o Options) (err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	r, err := o.setup(ctx, true)
	if err != nil {
		return err
	}
	if err := o.confirmDestroy(); err != nil {
		return err
	}
	if err := r.Init(ctx, o.Env); err != nil {
		return err
	}
	if err := o.useWorkspace(ctx, r, false); err != nil {
		return err
	}
	if _, err := backupState(ctx, o, r, 0); err != nil {
		return fmt.Errorf("backing up the state before destroy (nothing was destroyed): %w", err)
	}
	if err := r.Destroy(ctx, o.Env); err != nil {
		return err
	}
	o.removePlan() // it was made against the destroyed state
	// The workspace now holds an empty state; leaving it would make the
	// environment look provisioned to `backup`, `check` and the next
	// `apply`. Its last state with resources is in the backup above.
	if err := deleteWorkspace(ctx, r, o.Env); err != nil {
		return fmt.Errorf("environment %s was destroyed, but its terraform workspace was not deleted: %w (delete it with `export TF_DATA_DIR=%s; terraform workspace select default && terraform workspace delete %s` in %s)", o.Env, err, r.DataDir, o.Env, r.Dir)
	}
	fmt.Fprintf(o.Stdout, "Destroyed environment %s and deleted its terraform workspace %s (the state from before the destroy is in %s).\n", o.Env, o.Env, o.backupDir())
	return nil
}
