package billing

import "github.com/vigil-monitoring/vigil/internal/metricdoc"

// Catalogue lists every family the collector exposes.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_billing_cost_month_to_date", Type: metricdoc.Gauge, Labels: []string{"provider", "account", "service", "currency"},
		Help: "Spend of the current calendar month (UTC) so far, by service (AWS Cost Explorer SERVICE, in the configured cost metric, through the day before the refresh, so 0 on the 1st) or IONOS product (Billing API usage x price per meter). Cost Explorer data lags up to a day and IONOS computes usage once a day: alert on the forecast, not on this partial figure."},
	{Name: "vigil_billing_cost_previous_month", Type: metricdoc.Gauge, Labels: []string{"provider", "account", "currency"},
		Help: "Total spend of the previous calendar month, from the same API as the month to date (exported because Prometheus' default retention cannot reach back a month)."},
	{Name: "vigil_billing_forecast_month_end", Type: metricdoc.Gauge, Labels: []string{"provider", "account", "currency"},
		Help: "Forecast spend of the whole current month: for AWS the month to date (through the day before the refresh) plus Cost Explorer's GetCostForecast from the day of the refresh to the month's end; for IONOS the month to date scaled linearly by the hours of the month usage covers."},
	{Name: "vigil_billing_ionos_datacenter_cost_month_to_date", Type: metricdoc.Gauge, Labels: []string{"account", "datacenter", "currency"},
		Help: "IONOS spend of the current month so far per virtual data center (Billing API usage x price per meter; excludes rebates, commitments and VAT)."},
	{Name: "vigil_billing_ionos_meters_unpriced", Type: metricdoc.Gauge, Labels: []string{"account", "reason"},
		Help: "IONOS usage meters left out of the cost, by reason: no_price (no product in the price list), unit_mismatch (usage unit differs from the product's, never converted silently), currency_mismatch (priced in another currency than the contract's)."},
	{Name: "vigil_billing_api_requests_total", Type: metricdoc.Counter, Labels: []string{"provider", "account", "api"},
		Help: "Billing API requests Vigil sent since it started, every page counted (a request refused by the daily request budget is not sent and not counted)."},
	{Name: "vigil_billing_exporter_cost_total", Type: metricdoc.Counter, Labels: []string{"provider", "account", "currency"},
		Help: "What Vigil's own billing requests cost since it started: AWS Cost Explorer charges USD 0.01 a request; Budgets and the IONOS Billing API are free."},
	{Name: "vigil_billing_estimate_monthly", Type: metricdoc.Gauge, Labels: []string{"provider", "product", "currency", "estimate"},
		Help: "ESTIMATE, not a bill (estimate=\"true\"): what a whole month of the current IONOS inventory costs per product (cores, ram, storage_hdd, storage_ssd of the Kubernetes node pools; public_ips of the reserved IP blocks; registries), at the prices of billing.ionos_estimate, for users who cannot read the Billing API. Excludes traffic, snapshots and everything else not counted."},
	{Name: "vigil_billing_estimate_month_to_date", Type: metricdoc.Gauge, Labels: []string{"provider", "currency", "estimate"},
		Help: "ESTIMATE, not a bill (estimate=\"true\"): the month's share so far of vigil_billing_estimate_monthly, as if the current inventory had run since the 1st (linear in the hours of the month)."},
	{Name: "vigil_billing_estimate_quantity", Type: metricdoc.Gauge, Labels: []string{"provider", "product", "unit", "estimate"},
		Help: "The IONOS inventory the estimate prices, per product in its unit: cores and GB of RAM and storage of every node pool's nodes, reserved IPs, container registries (read from the Cloud API and the Container Registry API)."},
	{Name: "vigil_budget_amount", Type: metricdoc.Gauge, Labels: []string{"provider", "currency"},
		Help: "Monthly budget of this environment and provider, from Vigil's configuration (billing.budgets); amounts in different currencies are never added or converted."},
	{Name: "vigil_budget_page_within_seconds", Type: metricdoc.Gauge, Labels: []string{"provider", "currency"},
		Help: "From Vigil's configuration (billing.budgets[].page_within): page when spend is on course to reach the budget within this many seconds; further away the alerts are tickets."},
	{Name: "vigil_budget_aws_limit", Type: metricdoc.Gauge, Labels: []string{"account", "budget", "time_unit", "currency"},
		Help: "Limit of each AWS Budgets cost budget of the account (DescribeBudgets) for one period of its time_unit (DAILY, MONTHLY, QUARTERLY, ANNUALLY or CUSTOM, as AWS Budgets names it): compare it with the monthly vigil_budget_amount and vigil_billing_cost_month_to_date only where time_unit=\"MONTHLY\"."},
	{Name: "vigil_budget_aws_actual_spend", Type: metricdoc.Gauge, Labels: []string{"account", "budget", "time_unit", "currency"},
		Help: "Actual spend AWS Budgets calculated for each budget's current period, a day, month, quarter or year by its time_unit (DescribeBudgets CalculatedSpend; lags like Cost Explorer)."},
	{Name: "vigil_budget_aws_forecasted_spend", Type: metricdoc.Gauge, Labels: []string{"account", "budget", "time_unit", "currency"},
		Help: "Spend AWS Budgets forecasts for each budget's whole current period, a day, month, quarter or year by its time_unit (DescribeBudgets CalculatedSpend)."},
	{Name: "vigil_budget_aws_notification_threshold_ratio", Type: metricdoc.Gauge, Labels: []string{"account", "budget", "notification_type", "comparison", "threshold"},
		Help: "Each alert threshold of an AWS Budgets budget (DescribeNotificationsForBudget) as a fraction of its limit (80 % is 0.8; absolute thresholds divided by the limit); threshold repeats the value so several thresholds of one type stay distinct. AWS Budgets sends its own notifications at these."},
}
