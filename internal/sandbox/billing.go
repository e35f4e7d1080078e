package sandbox

// Billing upstreams for the billing collector: an AWS Cost Explorer and
// Budgets emulator speaking their awsJson 1.1 protocol (X-Amz-Target,
// application/x-amz-json-1.1; response shapes from AWS's API reference:
// GetCostAndUsage, GetCostForecast, DescribeBudgets), for the sandbox and
// for what moto_server cannot do (it answers GetCostForecast with 500), and
// an IONOS Billing API emulator (/{contract}/products and /{contract}/usage,
// wire format of ../shared/reference/ionos-api-wire-formats.md §3, with
// quantities and prices sent as strings and as numbers, as the API does).
// Both count the requests they receive, so tests can assert that a restart
// or a reload sent none; AWSBilling can hang, to test a kill during a
// refresh.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AWSBudget is one AWS Budgets budget the emulator returns.
type AWSBudget struct {
	// Thresholds are ACTUAL notifications at these percentages.
	Thresholds              []float64
	Name                    string
	Limit, Actual, Forecast float64
	Currency                string
}

// AWSBilling emulates Cost Explorer and Budgets. Set its fields before
// serving; lock-free reads of them during serving are safe only then.
type AWSBilling struct {
	// Current and Previous are the spend by service of the current month
	// to date and of the previous month.
	Current, Previous map[string]float64
	// Forecast is the forecast spend from today to the month's end.
	Forecast float64
	Budgets  []AWSBudget
	// PageSize splits GetCostAndUsage's services over pages (0: one page).
	PageSize int

	mu       sync.Mutex
	requests map[string]int
	hang     chan struct{} // non-nil: Cost Explorer requests wait for it
}

// Requests returns how many requests of the operation (GetCostAndUsage,
// GetCostForecast, DescribeBudgets) the emulator received.
func (a *AWSBilling) Requests(op string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests[op]
}

// Hang makes Cost Explorer requests block until Release (or until the
// client goes away).
func (a *AWSBilling) Hang() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hang == nil {
		a.hang = make(chan struct{})
	}
}

// Release ends Hang.
func (a *AWSBilling) Release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hang != nil {
		close(a.hang)
		a.hang = nil
	}
}

type awsDateInterval struct{ Start, End string }

func (a *AWSBilling) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndexByte(target, '.')+1:]
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	if a.requests == nil {
		a.requests = map[string]int{}
	}
	a.requests[op]++
	hang := a.hang
	a.mu.Unlock()
	if hang != nil && strings.HasPrefix(target, "AWSInsightsIndexService.") {
		select {
		case <-hang:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch target {
	case "AWSInsightsIndexService.GetCostAndUsage":
		a.costAndUsage(w, body)
	case "AWSInsightsIndexService.GetCostForecast":
		a.costForecast(w, body)
	case "AWSBudgetServiceGateway.DescribeBudgets":
		a.describeBudgets(w)
	case "AWSBudgetServiceGateway.DescribeNotificationsForBudget":
		a.describeNotifications(w, body)
	default:
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "operation "+target+" is not emulated")
	}
}

func awsError(w http.ResponseWriter, code int, typ, msg string) {
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "Message": msg})
}

func money(v float64, unit string) map[string]string {
	return map[string]string{"Amount": strconv.FormatFloat(v, 'f', 10, 64), "Unit": unit}
}

func (a *AWSBilling) costAndUsage(w http.ResponseWriter, body []byte) {
	var in struct {
		TimePeriod    awsDateInterval
		Metrics       []string
		NextPageToken string
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.Metrics) != 1 {
		awsError(w, http.StatusBadRequest, "ValidationException", "bad request body")
		return
	}
	start, err1 := time.Parse("2006-01-02", in.TimePeriod.Start)
	end, err2 := time.Parse("2006-01-02", in.TimePeriod.End)
	if err1 != nil || err2 != nil || !end.After(start) {
		awsError(w, http.StatusBadRequest, "ValidationException", "bad TimePeriod")
		return
	}
	// One result per calendar month of the period; the first is the
	// previous month, the second the current one.
	type group struct {
		Keys    []string
		Metrics map[string]map[string]string
	}
	type result struct {
		TimePeriod awsDateInterval
		Total      map[string]any
		Groups     []group
		Estimated  bool
	}
	page, _ := strconv.Atoi(in.NextPageToken)
	var results []result
	more := false
	for i, m := 0, start; m.Before(end); i, m = i+1, m.AddDate(0, 1, 0) {
		data := a.Previous
		if i > 0 {
			data = a.Current
		}
		names := make([]string, 0, len(data))
		for n := range data {
			names = append(names, n)
		}
		sort.Strings(names)
		if a.PageSize > 0 {
			lo := min(page*a.PageSize, len(names))
			hi := min(lo+a.PageSize, len(names))
			more = more || hi < len(names)
			names = names[lo:hi]
		}
		to := m.AddDate(0, 1, 0)
		if to.After(end) {
			to = end
		}
		res := result{TimePeriod: awsDateInterval{m.Format("2006-01-02"), to.Format("2006-01-02")},
			Total: map[string]any{}, Estimated: i > 0}
		for _, n := range names {
			res.Groups = append(res.Groups, group{Keys: []string{n}, Metrics: map[string]map[string]string{in.Metrics[0]: money(data[n], "USD")}})
		}
		results = append(results, res)
	}
	out := map[string]any{
		"GroupDefinitions":         []map[string]string{{"Type": "DIMENSION", "Key": "SERVICE"}},
		"ResultsByTime":            results,
		"DimensionValueAttributes": []any{},
	}
	if more {
		out["NextPageToken"] = strconv.Itoa(page + 1)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (a *AWSBilling) costForecast(w http.ResponseWriter, body []byte) {
	var in struct {
		TimePeriod awsDateInterval
		Metric     string
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Metric == "" {
		awsError(w, http.StatusBadRequest, "ValidationException", "bad request body")
		return
	}
	v := strconv.FormatFloat(a.Forecast, 'f', 10, 64)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"Total": money(a.Forecast, "USD"),
		"ForecastResultsByTime": []map[string]any{{
			"TimePeriod": in.TimePeriod, "MeanValue": v,
			"PredictionIntervalLowerBound": strconv.FormatFloat(a.Forecast*0.9, 'f', 10, 64),
			"PredictionIntervalUpperBound": strconv.FormatFloat(a.Forecast*1.1, 'f', 10, 64),
		}},
	})
}

func (a *AWSBilling) describeBudgets(w http.ResponseWriter) {
	var out []map[string]any
	for _, b := range a.Budgets {
		out = append(out, map[string]any{
			"BudgetName": b.Name, "BudgetType": "COST", "TimeUnit": "MONTHLY",
			"BudgetLimit": money(b.Limit, b.Currency),
			"CalculatedSpend": map[string]any{
				"ActualSpend": money(b.Actual, b.Currency), "ForecastedSpend": money(b.Forecast, b.Currency),
			},
		})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"Budgets": out})
}

func (a *AWSBilling) describeNotifications(w http.ResponseWriter, body []byte) {
	var in struct{ BudgetName string }
	_ = json.Unmarshal(body, &in)
	for _, b := range a.Budgets {
		if b.Name != in.BudgetName {
			continue
		}
		ns := []map[string]any{}
		for _, t := range b.Thresholds {
			ns = append(ns, map[string]any{"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
				"Threshold": t, "ThresholdType": "PERCENTAGE", "NotificationState": "OK"})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Notifications": ns})
		return
	}
	awsError(w, http.StatusBadRequest, "NotFoundException", "budget "+in.BudgetName+" not found")
}

// IONOSMeter is one usage meter of a data center.
type IONOSMeter struct {
	MeterID, Desc, Unit string
	Quantity            float64
}

// IONOSDataCenter is one virtual data center's month-to-date usage.
type IONOSDataCenter struct {
	ID, Name, Location string
	Meters             []IONOSMeter
}

// IONOSProduct is one price-list entry.
type IONOSProduct struct {
	MeterID, Desc, Unit string
	Price               float64
	Currency            string
}

// IONOSBilling emulates the IONOS Billing API for one contract. Requests
// must carry Authorization: Bearer Token (401 otherwise).
type IONOSBilling struct {
	Contract string
	Token    string
	Products []IONOSProduct
	// Usage by period (YYYY-MM); the current month's EndDate is the last
	// day usage was computed for.
	Usage   map[string][]IONOSDataCenter
	EndDate map[string]string

	mu       sync.Mutex
	requests map[string]int
}

// Requests returns how many requests of "usage" or "products" it received.
func (b *IONOSBilling) Requests(what string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests[what]
}

func (b *IONOSBilling) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// The emulator is mounted at its base (…/billing): the path is /{contract}/{what}.
	if len(parts) < 2 {
		ionosBillingError(w, http.StatusNotFound, "Not Found")
		return
	}
	contract, what := parts[len(parts)-2], parts[len(parts)-1]
	b.mu.Lock()
	if b.requests == nil {
		b.requests = map[string]int{}
	}
	b.requests[what]++
	b.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+b.Token {
		ionosBillingError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if contract != b.Contract {
		ionosBillingError(w, http.StatusNotFound, "The contract not found or doesn't belong to the user")
		return
	}
	meta := map[string]any{"contractId": b.Contract, "customerId": "112505406", "reference": nil}
	switch what {
	case "products":
		var ps []map[string]any
		for _, p := range b.Products {
			ps = append(ps, map[string]any{"meterId": p.MeterID, "meterDesc": p.Desc, "deprecated": false, "unit": p.Unit,
				"type": "consumption", "term": nil,
				"unitCost": map[string]any{"quantity": strconv.FormatFloat(p.Price, 'f', 4, 64), "unit": p.Currency}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"metadata": meta, "liability": "Prices without liability.", "products": ps})
	case "usage":
		period := r.URL.Query().Get("period")
		if period == "" {
			period = time.Now().UTC().Format("2006-01")
		}
		var dcs []map[string]any
		for _, dc := range b.Usage[period] {
			var ms []map[string]any
			for i, m := range dc.Meters {
				// The API sends quantities as numbers; the Go SDK types
				// them as strings: send both, alternately.
				var q any = m.Quantity
				if i%2 == 1 {
					q = strconv.FormatFloat(m.Quantity, 'f', -1, 64)
				}
				ms = append(ms, map[string]any{"meterId": m.MeterID, "meterDesc": m.Desc,
					"quantity": map[string]any{"quantity": q, "unit": m.Unit}})
			}
			dcs = append(dcs, map[string]any{"id": dc.ID, "name": dc.Name, "location": dc.Location, "meters": ms})
		}
		start, _ := time.Parse("2006-01", period)
		end := b.EndDate[period]
		if end == "" {
			end = start.AddDate(0, 1, -1).Format("2006-01-02")
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"startDate": start.Format("2006-01-02"), "endDate": end,
			"metadata": meta, "datacenters": dcs})
	default:
		ionosBillingError(w, http.StatusNotFound, fmt.Sprintf("no %s endpoint", what))
	}
}

func ionosBillingError(w http.ResponseWriter, code int, msg string) {
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"httpStatus": code, "messages": []map[string]string{{"message": msg}}})
}
