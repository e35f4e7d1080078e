package daemon_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// failingSection builds a collector that fails to build when Fail is set:
// a stand-in for any collector whose Build fails (bad credentials file,
// unreachable discovery) after others were already built. It sorts after
// "cluster", as the new collectors will.
type failingSection struct {
	Fail bool `yaml:"fail"`
}

func (*failingSection) Validate() []*config.Error { return nil }

type noopCollector struct{}

func (noopCollector) Start(context.Context)           {}
func (noopCollector) Render(*exposition.Writer) error { return nil }
func (noopCollector) Ready() bool                     { return true }
func (noopCollector) Stop()                           {}

func init() {
	collector.Register(collector.Registration{
		Name: "zz-test-failing", Section: "zz_test_failing",
		NewSection: func() config.Section { return &failingSection{} },
		Sandbox:    func(*collector.SandboxEnv) (config.Section, error) { return &failingSection{}, nil },
		Build: func(sec config.Section, _ *collector.Deps) (collector.Collector, error) {
			if sec.(*failingSection).Fail {
				return nil, errors.New("test collector refuses to build")
			}
			return noopCollector{}, nil
		},
	})
}

// TestFailedReloadKeepsTheRunningSourcesRefreshing: a reload that changes
// the cluster section (so its probe would be adopted) but fails on a later
// collector leaves the running configuration as it was, its probe still
// refreshing: adoption happens only once every collector is built.
func TestFailedReloadKeepsTheRunningSourcesRefreshing(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	cfgFile := filepath.Join(t.TempDir(), "vigil.yml")
	base := "environment: staging\nkubernetes:\n  cluster: envtest\n  kubeconfig: " + kubeconfig +
		"\n  metrics_api: false\n  probe_interval: 1s\n"
	writeConfig(t, cfgFile, base)
	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)

	writeConfig(t, cfgFile, strings.Replace(base, "probe_interval: 1s", "probe_interval: 1s\n  metrics_interval: 45s", 1)+
		"zz_test_failing:\n  fail: true\n")
	require.ErrorContains(t, r.d.Reload(), "test collector refuses to build")

	before := requests(t, r.url, "kubernetes-apiserver")
	require.Eventually(t, func() bool { return requests(t, r.url, "kubernetes-apiserver") >= before+2 }, 15*time.Second, 100*time.Millisecond,
		"the running configuration's /version probe stopped refreshing after a failed reload")

	// A failed reload that would change the probe's interval leaves the
	// running probe's series alone (the stale-data alert compares with it).
	writeConfig(t, cfgFile, strings.Replace(base, "probe_interval: 1s", "probe_interval: 1h", 1)+"zz_test_failing:\n  fail: true\n")
	require.Error(t, r.d.Reload())
	v, _ := value(parse(t, get(t, r.url+"/metrics")), "vigil_source_refresh_interval_seconds", map[string]string{"source": "kubernetes-apiserver"})
	require.Equal(t, 1.0, v, "the failed configuration's settings must not reach the running sources' series")
}
