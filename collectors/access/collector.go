// Package access probes what users and the cluster's own tooling reach from
// outside: HTTP(S) endpoints, TCP ports, DNS names, the container registry's
// /v2/ and the Kubernetes API's /readyz. The seeds' incident class "we can't
// reach it from outside" was caught by a script run by hand after each
// apply; here every probe exports, besides success and its phase durations,
// why it fails, from a closed set of reasons of which every one is present
// as 0 or 1, so the on-call reads "tcp_refused" or "tls_expired" on the
// dashboard and in the alert instead of in a log.
//
// A failing probe is data: probes run on refresh sources, one source per
// target (host:port), whose items are the probes of that target, run one
// after the other so probes of one target never overlap (the engine never
// starts a second fetch of a source while one runs). A probe whose target
// is down is a successful item that says so; the source fails only when
// Vigil could not run any of its probes (an unreadable header secret).
package access

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
	"github.com/vigil-monitoring/vigil/internal/source"
)

var probeLabels = []string{"probe", "kind", "target"}

func labels(extra ...string) []string { return append(append([]string(nil), probeLabels...), extra...) }

// Catalogue lists the collector's families.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_access_probe_success", Type: metricdoc.Gauge, Labels: labels(),
		Help: "1 when the last run of the configured access probe (HTTP(S), TCP, TLS, DNS, registry /v2/, Kubernetes /readyz) succeeded from where Vigil runs, 0 when it failed; vigil_access_probe_failure_reason says why."},
	{Name: "vigil_access_probe_failure_reason", Type: metricdoc.Gauge, Labels: labels("reason"),
		Help: "Outcome of the last run of each access probe: 1 for its reason (none when it succeeded; dns_nxdomain, dns_timeout, dns_error, tcp_refused, tcp_timeout, tcp_error, tls_expired, tls_untrusted, tls_hostname, tls_handshake, http_status, http_error, body_mismatch, timeout), 0 for every other reason."},
	{Name: "vigil_access_probe_duration_seconds", Type: metricdoc.Gauge, Labels: labels(),
		Help: "Duration of the last run of each access probe, all phases, measured by Vigil."},
	{Name: "vigil_access_probe_phase_duration_seconds", Type: metricdoc.Gauge, Labels: labels("phase"),
		Help: "Duration of each phase (dns, connect, tls, first_byte) of the last run of each access probe; 0 for a phase the run did not reach. first_byte runs from sending the request to the first byte of the answer."},
	{Name: "vigil_access_probe_http_status_code", Type: metricdoc.Gauge, Labels: labels(),
		Help: "HTTP status code of the last answer to each http, registry and readyz access probe; 0 when no answer came."},
	{Name: "vigil_access_probe_timestamp_seconds", Type: metricdoc.Gauge, Labels: labels(),
		Help: "When the last run of each access probe, whose result the other vigil_access_probe_* series show, finished."},
}

// Config of the collector, from the validated section.
type Config struct {
	Probes []Probe
	// Key identifies the configuration (source.Options.Key).
	Key string
}

// Collector runs the probes and renders their last results.
type Collector struct {
	targets []*target
	logger  *slog.Logger
}

// target is one host:port and the probes that reach it, run by one source.
type target struct {
	address string
	probes  []*prober
	src     *source.Source[source.Items[Result]]
}

// SourcePrefix starts the name of every probe source: access/<host:port>.
const SourcePrefix = "access/"

// New adds one source per target to group. Probe configuration errors that
// validation could not see (an unreadable CA file) are returned.
func New(cfg Config, group *source.Group, logger *slog.Logger) (*Collector, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Collector{logger: logger}
	byAddr := map[string]*target{}
	for _, p := range cfg.Probes {
		pr, err := newProber(p)
		if err != nil {
			return nil, err
		}
		t, ok := byAddr[pr.address]
		if !ok {
			t = &target{address: pr.address}
			byAddr[pr.address] = t
			c.targets = append(c.targets, t)
		}
		t.probes = append(t.probes, pr)
	}
	for _, t := range c.targets {
		interval, timeout := time.Duration(0), time.Duration(0)
		for _, pr := range t.probes {
			if interval == 0 || pr.p.Interval.Std() < interval {
				interval = pr.p.Interval.Std()
			}
			timeout += pr.p.Timeout.Std()
		}
		t := t
		// Ticket: a source fails only when Vigil cannot run its probes;
		// the probes' own failures alert by themselves.
		t.src = source.Add(group, source.Options{Name: SourcePrefix + t.address, Interval: interval,
			Timeout: timeout + time.Second, Key: cfg.Key, Criticality: source.CriticalityTicket},
			func(ctx context.Context) (source.Items[Result], error) { return t.run(ctx) })
	}
	return c, nil
}

// run runs the target's due probes one after the other; a probe not due yet
// (its interval is longer than the target's shortest) keeps its last result
// and time.
func (t *target) run(ctx context.Context) (source.Items[Result], error) {
	prev, _, _ := t.src.Get()
	out := source.Items[Result]{}
	for _, pr := range t.probes {
		last, had := prev[pr.p.Name]
		// Due when a full interval has passed, less a little jitter slack.
		if had && last.Has() && time.Since(last.At) < pr.p.Interval.Std()*9/10 {
			out[pr.p.Name] = source.Item[Result]{Value: last.Value, At: last.At}
			continue
		}
		res, err := pr.run(ctx)
		if err != nil {
			out.Fail(pr.p.Name, err)
			continue
		}
		out[pr.p.Name] = source.Item[Result]{Value: res, At: time.Now()}
	}
	return out, nil
}

var (
	headers = exposition.NewHeaders(Catalogue)
	lProbe  = exposition.NewLabel("probe")
	lKind   = exposition.NewLabel("kind")
	lTarget = exposition.NewLabel("target")
	lReason = exposition.NewLabel("reason")
	lPhase  = exposition.NewLabel("phase")
)

type row struct {
	pr  *prober
	res Result
	at  time.Time
}

// Render writes the last result of every probe that has one.
func (c *Collector) Render(w *exposition.Writer) error {
	var rows []row
	for _, t := range c.targets {
		snap, _, ok := t.src.Get()
		if !ok {
			continue
		}
		for _, pr := range t.probes {
			if it, ok := snap[pr.p.Name]; ok && it.Has() {
				rows = append(rows, row{pr: pr, res: it.Value, at: it.At})
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].pr.p.Name < rows[j].pr.p.Name })
	series := func(r row) {
		w.Series()
		w.Label(lProbe, r.pr.p.Name)
		w.Label(lKind, r.pr.p.Kind)
		w.Label(lTarget, r.pr.address)
	}
	each := func(name string, f func(r row)) {
		w.Family(headers, name)
		for _, r := range rows {
			f(r)
		}
	}
	each("vigil_access_probe_success", func(r row) { series(r); w.Bool(r.res.Success) })
	each("vigil_access_probe_failure_reason", func(r row) {
		for _, reason := range Reasons {
			series(r)
			w.Label(lReason, reason)
			w.Bool(r.res.Reason == reason)
		}
	})
	each("vigil_access_probe_duration_seconds", func(r row) { series(r); w.Float(r.res.Seconds) })
	each("vigil_access_probe_phase_duration_seconds", func(r row) {
		for _, ph := range phasesOf(r.pr.p.Kind, r.pr.https) {
			series(r)
			w.Label(lPhase, ph)
			w.Float(r.res.Phases[ph])
		}
	})
	each("vigil_access_probe_http_status_code", func(r row) {
		if r.pr.url != "" {
			series(r)
			w.Int(int64(r.res.StatusCode))
		}
	})
	each("vigil_access_probe_timestamp_seconds", func(r row) { series(r); w.Float(float64(r.at.UnixMilli()) / 1e3) })
	return w.Err()
}

// RenderText renders the collector alone with the given environment (tests).
func (c *Collector) RenderText(out io.Writer, environment string) error {
	w := exposition.NewWriter(out, exposition.Pair{Label: exposition.Environment, Value: environment})
	err := c.Render(w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// Start does nothing: the engine runs the sources.
func (c *Collector) Start(context.Context) {}

// Ready is true: the group waits for every source's first refresh.
func (c *Collector) Ready() bool { return true }

// Stop does nothing; the engine stops the sources.
func (c *Collector) Stop() {}
