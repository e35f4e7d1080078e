package daemon_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
}

func postReload(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/-/reload", "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	b := new(strings.Builder)
	_, _ = io.Copy(b, resp.Body)
	return resp.StatusCode, b.String()
}

// TestReloadKeepsRunningConfigOnError drives reloads against a real API
// server: a good reload takes effect, a bad one keeps the old config and
// says so in vigil_config_last_reload_successful, SIGHUP works too.
func TestReloadKeepsRunningConfigOnError(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	cfgFile := filepath.Join(t.TempDir(), "vigil.yml")
	writeConfig(t, cfgFile, "environment: staging\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  metrics_api: false\n")

	r := start(t, daemon.Options{ConfigFile: cfgFile, EnableLifecycle: true})
	r.waitReady(t)
	mfs := parse(t, get(t, r.url+"/metrics"))
	v, ok := value(mfs, "vigil_cluster_apiserver_up", map[string]string{"environment": "staging", "cluster": "envtest"})
	require.True(t, ok && v == 1, "the real API server is up")
	v, _ = value(mfs, "vigil_config_last_reload_successful", nil)
	assert.Equal(t, 1.0, v)

	// A broken file: refused, old config keeps running.
	writeConfig(t, cfgFile, "environment: production\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  probe_interval: sometimes\n")
	code, body := postReload(t, r.url)
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Contains(t, body, cfgFile+":5:")
	assert.Contains(t, body, "kubernetes.probe_interval")
	mfs = parse(t, get(t, r.url+"/metrics"))
	v, _ = value(mfs, "vigil_config_last_reload_successful", nil)
	assert.Equal(t, 0.0, v)
	_, ok = value(mfs, "vigil_cluster_apiserver_up", map[string]string{"environment": "staging"})
	assert.True(t, ok, "the previous configuration must keep running")
	assert.Contains(t, r.logs.String(), "previous configuration keeps running")

	// Fixed, and reloaded with SIGHUP as an operator would.
	writeConfig(t, cfgFile, "environment: production\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  metrics_api: false\n")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	require.Eventually(t, func() bool {
		mfs := parse(t, get(t, r.url+"/metrics"))
		v, ok := value(mfs, "vigil_cluster_apiserver_up", map[string]string{"environment": "production"})
		ok2, _ := value(mfs, "vigil_config_last_reload_successful", nil)
		return ok && v == 1 && ok2 == 1
	}, 30*time.Second, 100*time.Millisecond)

	// A reload that rebuilds the cluster collector shows no gap: the moment
	// it returns, the new informers have listed (the node is there) and the
	// data age did not reset. An unchanged file would keep the old collector
	// and prove nothing, so the namespace filter changes.
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "reload-gap-node"}}
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	_, err = kube.CoreV1().Nodes().Create(t.Context(), node, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = kube.CoreV1().Nodes().Delete(context.Background(), node.Name, metav1.DeleteOptions{}) })
	require.Eventually(t, func() bool {
		_, ok := value(parse(t, get(t, r.url+"/metrics")), "vigil_cluster_node_info", map[string]string{"node": node.Name})
		return ok
	}, 30*time.Second, 100*time.Millisecond)
	before := parse(t, get(t, r.url+"/metrics"))
	lastBefore, _ := value(before, "vigil_source_last_success_timestamp_seconds", map[string]string{"source": "kubernetes-apiserver"})
	require.Positive(t, lastBefore)
	writeConfig(t, cfgFile, "environment: production\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  metrics_api: false\n  namespaces:\n    exclude: [kube-public]\n")
	code, body = postReload(t, r.url)
	require.Equal(t, http.StatusOK, code, body)
	after := parse(t, get(t, r.url+"/metrics"))
	_, ok = value(after, "vigil_cluster_node_info", map[string]string{"node": node.Name})
	assert.True(t, ok, "the rebuilt collector's caches must be filled before it serves")
	lastAfter, _ := value(after, "vigil_source_last_success_timestamp_seconds", map[string]string{"source": "kubernetes-apiserver"})
	assert.GreaterOrEqual(t, lastAfter, lastBefore, "a reload must not reset the data age")
	up, _ := value(after, "vigil_source_up", map[string]string{"source": "kubernetes-apiserver"})
	assert.Equal(t, 1.0, up, "a reload must not show a false outage")
	v, ok = value(after, "vigil_cluster_apiserver_up", map[string]string{"environment": "production"})
	assert.True(t, ok && v == 1)
	assert.True(t, r.d.Ready(), "ready straight after a reload")

	resp, err := http.Get(r.url + "/-/reload")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestMain(m *testing.M) { os.Exit(testenv.RunShared(m)) }

// TestReloadEndpointNeedsLifecycleFlag: without --web.enable-lifecycle,
// POST /-/reload is refused and says how to reload instead.
func TestReloadEndpointNeedsLifecycleFlag(t *testing.T) {
	r := start(t, daemon.Options{Sandbox: true})
	code, body := postReload(t, r.url)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "--web.enable-lifecycle")
}

// requests sums vigil_source_api_requests_total of one source: what the
// exporter sent the API server, counted at the transport (informers' lists
// and watches included).
func requests(t *testing.T, url, source string) float64 {
	t.Helper()
	var sum float64
	for _, m := range parse(t, get(t, url+"/metrics"))["vigil_source_api_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "source" && l.GetValue() == source {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestReloadOfAnUnchangedConfigCostsNothing: ten reloads of the same file
// send nothing to the API server (no informer re-LIST, no extra probe); a
// new section builds only its own collector; a change to one setting of the
// cluster section rebuilds the collector (its informers list again) while
// the /version probe, whose key does not include that setting, keeps its
// snapshot instead of asking again.
func TestReloadOfAnUnchangedConfigCostsNothing(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	cfgFile := filepath.Join(t.TempDir(), "vigil.yml")
	kubeSection := "environment: staging\nkubernetes:\n  cluster: envtest\n  kubeconfig: " + kubeconfig +
		"\n  metrics_api: false\n  probe_interval: 1h\n"
	writeConfig(t, cfgFile, kubeSection)

	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)
	informers := requests(t, r.url, "kubernetes-informers")
	probes := requests(t, r.url, "kubernetes-apiserver")
	require.Positive(t, informers, "the informers listed and watched")
	require.Equal(t, 1.0, probes, "one /version probe so far")

	for range 10 {
		require.NoError(t, r.d.Reload())
	}
	assert.Equal(t, informers, requests(t, r.url, "kubernetes-informers"), "unchanged reloads must not list or watch again")
	assert.Equal(t, probes, requests(t, r.url, "kubernetes-apiserver"), "unchanged reloads must not probe again")

	// A new section: its collector is built, the cluster's is kept.
	dir := t.TempDir()
	writeConfig(t, cfgFile, kubeSection+"textfile:\n  directory: "+dir+"\n")
	require.NoError(t, r.d.Reload())
	assert.Equal(t, informers, requests(t, r.url, "kubernetes-informers"), "adding textfile must not touch the cluster collector")
	_, ok := value(parse(t, get(t, r.url+"/metrics")), "vigil_source_up", map[string]string{"source": "textfile"})
	assert.True(t, ok, "the new textfile source runs")

	// A setting only the metrics.k8s.io poller reads: the collector is
	// rebuilt (new informers list again), the probe's snapshot is adopted.
	writeConfig(t, cfgFile, strings.Replace(kubeSection, "probe_interval: 1h", "probe_interval: 1h\n  metrics_interval: 45s", 1)+
		"textfile:\n  directory: "+dir+"\n")
	require.NoError(t, r.d.Reload())
	assert.Greater(t, requests(t, r.url, "kubernetes-informers"), informers, "a changed section rebuilds its informers")
	assert.Equal(t, probes, requests(t, r.url, "kubernetes-apiserver"), "the probe's key is unchanged: its snapshot is adopted, not refetched")
	up, _ := value(parse(t, get(t, r.url+"/metrics")), "vigil_cluster_apiserver_up", map[string]string{"cluster": "envtest"})
	assert.Equal(t, 1.0, up, "the adopted probe result is served at once")
}

// TestDroppedSectionTakesItsSeries: a reload that removes the kubernetes
// section removes its sources' series, the informers' request and error
// counters included, rather than leaving them frozen.
func TestDroppedSectionTakesItsSeries(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	cfgFile := filepath.Join(t.TempDir(), "vigil.yml")
	dir := t.TempDir()
	writeConfig(t, cfgFile, "environment: staging\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+
		"\n  metrics_api: false\ntextfile:\n  directory: "+dir+"\n")
	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)
	require.Positive(t, requests(t, r.url, "kubernetes-informers"))

	writeConfig(t, cfgFile, "environment: staging\ntextfile:\n  directory: "+dir+"\n")
	require.NoError(t, r.d.Reload())
	text := get(t, r.url+"/metrics")
	for _, src := range []string{"kubernetes-informers", "kubernetes-apiserver"} {
		assert.NotContains(t, text, `source="`+src+`"`, "series of the dropped section's %s stayed", src)
	}
	assert.NotContains(t, text, "vigil_cluster_")
}
