// Package awstest builds the aws provider for tests against moto_server,
// with static test credentials and no shared config files, so no test reads
// the developer's ~/.aws.
package awstest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/aws"
)

// MotoAccount returns the account "production" (eu-central-1) of an aws
// provider whose every call goes to endpoint (moto_server's URL).
func MotoAccount(t testing.TB, endpoint string) aws.Account {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	cfg := &aws.Config{Accounts: []aws.AccountConfig{{Name: "production", Region: "eu-central-1", Endpoint: endpoint}}}
	cfg.ApplyDefaults()
	p, err := aws.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("aws provider against moto: %v", err)
	}
	a, ok := p.Account("production")
	if !ok {
		t.Fatal("aws provider has no account production")
	}
	return a
}
