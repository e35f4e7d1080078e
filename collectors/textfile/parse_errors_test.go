package textfile

import (
	"strings"
	"testing"
)

// TestParseErrorsNameTheFileLineAndWhatToDo extends internal/config's
// TestErrorsNameFileLineFieldAndHint to .prom files: each error a writer
// can cause names the file (and, for syntax, the line) and what to do.
func TestParseErrorsNameTheFileLineAndWhatToDo(t *testing.T) {
	c := &Collector{cfg: Config{Environment: "staging", Reserved: map[string]bool{"vigil_source_up": true}}}
	for body, want := range map[string][]string{
		"# TYPE a gauge\na 1\na{b=\"x\" 2\n": {"drift.prom:", "line 3", "fix the program that writes it"},
		"vigil_source_up 1\n":                {"drift.prom defines vigil_source_up", "rename the metric"},
		"go_goroutines 1\n":                  {"drift.prom defines go_goroutines"},
		"a 1 1700000000000\n":                {"drift.prom: a has a timestamp", "remove it"},
	} {
		_, err := c.parseText("drift.prom", strings.NewReader(body))
		if err == nil {
			t.Fatalf("%q: no error", body)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error lacks %q: %v", body, w, err)
			}
		}
		if strings.Contains(err.Error(), "goroutine ") {
			t.Errorf("stack trace: %v", err)
		}
	}
}
