package k3s

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigil-monitoring/vigil/internal/provision/k3s/k3stest"
)

const k3sYAML = k3stest.K3sYAML

func signer(t *testing.T) ssh.Signer {
	t.Helper()
	_, s := k3stest.NewKey(t)
	return s
}

func knownHostsFile(t *testing.T, addr string, key ssh.PublicKey) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	if err := os.WriteFile(f, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func target(s *k3stest.Server, client ssh.Signer) Target {
	return Target{Host: "localhost", Port: s.Port, User: "ubuntu", Auth: []ssh.Signer{client}, Timeout: 20 * time.Second}
}

func TestFetchVerifiesKnownHostsAndPointsAtTheHost(t *testing.T) {
	client := signer(t)
	s := k3stest.Start(t, client.PublicKey())
	tg := target(s, client)
	tg.KnownHosts = knownHostsFile(t, s.Addr, s.HostKey.PublicKey())
	out, err := Fetch(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(out)
	if err != nil {
		t.Fatalf("the written kubeconfig does not load: %v\n%s", err, out)
	}
	if got := cfg.Clusters["default"].Server; got != "https://localhost:6443" {
		t.Fatalf("server = %q, want the control plane's address https://localhost:6443", got)
	}
	if string(cfg.AuthInfos["default"].ClientKeyData) != "fake-key" {
		t.Fatal("the client key was not kept")
	}
}

// A server whose key differs from known_hosts' entry is refused before any
// command runs on it.
func TestFetchRefusesAWrongHostKey(t *testing.T) {
	client := signer(t)
	s := k3stest.Start(t, client.PublicKey())
	tg := target(s, client)
	tg.KnownHosts = knownHostsFile(t, s.Addr, signer(t).PublicKey()) // another server's key
	_, err := Fetch(context.Background(), tg)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), "key mismatch") || !strings.Contains(err.Error(), tg.KnownHosts+":1") {
		t.Fatalf("err = %v, want ErrHostKey naming the mismatching known_hosts line", err)
	}
	if n := s.Execs.Load(); n != 0 {
		t.Fatalf("%d command(s) ran on a server whose host key was wrong", n)
	}
}

func TestFetchRefusesAnUnknownHost(t *testing.T) {
	client := signer(t)
	s := k3stest.Start(t, client.PublicKey())
	tg := target(s, client)
	tg.KnownHosts = knownHostsFile(t, "203.0.113.9:22", s.HostKey.PublicKey()) // lists another host only
	_, err := Fetch(context.Background(), tg)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), "is not in") {
		t.Fatalf("err = %v, want ErrHostKey saying the host is not listed", err)
	}
	if s.Execs.Load() != 0 {
		t.Fatal("a command ran on an unknown host")
	}
}

// The server has an ED25519 and an ECDSA key, as Ubuntu's sshd does; a
// known_hosts that lists either one alone is enough (Go's client would
// otherwise ask for the ECDSA key and refuse a server whose ED25519 key,
// the one ssh(1) records, is listed).
func TestFetchWithOneOfTheServersKeysKnown(t *testing.T) {
	client := signer(t)
	s := k3stest.Start(t, client.PublicKey())
	for name, key := range map[string]ssh.Signer{"ed25519": s.HostKey, "ecdsa": s.ECDSAHostKey} {
		tg := target(s, client)
		tg.KnownHosts = knownHostsFile(t, s.Addr, key.PublicKey())
		if _, err := Fetch(context.Background(), tg); err != nil {
			t.Errorf("known_hosts with only the %s key: %v", name, err)
		}
	}
}

// known_hosts lists a key of a type the server does not have: refused.
func TestFetchRefusesAKeyTypeTheServerLacks(t *testing.T) {
	client := signer(t)
	s := k3stest.Start(t, client.PublicKey())
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ssh.NewPublicKey(&p384.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tg := target(s, client)
	tg.KnownHosts = knownHostsFile(t, s.Addr, other)
	_, err = Fetch(context.Background(), tg)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), "offers no host key of the types") || !strings.Contains(err.Error(), ssh.KeyAlgoECDSA384) {
		t.Fatalf("err = %v, want ErrHostKey naming the type known_hosts lists", err)
	}
	if s.Execs.Load() != 0 {
		t.Fatal("a command ran on a server whose host key was not verified")
	}
}

func TestKnownAlgorithmsOfAnRSAKey(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, algos, err := knownHosts(knownHostsFile(t, "198.51.100.7:22", key), "198.51.100.7:22")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}; !slices.Equal(algos, want) {
		t.Fatalf("algorithms = %v, want %v", algos, want)
	}
	if _, algos, _ := knownHosts(knownHostsFile(t, "198.51.100.7:22", key), "203.0.113.9:22"); algos != nil {
		t.Fatalf("algorithms of an unlisted host = %v, want none (the defaults)", algos)
	}
}

// A fingerprint does not say its key's type: the ED25519 one (which ssh(1)
// shows) and the ECDSA one both verify the server; any other is refused,
// naming what was expected and every key the server showed.
func TestFetchByFingerprint(t *testing.T) {
	client := signer(t)
	s := k3stest.Start(t, client.PublicKey())
	tg := target(s, client)
	for _, key := range []ssh.Signer{s.HostKey, s.ECDSAHostKey} {
		tg.Fingerprint = ssh.FingerprintSHA256(key.PublicKey())
		if _, err := Fetch(context.Background(), tg); err != nil {
			t.Fatalf("fingerprint of the %s key: %v", key.PublicKey().Type(), err)
		}
	}
	tg.Fingerprint = ssh.FingerprintSHA256(signer(t).PublicKey())
	_, err := Fetch(context.Background(), tg)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), tg.Fingerprint) {
		t.Fatalf("err = %v, want ErrHostKey naming the expected fingerprint", err)
	}
	for _, key := range []ssh.Signer{s.HostKey, s.ECDSAHostKey} {
		if !strings.Contains(err.Error(), ssh.FingerprintSHA256(key.PublicKey())) {
			t.Errorf("err = %v, want it to name the server's %s key", err, key.PublicKey().Type())
		}
	}
	if n := s.Execs.Load(); n != 2 {
		t.Fatalf("%d commands ran, want 2 (the verified connections only)", n)
	}
}

func TestFetchNeedsAWayToVerify(t *testing.T) {
	_, err := Fetch(context.Background(), Target{Host: "192.0.2.1", User: "ubuntu"})
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), "never accepts an unknown key") {
		t.Fatalf("err = %v, want a refusal before connecting", err)
	}
}

func TestFetchReportsAFailedRead(t *testing.T) {
	client := signer(t)
	s := k3stest.Start(t, client.PublicKey())
	s.ExitCode.Store(1)
	tg := target(s, client)
	tg.Fingerprint = ssh.FingerprintSHA256(s.HostKey.PublicKey())
	_, err := Fetch(context.Background(), tg)
	if err == nil || !strings.Contains(err.Error(), "sudo") || !strings.Contains(err.Error(), "a password is required") {
		t.Fatalf("err = %v, want the failed command and its stderr", err)
	}
}

func TestFetchWithAnotherClientKeyFails(t *testing.T) {
	s := k3stest.Start(t, signer(t).PublicKey())
	tg := target(s, signer(t))
	tg.Fingerprint = ssh.FingerprintSHA256(s.HostKey.PublicKey())
	if _, err := Fetch(context.Background(), tg); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("err = %v, want an authentication failure", err)
	}
}

func TestRewriteKeepsOtherServers(t *testing.T) {
	in := strings.Replace(k3sYAML, "https://127.0.0.1:6443", "https://k3s.example.com:6443", 1)
	out, err := Rewrite([]byte(in), "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "https://k3s.example.com:6443") {
		t.Fatalf("a non-loopback server was rewritten:\n%s", out)
	}
	out, err = Rewrite([]byte(k3sYAML), "198.51.100.7")
	if err != nil || !strings.Contains(string(out), "server: https://198.51.100.7:6443") {
		t.Fatalf("Rewrite = %v\n%s", err, out)
	}
	if _, err := Rewrite([]byte("not: [a kubeconfig"), "h"); err == nil {
		t.Fatal("a broken file was accepted")
	}
}

func TestSignersFromFile(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "id")
	os.WriteFile(plain, pemBytes(block), 0o600)
	if s, err := Signers(plain, ""); err != nil || len(s) != 1 {
		t.Fatalf("Signers = %v, %v", s, err)
	}
	enc, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked")
	os.WriteFile(locked, pemBytes(enc), 0o600)
	if _, err := Signers(locked, ""); err == nil || !strings.Contains(err.Error(), "ssh-add") {
		t.Fatalf("err = %v, want the hint to use ssh-agent", err)
	}
	if _, err := Signers("", ""); err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") {
		t.Fatalf("err = %v, want the hint about the agent", err)
	}
}

func pemBytes(b *pem.Block) []byte { return pem.EncodeToMemory(b) }
