package billing

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/exposition"
)

var (
	headers     = exposition.NewHeaders(Catalogue)
	lProvider   = exposition.NewLabel("provider")
	lAccount    = exposition.NewLabel("account")
	lService    = exposition.NewLabel("service")
	lCurrency   = exposition.NewLabel("currency")
	lDC         = exposition.NewLabel("datacenter")
	lReason     = exposition.NewLabel("reason")
	lAPI        = exposition.NewLabel("api")
	lBudget     = exposition.NewLabel("budget")
	lTimeUnit   = exposition.NewLabel("time_unit")
	lNotifType  = exposition.NewLabel("notification_type")
	lComparison = exposition.NewLabel("comparison")
	lThreshold  = exposition.NewLabel("threshold")
	famMTD      = "vigil_billing_cost_month_to_date"
	famPrev     = "vigil_billing_cost_previous_month"
	famForcast  = "vigil_billing_forecast_month_end"
	lProduct    = exposition.NewLabel("product")
	lUnit       = exposition.NewLabel("unit")
	lEstimate   = exposition.NewLabel("estimate")
)

// spend is one provider account's figures, as rendered.
type spend struct {
	provider, account, currency string
	services                    map[string]float64 // nil: no month-to-date figure for this month
	previous                    *float64
	forecast                    *float64
}

// awsSpend turns an account's snapshot into this month's figures. A
// snapshot from last month (the month rolled over since the last refresh)
// gives last month's total and no month to date.
func (a *awsAccount) spend(now time.Time) (spend, bool) {
	snap, _, ok := a.cost.Get()
	if !ok {
		return spend{}, false
	}
	month := now.UTC().Format("2006-01")
	lastMonth := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	s := spend{provider: "aws", account: a.name, currency: "USD"}
	it, ok := snap[itemCostAndUsage]
	if !ok || it.Value.Report == nil || !it.Has() {
		return spend{}, false
	}
	rep := it.Value.Report
	switch rep.Current.Month {
	case month:
		s.services = rep.Current.Services
		if it.Value.FirstDay {
			// The month to date is the month through yesterday on every
			// day, so its day-over-day change is one day's spend (what
			// BillingBurnRateHigh reads): on the 1st that is nothing. The
			// report read today still gives last month complete.
			s.services = make(map[string]float64, len(rep.Current.Services))
			for name := range rep.Current.Services {
				s.services[name] = 0
			}
		}
		if rep.Current.Currency != "" {
			s.currency = rep.Current.Currency
		}
		prev := rep.Previous.Total()
		s.previous = &prev
		// The forecast covers the day of the refresh to the month's end;
		// the report, the month through the day before (costAsOf).
		if f, ok := snap[itemForecast]; ok && f.Has() && f.Value.Forecast != nil && f.Value.Forecast.Month == month {
			total := f.Value.Forecast.Amount
			if !it.Value.FirstDay {
				total += rep.Current.Total()
			}
			s.forecast = &total
		}
	case lastMonth:
		prev := rep.Current.Total()
		s.previous = &prev
	default:
		return spend{}, false
	}
	return s, true
}

func (c *Collector) ionosSpend(now time.Time) (spend, ionosSnapshot, bool) {
	if c.ionos == nil {
		return spend{}, ionosSnapshot{}, false
	}
	snap, _, ok := c.ionos.Get()
	if !ok {
		return spend{}, ionosSnapshot{}, false
	}
	s := spend{provider: "ionos", account: snap.Contract, currency: snap.Currency}
	month := now.UTC().Format("2006-01")
	if snap.Month == month {
		s.services = snap.Products
		prev := snap.Previous
		s.previous = &prev
		if f, ok := snap.forecast(); ok {
			s.forecast = &f
		}
	} else {
		// Last month's snapshot until the next refresh: its month to date
		// is now the previous month (give or take the last day).
		var total float64
		for _, v := range snap.Products {
			total += v
		}
		s.previous = &total
	}
	return s, snap, true
}

// Render writes every family from the snapshots.
func (c *Collector) Render(t *exposition.Writer) error {
	now := c.cfg.Now()
	var all []spend
	for _, a := range c.aws {
		if s, ok := a.spend(now); ok {
			all = append(all, s)
		}
	}
	is, isnap, haveIONOS := c.ionosSpend(now)
	if haveIONOS {
		all = append(all, is)
	}

	t.Family(headers, famMTD)
	for _, s := range all {
		for _, svc := range sortedKeys(s.services) {
			t.Series()
			t.Label(lProvider, s.provider)
			t.Label(lAccount, s.account)
			t.Label(lService, svc)
			t.Label(lCurrency, s.currency)
			t.Float(money(s.services[svc]))
		}
	}
	perAccount := func(name string, v func(spend) *float64) {
		t.Family(headers, name)
		for _, s := range all {
			if p := v(s); p != nil {
				t.Series()
				t.Label(lProvider, s.provider)
				t.Label(lAccount, s.account)
				t.Label(lCurrency, s.currency)
				t.Float(money(*p))
			}
		}
	}
	perAccount(famPrev, func(s spend) *float64 { return s.previous })
	perAccount(famForcast, func(s spend) *float64 { return s.forecast })

	if haveIONOS {
		if is.services != nil {
			t.Family(headers, "vigil_billing_ionos_datacenter_cost_month_to_date")
			for _, dc := range sortedKeys(isnap.DataCenters) {
				t.Series()
				t.Label(lAccount, is.account)
				t.Label(lDC, dc)
				t.Label(lCurrency, is.currency)
				t.Float(money(isnap.DataCenters[dc]))
			}
		}
		t.Family(headers, "vigil_billing_ionos_meters_unpriced")
		for _, r := range unpricedReasons {
			t.Series()
			t.Label(lAccount, is.account)
			t.Label(lReason, r)
			t.Int(int64(isnap.Unpriced[r]))
		}
	}

	rows := c.requests.rows()
	t.Family(headers, "vigil_billing_api_requests_total")
	for _, r := range rows {
		t.Series()
		t.Label(lProvider, r.provider)
		t.Label(lAccount, r.account)
		t.Label(lAPI, r.api)
		t.Float(r.n)
	}
	t.Family(headers, "vigil_billing_exporter_cost_total")
	costs := map[[2]string]float64{}
	var keys [][2]string
	for _, r := range rows {
		k := [2]string{r.provider, r.account}
		if _, ok := costs[k]; !ok {
			keys = append(keys, k)
		}
		costs[k] += r.n * price(r.provider, r.api)
	}
	for _, k := range keys {
		t.Series()
		t.Label(lProvider, k[0])
		t.Label(lAccount, k[1])
		t.Label(lCurrency, "USD")
		t.Float(money(costs[k]))
	}

	for _, f := range []struct {
		name string
		v    func(Budget) float64
	}{
		{"vigil_budget_amount", func(b Budget) float64 { return b.Amount }},
		{"vigil_budget_page_within_seconds", func(b Budget) float64 { return b.PageWithin.Std().Seconds() }},
	} {
		t.Family(headers, f.name)
		for _, b := range c.cfg.Budgets {
			t.Series()
			t.Label(lProvider, b.Provider)
			t.Label(lCurrency, b.Currency)
			t.Float(f.v(b))
		}
	}

	for _, f := range []struct {
		name string
		v    func(aws.Budget) (float64, bool)
	}{
		{"vigil_budget_aws_limit", func(b aws.Budget) (float64, bool) { return b.Limit, true }},
		{"vigil_budget_aws_actual_spend", func(b aws.Budget) (float64, bool) { return b.Actual, true }},
		{"vigil_budget_aws_forecasted_spend", func(b aws.Budget) (float64, bool) { return b.Forecasted, b.HasForecast }},
	} {
		t.Family(headers, f.name)
		for _, a := range c.aws {
			if a.budgets == nil {
				continue
			}
			bs, _, ok := a.budgets.Get()
			if !ok {
				continue
			}
			for _, b := range bs {
				v, ok := f.v(b)
				if !ok {
					continue
				}
				t.Series()
				t.Label(lAccount, a.name)
				t.Label(lBudget, b.Name)
				t.Label(lTimeUnit, b.TimeUnit)
				t.Label(lCurrency, b.Currency)
				t.Float(v)
			}
		}
	}
	c.renderEstimate(t, now)
	t.Family(headers, "vigil_budget_aws_notification_threshold_ratio")
	for _, a := range c.aws {
		if a.budgets == nil {
			continue
		}
		bs, _, ok := a.budgets.Get()
		if !ok {
			continue
		}
		for _, b := range bs {
			seen := map[string]bool{}
			for _, n := range b.Notifications {
				th := strconv.FormatFloat(money(n.Ratio), 'g', -1, 64)
				if k := n.Type + n.Comparison + th; seen[k] {
					continue
				} else {
					seen[k] = true
				}
				t.Series()
				t.Label(lAccount, a.name)
				t.Label(lBudget, b.Name)
				t.Label(lNotifType, n.Type)
				t.Label(lComparison, n.Comparison)
				t.Label(lThreshold, th)
				t.Float(money(n.Ratio))
			}
		}
	}
	return t.Err()
}

// money rounds an amount to a millionth of its currency unit, so sums of
// float prices print as the amounts they are (241.92, not 241.92000000000002).
func money(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
