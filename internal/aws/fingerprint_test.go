package aws

import (
	"os"
	"strings"
	"testing"
)

// TestAccountFingerprints: each account's fingerprint covers its own
// fields and its own profile of the shared files only. Rotating one
// profile's key changes that account's fingerprint (and the provider's),
// adding an account changes no other's, and no fingerprint holds a key or
// secret.
func TestAccountFingerprints(t *testing.T) {
	isolate(t)
	creds := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	write := func(stageKey string) {
		t.Helper()
		if err := os.WriteFile(creds, []byte("[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = prod-secret\n"+
			"[stage]\naws_access_key_id = "+stageKey+"\naws_secret_access_key = stage-secret\n"+
			"[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = dev-secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	accounts := func(names ...string) *Config {
		c := &Config{}
		for _, n := range names {
			c.Accounts = append(c.Accounts, AccountConfig{Name: n, Region: "eu-central-1", Profile: n})
		}
		return c
	}
	fps := func(p *Provider) map[string]string {
		out := map[string]string{}
		for _, a := range p.Accounts() {
			out[a.Name] = a.Fingerprint()
		}
		return out
	}
	write("AKIASTAGE1")
	before := newProvider(t, accounts("prod", "stage"))
	write("AKIASTAGE2")
	rotated := newProvider(t, accounts("prod", "stage", "dev"))
	b, r := fps(before), fps(rotated)
	if b["prod"] != r["prod"] {
		t.Error("rotating stage's key or adding dev changed prod's fingerprint")
	}
	if b["stage"] == r["stage"] {
		t.Error("rotating stage's key left its fingerprint unchanged")
	}
	if before.Fingerprint() == rotated.Fingerprint() {
		t.Error("the provider's fingerprint must still change")
	}
	for name, fp := range r {
		for _, secret := range []string{"AKIA", "secret"} {
			if strings.Contains(fp, secret) {
				t.Errorf("account %s's fingerprint %q holds %q", name, fp, secret)
			}
		}
	}
}
