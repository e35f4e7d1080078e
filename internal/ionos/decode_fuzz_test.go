package ionos

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Vigil's own decoding of IONOS answers (the hand-written billing and token
// clients; the SDK's decoders are not Vigil's to fuzz). Whatever a server
// sends, nothing panics, money is a finite number, dates are UTC, and
// errors are bounded reasons without stack traces.

func FuzzDecimal(f *testing.F) {
	for _, s := range []string{`12`, `12.5`, `"0.0400"`, `null`, `" 7 "`, `"NaN"`, `"Inf"`, `1e400`, `"0x1p-2"`, `""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decimal
		if err := d.UnmarshalJSON(data); err != nil {
			noTrace(t, err)
			return
		}
		if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
			t.Fatalf("%q decoded to %v: money must be a finite number", data, d)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123+02:00", "2026-01-02T03:04:05", "2026-01-02", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := parseTime(s)
		if err != nil {
			noTrace(t, err)
			return
		}
		if at.Location() != time.UTC {
			t.Fatalf("%q parsed to %v, not UTC", s, at)
		}
	})
}

// bodyTransport answers every request with the same body, as a hostile or
// broken server could.
type bodyTransport []byte

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(string(b))), Request: r}, nil
}

// FuzzClients sends one body to every hand-written client call: the
// registry listing (token pagination), a registry's tokens (offset
// pagination), the Auth API tokens, and billing's products and usage.
func FuzzClients(f *testing.F) {
	f.Add([]byte(`{"items":[{"id":"r1","properties":{"name":"reg"}}],"pagination":{"token":""}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			t.Skip("the server's bytes reach Vigil's code only through encoding/json")
		}
		hc := &http.Client{Transport: bodyTransport(body)}
		ctx := context.Background()
		tc := NewTokenClient("https://registry.test", "https://auth.test", hc)
		if _, err := tc.Registries(ctx); err != nil {
			noTrace(t, err)
		}
		toks, err := tc.RegistryTokens(ctx, Registry{ID: "r1", Name: "reg"})
		noTrace(t, err)
		for _, tok := range toks {
			if tok.Expiry != nil && tok.Expiry.Location() != time.UTC {
				t.Fatalf("token expiry %v is not UTC", tok.Expiry)
			}
		}
		_, err = tc.APITokens(ctx)
		noTrace(t, err)
		bc := NewBillingClient("https://billing.test", "31415", hc)
		products, err := bc.Products(ctx)
		noTrace(t, err)
		for _, p := range products {
			if p.UnitCost != nil && !finite(float64(p.UnitCost.Quantity)) {
				t.Fatalf("unit cost %v", p.UnitCost.Quantity)
			}
		}
		usage, err := bc.Usage(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		noTrace(t, err)
		for _, dc := range usage.DataCenters {
			for _, m := range dc.Meters {
				if !finite(float64(m.Quantity.Quantity)) {
					t.Fatalf("quantity %v", m.Quantity.Quantity)
				}
			}
		}
	})
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func noTrace(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), "goroutine ") || strings.Contains(err.Error(), "panic:")) {
		t.Fatalf("stack trace in error: %v", err)
	}
}
