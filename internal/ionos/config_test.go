package ionos

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// decode reads a section the way the daemon does: unknown fields are errors.
func decode(t *testing.T, doc string) (*Config, error) {
	t.Helper()
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.KnownFields(true)
	err := dec.Decode(&c)
	return &c, err
}

func TestDecodeAndDefaults(t *testing.T) {
	c, err := decode(t, `
token: {file: /run/secrets/ionos-token}
contract_number: 31234567
registry_url: http://127.0.0.1:9/containerregistries
`)
	if err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	if errs := c.Validate(); len(errs) != 0 {
		t.Fatalf("valid section refused: %v", errs)
	}
	if c.Token == nil || c.Token.File != "/run/secrets/ionos-token" {
		t.Errorf("token = %+v", c.Token)
	}
	if c.ContractNumber != "31234567" {
		t.Errorf("a contract number written as a YAML integer decodes to %q", c.ContractNumber)
	}
	if c.APIURL != DefaultAPIURL || c.AuthURL != DefaultAuthURL || c.BillingURL != DefaultBillingURL {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.RegistryURL != "http://127.0.0.1:9/containerregistries" {
		t.Errorf("an override was replaced by the default: %q", c.RegistryURL)
	}
	if _, err := decode(t, "tokn: {env: X}\n"); err == nil {
		t.Error("a misspelt field decoded without error")
	}
}

// TestInlineSecretRefused: a token written inline is refused without being
// repeated in the error.
func TestInlineSecretRefused(t *testing.T) {
	_, err := decode(t, "token: canary-inline-d41d8cd9\n")
	if err == nil {
		t.Fatal("an inline token was accepted")
	}
	if strings.Contains(err.Error(), "canary-inline") {
		t.Errorf("the error repeats the secret: %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name, doc, field, hint string
	}{
		{"token and basic", "token: {env: T}\nusername: {env: U}\npassword: {env: P}\n", "token", "one way"},
		{"username alone", "username: {env: U}\n", "password", "password"},
		{"password alone", "password: {env: P}\n", "username", "username"},
		{"empty reference", "token: {}\n", "token", "{env: VARIABLE}"},
		{"both env and file", "token: {env: T, file: /t}\n", "token", "{env: VARIABLE}"},
		{"contract letters", "contract_number: abc\n", "contract_number", "digits"},
		{"api url scheme", "api_url: ftp://api.ionos.com/cloudapi/v6\n", "api_url", "http(s)"},
		{"relative billing url", "billing_url: /billing\n", "billing_url", "absolute"},
		{"auth url with query", "auth_url: https://api.ionos.com/auth/v1?x=1\n", "auth_url", "without query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := decode(t, tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			c.ApplyDefaults()
			errs := c.Validate()
			if len(errs) != 1 {
				t.Fatalf("want one error on %s, got %v", tc.field, errs)
			}
			if errs[0].Field != tc.field || errs[0].Msg == "" || !strings.Contains(errs[0].Hint, tc.hint) {
				t.Errorf("got field %q msg %q hint %q; want field %q and a hint with %q", errs[0].Field, errs[0].Msg, errs[0].Hint, tc.field, tc.hint)
			}
		})
	}
}

// TestValidateURLWithCredentials: user info in a URL is refused without
// echoing it.
func TestValidateURLWithCredentials(t *testing.T) {
	c := &Config{APIURL: "https://me:canary-pw-77@api.ionos.com/cloudapi/v6"}
	errs := c.Validate()
	if len(errs) != 1 || errs[0].Field != "api_url" {
		t.Fatalf("got %v", errs)
	}
	if strings.Contains(errs[0].Msg+errs[0].Hint, "canary-pw") {
		t.Errorf("the error repeats the password: %v", errs[0])
	}
}

// TestPlainHTTPOnlyToLoopback: credentials never cross the network in clear
// text; plain http is for an emulator on this machine only.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://api.ionos.example/cloudapi/v6":  false,
		"http://10.0.0.5:8080/cloudapi/v6":      false,
		"http://127.0.0.1:9/cloudapi/v6":        true,
		"http://localhost:9/cloudapi/v6":        true,
		"http://[::1]:9/cloudapi/v6":            true,
		"https://api.ionos.example/cloudapi/v6": true,
	} {
		c := &Config{APIURL: url}
		c.ApplyDefaults()
		errs := c.Validate()
		if ok && len(errs) != 0 {
			t.Errorf("%s refused: %v", url, errs)
		}
		if !ok && (len(errs) == 0 || !strings.Contains(errs[0].Msg, "plain http")) {
			t.Errorf("%s accepted over plain http: %v", url, errs)
		}
	}
}
