// Package textfile serves metrics that other programs write as files in the
// Prometheus text format, the way node_exporter's textfile collector does:
// `provision drift` writes vigil_provision_drift_<env>.prom, a cron job or a
// backup script can drop its own. Files are read by a refresh-engine source,
// never at scrape time.
//
// node_exporter's collector is not importable as a library, so this small
// reader is written here; parsing is client_golang's expfmt.
package textfile

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// SourceName is the refresh source's name.
const SourceName = "textfile"

// Catalogue lists the collector's own metrics.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_textfile_mtime_seconds", Type: metricdoc.Gauge, Labels: []string{"file"},
		Help: "Modification time of each *.prom file read from the textfile directory; time() minus this is how stale its writer is."},
	{Name: "vigil_textfile_file_valid", Type: metricdoc.Gauge, Labels: []string{"file"},
		Help: "1 when the file parsed and its metrics are served; 0 when it did not (a syntax error, or a metric Vigil itself exposes), and its last good contents are served instead."},
}

// Config of the collector.
type Config struct {
	Environment string
	Directory   string
	Interval    time.Duration
	// Reserved names the files may not define (the exporter's own metrics).
	Reserved map[string]bool
	// Key identifies the configuration the source reads (source.Options.Key).
	Key string
}

// Collector reads the directory and renders what it found.
type Collector struct {
	cfg    Config
	src    *source.Source[snapshot]
	logger *slog.Logger

	mu   sync.Mutex
	good map[string]fileResult // last good parse of each file, across refreshes
}

type fileResult struct {
	families []*dto.MetricFamily
	mtime    time.Time
	valid    bool
}

type snapshot map[string]fileResult // by file name

// New adds the collector's source to group.
func New(cfg Config, group *source.Group, logger *slog.Logger) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Collector{cfg: cfg, logger: logger, good: map[string]fileResult{}}
	// Ticket: an unreadable directory hides drift, but nothing is down.
	c.src = source.Add(group, source.Options{Name: SourceName, Interval: cfg.Interval, Key: cfg.Key,
		Criticality: source.CriticalityTicket}, c.read)
	return c
}

// read parses every *.prom file. A file that fails keeps its last good
// contents and is marked invalid; only an unreadable directory fails the
// whole refresh (and the previous snapshot is kept by the engine).
func (c *Collector) read(ctx context.Context) (snapshot, error) {
	if _, err := os.Stat(c.cfg.Directory); err != nil {
		return nil, source.WithReason(fmt.Errorf("textfile directory: %w", err), source.ReasonNotFound)
	}
	paths, err := filepath.Glob(filepath.Join(c.cfg.Directory, "*.prom"))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := snapshot{}
	for _, p := range paths {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		name := filepath.Base(p)
		res, err := c.parse(p)
		if err != nil {
			c.logger.Warn("textfile not served; keeping its last good contents", "file", name, "err", err)
			prev := c.good[name]
			prev.valid = false
			if res.mtime.After(prev.mtime) {
				prev.mtime = res.mtime
			}
			out[name] = prev
			continue
		}
		c.good[name] = res
		out[name] = res
	}
	c.dropConflicts(out)
	for name := range c.good { // files removed from the directory go away
		if _, ok := out[name]; !ok {
			delete(c.good, name)
		}
	}
	return out, nil
}

func (c *Collector) parse(path string) (fileResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileResult{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fileResult{}, err
	}
	res, err := c.parseText(filepath.Base(path), f)
	res.mtime = st.ModTime()
	return res, err
}

// parseText parses one file's contents; name (the file's base name) starts
// every error, which also says what to do.
func (c *Collector) parseText(name string, r io.Reader) (fileResult, error) {
	var res fileResult
	parser := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return res, fmt.Errorf("%s: %w; fix the program that writes it (check it with promtool check metrics)", name, err)
	}
	names := make([]string, 0, len(mfs))
	for fam := range mfs {
		if c.cfg.Reserved[fam] || reservedPrefix(fam) {
			return res, fmt.Errorf("%s defines %s, a metric Vigil itself exposes; rename the metric in the program that writes the file", name, fam)
		}
		names = append(names, fam)
	}
	sort.Strings(names)
	for _, fam := range names {
		mf := mfs[fam]
		for i, m := range mf.Metric {
			if m.TimestampMs != nil {
				return res, fmt.Errorf("%s: %s has a timestamp; textfiles must not carry timestamps, remove it", name, fam)
			}
			// Once per refresh here, not on every scrape.
			mf.Metric[i] = exposition.WithDefaultLabel(m, "environment", c.cfg.Environment)
		}
		res.families = append(res.families, mf)
	}
	res.valid = true
	return res, nil
}

// The registry's Go and process collectors own these families.
func reservedPrefix(name string) bool {
	for _, p := range []string{"go_", "process_", "promhttp_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// dropConflicts marks invalid, and serves nothing of, a file that gives a
// family another type than an earlier file (by name) or repeats one of its
// series: either would make the scrape invalid for Prometheus.
func (c *Collector) dropConflicts(snap snapshot) {
	files := make([]string, 0, len(snap))
	for name := range snap {
		files = append(files, name)
	}
	sort.Strings(files)
	types := map[string]dto.MetricType{}
	seen := map[string]string{} // series signature -> file
	for _, file := range files {
		res := snap[file]
		var conflict string
		sigs := []string{}
		for _, mf := range res.families {
			if t, ok := types[mf.GetName()]; ok && t != mf.GetType() {
				conflict = fmt.Sprintf("%s has another type in an earlier file", mf.GetName())
				break
			}
			for _, m := range mf.Metric {
				sig := signature(mf.GetName(), m)
				if other, ok := seen[sig]; ok {
					conflict = fmt.Sprintf("a series of %s is also in %s", mf.GetName(), other)
					break
				}
				sigs = append(sigs, sig)
			}
			if conflict != "" {
				break
			}
		}
		if conflict != "" {
			c.logger.Warn("textfile not served: it conflicts with another file", "file", file, "conflict", conflict)
			snap[file] = fileResult{mtime: res.mtime, valid: false}
			continue
		}
		for _, mf := range res.families {
			types[mf.GetName()] = mf.GetType()
		}
		for _, sig := range sigs {
			seen[sig] = file
		}
	}
}

func signature(name string, m *dto.Metric) string {
	var b strings.Builder
	b.WriteString(name)
	for _, l := range m.GetLabel() {
		b.WriteString("\xff" + l.GetName() + "=" + l.GetValue())
	}
	return b.String()
}

// Render writes the files' metrics and the collector's own. A family
// defined in several files is merged; parse added environment where absent.
func (c *Collector) Render(t *exposition.Writer) error {
	snap, _, ok := c.src.Get()
	if !ok {
		return nil
	}
	files := make([]string, 0, len(snap))
	for name := range snap {
		files = append(files, name)
	}
	sort.Strings(files)

	merged := map[string]*dto.MetricFamily{}
	var order []string
	for _, file := range files {
		for _, mf := range snap[file].families {
			have, ok := merged[mf.GetName()]
			if !ok {
				cp := &dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type}
				merged[mf.GetName()], have = cp, cp
				order = append(order, mf.GetName())
			} else if have.GetType() != mf.GetType() {
				continue // conflicting types: the first file wins
			}
			have.Metric = append(have.Metric, mf.Metric...)
		}
	}
	sort.Strings(order)
	for _, name := range order {
		t.WriteFamily(merged[name])
	}
	t.Family(headers, "vigil_textfile_mtime_seconds")
	for _, f := range files {
		t.Series()
		t.Label(lFile, f)
		t.Float(float64(snap[f].mtime.UnixNano()) / 1e9)
	}
	t.Family(headers, "vigil_textfile_file_valid")
	for _, f := range files {
		t.Series()
		t.Label(lFile, f)
		t.Bool(snap[f].valid)
	}
	return t.Err()
}

var (
	headers = exposition.NewHeaders(Catalogue)
	lFile   = exposition.NewLabel("file")
)

// RenderText renders the collector alone, with Config.Environment as the
// shared environment label (tests); the daemon calls Render.
func (c *Collector) RenderText(w io.Writer) error {
	t := exposition.NewWriter(w, exposition.Pair{Label: exposition.Environment, Value: c.cfg.Environment})
	err := c.Render(t)
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	return err
}

// Start does nothing: the directory is read by the collector's refresh
// source, which the engine runs.
func (c *Collector) Start(context.Context) {}

// Ready is true: the source's first refresh, which the group waits for, is
// all there is.
func (c *Collector) Ready() bool { return true }

// Stop does nothing; the engine stops the source.
func (c *Collector) Stop() {}
