package textfile

import (
	"fmt"
	"os"
	"time"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// Section is the `textfile:` section of the configuration file.
type Section struct {
	// Directory holds the *.prom files, e.g. the --textfile-dir of
	// provision drift.
	Directory       string          `yaml:"directory"`
	RefreshInterval config.Duration `yaml:"refresh_interval"`
}

// DefaultInterval is how often the directory is read by default.
const DefaultInterval = 30 * time.Second

// ApplyDefaults fills in the interval.
func (s *Section) ApplyDefaults() {
	if s.RefreshInterval == 0 {
		s.RefreshInterval = config.Duration(DefaultInterval)
	}
}

// Validate reports every problem, fields relative to the section.
func (s *Section) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if s.Directory == "" {
		add("directory", "is required", "name the directory holding *.prom files, e.g. the --textfile-dir of provision drift")
	} else if st, err := os.Stat(s.Directory); err != nil || !st.IsDir() {
		add("directory", fmt.Sprintf("%s is not a readable directory", s.Directory), "create it, or fix the path")
	} else if st.Mode().Perm()&0o002 != 0 {
		// Anyone who can write there can hide drift or fake a healthy
		// backup: the files' series carry whatever labels they like.
		add("directory", fmt.Sprintf("%s is writable by every user (mode %s)", s.Directory, st.Mode().Perm()),
			"use a directory only the writing job can write, e.g. /var/lib/vigil/textfile with mode 0755")
	}
	if s.RefreshInterval.Std() < config.MinInterval {
		add("refresh_interval", fmt.Sprintf("%s is too short", s.RefreshInterval.Std()), "use at least 1s; 30s is a good default")
	}
	return errs
}

func init() {
	collector.Register(collector.Registration{
		Name:       "textfile",
		Section:    "textfile",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		InfoOnly:   map[string]string{"vigil_textfile_mtime_seconds": "context for the file_valid alert and for the files' own alerts (drift staleness uses the drift check timestamp)"},
		Sandbox: func(env *collector.SandboxEnv) (config.Section, error) {
			dir, err := sandbox.TextfileDir()
			if err != nil {
				return nil, err
			}
			env.OnStop(func() { _ = os.RemoveAll(dir) })
			return &Section{Directory: dir, RefreshInterval: config.Duration(DefaultInterval)}, nil
		},
		Build: func(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
			s := sec.(*Section)
			return New(Config{Environment: deps.Environment, Directory: s.Directory, Interval: s.RefreshInterval.Std(),
				Reserved: deps.Reserved, Key: deps.Fingerprint}, deps.Group, deps.Logger), nil
		},
	})
}
