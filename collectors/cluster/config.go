package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/homedir"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// Section is the `kubernetes:` section of the configuration file: how to
// reach one cluster and what to watch in it.
type Section struct {
	// Cluster becomes the cluster label on the cluster's series.
	Cluster string `yaml:"cluster"`
	// Kubeconfig is the path of a kubeconfig file; empty with no Server means
	// the in-cluster service account.
	Kubeconfig string `yaml:"kubeconfig"`
	// Context selects a kubeconfig context; empty means its current-context.
	Context string `yaml:"context"`
	// Server, BearerToken and CAFile reach an API server without a
	// kubeconfig (a service-account token of a remote cluster, say).
	Server                string            `yaml:"server"`
	BearerToken           *config.SecretRef `yaml:"bearer_token"`
	CAFile                string            `yaml:"ca_file"`
	InsecureSkipTLSVerify bool              `yaml:"insecure_skip_tls_verify"`
	// AllowBearerTokenOverHTTP must be set to send bearer_token to an
	// http:// server, where anyone on the path can read and reuse it.
	AllowBearerTokenOverHTTP bool `yaml:"allow_bearer_token_over_http"`
	// Namespaces limits which namespaces' objects are exported.
	Namespaces Namespaces `yaml:"namespaces"`
	// MetricsAPI polls metrics.k8s.io for node and pod usage (kubectl top).
	MetricsAPI *bool `yaml:"metrics_api"`
	// ProbeInterval is how often the API server's /version is probed.
	ProbeInterval config.Duration `yaml:"probe_interval"`
	// MetricsInterval is how often metrics.k8s.io is polled.
	MetricsInterval config.Duration `yaml:"metrics_interval"`
}

// Namespaces is an include and an exclude list; empty include means all.
type Namespaces struct {
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
}

// Defaults applied to fields left empty.
const (
	DefaultProbeInterval   = 30 * time.Second
	DefaultMetricsInterval = 30 * time.Second
)

// MetricsAPIEnabled reports whether metrics.k8s.io should be polled (default yes).
func (k *Section) MetricsAPIEnabled() bool { return k.MetricsAPI == nil || *k.MetricsAPI }

// ApplyDefaults fills in the intervals.
func (k *Section) ApplyDefaults() {
	if k.ProbeInterval == 0 {
		k.ProbeInterval = config.Duration(DefaultProbeInterval)
	}
	if k.MetricsInterval == 0 {
		k.MetricsInterval = config.Duration(DefaultMetricsInterval)
	}
}

// Validate reports every problem, fields relative to the section.
func (k *Section) Validate() []*config.Error {
	var errs []*config.Error
	add := func(field, msg, hint string) {
		errs = append(errs, &config.Error{Field: field, Msg: msg, Hint: hint})
	}
	if k.Cluster == "" {
		add("cluster", "is required", "name the cluster, e.g. ionos-production; it becomes the cluster label")
	} else if !config.ValidLabelValue(k.Cluster) {
		add("cluster", fmt.Sprintf("%q is not a plain name", k.Cluster), "use letters, digits, '-', '_' or '.'")
	}
	if k.Server != "" && k.Kubeconfig != "" {
		add("server", "is set together with kubernetes.kubeconfig", "use either a kubeconfig file or server with bearer_token, not both")
	}
	if k.Server == "" && (k.BearerToken != nil || k.CAFile != "") {
		add("bearer_token", "needs kubernetes.server", "set server to the API server URL, or use a kubeconfig instead")
	}
	if k.Server != "" && !strings.HasPrefix(k.Server, "https://") && !strings.HasPrefix(k.Server, "http://") {
		add("server", fmt.Sprintf("%q is not a URL", k.Server), "write it as https://host:port")
	}
	if strings.HasPrefix(k.Server, "http://") && k.BearerToken != nil && !k.AllowBearerTokenOverHTTP {
		add("bearer_token", fmt.Sprintf("would be sent in clear text to %s", k.Server),
			"use an https:// server; only for a lab set allow_bearer_token_over_http: true")
	}
	if k.Context != "" && k.Kubeconfig == "" {
		add("context", "needs kubernetes.kubeconfig", "set kubeconfig to the file that holds this context")
	}
	for _, f := range []struct{ name, path string }{{"kubeconfig", k.Kubeconfig}, {"ca_file", k.CAFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			add(f.name, fmt.Sprintf("cannot read %s", f.path), "check the path; relative paths are taken from the daemon's working directory")
		}
	}
	if k.BearerToken != nil {
		if e := k.BearerToken.Validate(); e != "" {
			add("bearer_token", e, "reference the secret as {env: VARIABLE} or {file: /path}")
		}
	}
	for _, f := range []struct {
		name string
		d    config.Duration
	}{{"probe_interval", k.ProbeInterval}, {"metrics_interval", k.MetricsInterval}} {
		if f.d.Std() < config.MinInterval {
			add(f.name, fmt.Sprintf("%s is too short", f.d.Std()), "use at least 1s; 30s is a good default")
		}
	}
	for i, ns := range k.Namespaces.Include {
		for _, ex := range k.Namespaces.Exclude {
			if ns == ex {
				add(fmt.Sprintf("namespaces.include[%d]", i), fmt.Sprintf("%q is both included and excluded", ns), "remove it from one of the lists")
			}
		}
	}
	return errs
}

// FingerprintFiles names the files whose contents the connection depends
// on: a rotated kubeconfig or CA bundle at the same path rebuilds the
// collector on reload.
func (k *Section) FingerprintFiles() []string {
	var out []string
	for _, p := range []string{k.Kubeconfig, k.CAFile} {
		if p != "" {
			out = append(out, p)
		}
	}
	if k.Kubeconfig == "" && k.Server == "" && !inCluster() {
		// The kubectl-style fallback: the files it reads.
		if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
			out = append(out, filepath.SplitList(env)...)
		} else {
			out = append(out, filepath.Join(homedir.HomeDir(), clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName))
		}
	}
	return out
}
