package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	btypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/aws/awstest"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m)) }

// motoURL returns the shared moto_server, reset for this test.
func motoURL(t *testing.T) string { return testenv.Moto(t) }

// countingProxy stands between the collector and moto and counts requests
// by operation (X-Amz-Target).
type countingProxy struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
}

func newCountingProxy(t *testing.T, upstream string) *countingProxy {
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &countingProxy{counts: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[aws.BillingAPI(r)]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *countingProxy) count(api string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[api]
}

// queueCostAndUsage hands moto the GetCostAndUsage answers, one per
// distinct request body in call order (its own API for Cost Explorer).
func queueCostAndUsage(t *testing.T, motoURL string, results ...map[string]any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"results": results})
	require.NoError(t, err)
	resp, err := http.Post(motoURL+"/moto-api/static/ce/cost-and-usage-results", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
}

func ceGroup(service, amount string) map[string]any {
	return map[string]any{"Keys": []string{service}, "Metrics": map[string]any{"UnblendedCost": map[string]string{"Amount": amount, "Unit": "USD"}}}
}

func ceMonth(start, end string, estimated bool, groups ...map[string]any) map[string]any {
	return map[string]any{"TimePeriod": map[string]string{"Start": start, "End": end}, "Total": map[string]any{}, "Groups": groups, "Estimated": estimated}
}

func newMotoAccount(t *testing.T, endpoint string) aws.Account {
	return awstest.MotoAccount(t, endpoint)
}

// TestCostExplorerAndBudgetsAgainstMoto: month to date by service over two
// pages, the previous month, AWS Budgets' calculated spend, what the
// requests cost, and a forecast moto cannot give (500) failing alone.
func TestCostExplorerAndBudgetsAgainstMoto(t *testing.T) {
	murl := motoURL(t)
	proxy := newCountingProxy(t, murl)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	queueCostAndUsage(t, murl,
		map[string]any{
			"ResultsByTime": []any{
				ceMonth("2026-10-01", "2026-11-01", false, ceGroup("Amazon Elastic Compute Cloud - Compute", "150.5")),
				ceMonth("2026-11-01", "2026-11-22", true, ceGroup("Amazon Elastic Compute Cloud - Compute", "100.25")),
			},
			"NextPageToken": "page-2",
		},
		map[string]any{
			"ResultsByTime": []any{
				ceMonth("2026-10-01", "2026-11-01", false, ceGroup("Amazon Relational Database Service", "49.5")),
				ceMonth("2026-11-01", "2026-11-22", true, ceGroup("Amazon Relational Database Service", "30")),
			},
		})
	// Budgets: moto returns CalculatedSpend as given to CreateBudget.
	bc := budgets.NewFromConfig(awssdk.Config{Region: "us-east-1", BaseEndpoint: awssdk.String(murl),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	_, err := bc.CreateBudget(context.Background(), &budgets.CreateBudgetInput{AccountId: awssdk.String("123456789012"), Budget: &btypes.Budget{
		BudgetName: awssdk.String("production-monthly"), BudgetType: btypes.BudgetTypeCost, TimeUnit: btypes.TimeUnitMonthly,
		BudgetLimit: &btypes.Spend{Amount: awssdk.String("300"), Unit: awssdk.String("USD")},
		CalculatedSpend: &btypes.CalculatedSpend{
			ActualSpend:     &btypes.Spend{Amount: awssdk.String("130.25"), Unit: awssdk.String("USD")},
			ForecastedSpend: &btypes.Spend{Amount: awssdk.String("310"), Unit: awssdk.String("USD")},
		},
	}})
	require.NoError(t, err)
	// A quarterly budget: its limit and spend are a quarter's, and the
	// series say so (time_unit), so no one compares them with a month.
	_, err = bc.CreateBudget(context.Background(), &budgets.CreateBudgetInput{AccountId: awssdk.String("123456789012"), Budget: &btypes.Budget{
		BudgetName: awssdk.String("production-quarterly"), BudgetType: btypes.BudgetTypeCost, TimeUnit: btypes.TimeUnitQuarterly,
		BudgetLimit: &btypes.Spend{Amount: awssdk.String("900"), Unit: awssdk.String("USD")},
		CalculatedSpend: &btypes.CalculatedSpend{
			ActualSpend: &btypes.Spend{Amount: awssdk.String("420"), Unit: awssdk.String("USD")},
		},
	}})
	require.NoError(t, err)
	for _, n := range []btypes.Notification{
		{NotificationType: btypes.NotificationTypeActual, ComparisonOperator: btypes.ComparisonOperatorGreaterThan, Threshold: 80, ThresholdType: btypes.ThresholdTypePercentage},
		{NotificationType: btypes.NotificationTypeForecasted, ComparisonOperator: btypes.ComparisonOperatorGreaterThan, Threshold: 150, ThresholdType: btypes.ThresholdTypeAbsoluteValue},
	} {
		_, err = bc.CreateNotification(context.Background(), &budgets.CreateNotificationInput{AccountId: awssdk.String("123456789012"),
			BudgetName: awssdk.String("production-monthly"), Notification: &n,
			Subscribers: []btypes.Subscriber{{SubscriptionType: btypes.SubscriptionTypeEmail, Address: awssdk.String("ops@example.com")}}})
		require.NoError(t, err)
	}

	acct := newMotoAccount(t, proxy.URL)
	sec := &Section{AWS: []AWSAccount{{Account: "production", Budgets: true}}, Budgets: []Budget{{Provider: "aws", Amount: 300, Currency: "USD"}}}
	sec.ApplyDefaults()
	require.Empty(t, sec.Validate())
	g := source.NewGroup(source.NewMetrics(), nil, source.WithStorage(t.TempDir()))
	c := New(Config{AWS: []AWSTarget{{Name: "production", Config: sec.AWS[0], Client: acct.Billing, Key: "k"}},
		Budgets: sec.Budgets, Now: func() time.Time { return now }}, g, nil)
	out := refreshAndRender(t, c, g)

	for _, want := range []string{
		`vigil_billing_cost_month_to_date{environment="test",provider="aws",account="production",service="Amazon Elastic Compute Cloud - Compute",currency="USD"} 100.25`,
		`vigil_billing_cost_month_to_date{environment="test",provider="aws",account="production",service="Amazon Relational Database Service",currency="USD"} 30`,
		`vigil_billing_cost_previous_month{environment="test",provider="aws",account="production",currency="USD"} 200`,
		`vigil_budget_aws_limit{environment="test",account="production",budget="production-monthly",time_unit="MONTHLY",currency="USD"} 300`,
		`vigil_budget_aws_actual_spend{environment="test",account="production",budget="production-monthly",time_unit="MONTHLY",currency="USD"} 130.25`,
		`vigil_budget_aws_forecasted_spend{environment="test",account="production",budget="production-monthly",time_unit="MONTHLY",currency="USD"} 310`,
		`vigil_budget_aws_limit{environment="test",account="production",budget="production-quarterly",time_unit="QUARTERLY",currency="USD"} 900`,
		`vigil_budget_aws_actual_spend{environment="test",account="production",budget="production-quarterly",time_unit="QUARTERLY",currency="USD"} 420`,
		`vigil_budget_aws_notification_threshold_ratio{environment="test",account="production",budget="production-monthly",notification_type="ACTUAL",comparison="GREATER_THAN",threshold="0.8"} 0.8`,
		`vigil_budget_aws_notification_threshold_ratio{environment="test",account="production",budget="production-monthly",notification_type="FORECASTED",comparison="GREATER_THAN",threshold="0.5"} 0.5`,
		`vigil_billing_api_requests_total{environment="test",provider="aws",account="production",api="DescribeNotificationsForBudget"} 2`,
		`vigil_budget_amount{environment="test",provider="aws",currency="USD"} 300`,
		`vigil_budget_page_within_seconds{environment="test",provider="aws",currency="USD"} 259200`,
		`vigil_billing_api_requests_total{environment="test",provider="aws",account="production",api="GetCostAndUsage"} 2`,
		`vigil_billing_api_requests_total{environment="test",provider="aws",account="production",api="GetCostForecast"} 1`,
		`vigil_billing_api_requests_total{environment="test",provider="aws",account="production",api="DescribeBudgets"} 1`,
		`vigil_billing_exporter_cost_total{environment="test",provider="aws",account="production",currency="USD"} 0.03`,
	} {
		require.Contains(t, out, want+"\n")
	}
	// moto answers GetCostForecast with 500: that item fails alone, the
	// month to date is served, no forecast is made up.
	require.NotContains(t, out, "vigil_billing_forecast_month_end{")
	require.Equal(t, 2, proxy.count("GetCostAndUsage"), "every page is one request")
	require.Equal(t, 1, proxy.count("GetCostForecast"))
}

// refreshAndRender starts the group, waits for every source's first
// refresh, and renders the collector.
func refreshAndRender(t *testing.T, c *Collector, g *source.Group) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g.Start(ctx)
	t.Cleanup(func() { cancel(); g.Stop(true) })
	require.Eventually(t, g.Ready, 30*time.Second, 10*time.Millisecond)
	return render(t, c)
}

func render(t *testing.T, c *Collector) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, c.RenderText(&b, "test"))
	return b.String()
}
