package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
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

// TestTwoReplicasOnePage runs Vigil the way deploy/components/replicas does:
// two replicas watching the same cluster, both scraped by one Prometheus with
// the ServiceMonitor's relabeling (vigil_replica = the pod's name, so each
// replica is its own target), the real rules and one Alertmanager. A crash-looping
// pod is seen by both replicas and must page once: one notification, one
// alert, no vigil_replica label. Then one replica dies, as in a node drain: the
// alert neither resolves nor pages again.
func TestTwoReplicasOnePage(t *testing.T) {
	prom, kube, hook, stopB := replicaPipeline(t, true)
	// Both replicas are scraped, each its own target and series.
	require.Eventually(t, func() bool {
		return query(prom, `count(up{job="vigil"} == 1)`) == 2 && query(prom, `count(vigil_cluster_apiserver_up == 1)`) == 2
	}, 90*time.Second, 250*time.Millisecond, "Prometheus never scraped both replicas")
	assert.Equal(t, 2.0, query(prom, `count(count by (vigil_replica) (vigil_cluster_apiserver_up{instance="vigil/vigil",vigil_replica=~"vigil-5d8c7-(a|b)"}))`),
		"each replica's series carry its pod's name in vigil_replica, instance is namespace/service")

	// The fault, seen by both replicas: a container in CrashLoopBackOff.
	ctx := context.Background()
	_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	pod, err := kube.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "checkout-7d9f8", Namespace: "shop"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/shop/checkout:1.4"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "app", Image: "registry.example/shop/checkout:1.4", RestartCount: 4,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off restarting failed container"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: metav1.Now()}},
	}}}
	_, err = kube.CoreV1().Pods("shop").UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return query(prom, `count(vigil_cluster_pod_container_waiting{pod="checkout-7d9f8",reason="CrashLoopBackOff"} == 1)`) == 2
	}, 30*time.Second, 250*time.Millisecond, "both replicas see the crash loop")

	firing := hook.waitFor(t, "firing", "KubePodCrashLooping", "checkout-7d9f8", 60*time.Second)
	assert.NotContains(t, firing.alert.Labels, "vigil_replica", "the alert names the fault, not the replica that saw it")
	assert.Equal(t, "shop", firing.alert.Labels["namespace"])

	// A second alert for the same fault (one per replica) would join the
	// group and be notified at the next group_interval: wait several.
	time.Sleep(5 * time.Second)
	assert.Equal(t, 1, hook.count("firing", "KubePodCrashLooping", "checkout-7d9f8"), "one fault, two replicas: one notification")

	// Replica b dies (a node drain): its series go stale; the alert stays
	// the same alert, neither resolved nor paged again.
	stopB()
	require.Eventually(t, func() bool { return query(prom, `count(up{job="vigil"} == 1)`) == 1 },
		30*time.Second, 250*time.Millisecond)
	time.Sleep(5 * time.Second)
	assert.Equal(t, 1, hook.count("firing", "KubePodCrashLooping", "checkout-7d9f8"), "a replica gone pages nothing again")
	assert.Zero(t, hook.count("resolved", "KubePodCrashLooping", "checkout-7d9f8"), "a replica gone resolves nothing")
	for _, n := range hook.all() {
		t.Logf("received: %s %v", n.status, n.alert.Labels)
	}
}

// replicaRelabel is the replicas mode's addition to the ServiceMonitor:
// vigil_replica from the pod's name.
func replicaRelabel(on bool) string {
	if !on {
		return ""
	}
	return `      - action: replace
        source_labels: [__meta_kubernetes_pod_name]
        target_label: vigil_replica
`
}

// replicaPipeline starts two Vigil replicas on one envtest cluster, one
// Prometheus scraping both with the ServiceMonitor's relabeling (instance =
// namespace/service; with replicaLabel, vigil_replica = the pod's name, as
// deploy/components/replicas adds) and the real rules, and
// one Alertmanager delivering to a webhook. It returns the Prometheus API,
// the cluster, the webhook and a function that stops replica b.
func replicaPipeline(t *testing.T, replicaLabel bool) (promv1.API, kubernetes.Interface, *webhook, func()) {
	prometheus := testenv.Tool(t, "prometheus", "tools")
	alertmanager := testenv.Tool(t, "prometheus-alertmanager", "tools")
	rc := testenv.APIServer(t)
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	dir := t.TempDir()
	hook := newWebhook(t)

	// Two replicas in one process (one process each in a real deployment).
	addrA, runA := newReplica(t, filepath.Join(dir, "a"), rc)
	addrB, runB := newReplica(t, filepath.Join(dir, "b"), rc)
	runA()
	stopB := runB()

	amAddr := startAlertmanager(t, dir, alertmanager, hook.url)

	// The targets as the prometheus-operator builds them from the
	// ServiceMonitor (meta labels per endpoint), and the relabeling of
	// deploy/base (instance is namespace/service, the operator's
	// pod/namespace/... labels are dropped) with, if replicaLabel, the
	// replicas component's vigil_replica.
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
        labels: {__meta_kubernetes_namespace: vigil, __meta_kubernetes_service_name: vigil, __meta_kubernetes_pod_name: vigil-5d8c7-a, pod: vigil-5d8c7-a, namespace: vigil}
      - targets: [%q]
        labels: {__meta_kubernetes_namespace: vigil, __meta_kubernetes_service_name: vigil, __meta_kubernetes_pod_name: vigil-5d8c7-b, pod: vigil-5d8c7-b, namespace: vigil}
    relabel_configs:
      - action: replace
        source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_service_name]
        separator: /
        target_label: instance
%s      - action: labeldrop
        regex: (pod|service|endpoint|namespace|container)
`, model.Duration(scrapeInterval), model.Duration(evalInterval), rules, amAddr, addrA, addrB, replicaRelabel(replicaLabel)))
	startProcess(t, "prometheus", prometheus, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr, "--rules.alert.resend-delay=1s")

	client, err := api.NewClient(api.Config{Address: "http://" + promAddr})
	require.NoError(t, err)
	return promv1.NewAPI(client), kube, hook, stopB
}

// TestTwoReplicasOneIdentityShareOneSeries is why the replicas component
// adds vigil_replica to the ServiceMonitor: with deploy/base's relabeling
// alone (instance = namespace/service, pod dropped) two replicas are two
// targets with the same labels. Prometheus scrapes both, into the same series: each series holds
// the samples of both replicas, interleaved (up has two samples a scrape
// interval), so neither replica's data can be told apart, and a replica that
// disagrees (one not yet synced, or unable to reach an API) makes the
// series flap between both answers.
func TestTwoReplicasOneIdentityShareOneSeries(t *testing.T) {
	prom, _, _, _ := replicaPipeline(t, false)
	require.Eventually(t, func() bool { return query(prom, `count(up{job="vigil"} == 1)`) == 1 },
		90*time.Second, 250*time.Millisecond, "Prometheus never scraped the replicas")
	time.Sleep(12 * time.Second)
	assert.Equal(t, 1.0, query(prom, `count(up{job="vigil"})`), "two targets, one series")
	assert.Equal(t, 1.0, query(prom, `count(vigil_cluster_apiserver_up)`), "two replicas, one series")
	// Both targets are scraped and healthy, yet there is one series: they
	// write into it in turn. (Counting its samples against one target's
	// rate depends on how punctually a loaded machine scrapes.)
	require.Eventually(t, func() bool {
		res, err := prom.Targets(context.Background())
		if err != nil {
			return false
		}
		healthy := 0
		for _, target := range res.Active {
			if target.Labels["job"] == "vigil" && target.Health == promv1.HealthGood {
				healthy++
			}
		}
		return healthy == 2
	}, 30*time.Second, 250*time.Millisecond, "Prometheus scrapes both replicas' targets")
	assert.Equal(t, 1.0, query(prom, `count(up{job="vigil"})`), "two healthy targets, still one series")
	t.Logf("up{job=\"vigil\"}: 1 series, %v samples in 10s at a 1s interval",
		query(prom, `sum(count_over_time(up{job="vigil"}[10s]))`))
}

// newReplica builds one Vigil daemon on the cluster and returns its address
// and a function that runs it, which returns a function that stops it
// (idempotent; also run at cleanup).
func newReplica(t *testing.T, dir string, rc *rest.Config) (string, func() func()) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	cfg := filepath.Join(dir, "vigil.yml")
	writeFile(t, cfg, "environment: e2e\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+"\n  metrics_api: false\n  probe_interval: 1s\n")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	d, err := daemon.New(daemon.Options{ConfigFile: cfg, Listeners: []net.Listener{l}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	return l.Addr().String(), func() func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = d.Run(ctx); close(done) }()
		stop := func() { cancel(); <-done }
		t.Cleanup(stop)
		return stop
	}
}

func (h *webhook) count(status, alertname, pod string) int {
	n := 0
	for _, got := range h.all() {
		if got.status == status && got.alert.Labels["alertname"] == alertname && got.alert.Labels["pod"] == pod {
			n++
		}
	}
	return n
}

func (h *webhook) all() []notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]notification(nil), h.got...)
}
