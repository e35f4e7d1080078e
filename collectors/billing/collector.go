// Package billing exports what the clouds cost: month-to-date spend by
// service, the previous month, a forecast to the month's end and the
// configured budgets, for AWS (Cost Explorer, Budgets) and IONOS (Billing
// API), so alerts can fire at 50, 75 and 90 % of budget and when the
// forecast or the burn rate says the budget will not hold.
//
// The promise that shapes it: Vigil must not cost noticeable money itself.
// Cost Explorer charges USD 0.01 a request, every page counted, so each
// account's Cost Explorer source refreshes every 12 h by default, has a hard
// cap of requests per UTC day (DailyRequestBudget, counted on disk before
// each request is sent), and is Persistent: its snapshot is written under
// --storage.path and restored at start with its original time, so a restart
// or a reload sends nothing until the interval has passed.
// vigil_billing_exporter_cost_total says what Vigil spent.
package billing

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// Source names; the account name completes the AWS ones.
const (
	SourceAWSCostPrefix    = "billing_aws_cost_"
	SourceAWSBudgetsPrefix = "billing_aws_budgets_"
	SourceIONOS            = "billing_ionos"
)

// freeAPIRequestBudget caps the daily requests of the free billing APIs
// (Budgets: one DescribeBudgets and one DescribeNotificationsForBudget per
// budget a refresh; IONOS: three a refresh): a guard against a runaway
// loop, far above what any refresh interval needs.
const freeAPIRequestBudget = 1000

// Item names of an AWS cost snapshot: each fails on its own.
const (
	itemCostAndUsage = "cost_and_usage"
	itemForecast     = "forecast"
)

// ceItem is one item of an AWS cost snapshot (Report or Forecast is set).
type ceItem struct {
	Report   *aws.CostReport `json:"report,omitempty"`
	Forecast *aws.Forecast   `json:"forecast,omitempty"`
	// FirstDay: the report was read on the 1st of its month, as of then, so
	// its month to date is that day's partial figure only (see costAsOf).
	FirstDay bool `json:"first_day,omitempty"`
}

// costAsOf is the instant the month to date is read as of. Cost Explorer's
// forecast covers today to the month's end, today in full (its start may
// not be before today), so the month to date it completes must stop at
// yesterday: read as of now, the end date (exclusive) would be tomorrow and
// today would count twice, its partial figure and its forecast. As of the
// last instant of yesterday, the end date is today. On the 1st nothing of
// the month lies before today: the month to date is read as of now (today's
// partial figure, and last month complete), and the forecast alone is the
// month's (firstDay).
func costAsOf(now time.Time) (asOf time.Time, firstDay bool) {
	now = now.UTC()
	if now.Day() == 1 {
		return now, true
	}
	return now.Truncate(24 * time.Hour).Add(-time.Nanosecond), false
}

// AWSTarget is one account to read, with how to reach it.
type AWSTarget struct {
	Name   string
	Config AWSAccount
	// Client returns a billing client sending through rt.
	Client func(rt http.RoundTripper) *aws.BillingClient
	// Key identifies the account's credentials and endpoint (a provider
	// fingerprint), for the sources' Keys.
	Key string
}

// IONOSTarget is the IONOS contract to read.
type IONOSTarget struct {
	Config IONOSBilling
	Client func(rt http.RoundTripper) (*ionos.BillingClient, error)
	Key    string
}

// Config of the collector.
type Config struct {
	AWS   []AWSTarget
	IONOS *IONOSTarget
	// Estimate prices the IONOS inventory (users without billing access).
	Estimate *EstimateTarget
	Budgets  []Budget
	// Base is the transport under every source's (nil: the default).
	Base http.RoundTripper
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// Collector holds the billing sources.
type Collector struct {
	cfg      Config
	aws      []*awsAccount
	ionos    *source.Source[ionosSnapshot]
	estimate *source.Source[inventory]
	requests *requestCounter
}

type awsAccount struct {
	name    string
	cost    *source.Source[source.Items[ceItem]]
	budgets *source.Source[[]aws.Budget]
}

// New adds the collector's sources to group.
func New(cfg Config, group *source.Group, logger *slog.Logger) *Collector {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Base == nil {
		cfg.Base = http.DefaultTransport
	}
	c := &Collector{cfg: cfg, requests: newRequestCounter()}
	for _, t := range cfg.AWS {
		a := &awsAccount{name: t.Name}
		c.requests.declare("aws", t.Name, "GetCostAndUsage", "GetCostForecast")
		base := c.requests.transport(cfg.Base, "aws", t.Name, aws.BillingAPI)
		var costRT http.RoundTripper
		metric := t.Config.CostMetric
		// Ticket: stale spend is no outage; every request costs money.
		a.cost = source.Add(group, source.Options{
			Name: SourceAWSCostPrefix + t.Name, Interval: t.Config.RefreshInterval.Std(),
			Key:        config.Combine("billing-aws-cost", t.Name, metric, t.Key),
			Persistent: true, DailyRequestBudget: t.Config.DailyRequestBudget,
			Criticality: source.CriticalityTicket, Timeout: 2 * time.Minute,
			// Failures back off to at least an hour: a retry costs money.
			BackoffInitial: 10 * time.Minute, BackoffMax: time.Hour,
		}, func(ctx context.Context) (source.Items[ceItem], error) {
			client := t.Client(costRT)
			now := cfg.Now()
			items := source.Items[ceItem]{}
			asOf, firstDay := costAsOf(now)
			if rep, err := client.CostAndUsage(ctx, metric, asOf); err != nil {
				items.Fail(itemCostAndUsage, err)
			} else {
				items.Set(itemCostAndUsage, ceItem{Report: &rep, FirstDay: firstDay})
			}
			if f, err := client.CostForecast(ctx, metric, now); err != nil {
				items.Fail(itemForecast, err)
			} else {
				items.Set(itemForecast, ceItem{Forecast: &f})
			}
			return items, nil
		})
		costRT = a.cost.Transport(base, aws.BillingAPI)
		if t.Config.Budgets {
			c.requests.declare("aws", t.Name, "DescribeBudgets", "DescribeNotificationsForBudget")
			var budgetsRT http.RoundTripper
			a.budgets = source.Add(group, source.Options{
				Name: SourceAWSBudgetsPrefix + t.Name, Interval: t.Config.BudgetsRefreshInterval.Std(),
				Key:        config.Combine("billing-aws-budgets", t.Name, t.Key),
				Persistent: true, DailyRequestBudget: freeAPIRequestBudget,
				Criticality: source.CriticalityTicket,
			}, func(ctx context.Context) ([]aws.Budget, error) {
				return t.Client(budgetsRT).Budgets(ctx)
			})
			budgetsRT = a.budgets.Transport(base, aws.BillingAPI)
		}
		c.aws = append(c.aws, a)
	}
	if t := cfg.IONOS; t != nil {
		c.requests.declare("ionos", "", "products", "usage")
		var rt http.RoundTripper
		c.ionos = source.Add(group, source.Options{
			Name: SourceIONOS, Interval: t.Config.RefreshInterval.Std(),
			Key:        config.Combine("billing-ionos", t.Key),
			Persistent: true, DailyRequestBudget: freeAPIRequestBudget,
			Criticality: source.CriticalityTicket, Timeout: time.Minute,
		}, func(ctx context.Context) (ionosSnapshot, error) {
			client, err := t.Client(rt)
			if err != nil {
				return ionosSnapshot{}, err
			}
			c.requests.setAccount("ionos", client.Contract())
			return fetchIONOS(ctx, client, cfg.Now())
		})
		rt = c.ionos.Transport(c.requests.transport(cfg.Base, "ionos", "", ionosAPI), ionosAPI)
	}
	if t := cfg.Estimate; t != nil {
		c.estimate = addEstimate(group, cfg.Base, t)
	}
	return c
}

// addEstimate adds the source counting the IONOS inventory. Its requests
// are free (Cloud API and registry reads): they count in
// vigil_source_api_requests_total, not in the billing API families.
func addEstimate(group *source.Group, base http.RoundTripper, t *EstimateTarget) *source.Source[inventory] {
	var rt http.RoundTripper
	src := source.Add(group, source.Options{
		Name: SourceIONOSEstimate, Interval: t.Config.RefreshInterval.Std(),
		Key:         config.Combine("billing-ionos-estimate", t.Key),
		Criticality: source.CriticalityTicket, Timeout: time.Minute,
	}, func(ctx context.Context) (inventory, error) {
		return fetchInventory(ctx, t.CloudAPI(rt), t.Registries(rt), t.Config)
	})
	rt = src.Transport(base, estimateAPI)
	return src
}

// estimateAPI is the bounded api label of an estimate request: its route
// with ids replaced (Cloud API and Container Registry API).
func estimateAPI(r *http.Request) string {
	p := r.URL.Path
	for _, prefix := range []string{"/cloudapi/v6", "/containerregistries"} {
		if i := strings.Index(p, prefix); i >= 0 {
			p = p[i+len(prefix):]
		}
	}
	return r.Method + " " + p
}

func ionosAPI(r *http.Request) string {
	switch p := r.URL.Path; {
	case len(p) >= 6 && p[len(p)-6:] == "/usage":
		return "usage"
	case len(p) >= 9 && p[len(p)-9:] == "/products":
		return "products"
	}
	return "other"
}

// requestCounter counts the billing requests that were sent (it sits below
// the source's budgeted transport) and prices them.
type requestCounter struct {
	mu       sync.Mutex
	counts   map[reqKey]float64
	accounts map[string]string // provider -> account, when known only after a fetch (IONOS contract)
}

type reqKey struct{ provider, account, api string }

func newRequestCounter() *requestCounter {
	return &requestCounter{counts: map[reqKey]float64{}, accounts: map[string]string{}}
}

func (r *requestCounter) declare(provider, account string, apis ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, api := range apis {
		r.counts[reqKey{provider, account, api}] += 0
	}
}

func (r *requestCounter) setAccount(provider, account string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accounts[provider] = account
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (r *requestCounter) transport(base http.RoundTripper, provider, account string, api func(*http.Request) string) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		r.mu.Lock()
		r.counts[reqKey{provider, account, api(req)}]++
		r.mu.Unlock()
		return base.RoundTrip(req)
	})
}

// price is what one request of the API costs, in USD.
func price(provider, api string) float64 {
	if provider == "aws" && (api == "GetCostAndUsage" || api == "GetCostForecast") {
		return aws.CostExplorerRequestPrice
	}
	return 0
}

type reqRow struct {
	reqKey
	n float64
}

func (r *requestCounter) rows() []reqRow {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]reqRow, 0, len(r.counts))
	for k, n := range r.counts {
		if k.account == "" {
			k.account = r.accounts[k.provider]
		}
		out = append(out, reqRow{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.provider != b.provider {
			return a.provider < b.provider
		}
		if a.account != b.account {
			return a.account < b.account
		}
		return a.api < b.api
	})
	return out
}

// Start does nothing: the engine runs the sources.
func (c *Collector) Start(context.Context) {}

// Ready is true: the group waits for every source's first refresh, or for
// a restored snapshot.
func (c *Collector) Ready() bool { return true }

// Stop does nothing; the engine stops the sources.
func (c *Collector) Stop() {}

// RenderText renders the collector alone with the given environment
// (tests); the daemon calls Render.
func (c *Collector) RenderText(w interface{ Write([]byte) (int, error) }, environment string) error {
	t := exposition.NewWriter(w, exposition.Pair{Label: exposition.Environment, Value: environment})
	err := c.Render(t)
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	return err
}
