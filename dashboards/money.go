package dashboards

import "github.com/grafana-tools/sdk"

// Money answers "what do the clouds cost this month, will it fit the budget,
// and what does Vigil itself cost": month to date against budget per
// environment and provider, the forecast, spend by service or product, AWS
// Budgets, and Vigil's own billing requests. Currencies are never added:
// every query keeps the currency label.
func Money() *sdk.Board {
	b := newBuilder("vigil-money", "Vigil / Money", "billing", "cost")
	b.variables(false)
	m := func(metric string, matchers ...string) string { return one(metric, false, matchers...) }
	const key = "environment, provider, currency"
	mtd := `sum by (` + key + `) (` + m("vigil_billing_cost_month_to_date") + `)`
	budget := `max by (` + key + `) (` + m("vigil_budget_amount") + `)`

	b.row("This month against budget")
	b.table("Month to date / budget", "Spend so far this month over the monthly budget of each environment and provider (billing.budgets); the 50, 75 and 90 % alerts fire at those lines. Cost Explorer lags up to a day, IONOS usage is computed once a day.", "percentunit",
		mtd+` / on (`+key+`) `+budget, 8, 8)
	b.table("Forecast / budget", "Month-end forecast over the budget: AWS Cost Explorer's forecast plus the month to date; IONOS linear by hours covered (BillingForecastOverBudget above 1).", "percentunit",
		`sum by (`+key+`) (`+m("vigil_billing_forecast_month_end")+`) / on (`+key+`) `+budget, 8, 8)
	b.table("Budgets", "Monthly budget, and the horizon in days within which running out pages (BillingBudgetExhaustionImminent), one row each.", "none",
		// The two share their labels, so a plain `or` would drop the horizon:
		// a "figure" label keeps both rows.
		`label_replace(`+budget+`, "figure", "budget", "", "") or label_replace(max by (`+key+`) (`+m("vigil_budget_page_within_seconds")+`) / 86400, "figure", "pages within (days)", "", "")`, 8, 8)
	b.timeseries("Month to date and budget", "Spend so far this month per environment and provider, with the budget as a line, in the provider's currency.", "none", 12, 8,
		target{expr: mtd, legend: "{{environment}} {{provider}} spent ({{currency}})"},
		target{expr: budget, legend: "{{environment}} {{provider}} budget ({{currency}})"})
	b.timeseries("Forecast and last month", "Month-end forecast per account, and last month's total read from the billing API (Prometheus' retention cannot reach back a month).", "none", 12, 8,
		target{expr: m("vigil_billing_forecast_month_end"), legend: "{{provider}} {{account}} forecast ({{currency}})"},
		target{expr: m("vigil_billing_cost_previous_month"), legend: "{{provider}} {{account}} last month ({{currency}})"})

	b.row("Where the money goes")
	b.table("Spend by service or product", "Month to date by AWS service (Cost Explorer SERVICE) or IONOS product (meter), largest first.", "none",
		`sort_desc(`+m("vigil_billing_cost_month_to_date")+`)`, 12, 10)
	b.table("IONOS by data center", "IONOS month to date per virtual data center (usage x price per meter; excludes rebates, commitments and VAT).", "none",
		`sort_desc(`+m("vigil_billing_ionos_datacenter_cost_month_to_date")+`)`, 12, 5)
	b.table("IONOS meters left out", "Usage meters Vigil could not price, by reason (BillingIONOSMetersUnpriced).", "none",
		m("vigil_billing_ionos_meters_unpriced")+` > 0`, 12, 5)
	b.table("AWS Budgets", "Each AWS Budgets budget: actual spend AWS calculated for the budget's current period over its limit. The period is the budget's time_unit column (DAILY, MONTHLY, QUARTERLY, ANNUALLY or CUSTOM): only MONTHLY compares with the month to date above.", "percentunit",
		m("vigil_budget_aws_actual_spend")+` / on (environment, account, budget, time_unit, currency) `+m("vigil_budget_aws_limit"), 12, 6)
	b.table("AWS Budgets forecast", "AWS Budgets' forecast of each budget's whole current period over its limit; the period is the time_unit column (a day, month, quarter or year).", "percentunit",
		m("vigil_budget_aws_forecasted_spend")+` / on (environment, account, budget, time_unit, currency) `+m("vigil_budget_aws_limit"), 12, 6)

	b.table("AWS Budgets notification thresholds", "The alert thresholds of each AWS budget as a fraction of its limit (AWS Budgets notifies at them itself).", "percentunit",
		m("vigil_budget_aws_notification_threshold_ratio"), 24, 6, "threshold")

	b.row("IONOS estimate from inventory (not a bill)")
	b.table("Estimate / budget", "ESTIMATE (estimate=\"true\"), for environments without Billing API access: a month of the current IONOS inventory at the prices of billing.ionos_estimate, over the budget (BillingEstimateOverBudget above 1, only where nothing is billed). Never added to billed spend.", "percentunit",
		`sum by (`+key+`) (`+m("vigil_billing_estimate_monthly", `estimate="true"`)+`) / on (`+key+`) `+budget, 8, 8)
	b.table("Estimate by product (a month)", "What a month of each product of the current inventory costs at the configured prices; the month's share so far is in the next panel.", "none",
		`sort_desc(`+m("vigil_billing_estimate_monthly", `estimate="true"`)+`)`, 8, 8)
	b.table("Estimate: month to date and inventory", "The estimate's month to date (linear in the hours of the month), and the inventory it prices: cores and GB of the node pools, reserved IPs, registries.", "none",
		m("vigil_billing_estimate_month_to_date", `estimate="true"`)+` or `+m("vigil_billing_estimate_quantity", `estimate="true"`), 8, 8)

	b.row("What Vigil costs")
	b.stat("Vigil's paid requests today (USD)", "What Vigil's own requests cost over the last 24 hours: Cost Explorer (USD 0.01 a request, every page counted; vigil_billing_exporter_cost_total) plus CloudWatch GetMetricData for the infra collector (USD 0.01 per 1,000 metrics; vigil_infra_exporter_cost_total). Budgets, IONOS and the other infra calls are free. Summed over Vigil's replicas: each one sends its own requests.", "currencyUSD",
		`(sum(`+perReplica("increase", "24h", "vigil_billing_exporter_cost_total", false)+`) or vector(0)) + (sum(`+perReplica("increase", "24h", "vigil_infra_exporter_cost_total", false)+`) or vector(0))`, thresholds(0.5, "orange", 1.0, "red"), 6, 6)
	b.timeseries("Billing API requests", "Requests Vigil sent to the billing APIs, per hour, by API; a restart or reload sends none (snapshots are kept under --storage.path). Summed over Vigil's replicas: each one sends its own.", "none", 18, 6,
		target{expr: `sum by (environment, provider, account, api) (` + perReplica("increase", "1h", "vigil_billing_api_requests_total", false) + `)`, legend: "{{provider}} {{account}} {{api}}"})
	return b.board
}
