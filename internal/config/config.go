// Package config is Vigil's configuration file: its schema, defaults and
// validation. Every error names the file, the line and the field, and says
// what to do; secrets are only ever referenced (environment variable or
// file), never written inline.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole file. See examples/vigil.yml for every field, documented.
type Config struct {
	// Environment becomes the environment label on every series.
	Environment string `yaml:"environment"`
	// Kubernetes configures the cluster collector; omit it to disable it.
	Kubernetes *Kubernetes `yaml:"kubernetes"`
	// Textfile serves *.prom files from a directory (provision drift's output).
	Textfile *Textfile `yaml:"textfile"`
}

// Textfile is a directory of Prometheus text-format files to serve, as
// node_exporter's textfile collector does.
type Textfile struct {
	Directory       string   `yaml:"directory"`
	RefreshInterval Duration `yaml:"refresh_interval"`
}

// Kubernetes says how to reach one cluster and what to watch in it.
type Kubernetes struct {
	// Cluster becomes the cluster label on the cluster's series.
	Cluster string `yaml:"cluster"`
	// Kubeconfig is the path of a kubeconfig file; empty with no Server means
	// the in-cluster service account.
	Kubeconfig string `yaml:"kubeconfig"`
	// Context selects a kubeconfig context; empty means its current-context.
	Context string `yaml:"context"`
	// Server, BearerToken and CAFile reach an API server without a
	// kubeconfig (a service-account token of a remote cluster, say).
	Server                string     `yaml:"server"`
	BearerToken           *SecretRef `yaml:"bearer_token"`
	CAFile                string     `yaml:"ca_file"`
	InsecureSkipTLSVerify bool       `yaml:"insecure_skip_tls_verify"`
	// Namespaces limits which namespaces' objects are exported.
	Namespaces Namespaces `yaml:"namespaces"`
	// MetricsAPI polls metrics.k8s.io for node and pod usage (kubectl top).
	MetricsAPI *bool `yaml:"metrics_api"`
	// ProbeInterval is how often the API server's /version is probed.
	ProbeInterval Duration `yaml:"probe_interval"`
	// MetricsInterval is how often metrics.k8s.io is polled.
	MetricsInterval Duration `yaml:"metrics_interval"`
}

// Namespaces is an include and an exclude list; empty include means all.
type Namespaces struct {
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
}

// MetricsAPIEnabled reports whether metrics.k8s.io should be polled (default yes).
func (k *Kubernetes) MetricsAPIEnabled() bool { return k.MetricsAPI == nil || *k.MetricsAPI }

// Duration is a time.Duration written as "30s", "5m" or "1h".
type Duration time.Duration

// UnmarshalYAML parses Go duration strings with a clear error.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return &Error{Line: n.Line, Msg: fmt.Sprintf("%q is not a duration", n.Value), Hint: `write a number with a unit, such as "30s", "5m" or "1h"`}
	}
	*d = Duration(v)
	return nil
}

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Defaults applied to fields left empty.
const (
	DefaultProbeInterval    = 30 * time.Second
	DefaultMetricsInterval  = 30 * time.Second
	DefaultTextfileInterval = 30 * time.Second
	minInterval             = time.Second
)

// Error is one problem in the file, located precisely.
type Error struct {
	File  string
	Line  int
	Field string // dotted path, e.g. kubernetes.probe_interval
	Msg   string
	Hint  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (hint: " + e.Hint + ")")
	}
	return b.String()
}

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(data, path)
}

// Parse validates a configuration held in memory; file names it in errors.
func Parse(data []byte, file string) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	cfg := &Config{}
	if root.Kind != 0 {
		dec = yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true) // a typo is an error, not a silently ignored field
		if err := dec.Decode(cfg); err != nil {
			return nil, decodeError(file, &root, err)
		}
	}
	cfg.applyDefaults()
	if errs := cfg.validate(); len(errs) > 0 {
		for _, e := range errs {
			e.File = file
			if e.Line == 0 {
				e.Line = lineOf(&root, e.Field)
			}
		}
		return nil, joinErrors(errs)
	}
	return cfg, nil
}

func (c *Config) applyDefaults() {
	if t := c.Textfile; t != nil && t.RefreshInterval == 0 {
		t.RefreshInterval = Duration(DefaultTextfileInterval)
	}
	if k := c.Kubernetes; k != nil {
		if k.ProbeInterval == 0 {
			k.ProbeInterval = Duration(DefaultProbeInterval)
		}
		if k.MetricsInterval == 0 {
			k.MetricsInterval = Duration(DefaultMetricsInterval)
		}
	}
}

var labelValue = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

func (c *Config) validate() []*Error {
	var errs []*Error
	add := func(field, msg, hint string) { errs = append(errs, &Error{Field: field, Msg: msg, Hint: hint}) }
	if c.Environment == "" {
		add("environment", "is required", "name the environment this exporter watches, e.g. production; it becomes the environment label")
	} else if !labelValue.MatchString(c.Environment) {
		add("environment", fmt.Sprintf("%q is not a plain name", c.Environment), "use letters, digits, '-', '_' or '.'")
	}
	if t := c.Textfile; t != nil {
		if t.Directory == "" {
			add("textfile.directory", "is required", "name the directory holding *.prom files, e.g. the --textfile-dir of provision drift")
		} else if st, err := os.Stat(t.Directory); err != nil || !st.IsDir() {
			add("textfile.directory", fmt.Sprintf("%s is not a readable directory", t.Directory), "create it, or fix the path")
		}
		if t.RefreshInterval.Std() < minInterval {
			add("textfile.refresh_interval", fmt.Sprintf("%s is too short", t.RefreshInterval.Std()), "use at least 1s; 30s is a good default")
		}
	}
	if c.Kubernetes == nil {
		add("kubernetes", "is required", "add a kubernetes section; see examples/vigil.yml")
		return errs
	}
	k := c.Kubernetes
	if k.Cluster == "" {
		add("kubernetes.cluster", "is required", "name the cluster, e.g. ionos-production; it becomes the cluster label")
	} else if !labelValue.MatchString(k.Cluster) {
		add("kubernetes.cluster", fmt.Sprintf("%q is not a plain name", k.Cluster), "use letters, digits, '-', '_' or '.'")
	}
	if k.Server != "" && k.Kubeconfig != "" {
		add("kubernetes.server", "is set together with kubernetes.kubeconfig", "use either a kubeconfig file or server with bearer_token, not both")
	}
	if k.Server == "" && (k.BearerToken != nil || k.CAFile != "") {
		add("kubernetes.bearer_token", "needs kubernetes.server", "set server to the API server URL, or use a kubeconfig instead")
	}
	if k.Server != "" && !strings.HasPrefix(k.Server, "https://") && !strings.HasPrefix(k.Server, "http://") {
		add("kubernetes.server", fmt.Sprintf("%q is not a URL", k.Server), "write it as https://host:port")
	}
	if k.Context != "" && k.Kubeconfig == "" {
		add("kubernetes.context", "needs kubernetes.kubeconfig", "set kubeconfig to the file that holds this context")
	}
	for _, f := range []struct {
		name string
		path string
	}{{"kubernetes.kubeconfig", k.Kubeconfig}, {"kubernetes.ca_file", k.CAFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			add(f.name, fmt.Sprintf("cannot read %s", f.path), "check the path; relative paths are taken from the daemon's working directory")
		}
	}
	if k.BearerToken != nil {
		if e := k.BearerToken.validate(); e != "" {
			add("kubernetes.bearer_token", e, "reference the secret as {env: VARIABLE} or {file: /path}")
		}
	}
	for _, f := range []struct {
		name string
		d    Duration
	}{{"kubernetes.probe_interval", k.ProbeInterval}, {"kubernetes.metrics_interval", k.MetricsInterval}} {
		if f.d.Std() < minInterval {
			add(f.name, fmt.Sprintf("%s is too short", f.d.Std()), "use at least 1s; 30s is a good default")
		}
	}
	for i, ns := range k.Namespaces.Include {
		for _, ex := range k.Namespaces.Exclude {
			if ns == ex {
				add(fmt.Sprintf("kubernetes.namespaces.include[%d]", i), fmt.Sprintf("%q is both included and excluded", ns), "remove it from one of the lists")
			}
		}
	}
	return errs
}

func joinErrors(errs []*Error) error {
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}

// yamlError turns a syntax error into an Error with its line.
func yamlError(file string, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &line)
		msg = strings.TrimSpace(yamlLine.ReplaceAllString(msg, ""))
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return &Error{File: file, Line: line, Msg: msg, Hint: "check the indentation and quoting around this line"}
}

var yamlLine = regexp.MustCompile(`line (\d+):?`)

// decodeError turns a decode error (unknown field, wrong type, our own field
// errors) into Errors naming the line and, where it can, the field.
func decodeError(file string, root *yaml.Node, err error) error {
	var own *Error
	if errors.As(err, &own) {
		own.File = file
		own.Field = fieldAtLine(root, own.Line)
		return own
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return yamlError(file, err)
	}
	var errs []*Error
	for _, m := range te.Errors {
		e := &Error{File: file, Msg: m}
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			fmt.Sscan(sub[1], &e.Line)
			e.Msg = strings.TrimSpace(yamlLine.ReplaceAllString(m, ""))
		}
		if f := unknownField.FindStringSubmatch(e.Msg); f != nil {
			e.Msg = fmt.Sprintf("unknown field %q", f[1])
			e.Hint = "check the spelling; examples/vigil.yml lists every field"
		} else {
			e.Hint = "see examples/vigil.yml for the expected type"
		}
		e.Field = fieldAtLine(root, e.Line)
		errs = append(errs, e)
	}
	return joinErrors(errs)
}

var unknownField = regexp.MustCompile(`field (\S+) not found in type`)

// Sandbox is the configuration of the embedded demo environment (--sandbox,
// or no --config.file): everything it exports says environment="sandbox".
func Sandbox() *Config {
	c := &Config{Environment: "sandbox", Kubernetes: &Kubernetes{Cluster: "sandbox"}}
	c.applyDefaults()
	return c
}
