package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The AWS stack is refused before terraform runs without credentials, and
// the error names the variables; a profile counts only when it exists.
func TestAWSCredentialsStopBeforeTerraform(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	providers := `terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.47.1"
    }
  }
}
`
	if err := os.WriteFile(filepath.Join(s.dir, "providers.tf"), []byte(providers), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Plan(ctx(t), s.opts)
	if err == nil {
		t.Fatal("plan of the AWS stack without credentials succeeded")
	}
	for _, want := range []string{"hashicorp/aws", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN", "terraform was not run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if _, statErr := os.Stat(filepath.Join(s.dir, ".terraform")); !os.IsNotExist(statErr) {
		t.Error("terraform ran before the credentials were checked")
	}
	t.Logf("refused in %s", time.Since(start).Round(time.Millisecond))

	home := s.root // HOME of the stack's environment
	cfgDir := filepath.Join(home, ".aws")
	os.MkdirAll(cfgDir, 0o700)
	for _, c := range []struct {
		name    string
		env     []string
		files   map[string]string
		allowed bool
	}{
		{"keys", []string{"AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret"}, nil, true},
		{"key id only", []string{"AWS_ACCESS_KEY_ID=AKIAEXAMPLE"}, nil, false},
		{"web identity", []string{"AWS_WEB_IDENTITY_TOKEN_FILE=/t", "AWS_ROLE_ARN=arn:aws:iam::123456789012:role/x"}, nil, true},
		{"missing profile", []string{"AWS_PROFILE=ops"}, map[string]string{"config": "[profile other]\nregion = eu-central-1\n"}, false},
		{"profile in config", []string{"AWS_PROFILE=ops"}, map[string]string{"config": "[profile other]\n[ profile  ops ]\nsso_session = x\n"}, true},
		{"profile in credentials", []string{"AWS_PROFILE=ops"}, map[string]string{"credentials": "[ops]\naws_access_key_id = x\n"}, true},
		{"bare name in config is not a profile", []string{"AWS_PROFILE=ops"}, map[string]string{"config": "[ops]\n"}, false},
		{"default profile", nil, map[string]string{"config": "[default]\ncredential_source = Ec2InstanceMetadata\n"}, true},
	} {
		os.RemoveAll(filepath.Join(cfgDir, "config"))
		os.RemoveAll(filepath.Join(cfgDir, "credentials"))
		for name, body := range c.files {
			if err := os.WriteFile(filepath.Join(cfgDir, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		o := s.opts
		o.Environ = append(append([]string{}, s.opts.Environ...), c.env...)
		err := o.checkCredentials()
		if (err == nil) != c.allowed {
			t.Errorf("%s: checkCredentials = %v, want allowed=%v", c.name, err, c.allowed)
		}
	}
}

// check's SDK configuration says which variables to set when the
// credential chain finds none: once, instead of the instance metadata
// service's timeout in every row of the report.
func TestCheckWithoutAWSCredentialsNamesTheVariables(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	} {
		t.Setenv(k, v)
	}
	_, err := awsConfig(ctx(t), []string{"PATH=" + os.Getenv("PATH")}, "eu-central-1")
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials for check") || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Fatalf("awsConfig without credentials: %v, want an error naming AWS_ACCESS_KEY_ID", err)
	}
	if _, err := awsConfig(ctx(t), []string{"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=s3cr3t"}, "eu-central-1"); err != nil {
		t.Fatalf("awsConfig with static keys: %v", err)
	}
}
