package statuspage

import (
	"bytes"
	"strings"
)

// The families the page shows. Everything else a scrape holds (the
// cluster's pods and nodes, Go and process metrics) is dropped before
// parsing, so a page view on a large cluster parses a few hundred lines,
// not the whole scrape.
var wantedPrefixes = []string{
	"vigil_source_",
	"vigil_access_probe_",
	"vigil_cert_not_after_timestamp_seconds",
	"vigil_cert_page_within_seconds",
	"vigil_token_expiry_timestamp_seconds",
	"vigil_token_page_within_seconds",
	"vigil_backup_",
	"vigil_billing_cost_month_to_date",
	"vigil_billing_forecast_month_end",
	"vigil_budget_amount",
}

func wanted(name []byte) bool {
	for _, p := range wantedPrefixes {
		if bytes.HasPrefix(name, []byte(p)) {
			return true
		}
	}
	return false
}

// lineFilter is an io.Writer that keeps the exposition lines (samples and
// their # HELP / # TYPE lines) of the families keep accepts. Writes may
// split a line anywhere; the partial line waits in carry.
type lineFilter struct {
	keep  func(name []byte) bool
	carry []byte
	out   bytes.Buffer
}

func (f *lineFilter) Write(p []byte) (int, error) {
	n := len(p)
	if len(f.carry) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.carry = append(f.carry, p...)
			return n, nil
		}
		f.carry = append(f.carry, p[:i+1]...)
		f.line(f.carry)
		f.carry = f.carry[:0]
		p = p[i+1:]
	}
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.carry = append(f.carry, p...)
			return n, nil
		}
		f.line(p[:i+1])
		p = p[i+1:]
	}
}

// flush passes on a last line that had no newline.
func (f *lineFilter) flush() {
	if len(f.carry) > 0 {
		f.line(append(f.carry, '\n'))
		f.carry = nil
	}
}

func (f *lineFilter) line(l []byte) {
	if f.keep(metricName(l)) {
		f.out.Write(l)
	}
}

// metricName is the family a line belongs to: the name after "# HELP " or
// "# TYPE ", or the sample's name up to its labels or value. Other
// comments give "".
func metricName(l []byte) []byte {
	if bytes.HasPrefix(l, []byte("#")) {
		s := string(l)
		for _, p := range []string{"# HELP ", "# TYPE "} {
			if strings.HasPrefix(s, p) {
				rest := l[len(p):]
				if i := bytes.IndexAny(rest, " \n"); i >= 0 {
					return rest[:i]
				}
				return rest
			}
		}
		return nil
	}
	if i := bytes.IndexAny(l, "{ \n"); i >= 0 {
		return l[:i]
	}
	return l
}
