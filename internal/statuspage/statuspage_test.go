package statuspage

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// now is the page's pinned clock: 2026-12-01 12:00 UTC.
var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// scrape is what a /metrics handler serves: the families the page reads,
// and cluster series it must ignore.
var scrape = strings.NewReplacer("NOW-1H", unixAt(-time.Hour), "NOW-30H", unixAt(-30*time.Hour),
	"NOW-2H", unixAt(-2*time.Hour), "NOW+2D", unixAt(48*time.Hour), "NOW-1D", unixAt(-24*time.Hour),
	"NOW+90D", unixAt(90*24*time.Hour), "NOW-5S", unixAt(-5*time.Second)).Replace(`# HELP vigil_source_up 1 when up.
# TYPE vigil_source_up gauge
vigil_source_up{environment="staging",source="billing_aws_cost_main"} 0
vigil_source_up{environment="staging",source="textfile"} 1
# HELP vigil_source_info Criticality.
# TYPE vigil_source_info gauge
vigil_source_info{environment="staging",source="billing_aws_cost_main",criticality="page"} 1
vigil_source_info{environment="staging",source="textfile",criticality="ticket"} 1
# HELP vigil_source_api_requests_total Requests.
# TYPE vigil_source_api_requests_total counter
vigil_source_api_requests_total{environment="staging",source="billing_aws_cost_main",api="GetCostAndUsage"} 7
vigil_source_api_requests_total{environment="staging",source="billing_aws_cost_main",api="DescribeBudgets"} 4
vigil_source_api_requests_total{environment="staging",source="kubernetes-informers",api="list pods"} 1
vigil_source_api_requests_total{environment="staging",source="kubernetes-informers",api="watch pods"} 3
# HELP vigil_cluster_pod_info Pods.
# TYPE vigil_cluster_pod_info gauge
vigil_cluster_pod_info{environment="staging",pod="a"} 1
# HELP vigil_access_probe_success Probe success.
# TYPE vigil_access_probe_success gauge
vigil_access_probe_success{environment="staging",probe="shop",kind="http",target="shop.example.com"} 0
vigil_access_probe_success{environment="staging",probe="registry",kind="registry",target="reg.example.com"} 1
# HELP vigil_access_probe_failure_reason Reason.
# TYPE vigil_access_probe_failure_reason gauge
vigil_access_probe_failure_reason{environment="staging",probe="shop",kind="http",target="shop.example.com",reason="none"} 0
vigil_access_probe_failure_reason{environment="staging",probe="shop",kind="http",target="shop.example.com",reason="tls_expired"} 1
vigil_access_probe_failure_reason{environment="staging",probe="registry",kind="registry",target="reg.example.com",reason="none"} 1
# HELP vigil_access_probe_http_status_code Code.
# TYPE vigil_access_probe_http_status_code gauge
vigil_access_probe_http_status_code{environment="staging",probe="shop",kind="http",target="shop.example.com"} 0
vigil_access_probe_http_status_code{environment="staging",probe="registry",kind="registry",target="reg.example.com"} 401
# HELP vigil_access_probe_timestamp_seconds When.
# TYPE vigil_access_probe_timestamp_seconds gauge
vigil_access_probe_timestamp_seconds{environment="staging",probe="shop",kind="http",target="shop.example.com"} NOW-5S
# HELP vigil_cert_not_after_timestamp_seconds Expiry.
# TYPE vigil_cert_not_after_timestamp_seconds gauge
vigil_cert_not_after_timestamp_seconds{environment="staging",origin="tls",location="shop",entry="",chain_position="leaf",subject_cn="shop.example.com",issuer_cn="CA",serial="1"} NOW+2D
vigil_cert_not_after_timestamp_seconds{environment="staging",origin="pem",location="/etc/ca.crt",entry="",chain_position="root",subject_cn="<b>Root</b>",issuer_cn="CA",serial="2"} NOW+90D
# HELP vigil_token_expiry_timestamp_seconds Expiry.
# TYPE vigil_token_expiry_timestamp_seconds gauge
vigil_token_expiry_timestamp_seconds{environment="staging",kind="jwt",location="/etc/deploy.jwt",name="deploy",id=""} NOW-1D
# HELP vigil_backup_expected_interval_seconds Interval.
# TYPE vigil_backup_expected_interval_seconds gauge
vigil_backup_expected_interval_seconds{environment="staging",kind="files",name="pg-dumps"} 86400
vigil_backup_expected_interval_seconds{environment="staging",kind="s3",name="velero"} 3600
vigil_backup_expected_interval_seconds{environment="staging",kind="files",name="never"} 3600
# HELP vigil_backup_factor Factor.
# TYPE vigil_backup_factor gauge
vigil_backup_factor{environment="staging",kind="files",name="pg-dumps"} 1.5
vigil_backup_factor{environment="staging",kind="s3",name="velero"} 1.5
vigil_backup_factor{environment="staging",kind="files",name="never"} 1.5
# HELP vigil_backup_rpo_seconds RPO.
# TYPE vigil_backup_rpo_seconds gauge
vigil_backup_rpo_seconds{environment="staging",kind="files",name="pg-dumps"} 86400
vigil_backup_rpo_seconds{environment="staging",kind="s3",name="velero"} 86400
vigil_backup_rpo_seconds{environment="staging",kind="files",name="never"} 86400
# HELP vigil_backup_last_success_timestamp_seconds Newest.
# TYPE vigil_backup_last_success_timestamp_seconds gauge
vigil_backup_last_success_timestamp_seconds{environment="staging",kind="files",name="pg-dumps"} NOW-30H
vigil_backup_last_success_timestamp_seconds{environment="staging",kind="s3",name="velero"} NOW-1H
# HELP vigil_billing_cost_month_to_date Spend.
# TYPE vigil_billing_cost_month_to_date gauge
vigil_billing_cost_month_to_date{environment="staging",provider="aws",account="a",service="EC2",currency="USD"} 200
vigil_billing_cost_month_to_date{environment="staging",provider="aws",account="b",service="S3",currency="USD"} 76
vigil_billing_cost_month_to_date{environment="staging",provider="ionos",account="1",service="core",currency="EUR"} 10
# HELP vigil_billing_forecast_month_end Forecast.
# TYPE vigil_billing_forecast_month_end gauge
vigil_billing_forecast_month_end{environment="staging",provider="aws",account="a",currency="USD"} 360
# HELP vigil_budget_amount Budget.
# TYPE vigil_budget_amount gauge
vigil_budget_amount{environment="staging",provider="aws",currency="USD"} 300
vigil_budget_amount{environment="staging",provider="ionos",currency="EUR"} 100
`)

func unixAt(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }

var statuses = []source.Status{
	{Name: "textfile", Attempted: true, Up: true, LastSuccess: now.Add(-20 * time.Second), NextRefresh: now.Add(10 * time.Second)},
	{Name: "billing_aws_cost_main", Attempted: true, LastSuccess: now.Add(-3 * time.Hour), LastReason: "auth", NextRefresh: now.Add(90 * time.Second)},
	{Name: "billing_ionos", Attempted: true, Up: true, LastSuccess: now.Add(-2 * time.Hour), NextRefresh: now.Add(time.Hour)},
	{Name: "kubernetes-metrics", NextRefresh: time.Time{}},
}

func serve(t *testing.T, body string, path string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		// Small writes, as the exposition Writer's chunks split lines.
		for len(body) > 0 {
			n := min(len(body), 37)
			_, _ = w.Write([]byte(body[:n]))
			body = body[n:]
		}
	})
	h := Handler(Options{Metrics: metrics, MetricsPath: "/metrics", Now: func() time.Time { return now },
		Sources: func() []source.Status { return statuses }, Links: []Link{{Path: "/metrics", Text: "Metrics"}}})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w, w.Body.String()
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// rows returns the text of each body row of the section's table, cells
// joined by " | ".
func rows(t *testing.T, page, section string) []string {
	t.Helper()
	start := strings.Index(page, `<section id="`+section+`">`)
	require.GreaterOrEqual(t, start, 0, "no section %s", section)
	body := page[start:]
	body = body[:strings.Index(body, "</section>")]
	var out []string
	for _, tr := range strings.Split(body, "<tr")[1:] {
		if strings.Contains(tr, "<th") {
			continue
		}
		var cells []string
		for _, td := range strings.Split(tr, "<td")[1:] {
			td = td[strings.Index(td, ">")+1:]
			cells = append(cells, strings.TrimSpace(spaceRE.ReplaceAllString(tagRE.ReplaceAllString(td, " "), " ")))
		}
		out = append(out, strings.TrimSpace(spaceRE.ReplaceAllString(strings.Join(cells, " | "), " ")))
	}
	return out
}

func TestPageShowsEverySection(t *testing.T) {
	w, page := serve(t, scrape, "/")
	require.Equal(t, http.StatusOK, w.Code, page)
	assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Contains(t, page, `<a href="/metrics">Metrics</a>`)
	assert.Contains(t, page, "environment: staging")

	// Failing first, its reason shown, its requests summed over APIs.
	assert.Equal(t, []string{
		"down | billing_aws_cost_main | 3h 0m | auth | in 1m | 11 | page",
		"starting | kubernetes-metrics | never | | now | 0 |",
		"up | billing_ionos | 2h 0m | | in 1h 0m | 0 |",
		"watching | kubernetes-informers | live | | watch | 4 |",
		"up | textfile | 20s | | in 10s | 0 | ticket",
	}, rows(t, page, "sources"))

	assert.Equal(t, []string{
		"failed | shop | http | shop.example.com | tls_expired | | 0 ms | 5s ago",
		"ok | registry | registry | reg.example.com | | 401 | 0 ms |",
	}, rows(t, page, "probes"))

	// Soonest first, with the date; the HTML in a label is text, not markup.
	assert.Equal(t, []string{
		"expired 24h 0m ago | 2026-11-30 12:00 UTC | token (jwt) | deploy | /etc/deploy.jwt",
		"in 2d 0h | 2026-12-03 12:00 UTC | certificate (leaf) | shop.example.com | tls shop",
		"in 90d 0h | 2027-03-01 12:00 UTC | certificate (root) | &lt;b&gt;Root&lt;/b&gt; | pem /etc/ca.crt",
	}, rows(t, page, "expiry"))

	// Limit: min(interval x factor, RPO).
	assert.Equal(t, []string{
		"none | never | files | none | 1h 30m | 0",
		"too old | pg-dumps | files | 30h 0m old | 24h 0m | 0",
		"fresh | velero | s3 | 1h 0m old | 1h 30m | 0",
	}, rows(t, page, "backups"))

	// Summed over accounts and services; currencies never mixed; the age
	// of the figures, and a down billing source said (its figures are the
	// last good ones).
	assert.Equal(t, []string{
		"92 % | aws | 276.00 | 360.00 | 300.00 | USD | 3h 0m (source down)",
		"10 % | ionos | 10.00 | | 100.00 | EUR | 2h 0m",
	}, rows(t, page, "spend"))
}

func TestSummaryCountsTheRedRows(t *testing.T) {
	_, page := serve(t, scrape, "/")
	start := strings.Index(page, `<div id="summary">`)
	require.GreaterOrEqual(t, start, 0)
	summary := page[start : start+strings.Index(page[start:], "</div>")]
	var texts []string
	for _, m := range regexp.MustCompile(`<a href="#(\w+)">([^<]+)</a>`).FindAllStringSubmatch(summary, -1) {
		texts = append(texts, m[1]+": "+m[2])
	}
	// Expiry counts the expired token and the certificate inside the page
	// threshold; the root 90 days out is not a problem.
	assert.Equal(t, []string{"sources: 1 source down", "probes: 1 probe failing",
		"expiry: 2 certificates or tokens expired or about to", "backups: 2 backup targets too old or empty",
		"spend: 1 provider at 90 % of budget or more"}, texts)

	quiet := Handler(Options{Metrics: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), MetricsPath: "/metrics", Now: func() time.Time { return now }})
	w := httptest.NewRecorder()
	quiet.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Contains(t, w.Body.String(), "Nothing needs attention.")
}

func TestRowsCarryTheirState(t *testing.T) {
	_, page := serve(t, scrape, "/")
	assert.Contains(t, page, `<tr class="bad"><td><span class="badge">down</span></td><td>billing_aws_cost_main</td>`)
	assert.Contains(t, page, `<tr class="bad"><td><span class="badge">92 %</span>`, "90 % of budget and over is bad")
	assert.Contains(t, page, `<tr class="bad"><td class="why when">in 2d 0h</td>`, "inside the 7-day page threshold")
}

func TestEmptySectionsSaySo(t *testing.T) {
	_, page := serve(t, "", "/")
	for _, s := range []string{"No access probes are configured.", "No certificates or tokens are watched.",
		"No backup targets are configured.", "No billing is configured."} {
		assert.Contains(t, page, s)
	}
}

func TestOnlyTheRootIsThePage(t *testing.T) {
	w, _ := serve(t, scrape, "/nothing-here")
	assert.Equal(t, http.StatusNotFound, w.Code)
}

func TestABrokenScrapeIsAnError(t *testing.T) {
	w, page := serve(t, "vigil_source_up{source=\"x\" 1\n", "/")
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, page, "status page: parsing the scrape")
}

func TestTheFilterKeepsOnlyWantedFamilies(t *testing.T) {
	f := &lineFilter{keep: wanted}
	for _, b := range []byte(scrape) {
		_, _ = f.Write([]byte{b}) // one byte at a time: every split point
	}
	f.flush()
	out := f.out.String()
	assert.NotContains(t, out, "vigil_cluster_pod_info")
	assert.Contains(t, out, "# TYPE vigil_budget_amount gauge\n")
	assert.Equal(t, strings.Count(scrape, "\n")-3, strings.Count(out, "\n"))
}

// Spend read by a billing source that now fails is the last good figure,
// not this hour's: the row says so and is not green, whatever its percent.
func TestSpendOfADownSourceIsNotShownAsFresh(t *testing.T) {
	down := []source.Status{{Name: "billing_ionos", Attempted: true, LastSuccess: now.Add(-26 * time.Hour), LastReason: "auth"}}
	fams, err := (Options{Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(scrape))
	}), MetricsPath: "/metrics"}).scrape(t.Context())
	require.NoError(t, err)
	v := build(fams, down, now, nil)
	require.Len(t, v.Spend, 2)
	ionos := v.Spend[1]
	assert.Equal(t, "ionos", ionos.Provider)
	assert.Equal(t, "26h 0m (source down)", ionos.Age)
	assert.Equal(t, Warn, ionos.State, "10 % of budget, but from a source down for a day")
	assert.Equal(t, "", v.Spend[0].Age, "no aws billing source: no age claimed")
}

// A budget in a currency its provider reports no spend in (AWS bills in USD,
// the budget says EUR) is shown, not dropped: the page would otherwise look
// as if no budget were configured, and the budget alerts, which join on the
// currency, never fire for it.
func TestABudgetWithoutSpendInItsCurrencyIsShown(t *testing.T) {
	body := scrape + "vigil_budget_amount{environment=\"staging\",provider=\"aws\",currency=\"EUR\"} 250\n" +
		"vigil_budget_amount{environment=\"staging\",provider=\"other\",currency=\"EUR\"} 50\n"
	_, page := serve(t, body, "/") // the scrape ends with vigil_budget_amount: these join it
	assert.Equal(t, []string{
		"no spend in EUR | aws | none | | 250.00 | EUR | 3h 0m (source down)",
		"92 % | aws | 276.00 | 360.00 | 300.00 | USD | 3h 0m (source down)",
		"10 % | ionos | 10.00 | | 100.00 | EUR | 2h 0m",
		"no spend read | other | none | | 50.00 | EUR |",
	}, rows(t, page, "spend"))
	assert.Contains(t, page, `<tr class="warn"><td><span class="badge">no spend in EUR</span>`)
}

// A probe whose refresh source fails (stuck, timed out) shows its last run:
// an old success is not green, and the row says the source is down.
func TestProbeOfADownSourceIsNotShownAsFresh(t *testing.T) {
	fams, err := (Options{Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(scrape))
	}), MetricsPath: "/metrics"}).scrape(t.Context())
	require.NoError(t, err)
	down := []source.Status{{Name: "access/reg.example.com", Attempted: true, LastSuccess: now.Add(-time.Hour), LastReason: "stuck"}}
	v := build(fams, down, now, nil)
	require.Len(t, v.Probes, 2)
	reg := v.Probes[1]
	assert.Equal(t, "registry", reg.Probe)
	assert.Equal(t, Warn, reg.State, "its last run succeeded, an hour ago; the source is stuck")
	assert.Contains(t, reg.Age, "(source down)")
	assert.Equal(t, Bad, v.Probes[0].State, "a failed probe stays bad")
	assert.NotContains(t, v.Probes[0].Age, "source down", "its source is not down")
}
