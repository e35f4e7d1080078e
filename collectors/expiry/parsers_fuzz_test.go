package expiry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The expiry collector reads what users and clusters hand it: PEM files and
// chains, kubeconfigs and JWTs. These targets feed it arbitrary bytes. None
// may panic; errors name the file (or PEM block) and never print a stack
// trace or a token; and what is accepted is sane (a known chain position, an
// expiry inside what a NumericDate can mean).

func FuzzCertFacts(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		facts, err := certFacts("pem", "/etc/tls/chain.pem", "", data)
		if err != nil {
			noStackTrace(t, err.Error())
			return
		}
		if len(facts) == 0 {
			t.Fatal("no error and no certificate")
		}
		for _, c := range facts {
			switch c.Position {
			case PositionLeaf, PositionIntermediate, PositionRoot:
			default:
				t.Fatalf("position %q", c.Position)
			}
			if c.Location != "/etc/tls/chain.pem" || c.Origin != "pem" {
				t.Fatalf("fact lost its origin: %+v", c)
			}
		}
	})
}

func FuzzJWTExpiry(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDAwMDB9.")
	f.Fuzz(func(t *testing.T, token string) {
		exp, has, err := jwtExpiry(token)
		if err != nil {
			if len(token) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(token)) {
				t.Fatalf("the error repeats the token: %v", err)
			}
			noStackTrace(t, err.Error())
			return
		}
		if !has {
			if !exp.IsZero() {
				t.Fatalf("no expiry, yet a date %v", exp)
			}
			return
		}
		// RFC 7519 NumericDate: seconds since the epoch, not negative. A
		// date out of that range is garbage to refuse, not a metric.
		if exp.Before(time.Unix(0, 0)) || exp.After(maxJWTExpiry) {
			t.Fatalf("accepted exp %v", exp)
		}
	})
}

func FuzzKubeconfig(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: abc\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "kubeconfig")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		found, err := readKubeconfig(path)
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Fatalf("the error does not name the file: %s", msg)
			}
			noStackTrace(t, msg)
		}
		for _, tok := range found.Tokens {
			if tok.Expires && (tok.NotAfter.Before(time.Unix(0, 0)) || tok.NotAfter.After(maxJWTExpiry)) {
				t.Fatalf("accepted token expiry %v", tok.NotAfter)
			}
		}
	})
}

func noStackTrace(t *testing.T, msg string) {
	t.Helper()
	for _, bad := range []string{"goroutine ", "panic:", "\n\t"} {
		if strings.Contains(msg, bad) {
			t.Fatalf("the error looks like a stack trace (%q): %s", bad, msg)
		}
	}
}
