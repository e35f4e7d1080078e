// Package statuspage serves the exporter's landing page: a small,
// server-rendered HTML page (html/template, no JavaScript) that says at a
// glance what Vigil sees. Each source with its state, data age, last error
// reason, next refresh and the requests it has spent; the access probes'
// latest results with their failure reasons (after blackbox_exporter's
// recent-probes page); the certificates and tokens that expire next; the
// backup targets against their RPO; and the month's spend against budget.
//
// The page promises what /metrics promises: it costs nothing upstream. It
// does not ask the collectors for anything: it calls the /metrics handler
// in-process and reads the vigil_* families it needs from that very text.
// That is the simplest honest way to show exactly what a scrape shows,
// without a hook per collector that could drift from its metrics. The price
// is one scrape per page view (the cluster's series are rendered and then
// dropped by a line filter before parsing), which the scrape benchmarks
// bound; the page is for humans, not for polling. What the metrics do not
// carry (a source's last failure reason and its next refresh) comes from
// the engine's read-only Status.
package statuspage

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// Link is one entry of the page's header (metrics, health, readiness).
type Link struct{ Path, Text string }

// Options say where the page reads from.
type Options struct {
	// Metrics is the /metrics handler; the page renders what it serves.
	Metrics http.Handler
	// MetricsPath is the path Metrics is mounted on (for the request it
	// is handed, and for the link).
	MetricsPath string
	// Sources returns every running source's state (reason, next refresh).
	Sources func() []source.Status
	// Links are shown in the header; the first is the metrics link.
	Links []Link
	// Now is the clock; time.Now when nil (tests pin it).
	Now func() time.Time
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}).Parse(pageHTML))

// Handler serves the page at "/" and 404 for any other path the mux hands
// it (it is mounted at "/", which matches everything).
func Handler(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		v, err := o.view(r.Context())
		if err != nil {
			http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		var buf bytes.Buffer
		if err := page.Execute(&buf, v); err != nil {
			http.Error(w, "status page: rendering: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
}

// view gathers the scrape and the sources' states into what the template
// shows.
func (o Options) view(ctx context.Context) (*View, error) {
	fams, err := o.scrape(ctx)
	if err != nil {
		return nil, err
	}
	var statuses []source.Status
	if o.Sources != nil {
		statuses = o.Sources()
	}
	return build(fams, statuses, o.Now(), o.Links), nil
}

// scrape calls the /metrics handler in-process, without gzip, keeps the
// families the page shows and parses them.
func (o Options) scrape(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.MetricsPath, nil)
	if err != nil {
		return nil, fmt.Errorf("building the scrape request: %w", err)
	}
	rec := &recorder{header: http.Header{}, body: &lineFilter{keep: wanted}}
	o.Metrics.ServeHTTP(rec, req)
	rec.body.flush()
	if rec.status != 0 && rec.status != http.StatusOK {
		return nil, fmt.Errorf("the metrics handler answered %d", rec.status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(&rec.body.out)
	if err != nil {
		return nil, fmt.Errorf("parsing the scrape: %w", err)
	}
	return fams, nil
}

// recorder is the smallest http.ResponseWriter that keeps the body
// (net/http/httptest's ResponseRecorder would do, but it is a test
// package and keeps the whole body where this filters it line by line).
type recorder struct {
	header http.Header
	status int
	body   *lineFilter
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
