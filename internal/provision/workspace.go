package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// Every environment has its own Terraform workspace, named after it, and so
// its own state: with the local backend terraform.tfstate.d/ENV/, with the
// S3 backend a key under workspace_key_prefix. Without this, all
// environments of one --dir would share one state, and `provision apply
// production` would act on what `provision plan dev` planned against.

// DefaultWorkspace is terraform's own workspace. provision never uses it: it
// holds the one shared state of the time before every environment had its
// own workspace.
const DefaultWorkspace = "default"

// ErrNoState says the environment's workspace does not exist: nothing was
// ever planned and applied for it.
var ErrNoState = errors.New("no state")

// ErrDefaultState says the default workspace holds resources, so a new
// environment workspace is refused until that state is moved.
var ErrDefaultState = errors.New("the default workspace holds a state")

// useWorkspace selects the environment's workspace, after init. With create
// it makes the workspace when it does not exist; without, a missing
// workspace is ErrNoState.
func (o *Options) useWorkspace(ctx context.Context, r *tf.Runner, create bool) error {
	list, current, err := r.TF.WorkspaceList(ctx)
	if err != nil {
		return tf.Translate("terraform workspace list", err)
	}
	switch {
	case slices.Contains(list, o.Env) && current == o.Env:
		// workspace list's "*" is terraform's own report of the selected
		// workspace, from the same place `workspace show` reads it: asking
		// again would start terraform once more per verb for the same
		// answer.
		return nil
	case slices.Contains(list, o.Env):
		if err := r.TF.WorkspaceSelect(ctx, o.Env); err != nil {
			return tf.Translate("terraform workspace select "+o.Env, err)
		}
	case !create:
		return fmt.Errorf("%w for %s yet: run `provision plan %s` and `provision apply %s` first (terraform workspace %q does not exist in %s)",
			ErrNoState, o.Env, o.Env, o.Env, o.Env, r.Dir)
	default:
		if err := o.refuseDefaultState(ctx, r, current); err != nil {
			return err
		}
		var opts []tfexec.WorkspaceNewCmdOption
		if r.LockTimeout != "" {
			opts = append(opts, tfexec.LockTimeout(r.LockTimeout))
		}
		if err := r.TF.WorkspaceNew(ctx, o.Env, opts...); err != nil {
			return tf.Translate("terraform workspace new "+o.Env, err)
		}
		fmt.Fprintf(o.Stderr, "Created terraform workspace %q: environment %s has its own state.\n", o.Env, o.Env)
	}
	// Never act on a state without knowing it is the environment's own:
	// after select or new, ask terraform which workspace it now uses.
	got, err := r.TF.WorkspaceShow(ctx)
	if err != nil {
		return tf.Translate("terraform workspace show", err)
	}
	if got != o.Env {
		return fmt.Errorf("terraform reports workspace %q after selecting %q: refusing to touch a state that is not %s's (is another provision running in %s?)", got, o.Env, o.Env, r.Dir)
	}
	return nil
}

// deleteWorkspace deletes the (empty) workspace of env, selecting the
// default one first: terraform cannot delete the selected workspace.
func deleteWorkspace(ctx context.Context, r *tf.Runner, env string) error {
	if err := r.TF.WorkspaceSelect(ctx, DefaultWorkspace); err != nil {
		return tf.Translate("terraform workspace select default", err)
	}
	var opts []tfexec.WorkspaceDeleteCmdOption
	if r.LockTimeout != "" {
		opts = append(opts, tfexec.LockTimeout(r.LockTimeout))
	}
	return tf.Translate("terraform workspace delete "+env, r.TF.WorkspaceDelete(ctx, env, opts...))
}

// refuseDefaultState refuses to create an environment's first workspace when
// the default workspace holds resources: that is a state from before every
// environment had its own workspace, of one unknown environment, and starting
// that environment afresh would plan to create everything a second time.
func (o *Options) refuseDefaultState(ctx context.Context, r *tf.Runner, current string) error {
	if current != DefaultWorkspace {
		if err := r.TF.WorkspaceSelect(ctx, DefaultWorkspace); err != nil {
			return tf.Translate("terraform workspace select default", err)
		}
	}
	state, err := r.StatePull(ctx)
	if err != nil {
		return err
	}
	if state == "" {
		return nil
	}
	var s struct {
		Lineage   string            `json:"lineage"`
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal([]byte(state), &s); err != nil {
		return fmt.Errorf("the state of the default workspace is not Terraform state JSON: %w", err)
	}
	if len(s.Resources) == 0 {
		return nil
	}
	return fmt.Errorf("%w with %d resource(s) (lineage %s) in %s: provision keeps every environment in its own workspace and never uses the default one, "+
		"so this state is from before that and belongs to one environment. Nothing was changed. Move it into that environment's workspace, in %s:\n"+
		"  export TF_DATA_DIR=%s   # provision's working data for this environment\n"+
		"  terraform workspace select default\n"+
		"  terraform state pull > ENV-from-default.tfstate\n"+
		"  terraform workspace new -state=ENV-from-default.tfstate ENV\n"+
		"then empty the default workspace (local backend: move terraform.tfstate away; other backends: `terraform state rm` every address of `terraform state list` in the default workspace; this destroys nothing), and run provision again",
		ErrDefaultState, len(s.Resources), s.Lineage, r.Dir, r.Dir, r.DataDir)
}
