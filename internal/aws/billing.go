package aws

// Cost Explorer and Budgets, for collectors/billing. Both APIs answer in
// us-east-1 only, whatever region the account's resources use, so their
// clients are always built for BillingRegion. Every Cost Explorer request
// costs USD 0.01, every page counted: the functions here send exactly the
// requests they document and nothing else (no retries: the SDK's retryer is
// off for every Vigil client).

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	btypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// BillingRegion is where Cost Explorer and Budgets answer.
const BillingRegion = "us-east-1"

// CostExplorerRequestPrice is what AWS charges per Cost Explorer API request,
// in USD (every page of a paginated answer is a request).
const CostExplorerRequestPrice = 0.01

// CostMetrics are the Cost Explorer cost metrics Vigil accepts, with the
// name GetCostForecast uses for each.
var CostMetrics = map[string]cetypes.Metric{
	"UnblendedCost":    cetypes.MetricUnblendedCost,
	"AmortizedCost":    cetypes.MetricAmortizedCost,
	"NetUnblendedCost": cetypes.MetricNetUnblendedCost,
}

// BillingAPI names a billing request by its operation, from the awsJson 1.1
// X-Amz-Target header (AWSInsightsIndexService.GetCostAndUsage ->
// GetCostAndUsage); a bounded value for request counters.
func BillingAPI(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	switch t {
	case "GetCostAndUsage", "GetCostForecast", "DescribeBudgets", "DescribeNotificationsForBudget":
		return t
	}
	return "other"
}

// MonthCost is one calendar month of Cost Explorer spend.
type MonthCost struct {
	Month     string             `json:"month"` // YYYY-MM
	Currency  string             `json:"currency"`
	Services  map[string]float64 `json:"services"` // by SERVICE dimension value
	Estimated bool               `json:"estimated"`
}

// Total is the month's spend over every service.
func (m MonthCost) Total() float64 {
	var t float64
	for _, v := range m.Services {
		t += v
	}
	return t
}

// CostReport is what one CostAndUsage call learns: the current month to
// date and the whole previous month, and how many pages (requests) it took.
type CostReport struct {
	Current  MonthCost `json:"current"`
	Previous MonthCost `json:"previous"`
	Pages    int       `json:"pages"`
}

// BillingClient sends Cost Explorer and Budgets requests for one account,
// through one source's transport.
type BillingClient struct {
	cfg awssdk.Config
	id  func(context.Context) (string, error)
}

// Billing returns the account's billing client in BillingRegion, sending
// through rt (the source's counting, budgeted transport).
func (a *Account) Billing(rt http.RoundTripper) *BillingClient {
	return &BillingClient{cfg: a.Config(BillingRegion, rt), id: a.ID}
}

// StaticBilling is a billing client for an emulator (the sandbox, tests):
// fixed dummy credentials, the given endpoint and account ID, no retries.
func StaticBilling(endpoint, accountID string, rt http.RoundTripper) *BillingClient {
	cfg := awssdk.Config{
		Region:       BillingRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("sandbox", "sandbox", ""),
		BaseEndpoint: awssdk.String(endpoint),
		Retryer:      func() awssdk.Retryer { return awssdk.NopRetryer{} },
	}
	if rt != nil {
		cfg.HTTPClient = &http.Client{Transport: rt}
	}
	return &BillingClient{cfg: cfg, id: func(context.Context) (string, error) { return accountID, nil }}
}

// monthStart returns the first instant of t's UTC month.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

const ceDate = "2006-01-02"

// CostAndUsage asks Cost Explorer for the previous month and the current
// month to date (one GetCostAndUsage per page: MONTHLY, grouped by SERVICE,
// in metric), as of now. The end date is exclusive, so it is tomorrow: Cost
// Explorer includes today's partial (and up to a day late) figures.
func (b *BillingClient) CostAndUsage(ctx context.Context, metric string, now time.Time) (CostReport, error) {
	client := costexplorer.NewFromConfig(b.cfg)
	cur := monthStart(now)
	prev := cur.AddDate(0, -1, 0)
	end := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	in := &costexplorer.GetCostAndUsageInput{
		TimePeriod:  &cetypes.DateInterval{Start: awssdk.String(prev.Format(ceDate)), End: awssdk.String(end.Format(ceDate))},
		Granularity: cetypes.GranularityMonthly,
		Metrics:     []string{metric},
		GroupBy:     []cetypes.GroupDefinition{{Type: cetypes.GroupDefinitionTypeDimension, Key: awssdk.String("SERVICE")}},
	}
	rep := CostReport{
		Current:  MonthCost{Month: cur.Format("2006-01"), Services: map[string]float64{}},
		Previous: MonthCost{Month: prev.Format("2006-01"), Services: map[string]float64{}},
	}
	var pager pages
	for {
		out, err := client.GetCostAndUsage(ctx, in)
		if err != nil {
			return CostReport{}, fmt.Errorf("cost explorer GetCostAndUsage: %w", err)
		}
		rep.Pages++
		for _, r := range out.ResultsByTime {
			if r.TimePeriod == nil || r.TimePeriod.Start == nil {
				continue
			}
			var m *MonthCost
			switch {
			case strings.HasPrefix(*r.TimePeriod.Start, rep.Current.Month):
				m = &rep.Current
			case strings.HasPrefix(*r.TimePeriod.Start, rep.Previous.Month):
				m = &rep.Previous
			default:
				continue
			}
			m.Estimated = m.Estimated || r.Estimated
			for _, g := range r.Groups {
				v, ok := g.Metrics[metric]
				if !ok || len(g.Keys) == 0 {
					continue
				}
				amount, err := parseAmount(v.Amount)
				if err != nil {
					return CostReport{}, fmt.Errorf("cost explorer GetCostAndUsage: service %q: %w", g.Keys[0], err)
				}
				if err := setCurrency(&m.Currency, v.Unit); err != nil {
					return CostReport{}, fmt.Errorf("cost explorer GetCostAndUsage: %w", err)
				}
				m.Services[g.Keys[0]] += amount
			}
		}
		more, err := pager.next("cost explorer GetCostAndUsage", out.NextPageToken)
		if err != nil {
			return CostReport{}, err
		}
		if !more {
			return rep, nil
		}
		in.NextPageToken = out.NextPageToken
	}
}

// Forecast is Cost Explorer's forecast of the spend from today to the end
// of the month (not including what was spent before today).
type Forecast struct {
	Month    string  `json:"month"`
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// CostForecast sends one GetCostForecast for the rest of now's month.
func (b *BillingClient) CostForecast(ctx context.Context, metric string, now time.Time) (Forecast, error) {
	m, ok := CostMetrics[metric]
	if !ok {
		return Forecast{}, fmt.Errorf("cost explorer: %q is not a cost metric Vigil knows", metric)
	}
	start := now.UTC().Truncate(24 * time.Hour)
	end := monthStart(now).AddDate(0, 1, 0)
	out, err := costexplorer.NewFromConfig(b.cfg).GetCostForecast(ctx, &costexplorer.GetCostForecastInput{
		TimePeriod:  &cetypes.DateInterval{Start: awssdk.String(start.Format(ceDate)), End: awssdk.String(end.Format(ceDate))},
		Metric:      m,
		Granularity: cetypes.GranularityMonthly,
	})
	if err != nil {
		return Forecast{}, fmt.Errorf("cost explorer GetCostForecast: %w", err)
	}
	if out.Total == nil {
		return Forecast{}, errors.New("cost explorer GetCostForecast: the answer has no Total")
	}
	amount, err := parseAmount(out.Total.Amount)
	if err != nil {
		return Forecast{}, fmt.Errorf("cost explorer GetCostForecast: %w", err)
	}
	f := Forecast{Month: start.Format("2006-01"), Amount: amount}
	if err := setCurrency(&f.Currency, out.Total.Unit); err != nil {
		return Forecast{}, fmt.Errorf("cost explorer GetCostForecast: %w", err)
	}
	return f, nil
}

// Budget is one AWS Budgets budget with its calculated spend.
type Budget struct {
	Name        string  `json:"name"`
	TimeUnit    string  `json:"time_unit"` // MONTHLY, QUARTERLY, ...
	Limit       float64 `json:"limit"`
	Actual      float64 `json:"actual"`
	Forecasted  float64 `json:"forecasted"`
	HasForecast bool    `json:"has_forecast"`
	Currency    string  `json:"currency"`
	// Notifications are the budget's alert thresholds
	// (DescribeNotificationsForBudget).
	Notifications []BudgetNotification `json:"notifications"`
}

// BudgetNotification is one alert threshold of an AWS budget.
type BudgetNotification struct {
	Type       string `json:"type"`       // ACTUAL or FORECASTED
	Comparison string `json:"comparison"` // GREATER_THAN, LESS_THAN, EQUAL_TO
	// Ratio is the threshold as a fraction of the limit (a PERCENTAGE
	// threshold of 80 is 0.8; an ABSOLUTE_VALUE one is divided by the limit).
	Ratio float64 `json:"ratio"`
}

// Budgets lists every budget of the account (DescribeBudgets, every page)
// with its notification thresholds (one DescribeNotificationsForBudget per
// budget and page; Budgets API requests are free).
func (b *BillingClient) Budgets(ctx context.Context) ([]Budget, error) {
	accountID, err := b.id(ctx)
	if err != nil {
		return nil, err
	}
	client := budgets.NewFromConfig(b.cfg)
	in := &budgets.DescribeBudgetsInput{AccountId: awssdk.String(accountID), MaxResults: awssdk.Int32(100)}
	var out []Budget
	var pager pages
	for {
		page, err := client.DescribeBudgets(ctx, in)
		if err != nil {
			var nf *btypes.NotFoundException
			if errors.As(err, &nf) {
				return out, nil // AWS answers NotFound when the account has no budget
			}
			return nil, fmt.Errorf("budgets DescribeBudgets: %w", err)
		}
		for _, b := range page.Budgets {
			bud := Budget{Name: awssdk.ToString(b.BudgetName), TimeUnit: string(b.TimeUnit)}
			if b.BudgetLimit == nil {
				continue // usage budgets without a cost limit are not money
			}
			var err error
			if bud.Limit, err = parseAmount(b.BudgetLimit.Amount); err != nil {
				return nil, fmt.Errorf("budgets DescribeBudgets: budget %q limit: %w", bud.Name, err)
			}
			bud.Currency = awssdk.ToString(b.BudgetLimit.Unit)
			if cs := b.CalculatedSpend; cs != nil {
				if cs.ActualSpend != nil {
					if bud.Actual, err = parseAmount(cs.ActualSpend.Amount); err != nil {
						return nil, fmt.Errorf("budgets DescribeBudgets: budget %q actual spend: %w", bud.Name, err)
					}
				}
				if cs.ForecastedSpend != nil {
					if bud.Forecasted, err = parseAmount(cs.ForecastedSpend.Amount); err != nil {
						return nil, fmt.Errorf("budgets DescribeBudgets: budget %q forecasted spend: %w", bud.Name, err)
					}
					bud.HasForecast = true
				}
			}
			if bud.Notifications, err = notifications(ctx, client, accountID, bud); err != nil {
				return nil, err
			}
			out = append(out, bud)
		}
		more, err := pager.next("budgets DescribeBudgets", page.NextToken)
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

func notifications(ctx context.Context, client *budgets.Client, accountID string, b Budget) ([]BudgetNotification, error) {
	in := &budgets.DescribeNotificationsForBudgetInput{AccountId: awssdk.String(accountID), BudgetName: awssdk.String(b.Name), MaxResults: awssdk.Int32(100)}
	var out []BudgetNotification
	var pager pages
	for {
		page, err := client.DescribeNotificationsForBudget(ctx, in)
		if err != nil {
			var nf *btypes.NotFoundException
			if errors.As(err, &nf) {
				return out, nil // a budget without notifications
			}
			return nil, fmt.Errorf("budgets DescribeNotificationsForBudget %q: %w", b.Name, err)
		}
		for _, n := range page.Notifications {
			ratio := n.Threshold / 100
			if n.ThresholdType == btypes.ThresholdTypeAbsoluteValue {
				if b.Limit <= 0 {
					continue
				}
				ratio = n.Threshold / b.Limit
			}
			out = append(out, BudgetNotification{Type: string(n.NotificationType), Comparison: string(n.ComparisonOperator), Ratio: ratio})
		}
		more, err := pager.next("budgets DescribeNotificationsForBudget", page.NextToken)
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// maxBillingPages bounds one paginated call: a real account needs a few
// pages; more means a server that never stops, and Cost Explorer bills
// every page.
const maxBillingPages = 100

// pages follows one call's page tokens. A token seen before, or more than
// maxBillingPages pages, is a broken answer: stop with a decode error rather
// than loop (and pay) forever (FuzzBillingAnswers' repeating-token seed).
type pages struct {
	seen map[string]bool
}

func (p *pages) next(api string, token *string) (bool, error) {
	if token == nil || *token == "" {
		return false, nil
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[*token] {
		return false, fmt.Errorf("%s: the answer's page token repeats an earlier one: %w", api, &source.DecodeError{Err: errors.New("pagination loops")})
	}
	if len(p.seen) >= maxBillingPages {
		return false, fmt.Errorf("%s: more than %d pages: %w", api, maxBillingPages, &source.DecodeError{Err: errors.New("too many pages")})
	}
	p.seen[*token] = true
	return true, nil
}

// parseAmount reads the decimal strings AWS sends for money.
func parseAmount(s *string) (float64, error) {
	if s == nil {
		return 0, errors.New("amount missing")
	}
	v, err := strconv.ParseFloat(*s, 64)
	// ParseFloat also reads "NaN" and "Inf": no amount of money (found by
	// FuzzParseAmount).
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("amount %q is not a finite number", *s)
	}
	return v, nil
}

// setCurrency records a currency and refuses a second, different one: sums
// over several currencies would be meaningless.
func setCurrency(have *string, unit *string) error {
	u := awssdk.ToString(unit)
	switch {
	case u == "":
		return nil
	case *have == "":
		*have = u
	case *have != u:
		return fmt.Errorf("amounts in both %s and %s", *have, u)
	}
	return nil
}
