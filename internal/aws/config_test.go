package aws

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// decode reads a section the way the daemon does: unknown fields are errors.
func decode(t *testing.T, doc string) *Config {
	t.Helper()
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	return &c
}

func TestDecodeAndDefaults(t *testing.T) {
	c := decode(t, `
accounts:
  - name: production
    region: eu-central-1
    role_arn: arn:aws:iam::123456789012:role/vigil-read
    external_id: vigil-prod
  - name: moto
    regions: [us-east-1, eu-west-1]
    profile: ci
    endpoint: http://127.0.0.1:5000
`)
	if errs := c.Validate(); len(errs) != 0 {
		t.Fatalf("valid section refused: %v", errs)
	}
	if got := c.Accounts[0].Regions; len(got) != 1 || got[0] != "eu-central-1" || c.Accounts[0].Region != "" {
		t.Errorf("region not folded into regions: %+v", c.Accounts[0])
	}
	if c.Accounts[1].Profile != "ci" || c.Accounts[1].Endpoint != "http://127.0.0.1:5000" || len(c.Accounts[1].Regions) != 2 {
		t.Errorf("decoded %+v", c.Accounts[1])
	}
	var bad Config
	dec := yaml.NewDecoder(strings.NewReader("accounts:\n  - name: x\n    secret_access_key: y\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&bad); err == nil {
		t.Error("a key in the file decoded without error: credentials have no field here")
	}
}

func TestValidateNamesTheField(t *testing.T) {
	ok := "  - name: ok\n    region: eu-central-1\n"
	for _, tc := range []struct {
		name, doc, field, hint string
	}{
		{"no accounts", "accounts: []\n", "accounts", "list the AWS accounts"},
		{"no name", "accounts:\n  - region: eu-central-1\n", "accounts[0].name", "account label"},
		{"name with space", "accounts:\n  - name: my prod\n    region: eu-central-1\n", "accounts[0].name", "letters"},
		{"duplicate name", "accounts:\n" + ok + ok, "accounts[1].name", "its own name"},
		{"no region", "accounts:\n  - name: a\n", "accounts[0].regions", "eu-central-1"},
		{"region and regions", "accounts:\n  - name: a\n    region: eu-central-1\n    regions: [eu-west-1]\n", "accounts[0].region", "remove region"},
		{"bad region", "accounts:\n" + ok + "  - name: b\n    regions: [eu-west-1, Frankfurt]\n", "accounts[1].regions[1]", "region code"},
		{"region twice", "accounts:\n  - name: a\n    regions: [eu-west-1, eu-west-1]\n", "accounts[0].regions[1]", "once"},
		{"user ARN", "accounts:\n" + ok + "  - name: b\n    region: eu-central-1\n    role_arn: arn:aws:iam::123456789012:user/bob\n", "accounts[1].role_arn", "role/"},
		{"external id alone", "accounts:\n  - name: a\n    region: eu-central-1\n    external_id: xyz\n", "accounts[0].external_id", "role_arn"},
		{"external id chars", "accounts:\n  - name: a\n    region: eu-central-1\n    role_arn: arn:aws:iam::123456789012:role/r\n    external_id: 'a b'\n", "accounts[0].external_id", "letters"},
		{"endpoint", "accounts:\n  - name: a\n    region: eu-central-1\n    endpoint: localhost:5000\n", "accounts[0].endpoint", "http://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := decode(t, tc.doc).Validate()
			if len(errs) != 1 {
				t.Fatalf("want one error on %s, got %v", tc.field, errs)
			}
			if errs[0].Field != tc.field || errs[0].Msg == "" || !strings.Contains(errs[0].Hint, tc.hint) {
				t.Errorf("got field %q msg %q hint %q; want field %q and a hint with %q", errs[0].Field, errs[0].Msg, errs[0].Hint, tc.field, tc.hint)
			}
		})
	}
}

// TestValidateBeforeDefaults: a single region is accepted (and checked)
// even when ApplyDefaults has not run.
func TestValidateBeforeDefaults(t *testing.T) {
	c := &Config{Accounts: []AccountConfig{{Name: "a", Region: "eu-central-1"}}}
	if errs := c.Validate(); len(errs) != 0 {
		t.Errorf("got %v", errs)
	}
	c.Accounts[0].Region = "frankfurt"
	if errs := c.Validate(); len(errs) != 1 || errs[0].Field != "accounts[0].region" {
		t.Errorf("got %v", errs)
	}
}
