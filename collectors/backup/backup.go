// Package backup exports how fresh every backup is, wherever it lands: the
// newest backup's time and size and how many there are, next to the
// target's expected interval, factor, RPO and severity, so one alert rule
// (alerts/backup.yml) covers every target: a backup that silently stops
// is found the day it stops, not on the day of the restore.
//
// Each target is its own refresh source (source="backup_<kind>_<name>"):
// one unreadable bucket never hides another target's data. Files targets
// read a directory; s3 targets list a prefix with ListObjectsV2, every page
// (s3_exporter's first-1,000-objects bug is the one this avoids), on a
// slow default interval, each request counted.
//
// Not read yet: Velero schedules, RDS snapshots, IONOS volume snapshots.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
	"github.com/vigil-monitoring/vigil/internal/source"
)

var kindName = []string{"kind", "name"}

// Catalogue lists the collector's metrics.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_backup_last_success_timestamp_seconds", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Time of the target's newest backup (file mtime, S3 LastModified); absent while the target holds none."},
	{Name: "vigil_backup_size_bytes", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Size of the target's newest backup in bytes."},
	{Name: "vigil_backup_objects", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Number of backups (files matching the glob, objects under the prefix, every page listed) the target holds."},
	{Name: "vigil_backup_total_size_bytes", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Sum of the sizes of every backup the target holds, in bytes."},
	{Name: "vigil_backup_expected_interval_seconds", Type: metricdoc.Gauge, Labels: kindName,
		Help: "How often a backup is expected at the target, from the configuration."},
	{Name: "vigil_backup_factor", Type: metricdoc.Gauge, Labels: kindName,
		Help: "The backup is too old after expected interval times this factor (or the RPO, whichever is shorter), from the configuration."},
	{Name: "vigil_backup_rpo_seconds", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Recovery point objective of the target from the configuration: the backup is too old after this at the latest."},
	{Name: "vigil_backup_severity", Type: metricdoc.Gauge, Labels: []string{"kind", "name", "severity"},
		Help: "1 for the severity (page or ticket) the target's backup alerts take, from the configuration; the rules join on it."},
}

// Found is what one read of a target learned.
type Found struct {
	Objects    int64     `json:"objects"`
	TotalBytes int64     `json:"total_bytes"`
	Newest     time.Time `json:"newest"` // zero: no backup
	NewestSize int64     `json:"newest_size"`
}

func (f *Found) add(at time.Time, size int64) {
	f.Objects++
	f.TotalBytes += size
	if f.Objects == 1 || at.After(f.Newest) {
		f.Newest, f.NewestSize = at, size
	}
}

// S3Lister lists objects; *s3.Client is one.
type S3Lister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// TargetConfig is one resolved target.
type TargetConfig struct {
	Target
	Severity string
	// S3 builds the target's S3 client sending through rt (s3 only).
	S3 func(rt http.RoundTripper) S3Lister
	// Key identifies what the target's source depends on (source.Options.Key).
	Key string
}

// Config of the collector.
type Config struct {
	Environment string
	Targets     []TargetConfig
}

type target struct {
	cfg TargetConfig
	src *source.Source[Found]
}

// Collector reads every target and renders the result.
type Collector struct {
	cfg     Config
	targets []*target
}

// New adds one source per target to group. The engine logs refresh
// failures with the source name; the collector has nothing else to log.
func New(cfg Config, group *source.Group, _ *slog.Logger) *Collector {
	c := &Collector{cfg: cfg}
	for _, tc := range cfg.Targets {
		t := &target{cfg: tc}
		// A source that cannot read a production backup pages: nobody
		// would learn the backups stopped.
		crit := source.CriticalityTicket
		if tc.Severity == "page" {
			crit = source.CriticalityPage
		}
		opts := source.Options{Name: SourceName(tc.Kind, tc.Name), Interval: tc.RefreshInterval.Std(), Key: tc.Key, Criticality: crit}
		switch tc.Kind {
		case KindFiles:
			t.src = source.Add(group, opts, func(context.Context) (Found, error) { return readFiles(tc.Directory, tc.Glob) })
		case KindS3:
			var client S3Lister
			t.src = source.Add(group, opts, func(ctx context.Context) (Found, error) {
				return listS3(ctx, client, tc.Bucket, tc.Prefix)
			})
			client = tc.S3(t.src.Transport(nil, S3API))
		}
		c.targets = append(c.targets, t)
	}
	return c
}

// SourceName is the refresh source of a target.
func SourceName(kind, name string) string { return "backup_" + kind + "_" + name }

// S3API names an S3 request for the request counter: ListObjectsV2, or
// other.
func S3API(r *http.Request) string {
	if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
		return "ListObjectsV2"
	}
	return "other"
}

// readFiles finds the newest regular file matching glob in dir.
func readFiles(dir, glob string) (Found, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return Found{}, source.WithReason(fmt.Errorf("backup directory %s: %w", dir, err), source.ReasonNotFound)
	}
	paths, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil {
		return Found{}, err
	}
	var f Found
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // rotated away between Glob and Stat
			}
			return Found{}, err
		}
		if !st.Mode().IsRegular() {
			continue
		}
		f.add(st.ModTime(), st.Size())
	}
	return f, nil
}

// listS3 walks every page of ListObjectsV2 under prefix.
func listS3(ctx context.Context, client S3Lister, bucket, prefix string) (Found, error) {
	var f Found
	in := &s3.ListObjectsV2Input{Bucket: awssdk.String(bucket)}
	if prefix != "" {
		in.Prefix = awssdk.String(prefix)
	}
	p := s3.NewListObjectsV2Paginator(client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return Found{}, fmt.Errorf("s3://%s/%s: ListObjectsV2: %w", bucket, prefix, err)
		}
		for _, o := range out.Contents {
			if o.LastModified == nil {
				continue
			}
			f.add(*o.LastModified, awssdk.ToInt64(o.Size))
		}
	}
	return f, nil
}

var (
	headers   = exposition.NewHeaders(Catalogue)
	lKind     = exposition.NewLabel("kind")
	lName     = exposition.NewLabel("name")
	lSeverity = exposition.NewLabel("severity")
)

// Render writes the configured thresholds of every target, and what its
// source last read once it has read anything.
func (c *Collector) Render(w *exposition.Writer) error {
	type seen struct {
		t *target
		f Found
	}
	var have []seen
	for _, t := range c.targets {
		if f, _, ok := t.src.Get(); ok {
			have = append(have, seen{t, f})
		}
	}
	series := func(t *target) {
		w.Series()
		w.Label(lKind, t.cfg.Kind)
		w.Label(lName, t.cfg.Name)
	}
	data := func(name string, value func(Found) (float64, bool)) {
		w.Family(headers, name)
		for _, s := range have {
			if v, ok := value(s.f); ok {
				series(s.t)
				w.Float(v)
			}
		}
	}
	data("vigil_backup_last_success_timestamp_seconds", func(f Found) (float64, bool) {
		return float64(f.Newest.UnixNano()) / 1e9, f.Objects > 0
	})
	data("vigil_backup_size_bytes", func(f Found) (float64, bool) { return float64(f.NewestSize), f.Objects > 0 })
	data("vigil_backup_objects", func(f Found) (float64, bool) { return float64(f.Objects), true })
	data("vigil_backup_total_size_bytes", func(f Found) (float64, bool) { return float64(f.TotalBytes), true })
	setting := func(name string, value func(TargetConfig) float64) {
		w.Family(headers, name)
		for _, t := range c.targets {
			series(t)
			w.Float(value(t.cfg))
		}
	}
	setting("vigil_backup_expected_interval_seconds", func(t TargetConfig) float64 { return t.Interval.Std().Seconds() })
	setting("vigil_backup_factor", func(t TargetConfig) float64 { return t.Factor })
	setting("vigil_backup_rpo_seconds", func(t TargetConfig) float64 { return t.RPO.Std().Seconds() })
	w.Family(headers, "vigil_backup_severity")
	for _, t := range c.targets {
		series(t)
		w.Label(lSeverity, t.cfg.Severity)
		w.Int(1)
	}
	return w.Err()
}

// RenderText renders the collector alone (tests); the daemon calls Render.
func (c *Collector) RenderText(out io.Writer) error {
	w := exposition.NewWriter(out, exposition.Pair{Label: exposition.Environment, Value: c.cfg.Environment})
	err := c.Render(w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// Start does nothing: the engine runs the sources.
func (c *Collector) Start(context.Context) {}

// Ready is true: the group waits for the sources' first refresh.
func (c *Collector) Ready() bool { return true }

// Stop does nothing; the engine stops the sources.
func (c *Collector) Stop() {}
