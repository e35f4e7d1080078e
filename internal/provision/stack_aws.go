package provision

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vigil-monitoring/vigil/internal/provision/awscheck"
	"github.com/vigil-monitoring/vigil/internal/provision/k3s"
	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// awsStack is terraform/aws: K3s on EC2.
type awsStack struct{}

// Output names of the AWS stack read here (awscheck reads the others).
const (
	outControlPlaneIP  = "control_plane_public_ip"
	outSSHUser         = "ssh_user"
	outHostFingerprint = "control_plane_host_key_fingerprint"
	outRegion          = "region"
)

// SSHOptions say how to reach the K3s server and how to trust it.
type SSHOptions struct {
	// Key is the private key of the stack's key pair ("" = ssh-agent).
	Key string
	// KnownHosts is the known_hosts file ("" = the stack's host key
	// fingerprint output if it has one, else ~/.ssh/known_hosts).
	KnownHosts string
	// Fingerprint is the server's host key fingerprint (SHA256:...); it
	// wins over KnownHosts and the stack's output of the same name.
	Fingerprint string
	// Port is SSH's port (0 = 22).
	Port int
}

func outString(outs map[string]json.RawMessage, name string) string {
	var s *string
	if raw, ok := outs[name]; ok && json.Unmarshal(raw, &s) == nil && s != nil {
		return *s
	}
	return ""
}

func envMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// kubeconfig reads /etc/rancher/k3s/k3s.yaml from the control plane.
func (awsStack) kubeconfig(ctx context.Context, o Options, outs map[string]json.RawMessage, k KubeconfigOptions) ([]byte, error) {
	host := outString(outs, outControlPlaneIP)
	if host == "" {
		return nil, fmt.Errorf("output %s is empty: %s has no K3s control plane (platform = false in its tfvars?), or it has not been applied", outControlPlaneIP, o.Env)
	}
	env := envMap(o.environ())
	signers, err := k3s.Signers(k.SSH.Key, env["SSH_AUTH_SOCK"])
	if err != nil {
		return nil, err
	}
	t := k3s.Target{
		Host: host, Port: k.SSH.Port, User: outString(outs, outSSHUser), Auth: signers,
		Fingerprint: k.SSH.Fingerprint, KnownHosts: k.SSH.KnownHosts,
	}
	if t.User == "" {
		t.User = "ubuntu"
	}
	// The fingerprint output is only a fallback, for stacks that pin their
	// host keys: terraform/aws does not output it (an instance's host keys
	// do not exist before it boots, so no plan can know them), and an
	// explicit --known-hosts or --host-key-fingerprint wins over it.
	if t.Fingerprint == "" && t.KnownHosts == "" {
		t.Fingerprint = outString(outs, outHostFingerprint)
	}
	if t.Fingerprint == "" && t.KnownHosts == "" && env["HOME"] != "" {
		t.KnownHosts = filepath.Join(env["HOME"], ".ssh", "known_hosts")
	}
	return k3s.Fetch(ctx, t)
}

func (awsStack) check(ctx context.Context, o Options, _ *tf.Runner, outs map[string]json.RawMessage, c CheckOptions) error {
	region := outString(outs, outRegion)
	if region == "" {
		return fmt.Errorf("output %s is missing: is %s applied with the AWS stack?", outRegion, o.Env)
	}
	cfg, err := awsConfig(ctx, o.environ(), region)
	if err != nil {
		return err
	}
	in := awscheck.Inputs{Outputs: outs, AWS: cfg, Timeout: c.Timeout}
	in.KubeconfigSource = c.KubeconfigFile
	if in.KubeconfigSource == "" {
		in.KubeconfigSource = defaultKubeconfigPath(o.Env)
	}
	if in.Kubeconfig, err = readIfExists(in.KubeconfigSource); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	if c.ALBCAFile != "" {
		pem, err := os.ReadFile(c.ALBCAFile)
		if err != nil {
			return fmt.Errorf("--alb-ca-file: %w", err)
		}
		in.ALBRoots = x509.NewCertPool()
		if !in.ALBRoots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--alb-ca-file %s holds no PEM certificate", c.ALBCAFile)
		}
	}
	return writeReport(o, c, awscheck.Run(ctx, o.Env, in))
}

// awsConfig is the SDK configuration check uses, from the same environment
// terraform gets: static keys when set, else the profile chain. An
// AWS_ENDPOINT_URL (an emulator such as moto_server) is honoured.
func awsConfig(ctx context.Context, environ []string, region string) (aws.Config, error) {
	env := envMap(environ)
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if id, secret := env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]; id != "" && secret != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, env["AWS_SESSION_TOKEN"])))
	}
	if p := env["AWS_PROFILE"]; p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if u := env["AWS_ENDPOINT_URL"]; u != "" {
		opts = append(opts, config.WithBaseEndpoint(u))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration for check: %w", err)
	}
	// LoadDefaultConfig always sets a credential chain (it ends at the EC2
	// instance metadata service), so "none" shows only when it is asked:
	// once here, rather than as the same timeout in every check's row.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, fmt.Errorf("no AWS credentials for check: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (the SDK's credential chain found none: %w)", err)
	}
	return cfg, nil
}
