package expiry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParserErrorsNameTheFileAndWhatToDo extends internal/config's
// TestErrorsNameFileLineFieldAndHint to the files the expiry collector
// parses: every error a user can cause names the file (and the entry or
// PEM block), says what to do, never prints a stack trace, and never
// repeats a token it read.
func TestParserErrorsNameTheFileAndWhatToDo(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const token = "opaque-canary-token-51c7"
	cases := []struct {
		name string
		read func() error
		want []string
	}{
		{"pem with a broken certificate", func() error {
			_, err := readPEM(write("bad.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"))
			return err
		}, []string{"bad.pem", "PEM block 1", "list only certificate files in pem_files"}},
		{"pem without a certificate", func() error {
			_, err := readPEM(write("empty.pem", "hello"))
			return err
		}, []string{"empty.pem", "holds no PEM certificate", "list only certificate files"}},
		{"missing pem", func() error {
			_, err := readPEM(filepath.Join(dir, "missing.pem"))
			return err
		}, []string{"missing.pem", "fix the path in the expiry section"}},
		{"jwt with an exp out of range", func() error {
			_, err := readJWTFile(JWTFile{Name: "ci", File: write("ci.jwt", "eyJhbGciOiJub25lIn0.eyJleHAiOi0xfQ.c2ln")})
			return err
		}, []string{"jwt file ci (", "ci.jwt", "out of range", "list only JWT files in jwt_files"}},
		{"kubeconfig that does not parse", func() error {
			_, err := readKubeconfig(write("kubeconfig", "users: [token: "+token))
			return err
		}, []string{"kubeconfig", "does not parse as a kubeconfig", "kubectl --kubeconfig"}},
		{"kubeconfig with an unreadable entry", func() error {
			_, err := readKubeconfig(write("kc-missing", "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user: {client-certificate: nope.crt, token: "+token+"}\n"))
			return err
		}, []string{"kc-missing", "user/u", "nope.crt", "fix the path"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read()
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q: %s", w, msg)
				}
			}
			if strings.Contains(msg, token) || strings.Contains(msg, "goroutine ") {
				t.Errorf("error repeats the token or prints a stack: %s", msg)
			}
		})
	}
}
