package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-monitoring/vigil/internal/provision/check"
)

// KubeconfigOptions are kubeconfig's own settings.
type KubeconfigOptions struct {
	// Out is the file to write (default .vigil/ENV.kubeconfig).
	Out string
	// Stdout prints the kubeconfig instead of writing a file.
	Stdout bool

	// The AWS stack's kubeconfig is read from the K3s server over SSH.
	SSH SSHOptions
}

// kubeconfig reads the IONOS stack's sensitive k8s_kubeconfig output.
func (ionosStack) kubeconfig(_ context.Context, _ Options, outs map[string]json.RawMessage, _ KubeconfigOptions) ([]byte, error) {
	raw, ok := outs[check.OutKubeconfig]
	if !ok {
		return nil, fmt.Errorf("the stack has no %s output: has it been applied?", check.OutKubeconfig)
	}
	var kc string
	if err := json.Unmarshal(raw, &kc); err != nil {
		return nil, fmt.Errorf("output %s is not a string", check.OutKubeconfig)
	}
	if kc == "" {
		return nil, fmt.Errorf("output %s is empty", check.OutKubeconfig)
	}
	return []byte(kc), nil
}

// Kubeconfig writes the cluster's kubeconfig (a sensitive output) to a file
// readable by its owner only; it reaches the terminal only with Stdout.
func Kubeconfig(ctx context.Context, o Options, k KubeconfigOptions) (path string, err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	r, err := o.setup(ctx, false)
	if err != nil {
		return "", err
	}
	if err := r.Init(ctx, o.Env); err != nil {
		return "", err
	}
	if err := o.useWorkspace(ctx, r, false); err != nil {
		return "", err
	}
	outs, err := outputs(ctx, r)
	if err != nil {
		return "", err
	}
	kc, err := o.ops().kubeconfig(ctx, o, outs, k)
	if err != nil {
		return "", err
	}
	if k.Stdout {
		_, err := o.Stdout.Write(kc)
		return "", err
	}
	path = k.Out
	if path == "" {
		path = defaultKubeconfigPath(o.Env)
	}
	if err := writePrivate(path, kc); err != nil {
		return "", fmt.Errorf("writing kubeconfig: %w", err)
	}
	fmt.Fprintf(o.Stdout, "Kubeconfig of %s written to %s (mode 0600). Use it with: export KUBECONFIG=%s\n", o.Env, path, path)
	return path, nil
}

// writePrivate writes data to path with mode 0600 through a temporary file
// in the same directory, so an existing file of wider mode is replaced, not
// rewritten in place, and a reader never sees half a file.
func writePrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
