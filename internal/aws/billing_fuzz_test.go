package aws

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
)

// Vigil's mapping of Cost Explorer and Budgets answers (the SDK decodes the
// JSON; parseAmount, setCurrency and the paging loops are Vigil's). Whatever
// the server sends, nothing panics, every amount is a finite number, and a
// page token that does not move ends the loop instead of paying forever.

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"12.34", "0", "-1.5", "NaN", "Inf", "1e400", "0x1p4", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseAmount(awssdk.String(s))
		if err != nil {
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%q parsed to %v: money must be a finite number", s, v)
		}
	})
}

// awsBody answers every request with the same awsJson body.
type awsBody []byte

func (b awsBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader(string(b))), Request: r}, nil
}

func FuzzBillingAnswers(f *testing.F) {
	f.Add([]byte(`{"ResultsByTime":[{"TimePeriod":{"Start":"2026-11-01","End":"2026-11-20"},"Groups":[{"Keys":["Amazon S3"],"Metrics":{"UnblendedCost":{"Amount":"1.5","Unit":"USD"}}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			t.Skip("only JSON reaches Vigil's mapping")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var pages int
		rt := countingRT{next: awsBody(body), n: &pages}
		b := StaticBilling("https://ce.test", "123456789012", rt)
		rep, err := b.CostAndUsage(ctx, "UnblendedCost", time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
		if pages > maxBillingPages {
			t.Fatalf("%d requests for one report", pages)
		}
		if err == nil {
			for _, m := range []MonthCost{rep.Current, rep.Previous} {
				if !finiteAmount(m.Total()) {
					t.Fatalf("%s total %v", m.Month, m.Total())
				}
			}
		}
		pages = 0
		fc, err := b.CostForecast(ctx, "UnblendedCost", time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
		if err == nil && !finiteAmount(fc.Amount) {
			t.Fatalf("forecast %v", fc.Amount)
		}
		pages = 0
		buds, _ := b.Budgets(ctx)
		if pages > 2*maxBillingPages*maxBillingPages {
			t.Fatalf("%d requests for the budgets", pages)
		}
		for _, bd := range buds {
			for _, v := range []float64{bd.Limit, bd.Actual, bd.Forecasted} {
				if !finiteAmount(v) {
					t.Fatalf("budget %q amount %v", bd.Name, v)
				}
			}
		}
	})
}

func finiteAmount(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

type countingRT struct {
	next http.RoundTripper
	n    *int
}

func (c countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	*c.n++
	return c.next.RoundTrip(r)
}
