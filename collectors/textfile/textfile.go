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
	"errors"
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
	"google.golang.org/protobuf/proto"

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
	c.src = source.Add(group, source.Options{Name: SourceName, Interval: cfg.Interval}, c.read)
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
	res := fileResult{mtime: st.ModTime()}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := parser.TextToMetricFamilies(f)
	if err != nil {
		return res, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	names := make([]string, 0, len(mfs))
	for name := range mfs {
		if c.cfg.Reserved[name] || reservedPrefix(name) {
			return res, fmt.Errorf("%s defines %s, a metric Vigil itself exposes", filepath.Base(path), name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		mf := mfs[name]
		for i, m := range mf.Metric {
			if m.TimestampMs != nil {
				return res, fmt.Errorf("%s: %s has a timestamp; textfiles must not carry timestamps", filepath.Base(path), name)
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

// RenderText writes the files' metrics and the collector's own. A family
// defined in several files is merged; parse added environment where absent.
func (c *Collector) RenderText(w io.Writer) error {
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
	var errs []error
	for _, name := range order {
		if _, err := expfmt.MetricFamilyToText(w, merged[name]); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.renderOwn(w, files, snap))
	return errors.Join(errs...)
}

func (c *Collector) renderOwn(w io.Writer, files []string, snap snapshot) error {
	if len(files) == 0 {
		return nil
	}
	mtime := &dto.MetricFamily{Name: proto.String(Catalogue[0].Name), Help: proto.String(Catalogue[0].Help), Type: dto.MetricType_GAUGE.Enum()}
	valid := &dto.MetricFamily{Name: proto.String(Catalogue[1].Name), Help: proto.String(Catalogue[1].Help), Type: dto.MetricType_GAUGE.Enum()}
	for _, f := range files {
		labels := []*dto.LabelPair{
			{Name: proto.String("environment"), Value: proto.String(c.cfg.Environment)},
			{Name: proto.String("file"), Value: proto.String(f)},
		}
		r := snap[f]
		mtime.Metric = append(mtime.Metric, &dto.Metric{Label: labels, Gauge: &dto.Gauge{Value: proto.Float64(float64(r.mtime.UnixNano()) / 1e9)}})
		v := 0.0
		if r.valid {
			v = 1
		}
		valid.Metric = append(valid.Metric, &dto.Metric{Label: labels, Gauge: &dto.Gauge{Value: proto.Float64(v)}})
	}
	_, err1 := expfmt.MetricFamilyToText(w, mtime)
	_, err2 := expfmt.MetricFamilyToText(w, valid)
	return errors.Join(err1, err2)
}
