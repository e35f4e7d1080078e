package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Account is one configured AWS account. Copies share its credentials cache
// and its cached account ID.
type Account struct {
	// Name is the configured name, the account label value.
	Name string
	// Regions are the configured regions; the first is the default.
	Regions []string
	// RoleARN is the role assumed, "" for the default chain's identity.
	RoleARN string

	state *accountState
}

type accountState struct {
	cfg awssdk.Config // credentials, retryer and endpoint; never handed out itself

	mu sync.Mutex // held across the one GetCallerIdentity, so it runs once
	id string

	fingerprint string
}

// Fingerprint identifies this account's configuration and credentials
// alone (see accountFingerprint): key a source that reads one account with
// it, so a reload that adds another account or rotates another's key keeps
// the source's snapshot.
func (a *Account) Fingerprint() string { return a.state.fingerprint }

// Config returns a copy of the account's aws.Config for region ("" for the
// first configured one: Cost Explorer and Budgets ask for us-east-1
// whatever the account uses), whose HTTP client sends through rt, the
// source's counting transport (nil keeps the SDK's default client). The
// credentials cache is shared with every other copy; the requests that
// refresh it (AssumeRole) go through the SDK's default client, not rt.
func (a *Account) Config(region string, rt http.RoundTripper) awssdk.Config {
	c := a.state.cfg.Copy()
	if region != "" {
		c.Region = region
	}
	if rt != nil {
		c.HTTPClient = &http.Client{Transport: rt}
	}
	return c
}

// ID returns the account's 12-digit ID from STS GetCallerIdentity, asked
// once and cached for the life of the Provider. A failure is not cached: the
// next call asks again. Concurrent callers wait for one request. The request
// goes through the SDK's default HTTP client, like AssumeRole: it belongs to
// the account, not to a source (STS calls are free).
func (a *Account) ID(ctx context.Context) (string, error) {
	s := a.state
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.id != "" {
		return s.id, nil
	}
	out, err := sts.NewFromConfig(s.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("aws account %s: reading its ID with sts:GetCallerIdentity: %w", a.Name, err)
	}
	if out.Account == nil || *out.Account == "" {
		return "", fmt.Errorf("aws account %s: %w", a.Name, errors.New("sts:GetCallerIdentity returned no account ID"))
	}
	s.id = *out.Account
	return s.id, nil
}
