package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The parts of govulncheck's JSON stream (-format json) the scan reads: the
// config message that names the database and its date, the OSV entries
// (for their summaries) and the findings. Written by hand because
// golang.org/x/vuln keeps these types in an internal package.
type message struct {
	Config  *scanConfig `json:"config,omitempty"`
	OSV     *osvEntry   `json:"osv,omitempty"`
	Finding *finding    `json:"finding,omitempty"`
}

type scanConfig struct {
	ScannerVersion string     `json:"scanner_version"`
	DB             string     `json:"db"`
	DBLastModified *time.Time `json:"db_last_modified,omitempty"`
	GoVersion      string     `json:"go_version"`
}

type osvEntry struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

type finding struct {
	OSV          string   `json:"osv"`
	FixedVersion string   `json:"fixed_version,omitempty"`
	Trace        []*frame `json:"trace,omitempty"`
}

type frame struct {
	Module   string    `json:"module"`
	Version  string    `json:"version,omitempty"`
	Package  string    `json:"package,omitempty"`
	Function string    `json:"function,omitempty"`
	Receiver string    `json:"receiver,omitempty"`
	Position *position `json:"position,omitempty"`
}

type position struct {
	Filename string `json:"filename"`
	Line     int    `json:"line"`
}

// called is one vulnerability the scanned code reaches, with one call path.
type called struct {
	ID, Summary     string
	Module, Version string // the vulnerable module as found ("stdlib" for Go)
	Fixed           string // the first fixed version, "" when none exists
	Symbol          string // the vulnerable function reached
	CallSite        string // the scanned code's frame that reaches it
}

// report is what one govulncheck run found.
type report struct {
	DB        string
	DBDate    time.Time // zero when the database states no date
	GoVersion string
	Called    []called // sorted by ID
}

// parseStream reads govulncheck's JSON stream. Only findings whose trace
// starts at a function are called from the code; module- and package-level
// findings (imported or required but not reached) are not failures.
func parseStream(r io.Reader) (*report, error) {
	dec := json.NewDecoder(r)
	rep := &report{}
	summaries := map[string]string{}
	byID := map[string]called{}
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading govulncheck's JSON output: %w", err)
		}
		switch {
		case m.Config != nil:
			rep.DB, rep.GoVersion = m.Config.DB, m.Config.GoVersion
			if m.Config.DBLastModified != nil {
				rep.DBDate = *m.Config.DBLastModified
			}
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil:
			f := m.Finding
			if len(f.Trace) == 0 || f.Trace[0].Function == "" {
				continue
			}
			if _, seen := byID[f.OSV]; seen {
				continue // one call path per vulnerability is enough to act on
			}
			top := f.Trace[0]
			c := called{ID: f.OSV, Module: top.Module, Version: top.Version, Fixed: f.FixedVersion,
				Symbol: symbol(top)}
			if len(f.Trace) > 1 {
				c.CallSite = site(f.Trace[len(f.Trace)-1])
			}
			byID[f.OSV] = c
		}
	}
	for id, c := range byID {
		c.Summary = summaries[id]
		rep.Called = append(rep.Called, c)
	}
	sort.Slice(rep.Called, func(i, j int) bool { return rep.Called[i].ID < rep.Called[j].ID })
	return rep, nil
}

func symbol(f *frame) string {
	name := f.Function
	if f.Receiver != "" {
		name = strings.TrimPrefix(f.Receiver, "*") + "." + name
	}
	return f.Package + "." + name
}

func site(f *frame) string {
	s := symbol(f)
	if f.Position != nil {
		s += fmt.Sprintf(" (%s:%d)", filepath.Base(f.Position.Filename), f.Position.Line)
	}
	return s
}

// hint is the one line that says what to upgrade.
func (c called) hint() string {
	if c.Module == "stdlib" || c.Module == "toolchain" {
		if c.Fixed == "" {
			return "no fixed Go release yet: allow-list it with a reason and a review date"
		}
		return fmt.Sprintf("upgrade Go to go%s or later (GOTOOLCHAIN in the Makefile, toolchain in go.mod)", strings.TrimPrefix(c.Fixed, "v"))
	}
	if c.Fixed == "" {
		return fmt.Sprintf("no fixed release of %s yet: stop calling %s, or allow-list it with a reason and a review date", c.Module, c.Symbol)
	}
	return fmt.Sprintf("upgrade: go get %s@%s && go mod tidy", c.Module, c.Fixed)
}

// maxReviewDays bounds how far ahead an allow-list entry may be reviewed, so
// no exception becomes permanent.
const maxReviewDays = 90

// allowEntry excuses one vulnerability the code calls but cannot fix yet,
// because the module proxy here forces a pinned version. Each entry expires:
// past its review date the scan fails until someone looks again. The
// standard library cannot be excused once a fixed Go exists: the toolchain
// is the fix.
type allowEntry struct {
	ID       string `yaml:"id"`
	Module   string `yaml:"module"`
	Reason   string `yaml:"reason"`
	ReviewBy string `yaml:"review_by"` // YYYY-MM-DD

	line   int
	review time.Time
}

// loadAllowList reads the allow-list; every error names the file, the line
// and the field.
func loadAllowList(path string) ([]allowEntry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the allow-list: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var file struct {
		Allow []yaml.Node `yaml:"allow"`
	}
	if err := doc.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: expected a top-level `allow:` list: %w", path, err)
	}
	var out []allowEntry
	for _, n := range file.Allow {
		var e allowEntry
		if err := n.Decode(&e); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n.Line, err)
		}
		e.line = n.Line
		for field, v := range map[string]string{"id": e.ID, "module": e.Module, "reason": e.Reason, "review_by": e.ReviewBy} {
			if strings.TrimSpace(v) == "" {
				return nil, fmt.Errorf("%s:%d: field %s is empty: every entry needs id, module, reason and review_by", path, n.Line, field)
			}
		}
		if e.review, err = time.Parse(time.DateOnly, e.ReviewBy); err != nil {
			return nil, fmt.Errorf("%s:%d: field review_by %q is not a date: write it as YYYY-MM-DD", path, n.Line, e.ReviewBy)
		}
		out = append(out, e)
	}
	return out, nil
}

// verdict decides the scan: the lines to print and whether it failed.
func verdict(rep *report, allow []allowEntry, allowPath string, now time.Time, maxAge time.Duration) (lines []string, failed bool) {
	if rep.DBDate.IsZero() {
		lines = append(lines, fmt.Sprintf("FAIL vulnerability database %s states no date: rebuild it with scripts/install-tools.sh lint", rep.DB))
		failed = true
	} else {
		age := now.Sub(rep.DBDate)
		lines = append(lines, fmt.Sprintf("vulnerability database %s, data as of %s (%d days old; limit %d)",
			rep.DB, rep.DBDate.Format(time.DateOnly), int(age.Hours()/24), int(maxAge.Hours()/24)))
		if age > maxAge {
			lines = append(lines, "FAIL the vulnerability database is too old: bump golang.org/x/vulndb in tools/vulndb (go get golang.org/x/vulndb@latest && go mod tidy)")
			failed = true
		}
	}
	lines = append(lines, fmt.Sprintf("scanned with %s", rep.GoVersion))

	allowed := map[string]allowEntry{}
	for _, e := range allow {
		if e.review.After(now.AddDate(0, 0, maxReviewDays)) {
			lines = append(lines, fmt.Sprintf("FAIL %s:%d: the allow-list entry for %s is not due for review until %s, more than %d days ahead: an exception is looked at again within %d days",
				allowPath, e.line, e.ID, e.ReviewBy, maxReviewDays, maxReviewDays))
			failed = true
			continue
		}
		if now.After(e.review.Add(24 * time.Hour)) {
			lines = append(lines, fmt.Sprintf("FAIL %s:%d: the allow-list entry for %s was due for review on %s: check whether %s has a fixed release the proxy serves; remove the entry or renew it with a reason",
				allowPath, e.line, e.ID, e.ReviewBy, e.Module))
			failed = true
			continue
		}
		allowed[e.ID] = e
	}
	used := map[string]bool{}
	for _, c := range rep.Called {
		head := fmt.Sprintf("%s in %s@%s: %s; reached through %s", c.ID, c.Module, c.Version, c.Summary, c.Symbol)
		if c.CallSite != "" {
			head += " from " + c.CallSite
		}
		if e, ok := allowed[c.ID]; ok && e.Module == c.Module && (c.Module != "stdlib" || c.Fixed == "") {
			used[c.ID] = true
			lines = append(lines, fmt.Sprintf("allowed %s (until %s: %s)", head, e.ReviewBy, e.Reason))
			continue
		}
		lines = append(lines, "FAIL "+head, "     "+c.hint())
		failed = true
	}
	for _, e := range allow {
		if _, ok := allowed[e.ID]; ok && !used[e.ID] {
			lines = append(lines, fmt.Sprintf("note %s:%d: %s is no longer reached: remove its entry", allowPath, e.line, e.ID))
		}
	}
	if !failed {
		lines = append(lines, fmt.Sprintf("ok: no called vulnerability outside the allow-list (%d allowed)", len(used)))
	}
	return lines, failed
}
