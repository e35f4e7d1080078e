package source

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Group runs a set of sources and stops them together; the daemon builds one
// per loaded configuration, lets it Adopt the previous one's unchanged
// sources, and stops the previous one.
type Group struct {
	metrics *Metrics
	logger  *slog.Logger
	storage string // directory for snapshots and budget ledgers; "" for none
	now     func() time.Time
	onWait  func(source string, delay time.Duration) // test hook: a loop starts waiting

	sources []runner
	byName  map[string]runner
	tracked []string // non-source names whose series go with the group (Track)

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// GroupOption configures a Group.
type GroupOption func(*Group)

// WithStorage keeps persistent snapshots and request budget ledgers in dir
// (the daemon's --storage.path), created on first write. Without it nothing
// is written and budgets are counted in memory only.
func WithStorage(dir string) GroupOption { return func(g *Group) { g.storage = dir } }

// NewGroup creates an empty group reporting into metrics.
func NewGroup(metrics *Metrics, logger *slog.Logger, opts ...GroupOption) *Group {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	g := &Group{metrics: metrics, logger: logger, now: time.Now, byName: map[string]runner{}}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Add creates a source in the group. Call it before Adopt and Start. A
// persistent source's stored snapshot is restored here, so Get serves it at
// once. Names must be unique in a group.
func Add[T any](g *Group, opts Options, fetch Fetch[T]) *Source[T] {
	opts.defaults()
	if _, dup := g.byName[opts.Name]; dup {
		panic(fmt.Sprintf("source: %q added twice to one group", opts.Name)) // programming error
	}
	s := &Source[T]{opts: opts, fetch: fetch, metrics: g.metrics, logger: g.logger, group: g,
		slot: make(chan struct{}, 1)}
	s.status.Name = opts.Name
	isNew := g.metrics.register(opts.Name)
	s.fresh = isNew
	if opts.DailyRequestBudget > 0 {
		if g.storage == "" {
			g.logger.Warn("request budget counted in memory only: a restart starts the day's count again (set a storage path)",
				"source", opts.Name, "daily_request_budget", opts.DailyRequestBudget)
		}
		s.ledger = g.ledger(opts.Name, opts.DailyRequestBudget)
	}
	if opts.Persistent && g.storage != "" {
		if opts.Key == "" {
			g.logger.Warn("persistent source has no key: its snapshot is neither written nor restored", "source", opts.Name)
		} else {
			s.file = SnapshotFile(g.storage, opts.Name)
			s.restore(isNew)
		}
	}
	g.sources = append(g.sources, s)
	g.byName[opts.Name] = s
	return s
}

// Adopt hands every source of g that is unchanged since prev over from prev:
// same name, same non-empty Key, same value type. For each, prev's loop is
// stopped (prev's *Source keeps serving its snapshot through Get until the
// old runtime is dropped) and g's source takes its snapshot, status and
// schedule: it counts as attempted and its first refresh waits for what was
// left of prev's delay. A later prev.Stop, with or without forget, leaves
// adopted sources' series alone. Call it after every Add and before Start;
// it returns the adopted names. A changed source starts fresh.
func (g *Group) Adopt(prev *Group) []string {
	if prev == nil || prev == g {
		return nil
	}
	var names []string
	for _, s := range g.sources {
		if p, ok := prev.byName[s.Name()]; ok && s.adoptFrom(p) {
			names = append(names, s.Name())
		}
	}
	return names
}

// APIRequestCounter counts requests of the named source; see Metrics.
func (g *Group) APIRequestCounter(source string) func(api string) {
	return g.metrics.APIRequestCounter(source)
}

// ErrorCounter counts failures of a part that is not a refresh source; see
// Metrics.ErrorCounter.
func (g *Group) ErrorCounter(source string) func(reason string) {
	return g.metrics.ErrorCounter(source)
}

// Start launches every source's refresh loop. It returns at once.
//
// The sources' self-metrics (interval, criticality, errors at 0, budget) are
// set here, not in Add: a reload whose build fails half way must not leave
// its settings on the series of the configuration that keeps running.
func (g *Group) Start(ctx context.Context) {
	ctx, g.cancel = context.WithCancel(ctx)
	for _, s := range g.sources {
		g.announce(s.Name(), s.options(), s.isFresh())
		if !s.isAdopted() {
			s.launch(ctx, &g.wg)
		}
	}
}

// announce sets a source's series that come from its options. A source new
// to the metrics shows up 0, attempted 0 and no last success; one a reload
// rebuilds keeps its series as they were until its own first refresh (or
// until launch publishes what it adopted), so a reload shows no false
// outage.
func (g *Group) announce(name string, opts Options, fresh bool) {
	m := g.metrics
	if fresh {
		m.up.WithLabelValues(name).Set(0)
		m.attempted.WithLabelValues(name).Set(0)
		m.inFlight.WithLabelValues(name).Add(0)
	}
	m.zeroErrors(name)
	m.interval.WithLabelValues(name).Set(opts.Interval.Seconds())
	m.info.DeletePartialMatch(map[string]string{"source": name})
	m.info.WithLabelValues(name, string(opts.Criticality)).Set(1)
	if opts.DailyRequestBudget <= 0 {
		m.budget.DeleteLabelValues(name)
	}
}

// Stop ends every loop and waits for them; a fetch that ignores its context
// is abandoned, not waited for. With forget, the sources' series are removed
// (a reload that dropped them); without, they stay (a reload that rebuilds
// them keeps continuity). Sources another group adopted are left alone.
func (g *Group) Stop(forget bool) {
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	if forget {
		for _, s := range g.sources {
			if !s.isAdopted() {
				g.metrics.Forget(s.Name())
			}
		}
		for _, n := range g.tracked {
			g.metrics.Forget(n)
		}
	}
}

// Names lists the group's sources and the tracked names (Track).
func (g *Group) Names() []string {
	out := make([]string, 0, len(g.sources)+len(g.tracked))
	for _, s := range g.sources {
		out = append(out, s.Name())
	}
	return append(out, g.tracked...)
}

// Track names a part that counts requests or errors under a source label
// without being a refresh source (informers), so its series go with the
// group's when a reload drops it.
func (g *Group) Track(name string) { g.tracked = append(g.tracked, name) }

// Statuses returns every source's state.
func (g *Group) Statuses() []Status {
	out := make([]Status, len(g.sources))
	for i, s := range g.sources {
		out[i] = s.Status()
	}
	return out
}

// Ready reports whether every source has finished its first refresh, failed
// or not, or carries one over (adopted or restored): until then a scrape
// would show gaps that are only start-up.
func (g *Group) Ready() bool {
	for _, s := range g.sources {
		if !s.Status().Attempted {
			return false
		}
	}
	return true
}
