package provision

import (
	"crypto/ed25519"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigil-monitoring/vigil/internal/provision/k3s"
	"github.com/vigil-monitoring/vigil/internal/provision/k3s/k3stest"
)

// newK3sStack is newStack with the provider-free fixture of the AWS
// stack's K3s outputs (testdata/k3sstack), driven with --stack aws.
func newK3sStack(t *testing.T) *stack {
	t.Helper()
	s := newStack(t, "dev")
	if err := os.RemoveAll(s.dir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(s.dir, os.DirFS(filepath.Join("testdata", "k3sstack"))); err != nil {
		t.Fatal(err)
	}
	s.opts.Stack = StackAWS
	return s
}

func writeKey(t *testing.T, priv ed25519.PrivateKey) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(f, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// `provision kubeconfig` on the AWS stack reads k3s.yaml over SSH from the
// control plane the outputs name, verifying its host key, and writes it
// 0600 pointing at that address; a wrong host key writes nothing.
func TestKubeconfigOverSSH(t *testing.T) {
	t.Parallel()
	priv, client := k3stest.NewKey(t)
	srv := k3stest.Start(t, client.PublicKey())
	s := newK3sStack(t)
	s.applied()

	out := filepath.Join(s.root, "kube", "dev.kubeconfig")
	known := filepath.Join(s.root, "known_hosts")
	if err := os.WriteFile(known, []byte(knownhosts.Line([]string{knownhosts.Normalize(srv.Addr)}, srv.HostKey.PublicKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ko := KubeconfigOptions{Out: out, SSH: SSHOptions{Key: writeKey(t, priv), KnownHosts: known, Port: srv.Port}}
	path, err := Kubeconfig(ctx(t), s.opts, ko)
	if err != nil {
		t.Fatalf("kubeconfig: %v\n%s", err, s.err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want 0600", path, err, fi.Mode())
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Clusters["default"].Server; got != "https://localhost:6443" {
		t.Fatalf("server = %q, want the control_plane_public_ip output's https://localhost:6443", got)
	}

	// Another server's key in known_hosts: refused, the old file untouched
	// (an earlier kubeconfig, told apart from what this server would give).
	const old = "the kubeconfig of an earlier run\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	_, other := k3stest.NewKey(t)
	os.WriteFile(known, []byte(knownhosts.Line([]string{knownhosts.Normalize(srv.Addr)}, other.PublicKey())+"\n"), 0o600)
	execs := srv.Execs.Load()
	if _, err := Kubeconfig(ctx(t), s.opts, ko); !errors.Is(err, k3s.ErrHostKey) {
		t.Fatalf("kubeconfig with a wrong host key: %v, want ErrHostKey", err)
	}
	if srv.Execs.Load() != execs {
		t.Fatal("a command ran on a server whose host key was wrong")
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != old {
		t.Fatalf("after a refused host key the kubeconfig holds %q (%v), want the earlier %q", got, err, old)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after a refused host key %s: %v, mode %v; want 0600", path, err, fi.Mode())
	}

	// The stack's fingerprint output is used when no known_hosts is given.
	s.setVar("dev", "host_key_fingerprint", `"`+ssh.FingerprintSHA256(srv.HostKey.PublicKey())+`"`)
	s.applied()
	ko.SSH.KnownHosts = ""
	if _, err := Kubeconfig(ctx(t), s.opts, ko); err != nil {
		t.Fatalf("kubeconfig with the stack's fingerprint: %v", err)
	}
}

// An explicit --known-hosts or --host-key-fingerprint wins over the stack's
// control_plane_host_key_fingerprint output, which is only a fallback.
func TestKubeconfigExplicitHostKeyWinsOverTheOutput(t *testing.T) {
	t.Parallel()
	priv, client := k3stest.NewKey(t)
	srv := k3stest.Start(t, client.PublicKey())
	_, other := k3stest.NewKey(t)
	knownHosts := func(key ssh.PublicKey) string {
		f := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(f, []byte(knownhosts.Line([]string{knownhosts.Normalize(srv.Addr)}, key)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	outputs := func(fingerprint string) map[string]json.RawMessage {
		return map[string]json.RawMessage{
			outControlPlaneIP:  json.RawMessage(`"localhost"`),
			outSSHUser:         json.RawMessage(`"ubuntu"`),
			outHostFingerprint: json.RawMessage(`"` + fingerprint + `"`),
		}
	}
	right, wrong := ssh.FingerprintSHA256(srv.HostKey.PublicKey()), ssh.FingerprintSHA256(other.PublicKey())
	o := Options{Env: "dev", Environ: []string{}}
	ko := KubeconfigOptions{SSH: SSHOptions{Key: writeKey(t, priv), Port: srv.Port}}

	// known_hosts lists another key: refused, though the output matches.
	ko.SSH.KnownHosts = knownHosts(other.PublicKey())
	if _, err := (awsStack{}).kubeconfig(ctx(t), o, outputs(right), ko); !errors.Is(err, k3s.ErrHostKey) {
		t.Fatalf("--known-hosts with another key and a matching output: %v, want ErrHostKey", err)
	}
	if srv.Execs.Load() != 0 {
		t.Fatal("a command ran on a server --known-hosts does not list")
	}
	// known_hosts lists the server: accepted, though the output does not match.
	ko.SSH.KnownHosts = knownHosts(srv.HostKey.PublicKey())
	if _, err := (awsStack{}).kubeconfig(ctx(t), o, outputs(wrong), ko); err != nil {
		t.Fatalf("--known-hosts listing the server and another output: %v", err)
	}
	// --host-key-fingerprint wins over both.
	ko.SSH.Fingerprint = right
	ko.SSH.KnownHosts = knownHosts(other.PublicKey())
	if _, err := (awsStack{}).kubeconfig(ctx(t), o, outputs(wrong), ko); err != nil {
		t.Fatalf("--host-key-fingerprint of the server: %v", err)
	}
}

func TestStackSelection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(provider string) {
		tf := `terraform {
  required_providers {
    p = {
      source  = "` + provider + `"
      version = "1.0.0"
    }
  }
}
`
		if err := os.WriteFile(filepath.Join(dir, "versions.tf"), []byte(tf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		flag, provider, want, err string
	}{
		{"", "hashicorp/aws", StackAWS, ""},
		{"", "ionos-cloud/ionoscloud", StackIONOS, ""},
		{"aws", "hashicorp/aws", StackAWS, ""},
		{"aws", "ionos-cloud/ionoscloud", "", "--stack aws, but " + dir + " is the ionos stack"},
		{"gcp", "hashicorp/aws", "", `--stack "gcp" is not a stack provision knows`},
	} {
		write(c.provider)
		o := Options{Stack: c.flag, Dir: dir}
		err := o.checkStack()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("--stack %q, %s: err = %v, want %q", c.flag, c.provider, err, c.err)
			}
			continue
		}
		if err != nil || o.stack() != c.want {
			t.Errorf("--stack %q, %s: stack %q, %v; want %q", c.flag, c.provider, o.stack(), err, c.want)
		}
	}
	if got := (&Options{Stack: StackAWS}).dir(); got != filepath.Join("terraform", "aws") {
		t.Errorf("default dir of --stack aws = %s", got)
	}
	if got := (&Options{}).dir(); got != filepath.Join("terraform", "ionos") {
		t.Errorf("default dir = %s, want terraform/ionos as before", got)
	}
}
