package k3s

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"k8s.io/client-go/tools/clientcmd"
)

// k3sYAML is what a K3s server writes (certificates shortened).
const k3sYAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ZmFrZS1jYQ==
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- user:
    client-certificate-data: ZmFrZS1jZXJ0
    client-key-data: ZmFrZS1rZXk=
  name: default
`

func signer(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sshServer is an in-process SSH server that accepts one client key and
// answers `sudo -n cat /etc/rancher/k3s/k3s.yaml` with k3sYAML.
type sshServer struct {
	addr     string
	port     int
	hostKey  ssh.Signer
	execs    atomic.Int32 // commands run
	exitCode uint32
}

func startServer(t *testing.T, client ssh.PublicKey) *sshServer {
	t.Helper()
	s := &sshServer{hostKey: signer(t)}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(client.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	cfg.AddHostKey(s.hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s.port = l.Addr().(*net.TCPAddr).Port
	s.addr = net.JoinHostPort("localhost", strconv.Itoa(s.port))
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c, cfg)
		}
	}()
	return s
}

func (s *sshServer) serve(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for r := range creqs {
				if r.Type != "exec" {
					r.Reply(false, nil)
					continue
				}
				var p struct{ Command string }
				ssh.Unmarshal(r.Payload, &p)
				r.Reply(true, nil)
				s.execs.Add(1)
				code := s.exitCode
				if p.Command == "sudo -n cat "+KubeconfigPath && code == 0 {
					ch.Write([]byte(k3sYAML))
				} else {
					ch.Stderr().Write([]byte("sudo: a password is required\n"))
					if code == 0 {
						code = 127
					}
				}
				ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{code}))
				return
			}
		}()
	}
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

func target(s *sshServer, client ssh.Signer) Target {
	return Target{Host: "localhost", Port: s.port, User: "ubuntu", Auth: []ssh.Signer{client}, Timeout: 20 * time.Second}
}

func TestFetchVerifiesKnownHostsAndPointsAtTheHost(t *testing.T) {
	client := signer(t)
	s := startServer(t, client.PublicKey())
	tg := target(s, client)
	tg.KnownHosts = knownHostsFile(t, s.addr, s.hostKey.PublicKey())
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
	s := startServer(t, client.PublicKey())
	tg := target(s, client)
	tg.KnownHosts = knownHostsFile(t, s.addr, signer(t).PublicKey()) // another server's key
	_, err := Fetch(context.Background(), tg)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), "key mismatch") || !strings.Contains(err.Error(), tg.KnownHosts+":1") {
		t.Fatalf("err = %v, want ErrHostKey naming the mismatching known_hosts line", err)
	}
	if n := s.execs.Load(); n != 0 {
		t.Fatalf("%d command(s) ran on a server whose host key was wrong", n)
	}
}

func TestFetchRefusesAnUnknownHost(t *testing.T) {
	client := signer(t)
	s := startServer(t, client.PublicKey())
	tg := target(s, client)
	tg.KnownHosts = knownHostsFile(t, "203.0.113.9:22", s.hostKey.PublicKey()) // lists another host only
	_, err := Fetch(context.Background(), tg)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), "is not in") {
		t.Fatalf("err = %v, want ErrHostKey saying the host is not listed", err)
	}
	if s.execs.Load() != 0 {
		t.Fatal("a command ran on an unknown host")
	}
}

func TestFetchByFingerprint(t *testing.T) {
	client := signer(t)
	s := startServer(t, client.PublicKey())
	tg := target(s, client)
	tg.Fingerprint = ssh.FingerprintSHA256(s.hostKey.PublicKey())
	if _, err := Fetch(context.Background(), tg); err != nil {
		t.Fatal(err)
	}
	tg.Fingerprint = ssh.FingerprintSHA256(signer(t).PublicKey())
	_, err := Fetch(context.Background(), tg)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), tg.Fingerprint) {
		t.Fatalf("err = %v, want ErrHostKey naming the expected fingerprint", err)
	}
	if n := s.execs.Load(); n != 1 {
		t.Fatalf("%d commands ran, want 1 (the verified connection only)", n)
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
	s := startServer(t, client.PublicKey())
	s.exitCode = 1
	tg := target(s, client)
	tg.Fingerprint = ssh.FingerprintSHA256(s.hostKey.PublicKey())
	_, err := Fetch(context.Background(), tg)
	if err == nil || !strings.Contains(err.Error(), "sudo") || !strings.Contains(err.Error(), "a password is required") {
		t.Fatalf("err = %v, want the failed command and its stderr", err)
	}
}

func TestFetchWithAnotherClientKeyFails(t *testing.T) {
	s := startServer(t, signer(t).PublicKey())
	tg := target(s, signer(t))
	tg.Fingerprint = ssh.FingerprintSHA256(s.hostKey.PublicKey())
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
