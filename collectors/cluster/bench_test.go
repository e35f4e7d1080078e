package cluster_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// The scale of issue 2's benchmark: what kube-state-metrics scrapes in about
// 2.5 s (p50) on this machine kind.
const (
	benchNodes = 1000
	benchPods  = 30000
)

// BenchmarkRenderAPIServer is the benchmark of record: a real kube-apiserver
// holding 1,000 nodes and 30,000 pods (status written as kubelets would),
// the collector's informers synced from it, then scrapes rendered into
// io.Discard. Loading takes a minute or two on 2 cores.
//
//	go test -run '^$' -bench BenchmarkRenderAPIServer -benchmem -benchtime 50x ./collectors/cluster/
func BenchmarkRenderAPIServer(b *testing.B) {
	rc := testenv.APIServer(b)
	rc.QPS, rc.Burst = 5000, 10000
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	loadAPIServer(b, kube)
	b.Logf("loaded %d nodes and %d pods into kube-apiserver in %s", benchNodes, benchPods, time.Since(start).Round(time.Second))
	benchRender(b, kube, nil)
}

// BenchmarkRenderFake is the quick loop: the same cluster served by
// client-go's fake clientset (object tracker), same informer path, with
// metrics.k8s.io usage for every node and pod.
//
//	go test -run '^$' -bench BenchmarkRenderFake -benchmem ./collectors/cluster/
func BenchmarkRenderFake(b *testing.B) {
	kube := fake.NewSimpleClientset()
	metrics := metricsfake.NewSimpleClientset()
	tr, mtr := kube.Tracker(), metrics.Tracker()
	nodeGVR, podGVR := corev1.SchemeGroupVersion.WithResource("nodes"), corev1.SchemeGroupVersion.WithResource("pods")
	for i := range benchNodes {
		must(b, tr.Create(nodeGVR, benchNode(i), ""))
		must(b, mtr.Create(metricsv1beta1.SchemeGroupVersion.WithResource("nodes"), &metricsv1beta1.NodeMetrics{
			ObjectMeta: metav1.ObjectMeta{Name: nodeName(i)}, Usage: corev1.ResourceList{
				corev1.ResourceCPU: *resource.NewScaledQuantity(int64(1e9+i*7919), resource.Nano), corev1.ResourceMemory: resource.MustParse("9Gi")}}, ""))
	}
	for i := range benchPods {
		p := benchPod(i)
		p.Status = benchPodStatus(i, p)
		must(b, tr.Create(podGVR, p, p.Namespace))
		must(b, mtr.Create(schema.GroupVersionResource{Group: "metrics.k8s.io", Version: "v1beta1", Resource: "pods"}, &metricsv1beta1.PodMetrics{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}, Containers: []metricsv1beta1.ContainerMetrics{{Name: "app",
				Usage: corev1.ResourceList{corev1.ResourceCPU: *resource.NewScaledQuantity(int64(1e6+i), resource.Nano), corev1.ResourceMemory: resource.MustParse("120Mi")}}}}, p.Namespace))
	}
	benchRender(b, kube, metrics)
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

func benchRender(b *testing.B, kube kubernetes.Interface, metrics *metricsfake.Clientset) {
	runtime.GC()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	cfg := cluster.Config{Environment: "bench", Cluster: "bench", MetricsInterval: time.Hour}
	var r *running
	if metrics != nil {
		cfg.MetricsAPI = true
		r = start(b, cfg, kube, metrics)
	} else {
		r = start(b, cfg, kube, nil)
	}
	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heapPerPod := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / benchPods

	var count lineCounter
	if err := r.c.RenderText(&count); err != nil {
		b.Fatal(err)
	}
	b.Logf("one scrape: %d series, %.1f MiB of text", count.series, float64(count.bytes)/(1<<20))

	var durations []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := r.c.RenderText(io.Discard); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[min(len(durations)-1, int(p*float64(len(durations))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(count.series), "series")
	b.ReportMetric(heapPerPod, "heap-B/pod")
	debug.FreeOSMemory() // RSS of what is live, not of the load phase's garbage
	b.ReportMetric(rssMiB(b), "rss-MiB")
	runtime.KeepAlive(r)
}

type lineCounter struct{ series, bytes int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.bytes += len(p)
	for _, line := range strings.Split(string(p), "\n") {
		if line != "" && line[0] != '#' {
			c.series++
		}
	}
	return len(p), nil
}

func rssMiB(b *testing.B) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// loadAPIServer creates the nodes and pods with several goroutines, then
// writes their status (the API server drops status on create).
func loadAPIServer(b *testing.B, kube kubernetes.Interface) {
	ctx := context.Background()
	for i := range benchNamespaces {
		_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsName(i)}}, metav1.CreateOptions{})
		must(b, err)
	}
	parallel(b, benchNodes, func(i int) error {
		n, err := kube.CoreV1().Nodes().Create(ctx, benchNode(i), metav1.CreateOptions{})
		if err != nil {
			return err
		}
		n.Status = benchNode(i).Status
		_, err = kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
	parallel(b, benchPods, func(i int) error {
		p, err := kube.CoreV1().Pods(nsName(i%benchNamespaces)).Create(ctx, benchPod(i), metav1.CreateOptions{})
		if err != nil {
			return err
		}
		p.Status = benchPodStatus(i, p)
		_, err = kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	})
}

func parallel(b *testing.B, n int, f func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = fmt.Errorf("object %d: %w", i, err) })
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

const benchNamespaces = 40

func nsName(i int) string { return fmt.Sprintf("team-%02d", i) }
func nodeName(i int) string {
	return fmt.Sprintf("ip-10-%d-%d-%d.eu-central-1.compute.internal", i/65536, i/256%256, i%256)
}

func benchNode(i int) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: nodeName(i), Labels: map[string]string{
			"kubernetes.io/hostname": nodeName(i), "node.kubernetes.io/instance-type": "m6i.2xlarge",
			"topology.kubernetes.io/zone": fmt.Sprintf("eu-central-1%c", 'a'+i%3)}},
		Status: corev1.NodeStatus{
			Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), corev1.ResourcePods: resource.MustParse("110")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("7910m"), corev1.ResourceMemory: resource.MustParse("31Gi"), corev1.ResourcePods: resource.MustParse("110")},
			Addresses:   []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)}, {Type: corev1.NodeHostName, Address: nodeName(i)}},
			NodeInfo:    corev1.NodeSystemInfo{KubeletVersion: "v1.31.4", ContainerRuntimeVersion: "containerd://1.7.23", OSImage: "Bottlerocket OS 1.26.1", Architecture: "amd64", OperatingSystem: "linux"},
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory"},
				{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure"},
				{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID"},
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"},
			},
		},
	}
}

// benchPod: 30 pods per node, every other pod with a sidecar, requests on
// all, limits on most.
func benchPod(i int) *corev1.Pod {
	app := fmt.Sprintf("svc-%03d", i/30%700)
	rs := app + "-7d9f8c6b5"
	yes := true
	containers := []corev1.Container{{Name: "app", Image: "registry.example.com/" + app + ":1.42.0",
		Ports: []corev1.ContainerPort{{ContainerPort: 8080, Name: "http"}},
		Env:   []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "PORT", Value: "8080"}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")}}}}
	if i%2 == 0 {
		containers = append(containers, corev1.Container{Name: "envoy", Image: "envoyproxy/envoy:v1.32.1",
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}})
	}
	node := nodeName(i % benchNodes)
	if i%500 == 7 {
		node = "" // unschedulable, see benchPodStatus
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%05d", rs, i), Namespace: nsName(i % benchNamespaces),
			Labels: map[string]string{"app.kubernetes.io/name": app, "pod-template-hash": "7d9f8c6b5"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs,
				UID: "6c1e2f7a-0000-4000-8000-000000000001", Controller: &yes}}},
		Spec: corev1.PodSpec{NodeName: node, Containers: containers},
	}
}

// benchPodStatus: mostly running; 1 % crash-looping with an OOMKilled last
// state, 0.5 % pulling images in vain, 0.2 % unschedulable.
func benchPodStatus(i int, p *corev1.Pod) corev1.PodStatus {
	started := metav1.NewTime(time.Now().Add(-time.Duration(i%1000) * time.Minute).Truncate(time.Second))
	st := corev1.PodStatus{Phase: corev1.PodRunning, HostIP: "10.0.0.1", PodIP: fmt.Sprintf("100.64.%d.%d", i/256%256, i%256), StartTime: &started,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	for _, c := range p.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Ready: true, Image: c.Image,
			ImageID: c.Image + "@sha256:4c1d", ContainerID: fmt.Sprintf("containerd://%064x", i), RestartCount: int32(i % 3),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}})
	}
	cs := &st.ContainerStatuses[0]
	switch {
	case i%100 == 1:
		cs.Ready, cs.RestartCount = false, 12
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s"}}
		cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled", StartedAt: started, FinishedAt: started}}
	case i%200 == 3:
		st.Phase = corev1.PodPending
		cs.Ready = false
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}
	case i%500 == 7:
		st = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: "Unschedulable", Message: "0/1000 nodes are available: 1000 Insufficient memory."}}}
	}
	return st
}
