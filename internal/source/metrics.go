package source

import (
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-monitoring/vigil/internal/metricdoc"
)

// Metrics holds the engine's self-metrics. The daemon creates one for its
// whole life and registers it once, so counters survive config reloads. It
// also holds the request budgets' ledgers, which must outlive a reload too.
type Metrics struct {
	mu      sync.Mutex
	known   map[string]bool    // sources with series, across reloads
	ledgers map[string]*ledger // by storage path and source name, across reloads

	up          *prometheus.GaugeVec
	attempted   *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
	duration    *prometheus.GaugeVec
	interval    *prometheus.GaugeVec
	info        *prometheus.GaugeVec
	inFlight    *prometheus.GaugeVec
	budget      *prometheus.GaugeVec
	errors      *prometheus.CounterVec
	requests    *prometheus.CounterVec
}

// Catalogue documents the engine's self-metrics.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_source_up", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "1 when the last refresh of the source succeeded, 0 when it failed or has not finished yet."},
	{Name: "vigil_source_attempted", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "1 once the source has finished a refresh, failed or not (or carries one over from before a reload or restart), 0 before; with vigil_source_last_success_timestamp_seconds absent it means the source has never succeeded."},
	{Name: "vigil_source_last_success_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "Unix time of the source's last successful refresh (restored from --storage.path for persistent sources); time() minus this is the age of its data. Absent until the source has succeeded."},
	{Name: "vigil_source_refresh_interval_seconds", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "The source's configured refresh interval; alerts compare data age against a multiple of it."},
	{Name: "vigil_source_refresh_duration_seconds", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "How long the source's last refresh took, successful or not."},
	{Name: "vigil_source_info", Type: metricdoc.Gauge, Labels: []string{"source", "criticality"},
		Help: "Always 1; criticality (page or ticket) says whether stale data of the source should page the on-call or open a ticket. Alerts join on it."},
	{Name: "vigil_source_fetches_in_flight", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "Fetches of the source still running; above 0 between refreshes means a fetch ignored its timeout and is stuck (no second one is started while it runs)."},
	{Name: "vigil_source_budget_remaining", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "Upstream requests the source may still send this UTC day under its daily request budget; only for sources with a budget. At 0 requests are refused unsent until 00:00 UTC."},
	{Name: "vigil_source_errors_total", Type: metricdoc.Counter, Labels: []string{"source", "reason"},
		Help: "Failed refreshes of the source (and failed items of a partial result), by bounded reason (" + strings.Join(reasons, ", ") + "); every reason exists at 0 from the start."},
	{Name: "vigil_source_api_requests_total", Type: metricdoc.Counter, Labels: []string{"source", "api"},
		Help: "Requests the exporter itself sent to the upstream API, by API call: what Vigil costs the upstream. Kubernetes informers' lists and watches count under source kubernetes-informers."},
}

// NewMetrics creates the self-metrics.
func NewMetrics() *Metrics {
	d := func(name string) metricdoc.Desc {
		for _, c := range Catalogue {
			if c.Name == name {
				return c
			}
		}
		panic("source: no catalogue entry for " + name) // programming error, caught by tests
	}
	gauge := func(name string) *prometheus.GaugeVec {
		c := d(name)
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: c.Name, Help: c.Help}, c.Labels)
	}
	counter := func(name string) *prometheus.CounterVec {
		c := d(name)
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: c.Name, Help: c.Help}, c.Labels)
	}
	return &Metrics{
		known:       map[string]bool{},
		ledgers:     map[string]*ledger{},
		up:          gauge("vigil_source_up"),
		attempted:   gauge("vigil_source_attempted"),
		lastSuccess: gauge("vigil_source_last_success_timestamp_seconds"),
		duration:    gauge("vigil_source_refresh_duration_seconds"),
		interval:    gauge("vigil_source_refresh_interval_seconds"),
		info:        gauge("vigil_source_info"),
		inFlight:    gauge("vigil_source_fetches_in_flight"),
		budget:      gauge("vigil_source_budget_remaining"),
		errors:      counter("vigil_source_errors_total"),
		requests:    counter("vigil_source_api_requests_total"),
	}
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.up, m.attempted, m.lastSuccess, m.duration, m.interval, m.info,
		m.inFlight, m.budget, m.errors, m.requests}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// APIRequestCounter returns a function that counts one request of the named
// source to the given API. api must come from a bounded set. Sources added
// with Add count through (*Source).Transport instead; this stays for parts
// that are not refresh sources (informers).
func (m *Metrics) APIRequestCounter(source string) func(api string) {
	return func(api string) { m.requests.WithLabelValues(source, api).Inc() }
}

// Forget removes a source's series when a reload drops the source.
func (m *Metrics) Forget(source string) {
	m.mu.Lock()
	delete(m.known, source)
	m.mu.Unlock()
	for _, v := range []*prometheus.GaugeVec{m.up, m.attempted, m.lastSuccess, m.duration, m.interval, m.inFlight, m.budget} {
		v.DeleteLabelValues(source)
	}
	m.info.DeletePartialMatch(prometheus.Labels{"source": source})
	m.errors.DeletePartialMatch(prometheus.Labels{"source": source})
	m.requests.DeletePartialMatch(prometheus.Labels{"source": source})
}

// register records a source and reports whether it is new.
func (m *Metrics) register(source string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.known[source] {
		return false
	}
	m.known[source] = true
	return true
}

// zeroErrors makes every bounded reason of the source exist at 0, so
// increase() and alerts work before its first failure.
func (m *Metrics) zeroErrors(source string) {
	for _, r := range reasons {
		m.errors.WithLabelValues(source, r).Add(0)
	}
}

// ErrorCounter returns a function counting one failure of the named source
// with a bounded reason, for parts that are not refresh sources (informers).
// Every bounded reason exists at 0 from this call on.
func (m *Metrics) ErrorCounter(source string) func(reason string) {
	m.zeroErrors(source)
	return func(reason string) { m.errors.WithLabelValues(source, reason).Inc() }
}

// InstrumentTransport counts every request sent through rt with count, under
// the API name that name gives the request (it must return a bounded value:
// a route template, never a raw path with IDs). Sources added with Add use
// (*Source).Transport, which also enforces their request budget.
func InstrumentTransport(rt http.RoundTripper, count func(api string), name func(*http.Request) string) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		count(name(req))
		return rt.RoundTrip(req)
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
