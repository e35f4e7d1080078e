package ionos

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// TestFingerprintSeesRotation: the same configuration and secret give the
// same fingerprint (across restarts, so no random key); a rotated token file,
// another contract or another base URL give a new one.
func TestFingerprintSeesRotation(t *testing.T) {
	clearEnv(t)
	file := secretFile(t, canary)
	cfg := func() *Config { return &Config{Token: &config.SecretRef{File: file}, ContractNumber: "31234567"} }
	first := newProvider(t, cfg()).Fingerprint()
	if again := newProvider(t, cfg()).Fingerprint(); again != first {
		t.Errorf("same configuration, same token: %s then %s", first, again)
	}
	if err := os.WriteFile(file, []byte(canary+"-rotated"), 0o600); err != nil {
		t.Fatal(err)
	}
	rotated := newProvider(t, cfg()).Fingerprint()
	if rotated == first {
		t.Error("a rotated token file did not change the fingerprint")
	}
	c := cfg()
	c.ContractNumber = "31234568"
	if newProvider(t, c).Fingerprint() == rotated {
		t.Error("another contract did not change the fingerprint")
	}
	c = cfg()
	c.BillingURL = "https://billing.example.com/billing"
	if newProvider(t, c).Fingerprint() == rotated {
		t.Error("another billing URL did not change the fingerprint")
	}
	// Basic authentication: a new password alone changes it.
	user, pass := secretFile(t, "ops"), secretFile(t, "pw-one")
	basicCfg := func() *Config {
		return &Config{Username: &config.SecretRef{File: user}, Password: &config.SecretRef{File: pass}}
	}
	before := newProvider(t, basicCfg()).Fingerprint()
	if err := os.WriteFile(pass, []byte("pw-two"), 0o600); err != nil {
		t.Fatal(err)
	}
	if newProvider(t, basicCfg()).Fingerprint() == before {
		t.Error("a new password did not change the fingerprint")
	}
}

// TestSecretNeverShown: the token, in clear or as the Authorization header
// carries it, is in no fingerprint, error or dump of the Provider.
func TestSecretNeverShown(t *testing.T) {
	clearEnv(t)
	forms := []string{canary, base64.StdEncoding.EncodeToString([]byte("ops:" + canary))}
	check := func(what, s string) {
		t.Helper()
		for _, f := range forms {
			if strings.Contains(s, f) {
				t.Errorf("%s shows the secret: %s", what, s)
			}
		}
	}
	p := newProvider(t, &Config{Token: &config.SecretRef{File: secretFile(t, canary)}})
	check("Fingerprint", p.Fingerprint())
	check("%+v of the Provider", fmt.Sprintf("%+v %#v", p, p))
	check("CredentialSource", p.CredentialSource())

	t.Setenv("OPS_USER", "ops")
	t.Setenv("OPS_PASS", canary)
	p = newProvider(t, &Config{Username: &config.SecretRef{Env: "OPS_USER"}, Password: &config.SecretRef{Env: "OPS_PASS"}})
	check("Fingerprint (basic)", p.Fingerprint())
	check("%+v of the Provider (basic)", fmt.Sprintf("%+v %#v", p, p))

	// A secret that cannot be resolved is named by its reference.
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := New(&Config{Token: &config.SecretRef{File: missing}}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("New with a missing token file: %v; want an error naming %s", err, missing)
	}
	t.Setenv("EMPTY_TOKEN", "")
	if _, err := New(&Config{Token: &config.SecretRef{Env: "EMPTY_TOKEN"}}); err == nil || !strings.Contains(err.Error(), "EMPTY_TOKEN") {
		t.Errorf("New with an empty token variable: %v", err)
	}
}
