package source

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-monitoring/vigil/internal/metricdoc"
)

// Metrics holds the engine's self-metrics. The daemon creates one for its
// whole life and registers it once, so counters survive config reloads.
type Metrics struct {
	mu    sync.Mutex
	known map[string]bool // sources with series, across reloads

	up          *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
	duration    *prometheus.GaugeVec
	interval    *prometheus.GaugeVec
	errors      *prometheus.CounterVec
	requests    *prometheus.CounterVec
}

// Catalogue documents the engine's self-metrics.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_source_up", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "1 when the last refresh of the source succeeded, 0 when it failed or has not finished yet."},
	{Name: "vigil_source_last_success_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "Unix time of the source's last successful refresh; time() minus this is the age of its data. 0 before the first success."},
	{Name: "vigil_source_refresh_interval_seconds", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "The source's configured refresh interval; alerts compare data age against a multiple of it."},
	{Name: "vigil_source_refresh_duration_seconds", Type: metricdoc.Gauge, Labels: []string{"source"},
		Help: "How long the source's last refresh took, successful or not."},
	{Name: "vigil_source_errors_total", Type: metricdoc.Counter, Labels: []string{"source", "reason"},
		Help: "Failed refreshes of the source, by bounded reason (timeout, auth, throttled, not_found, server_error, client_error, decode, connection, canceled, other)."},
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
		up:          gauge("vigil_source_up"),
		lastSuccess: gauge("vigil_source_last_success_timestamp_seconds"),
		duration:    gauge("vigil_source_refresh_duration_seconds"),
		interval:    gauge("vigil_source_refresh_interval_seconds"),
		errors:      counter("vigil_source_errors_total"),
		requests:    counter("vigil_source_api_requests_total"),
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.up.Describe(ch)
	m.lastSuccess.Describe(ch)
	m.duration.Describe(ch)
	m.interval.Describe(ch)
	m.errors.Describe(ch)
	m.requests.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.up.Collect(ch)
	m.lastSuccess.Collect(ch)
	m.duration.Collect(ch)
	m.interval.Collect(ch)
	m.errors.Collect(ch)
	m.requests.Collect(ch)
}

// APIRequestCounter returns a function that counts one request of the named
// source to the given API. api must come from a bounded set.
func (m *Metrics) APIRequestCounter(source string) func(api string) {
	return func(api string) { m.requests.WithLabelValues(source, api).Inc() }
}

// Forget removes a source's series when a reload drops the source.
func (m *Metrics) Forget(source string) {
	m.mu.Lock()
	delete(m.known, source)
	m.mu.Unlock()
	m.up.DeleteLabelValues(source)
	m.lastSuccess.DeleteLabelValues(source)
	m.duration.DeleteLabelValues(source)
	m.interval.DeleteLabelValues(source)
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

// ErrorCounter returns a function counting one failure of the named source
// with a bounded reason, for parts that are not refresh sources (informers).
func (m *Metrics) ErrorCounter(source string) func(reason string) {
	return func(reason string) { m.errors.WithLabelValues(source, reason).Inc() }
}

// InstrumentTransport counts every request sent through rt with count, under
// the API name that name gives the request (it must return a bounded value:
// a route template, never a raw path with IDs).
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
