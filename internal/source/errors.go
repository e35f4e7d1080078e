package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// The bounded set of reasons vigil_source_errors_total{reason} carries.
const (
	ReasonTimeout     = "timeout"      // the refresh or a request ran out of time
	ReasonAuth        = "auth"         // 401 or 403: credentials missing, wrong or expired
	ReasonThrottled   = "throttled"    // 429 or a provider's throttling error
	ReasonNotFound    = "not_found"    // 404: the configured object does not exist
	ReasonServerError = "server_error" // 5xx from the upstream
	ReasonClientError = "client_error" // another 4xx: a request the upstream refused
	ReasonDecode      = "decode"       // the answer did not parse
	ReasonConnection  = "connection"   // DNS, refused or reset connection, TLS
	ReasonCanceled    = "canceled"     // shutdown or reload interrupted the refresh
	// ReasonBudgetExhausted: the source's daily request budget is spent; no
	// request was sent (see Options.DailyRequestBudget).
	ReasonBudgetExhausted = "budget_exhausted"
	// ReasonStuck: an earlier fetch, abandoned at its timeout, still runs and
	// did not finish within this refresh's timeout either, so no second one
	// was started.
	ReasonStuck = "stuck"
	ReasonOther = "other"
)

// reasons is the bounded set, in the order the catalogue lists it.
var reasons = []string{
	ReasonTimeout, ReasonAuth, ReasonThrottled, ReasonNotFound, ReasonServerError, ReasonClientError,
	ReasonDecode, ReasonConnection, ReasonCanceled, ReasonBudgetExhausted, ReasonStuck, ReasonOther,
}

// Reasons returns every reason vigil_source_errors_total can carry. Each
// exists at 0 from the moment a source is added.
func Reasons() []string { return append([]string(nil), reasons...) }

// HTTPError is an upstream's non-success HTTP answer. Hand-written clients
// return it from CheckResponse so the engine can classify it and honour
// Retry-After. Its text carries the API name and status only, never the URL's
// query or any header, so it cannot leak a credential.
type HTTPError struct {
	API        string        // bounded API name, e.g. "GET /registries"
	StatusCode int           // HTTP status code
	RetryAfter time.Duration // from the Retry-After header, 0 if absent or malformed
	// RetryAfterMalformed is the Retry-After header when it was present but
	// neither delay-seconds nor an HTTP date (cut to 64 bytes), for one log
	// line; "" otherwise.
	RetryAfterMalformed string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s", e.API, e.StatusCode, http.StatusText(e.StatusCode))
}

// HTTPStatusCode lets Classify treat this like SDK errors that expose a code.
func (e *HTTPError) HTTPStatusCode() int { return e.StatusCode }

// RetryAfterDelay is how long the upstream asked us to wait.
func (e *HTTPError) RetryAfterDelay() time.Duration { return e.RetryAfter }

// RetryAfterInvalid returns the malformed Retry-After value, "" if none.
func (e *HTTPError) RetryAfterInvalid() string { return e.RetryAfterMalformed }

// CheckResponse returns nil for a 2xx answer, otherwise an *HTTPError. It
// drains and closes the body of a failed answer.
func CheckResponse(api string, resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	e := &HTTPError{API: api, StatusCode: resp.StatusCode}
	raw := resp.Header.Get("Retry-After")
	var ok bool
	if e.RetryAfter, ok = parseRetryAfter(raw, time.Now()); !ok {
		e.RetryAfterMalformed = raw[:min(len(raw), 64)]
	}
	return e
}

// ParseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
// A missing, malformed or negative value, or a date in the past, is 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	d, _ := parseRetryAfter(v, now)
	return d
}

// parseRetryAfter also reports whether a present value was well formed.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, true
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxBackoff/time.Second)*24 {
			return maxBackoff * 24, true // far beyond any ceiling; avoids overflow
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if t.After(now) {
			return t.Sub(now), true
		}
		return 0, true
	}
	return 0, false
}

// DecodeError marks an answer that did not parse.
type DecodeError struct{ Err error }

func (e *DecodeError) Error() string { return "decoding answer: " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

// WithReason attaches an explicit reason to an error, for cases Classify
// cannot recognise (a provider-specific throttling code, say).
func WithReason(err error, reason string) error {
	if err == nil {
		return nil
	}
	return &reasonError{err: err, reason: reason}
}

type reasonError struct {
	err    error
	reason string
}

func (e *reasonError) Error() string { return e.err.Error() }
func (e *reasonError) Unwrap() error { return e.err }

// Classify maps an error to one of the bounded reasons above. It understands
// HTTPError, Kubernetes API errors, SDK errors exposing HTTPStatusCode() or
// StatusCode() (aws-sdk-go-v2, ionos sdk-go), JSON errors and network errors.
func Classify(err error) string {
	if err == nil {
		return ""
	}
	var re *reasonError
	if errors.As(err, &re) {
		return re.reason
	}
	var be *BudgetError
	if errors.As(err, &be) {
		return ReasonBudgetExhausted
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	case errors.Is(err, context.Canceled):
		return ReasonCanceled
	}
	if code := statusCode(err); code != 0 {
		return reasonForStatus(code)
	}
	var de *DecodeError
	var se *json.SyntaxError
	var ute *json.UnmarshalTypeError
	if errors.As(err, &de) || errors.As(err, &se) || errors.As(err, &ute) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return ReasonDecode
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return ReasonTimeout
		}
		return ReasonConnection
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return ReasonConnection
	}
	return ReasonOther
}

func statusCode(err error) int {
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		return hs.HTTPStatusCode()
	}
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		return sc.StatusCode()
	}
	var ks apierrors.APIStatus
	if errors.As(err, &ks) {
		return int(ks.Status().Code)
	}
	return 0
}

func reasonForStatus(code int) string {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return ReasonAuth
	case code == http.StatusNotFound:
		return ReasonNotFound
	case code == http.StatusTooManyRequests:
		return ReasonThrottled
	case code >= 500:
		return ReasonServerError
	case code >= 400:
		return ReasonClientError
	}
	return ReasonOther
}

// retryAfter returns the delay an error asks for, 0 if none, and the
// malformed Retry-After value it carried, if any.
func retryAfter(err error) (time.Duration, string) {
	var bad interface{ RetryAfterInvalid() string }
	if errors.As(err, &bad) && bad.RetryAfterInvalid() != "" {
		return 0, bad.RetryAfterInvalid()
	}
	var ra interface{ RetryAfterDelay() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfterDelay(), ""
	}
	if d, ok := apierrors.SuggestsClientDelay(err); ok {
		return time.Duration(d) * time.Second, ""
	}
	return 0, ""
}
