package daemon

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/common/expfmt"

	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/statuspage"
)

// Handler serves /metrics, the status page (internal/statuspage) at /,
// /-/healthy, /-/ready and /-/reload.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(d.opts.TelemetryPath, d.serveMetrics)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("Healthy.\n"))
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !d.Ready() {
			http.Error(w, "Not ready: the first refresh of every source has not finished yet.", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("Ready.\n"))
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		if !d.opts.EnableLifecycle {
			http.Error(w, "Lifecycle API is not enabled: start with --web.enable-lifecycle, or send SIGHUP.", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "Only POST or PUT requests allowed.", http.StatusMethodNotAllowed)
			return
		}
		if err := d.Reload(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("Reloaded.\n"))
	})
	if d.opts.TelemetryPath != "/" {
		mux.Handle("/", statuspage.Handler(statuspage.Options{
			Metrics:     http.HandlerFunc(d.serveMetrics),
			MetricsPath: d.opts.TelemetryPath,
			Sources:     d.sourceStatuses,
			Links: []statuspage.Link{
				{Path: d.opts.TelemetryPath, Text: "Metrics"},
				{Path: "/-/healthy", Text: "Health"},
				{Path: "/-/ready", Text: "Readiness"},
			},
		}))
	}
	return mux
}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// serveMetrics writes the registry's families (self-metrics, Go and process)
// and then the collectors' hand-rendered families, all in the text format,
// read from snapshots and caches only: a scrape never calls an upstream.
func (d *Daemon) serveMetrics(w http.ResponseWriter, r *http.Request) {
	rt := d.current.Load()
	mfs, err := d.registry.Gather()
	if err != nil {
		// Gather returns what it could; serve that and say what went wrong.
		d.logger.Error("gathering self-metrics", "err", err)
	}

	w.Header().Set("Content-Type", string(textFormat))
	w.Header().Add("Vary", "Accept-Encoding")
	var out io.Writer = w
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			_ = gz.Close()
			gzipPool.Put(gz)
		}()
		w.Header().Set("Content-Encoding", "gzip")
		out = gz
	}
	// One Writer for the whole scrape adds the shared labels to every
	// series, the registry's and each collector's alike.
	t := exposition.NewWriter(out, exposition.Pair{Label: exposition.Environment, Value: rt.cfg.Environment})
	for _, mf := range mfs {
		t.WriteFamily(mf)
	}
	if err := rt.render(t); err != nil {
		d.logger.Debug("writing metrics", "err", err)
	}
	if err := t.Close(); err != nil {
		d.logger.Debug("writing metrics", "err", err)
	}
}

// sourceStatuses is every running source's state, read-only, for the
// status page (the failure reason and next refresh no metric carries).
func (d *Daemon) sourceStatuses() []source.Status {
	var out []source.Status
	for _, b := range d.current.Load().collectors {
		out = append(out, b.group.Statuses()...)
	}
	return out
}
