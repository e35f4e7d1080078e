package backup

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// Section is the `backup:` section of the configuration file: every place
// a backup lands, each with how often one should arrive.
type Section struct {
	Targets []Target `yaml:"targets"`
}

// Target is one place backups land.
type Target struct {
	// Name becomes the name label; unique within a kind.
	Name string `yaml:"name"`
	// Kind is files, s3 or velero.
	Kind string `yaml:"kind"`

	// files: a directory and a glob of the backup files in it. ionos: the
	// glob matches the names of the Cloud API's volume snapshots.
	Directory string `yaml:"directory"`
	Glob      string `yaml:"glob"`

	// s3: an account of the aws: section, a bucket and a prefix; Endpoint
	// and Region for an S3-compatible store (IONOS S3).
	Account  string `yaml:"account"`
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint"`
	Bucket   string `yaml:"bucket"`
	Prefix   string `yaml:"prefix"`

	// velero: the cluster Velero runs in (kubeconfig and context; both
	// empty: the in-cluster service account, else KUBECONFIG or
	// ~/.kube/config) and Velero's namespace (default velero). Every
	// schedule there is one series (name = the schedule), its interval
	// taken from the schedule's own cron.
	Kubeconfig string `yaml:"kubeconfig"`
	Context    string `yaml:"context"`
	Namespace  string `yaml:"namespace"`

	// rds: an account of the aws: section (and Region, above), and the DB
	// instances to watch (default every instance but Aurora cluster members,
	// whose snapshots are the cluster's, and read replicas, which take none). Automated snapshots are
	// expected daily; manual ones every ManualInterval, when set.
	Instances      []string        `yaml:"instances"`
	ManualInterval config.Duration `yaml:"manual_interval"`

	// Interval is how often a backup is expected (the cron's period); not
	// for velero, whose schedules say it themselves, nor rds.
	Interval config.Duration `yaml:"interval"`
	// Factor: the backup is late after Interval * Factor (default 1.5).
	Factor float64 `yaml:"factor"`
	// ShrinkRatio: BackupShrunk when the newest backup is smaller than this
	// fraction of the largest of the 7 before it (default 0.5; files, s3
	// and ionos, the kinds with sizes).
	ShrinkRatio float64 `yaml:"shrink_ratio"`
	// RPO: the backup is too old after this at the latest (default 24h).
	RPO config.Duration `yaml:"rpo"`
	// Severity of BackupTooOld and BackupNeverSeen: page or ticket
	// (default page in the production environment, ticket elsewhere).
	Severity string `yaml:"severity"`
	// RefreshInterval between reads; default 1m for files, 15m for s3.
	RefreshInterval config.Duration `yaml:"refresh_interval"`
}

// Kinds of target.
const (
	KindFiles  = "files"
	KindS3     = "s3"
	KindVelero = "velero"
	KindRDS    = "rds"
	KindIONOS  = "ionos"
)

// Defaults.
const (
	DefaultFactor        = 1.5
	DefaultShrinkRatio   = 0.5
	DefaultRPO           = 24 * time.Hour
	DefaultGlob          = "*"
	DefaultFilesInterval = time.Minute
	// DefaultS3Interval: a ListObjectsV2 page costs money and a backup
	// expected daily does not need a fresher answer (rds targets too: their
	// snapshots are daily).
	DefaultS3Interval = 15 * time.Minute
	// DefaultVeleroNamespace is where Velero's install puts its objects.
	DefaultVeleroNamespace = "velero"
)

// Section is a configuration file section with defaults.
var (
	_ config.Section   = (*Section)(nil)
	_ config.Defaulter = (*Section)(nil)
)

// ApplyDefaults fills glob, factor, RPO and refresh intervals. Severity
// depends on the environment and is resolved when the collector is built.
func (s *Section) ApplyDefaults() {
	for i := range s.Targets {
		t := &s.Targets[i]
		if (t.Kind == KindFiles || t.Kind == KindIONOS) && t.Glob == "" {
			t.Glob = DefaultGlob
		}
		if t.Factor == 0 {
			t.Factor = DefaultFactor
		}
		if t.ShrinkRatio == 0 {
			t.ShrinkRatio = DefaultShrinkRatio
		}
		if t.RPO == 0 {
			t.RPO = config.Duration(DefaultRPO)
		}
		if t.Kind == KindVelero && t.Namespace == "" {
			t.Namespace = DefaultVeleroNamespace
		}
		// Velero is watched, not polled: no refresh interval.
		if t.RefreshInterval == 0 && t.Kind != KindVelero {
			t.RefreshInterval = config.Duration(DefaultFilesInterval)
			if t.Kind == KindS3 || t.Kind == KindRDS || t.Kind == KindIONOS {
				t.RefreshInterval = config.Duration(DefaultS3Interval)
			}
		}
	}
}

var (
	labelValue = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// Validate reports every problem, fields relative to the section.
func (s *Section) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if len(s.Targets) == 0 {
		add("targets", "is required", "list the places backups land, each with a name, a kind (files or s3) and its expected interval")
	}
	seen := map[string]int{}
	for i, t := range s.Targets {
		at := func(f string) string { return fmt.Sprintf("targets[%d].%s", i, f) }
		switch {
		case t.Name == "":
			add(at("name"), "is required", "name the backup, e.g. terraform-state; it becomes the name label")
		case !labelValue.MatchString(t.Name):
			add(at("name"), fmt.Sprintf("%q is not a plain name", t.Name), "use letters, digits, '-', '_' or '.'")
		default:
			if j, dup := seen[t.Kind+"/"+t.Name]; dup {
				add(at("name"), fmt.Sprintf("%q is also the name of targets[%d]", t.Name, j), "give each target of a kind its own name")
			}
			seen[t.Kind+"/"+t.Name] = i
		}
		switch t.Kind {
		case KindFiles:
			if t.Directory == "" {
				add(at("directory"), "is required for kind files", "name the directory the backups are written to")
			}
			if _, err := filepath.Match(t.Glob, "x"); err != nil {
				add(at("glob"), fmt.Sprintf("%q is not a valid glob", t.Glob), "write a shell pattern such as *.tfstate.backup")
			}
		case KindS3:
			if t.Account == "" {
				add(at("account"), "is required for kind s3", "name an account of the aws: section (its credentials read the bucket)")
			}
			if !bucketName.MatchString(t.Bucket) {
				add(at("bucket"), fmt.Sprintf("%q is not an S3 bucket name", t.Bucket), "write the bucket's name only, e.g. pg-dumps (the prefix goes under prefix)")
			}
			if t.Endpoint != "" {
				if u, err := url.Parse(t.Endpoint); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
					add(at("endpoint"), "is not an absolute http(s) URL", "write it as https://s3.eu-central-3.ionoscloud.com, or leave it out for AWS S3")
				}
			}
		case KindVelero:
			validateVelero(t, at, add)
		case KindIONOS:
			if _, err := filepath.Match(t.Glob, "x"); err != nil {
				add(at("glob"), fmt.Sprintf("%q is not a valid glob", t.Glob), "write a pattern of snapshot names such as db-nightly-*")
			}
		case KindRDS:
			if t.Account == "" {
				add(at("account"), "is required for kind rds", "name an account of the aws: section (its credentials describe the snapshots)")
			}
			if t.Interval != 0 {
				add(at("interval"), "is not read for kind rds", "leave it out: RDS takes automated snapshots daily; set manual_interval for manual ones")
			}
		case "":
			add(at("kind"), "is required", "write files, s3, velero, rds or ionos")
		default:
			add(at("kind"), fmt.Sprintf("%q is not a known kind", t.Kind), "write files, s3, velero, rds or ionos")
		}
		if t.ManualInterval != 0 && t.Kind != KindRDS {
			add(at("manual_interval"), "is read for kind rds only", "leave it out, or use interval")
		}
		if t.Interval.Std() <= 0 && t.Kind != KindVelero && t.Kind != KindRDS {
			add(at("interval"), "is required", "write how often a backup is made, e.g. 24h for a daily cron")
		}
		if t.Factor < 1 {
			add(at("factor"), fmt.Sprintf("%g is below 1", t.Factor), "the backup is late after interval * factor; 1.5 leaves room for a slow run")
		}
		if t.ShrinkRatio <= 0 || t.ShrinkRatio >= 1 {
			add(at("shrink_ratio"), fmt.Sprintf("%g is not between 0 and 1", t.ShrinkRatio), "a fraction such as 0.5: the newest backup shrank when smaller than half the recent maximum")
		}
		if t.RPO.Std() <= 0 {
			add(at("rpo"), "must be positive", "the recovery point objective, e.g. 24h")
		}
		switch t.Severity {
		case "", "page", "ticket":
		default:
			add(at("severity"), fmt.Sprintf("%q is not page or ticket", t.Severity), "write page or ticket, or leave it out (page in production, ticket elsewhere)")
		}
		if t.Kind != KindVelero && t.RefreshInterval.Std() < config.MinInterval {
			add(at("refresh_interval"), fmt.Sprintf("%s is too short", t.RefreshInterval.Std()), "use at least 1s; the default is 1m for files and 15m for s3")
		}
	}
	return errs
}

// validateVelero checks what only a velero target has.
func validateVelero(t Target, at func(string) string, add func(field, msg, hint string)) {
	if t.Interval != 0 {
		add(at("interval"), "is not read for kind velero", "leave it out: each schedule's interval comes from its own cron expression")
	}
	if t.RefreshInterval != 0 {
		add(at("refresh_interval"), "is not read for kind velero", "leave it out: Velero's objects are watched, not polled")
	}
	if t.Context != "" && t.Kubeconfig == "" {
		add(at("context"), "needs kubeconfig", "set kubeconfig to the file that holds this context")
	}
	if t.Kubeconfig != "" {
		if _, err := os.Stat(t.Kubeconfig); err != nil {
			add(at("kubeconfig"), fmt.Sprintf("cannot read %s", t.Kubeconfig), "check the path; leave it out in the cluster to use Vigil's service account")
		}
	}
	if !labelValue.MatchString(t.Namespace) {
		add(at("namespace"), fmt.Sprintf("%q is not a namespace name", t.Namespace), "write the namespace Velero runs in, e.g. velero")
	}
}

// severity resolves a target's severity in an environment.
func severity(t Target, environment string) string {
	if t.Severity != "" {
		return t.Severity
	}
	if environment == "production" {
		return "page"
	}
	return "ticket"
}
