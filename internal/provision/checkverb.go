package provision

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/vigil-monitoring/vigil/internal/provision/check"
	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// CheckOptions are check's own settings.
type CheckOptions struct {
	// Output is "table" (default) or "json".
	Output string
	// ExpectLANPublic overrides lan_public from the environment's tfvars.
	ExpectLANPublic *bool
	// RegistryCAFile is a PEM bundle of CAs to trust for the registry
	// instead of the system roots (a registry behind a private CA).
	RegistryCAFile string
	// RegistryCAs is the same as a pool, for callers in-process (tests).
	RegistryCAs *x509.CertPool
	// Timeout bounds each network check.
	Timeout time.Duration

	// KubeconfigFile is the AWS stack's kubeconfig for the K3s /readyz
	// check ("" = .vigil/ENV.kubeconfig, as `provision kubeconfig` writes).
	KubeconfigFile string
	// ALBCAFile is a PEM bundle of CAs to trust for the ALB's certificate
	// instead of the system roots (AWS stack).
	ALBCAFile string
}

// ErrChecksFailed marks a check run in which something failed.
var ErrChecksFailed = errors.New("external access checks failed")

// Check validates the environment's external access from its outputs and
// prints a table (or JSON); it fails naming every check that failed.
func Check(ctx context.Context, o Options, c CheckOptions) (err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	r, err := o.setup(ctx, false)
	if err != nil {
		return err
	}
	if err := r.Init(ctx, o.Env); err != nil {
		return err
	}
	if err := o.useWorkspace(ctx, r, false); err != nil {
		return err
	}
	return runCheck(ctx, o, r, c)
}

func runCheck(ctx context.Context, o Options, r *tf.Runner, c CheckOptions) error {
	if c.Output == "" {
		c.Output = "table"
	}
	if c.Output != "table" && c.Output != "json" {
		return fmt.Errorf("--output %q: use table or json", c.Output)
	}
	outs, err := outputs(ctx, r)
	if err != nil {
		return err
	}
	return o.ops().check(ctx, o, r, outs, c)
}

// ionosStack is terraform/ionos.
type ionosStack struct{}

func (ionosStack) check(ctx context.Context, o Options, r *tf.Runner, outs map[string]json.RawMessage, c CheckOptions) error {
	in := check.Inputs{Outputs: outs, Timeout: c.Timeout, RegistryCAs: c.RegistryCAs}
	if c.RegistryCAFile != "" {
		pem, err := os.ReadFile(c.RegistryCAFile)
		if err != nil {
			return fmt.Errorf("--registry-ca-file: %w", err)
		}
		if in.RegistryCAs == nil {
			in.RegistryCAs = x509.NewCertPool()
		}
		if !in.RegistryCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--registry-ca-file %s holds no PEM certificate", c.RegistryCAFile)
		}
	}
	switch {
	case c.ExpectLANPublic != nil:
		in.ExpectLANPublic, in.ExpectSource = *c.ExpectLANPublic, "--expect-lan-public"
	default:
		varFile := filepath.Join(r.Dir, tf.VarFile(o.Env))
		v, found, err := tfvarsBool(varFile, "lan_public")
		if err != nil {
			return err
		}
		if found {
			in.ExpectLANPublic, in.ExpectSource = v, "lan_public in "+tf.VarFile(o.Env)
		} else {
			// The stack's nodes are reached from outside through a public LAN.
			in.ExpectLANPublic, in.ExpectSource = true, "default; set lan_public in the tfvars or --expect-lan-public"
		}
	}
	return writeReport(o, c, check.Run(ctx, o.Env, in))
}

// writeReport prints the report as c.Output says and fails naming every
// failed check.
func writeReport(o Options, c CheckOptions, rep check.Report) error {
	var err error
	if c.Output == "json" {
		err = rep.WriteJSON(o.Stdout)
	} else {
		err = rep.WriteTable(o.Stdout)
	}
	if err != nil {
		return fmt.Errorf("writing the check report: %w", err)
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return fmt.Errorf("%w for %s: %s", ErrChecksFailed, o.Env, strings.Join(failed, ", "))
	}
	return nil
}

// tfvarsBool reads `name = true|false` from a tfvars file. The module set has
// no HCL parser, and this one literal is all check needs from the file; a
// value written any other way is reported rather than guessed.
func tfvarsBool(path, name string) (value, found bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, false, fmt.Errorf("reading %s: %w", path, err)
	}
	re := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(name) + `\s*=\s*(.*?)\s*(#.*|//.*)?$`)
	for i, line := range strings.Split(string(data), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch m[1] {
		case "true":
			return true, true, nil
		case "false":
			return false, true, nil
		default:
			return false, false, fmt.Errorf("%s:%d: %s = %s is not a literal true or false: write one, or pass --expect-lan-public", path, i+1, name, m[1])
		}
	}
	return false, false, nil
}
