// Package k3stest is an in-process SSH server standing in for a K3s
// control plane in tests: it accepts one client key and answers
// `sudo -n cat /etc/rancher/k3s/k3s.yaml` with a kubeconfig. Like Ubuntu's
// sshd it has more than one host key, so a client that asks for the wrong
// type sees a key its known_hosts does not list.
package k3stest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
)

// K3sYAML is what a K3s server writes (certificates shortened).
const K3sYAML = `apiVersion: v1
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

// Command is the only command the server runs successfully.
const Command = "sudo -n cat /etc/rancher/k3s/k3s.yaml"

// NewKey returns a fresh ed25519 key and its SSH signer.
func NewKey(t testing.TB) (ed25519.PrivateKey, ssh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv, s
}

// Server is a running server.
type Server struct {
	// Addr is localhost:PORT; Port the port.
	Addr string
	Port int
	// HostKey is the server's ED25519 host key, the one ssh(1) records;
	// ECDSAHostKey its ECDSA P-256 key, which Go's client prefers.
	HostKey, ECDSAHostKey ssh.Signer
	// Execs counts the commands run.
	Execs atomic.Int32
	// ExitCode, when non-zero, fails every command with it.
	ExitCode atomic.Uint32
}

// Start serves on a loopback port until the test ends.
func Start(t testing.TB, client ssh.PublicKey) *Server {
	t.Helper()
	_, hostKey := NewKey(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ssh.NewSignerFromKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{HostKey: hostKey, ECDSAHostKey: ecKey}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(client.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	cfg.AddHostKey(hostKey)
	cfg.AddHostKey(ecKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s.Port = l.Addr().(*net.TCPAddr).Port
	s.Addr = net.JoinHostPort("localhost", strconv.Itoa(s.Port))
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

func (s *Server) serve(c net.Conn, cfg *ssh.ServerConfig) {
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
		go s.session(ch, creqs)
	}
}

func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for r := range reqs {
		if r.Type != "exec" {
			r.Reply(false, nil)
			continue
		}
		var p struct{ Command string }
		ssh.Unmarshal(r.Payload, &p)
		r.Reply(true, nil)
		s.Execs.Add(1)
		code := s.ExitCode.Load()
		if p.Command == Command && code == 0 {
			ch.Write([]byte(K3sYAML))
		} else {
			ch.Stderr().Write([]byte("sudo: a password is required\n"))
			if code == 0 {
				code = 127
			}
		}
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{code}))
		return
	}
}
