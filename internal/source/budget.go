package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BudgetError is the error a source's Transport returns instead of sending a
// request once the source's daily request budget is spent. Classify maps it
// to ReasonBudgetExhausted.
type BudgetError struct {
	Source string
	Limit  int
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("daily request budget of source %s (%d requests) is spent; no request sent until 00:00 UTC", e.Source, e.Limit)
}

// ledger counts a source's requests of the current UTC day. It lives in
// Metrics, per storage directory and source name, so the old and new
// runtimes of a reload share one count; with a path, every request is on
// disk before it is sent.
type ledger struct {
	mu     sync.Mutex
	source string
	path   string // "" keeps the count in memory only
	limit  int
	day    string // UTC date the count belongs to
	used   int
	now    func() time.Time
	gauge  prometheus.Gauge
	logger *slog.Logger
}

type ledgerFile struct {
	Format int    `json:"format"`
	Source string `json:"source"`
	Day    string `json:"day"`
	Used   int    `json:"used"`
}

// ledger returns the budget ledger of the named source, loading it from the
// storage directory the first time.
func (g *Group) ledger(name string, limit int) *ledger {
	m := g.metrics
	path := ""
	if g.storage != "" {
		path = budgetFile(g.storage, name)
	}
	m.mu.Lock()
	l, ok := m.ledgers[path+"\x00"+name]
	if !ok {
		l = &ledger{source: name, path: path, gauge: m.budget.WithLabelValues(name)}
		m.ledgers[path+"\x00"+name] = l
	}
	m.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limit, l.now, l.logger = limit, g.now, g.logger
	if !ok && path != "" {
		l.load()
	}
	l.rollover()
	l.gauge.Set(float64(max(l.limit-l.used, 0)))
	return l
}

// load reads the ledger file. A missing file is a fresh day; an unreadable
// or foreign one is logged, set aside and counted from zero.
func (l *ledger) load() {
	data, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var f ledgerFile
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err == nil && (f.Format != 1 || f.Source != l.source || f.Used < 0) {
		err = fmt.Errorf("foreign ledger (format %d, source %q)", f.Format, f.Source)
	}
	if err != nil {
		aside := fmt.Sprintf("%s.corrupt-%d", l.path, time.Now().Unix())
		_ = os.Rename(l.path, aside)
		l.logger.Warn("the source's request budget ledger is unusable; set aside, counting this day from zero",
			"source", l.source, "file", l.path, "moved_to", aside, "err", err)
		return
	}
	l.day, l.used = f.Day, f.Used
}

// rollover starts a new count on a new UTC day; l.mu is held.
func (l *ledger) rollover() {
	if today := l.now().UTC().Format(time.DateOnly); l.day != today {
		l.day, l.used = today, 0
	}
}

// spend records one request, on disk first when the ledger has a file, or
// refuses it: with a BudgetError at the cap, with the write error when the
// count cannot be recorded (an unrecorded request could overspend).
func (l *ledger) spend() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rollover()
	defer func() { l.gauge.Set(float64(max(l.limit-l.used, 0))) }()
	if l.used >= l.limit {
		return &BudgetError{Source: l.source, Limit: l.limit}
	}
	l.used++
	if l.path == "" {
		return nil
	}
	data, err := json.Marshal(ledgerFile{Format: 1, Source: l.source, Day: l.day, Used: l.used})
	if err == nil {
		err = writeFileAtomic(l.path, data)
	}
	if err != nil {
		l.used--
		return fmt.Errorf("recording the request in the budget ledger, request not sent: %w", err)
	}
	return nil
}

// Transport returns the source's own instrumented transport over base (nil:
// http.DefaultTransport): every request counts in
// vigil_source_api_requests_total{source,api} under the name api gives it (a
// bounded route template; nil uses the method), and a source with a
// DailyRequestBudget spends one unit of it before the request is sent, or
// gets a *BudgetError back and sends nothing. Collectors share credentials
// and base transports, but each source wraps its own.
func (s *Source[T]) Transport(base http.RoundTripper, api func(*http.Request) string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if api == nil {
		api = func(r *http.Request) string { return r.Method }
	}
	name, ledger := s.opts.Name, s.ledger
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if ledger != nil {
			if err := ledger.spend(); err != nil {
				if req.Body != nil {
					_ = req.Body.Close()
				}
				return nil, err
			}
		}
		s.metrics.requests.WithLabelValues(name, api(req)).Inc()
		return base.RoundTrip(req)
	})
}
