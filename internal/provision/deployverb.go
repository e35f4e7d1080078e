package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigil-monitoring/vigil/internal/provision/deploy"
)

// DeployOptions are deploy's own settings.
type DeployOptions struct {
	// Overlay is the kustomize directory (default deploy/overlays/ENV).
	Overlay string
	// Kubeconfig is a kubeconfig file; "" reads k8s_kubeconfig from the
	// IONOS stack's outputs, or the file `provision kubeconfig` wrote for
	// the AWS stack (.vigil/ENV.kubeconfig).
	Kubeconfig string
	// RestConfig, when set, is used instead of any kubeconfig (tests).
	RestConfig *rest.Config
	// DryRunServer is --dry-run=server: validated by the API server, not stored.
	DryRunServer bool
	// ForceConflicts takes over fields owned by other field managers.
	ForceConflicts bool
	// Wait for Deployments to roll out, up to Timeout.
	Wait    bool
	Timeout time.Duration
	// Poll is the rollout polling interval (0 = 2 s).
	Poll time.Duration
}

// Deploy builds the environment's kustomize overlay and applies it with
// server-side apply (field manager vigil-provision), then waits for rollout.
// Changing production needs the guard's confirmation; a server dry run does not.
func Deploy(ctx context.Context, o Options, d DeployOptions) (err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	if err := o.checkEnv(); err != nil {
		return err
	}
	overlay := d.Overlay
	if overlay == "" {
		overlay = filepath.Join("deploy", "overlays", o.Env)
	}
	if _, err := os.Stat(filepath.Join(overlay, "kustomization.yaml")); err != nil {
		return fmt.Errorf("no kustomize overlay for %s at %s: pass --overlay DIR", o.Env, overlay)
	}
	objs, err := deploy.Build(overlay)
	if err != nil {
		return err
	}
	if !d.DryRunServer {
		if err := o.confirm("deploy to", false); err != nil {
			return err
		}
	}
	cfg, err := o.restConfig(ctx, d)
	if err != nil {
		return err
	}
	err = deploy.Apply(ctx, cfg, objs, deploy.Options{
		DryRun: d.DryRunServer, Force: d.ForceConflicts,
		Wait: d.Wait, Timeout: d.Timeout, Poll: d.Poll,
	}, o.Stdout)
	if err != nil {
		return fmt.Errorf("deploying %s to %s: %w", overlay, o.Env, err)
	}
	fmt.Fprintf(o.Stdout, "Deployed %d objects from %s to %s.\n", len(objs), overlay, o.Env)
	return nil
}

func (o *Options) restConfig(ctx context.Context, d DeployOptions) (*rest.Config, error) {
	if d.RestConfig != nil {
		return d.RestConfig, nil
	}
	if d.Kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", d.Kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("--kubeconfig %s: %w", d.Kubeconfig, err)
		}
		return cfg, nil
	}
	if o.stack() == StackAWS {
		// Reading it needs SSH and the host key: `provision kubeconfig`
		// does that once and writes the file.
		path := defaultKubeconfigPath(o.Env)
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return nil, fmt.Errorf("no kubeconfig for %s at %s: run `provision kubeconfig %s` first, or pass --kubeconfig (%w)", o.Env, path, o.Env, err)
		}
		return cfg, nil
	}
	r, err := o.setup(ctx, false)
	if err != nil {
		return nil, err
	}
	if err := r.Init(ctx, o.Env); err != nil {
		return nil, err
	}
	if err := o.useWorkspace(ctx, r, false); err != nil {
		return nil, err
	}
	outs, err := outputs(ctx, r)
	if err != nil {
		return nil, err
	}
	kc, err := o.ops().kubeconfig(ctx, *o, outs, KubeconfigOptions{})
	if err != nil {
		return nil, fmt.Errorf("finding the cluster (or pass --kubeconfig): %w", err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		return nil, fmt.Errorf("output k8s_kubeconfig is not a usable kubeconfig (or pass --kubeconfig)")
	}
	return cfg, nil
}
