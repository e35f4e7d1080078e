package billing

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// forecastReference is GetCostForecast's response as AWS's API reference
// documents it (Response Syntax: Total and ForecastResultsByTime with
// MeanValue and the prediction interval bounds, amounts as strings).
const forecastReference = `{
   "ForecastResultsByTime": [
      {
         "MeanValue": "142.87",
         "PredictionIntervalLowerBound": "130.02",
         "PredictionIntervalUpperBound": "155.71",
         "TimePeriod": { "End": "2026-12-01", "Start": "2026-11-21" }
      }
   ],
   "Total": { "Amount": "142.87", "Unit": "USD" }
}`

// TestForecastDecodesAWSReferenceResponse: moto answers GetCostForecast
// with 500, so a small awsJson 1.1 fake answers with the reference body.
// The request asks for the rest of the month, in the forecast metric name.
func TestForecastDecodesAWSReferenceResponse(t *testing.T) {
	var target string
	var in struct {
		TimePeriod  struct{ Start, End string }
		Metric      string
		Granularity string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target = r.Header.Get("X-Amz-Target")
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, forecastReference)
	}))
	defer srv.Close()
	now := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	f, err := aws.StaticBilling(srv.URL, "123456789012", nil).CostForecast(t.Context(), "AmortizedCost", now)
	require.NoError(t, err)
	require.Equal(t, aws.Forecast{Month: "2026-11", Amount: 142.87, Currency: "USD"}, f)
	require.Equal(t, "AWSInsightsIndexService.GetCostForecast", target)
	require.Equal(t, "2026-11-21", in.TimePeriod.Start)
	require.Equal(t, "2026-12-01", in.TimePeriod.End)
	require.Equal(t, "AMORTIZED_COST", in.Metric)
	require.Equal(t, "MONTHLY", in.Granularity)
}

// TestMonthEndForecastIsMonthToDatePlusForecast, from the sandbox's
// emulator: 276 spent + 84 forecast for the rest = 360 (on any day but the
// 1st, when nothing of the month lies before the forecast's start).
func TestMonthEndForecastIsMonthToDatePlusForecast(t *testing.T) {
	fake := SandboxAWS()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	g := source.NewGroup(source.NewMetrics(), nil)
	now := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	c := New(Config{AWS: []AWSTarget{awsTarget(srv.URL, AWSAccount{})}, Now: func() time.Time { return now }}, g, nil)
	out := refreshAndRender(t, c, g)
	require.Contains(t, out, `vigil_billing_forecast_month_end{environment="test",provider="aws",account="production",currency="USD"} 360`+"\n")
}

// ledgerCE is Cost Explorer over an account whose every day costs 10 USD,
// of which 4 are in for today so far, speaking the awsJson 1.1 answers of
// AWS's API reference: GetCostAndUsage sums the days of its period (End
// exclusive, nothing after today) per calendar month, in the metric asked
// for; GetCostForecast forecasts 10 a day from its Start, which may not be
// before today (AWS answers ValidationException), to its End: today in
// full.
func ledgerCE(t *testing.T, now func() time.Time) *httptest.Server {
	const perDay, todaySoFar = 10.0, 4.0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			TimePeriod struct{ Start, End string }
			Metrics    []string
		}
		body, _ := io.ReadAll(r.Body)
		require.NoError(t, json.Unmarshal(body, &in))
		start, err := time.Parse("2006-01-02", in.TimePeriod.Start)
		require.NoError(t, err)
		end, err := time.Parse("2006-01-02", in.TimePeriod.End)
		require.NoError(t, err)
		today := now().UTC().Truncate(24 * time.Hour)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		amount := func(v float64) map[string]string {
			return map[string]string{"Amount": strconv.FormatFloat(v, 'f', 2, 64), "Unit": "USD"}
		}
		switch r.Header.Get("X-Amz-Target") {
		case "AWSInsightsIndexService.GetCostAndUsage":
			var results []any
			for m := start; m.Before(end); m = time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, time.UTC) {
				to := time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, time.UTC)
				if to.After(end) {
					to = end
				}
				var sum float64
				for d := m; d.Before(to); d = d.AddDate(0, 0, 1) {
					switch {
					case d.Before(today):
						sum += perDay
					case d.Equal(today):
						sum += todaySoFar
					}
				}
				results = append(results, map[string]any{
					"TimePeriod": map[string]string{"Start": m.Format("2006-01-02"), "End": to.Format("2006-01-02")},
					"Groups":     []any{map[string]any{"Keys": []string{"Amazon Elastic Compute Cloud - Compute"}, "Metrics": map[string]any{in.Metrics[0]: amount(sum)}}},
					"Estimated":  !to.Before(today),
				})
			}
			require.NoError(t, json.NewEncoder(w).Encode(map[string]any{"ResultsByTime": results}))
		case "AWSInsightsIndexService.GetCostForecast":
			if start.Before(today) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"__type":"ValidationException","Message":"Start date must be equal to or later than the current date"}`)
				return
			}
			total := perDay * end.Sub(start).Hours() / 24
			require.NoError(t, json.NewEncoder(w).Encode(map[string]any{
				"Total":                 amount(total),
				"ForecastResultsByTime": []any{map[string]any{"MeanValue": amount(total)["Amount"], "TimePeriod": in.TimePeriod}},
			}))
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestMonthEndForecastCountsTodayOnce: at 10 USD a day the month ends at
// 10 times its days. The forecast covers today in full, so the month to
// date it is added to stops at yesterday; on the 1st the forecast is the
// whole month's, and the month to date is 0 (nothing of the month before
// today): the month to date is the month through yesterday on every day,
// so its change over a day is one day's spend, also across the month's
// start (BillingBurnRateHigh: 0 + 300 previous - 290 a day before = 10).
// With today's partial figure on the 1st (4) that day read 14.
func TestMonthEndForecastCountsTodayOnce(t *testing.T) {
	for _, tc := range []struct {
		now                     time.Time
		mtd, previous, forecast string
	}{
		{time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC), "200", "310", "300"},
		{time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC), "290", "310", "300"},
		{time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), "0", "300", "310"},
	} {
		t.Run(tc.now.Format("2006-01-02"), func(t *testing.T) {
			now := func() time.Time { return tc.now }
			srv := ledgerCE(t, now)
			g := source.NewGroup(source.NewMetrics(), nil)
			c := New(Config{AWS: []AWSTarget{awsTarget(srv.URL, AWSAccount{})}, Now: now}, g, nil)
			out := refreshAndRender(t, c, g)
			for _, want := range []string{
				`vigil_billing_cost_month_to_date{environment="test",provider="aws",account="production",service="Amazon Elastic Compute Cloud - Compute",currency="USD"} ` + tc.mtd,
				`vigil_billing_cost_previous_month{environment="test",provider="aws",account="production",currency="USD"} ` + tc.previous,
				`vigil_billing_forecast_month_end{environment="test",provider="aws",account="production",currency="USD"} ` + tc.forecast,
			} {
				require.Contains(t, out, want+"\n")
			}
		})
	}
}

func awsTarget(url string, a AWSAccount) AWSTarget {
	a.Account = "production"
	sec := &Section{AWS: []AWSAccount{a}}
	sec.ApplyDefaults()
	return AWSTarget{Name: "production", Config: sec.AWS[0], Key: "k",
		Client: func(rt http.RoundTripper) *aws.BillingClient { return aws.StaticBilling(url, "123456789012", rt) }}
}

// TestDailyRequestBudgetCapsCostExplorerPages: with a cap of 2 and an
// answer of 3 pages, the fake sees exactly 2 requests, the refresh fails as
// budget_exhausted, and nothing more is sent.
func TestDailyRequestBudgetCapsCostExplorerPages(t *testing.T) {
	fake := SandboxAWS()
	fake.PageSize = 2 // 5 services: 3 pages
	srv := httptest.NewServer(fake)
	defer srv.Close()
	m := source.NewMetrics()
	g := source.NewGroup(m, nil, source.WithStorage(t.TempDir()))
	c := New(Config{AWS: []AWSTarget{awsTarget(srv.URL, AWSAccount{DailyRequestBudget: 2})}}, g, nil)
	out := refreshAndRender(t, c, g)
	require.Equal(t, 2, fake.Requests("GetCostAndUsage"), "the cap stops the third page")
	require.Equal(t, 0, fake.Requests("GetCostForecast"), "and the forecast")
	st := g.Statuses()[0]
	require.Equal(t, source.ReasonBudgetExhausted, st.LastReason)
	require.Contains(t, out, `vigil_billing_exporter_cost_total{environment="test",provider="aws",account="production",currency="USD"} 0.02`+"\n",
		"Vigil's own spend counts the requests sent, not those the cap refused")
}

// TestCostExplorerPagesAreSummed: every page of the answer is read.
func TestCostExplorerPagesAreSummed(t *testing.T) {
	fake := SandboxAWS()
	fake.PageSize = 2
	srv := httptest.NewServer(fake)
	defer srv.Close()
	g := source.NewGroup(source.NewMetrics(), nil)
	c := New(Config{AWS: []AWSTarget{awsTarget(srv.URL, AWSAccount{})}}, g, nil)
	out := refreshAndRender(t, c, g)
	require.Equal(t, 3, fake.Requests("GetCostAndUsage"))
	require.Equal(t, 5, strings.Count(out, "vigil_billing_cost_month_to_date{"), "all five services, from three pages")
	require.Contains(t, out, `vigil_billing_cost_previous_month{environment="test",provider="aws",account="production",currency="USD"} 280`+"\n")
}

// TestMonthRolloverShowsNoStaleMonthToDate: a snapshot taken in November,
// rendered on 1 December before the next refresh, is last month's total,
// not this month's spend; the forecast goes too.
func TestMonthRolloverShowsNoStaleMonthToDate(t *testing.T) {
	fake := SandboxAWS()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	now := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	g := source.NewGroup(source.NewMetrics(), nil)
	c := New(Config{AWS: []AWSTarget{awsTarget(srv.URL, AWSAccount{})}, Now: func() time.Time { return now }}, g, nil)
	out := refreshAndRender(t, c, g)
	require.Contains(t, out, "vigil_billing_cost_month_to_date{")
	now = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	out = render(t, c)
	require.NotContains(t, out, "vigil_billing_cost_month_to_date{")
	require.NotContains(t, out, "vigil_billing_forecast_month_end{")
	require.Contains(t, out, `vigil_billing_cost_previous_month{environment="test",provider="aws",account="production",currency="USD"} 276`+"\n")
}

// TestIONOSCostIsUsageTimesPricePerMeter against the emulator: quantities
// as numbers and as strings, a meter without a price and one whose unit
// differs are left out and counted (a meter priced at 0 is free, not
// left out: the wire-format reference's join drops zero prices too), per product and per data center, the
// previous month, and the linear forecast.
func TestIONOSCostIsUsageTimesPricePerMeter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	emu := &sandbox.IONOSBilling{
		Contract: "31234567", Token: "tok",
		Products: []sandbox.IONOSProduct{
			{MeterID: "C01000", Desc: "1h core AMD", Unit: "1 hour", Price: 0.04, Currency: "EUR"},
			{MeterID: "R01000", Desc: "1h per GB RAM", Unit: "1G * 1 hour", Price: 0.01, Currency: "EUR"},
			{MeterID: "S05000", Desc: "30d per 1 GB SSD Storage Standard", Unit: "1 GB * 30 days", Price: 0.08, Currency: "EUR"},
			{MeterID: "N00000", Desc: "private LAN", Unit: "1 hour", Price: 0, Currency: "EUR"},
		},
		Usage: map[string][]sandbox.IONOSDataCenter{
			"2026-11": {
				{ID: "a", Name: "prod-fra", Meters: []sandbox.IONOSMeter{
					{MeterID: "C01000", Desc: "1h core AMD", Unit: "1 hour", Quantity: 2016},     // 80.64
					{MeterID: "R01000", Desc: "1h per GB RAM", Unit: "1G*1hour", Quantity: 8064}, // 80.64, unit spelt differently
					{MeterID: "N00000", Desc: "private LAN", Unit: "1 hour", Quantity: 480},      // free: priced at 0, not left out
				}},
				{ID: "b", Name: "prod-txl", Meters: []sandbox.IONOSMeter{
					{MeterID: "S05000", Desc: "30d per 1 GB SSD Storage Standard", Unit: "1 GB * 1 hour", Quantity: 140}, // unit mismatch
					{MeterID: "Z00000", Desc: "unknown", Unit: "1 hour", Quantity: 5},                                    // no price
				}},
			},
			"2026-10": {{ID: "a", Name: "prod-fra", Meters: []sandbox.IONOSMeter{{MeterID: "C01000", Unit: "1 hour", Quantity: 1000}}}},
		},
		EndDate: map[string]string{"2026-11": "2026-11-20"},
	}
	srv := httptest.NewServer(http.StripPrefix("/billing", emu))
	defer srv.Close()
	g := source.NewGroup(source.NewMetrics(), nil)
	c := New(Config{IONOS: &IONOSTarget{Config: IONOSBilling{RefreshInterval: config.Duration(6 * time.Hour)}, Key: "k",
		Client: func(rt http.RoundTripper) (*ionos.BillingClient, error) {
			return ionos.NewBillingClient(srv.URL+"/billing", "31234567", &http.Client{Transport: bearer("tok", rt)}), nil
		}}, Now: func() time.Time { return now }}, g, nil)
	out := refreshAndRender(t, c, g)
	for _, want := range []string{
		`vigil_billing_cost_month_to_date{environment="test",provider="ionos",account="31234567",service="1h core AMD",currency="EUR"} 80.64`,
		`vigil_billing_cost_month_to_date{environment="test",provider="ionos",account="31234567",service="1h per GB RAM",currency="EUR"} 80.64`,
		`vigil_billing_ionos_datacenter_cost_month_to_date{environment="test",account="31234567",datacenter="prod-fra",currency="EUR"} 161.28`,
		`vigil_billing_ionos_datacenter_cost_month_to_date{environment="test",account="31234567",datacenter="prod-txl",currency="EUR"} 0`,
		`vigil_billing_cost_month_to_date{environment="test",provider="ionos",account="31234567",service="private LAN",currency="EUR"} 0`,
		`vigil_billing_ionos_meters_unpriced{environment="test",account="31234567",reason="no_price"} 1`,
		`vigil_billing_ionos_meters_unpriced{environment="test",account="31234567",reason="unit_mismatch"} 1`,
		`vigil_billing_ionos_meters_unpriced{environment="test",account="31234567",reason="currency_mismatch"} 0`,
		`vigil_billing_cost_previous_month{environment="test",provider="ionos",account="31234567",currency="EUR"} 40`,
		// Usage covers 20 of November's 30 days: 161.28 x 30 / 20.
		`vigil_billing_forecast_month_end{environment="test",provider="ionos",account="31234567",currency="EUR"} 241.92`,
		`vigil_billing_api_requests_total{environment="test",provider="ionos",account="31234567",api="usage"} 2`,
		`vigil_billing_api_requests_total{environment="test",provider="ionos",account="31234567",api="products"} 1`,
		`vigil_billing_exporter_cost_total{environment="test",provider="ionos",account="31234567",currency="USD"} 0`,
	} {
		require.Contains(t, out, want+"\n")
	}
}

// TestIONOSBillingWithoutAccessIsAuth: a user who is not a contract owner
// or admin gets 401/403: the source fails as auth, nothing is made up.
func TestIONOSBillingWithoutAccessIsAuth(t *testing.T) {
	emu := &sandbox.IONOSBilling{Contract: "31234567", Token: "right"}
	srv := httptest.NewServer(http.StripPrefix("/billing", emu))
	defer srv.Close()
	g := source.NewGroup(source.NewMetrics(), nil)
	c := New(Config{IONOS: &IONOSTarget{Config: IONOSBilling{RefreshInterval: config.Duration(time.Hour)}, Key: "k",
		Client: func(rt http.RoundTripper) (*ionos.BillingClient, error) {
			return ionos.NewBillingClient(srv.URL+"/billing", "31234567", &http.Client{Transport: bearer("wrong", rt)}), nil
		}}}, g, nil)
	out := refreshAndRender(t, c, g)
	require.Equal(t, source.ReasonAuth, g.Statuses()[0].LastReason)
	require.NotContains(t, out, "vigil_billing_cost_month_to_date{")
}

func TestDecimalAcceptsNumbersAndStrings(t *testing.T) {
	var v struct{ A, B, C, D ionos.Decimal }
	require.NoError(t, json.Unmarshal([]byte(`{"A":12,"B":"0.0400","C":null,"D":" 7.5 "}`), &v))
	require.Equal(t, []float64{12, 0.04, 0, 7.5}, []float64{float64(v.A), float64(v.B), float64(v.C), float64(v.D)})
	require.Error(t, json.Unmarshal([]byte(`{"A":"twelve"}`), &v))
}

func TestValidateNamesFieldAndHint(t *testing.T) {
	for _, tc := range []struct {
		yaml, field, hint string
	}{
		{"aws: [{account: p, daily_request_budget: 49}]", "aws[0].daily_request_budget", "at most 48"},
		{"aws: [{account: p, daily_request_budget: 3}]", "aws[0].daily_request_budget", "raise daily_request_budget or lengthen refresh_interval"},
		{"aws: [{account: p, refresh_interval: 30m}]", "aws[0].refresh_interval", "at least 1h"},
		{"aws: [{account: p, cost_metric: BlendedCost}]", "aws[0].cost_metric", "UnblendedCost, AmortizedCost or NetUnblendedCost"},
		{"aws: [{account: p}, {account: p}]", "aws[1].account", "once"},
		{"ionos: {}\nbudgets: [{provider: ionos, amount: 73, currency: eur}]", "budgets[0].currency", "never converted"},
		{"ionos: {}\nbudgets: [{provider: gcp, amount: 73, currency: EUR}]", "budgets[0].provider", "aws or ionos"},
		{"ionos: {}\nbudgets: [{provider: ionos, amount: 0, currency: EUR}]", "budgets[0].amount", "monthly budget"},
		{"budgets: []", "aws", "ionos: {}"},
	} {
		var s Section
		require.NoError(t, yamlUnmarshal(tc.yaml, &s), tc.yaml)
		s.ApplyDefaults()
		errs := s.Validate()
		require.NotEmpty(t, errs, tc.yaml)
		found := false
		for _, e := range errs {
			if e.Field == tc.field && strings.Contains(e.Hint, tc.hint) {
				found = true
			}
		}
		require.True(t, found, "%s: want %s with hint %q, got %v", tc.yaml, tc.field, tc.hint, errs)
	}
	var ok Section
	require.NoError(t, yamlUnmarshal("aws: [{account: p}]\nionos: {}\nbudgets: [{provider: ionos, amount: 73, currency: EUR}, {provider: aws, amount: 300, currency: USD}]", &ok))
	ok.ApplyDefaults()
	require.Empty(t, ok.Validate())
	require.Equal(t, 8, ok.AWS[0].DailyRequestBudget, "the default cap is 8 requests a day")
	require.Equal(t, 4, RequestsPerDay(DefaultCostInterval), "the default refresh sends 4 requests a day, half the default cap")
	// The ceiling itself is allowed, with the shortest refresh it covers:
	// 48 requests a day are 24 refreshes of 2, one an hour.
	var ceiling Section
	require.NoError(t, yamlUnmarshal("aws: [{account: p, daily_request_budget: 48, refresh_interval: 1h}]", &ceiling))
	ceiling.ApplyDefaults()
	require.Empty(t, ceiling.Validate(), "daily_request_budget: 48 is the ceiling, not above it")
}

func yamlUnmarshal(s string, v any) error { return yaml.Unmarshal([]byte(s), v) }
