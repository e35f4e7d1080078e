package exposition

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/vigil-monitoring/vigil/internal/metricdoc"
)

// Every collector writes /metrics through one Writer. The daemon opens it
// with the labels every series shares (environment, later shard), so no
// collector adds them itself; collectors that hand-render series (the
// cluster collector at 200,000+ series) append into a reused buffer, and
// those that hold client_model families (textfile, client_golang's registry)
// hand them to WriteFamily. Written by hand because client_golang's const
// metrics cost an allocation-heavy Metric per series and a sort per family:
// at 200,000 series that is seconds per scrape; here a series is a few
// appends.

// Label is a label name checked once, when it is declared (at package
// init), so the scrape path never checks names again.
type Label struct{ prefix string } // `,name="`

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// NewLabel declares a label; an invalid or reserved name is a programming
// error and panics at start, where tests catch it.
func NewLabel(name string) Label {
	if !labelName.MatchString(name) || strings.HasPrefix(name, "__") {
		panic(fmt.Sprintf("exposition: %q is not a valid label name", name))
	}
	return Label{prefix: `,` + name + `="`}
}

// Name is the label's name.
func (l Label) Name() string { return l.prefix[1 : len(l.prefix)-2] }

// Environment is the label every series carries (the shared label names of
// ARCHITECTURE.md's conventions).
var Environment = NewLabel("environment")

// Headers holds the "# HELP ...\n# TYPE ...\n" lines of a catalogue's
// families, built once per collector package.
type Headers map[string][]byte

// NewHeaders builds the headers of every family in the catalogue.
func NewHeaders(catalogue []metricdoc.Desc) Headers {
	h := make(Headers, len(catalogue))
	for _, d := range catalogue {
		// HELP escapes only backslash and newline (exposition format 0.0.4).
		help := strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(d.Help)
		h[d.Name] = []byte("# HELP " + d.Name + " " + help + "\n# TYPE " + d.Name + " " + string(d.Type) + "\n")
	}
	return h
}

// Pair is a label and its value.
type Pair struct {
	Label Label
	Value string
}

const flushAt = 48 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, flushAt+4096); return &b }}

// Writer writes the text exposition format (0.0.4) to w in large chunks.
// Not safe for concurrent use: one per scrape.
type Writer struct {
	w      io.Writer
	bufp   *[]byte
	buf    []byte
	err    error
	shared []Pair // on every series
	common []byte // shared + scope, rendered: `environment="..",cluster=".."`
	base   int    // len of common holding shared only
	name   string // current family
	header []byte // its header, until its first series
}

// NewWriter starts a scrape's output; shared labels go on every series,
// hand-rendered or not, unless a series already has a label of that name.
func NewWriter(w io.Writer, shared ...Pair) *Writer {
	t := &Writer{w: w, bufp: bufPool.Get().(*[]byte), shared: shared}
	t.buf = (*t.bufp)[:0]
	for _, p := range shared {
		t.common = appendPair(t.common, p)
	}
	t.base = len(t.common)
	return t
}

func appendPair(b []byte, p Pair) []byte {
	if len(b) == 0 {
		b = append(b, p.Label.prefix[1:]...)
	} else {
		b = append(b, p.Label.prefix...)
	}
	b = appendEscaped(b, p.Value)
	return append(b, '"')
}

// Scope adds labels to every series written until the next Scope call (a
// collector's own common labels, such as cluster); Scope() clears them.
func (t *Writer) Scope(pairs ...Pair) {
	t.common = t.common[:t.base]
	for _, p := range pairs {
		t.common = appendPair(t.common, p)
	}
}

// Family starts a family; its header is written with its first series, so a
// family with no series is left out entirely.
func (t *Writer) Family(h Headers, name string) {
	header, ok := h[name]
	if !ok {
		panic("exposition: metric " + name + " is not in its collector's catalogue") // programming error, caught by tests
	}
	t.name, t.header = name, header
}

// Series opens a series of the current family with the shared and scope
// labels. Continue with Label calls and end with a value.
func (t *Writer) Series() {
	if t.header != nil {
		t.buf = append(t.buf, t.header...)
		t.header = nil
	}
	t.buf = append(t.buf, t.name...)
	t.buf = append(t.buf, '{')
	t.buf = append(t.buf, t.common...)
}

// Label appends one label to the open series.
func (t *Writer) Label(l Label, value string) {
	if t.buf[len(t.buf)-1] == '{' {
		t.buf = append(t.buf, l.prefix[1:]...)
	} else {
		t.buf = append(t.buf, l.prefix...)
	}
	t.buf = appendEscaped(t.buf, value)
	t.buf = append(t.buf, '"')
}

// Int ends the series with an integer value.
func (t *Writer) Int(v int64) {
	t.buf = append(t.buf, '}', ' ')
	t.buf = strconv.AppendInt(t.buf, v, 10)
	t.end()
}

// Bool ends the series with 1 or 0.
func (t *Writer) Bool(v bool) {
	if v {
		t.Int(1)
	} else {
		t.Int(0)
	}
}

// Float ends the series with a float value.
func (t *Writer) Float(v float64) {
	t.buf = append(t.buf, '}', ' ')
	switch {
	case math.IsInf(v, +1):
		t.buf = append(t.buf, "+Inf"...)
	case math.IsInf(v, -1):
		t.buf = append(t.buf, "-Inf"...)
	case math.IsNaN(v):
		t.buf = append(t.buf, "NaN"...)
	default:
		t.buf = strconv.AppendFloat(t.buf, v, 'g', -1, 64)
	}
	t.end()
}

// Milli ends the series with a value kept in thousandths (CPU millicores).
func (t *Writer) Milli(v int64) {
	if v%1000 == 0 {
		t.Int(v / 1000)
		return
	}
	t.Float(float64(v) / 1000)
}

func (t *Writer) end() {
	t.buf = append(t.buf, '\n')
	if len(t.buf) >= flushAt {
		t.flushBuf()
	}
}

func (t *Writer) flushBuf() {
	if t.err == nil && len(t.buf) > 0 {
		_, t.err = t.w.Write(t.buf)
	}
	t.buf = t.buf[:0]
}

// WriteFamily writes a client_model family (client_golang's registry, a
// textfile) with the shared labels added to series that lack them. It
// replaces entries of mf.Metric with labelled copies: pass a family the
// caller owns for this scrape (a fresh Gather, a merged copy), never one
// shared with concurrent scrapes unless its series already carry the
// shared labels (then nothing is replaced).
func (t *Writer) WriteFamily(mf *dto.MetricFamily) {
	if t.err != nil {
		return
	}
	t.flushBuf()
	for i, m := range mf.Metric {
		for _, p := range t.shared {
			m = WithDefaultLabel(m, p.Label.Name(), p.Value)
		}
		mf.Metric[i] = m
	}
	if _, err := expfmt.MetricFamilyToText(t.w, mf); err != nil {
		t.err = err
	}
}

// Err is the first write error.
func (t *Writer) Err() error { return t.err }

// Close writes what is buffered and returns the buffer to the pool; the
// Writer cannot be used afterwards.
func (t *Writer) Close() error {
	t.flushBuf()
	*t.bufp = t.buf[:0]
	bufPool.Put(t.bufp)
	t.bufp, t.buf = nil, nil
	return t.err
}

// appendEscaped escapes a label value: backslash, double quote and newline.
func appendEscaped(b []byte, s string) []byte {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '"' || c == '\n' {
			break
		}
	}
	if i == len(s) {
		return append(b, s...)
	}
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}
