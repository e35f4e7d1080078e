// Package source is the refresh engine every collector that talks to an
// upstream API runs on.
//
// Each source refreshes in the background on its own interval, with jitter, a
// per-refresh timeout and exponential backoff on failure, and keeps its last
// good snapshot. The scrape path only reads snapshots (Get), so a scrape never
// waits for an upstream and a slow or failing upstream never slows the others.
package source

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Fetch produces a fresh snapshot. It must honour ctx: the engine cancels it
// at the refresh timeout. A returned error keeps the previous snapshot.
type Fetch[T any] func(ctx context.Context) (T, error)

// Options configure one source.
type Options struct {
	Name     string        // value of the source label; unique in a Group
	Interval time.Duration // time between successful refreshes
	Timeout  time.Duration // limit of one refresh; default min(Interval, 30s)
	// Jitter spreads refreshes by up to this fraction of the delay, so many
	// exporters do not hit an API in lockstep. Default 0.1; NoJitter disables.
	Jitter   float64
	NoJitter bool
	// After a failure the next attempt waits BackoffInitial, doubling on each
	// further failure up to BackoffMax; a success resets it. An upstream's
	// Retry-After is honoured when it asks for longer. Defaults: 1s and
	// max(Interval, 5m).
	BackoffInitial time.Duration
	BackoffMax     time.Duration
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = min(o.Interval, 30*time.Second)
	}
	if o.Jitter == 0 {
		o.Jitter = 0.1
	}
	if o.NoJitter {
		o.Jitter = 0
	}
	if o.BackoffInitial <= 0 {
		o.BackoffInitial = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = max(o.Interval, 5*time.Minute)
	}
}

// Status is a source's state, for /-/ready, logs and tests.
type Status struct {
	Name                string
	Attempted           bool      // the first refresh has finished, failed or not
	Up                  bool      // the last refresh succeeded
	LastSuccess         time.Time // zero before the first success
	LastReason          string    // reason of the last failure, "" when up
	ConsecutiveFailures int
	NextDelay           time.Duration // delay planned before the next refresh
}

type snapshot[T any] struct {
	value T
	at    time.Time
}

// Source refreshes one upstream and holds its last good snapshot.
type Source[T any] struct {
	opts    Options
	fetch   Fetch[T]
	metrics *Metrics
	logger  *slog.Logger

	current atomic.Pointer[snapshot[T]]

	mu     sync.Mutex
	status Status
}

// Get returns the last good snapshot and when it was taken; ok is false until
// the first successful refresh. It never blocks on the upstream.
func (s *Source[T]) Get() (value T, at time.Time, ok bool) {
	if p := s.current.Load(); p != nil {
		return p.value, p.at, true
	}
	return value, at, false
}

// Name is the source's label value.
func (s *Source[T]) Name() string { return s.opts.Name }

// Status returns a copy of the source's state.
func (s *Source[T]) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// run refreshes until ctx ends.
func (s *Source[T]) run(ctx context.Context) {
	for ctx.Err() == nil {
		delay := s.refresh(ctx)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// refresh runs one fetch and returns the delay before the next one.
func (s *Source[T]) refresh(ctx context.Context) time.Duration {
	name := s.opts.Name
	start := time.Now()
	value, err := s.fetchWithTimeout(ctx)
	elapsed := time.Since(start)
	if ctx.Err() != nil && err != nil {
		// Shutdown or reload: not the upstream's fault, record nothing.
		return 0
	}
	s.metrics.duration.WithLabelValues(name).Set(elapsed.Seconds())

	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Attempted = true
	if err == nil {
		now := time.Now()
		s.current.Store(&snapshot[T]{value: value, at: now})
		if s.status.ConsecutiveFailures > 0 {
			s.logger.Info("source recovered", "source", name, "after_failures", s.status.ConsecutiveFailures)
		}
		s.status.Up, s.status.LastSuccess, s.status.LastReason, s.status.ConsecutiveFailures = true, now, "", 0
		s.metrics.up.WithLabelValues(name).Set(1)
		s.metrics.lastSuccess.WithLabelValues(name).Set(float64(now.UnixNano()) / 1e9)
		s.status.NextDelay = s.jitter(s.opts.Interval)
		return s.status.NextDelay
	}

	reason := Classify(err)
	s.status.Up, s.status.LastReason = false, reason
	s.status.ConsecutiveFailures++
	s.metrics.up.WithLabelValues(name).Set(0)
	s.metrics.errors.WithLabelValues(name, reason).Inc()
	delay := s.backoff(s.status.ConsecutiveFailures)
	if ra := retryAfter(err); ra > delay {
		delay = ra
	}
	s.status.NextDelay = delay
	level := slog.LevelWarn
	if s.status.ConsecutiveFailures > 1 {
		level = slog.LevelDebug // one warning per outage, not one per retry
	}
	s.logger.Log(ctx, level, "source refresh failed; keeping the last good snapshot",
		"source", name, "reason", reason, "consecutive_failures", s.status.ConsecutiveFailures,
		"retry_in", delay.Round(time.Millisecond), "err", err)
	return delay
}

// fetchWithTimeout runs fetch under the refresh timeout. A fetch that ignores
// its context is abandoned at the timeout rather than waited for, so it can
// never stall the engine, shutdown or a reload.
func (s *Source[T]) fetchWithTimeout(parent context.Context) (T, error) {
	ctx, cancel := context.WithTimeout(parent, s.opts.Timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		// A bug in one fetch must not take the daemon and every other
		// source down with it: it becomes this source's error.
		defer func() {
			if p := recover(); p != nil {
				var zero T
				done <- result{zero, fmt.Errorf("refresh of %s panicked: %v", s.opts.Name, p)}
			}
		}()
		v, err := s.fetch(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err == nil && ctx.Err() != nil {
			// Finished, but only after its deadline: still a timeout.
			var zero T
			return zero, ctx.Err()
		}
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func (s *Source[T]) backoff(failures int) time.Duration {
	d := s.opts.BackoffInitial
	for i := 1; i < failures && d < s.opts.BackoffMax; i++ {
		d *= 2
	}
	return s.jitter(min(d, s.opts.BackoffMax))
}

func (s *Source[T]) jitter(d time.Duration) time.Duration {
	if s.opts.Jitter <= 0 {
		return d
	}
	return d + time.Duration(rand.Float64()*s.opts.Jitter*float64(d))
}

// runner is what a Group needs of a Source of any type.
type runner interface {
	Name() string
	Status() Status
	run(ctx context.Context)
}

// Group runs a set of sources and stops them together; the daemon builds one
// per loaded configuration and stops it on reload.
type Group struct {
	metrics *Metrics
	logger  *slog.Logger
	sources []runner

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewGroup creates an empty group reporting into metrics.
func NewGroup(metrics *Metrics, logger *slog.Logger) *Group {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Group{metrics: metrics, logger: logger}
}

// Add creates a source in the group. Call it before Start.
func Add[T any](g *Group, opts Options, fetch Fetch[T]) *Source[T] {
	opts.defaults()
	s := &Source[T]{opts: opts, fetch: fetch, metrics: g.metrics, logger: g.logger}
	s.status.Name = opts.Name
	// Present from the start: a source that never succeeds shows up 0. A
	// source a reload rebuilds keeps its series as they were until its own
	// first refresh, so a reload shows no false outage and no 1970 age.
	if g.metrics.register(opts.Name) {
		g.metrics.up.WithLabelValues(opts.Name).Set(0)
		g.metrics.lastSuccess.WithLabelValues(opts.Name).Set(0)
	}
	g.metrics.interval.WithLabelValues(opts.Name).Set(opts.Interval.Seconds())
	g.sources = append(g.sources, s)
	return s
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
func (g *Group) Start(ctx context.Context) {
	ctx, g.cancel = context.WithCancel(ctx)
	for _, s := range g.sources {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			s.run(ctx)
		}()
	}
}

// Stop ends every loop and waits for them; a fetch that ignores its context
// is abandoned, not waited for. With forget, the sources' series are removed
// (a reload that dropped them); without, they stay (a reload that rebuilds
// them keeps continuity).
func (g *Group) Stop(forget bool) {
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	if forget {
		for _, s := range g.sources {
			g.metrics.Forget(s.Name())
		}
	}
}

// Names lists the group's sources.
func (g *Group) Names() []string {
	out := make([]string, len(g.sources))
	for i, s := range g.sources {
		out[i] = s.Name()
	}
	return out
}

// Statuses returns every source's state.
func (g *Group) Statuses() []Status {
	out := make([]Status, len(g.sources))
	for i, s := range g.sources {
		out[i] = s.Status()
	}
	return out
}

// Ready reports whether every source has finished its first refresh, failed
// or not: until then a scrape would show gaps that are only start-up.
func (g *Group) Ready() bool {
	for _, s := range g.sources {
		if !s.Status().Attempted {
			return false
		}
	}
	return true
}
