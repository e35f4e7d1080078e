// Package source is the refresh engine every collector that talks to an
// upstream API runs on.
//
// Each source refreshes in the background on its own interval, with jitter, a
// per-refresh timeout and exponential backoff on failure, and keeps its last
// good snapshot. The scrape path only reads snapshots (Get), so a scrape never
// waits for an upstream and a slow or failing upstream never slows the others.
//
// Around that promise the engine keeps what upstreams cost:
//
//   - Reloads do not refetch. The daemon builds a new Group per loaded
//     configuration and calls Adopt(previous) before Start: every source whose
//     Name, Key (a fingerprint of its configuration and resolved secrets) and
//     value type are unchanged takes over the previous one's snapshot, status
//     and schedule, so its first refresh waits for the remaining delay. A
//     source with another Key (or none) starts fresh.
//   - Restarts do not refetch. A group built WithStorage(dir) writes the
//     snapshot of every Persistent source after each success (JSON,
//     atomically) and restores it when the source is added, with its original
//     timestamp; the first refresh waits until Interval has passed since then.
//     A corrupt or foreign file is logged, set aside and ignored.
//   - Paid APIs have a ceiling. A DailyRequestBudget caps the requests a
//     source sends per UTC day; each request is recorded on disk before it is
//     sent, through the source's own Transport, so a crash loop cannot spend
//     past it.
//   - Waits are bounded. Backoff and an upstream's Retry-After stop at
//     BackoffMax (at most an hour). A fetch that ignores its context is
//     abandoned at the timeout, and no second fetch of that source starts
//     while it still runs: later refreshes fail with reason stuck. A fetch
//     that panics fails with reason other; its stack is logged once, never
//     put in the error.
//
// A fetch returns data, and "the target is down" is data: a probe's value
// carries its own outcome and the source stays up. When one fetch gathers
// several independent items (three S3 buckets, ten endpoints), return an
// Items[V]: items that failed keep their previous value and timestamp, each
// failure is counted by reason, and the source stays up while any item
// succeeded.
//
// Every source reports, with source="<name>": vigil_source_up,
// vigil_source_attempted, vigil_source_last_success_timestamp_seconds (absent
// until the first success, so "never worked" is not "56 years stale"),
// vigil_source_refresh_interval_seconds and _duration_seconds,
// vigil_source_info{criticality}, vigil_source_fetches_in_flight,
// vigil_source_errors_total{reason} (every bounded reason present from the
// start), vigil_source_api_requests_total{api} (counted by the source's
// Transport) and, with a budget, vigil_source_budget_remaining.
package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fetch produces a fresh snapshot. It must honour ctx: the engine cancels it
// at the refresh timeout. A returned error keeps the previous snapshot.
type Fetch[T any] func(ctx context.Context) (T, error)

// Criticality says whom a source's stale data should wake.
type Criticality string

const (
	CriticalityPage   Criticality = "page"   // stale data pages the on-call
	CriticalityTicket Criticality = "ticket" // stale data opens a ticket
)

// maxBackoff is the ceiling of BackoffMax, and so of every wait.
const maxBackoff = time.Hour

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
	// Retry-After is honoured when it asks for longer, up to BackoffMax.
	// Defaults: 1s and max(Interval, 5m); BackoffMax is at most 1h.
	BackoffInitial time.Duration
	BackoffMax     time.Duration

	// Key fingerprints everything the fetch depends on: its configuration
	// and the secrets it resolved (a hash, not the secrets: only a SHA-256
	// of it is written to disk, but logs and dumps may show it). A source
	// with an empty Key is never adopted nor restored.
	Key string
	// Persistent sources write their snapshot under the group's storage
	// directory after each success and restore it at start (see
	// WithStorage). T must survive a round trip through encoding/json.
	Persistent bool
	// DailyRequestBudget caps the upstream HTTP requests sent through the
	// source's Transport per UTC day (every page counts); 0 is no cap. With
	// a storage directory the count is on disk before each request is sent.
	DailyRequestBudget int
	// Criticality of the source's staleness; default CriticalityPage.
	Criticality Criticality
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
	if o.BackoffMax <= 0 {
		o.BackoffMax = max(o.Interval, 5*time.Minute)
	}
	o.BackoffMax = min(o.BackoffMax, maxBackoff)
	if o.BackoffInitial <= 0 {
		o.BackoffInitial = time.Second
	}
	o.BackoffInitial = min(o.BackoffInitial, o.BackoffMax)
	if o.Criticality == "" {
		o.Criticality = CriticalityPage
	}
}

// Status is a source's state, for /-/ready, logs and tests.
type Status struct {
	Name                string
	Attempted           bool      // a refresh has finished, failed or not, or one was carried over
	Up                  bool      // the last refresh succeeded
	LastSuccess         time.Time // zero before the first success
	LastReason          string    // reason of the last failure, "" when up
	ConsecutiveFailures int
	NextDelay           time.Duration // delay planned before the next refresh
	NextRefresh         time.Time     // when the next refresh is due; zero: at once
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
	group   *Group
	file    string  // snapshot file; "" unless persistent with storage and a Key
	ledger  *ledger // nil without a budget

	current atomic.Pointer[snapshot[T]]
	adopted atomic.Bool // a successor took over: Stop leaves its series

	// loggedStack and the Retry-After flags keep one log line per source.
	loggedStack, loggedRetryAfterCap, loggedRetryAfterBad atomic.Bool

	mu          sync.Mutex
	status      Status
	slot        chan struct{} // holds a token while a fetch runs; shared with an adopter
	fresh       bool          // first of its name in the metrics (set at Add)
	carried     bool          // state came from Adopt or a restored file
	restored    bool          // state came from the snapshot file (logged at Start)
	failedItems string        // names of the items that failed last time, for logs
	stopLoop    context.CancelFunc
	loopDone    chan struct{}
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

// run refreshes until ctx ends, each time waiting until the next refresh is
// due (at once for a fresh source, later for an adopted or restored one).
func (s *Source[T]) run(ctx context.Context) {
	for refreshed := false; ctx.Err() == nil; refreshed = true {
		s.mu.Lock()
		next := s.status.NextRefresh
		s.mu.Unlock()
		// The test hook sees every wait, and every point between two
		// refreshes even when the delay has already run out (a short
		// interval on a busy machine): a stepping test must never miss a
		// refresh.
		if hook := s.group.onWait; hook != nil && (refreshed || time.Until(next) > 0) {
			hook(s.opts.Name, max(time.Until(next), 0))
		}
		if d := time.Until(next); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if ctx.Err() == nil {
			s.refresh(ctx)
		}
	}
}

// refresh runs one fetch and plans the next one.
func (s *Source[T]) refresh(ctx context.Context) {
	name := s.opts.Name
	start := time.Now()
	value, err := s.fetchWithTimeout(ctx)
	elapsed := time.Since(start)
	if ctx.Err() != nil && err != nil {
		// Shutdown, reload or adoption: not the upstream's fault, record nothing.
		return
	}
	s.metrics.duration.WithLabelValues(name).Set(elapsed.Seconds())
	now := time.Now()

	// A partial result: merge it with the previous snapshot, count every
	// failed item; the refresh fails only when every item did.
	var failed []itemFailure
	if err == nil {
		if m, ok := any(value).(merger[T]); ok {
			var prev T
			if p := s.current.Load(); p != nil {
				prev = p.value
			}
			var all bool
			value, failed, all = m.mergeWith(prev, now)
			if all {
				err = failed[0].err
			}
		}
	}
	for _, f := range failed {
		s.metrics.errors.WithLabelValues(name, f.reason).Inc()
	}

	s.mu.Lock()
	s.status.Attempted = true
	s.metrics.attempted.WithLabelValues(name).Set(1)
	if err == nil {
		s.current.Store(&snapshot[T]{value: value, at: now})
		if s.status.ConsecutiveFailures > 0 {
			s.logger.Info("source recovered", "source", name, "after_failures", s.status.ConsecutiveFailures)
		}
		s.status.Up, s.status.LastSuccess, s.status.LastReason, s.status.ConsecutiveFailures = true, now, "", 0
		s.metrics.up.WithLabelValues(name).Set(1)
		s.metrics.lastSuccess.WithLabelValues(name).Set(float64(now.UnixNano()) / 1e9)
		s.plan(now, s.jitter(s.opts.Interval))
		s.logItems(ctx, failed)
		s.mu.Unlock()
		if s.file != "" {
			s.persist(value, now)
		}
		return
	}
	defer s.mu.Unlock()

	reason := Classify(err)
	s.status.Up, s.status.LastReason = false, reason
	s.status.ConsecutiveFailures++
	s.metrics.up.WithLabelValues(name).Set(0)
	if failed == nil {
		s.metrics.errors.WithLabelValues(name, reason).Inc()
	}
	if s.current.Load() == nil {
		// Never succeeded under this configuration: no age to show. (A
		// source rebuilt by a reload kept the old series until now.)
		s.metrics.lastSuccess.DeleteLabelValues(name)
	}
	delay := s.backoff(s.status.ConsecutiveFailures)
	ra, bad := retryAfter(err)
	switch {
	case bad != "":
		if !s.loggedRetryAfterBad.Swap(true) {
			s.logger.Warn("upstream sent a malformed Retry-After; using the backoff instead (logged once)",
				"source", name, "retry_after", bad, "backoff", delay)
		}
	case ra > s.opts.BackoffMax:
		if !s.loggedRetryAfterCap.Swap(true) {
			s.logger.Warn("upstream asked to wait longer than backoff_max; waiting backoff_max (logged once)",
				"source", name, "retry_after", ra, "backoff_max", s.opts.BackoffMax)
		}
		delay = max(delay, s.opts.BackoffMax)
	case ra > delay:
		delay = ra
	}
	s.plan(now, delay)
	level := slog.LevelWarn
	if s.status.ConsecutiveFailures > 1 {
		level = slog.LevelDebug // one warning per outage, not one per retry
	}
	s.logger.Log(ctx, level, "source refresh failed; keeping the last good snapshot",
		"source", name, "reason", reason, "consecutive_failures", s.status.ConsecutiveFailures,
		"retry_in", delay.Round(time.Millisecond), "err", err)
}

// plan records the next refresh; s.mu is held.
func (s *Source[T]) plan(now time.Time, delay time.Duration) {
	s.status.NextDelay, s.status.NextRefresh = delay, now.Add(delay)
}

// logItems logs a partial result when the set of failed items changes, so an
// item that stays broken is one warning, not one per refresh; s.mu is held.
func (s *Source[T]) logItems(ctx context.Context, failed []itemFailure) {
	names := make([]string, len(failed))
	for i, f := range failed {
		names[i] = f.name
	}
	key := strings.Join(names, ",")
	level := slog.LevelDebug
	if key != s.failedItems {
		level = slog.LevelWarn
	}
	s.failedItems = key
	if len(failed) == 0 {
		if level == slog.LevelWarn {
			s.logger.Info("every item of the source refreshed again", "source", s.opts.Name)
		}
		return
	}
	for _, f := range failed {
		s.logger.Log(ctx, level, "item of the source failed; keeping its last good value",
			"source", s.opts.Name, "item", f.name, "reason", f.reason, "err", f.err)
	}
}

// errStuck fails a refresh that found the previous fetch still running.
var errStuck = WithReason(errors.New("the previous fetch, abandoned at its timeout, is still running; not starting another"), ReasonStuck)

// panicError is a recovered panic: its text names the source and the panic
// value, never the stack (logged once, separately).
type panicError struct {
	source string
	value  any
}

func (e *panicError) Error() string {
	return fmt.Sprintf("refresh of %s panicked: %v", e.source, e.value)
}

// fetchWithTimeout runs fetch under the refresh timeout. A fetch that ignores
// its context is abandoned at the timeout rather than waited for, so it can
// never stall the engine, shutdown or a reload; until it returns, later
// refreshes wait for it within their own timeout and then give up as stuck
// rather than start a second one.
func (s *Source[T]) fetchWithTimeout(parent context.Context) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(parent, s.opts.Timeout)
	defer cancel()
	s.mu.Lock()
	slot := s.slot
	s.mu.Unlock()
	select {
	case slot <- struct{}{}:
	default:
		select {
		case slot <- struct{}{}:
		case <-ctx.Done():
			if parent.Err() != nil {
				return zero, parent.Err()
			}
			return zero, errStuck
		}
	}
	inFlight := s.metrics.inFlight.WithLabelValues(s.opts.Name)
	inFlight.Inc()

	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		func() {
			// A bug in one fetch must not take the daemon and every other
			// source down with it: it becomes this source's error.
			defer func() {
				if p := recover(); p != nil {
					r = result{zero, &panicError{source: s.opts.Name, value: p}}
					if !s.loggedStack.Swap(true) {
						s.logger.Error("source fetch panicked; its refreshes fail with reason other (stack logged once)",
							"source", s.opts.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					}
				}
			}()
			r.v, r.err = s.fetch(ctx)
		}()
		// Free the slot before handing over the result, so the next
		// refresh never finds its own finished fetch still running.
		inFlight.Dec()
		<-slot
		done <- r
	}()
	select {
	case r := <-done:
		if r.err == nil && ctx.Err() != nil {
			// Finished, but only after its deadline: still a timeout.
			return zero, ctx.Err()
		}
		return r.v, r.err
	case <-ctx.Done():
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

// launch starts the source's loop under ctx; wg tracks it.
func (s *Source[T]) launch(ctx context.Context, wg *sync.WaitGroup) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.mu.Lock()
	s.stopLoop, s.loopDone = cancel, done
	carried, restored := s.carried, s.restored
	st := s.status
	s.mu.Unlock()
	if carried {
		s.publish(st)
	}
	if restored {
		s.logger.Info("serving the source's stored snapshot", "source", s.opts.Name,
			"taken", st.LastSuccess, "next_refresh_in", time.Until(st.NextRefresh).Round(time.Second))
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		s.run(ctx)
	}()
}

// halt stops the source's loop, if it runs, and waits for it to end. A fetch
// that ignores its context is abandoned, not waited for.
func (s *Source[T]) halt() {
	s.mu.Lock()
	cancel, done := s.stopLoop, s.loopDone
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// publish sets the series from state carried over by Adopt or a restored
// snapshot, which no refresh of this source has written yet.
func (s *Source[T]) publish(st Status) {
	name := s.opts.Name
	s.metrics.attempted.WithLabelValues(name).Set(b2f(st.Attempted))
	s.metrics.up.WithLabelValues(name).Set(b2f(st.Up))
	if p := s.current.Load(); p != nil {
		s.metrics.lastSuccess.WithLabelValues(name).Set(float64(p.at.UnixNano()) / 1e9)
	} else {
		s.metrics.lastSuccess.DeleteLabelValues(name)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *Source[T]) options() Options { return s.opts }

func (s *Source[T]) isFresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fresh
}

// adoptFrom takes over prev's state when prev is the same source: same name
// (the caller checked), same Key and same value type.
func (s *Source[T]) adoptFrom(r runner) bool {
	prev, ok := r.(*Source[T])
	if !ok || s.opts.Key == "" || prev.opts.Key != s.opts.Key || prev.adopted.Load() {
		return false
	}
	prev.halt()
	prev.adopted.Store(true)
	prev.mu.Lock()
	st, slot, failedItems := prev.status, prev.slot, prev.failedItems
	prev.mu.Unlock()
	if st.Up && prev.opts.Interval != s.opts.Interval {
		st.NextRefresh = st.LastSuccess.Add(s.opts.Interval)
		st.NextDelay = s.opts.Interval
	}
	st.Name = s.opts.Name
	if snap := prev.current.Load(); snap != nil {
		s.current.Store(snap)
	}
	s.mu.Lock()
	s.status, s.slot, s.failedItems, s.carried, s.restored = st, slot, failedItems, true, false
	s.mu.Unlock()
	if prev.loggedStack.Load() {
		s.loggedStack.Store(true)
	}
	return true
}

func (s *Source[T]) isAdopted() bool { return s.adopted.Load() }

// runner is what a Group needs of a Source of any type.
type runner interface {
	Name() string
	Status() Status
	launch(ctx context.Context, wg *sync.WaitGroup)
	halt()
	adoptFrom(prev runner) bool
	isAdopted() bool
	options() Options
	isFresh() bool
}
