package textfile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-monitoring/vigil/internal/exposition"
)

// FuzzParseText feeds arbitrary .prom contents to the parser. It must not
// panic; an error names the file (and, for syntax, the line) and says what
// to do; and what it accepts, with the environment label added, must render
// as exposition text that parses again, so one hostile file can never break
// the scrape for every collector.
func FuzzParseText(f *testing.F) {
	f.Add([]byte("# TYPE a gauge\na{job=\"x\"} 1\n"))
	c := &Collector{cfg: Config{Environment: "staging", Reserved: map[string]bool{"vigil_source_up": true}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := c.parseText("drift.prom", bytes.NewReader(data))
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "drift.prom") || !strings.Contains(msg, ";") {
				t.Fatalf("error does not name the file and what to do: %s", msg)
			}
			if strings.Contains(msg, "goroutine ") {
				t.Fatalf("stack trace in error: %s", msg)
			}
			return
		}
		var out bytes.Buffer
		w := exposition.NewWriter(&out)
		for _, mf := range res.families {
			for _, m := range mf.Metric {
				if !hasLabel(m.GetLabel(), "environment") {
					t.Fatalf("%s lost its environment label", mf.GetName())
				}
			}
			w.WriteFamily(mf)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("rendering an accepted file: %v", err)
		}
		reparse := expfmt.NewTextParser(model.LegacyValidation)
		if _, err := reparse.TextToMetricFamilies(bytes.NewReader(out.Bytes())); err != nil {
			t.Fatalf("an accepted file renders text that does not parse: %v\ninput: %q\noutput: %q", err, data, out.String())
		}
	})
}

func hasLabel[L interface{ GetName() string }](labels []L, name string) bool {
	for _, l := range labels {
		if l.GetName() == name {
			return true
		}
	}
	return false
}
