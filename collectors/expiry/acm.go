package expiry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// ACM selects the AWS accounts whose ACM certificates to watch, in each of
// the account's regions, through the aws: section's credentials.
type ACM struct {
	// Accounts are names from the aws: section; empty means all of them.
	Accounts []string `yaml:"accounts"`
}

// SourceACM is the ACM source's name.
const SourceACM = "expiry_acm"

// ACMStatuses is the closed set of ACM certificate statuses, each exported
// as 0 or 1.
var ACMStatuses = func() []string {
	var out []string
	for _, s := range acmtypes.CertificateStatus("").Values() {
		out = append(out, string(s))
	}
	return out
}()

// ACMTarget is one account and region to read ACM in.
type ACMTarget struct {
	Account, Region string
	// Config returns the SDK configuration whose client sends through rt.
	Config func(rt http.RoundTripper) awssdk.Config
}

// ACMTargets lists the account/regions the provider configures that sel
// selects.
func ACMTargets(sel *ACM, p *aws.Provider) ([]ACMTarget, error) {
	if sel == nil {
		return nil, nil
	}
	var out []ACMTarget
	want := map[string]bool{}
	for _, n := range sel.Accounts {
		want[n] = true
	}
	for _, a := range p.Accounts() {
		if len(want) > 0 && !want[a.Name] {
			continue
		}
		delete(want, a.Name)
		for _, r := range a.Regions {
			a, r := a, r
			out = append(out, ACMTarget{Account: a.Name, Region: r, Config: func(rt http.RoundTripper) awssdk.Config { return a.Config(r, rt) }})
		}
	}
	for n := range want {
		return nil, fmt.Errorf("expiry.acm.accounts names %q, which the aws: section does not configure; add it there or remove it here", n)
	}
	return out, nil
}

// readACM lists every certificate of every key type (ListCertificates
// returns RSA_2048 only unless asked for the others) and describes each for
// its dates, issuer and serial. One item per account and region.
func readACM(ctx context.Context, targets []ACMTarget, rt http.RoundTripper) source.Items[Found] {
	out := source.Items[Found]{}
	for _, t := range targets {
		name := "acm:" + t.Account + "/" + t.Region
		f, err := readACMRegion(ctx, acm.NewFromConfig(t.Config(rt)))
		if err != nil {
			out.Fail(name, fmt.Errorf("acm %s %s: %w", t.Account, t.Region, err))
			continue
		}
		out.Set(name, f)
	}
	return out
}

func readACMRegion(ctx context.Context, client *acm.Client) (Found, error) {
	var f Found
	p := acm.NewListCertificatesPaginator(client, &acm.ListCertificatesInput{
		Includes: &acmtypes.Filters{KeyTypes: acmtypes.KeyAlgorithm("").Values()},
	})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 1000 {
			return Found{}, errors.New("more than 1000 pages of certificates")
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			return Found{}, err
		}
		for _, s := range page.CertificateSummaryList {
			d, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: s.CertificateArn})
			if err != nil {
				return Found{}, err
			}
			c := d.Certificate
			if c == nil || c.NotAfter == nil {
				// PENDING_VALIDATION and FAILED certificates have no dates:
				// their status says what matters.
				f.ACM = append(f.ACM, ACMFact{ARN: awssdk.ToString(s.CertificateArn), Status: string(s.Status), InUse: awssdk.ToBool(s.InUse)})
				continue
			}
			fact := CertFact{Origin: "acm", Location: awssdk.ToString(c.CertificateArn), Position: PositionLeaf,
				SubjectCN: awssdk.ToString(c.DomainName), IssuerCN: issuerCN(awssdk.ToString(c.Issuer)),
				Serial: strings.ReplaceAll(awssdk.ToString(c.Serial), ":", ""), NotAfter: c.NotAfter.UTC()}
			if c.NotBefore != nil {
				fact.NotBefore = c.NotBefore.UTC()
			}
			f.Certs = append(f.Certs, fact)
			f.ACM = append(f.ACM, ACMFact{ARN: fact.Location, Status: string(c.Status), InUse: len(c.InUseBy) > 0 || awssdk.ToBool(s.InUse)})
		}
	}
	return f, nil
}

// issuerCN is ACM's Issuer, which is a name ("Amazon") or a DN.
func issuerCN(s string) string {
	for _, part := range strings.Split(s, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "CN="); ok {
			return v
		}
	}
	return s
}

// ACMFact is an ACM certificate's status and use.
type ACMFact struct {
	ARN    string `json:"arn"`
	Status string `json:"status"`
	InUse  bool   `json:"in_use"`
}
