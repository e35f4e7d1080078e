// Package flap makes the sandbox's HTTP emulators misbehave on purpose, for
// the soak test (test/soak, `make soak`): with VIGIL_SANDBOX_FLAP set to a
// period (such as "20s"), every wrapped upstream cycles through healthy,
// slow (each answer held FLAP_SLOW, 3 s, or until the client gives up),
// 5xx (503) and throttled (429 with Retry-After: 1), one period each, so
// the exporter's retries, timeouts, backoff and connection handling run
// for as long as the soak lasts. Unset, Wrap returns the handler as is.
package flap

import (
	"net/http"
	"os"
	"sync"
	"time"
)

// Env names the variable that turns flapping on.
const Env = "VIGIL_SANDBOX_FLAP"

// Phases, in the order an upstream goes through them.
const (
	Healthy = iota
	Slow
	ServerError
	Throttled
	phases
)

// slow is how long a slow answer is held.
const slow = 3 * time.Second

var (
	startOnce sync.Once
	start     time.Time
)

// Wrap returns h, flapping when VIGIL_SANDBOX_FLAP holds a period.
func Wrap(h http.Handler) http.Handler {
	period, err := time.ParseDuration(os.Getenv(Env))
	if err != nil || period <= 0 {
		return h
	}
	startOnce.Do(func() { start = time.Now() })
	return With(h, func() int { return int(time.Since(start)/period) % phases })
}

// With flaps h by phase (tests pass their own clock).
func With(h http.Handler, phase func() int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch phase() {
		case Slow:
			select {
			case <-time.After(slow):
			case <-r.Context().Done():
				return
			}
		case ServerError:
			http.Error(w, "sandbox: flapping (503)", http.StatusServiceUnavailable)
			return
		case Throttled:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "sandbox: flapping (429)", http.StatusTooManyRequests)
			return
		}
		h.ServeHTTP(w, r)
	})
}
