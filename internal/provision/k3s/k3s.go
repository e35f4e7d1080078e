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
	"crypto/ed25519"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
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

// knownHosts verifies the server at addr against a known_hosts file, and
// returns the host key algorithms to ask it for (see knownAlgorithms).
func knownHosts(knownHostsFile, addr string) (ssh.HostKeyCallback, []string, error) {
	cb, err := knownhosts.New(knownHostsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("known_hosts %s: %w", knownHostsFile, err)
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
	}, knownAlgorithms(cb, addr), nil
}

// knownAlgorithms returns the host key algorithms of the keys that cb, a
// knownhosts callback, lists for addr (nil when it lists none). A server has
// a key of each type but shows only the one the client asks for first, and
// Go's client asks for ECDSA before ED25519: a server whose ED25519 key (the
// one ssh(1) records) is listed would show its ECDSA key and be refused.
// Shown a key it does not know, the callback names the keys it lists. It
// lists a @cert-authority line's key too, so a server trusted only through
// a CA is not supported; the stacks' servers have plain host keys.
func knownAlgorithms(cb ssh.HostKeyCallback, addr string) []string {
	unknown, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		return nil
	}
	// knownhosts looks addr up; the remote address is used only without it.
	var ke *knownhosts.KeyError
	if !errors.As(cb(addr, &net.TCPAddr{}, unknown), &ke) {
		return nil
	}
	var algos []string
	for _, k := range ke.Want {
		for _, a := range algorithms(k.Key.Type()) {
			if !slices.Contains(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	return algos
}

// algorithms are the host key algorithms that sign with a key of the type,
// preferred first: an RSA key signs with SHA-2 where the server can.
func algorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// fingerprintTypes are the host key types a fingerprint is tried against,
// in the order ssh(1) prefers them.
var fingerprintTypes = []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoRSA}

// runByFingerprint runs cmd on the server whose host key has the given
// SHA256 fingerprint. The fingerprint does not say the key's type and a
// server shows one key per connection, so each type is asked for on a
// connection of its own until a key matches. A key that does not match is
// refused before anything is sent, and the server is refused when none
// does: there is no fallback that accepts a key.
func runByFingerprint(ctx context.Context, addr string, cfg ssh.ClientConfig, fingerprint, cmd string) ([]byte, error) {
	var shown []string       // "type SHA256:..." of each key the server showed
	var serverAlgos []string // its host key algorithms, once a try learns them
	for _, typ := range fingerprintTypes {
		cfg.HostKeyAlgorithms = algorithms(typ)
		if serverAlgos != nil && !slices.ContainsFunc(cfg.HostKeyAlgorithms, func(a string) bool { return slices.Contains(serverAlgos, a) }) {
			continue
		}
		matched := false
		cfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got := ssh.FingerprintSHA256(key)
			if subtle.ConstantTimeCompare([]byte(got), []byte(fingerprint)) != 1 {
				shown = append(shown, key.Type()+" "+got)
				return fmt.Errorf("%w: %s key %s is not %s", ErrHostKey, key.Type(), got, fingerprint)
			}
			matched = true
			return nil
		}
		n := len(shown)
		out, err := run(ctx, addr, &cfg, cmd)
		var neg *ssh.AlgorithmNegotiationError
		switch {
		case matched:
			return out, err
		case len(shown) > n:
			// Refused: try the server's key of the next type.
		case errors.As(err, &neg) && neg.What == "host key":
			serverAlgos = neg.RequestedAlgorithms
		default:
			return nil, err
		}
	}
	offered := "no key of the types tried (" + strings.Join(fingerprintTypes, ", ") + ")"
	if len(shown) > 0 {
		offered = strings.Join(shown, ", ")
	}
	if serverAlgos != nil {
		offered += " (its host key algorithms: " + strings.Join(serverAlgos, ", ") + ")"
	}
	return nil, fmt.Errorf("%w: %s offered no host key with the expected fingerprint %s; it offered %s: if the server was rebuilt, read its new fingerprint from the instance's console output (cloud-init prints it), otherwise do not connect",
		ErrHostKey, addr, fingerprint, offered)
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
	if t.Fingerprint == "" && t.KnownHosts == "" {
		return nil, fmt.Errorf("%w: give a known_hosts file listing the control plane or its host key fingerprint (SHA256:...); provision never accepts an unknown key", ErrHostKey)
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
	cfg := ssh.ClientConfig{
		User:    t.User,
		Auth:    []ssh.AuthMethod{ssh.PublicKeys(t.Auth...)},
		Timeout: t.Timeout,
	}
	cmd := "sudo -n cat " + KubeconfigPath
	var raw []byte
	var err error
	if t.Fingerprint != "" {
		raw, err = runByFingerprint(ctx, addr, cfg, t.Fingerprint, cmd)
	} else {
		if cfg.HostKeyCallback, cfg.HostKeyAlgorithms, err = knownHosts(t.KnownHosts, addr); err != nil {
			return nil, err
		}
		raw, err = run(ctx, addr, &cfg, cmd)
		var neg *ssh.AlgorithmNegotiationError
		if errors.As(err, &neg) && neg.What == "host key" {
			err = fmt.Errorf("%w: %s offers no host key of the types %s lists for it (%s; it offers %s): the server was rebuilt, or this is not your server; fix its entries only after checking the new fingerprint",
				ErrHostKey, addr, t.KnownHosts, strings.Join(neg.SupportedAlgorithms, ", "), strings.Join(neg.RequestedAlgorithms, ", "))
		}
	}
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
