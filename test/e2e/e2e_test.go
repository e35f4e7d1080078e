// Package e2e runs the whole paging path with real parts: a kube-apiserver
// (envtest), the exporter, Prometheus loaded with the rules from alerts/, and
// Alertmanager delivering to a webhook served by the test.
package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// The pipeline's timing: each stage adds at most its interval.
const (
	scrapeInterval = time.Second
	evalInterval   = time.Second
	forDuration    = 2 * time.Second // every rule's `for`, compressed
	groupWait      = time.Second
)

func TestFaultToPage(t *testing.T) {
	prometheus := testenv.Tool(t, "prometheus", "tools")
	alertmanager := testenv.Tool(t, "prometheus-alertmanager", "tools")
	rc := testenv.APIServer(t)
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	dir := t.TempDir()

	// The webhook receiver: records every notification.
	hook := newWebhook(t)

	// The exporter, watching the real API server.
	exporterAddr := startExporter(t, dir, rc)

	// Alertmanager, routing everything to the webhook.
	amAddr := startAlertmanager(t, dir, alertmanager, hook.url)

	// Prometheus with the real rules, time compressed.
	rules := filepath.Join(dir, "rules.yml")
	writeFile(t, rules, compressedRules(t))
	promAddr := freeAddr(t)
	promConfig := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promConfig, fmt.Sprintf(`global:
  scrape_interval: %s
  evaluation_interval: %s
rule_files: [%s]
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: vigil
    static_configs:
      - targets: [%q]
`, model.Duration(scrapeInterval), model.Duration(evalInterval), rules, amAddr, exporterAddr))
	startProcess(t, "prometheus", prometheus, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr, "--rules.alert.resend-delay=1s")

	client, err := api.NewClient(api.Config{Address: "http://" + promAddr})
	require.NoError(t, err)
	prom := promv1.NewAPI(client)
	// Measure the alert pipeline, not start-up: wait until Prometheus scrapes us.
	require.Eventually(t, func() bool {
		return query(prom, `up{job="vigil"}`) == 1 && query(prom, `vigil_cluster_apiserver_up`) == 1
	}, 90*time.Second, 250*time.Millisecond, "Prometheus never scraped the exporter")

	// A healthy pod first: no page.
	ctx := context.Background()
	_, err = kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	pod, err := kube.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "checkout-7d9f8", Namespace: "shop"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/shop/checkout:1.4"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "app", Ready: true, Image: "registry.example/shop/checkout:1.4",
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
	}}}
	pod, err = kube.CoreV1().Pods("shop").UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return query(prom, `vigil_cluster_pod_phase{pod="checkout-7d9f8",phase="Running"}`) == 1 },
		30*time.Second, 250*time.Millisecond)

	// The fault: the container crash-loops the way the kubelet shows it. It
	// waits in CrashLoopBackOff, runs, crashes and waits again, its restart
	// count growing; the waiting series vanishes each time it runs, which is
	// what kept the old rule (waiting == 1 for 5m) from ever firing on a
	// slow loop: the kubelet's backoff (at most 5 minutes) never outlasted
	// its `for` (5 minutes). Compressed alike: each waiting phase is shorter
	// than forDuration, and each phase spans at least one scrape.
	const waitingFor, runningFor = scrapeInterval + scrapeInterval/2, scrapeInterval + scrapeInterval/2
	faultAt := time.Now()
	loopCtx, stopLoop := context.WithCancel(ctx)
	loopDone := make(chan error, 1)
	go func() {
		defer close(loopDone)
		p := pod.DeepCopy()
		for restarts := int32(1); ; restarts++ {
			p.Status.ContainerStatuses[0] = corev1.ContainerStatus{
				Name: "app", Image: "registry.example/shop/checkout:1.4", RestartCount: restarts,
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off restarting failed container"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: metav1.Now()}},
			}
			var err error
			if p, err = kube.CoreV1().Pods("shop").UpdateStatus(loopCtx, p, metav1.UpdateOptions{}); err != nil {
				loopDone <- err
				return
			}
			select {
			case <-loopCtx.Done():
				return
			case <-time.After(waitingFor):
			}
			p.Status.ContainerStatuses[0].RestartCount = restarts + 1
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
			if p, err = kube.CoreV1().Pods("shop").UpdateStatus(loopCtx, p, metav1.UpdateOptions{}); err != nil {
				loopDone <- err
				return
			}
			select {
			case <-loopCtx.Done():
				return
			case <-time.After(runningFor):
			}
		}
	}()

	firing := hook.waitFor(t, "firing", "KubePodCrashLooping", "checkout-7d9f8", 60*time.Second)
	pageAfter := firing.received.Sub(faultAt)
	stopLoop()
	if err := <-loopDone; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("driving the crash loop: %v", err)
	}
	assert.Equal(t, "shop", firing.alert.Labels["namespace"])
	assert.Equal(t, "app", firing.alert.Labels["container"])
	assert.Equal(t, "page", firing.alert.Labels["severity"], "a crash-looping pod pages")
	assert.Contains(t, firing.alert.Annotations["summary"]+firing.alert.Annotations["description"], "checkout-7d9f8")
	assertRunbookExists(t, firing.alert.Annotations["runbook_url"])

	// Cleared: a rollout replaces the pod. Its series vanish and the page
	// resolves at once, although the restarts of the last hour are still
	// in Prometheus' window.
	zero := int64(0)
	clearedAt := time.Now()
	require.NoError(t, kube.CoreV1().Pods("shop").Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	resolved := hook.waitFor(t, "resolved", "KubePodCrashLooping", "checkout-7d9f8", 90*time.Second)

	// No page can come sooner than for + group_wait; scrape and evaluation
	// add up to one interval each on top, depending on where the fault falls.
	floor := forDuration + groupWait
	bound := scrapeInterval + evalInterval + forDuration + groupWait
	assert.GreaterOrEqual(t, pageAfter, floor, "a page sooner than for + group_wait means the rule did not wait")
	t.Logf("fault to page: %s (alert %s); floor for %s + group_wait %s = %s; bound scrape %s + evaluation %s + for + group_wait = %s; resolved %s after the pod was replaced",
		pageAfter.Round(10*time.Millisecond), firing.alert.Labels["alertname"], forDuration, groupWait, floor,
		scrapeInterval, evalInterval, bound, resolved.received.Sub(clearedAt).Round(10*time.Millisecond))
	if out := os.Getenv("VIGIL_E2E_REPORT"); out != "" {
		_ = os.WriteFile(out, fmt.Appendf(nil, "fault_to_page_seconds %.2f\nfloor_seconds %.0f\nbound_seconds %.0f\nresolve_seconds %.2f\n",
			pageAfter.Seconds(), floor.Seconds(), bound.Seconds(), resolved.received.Sub(clearedAt).Seconds()), 0o644)
	}
}

// compressedRules returns every rule file of alerts/ merged into one, with
// each `for:` set to forDuration so the test runs in seconds. Nothing else
// changes: the expressions, labels and annotations are the real ones.
func compressedRules(t *testing.T) string {
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "alerts", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no rule files in alerts/")
	var groups []string
	forLine := regexp.MustCompile(`(?m)^(\s+)for:\s*\S+\s*$`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		text := forLine.ReplaceAllString(string(b), "${1}for: "+model.Duration(forDuration).String())
		idx := strings.Index(text, "groups:")
		require.GreaterOrEqual(t, idx, 0, "%s has no groups", f)
		groups = append(groups, strings.TrimRight(text[idx+len("groups:"):], "\n"))
	}
	return "groups:" + strings.Join(groups, "\n") + "\n"
}

func assertRunbookExists(t *testing.T, url string) {
	t.Helper()
	const marker = "/blob/main/"
	i := strings.Index(url, marker)
	require.GreaterOrEqual(t, i, 0, "runbook_url %q does not point into the repository", url)
	_, err := os.Stat(filepath.Join(testenv.RepoRoot(), url[i+len(marker):]))
	assert.NoError(t, err, "runbook_url %q names a file that does not exist", url)
}

func startExporter(t *testing.T, dir string, rc *rest.Config) string {
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	cfg := filepath.Join(dir, "vigil.yml")
	writeFile(t, cfg, "environment: e2e\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  metrics_api: false\n  probe_interval: 1s\n")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	d, err := daemon.New(daemon.Options{ConfigFile: cfg, Listeners: []net.Listener{l}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l.Addr().String()
}

func startProcess(t *testing.T, name, bin string, args ...string) {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), name+".log")
	out, err := os.Create(logFile)
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start(), "starting %s", name)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("%s log:\n%s", name, tail(string(b), 40))
		}
	})
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func writeFile(t *testing.T, path, text string) {
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
}

func query(prom promv1.API, q string) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, _, _, err := prom.Query(ctx, q, time.Now())
	if err != nil {
		return -1
	}
	vec, ok := v.(model.Vector)
	if !ok || len(vec) == 0 {
		return -1
	}
	return float64(vec[0].Value)
}

// webhook is Alertmanager's receiver, as the on-call's pager would be.
type webhook struct {
	url string
	mu  sync.Mutex
	got []notification
}

type notification struct {
	received time.Time
	status   string
	alert    struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	}
}

func newWebhook(t *testing.T) *webhook {
	h := &webhook{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Alerts []json.RawMessage `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		now := time.Now()
		h.mu.Lock()
		for _, raw := range msg.Alerts {
			n := notification{received: now}
			if json.Unmarshal(raw, &n.alert) == nil {
				n.status = n.alert.Status
				h.got = append(h.got, n)
			}
		}
		h.mu.Unlock()
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	h.url = "http://" + l.Addr().String() + "/"
	return h
}

// waitFor returns the first notification of an alert with that name and
// status about the pod; other alerts about the same pod do not count.
func (h *webhook) waitFor(t *testing.T, status, alertname, pod string, within time.Duration) notification {
	t.Helper()
	var found notification
	ok := assert.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, n := range h.got {
			if n.status == status && n.alert.Labels["alertname"] == alertname && n.alert.Labels["pod"] == pod {
				found = n
				return true
			}
		}
		return false
	}, within, 50*time.Millisecond, "no %s notification of %s for pod %s", status, alertname, pod)
	if !ok {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, n := range h.got {
			t.Logf("received: %s %v", n.status, n.alert.Labels)
		}
		t.FailNow()
	}
	return found
}

// startAlertmanager starts a real Alertmanager in dir that routes every
// alert to the webhook at hookURL (grouped per alert and pod, group_wait
// compressed like the rules), and returns its address.
func startAlertmanager(t *testing.T, dir, bin, hookURL string) string {
	t.Helper()
	amAddr := freeAddr(t)
	amConfig := filepath.Join(dir, "alertmanager.yml")
	writeFile(t, amConfig, fmt.Sprintf(`route:
  receiver: webhook
  group_by: [alertname, namespace, pod]
  group_wait: %s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: %s
        send_resolved: true
`, model.Duration(groupWait), hookURL))
	startProcess(t, "alertmanager", bin, "--config.file="+amConfig, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	return amAddr
}
