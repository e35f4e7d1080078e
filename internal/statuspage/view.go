package statuspage

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// View is what the template shows; every field is plain text or a time,
// escaped by html/template.
type View struct {
	Environment string
	Now         time.Time
	Links       []Link
	Sources     []SourceRow
	Probes      []ProbeRow
	Expiring    []ExpiryRow
	ExpiringAll int // rows before the cut to maxExpiring
	Backups     []BackupRow
	Spend       []SpendRow
	// Problems sum up the red rows at the top, each linking to its section;
	// empty when nothing needs attention.
	Problems []Problem
}

// Problem is one line of the summary: how many rows of a section are bad.
type Problem struct{ Text, Section string }

// State is a row's verdict; the template colours by it.
type State string

const (
	OK      State = "ok"
	Warn    State = "warn"
	Bad     State = "bad"
	Waiting State = "waiting"
)

// maxExpiring bounds the expiry table: the page answers "what expires
// next", the full list is in /metrics.
const maxExpiring = 15

// sample is one series of a parsed family.
type sample struct {
	labels map[string]string
	value  float64
}

func samples(fams map[string]*dto.MetricFamily, name string) []sample {
	mf, ok := fams[name]
	if !ok {
		return nil
	}
	out := make([]sample, 0, len(mf.GetMetric()))
	for _, m := range mf.GetMetric() {
		s := sample{labels: make(map[string]string, len(m.GetLabel()))}
		for _, l := range m.GetLabel() {
			s.labels[l.GetName()] = l.GetValue()
		}
		switch {
		case m.Gauge != nil:
			s.value = m.GetGauge().GetValue()
		case m.Counter != nil:
			s.value = m.GetCounter().GetValue()
		case m.Untyped != nil:
			s.value = m.GetUntyped().GetValue()
		default:
			continue
		}
		out = append(out, s)
	}
	return out
}

// byKey indexes a family's values by the given labels joined with "\xff".
func byKey(fams map[string]*dto.MetricFamily, name string, labels ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples(fams, name) {
		out[key(s.labels, labels...)] += s.value
	}
	return out
}

func key(l map[string]string, names ...string) string {
	k := ""
	for i, n := range names {
		if i > 0 {
			k += "\xff"
		}
		k += l[n]
	}
	return k
}

func build(fams map[string]*dto.MetricFamily, statuses []source.Status, now time.Time, links []Link) *View {
	v := &View{Now: now, Links: links}
	for _, s := range samples(fams, "vigil_source_up") {
		v.Environment = s.labels["environment"]
		break
	}
	v.Sources = sourceRows(fams, statuses, now)
	v.Probes = probeRows(fams, statuses, now)
	expiring := expiryRows(fams, now)
	v.Expiring, v.ExpiringAll = expiring[:min(len(expiring), maxExpiring)], len(expiring)
	v.Backups = backupRows(fams, now)
	v.Spend = spendRows(fams, statuses, now)
	v.Problems = problems(v, expiring)
	return v
}

// problems counts the bad rows of each section (every expiring row, not
// only those shown).
func problems(v *View, expiring []ExpiryRow) []Problem {
	count := func(n int, one, many, section string) []Problem {
		switch {
		case n == 1:
			return []Problem{{Text: "1 " + one, Section: section}}
		case n > 1:
			return []Problem{{Text: fmt.Sprintf("%d %s", n, many), Section: section}}
		}
		return nil
	}
	var out []Problem
	out = append(out, count(bad(v.Sources, func(r SourceRow) State { return r.State }), "source down", "sources down", "sources")...)
	out = append(out, count(bad(v.Probes, func(r ProbeRow) State { return r.State }), "probe failing", "probes failing", "probes")...)
	out = append(out, count(bad(expiring, func(r ExpiryRow) State { return r.State }), "certificate or token expired or about to", "certificates or tokens expired or about to", "expiry")...)
	out = append(out, count(bad(v.Backups, func(r BackupRow) State { return r.State }), "backup target too old or empty", "backup targets too old or empty", "backups")...)
	out = append(out, count(bad(v.Spend, func(r SpendRow) State { return r.State }), "provider at 90 % of budget or more", "providers at 90 % of budget or more", "spend")...)
	return out
}

func bad[R any](rows []R, state func(R) State) int {
	n := 0
	for _, r := range rows {
		if state(r) == Bad {
			n++
		}
	}
	return n
}

// age prints a duration the way people read it: 45s, 12m, 3h 5m, 4d 2h.
func age(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Round(time.Second)
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
	if neg {
		return "-" + s
	}
	return s
}

func unix(v float64) time.Time {
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// SourceRow is one refresh source.
type SourceRow struct {
	Name, Criticality string
	State             State
	Up                string // up, down, starting
	Age               string // of its data; "never" before a first success
	Reason            string // of the last failure, "" when up
	Next              string // until the next refresh
	Requests          int64  // sent upstream since start
}

func sourceRows(fams map[string]*dto.MetricFamily, statuses []source.Status, now time.Time) []SourceRow {
	requests := byKey(fams, "vigil_source_api_requests_total", "source")
	crit := map[string]string{}
	for _, s := range samples(fams, "vigil_source_info") {
		crit[s.labels["source"]] = s.labels["criticality"]
	}
	rows := make([]SourceRow, 0, len(statuses))
	for _, st := range statuses {
		r := SourceRow{Name: st.Name, Criticality: crit[st.Name], Requests: int64(requests[st.Name]),
			Reason: st.LastReason, Age: "never", Next: "now"}
		switch {
		case !st.Attempted:
			r.State, r.Up = Waiting, "starting"
		case st.Up:
			r.State, r.Up = OK, "up"
		default:
			r.State, r.Up = Bad, "down"
		}
		if !st.LastSuccess.IsZero() {
			r.Age = age(now.Sub(st.LastSuccess))
		}
		if d := st.NextRefresh.Sub(now); !st.NextRefresh.IsZero() && d > 0 {
			r.Next = "in " + age(d)
		}
		rows = append(rows, r)
	}
	rows = append(rows, watchRows(requests, statuses, crit)...)
	slices.SortFunc(rows, func(a, b SourceRow) int {
		return cmp.Or(cmp.Compare(rank(a.State), rank(b.State)), cmp.Compare(a.Name, b.Name))
	})
	return rows
}

// watchRows are the parts that count requests under a source label without
// being refresh sources (the Kubernetes informers, which watch instead of
// poll): they have no schedule, but what they cost upstream belongs here.
func watchRows(requests map[string]float64, statuses []source.Status, crit map[string]string) []SourceRow {
	known := map[string]bool{}
	for _, st := range statuses {
		known[st.Name] = true
	}
	var rows []SourceRow
	for name, n := range requests {
		if !known[name] {
			rows = append(rows, SourceRow{Name: name, Criticality: crit[name], State: OK, Up: "watching",
				Age: "live", Next: "watch", Requests: int64(n)})
		}
	}
	return rows
}

// rank puts what needs attention first.
func rank(s State) int {
	switch s {
	case Bad:
		return 0
	case Warn:
		return 1
	case Waiting:
		return 2
	}
	return 3
}

// ProbeRow is the latest result of one access probe.
type ProbeRow struct {
	Probe, Kind, Target string
	State               State
	Result              string // ok, or the failure reason
	Status              string // HTTP status code, "" when none
	Duration            string
	Age                 string // since the run finished
}

func probeRows(fams map[string]*dto.MetricFamily, statuses []source.Status, now time.Time) []ProbeRow {
	// Probes run in one refresh source per target (collectors/access,
	// "access/<target>"); while it fails (stuck, timed out) the results
	// shown are the last good run's, not this minute's.
	down := map[string]bool{}
	for _, st := range statuses {
		if t, ok := strings.CutPrefix(st.Name, "access/"); ok && st.Attempted && !st.Up {
			down[t] = true
		}
	}
	labels := []string{"probe", "kind", "target"}
	reason := map[string]string{}
	for _, s := range samples(fams, "vigil_access_probe_failure_reason") {
		if s.value == 1 {
			reason[key(s.labels, labels...)] = s.labels["reason"]
		}
	}
	code := byKey(fams, "vigil_access_probe_http_status_code", labels...)
	dur := byKey(fams, "vigil_access_probe_duration_seconds", labels...)
	at := byKey(fams, "vigil_access_probe_timestamp_seconds", labels...)
	var rows []ProbeRow
	for _, s := range samples(fams, "vigil_access_probe_success") {
		k := key(s.labels, labels...)
		r := ProbeRow{Probe: s.labels["probe"], Kind: s.labels["kind"], Target: s.labels["target"],
			State: OK, Result: "ok", Duration: fmt.Sprintf("%.0f ms", dur[k]*1000)}
		if s.value != 1 {
			r.State, r.Result = Bad, reason[k]
			if r.Result == "" {
				r.Result = "failed"
			}
		}
		if c := code[k]; c > 0 {
			r.Status = fmt.Sprintf("%.0f", c)
		}
		if t, ok := at[k]; ok && t > 0 {
			r.Age = age(now.Sub(unix(t))) + " ago"
		}
		if down[r.Target] {
			r.Age += " (source down)"
			if r.State == OK {
				r.State = Warn // an old success, not a current one
			}
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b ProbeRow) int {
		return cmp.Or(cmp.Compare(rank(a.State), rank(b.State)), cmp.Compare(a.Probe, b.Probe))
	})
	return rows
}

// ExpiryRow is one certificate or token, by when it expires.
type ExpiryRow struct {
	What, Name, Where string
	At                time.Time
	In                string // "in 3d 4h" or "expired 2h ago"
	State             State
}

// expiryRows lists every certificate and token, soonest first.
func expiryRows(fams map[string]*dto.MetricFamily, now time.Time) []ExpiryRow {
	certPage := first(fams, "vigil_cert_page_within_seconds", 7*24*3600)
	tokenPage := first(fams, "vigil_token_page_within_seconds", 7*24*3600)
	var rows []ExpiryRow
	for _, s := range samples(fams, "vigil_cert_not_after_timestamp_seconds") {
		l := s.labels
		where := l["origin"] + " " + l["location"]
		if l["entry"] != "" {
			where += " (" + l["entry"] + ")"
		}
		rows = append(rows, expiry("certificate ("+l["chain_position"]+")", l["subject_cn"], where, unix(s.value), now, certPage))
	}
	for _, s := range samples(fams, "vigil_token_expiry_timestamp_seconds") {
		l := s.labels
		rows = append(rows, expiry("token ("+l["kind"]+")", l["name"], l["location"], unix(s.value), now, tokenPage))
	}
	slices.SortFunc(rows, func(a, b ExpiryRow) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Where, b.Where))
	})
	return rows
}

func expiry(what, name, where string, at, now time.Time, pageWithin float64) ExpiryRow {
	r := ExpiryRow{What: what, Name: name, Where: where, At: at, State: OK}
	left := at.Sub(now)
	switch {
	case left <= 0:
		r.State, r.In = Bad, "expired "+age(-left)+" ago"
	case left.Seconds() < pageWithin:
		r.State, r.In = Bad, "in "+age(left)
	case left < 30*24*time.Hour:
		r.State, r.In = Warn, "in "+age(left)
	default:
		r.In = "in " + age(left)
	}
	return r
}

// first is the value of a family's first series, or def without one.
func first(fams map[string]*dto.MetricFamily, name string, def float64) float64 {
	if s := samples(fams, name); len(s) > 0 {
		return s[0].value
	}
	return def
}

// BackupRow is one backup target against its limit: the expected interval
// times the factor, or the RPO when that is shorter (as BackupTooOld).
type BackupRow struct {
	Kind, Name string
	State      State
	Newest     string // age of the newest backup, "none" without one
	Limit      string
	Objects    int64
}

func backupRows(fams map[string]*dto.MetricFamily, now time.Time) []BackupRow {
	labels := []string{"kind", "name"}
	last := byKey(fams, "vigil_backup_last_success_timestamp_seconds", labels...)
	rpo := byKey(fams, "vigil_backup_rpo_seconds", labels...)
	factor := byKey(fams, "vigil_backup_factor", labels...)
	objects := byKey(fams, "vigil_backup_objects", labels...)
	var rows []BackupRow
	for _, s := range samples(fams, "vigil_backup_expected_interval_seconds") {
		k := key(s.labels, labels...)
		limit := s.value * factor[k]
		if r, ok := rpo[k]; ok && r > 0 {
			limit = min(limit, r)
		}
		lim := time.Duration(limit * float64(time.Second))
		r := BackupRow{Kind: s.labels["kind"], Name: s.labels["name"], Limit: age(lim),
			Objects: int64(objects[k]), State: Bad, Newest: "none"}
		if t, ok := last[k]; ok {
			old := now.Sub(unix(t))
			r.Newest = age(old) + " old"
			if old <= lim {
				r.State = OK
			}
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b BackupRow) int {
		return cmp.Or(cmp.Compare(rank(a.State), rank(b.State)), cmp.Compare(a.Name, b.Name))
	})
	return rows
}

// SpendRow is one provider's month in one currency (never converted).
type SpendRow struct {
	Provider, Currency string
	MonthToDate        string
	Forecast           string // "" without a forecast
	Budget             string // "" without a budget
	Percent            string // month to date of budget
	// Age is that of the provider's oldest billing data, with "(source
	// down)" while one of its billing sources fails: the figures are then
	// the last good ones, not this hour's. "" when no source is known.
	Age   string
	State State
}

// billingSource says whether a refresh source reads the given provider's
// spend (collectors/billing: billing_aws_cost_<account>, billing_ionos; not
// the AWS Budgets or IONOS estimate sources, which feed other families).
func billingSource(name, provider string) bool {
	switch provider {
	case "aws":
		return strings.HasPrefix(name, "billing_aws_cost_")
	case "ionos":
		return name == "billing_ionos"
	}
	return false
}

// spendAge is the age of the provider's oldest billing data and whether one
// of its sources is down (or has never succeeded).
func spendAge(provider string, statuses []source.Status, now time.Time) (string, bool) {
	var oldest time.Time
	found, down, never := false, false, false
	for _, st := range statuses {
		if !billingSource(st.Name, provider) {
			continue
		}
		found = true
		if st.Attempted && !st.Up {
			down = true
		}
		if st.LastSuccess.IsZero() {
			never = true
		} else if oldest.IsZero() || st.LastSuccess.Before(oldest) {
			oldest = st.LastSuccess
		}
	}
	if !found {
		return "", false
	}
	a := "never"
	if !oldest.IsZero() && !never {
		a = age(now.Sub(oldest))
	}
	if down {
		a += " (source down)"
	}
	return a, down
}

func spendRows(fams map[string]*dto.MetricFamily, statuses []source.Status, now time.Time) []SpendRow {
	labels := []string{"provider", "currency"}
	mtd := byKey(fams, "vigil_billing_cost_month_to_date", labels...)
	forecast := byKey(fams, "vigil_billing_forecast_month_end", labels...)
	budget := byKey(fams, "vigil_budget_amount", labels...)
	var rows []SpendRow
	for _, s := range samples(fams, "vigil_billing_cost_month_to_date") {
		k := key(s.labels, labels...)
		if _, done := mtd[k]; !done {
			continue // one row per provider and currency, summed over accounts and services
		}
		r := SpendRow{Provider: s.labels["provider"], Currency: s.labels["currency"],
			MonthToDate: money(mtd[k]), State: OK}
		if f, ok := forecast[k]; ok {
			r.Forecast = money(f)
		}
		if b, ok := budget[k]; ok && b > 0 {
			r.Budget = money(b)
			pct := mtd[k] / b * 100
			r.Percent = fmt.Sprintf("%.0f %%", pct)
			switch {
			case pct >= 90:
				r.State = Bad
			case pct >= 50 || forecast[k] > b:
				r.State = Warn
			}
		}
		var down bool
		r.Age, down = spendAge(r.Provider, statuses, now)
		if down && r.State == OK {
			r.State = Warn // the last good figures, not this hour's
		}
		delete(mtd, k)
		rows = append(rows, r)
	}
	// A budget no spend of its provider and currency meets would otherwise
	// vanish from the page (the budget alerts join on currency and never
	// fire for it): shown, as a currency mismatch (warn) when the provider
	// reports spend in another currency, as waiting when it reports none yet.
	spent := map[string]bool{}
	for _, s := range samples(fams, "vigil_billing_cost_month_to_date") {
		spent[s.labels["provider"]] = true
		delete(budget, key(s.labels, labels...))
	}
	for _, s := range samples(fams, "vigil_budget_amount") {
		k := key(s.labels, labels...)
		b, ok := budget[k]
		if !ok {
			continue
		}
		delete(budget, k)
		r := SpendRow{Provider: s.labels["provider"], Currency: s.labels["currency"], MonthToDate: "none",
			Budget: money(b), Percent: "no spend read", State: Waiting}
		if spent[r.Provider] {
			r.Percent, r.State = "no spend in "+r.Currency, Warn
		}
		r.Age, _ = spendAge(r.Provider, statuses, now)
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b SpendRow) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Currency, b.Currency))
	})
	return rows
}

func money(v float64) string { return fmt.Sprintf("%.2f", v) }
