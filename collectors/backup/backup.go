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
// Velero targets watch Velero's Schedule and Backup objects with a dynamic
// informer, one series set per schedule (its interval from its own cron);
// a deleted schedule's series go at once.
//
// RDS targets read every DB instance's automated and manual snapshots
// (newest available one's time, newest one's status) and its automated
// backup retention.
//
// IONOS targets read the Cloud API's /snapshots (one unpaged request): the
// AVAILABLE snapshots whose name matches the glob, and the newest one's
// state.
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
	ionoscloud "github.com/ionos-cloud/sdk-go/v6"
	"k8s.io/client-go/dynamic"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
	"github.com/vigil-monitoring/vigil/internal/source"
)

var kindName = []string{"kind", "name"}

// Catalogue lists the collector's metrics.
var Catalogue = []metricdoc.Desc{
	{Name: "vigil_backup_last_success_timestamp_seconds", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Time of the target's newest backup (file mtime, S3 LastModified, completion of the Velero schedule's newest Completed backup, creation of the newest available RDS or IONOS snapshot); absent while the target holds none."},
	{Name: "vigil_backup_size_bytes", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Size of the target's newest backup in bytes."},
	{Name: "vigil_backup_recent_max_size_bytes", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Largest size of the (up to 7) backups before the newest, in bytes; absent with fewer than two backups. BackupShrunk compares the newest with it."},
	{Name: "vigil_backup_objects", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Number of backups the target holds (files matching the glob, objects under the prefix with every page listed, Completed backups of the Velero schedule, available RDS and IONOS snapshots)."},
	{Name: "vigil_backup_total_size_bytes", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Sum of the sizes of every backup the target holds, in bytes."},
	{Name: "vigil_backup_expected_interval_seconds", Type: metricdoc.Gauge, Labels: kindName,
		Help: "How often a backup is expected at the target, from the configuration (Velero: the longest gap between two runs of the schedule's cron; the target's RPO when the cron cannot be read, counted as a decode error of the target's source)."},
	{Name: "vigil_backup_factor", Type: metricdoc.Gauge, Labels: kindName,
		Help: "The backup is too old after expected interval times this factor (or the RPO, whichever is shorter), from the configuration."},
	{Name: "vigil_backup_shrink_ratio", Type: metricdoc.Gauge, Labels: kindName,
		Help: "The newest backup has shrunk suspiciously when smaller than this fraction of the recent maximum, from the configuration (kinds with sizes only)."},
	{Name: "vigil_backup_rpo_seconds", Type: metricdoc.Gauge, Labels: kindName,
		Help: "Recovery point objective of the target from the configuration: the backup is too old after this at the latest; absent with the interval (an rds manual row without manual_interval is never late)."},
	{Name: "vigil_backup_expiry_timestamp_seconds", Type: metricdoc.Gauge, Labels: kindName,
		Help: "When the newest good backup expires and is deleted (Velero's status.expiration of the newest Completed backup of the schedule)."},
	{Name: "vigil_backup_phase", Type: metricdoc.Gauge, Labels: []string{"kind", "name", "phase"},
		Help: "1 for the phase of the target's newest backup, 0 for each other phase of its kind (Velero: status.phase over every phase of Velero's Backup CRD; RDS: the snapshot's status; IONOS: the snapshot's state); absent before its first backup."},
	{Name: "vigil_backup_retention_seconds", Type: metricdoc.Gauge, Labels: kindName,
		Help: "How long the target keeps its backups, from the upstream (RDS: the instance's automated backup retention period; 0: automated backups are off)."},
	{Name: "vigil_backup_severity", Type: metricdoc.Gauge, Labels: []string{"kind", "name", "severity"},
		Help: "1 for the severity (page or ticket) the target's backup alerts take, from the configuration; the rules join on it."},
}

// Found is what one read of a target learned.
type Found struct {
	Objects    int64     `json:"objects"`
	TotalBytes int64     `json:"total_bytes"`
	Newest     time.Time `json:"newest"` // zero: no backup
	NewestSize int64     `json:"newest_size"`
	// Phase is the newest backup's state, whatever it is (ionos); "" none.
	Phase string `json:"phase,omitempty"`
	// recent are the newest recentBackups+1 backups, newest first.
	recent []sized
}

type sized struct {
	at   time.Time
	size int64
}

// recentBackups is how many backups before the newest its size is
// compared with: a week of dailies.
const recentBackups = 7

func (f *Found) add(at time.Time, size int64) {
	f.Objects++
	f.TotalBytes += size
	// On a tie (S3's LastModified has one-second resolution) the one
	// listed last wins: listings and globs come in name order, and backup
	// names carry their time.
	if f.Objects == 1 || !at.Before(f.Newest) {
		f.Newest, f.NewestSize = at, size
	}
	f.keepRecent(at, size)
}

// keepRecent keeps the newest recentBackups+1 backups, newest first (an
// insertion into a short slice: a listing of 10,000 objects stays linear).
func (f *Found) keepRecent(at time.Time, size int64) {
	i := len(f.recent)
	for i > 0 && !at.Before(f.recent[i-1].at) { // a tie: the later listed is newer, as in add
		i--
	}
	if i > recentBackups {
		return
	}
	f.recent = append(f.recent, sized{})
	copy(f.recent[i+1:], f.recent[i:])
	f.recent[i] = sized{at, size}
	if len(f.recent) > recentBackups+1 {
		f.recent = f.recent[:recentBackups+1]
	}
}

// RecentMax is the largest of the (up to recentBackups) backups before
// the newest; false with fewer than two backups.
func (f *Found) RecentMax() (int64, bool) {
	if len(f.recent) < 2 {
		return 0, false
	}
	var m int64
	for _, s := range f.recent[1:] {
		m = max(m, s.size)
	}
	return m, true
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
	// Velero is the dynamic client a velero target watches through.
	Velero dynamic.Interface
	// RDS builds the target's RDS client sending through rt (rds only).
	RDS func(rt http.RoundTripper) RDSAPI
	// IONOS builds the target's Cloud API client sending through rt (ionos
	// only).
	IONOS func(rt http.RoundTripper) *ionoscloud.APIClient
}

// Config of the collector.
type Config struct {
	Environment string
	Targets     []TargetConfig
}

type target struct {
	cfg    TargetConfig
	src    *source.Source[Found]    // files, s3
	rds    *source.Source[RDSFound] // rds
	velero *veleroWatch             // velero
}

// Collector reads every target and renders the result.
type Collector struct {
	cfg     Config
	targets []*target
}

// New adds one source per target to group. The engine logs refresh
// failures with the source name; the collector has nothing else to log.
func New(cfg Config, group *source.Group, logger *slog.Logger) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Collector{cfg: cfg}
	for _, tc := range cfg.Targets {
		t := &target{cfg: tc}
		if tc.Kind == KindVelero {
			t.velero = newVeleroWatch(tc.Velero, tc.Namespace, SourceName(tc.Kind, tc.Name), group, logger)
			c.targets = append(c.targets, t)
			continue
		}
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
		case KindRDS:
			var client RDSAPI
			t.rds = source.Add(group, opts, func(ctx context.Context) (RDSFound, error) {
				return readRDS(ctx, client, tc.Instances)
			})
			client = tc.RDS(t.rds.Transport(nil, RDSAPIName))
		case KindIONOS:
			var client *ionoscloud.APIClient
			t.src = source.Add(group, opts, func(ctx context.Context) (Found, error) { return readIONOS(ctx, client, tc.Glob) })
			client = tc.IONOS(limitAnswers{next: t.src.Transport(nil, func(*http.Request) string { return "GET /snapshots" }), limit: maxIONOSAnswer})
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
			return Found{}, aws.SDKError(ctx, fmt.Sprintf("s3:ListObjectsV2 s3://%s/%s", bucket, prefix), err)
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
	lPhase    = exposition.NewLabel("phase")
)

// row is one series set: a files or s3 target, or one Velero schedule.
type row struct {
	kind, name string
	t          *target       // factor, RPO, severity
	interval   time.Duration // 0: none expected (rds manual without manual_interval), no series
	found      *Found        // nil: not read yet
	noSize     bool          // the kind has no sizes (Velero)
	phase      string        // velero, rds: the newest backup's phase; "": none
	phases     []string      // the kind's closed set of phases
	expiry     time.Time     // velero: when the newest good backup expires
	// retention: rds automated backup retention, when hasRetention.
	retention    time.Duration
	hasRetention bool
}

// rows lists what every target last read; files and s3 targets are one
// row each even before their first read, so their thresholds are served
// and BackupNeverSeen sees them.
func (c *Collector) rows() []row {
	var rows []row
	for _, t := range c.targets {
		if t.velero != nil {
			rows = append(rows, t.velero.rows(t)...)
			continue
		}
		if t.rds != nil {
			rows = append(rows, t.rdsRows()...)
			continue
		}
		r := row{kind: t.cfg.Kind, name: t.cfg.Name, t: t, interval: t.cfg.Interval.Std()}
		if f, _, ok := t.src.Get(); ok {
			r.found = &f
			if t.cfg.Kind == KindIONOS {
				r.phase, r.phases = f.Phase, IONOSStates
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// Render writes the configured thresholds of every target, and what its
// source last read once it has read anything.
func (c *Collector) Render(w *exposition.Writer) error {
	rows := c.rows()
	series := func(r *row) {
		w.Series()
		w.Label(lKind, r.kind)
		w.Label(lName, r.name)
	}
	family := func(name string, value func(*row) (float64, bool)) {
		w.Family(headers, name)
		for i := range rows {
			if v, ok := value(&rows[i]); ok {
				series(&rows[i])
				w.Float(v)
			}
		}
	}
	// found: r's data when the target has been read (and, with sized, has
	// sizes), else an empty Found and false.
	found := func(r *row, sized bool) (*Found, bool) {
		if r.found == nil || (sized && r.noSize) {
			return &Found{}, false
		}
		return r.found, true
	}
	family("vigil_backup_last_success_timestamp_seconds", func(r *row) (float64, bool) {
		f, ok := found(r, false)
		return float64(f.Newest.UnixNano()) / 1e9, ok && f.Objects > 0
	})
	family("vigil_backup_size_bytes", func(r *row) (float64, bool) {
		f, ok := found(r, true)
		return float64(f.NewestSize), ok && f.Objects > 0
	})
	family("vigil_backup_objects", func(r *row) (float64, bool) {
		f, ok := found(r, false)
		return float64(f.Objects), ok
	})
	family("vigil_backup_total_size_bytes", func(r *row) (float64, bool) {
		f, ok := found(r, true)
		return float64(f.TotalBytes), ok
	})
	family("vigil_backup_recent_max_size_bytes", func(r *row) (float64, bool) {
		f, ok := found(r, true)
		m, have := f.RecentMax()
		return float64(m), ok && have
	})
	family("vigil_backup_expiry_timestamp_seconds", func(r *row) (float64, bool) {
		return float64(r.expiry.Unix()), !r.expiry.IsZero()
	})
	family("vigil_backup_retention_seconds", func(r *row) (float64, bool) { return r.retention.Seconds(), r.hasRetention })
	family("vigil_backup_expected_interval_seconds", func(r *row) (float64, bool) { return r.interval.Seconds(), r.interval > 0 })
	// No expected interval (an rds manual row without manual_interval): no
	// limit either. BackupTooOld falls back to the RPO alone when the
	// interval is absent, which paged every night for a manual snapshot
	// taken months ago before an upgrade.
	family("vigil_backup_factor", func(r *row) (float64, bool) { return r.t.cfg.Factor, r.interval > 0 })
	family("vigil_backup_rpo_seconds", func(r *row) (float64, bool) { return r.t.cfg.RPO.Std().Seconds(), r.interval > 0 })
	family("vigil_backup_shrink_ratio", func(r *row) (float64, bool) { return r.t.cfg.ShrinkRatio, !r.noSize })
	w.Family(headers, "vigil_backup_severity")
	for i := range rows {
		series(&rows[i])
		w.Label(lSeverity, rows[i].t.cfg.Severity)
		w.Int(1)
	}
	w.Family(headers, "vigil_backup_phase")
	for i := range rows {
		if rows[i].phase == "" {
			continue
		}
		for _, p := range rows[i].phases {
			series(&rows[i])
			w.Label(lPhase, p)
			w.Bool(rows[i].phase == p)
		}
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

// Start starts the Velero informers; the engine runs the sources.
func (c *Collector) Start(ctx context.Context) {
	for _, t := range c.targets {
		if t.velero != nil {
			t.velero.start(ctx)
		}
	}
}

// Ready is true once every Velero informer has listed (or failed to); the
// group waits for the sources' first refresh.
func (c *Collector) Ready() bool {
	for _, t := range c.targets {
		if t.velero != nil && !t.velero.synced() {
			return false
		}
	}
	return true
}

// Stop stops the Velero informers; the engine stops the sources.
func (c *Collector) Stop() {
	for _, t := range c.targets {
		if t.velero != nil {
			t.velero.stop()
		}
	}
}
