package billing

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/sandbox/flap"
)

// Section is a configuration file section with defaults.
var (
	_ config.Section   = (*Section)(nil)
	_ config.Defaulter = (*Section)(nil)
)

// sandboxUpstreams are the in-process emulators the sandbox section reads.
type sandboxUpstreams struct {
	awsURL, ionosURL, ionosToken, contract string
	// registries serves the estimate's container registries (the ionos
	// provider's sandbox serves the Cloud API).
	registries *sandbox.IONOSTokens
}

const sandboxAccountID = "123456789012"

func init() {
	collector.Register(collector.Registration{
		Name:       "billing",
		Section:    "billing",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		Uses:       []string{"aws", "ionos"},
		Sandbox:    sandboxSection,
		Build: func(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
			s := sec.(*Section)
			cfg, err := targets(s, deps)
			if err != nil {
				return nil, err
			}
			return New(cfg, deps.Group, deps.Logger), nil
		},
	})
}

// targets resolves the section's accounts against the providers (or the
// sandbox's emulators).
func targets(s *Section, deps *collector.Deps) (Config, error) {
	cfg := Config{Budgets: s.Budgets}
	if s.IONOSEstimate != nil {
		t, err := estimateTarget(*s.IONOSEstimate, s.sandbox, deps)
		if err != nil {
			return Config{}, err
		}
		cfg.Estimate = t
	}
	if sb := s.sandbox; sb != nil {
		for _, a := range s.AWS {
			cfg.AWS = append(cfg.AWS, AWSTarget{Name: a.Account, Config: a, Key: "sandbox",
				Client: func(rt http.RoundTripper) *aws.BillingClient {
					return aws.StaticBilling(sb.awsURL, sandboxAccountID, rt)
				}})
		}
		if s.IONOS != nil {
			cfg.IONOS = &IONOSTarget{Config: *s.IONOS, Key: "sandbox", Client: func(rt http.RoundTripper) (*ionos.BillingClient, error) {
				return ionos.NewBillingClient(sb.ionosURL, sb.contract, &http.Client{Transport: bearer(sb.ionosToken, rt)}), nil
			}}
		}
		return cfg, nil
	}
	if len(s.AWS) > 0 {
		built, err := deps.Provider("aws")
		if err != nil {
			return Config{}, fmt.Errorf("aws: %w", err)
		}
		p := built.(*aws.Provider)
		for i, a := range s.AWS {
			acct, ok := p.Account(a.Account)
			if !ok {
				return Config{}, fmt.Errorf("aws[%d].account: %q is not an account of the aws: section; name one listed there", i, a.Account)
			}
			// The account's own fingerprint, not the provider's: adding
			// an account or rotating another's key refetches nothing
			// here (Cost Explorer costs USD 0.01 a request).
			cfg.AWS = append(cfg.AWS, AWSTarget{Name: a.Account, Config: a, Key: acct.Fingerprint(), Client: acct.Billing})
		}
	}
	if s.IONOS != nil {
		built, err := deps.Provider("ionos")
		if err != nil {
			return Config{}, fmt.Errorf("ionos: %w", err)
		}
		p := built.(*ionos.Provider)
		if p.ContractNumber() == "" {
			return Config{}, fmt.Errorf("ionos: the Billing API needs the contract number: set contract_number in the ionos: section (or IONOS_CONTRACT_NUMBER)")
		}
		cfg.IONOS = &IONOSTarget{Config: *s.IONOS, Key: p.Fingerprint(), Client: p.Billing}
	}
	return cfg, nil
}

// estimateTarget prices the inventory the ionos provider reads (the
// sandbox's provider reads the Cloud API emulator; its registries come
// from the sandbox's registry emulator).
func estimateTarget(e IONOSEstimate, sb *sandboxUpstreams, deps *collector.Deps) (*EstimateTarget, error) {
	built, err := deps.Provider("ionos")
	if err != nil {
		return nil, fmt.Errorf("ionos_estimate: %w", err)
	}
	p, ok := built.(*ionos.Provider)
	if !ok {
		return nil, fmt.Errorf("ionos_estimate: the ionos provider is not an IONOS client set")
	}
	t := &EstimateTarget{Config: e, Key: p.Fingerprint(), CloudAPI: p.CloudAPI, Registries: p.Tokens}
	if sb != nil && sb.registries != nil {
		t.Registries = func(rt http.RoundTripper) *ionos.TokenClient {
			return ionos.NewTokenClient(sb.registries.RegistryURL(), sb.registries.AuthURL(), &http.Client{Transport: bearer(sandboxRegistryBearer, rt)})
		}
	}
	return t, nil
}

const sandboxRegistryBearer = "sandbox-billing-registry-token"

func bearer(token string, next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+token)
		return next.RoundTrip(r)
	})
}

// SandboxAWS and SandboxIONOS are the sandbox's billing data: AWS at 92 %
// of its budget (so `make run` shows the 90 % alert), IONOS well inside.
func SandboxAWS() *sandbox.AWSBilling {
	return &sandbox.AWSBilling{
		Current: map[string]float64{
			"Amazon Elastic Compute Cloud - Compute": 161.20,
			"Amazon Relational Database Service":     64.80,
			"Amazon Simple Storage Service":          12.40,
			"Amazon Simple Queue Service":            1.60,
			"Elastic Load Balancing":                 36.00, // 276.00 = 92 % of 300
		},
		Previous: map[string]float64{
			"Amazon Elastic Compute Cloud - Compute": 170.00,
			"Amazon Relational Database Service":     70.00,
			"Elastic Load Balancing":                 40.00,
		},
		Forecast: 84.00,
		Budgets:  []sandbox.AWSBudget{{Name: "production-monthly", Limit: 300, Actual: 276, Forecast: 360, Currency: "USD", Thresholds: []float64{80, 100}}},
	}
}

// SandboxBudgetAWS is the sandbox's AWS budget (USD a month).
const SandboxBudgetAWS = 300.0

func sandboxIONOS(now time.Time) *sandbox.IONOSBilling {
	cur := now.UTC().Format("2006-01")
	prev := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	dc := func(hours float64) []sandbox.IONOSDataCenter {
		return []sandbox.IONOSDataCenter{{ID: "f2c2edf6-49f7-4687-8100-872b4d02ddcc", Name: "staging-fra", Location: "de/fra", Meters: []sandbox.IONOSMeter{
			{MeterID: "C01000", Desc: "1h core AMD", Unit: "1 hour", Quantity: 2 * hours},
			{MeterID: "R01000", Desc: "1h per GB RAM", Unit: "1G * 1 hour", Quantity: 4 * hours},
			{MeterID: "S05000", Desc: "30d per 1 GB SSD Storage Standard", Unit: "1 GB * 30 days", Quantity: 50 * hours / 720},
			{MeterID: "X99999", Desc: "meter missing from the price list", Unit: "1 hour", Quantity: hours},
		}}}
	}
	// Usage is computed through yesterday (at least one day).
	end := now.UTC().AddDate(0, 0, -1)
	if end.Format("2006-01") != cur {
		end = now.UTC()
	}
	hours := float64(end.Day()) * 24
	return &sandbox.IONOSBilling{
		Contract: "31234567", Token: "sandbox-token",
		Products: []sandbox.IONOSProduct{
			{MeterID: "C01000", Desc: "1h core AMD", Unit: "1 hour", Price: 0.04, Currency: "EUR"},
			{MeterID: "R01000", Desc: "1h per GB RAM", Unit: "1G * 1 hour", Price: 0.01, Currency: "EUR"},
			{MeterID: "S05000", Desc: "30d per 1 GB SSD Storage Standard", Unit: "1 GB * 30 days", Price: 0.08, Currency: "EUR"},
		},
		Usage:   map[string][]sandbox.IONOSDataCenter{cur: dc(hours), prev: dc(720)},
		EndDate: map[string]string{cur: end.Format("2006-01-02")},
	}
}

func sandboxSection(env *collector.SandboxEnv) (config.Section, error) {
	awsSrv := httptest.NewServer(flap.Wrap(SandboxAWS()))
	env.OnStop(awsSrv.Close)
	ib := sandboxIONOS(time.Now())
	ionosSrv := httptest.NewServer(flap.Wrap(http.StripPrefix("/billing", ib)))
	env.OnStop(ionosSrv.Close)
	regs := sandbox.StartIONOSTokens(sandboxRegistryBearer, 0, []sandbox.SandboxRegistry{{ID: "3f1d2c4e-8a7b-4c1d-9e2f-0a1b2c3d4e60", Name: "vigil-sandbox"}}, nil)
	env.OnStop(regs.Close)
	s := &Section{
		AWS:   []AWSAccount{{Account: "production", Budgets: true}},
		IONOS: &IONOSBilling{},
		Budgets: []Budget{
			{Provider: "aws", Amount: SandboxBudgetAWS, Currency: "USD"},
			{Provider: "ionos", Amount: 177, Currency: "EUR"},
		},
		IONOSEstimate: &IONOSEstimate{},
		sandbox: &sandboxUpstreams{awsURL: awsSrv.URL, ionosURL: ionosSrv.URL + "/billing", ionosToken: ib.Token, contract: ib.Contract,
			registries: regs},
	}
	s.ApplyDefaults()
	return s, nil
}
