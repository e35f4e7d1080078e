package sandbox

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// ExpiryUpstream is what the expiry collector's sandbox reads: a TLS
// endpoint on loopback whose leaf expires in 5 days and whose intermediate
// expires in 2 (before the leaf), a kubeconfig with a client certificate,
// a cluster CA and a bearer JWT 10 days from expiry, a PEM file holding an
// expired certificate, and JWT files expiring in 1 day and expired.
type ExpiryUpstream struct {
	Endpoint   string // host:port
	Kubeconfig string
	PEMGlob    string
	JWTSoon    string // expires in 1 day
	JWTExpired string
	dir        string
	stop       func()
}

// JWT builds a JWT with the given header kid and claims and a dummy
// signature, the shape Vigil parses (it never verifies). For sandboxes and
// tests only.
func JWT(kid string, claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid}) + "." + enc(claims) + ".c2lnbmF0dXJl"
}

// StartExpiry writes the files and starts the endpoint; Close undoes both.
func StartExpiry() (*ExpiryUpstream, error) {
	u := &ExpiryUpstream{}
	ok := false
	defer func() {
		if !ok {
			u.Close()
		}
	}()
	var err error
	if u.dir, err = os.MkdirTemp("", "vigil-sandbox-expiry-"); err != nil {
		return nil, err
	}
	now := time.Now().Truncate(time.Second)
	day := 24 * time.Hour
	root, err := NewRoot("Vigil sandbox root CA", now.Add(-day), now.Add(3650*day))
	if err != nil {
		return nil, err
	}
	inter, err := root.Issue("Vigil sandbox intermediate CA", true, now.Add(-300*day), now.Add(2*day))
	if err != nil {
		return nil, err
	}
	leaf, err := inter.Issue("app.sandbox.vigil.test", false, now.Add(-85*day), now.Add(5*day), "127.0.0.1")
	if err != nil {
		return nil, err
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{TLSCertificate(leaf, inter)}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: discardLog()}
	go func() { _ = srv.Serve(l) }()
	u.stop = func() { _ = srv.Close() }
	u.Endpoint = l.Addr().String()

	client, err := root.Issue("vigil-admin", false, now.Add(-340*day), now.Add(20*day))
	if err != nil {
		return nil, err
	}
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: https://%s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
- name: ci
  user:
    token: %s
contexts:
- name: sandbox
  context: {cluster: sandbox, user: admin}
current-context: sandbox
`, u.Endpoint, b64(root.PEM()), b64(client.PEM()), b64(client.KeyPEM()), JWT("sandbox", map[string]any{"sub": "system:serviceaccount:ci:deployer", "exp": now.Add(10 * day).Unix()}))
	u.Kubeconfig = filepath.Join(u.dir, "sandbox.kubeconfig")
	expired, err := root.Issue("old-ingress.sandbox.vigil.test", false, now.Add(-400*day), now.Add(-2*day))
	if err != nil {
		return nil, err
	}
	pemDir := filepath.Join(u.dir, "certs")
	u.PEMGlob = filepath.Join(pemDir, "*.crt")
	u.JWTSoon = filepath.Join(u.dir, "deploy-token.jwt")
	u.JWTExpired = filepath.Join(u.dir, "old-token.jwt")
	if err := os.Mkdir(pemDir, 0o700); err != nil {
		return nil, err
	}
	for path, data := range map[string][]byte{
		u.Kubeconfig:                          []byte(kubeconfig),
		filepath.Join(pemDir, "ingress.crt"):  expired.PEM(),
		filepath.Join(pemDir, "internal.crt"): ChainPEM(root),
		u.JWTSoon:                             []byte(JWT("sandbox", map[string]any{"sub": "deployer", "exp": now.Add(day).Unix()})),
		u.JWTExpired:                          []byte(JWT("sandbox", map[string]any{"sub": "old", "exp": now.Add(-day).Unix()})),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	ok = true
	return u, nil
}

// Close stops the endpoint and removes the files.
func (u *ExpiryUpstream) Close() {
	if u.stop != nil {
		u.stop()
	}
	if u.dir != "" {
		_ = os.RemoveAll(u.dir)
	}
}
