// Package k3s reads a K3s cluster's kubeconfig from its server over SSH, the
// guide's manual step made safe: the server's host key is verified (against
// a known_hosts file or a SHA256 fingerprint, never "accept anything"), the
// file is read with `sudo cat` and never touches a disk on the way, and its
// server address 127.0.0.1 is replaced with the address the caller reaches,
// which the K3s server carries in --tls-san.
package k3s

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
	"k8s.io/client-go/tools/clientcmd"
)

// KubeconfigPath is where the K3s server writes its admin kubeconfig.
const KubeconfigPath = "/etc/rancher/k3s/k3s.yaml"

// ErrHostKey marks a server whose host key could not be verified.
var ErrHostKey = errors.New("SSH host key not verified")

// Target is the K3s server and how to log in and verify it.
type Target struct {
	// Host is the control plane's address (the one in --tls-san).
	Host string
	// Port is SSH's port (0 = 22).
	Port int
	// User logs in (ubuntu on the guide's AMI) and may run sudo without a password.
	User string
	// Auth are the client's keys.
	Auth []ssh.Signer
	// Fingerprint, when set, is the server's host key fingerprint as
	// ssh-keygen -l prints it (SHA256:...); it is used instead of KnownHosts.
	Fingerprint string
	// KnownHosts is an OpenSSH known_hosts file listing the server.
	KnownHosts string
	// Timeout bounds the connection and the read (0 = 30 s).
	Timeout time.Duration
}

// HostKeyCallback verifies the server against the fingerprint, else the
// known_hosts file; with neither it refuses to connect at all.
func HostKeyCallback(fingerprint, knownHostsFile string) (ssh.HostKeyCallback, error) {
	if fingerprint != "" {
		return func(host string, _ net.Addr, key ssh.PublicKey) error {
			got := ssh.FingerprintSHA256(key)
			if subtle.ConstantTimeCompare([]byte(got), []byte(fingerprint)) != 1 {
				return fmt.Errorf("%w: %s offered a %s key with fingerprint %s, expected %s: if the server was rebuilt, read its new fingerprint from the instance's console output (cloud-init prints it), otherwise do not connect",
					ErrHostKey, host, key.Type(), got, fingerprint)
			}
			return nil
		}, nil
	}
	if knownHostsFile == "" {
		return nil, fmt.Errorf("%w: give a known_hosts file listing the control plane or its host key fingerprint (SHA256:...); provision never accepts an unknown key", ErrHostKey)
	}
	cb, err := knownhosts.New(knownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("known_hosts %s: %w", knownHostsFile, err)
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(host, remote, key)
		var ke *knownhosts.KeyError
		switch {
		case errors.As(err, &ke) && len(ke.Want) > 0:
			return fmt.Errorf("%w: %s offered a %s key (%s) that %s does not list for it (key mismatch: the server was rebuilt, or this is not your server); fix the entry at %s:%d only after checking the new fingerprint",
				ErrHostKey, host, key.Type(), ssh.FingerprintSHA256(key), knownHostsFile, ke.Want[0].Filename, ke.Want[0].Line)
		case errors.As(err, &ke):
			return fmt.Errorf("%w: %s is not in %s; add it after checking its fingerprint %s (the instance's console output prints it): ssh-keyscan %s >> %s",
				ErrHostKey, host, knownHostsFile, ssh.FingerprintSHA256(key), hostOnly(host), knownHostsFile)
		case err != nil:
			return fmt.Errorf("%w: %v", ErrHostKey, err)
		}
		return nil
	}, nil
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// Signers loads the client's keys: the private key file when given (it
// must not be passphrase-protected: use the agent for those), else every
// key of the SSH agent at agentSocket.
func Signers(keyFile, agentSocket string) ([]ssh.Signer, error) {
	if keyFile != "" {
		pem, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("SSH key: %w", err)
		}
		s, err := ssh.ParsePrivateKey(pem)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("SSH key %s is protected by a passphrase: add it to ssh-agent (ssh-add %s) and leave the key file unset", keyFile, keyFile)
		}
		if err != nil {
			return nil, fmt.Errorf("SSH key %s is not an OpenSSH or PEM private key: %w", keyFile, err)
		}
		return []ssh.Signer{s}, nil
	}
	if agentSocket == "" {
		return nil, errors.New("no SSH key: give the private key of the stack's key pair, or start ssh-agent with it (SSH_AUTH_SOCK is unset)")
	}
	conn, err := net.Dial("unix", agentSocket)
	if err != nil {
		return nil, fmt.Errorf("ssh-agent at SSH_AUTH_SOCK: %w", err)
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		return nil, fmt.Errorf("ssh-agent: %w", err)
	}
	if len(signers) == 0 {
		return nil, errors.New("ssh-agent holds no key: ssh-add the private key of the stack's key pair")
	}
	return signers, nil
}

// Fetch reads the server's kubeconfig and points it at t.Host.
func Fetch(ctx context.Context, t Target) ([]byte, error) {
	cb, err := HostKeyCallback(t.Fingerprint, t.KnownHosts)
	if err != nil {
		return nil, err
	}
	if t.Timeout == 0 {
		t.Timeout = 30 * time.Second
	}
	if t.Port == 0 {
		t.Port = 22
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	addr := net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	raw, err := run(ctx, addr, &ssh.ClientConfig{
		User:            t.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(t.Auth...)},
		HostKeyCallback: cb,
		Timeout:         t.Timeout,
	}, "sudo -n cat "+KubeconfigPath)
	if err != nil {
		return nil, fmt.Errorf("reading %s from %s@%s: %w", KubeconfigPath, t.User, addr, err)
	}
	return Rewrite(raw, t.Host)
}

// run executes one command and returns its standard output. The connection
// is closed when ctx ends, so a server that stops answering cannot hang it.
func run(ctx context.Context, addr string, cfg *ssh.ClientConfig, cmd string) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	if err := sess.Run(cmd); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%q failed: %w: %s (is K3s installed and may %s run sudo without a password?)", cmd, err, bytes.TrimSpace(stderr.Bytes()), cfg.User)
	}
	return stdout.Bytes(), nil
}

// Rewrite parses a K3s kubeconfig and points every cluster whose server is
// the loopback address (K3s writes https://127.0.0.1:6443) at host.
func Rewrite(kubeconfig []byte, host string) ([]byte, error) {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("the server's %s is not a kubeconfig: %w", KubeconfigPath, err)
	}
	if len(cfg.Clusters) == 0 {
		return nil, fmt.Errorf("the server's %s names no cluster", KubeconfigPath)
	}
	for name, c := range cfg.Clusters {
		u, err := url.Parse(c.Server)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: server %q is not a URL", name, c.Server)
		}
		switch u.Hostname() {
		case "127.0.0.1", "localhost", "::1":
			port := u.Port()
			if port == "" {
				port = "6443"
			}
			u.Host = net.JoinHostPort(host, port)
			c.Server = u.String()
		}
	}
	return clientcmd.Write(*cfg)
}
