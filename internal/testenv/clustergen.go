package testenv

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Cluster describes a generated cluster: what GenerateCluster writes into a
// real kube-apiserver (envtest) for tests and benchmarks of the cluster
// collector. Statuses are what kubelets and controllers would write, in the
// proportions a busy cluster shows: most nodes Ready, 1 % NotReady with the
// unreachable taint, 0.5 % cordoned; most pods Running, 1 % crash-looping
// after an OOMKill, 0.5 % failing to pull their image, 0.2 % unschedulable,
// 1 % Succeeded (jobs); a Deployment per 30 pods (every tenth with one
// replica, every seventh not fully ready), a StatefulSet and a DaemonSet per
// namespace, and an HPA for every fifth Deployment (every third of them at
// its maximum).
type Cluster struct {
	// Prefix starts every namespace and node name: unique per test run, so
	// tests sharing one API server never see each other's objects.
	Prefix     string
	Nodes      int
	Pods       int
	Namespaces int // default 10
	// Workers writing concurrently (default 16).
	Workers int
}

// NodeName and Namespace name the generated objects.
func (c Cluster) NodeName(i int) string  { return fmt.Sprintf("%s-node-%05d", c.Prefix, i) }
func (c Cluster) Namespace(i int) string { return fmt.Sprintf("%s-ns-%02d", c.Prefix, i) }

// GenerateCluster creates the cluster's objects, then writes their status
// (the API server drops status on create). It fails the test on any error.
func GenerateCluster(tb testing.TB, kube kubernetes.Interface, c Cluster) {
	tb.Helper()
	if c.Namespaces <= 0 {
		c.Namespaces = 10
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	ctx := context.Background()
	for i := range c.Namespaces {
		if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.Namespace(i)}}, metav1.CreateOptions{}); err != nil {
			tb.Fatalf("clustergen: namespace %s: %v", c.Namespace(i), err)
		}
	}
	run(tb, c.Workers, c.Nodes, func(i int) error { return c.node(ctx, kube, i) })
	run(tb, c.Workers, c.Pods, func(i int) error { return c.pod(ctx, kube, i) })
	deployments := max(1, c.Pods/30)
	run(tb, c.Workers, deployments, func(i int) error { return c.deployment(ctx, kube, i) })
	run(tb, c.Workers, c.Namespaces, func(i int) error { return c.perNamespace(ctx, kube, i) })
}

// run calls f for 0..n-1 on workers goroutines; the first error fails tb.
func run(tb testing.TB, workers, n int, f func(i int) error) {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
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
		tb.Fatalf("clustergen: %v", first)
	}
}

func (c Cluster) node(ctx context.Context, kube kubernetes.Interface, i int) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: c.NodeName(i), Labels: map[string]string{
		"node.kubernetes.io/instance-type": "m6i.2xlarge", "topology.kubernetes.io/zone": fmt.Sprintf("eu-central-1%c", 'a'+i%3)}}}
	if i%200 == 5 {
		n.Spec.Unschedulable = true
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: "node.kubernetes.io/unschedulable", Effect: corev1.TaintEffectNoSchedule})
	}
	ready := corev1.ConditionTrue
	if i%100 == 3 {
		ready = corev1.ConditionUnknown
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute})
	}
	created, err := kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Status = corev1.NodeStatus{
		Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), corev1.ResourcePods: resource.MustParse("110")},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("7910m"), corev1.ResourceMemory: resource.MustParse("31Gi"), corev1.ResourcePods: resource.MustParse("110")},
		Addresses:   []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)}},
		NodeInfo:    corev1.NodeSystemInfo{KubeletVersion: "v1.31.4", ContainerRuntimeVersion: "containerd://1.7.23", Architecture: "amd64", OperatingSystem: "linux"},
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory"},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure"},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID"},
			{Type: corev1.NodeReady, Status: ready, Reason: "KubeletReady"},
		},
	}
	_, err = kube.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

func (c Cluster) pod(ctx context.Context, kube kubernetes.Interface, i int) error {
	dep := fmt.Sprintf("svc-%04d", i/30)
	rs := dep + "-7d9f8c6b5"
	yes := true
	containers := []corev1.Container{{Name: "app", Image: "registry.example.com/" + dep + ":1.42.0",
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")}}}}
	if i%2 == 0 {
		containers = append(containers, corev1.Container{Name: "envoy", Image: "envoyproxy/envoy:v1.32.1",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")}}})
	}
	node := ""
	if c.Nodes > 0 && i%500 != 7 {
		node = c.NodeName(i % c.Nodes)
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%06d", rs, i), Namespace: c.Namespace(i / 30 % c.Namespaces),
			Labels: map[string]string{"app.kubernetes.io/name": dep},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs,
				UID: "6c1e2f7a-0000-4000-8000-000000000001", Controller: &yes}}},
		Spec: corev1.PodSpec{NodeName: node, Containers: containers},
	}
	created, err := kube.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Status = podStatus(i, created)
	_, err = kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

// podStatus: the proportions documented on Cluster.
func podStatus(i int, p *corev1.Pod) corev1.PodStatus {
	started := metav1.NewTime(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).Add(-time.Duration(i%1000) * time.Minute))
	st := corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("100.64.%d.%d", i/256%256, i%256), StartTime: &started,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	for _, ctr := range p.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: ctr.Name, Ready: true, Image: ctr.Image,
			ImageID: ctr.Image + "@sha256:4c1d", RestartCount: int32(i % 3),
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
	case i%100 == 50:
		st.Phase = corev1.PodSucceeded
		for j := range st.ContainerStatuses {
			st.ContainerStatuses[j].Ready = false
			st.ContainerStatuses[j].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", StartedAt: started, FinishedAt: started}}
		}
	}
	return st
}

func (c Cluster) deployment(ctx context.Context, kube kubernetes.Interface, i int) error {
	name := fmt.Sprintf("svc-%04d", i)
	ns := c.Namespace(i % c.Namespaces)
	replicas := int32(3)
	if i%10 == 0 {
		replicas = 1
	}
	labels := map[string]string{"app.kubernetes.io/name": name}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/" + name + ":1.42.0"}}}}}}
	created, err := kube.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	ready := replicas
	if i%7 == 3 {
		ready = replicas - 1
	}
	created.Status = appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: ready, AvailableReplicas: ready, UpdatedReplicas: replicas}
	if _, err := kube.AppsV1().Deployments(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return err
	}
	if i%5 != 0 {
		return nil
	}
	minR, maxR := int32(2), int32(10)
	current := int32(4)
	if i%15 == 0 {
		current = maxR
	}
	h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: &minR, MaxReplicas: maxR,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name}}}
	hc, err := kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, h, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	hc.Status = autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: current, DesiredReplicas: current}
	_, err = kube.AutoscalingV2().HorizontalPodAutoscalers(ns).UpdateStatus(ctx, hc, metav1.UpdateOptions{})
	return err
}

// perNamespace writes one StatefulSet (a database, one replica short in
// every fourth namespace) and one DaemonSet (a log shipper on every node).
func (c Cluster) perNamespace(ctx context.Context, kube kubernetes.Interface, i int) error {
	ns := c.Namespace(i)
	labels := map[string]string{"app.kubernetes.io/name": "db"}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "db", Image: "postgres:17"}}}}
	three := int32(3)
	s, err := kube.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Spec: appsv1.StatefulSetSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	ready := three
	if i%4 == 1 {
		ready = 2
	}
	s.Status = appsv1.StatefulSetStatus{Replicas: three, ReadyReplicas: ready, AvailableReplicas: ready, UpdatedReplicas: three}
	if _, err := kube.AppsV1().StatefulSets(ns).UpdateStatus(ctx, s, metav1.UpdateOptions{}); err != nil {
		return err
	}
	labels = map[string]string{"app.kubernetes.io/name": "logs"}
	tmpl.ObjectMeta.Labels = labels
	d, err := kube.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "logs", Namespace: ns},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	n := int32(c.Nodes)
	d.Status = appsv1.DaemonSetStatus{DesiredNumberScheduled: n, CurrentNumberScheduled: n, NumberReady: n - n/100, NumberAvailable: n - n/100, UpdatedNumberScheduled: n}
	_, err = kube.AppsV1().DaemonSets(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	return err
}
