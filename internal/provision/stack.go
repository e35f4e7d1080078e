package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// provision drives two Terraform stacks with one code path: plan, apply,
// destroy, backup, restore and drift are the same terraform commands for
// both, with the same guard, backups and lock reports. What differs is
// behind stackOps: how the cluster's kubeconfig is obtained and what
// `check` looks at.

// Stacks.
const (
	// StackIONOS is terraform/ionos: IONOS Managed Kubernetes.
	StackIONOS = "ionos"
	// StackAWS is terraform/aws: K3s on EC2 with RDS, S3, SQS, ALB and WAF.
	StackAWS = "aws"
)

// Stacks lists the stacks provision knows.
var Stacks = []string{StackIONOS, StackAWS}

// stackOps is what a stack does its own way.
type stackOps interface {
	// check runs the stack's checks on the workspace's outputs.
	check(ctx context.Context, o Options, r *tf.Runner, outs map[string]json.RawMessage, c CheckOptions) error
	// kubeconfig returns the cluster's kubeconfig.
	kubeconfig(ctx context.Context, o Options, outs map[string]json.RawMessage, k KubeconfigOptions) ([]byte, error)
}

// stackProvider is the provider that tells each stack's root module apart.
var stackProvider = map[string]string{
	StackIONOS: "ionos-cloud/ionoscloud",
	StackAWS:   "hashicorp/aws",
}

// detectStack names the stack whose provider dir's root module requires,
// or "" (a stack of neither, such as the tests' provider-free fixture).
func detectStack(dir string) string {
	providers := stackProviders(dir)
	for _, s := range Stacks {
		if slices.Contains(providers, stackProvider[s]) {
			return s
		}
	}
	return ""
}

// stack is --stack, else what --dir's providers say, else ionos (the stack
// provision knew first, so existing commands keep their meaning).
func (o *Options) stack() string {
	if o.Stack != "" {
		return o.Stack
	}
	if o.Dir != "" {
		if s := detectStack(o.Dir); s != "" {
			return s
		}
	}
	return StackIONOS
}

// checkStack refuses an unknown --stack, and a --stack that contradicts
// the root module in --dir (which would run the wrong checks).
func (o *Options) checkStack() error {
	if o.Stack != "" && !slices.Contains(Stacks, o.Stack) {
		return fmt.Errorf("--stack %q is not a stack provision knows: use %s", o.Stack, strings.Join(Stacks, " or "))
	}
	if o.Stack == "" || o.Dir == "" {
		return nil
	}
	if got := detectStack(o.Dir); got != "" && got != o.Stack {
		return fmt.Errorf("--stack %s, but %s is the %s stack (its root module requires %s): drop --stack or --dir, or point --dir at terraform/%s",
			o.Stack, o.Dir, got, stackProvider[got], o.Stack)
	}
	return nil
}

func (o *Options) ops() stackOps {
	if o.stack() == StackAWS {
		return awsStack{}
	}
	return ionosStack{}
}

// outputs reads the workspace's outputs as name to JSON value.
func outputs(ctx context.Context, r *tf.Runner) (map[string]json.RawMessage, error) {
	outs, err := r.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]json.RawMessage, len(outs))
	for k, v := range outs {
		m[k] = v.Value
	}
	return m, nil
}

// defaultKubeconfigPath is where `provision kubeconfig ENV` writes.
func defaultKubeconfigPath(env string) string {
	return filepath.Join(".vigil", env+".kubeconfig")
}

// readIfExists returns a file's content, or nil when it does not exist.
func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	return b, err
}
