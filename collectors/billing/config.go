package billing

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/config"
)

// Section is the `billing:` section of the configuration file.
type Section struct {
	// AWS lists the accounts (by their name in the aws: section) whose Cost
	// Explorer and Budgets figures to read.
	AWS []AWSAccount `yaml:"aws"`
	// IONOS reads the contract's Billing API (contract owners and admins
	// only) with the ionos: section's credentials.
	IONOS *IONOSBilling `yaml:"ionos"`
	// IONOSEstimate prices the IONOS inventory (Cloud API node pools and
	// IP blocks, container registries) for users who cannot read the
	// Billing API; exported apart, as vigil_billing_estimate_*.
	IONOSEstimate *IONOSEstimate `yaml:"ionos_estimate"`
	// Budgets are this environment's monthly budgets, per provider.
	Budgets []Budget `yaml:"budgets"`

	// sandbox, when set, points the collector at in-process upstreams
	// instead of the providers (the --sandbox demo). Never from YAML.
	sandbox *sandboxUpstreams
}

// AWSAccount is one AWS account's billing data.
type AWSAccount struct {
	// Account is the name of an account of the aws: section.
	Account string `yaml:"account"`
	// CostMetric is the Cost Explorer metric: UnblendedCost (default),
	// AmortizedCost or NetUnblendedCost.
	CostMetric string `yaml:"cost_metric"`
	// RefreshInterval between Cost Explorer refreshes; default 12h (its
	// data lags up to a day, and every request costs USD 0.01).
	RefreshInterval config.Duration `yaml:"refresh_interval"`
	// DailyRequestBudget caps Cost Explorer requests per UTC day, every
	// page counted; default 8, at most 48.
	DailyRequestBudget int `yaml:"daily_request_budget"`
	// Budgets reads AWS Budgets (DescribeBudgets, free of charge) too.
	Budgets bool `yaml:"budgets"`
	// BudgetsRefreshInterval between DescribeBudgets refreshes; default 6h.
	BudgetsRefreshInterval config.Duration `yaml:"budgets_refresh_interval"`
}

// IONOSBilling configures the IONOS Billing API source.
type IONOSBilling struct {
	// RefreshInterval; default 6h (IONOS computes usage once a day).
	RefreshInterval config.Duration `yaml:"refresh_interval"`
}

// Budget is one monthly budget of this environment.
type Budget struct {
	Provider string  `yaml:"provider"` // aws or ionos
	Amount   float64 `yaml:"amount"`   // per calendar month
	Currency string  `yaml:"currency"` // EUR, USD: never converted
	// PageWithin: page when spend is on course to reach the budget within
	// this long (default 3d); further away it is a ticket.
	PageWithin config.Duration `yaml:"page_within"`
}

// Defaults and limits.
const (
	DefaultCostInterval     = 12 * time.Hour
	DefaultBudgetsInterval  = 6 * time.Hour
	DefaultIONOSInterval    = 6 * time.Hour
	DefaultRequestBudget    = 8
	MaxRequestBudget        = 48
	DefaultCostMetric       = "UnblendedCost"
	DefaultPageWithin       = 3 * 24 * time.Hour
	minCostInterval         = time.Hour
	ceRequestsPerRefreshMin = 2 // one GetCostAndUsage page and one GetCostForecast
)

// ApplyDefaults fills intervals, budgets and the cost metric.
func (s *Section) ApplyDefaults() {
	for i := range s.AWS {
		a := &s.AWS[i]
		if a.CostMetric == "" {
			a.CostMetric = DefaultCostMetric
		}
		if a.RefreshInterval == 0 {
			a.RefreshInterval = config.Duration(DefaultCostInterval)
		}
		if a.DailyRequestBudget == 0 {
			a.DailyRequestBudget = DefaultRequestBudget
		}
		if a.BudgetsRefreshInterval == 0 {
			a.BudgetsRefreshInterval = config.Duration(DefaultBudgetsInterval)
		}
	}
	if s.IONOSEstimate != nil {
		s.IONOSEstimate.applyDefaults()
	}
	if s.IONOS != nil && s.IONOS.RefreshInterval == 0 {
		s.IONOS.RefreshInterval = config.Duration(DefaultIONOSInterval)
	}
	for i := range s.Budgets {
		if s.Budgets[i].PageWithin == 0 {
			s.Budgets[i].PageWithin = config.Duration(DefaultPageWithin)
		}
	}
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// RequestsPerDay is how many Cost Explorer requests a refresh every
// interval sends in a day at the least (one page and one forecast each).
func RequestsPerDay(interval time.Duration) int {
	return int(math.Ceil(float64(24*time.Hour)/float64(interval))) * ceRequestsPerRefreshMin
}

// Validate reports every problem, fields relative to the section.
func (s *Section) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if len(s.AWS) == 0 && s.IONOS == nil && s.IONOSEstimate == nil {
		add("aws", "no provider to read", "list AWS accounts under aws, add ionos: {} to read the IONOS Billing API, or ionos_estimate: {} to price the IONOS inventory")
	}
	if s.IONOSEstimate != nil {
		s.IONOSEstimate.validate(add)
	}
	seen := map[string]bool{}
	for i, a := range s.AWS {
		at := func(f string) string { return fmt.Sprintf("aws[%d].%s", i, f) }
		switch {
		case a.Account == "":
			add(at("account"), "is required", "name an account of the aws: section")
		case seen[a.Account]:
			add(at("account"), fmt.Sprintf("%q is listed twice", a.Account), "list each account once")
		}
		seen[a.Account] = true
		if _, ok := aws.CostMetrics[a.CostMetric]; a.CostMetric != "" && !ok {
			add(at("cost_metric"), fmt.Sprintf("%q is not a cost metric", a.CostMetric), "use UnblendedCost, AmortizedCost or NetUnblendedCost")
		}
		iv := a.RefreshInterval.Std()
		if iv != 0 && iv < minCostInterval {
			add(at("refresh_interval"), fmt.Sprintf("%s is too short", iv),
				"Cost Explorer costs USD 0.01 a request and its data lags up to a day: use at least 1h; 12h is the default")
		}
		switch b := a.DailyRequestBudget; {
		case b < 0:
			add(at("daily_request_budget"), "is negative", "leave it out for the default of 8 requests a day")
		case b > MaxRequestBudget:
			add(at("daily_request_budget"), fmt.Sprintf("%d is above the ceiling of %d", b, MaxRequestBudget),
				fmt.Sprintf("every request costs USD 0.01; at most %d a day (USD %.2f) is allowed, the default 8 covers a 12h refresh", MaxRequestBudget, float64(MaxRequestBudget)*aws.CostExplorerRequestPrice))
		case b > 0 && iv > 0 && RequestsPerDay(iv) > b:
			add(at("daily_request_budget"), fmt.Sprintf("%d is below the %d requests a refresh every %s sends in a day", b, RequestsPerDay(iv), iv),
				"raise daily_request_budget or lengthen refresh_interval, so the cap stops runaways and never the normal refresh")
		}
		if bi := a.BudgetsRefreshInterval.Std(); bi != 0 && bi < time.Minute {
			add(at("budgets_refresh_interval"), fmt.Sprintf("%s is too short", bi), "use at least 1m; 6h is the default")
		}
	}
	if s.IONOS != nil {
		if iv := s.IONOS.RefreshInterval.Std(); iv != 0 && iv < 10*time.Minute {
			add("ionos.refresh_interval", fmt.Sprintf("%s is too short", iv), "IONOS computes usage once a day: use at least 10m; 6h is the default")
		}
	}
	type key struct{ provider, currency string }
	budgets := map[key]bool{}
	for i, b := range s.Budgets {
		at := func(f string) string { return fmt.Sprintf("budgets[%d].%s", i, f) }
		if b.Provider != "aws" && b.Provider != "ionos" {
			add(at("provider"), fmt.Sprintf("%q is not a provider", b.Provider), "write aws or ionos")
		}
		if !(b.Amount > 0) || math.IsInf(b.Amount, 0) {
			add(at("amount"), "must be a positive amount", "write the monthly budget in its currency, e.g. 290")
		}
		if !currencyCode.MatchString(b.Currency) {
			add(at("currency"), fmt.Sprintf("%q is not a currency code", b.Currency),
				"write the ISO code the provider bills in (EUR for IONOS, USD for AWS); amounts are never converted")
		}
		if b.PageWithin.Std() < 0 {
			add(at("page_within"), "is negative", "leave it out for 3d")
		}
		k := key{b.Provider, b.Currency}
		if budgets[k] {
			add(at("provider"), fmt.Sprintf("%s in %s has a budget already", b.Provider, b.Currency), "give each provider and currency one monthly budget")
		}
		budgets[k] = true
	}
	return errs
}
