package aws

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestCallerIdentity: the account's config, for any region and through the
// source's transport, reaches STS with the default chain's credentials; ID
// asks once and caches.
func TestCallerIdentity(t *testing.T) {
	isolate(t)
	proxy := newSTSProxy(t)
	p := newProvider(t, &Config{Accounts: []AccountConfig{{Name: "production", Regions: []string{"eu-central-1", "eu-west-1"}, Endpoint: proxy.URL}}})
	accts := p.Accounts()
	if len(accts) != 1 || accts[0].Name != "production" || len(accts[0].Regions) != 2 {
		t.Fatalf("Accounts() = %+v", accts)
	}
	a := accts[0]

	rt := &counting{}
	out, err := sts.NewFromConfig(a.Config("eu-west-1", rt)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Account != "123456789012" {
		t.Errorf("account %s, want moto's 123456789012", *out.Account)
	}
	if rt.count() != 1 {
		t.Errorf("the source's transport saw %d requests, want 1", rt.count())
	}
	got := proxy.of("GetCallerIdentity")
	if len(got) != 1 || got[0].keyID != testKeyID || got[0].region != "eu-west-1" {
		t.Fatalf("STS saw %+v; want one call signed with %s for eu-west-1", got, testKeyID)
	}
	if c := a.Config("", nil); c.Region != "eu-central-1" {
		t.Errorf("Config(\"\") region %q, want the first configured", c.Region)
	}

	for i := 0; i < 3; i++ {
		id, err := a.ID(context.Background())
		if err != nil || id != "123456789012" {
			t.Fatalf("ID() = %q, %v", id, err)
		}
	}
	// A copy of the account, from another Accounts() call, shares the cache.
	if id, err := p.Accounts()[0].ID(context.Background()); err != nil || id != "123456789012" {
		t.Fatalf("ID() on a copy = %q, %v", id, err)
	}
	if n := len(proxy.of("GetCallerIdentity")); n != 2 {
		t.Errorf("GetCallerIdentity sent %d times in all, want 2 (one by hand, one for ID)", n)
	}
}

// TestRoleAssumed: with role_arn, requests are signed with the role's
// credentials (moto reports the role's account), the external ID and session
// name are sent, and one AssumeRole serves every copy of the config.
func TestRoleAssumed(t *testing.T) {
	isolate(t)
	proxy := newSTSProxy(t)
	p := newProvider(t, &Config{Accounts: []AccountConfig{{Name: "staging", Region: "eu-central-1", Endpoint: proxy.URL,
		RoleARN: "arn:aws:iam::111111111111:role/vigil-read", ExternalID: "vigil-ext-42"}}})
	a, ok := p.Account("staging")
	if !ok {
		t.Fatal("Account(staging) not found")
	}
	id, err := a.ID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id != "111111111111" {
		t.Errorf("ID() = %s, want the role's account 111111111111", id)
	}
	for _, region := range []string{"eu-central-1", "us-east-1"} {
		if _, err := sts.NewFromConfig(a.Config(region, &counting{})).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	assume := proxy.of("AssumeRole")
	if len(assume) != 1 {
		t.Fatalf("AssumeRole sent %d times, want 1 shared by every copy", len(assume))
	}
	f := assume[0].form
	if f.Get("RoleArn") != "arn:aws:iam::111111111111:role/vigil-read" || f.Get("ExternalId") != "vigil-ext-42" || f.Get("RoleSessionName") != SessionName {
		t.Errorf("AssumeRole form %v", f)
	}
	if assume[0].keyID != testKeyID {
		t.Errorf("AssumeRole signed with %q, want the default chain's %s", assume[0].keyID, testKeyID)
	}
	for _, c := range proxy.of("GetCallerIdentity") {
		if c.keyID == testKeyID || !strings.HasPrefix(c.keyID, "ASIA") {
			t.Errorf("GetCallerIdentity signed with %q, want the role's temporary key", c.keyID)
		}
	}
}

// TestIDFailureNotCached: a failed GetCallerIdentity is sent once (no SDK
// retries), says which account, shows no secret, and the next call asks again.
func TestIDFailureNotCached(t *testing.T) {
	isolate(t)
	proxy := newSTSProxy(t)
	p := newProvider(t, &Config{Accounts: []AccountConfig{{Name: "dev", Region: "eu-central-1", Endpoint: proxy.URL}}})
	a := p.Accounts()[0]
	for _, status := range []int{http.StatusForbidden, http.StatusInternalServerError} {
		proxy.setFail(status)
		before := len(proxy.of("GetCallerIdentity"))
		_, err := a.ID(context.Background())
		if err == nil {
			t.Fatalf("status %d: ID succeeded", status)
		}
		if !strings.Contains(err.Error(), "aws account dev") || strings.Contains(err.Error(), testSecret) {
			t.Errorf("status %d: error %q; want the account named and no secret", status, err)
		}
		if n := len(proxy.of("GetCallerIdentity")) - before; n != 1 {
			t.Errorf("status %d: sent %d times, want 1 (the engine retries, not the SDK)", status, n)
		}
	}
	proxy.setFail(0)
	if id, err := a.ID(context.Background()); err != nil || id != "123456789012" {
		t.Errorf("after recovery ID() = %q, %v", id, err)
	}
}

// TestProfile: a named profile of the shared files selects its credentials.
func TestProfile(t *testing.T) {
	isolate(t)
	proxy := newSTSProxy(t)
	creds := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if err := os.WriteFile(creds, []byte("[ops]\naws_access_key_id = AKIAVIGILPROFILE0001\naws_secret_access_key = "+testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, &Config{Accounts: []AccountConfig{{Name: "ops", Region: "eu-central-1", Endpoint: proxy.URL, Profile: "ops"}}})
	if _, err := p.Accounts()[0].ID(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := proxy.of("GetCallerIdentity"); len(got) != 1 || got[0].keyID != "AKIAVIGILPROFILE0001" {
		t.Errorf("signed with %+v, want the profile's key", got)
	}
	if s := fmt.Sprintf("%+v", p.Accounts()[0].Config("", nil)); strings.Contains(s, testSecret) {
		t.Errorf("the account's config shows the profile's secret key: %s", s)
	}
	_, err := New(context.Background(), &Config{Accounts: []AccountConfig{{Name: "ghost", Region: "eu-central-1", Profile: "nope"}}})
	if err == nil || !strings.Contains(err.Error(), "aws account ghost") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("an unknown profile: %v; want an error naming the account and the profile", err)
	}
}

// TestFingerprint: stable for the same configuration and environment,
// changed by a role, a region or another access key, and revealing neither
// the key ID nor the secret.
func TestFingerprint(t *testing.T) {
	isolate(t)
	cfg := func() *Config {
		return &Config{Accounts: []AccountConfig{{Name: "prod", Region: "eu-central-1", RoleARN: "arn:aws:iam::111111111111:role/a"}}}
	}
	first := newProvider(t, cfg()).Fingerprint()
	if newProvider(t, cfg()).Fingerprint() != first {
		t.Error("the same configuration gave another fingerprint")
	}
	for name, change := range map[string]func(*Config){
		"role":   func(c *Config) { c.Accounts[0].RoleARN = "arn:aws:iam::111111111111:role/b" },
		"region": func(c *Config) { c.Accounts[0].Region = "eu-west-1" },
		"name":   func(c *Config) { c.Accounts[0].Name = "production" },
	} {
		c := cfg()
		change(c)
		if newProvider(t, c).Fingerprint() == first {
			t.Errorf("another %s did not change the fingerprint", name)
		}
	}
	// Keys rotated in the shared credentials file at the same path.
	if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte("[default]\naws_access_key_id = AKIAVIGILTEST0000009\naws_secret_access_key = rotated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rotated := newProvider(t, cfg()).Fingerprint()
	if rotated == first {
		t.Error("a rewritten shared credentials file did not change the fingerprint")
	}
	if strings.Contains(rotated, "rotated") {
		t.Error("the fingerprint shows the file's contents")
	}
	first = rotated
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAVIGILTEST0000002")
	if newProvider(t, cfg()).Fingerprint() == first {
		t.Error("another AWS_ACCESS_KEY_ID did not change the fingerprint")
	}
	p := newProvider(t, cfg())
	for _, s := range []string{p.Fingerprint(), fmt.Sprintf("%+v %#v", p, p), fmt.Sprintf("%+v %#v", p.Accounts()[0].Config("", nil), p.Accounts()[0].Config("", nil))} {
		if strings.Contains(s, testSecret) || strings.Contains(s, "AKIAVIGILTEST") {
			t.Errorf("shows a credential: %s", s)
		}
	}
}
