// Package sandbox holds in-process stand-ins for the upstream APIs, for
// `--sandbox` (a newcomer sees Vigil work with no cluster or cloud account)
// and for tests.
package sandbox

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"
)

// Names of the sandbox's faulty objects, for tests and docs.
const (
	CrashLoopPod       = "payments-worker-7c9f8d6b5-x2k4q" // payments: CrashLoopBackOff, 12 restarts
	ImagePullPod       = "payments-api-5d8b7f9c4-h7n2m"    // payments: ImagePullBackOff
	OOMKilledPod       = "api-6f7d9c8b5-q8w3e"             // shop: last terminated OOMKilled
	UnschedulablePod   = "report-generator-0"              // batch: Pending, PodScheduled=False
	SingleReplica      = "checkout"                        // shop: Deployment with 1 replica
	MismatchDeployment = "payments-worker"                 // payments: 3 desired, 1 ready
	UnreachableNode    = "sandbox-node-4"                  // tainted unreachable, Ready=Unknown
	HighMemoryNode     = "sandbox-node-3"                  // about 90 % of its memory in use
	MaxedHPA           = "web"                             // shop: HPA at its maximum
	ServerVersion      = "v1.31.4+k3s1"
)

// Cluster returns client-go fake clientsets preloaded with a small cluster: a
// realistic mix of healthy objects and the runbooks' faults. They serve list
// and watch from client-go's object tracker, so the collector runs its real
// informer code path on them. Timestamps are relative to now.
func Cluster() (kubernetes.Interface, metricsclient.Interface) {
	now := time.Now()
	b := &builder{now: now}
	b.objects()

	kube := fake.NewSimpleClientset(b.kube...)
	kube.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{
		Major: "1", Minor: "31", GitVersion: ServerVersion, Platform: "linux/amd64",
	}

	// The fake metrics clientset lists NodeMetrics under the resource "nodes"
	// and PodMetrics under "pods" (as the real API does), while its tracker
	// would guess "nodemetricses" from the kind: add them under the right
	// resource explicitly.
	metrics := metricsfake.NewSimpleClientset()
	tr := metrics.Tracker()
	for _, nm := range b.nodeMetrics {
		mustAdd(tr.Create(metricsv1beta1.SchemeGroupVersion.WithResource("nodes"), nm, ""))
	}
	for _, pm := range b.podMetrics {
		mustAdd(tr.Create(metricsv1beta1.SchemeGroupVersion.WithResource("pods"), pm, pm.Namespace))
	}
	return kube, metrics
}

func mustAdd(err error) {
	if err != nil {
		panic(fmt.Sprintf("sandbox: building the demo cluster: %v", err)) // fixed data: a bug, not input
	}
}

type builder struct {
	now         time.Time
	kube        []runtime.Object
	nodeMetrics []*metricsv1beta1.NodeMetrics
	podMetrics  []*metricsv1beta1.PodMetrics
	seq         int
}

const gi = int64(1) << 30

func (b *builder) ago(d time.Duration) metav1.Time {
	return metav1.NewTime(b.now.Add(-d).Truncate(time.Second))
}

func (b *builder) objects() {
	for i := 1; i <= 3; i++ {
		b.node(fmt.Sprintf("sandbox-node-%d", i), i, corev1.ConditionTrue)
	}
	b.node(UnreachableNode, 4, corev1.ConditionUnknown)

	// shop: a healthy web tier with an HPA at its maximum, an API whose
	// container was OOMKilled recently, a single-replica checkout and a
	// database StatefulSet.
	b.deployment("shop", "web", 3, 3)
	b.pods("shop", "web", "web-7d4b9c6f8", 3, "nginx", 1, 0)
	b.hpa("shop", MaxedHPA, "web", 2, 3, 3)
	b.deployment("shop", "api", 2, 2)
	b.pods("shop", "api", "api-6f7d9c8b5", 1, "api", 2, 0)
	oom := b.pod("shop", OOMKilledPod, "sandbox-node-2", "ReplicaSet", "api-6f7d9c8b5", corev1.PodRunning, b.running("api", 3))
	oom.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{
		ExitCode: 137, Reason: "OOMKilled", StartedAt: b.ago(40 * time.Minute), FinishedAt: b.ago(4 * time.Minute),
	}
	b.deployment("shop", SingleReplica, 1, 1)
	b.pods("shop", SingleReplica, "checkout-84c6d7f5b9", 1, "checkout", 1, 0)
	b.statefulSet("shop", "postgres", 1, 1)
	b.pods("shop", "postgres", "", 1, "postgres", 1, 0)

	// payments: a worker that crash-loops (so its Deployment is short of
	// replicas) and an API whose image cannot be pulled.
	b.deployment("payments", MismatchDeployment, 3, 1)
	b.pods("payments", MismatchDeployment, "payments-worker-7c9f8d6b5", 1, "worker", 1, 0)
	crash := b.pod("payments", CrashLoopPod, "sandbox-node-1", "ReplicaSet", "payments-worker-7c9f8d6b5", corev1.PodRunning, b.running("worker", 12))
	crash.Status.ContainerStatuses[0].Ready = false
	crash.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
		Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container=worker"}}
	crash.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{
		ExitCode: 1, Reason: "Error", StartedAt: b.ago(3 * time.Minute), FinishedAt: b.ago(2 * time.Minute)}
	b.pod("payments", "payments-worker-7c9f8d6b5-b9r5t", "sandbox-node-2", "ReplicaSet", "payments-worker-7c9f8d6b5", corev1.PodPending,
		b.waiting("worker", "ContainerCreating"))
	b.deployment("payments", "payments-api", 1, 0)
	b.pod("payments", ImagePullPod, "sandbox-node-3", "ReplicaSet", "payments-api-5d8b7f9c4", corev1.PodPending,
		b.waiting("api", "ImagePullBackOff"))

	// monitoring: a DaemonSet on every reachable node.
	b.daemonSet("monitoring", "node-exporter", 4, 3)
	for i := 1; i <= 3; i++ {
		b.pod("monitoring", fmt.Sprintf("node-exporter-%c%c%c%c%c", 'a'+i, 'k', 'm'+i, 'p', 'r'+i), fmt.Sprintf("sandbox-node-%d", i),
			"DaemonSet", "node-exporter", corev1.PodRunning, b.running("node-exporter", 0))
	}

	// batch: a job that asks for more memory than any node has.
	b.statefulSet("batch", "report-generator", 1, 0)
	p := b.pod("batch", UnschedulablePod, "", "StatefulSet", "report-generator", corev1.PodPending)
	p.Spec.Containers[0].Resources.Requests[corev1.ResourceMemory] = *resource.NewQuantity(64*gi, resource.BinarySI)
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: "Unschedulable", LastTransitionTime: b.ago(25 * time.Minute),
		Message: "0/4 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 3 Insufficient memory."}}

	// Usage: node 3 at about 90 % of its memory.
	for i, mem := range []float64{0.42, 0.55, 0.905} {
		b.nodeMetrics = append(b.nodeMetrics, &metricsv1beta1.NodeMetrics{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sandbox-node-%d", i+1)},
			Timestamp:  b.ago(15 * time.Second), Window: metav1.Duration{Duration: 20 * time.Second},
			Usage: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(800+600*i), resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(int64(mem*float64(15*gi)), resource.BinarySI),
			},
		})
	}
}

func (b *builder) node(name string, n int, ready corev1.ConditionStatus) {
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason,
			LastHeartbeatTime: b.ago(20 * time.Second), LastTransitionTime: b.ago(72 * time.Hour)}
	}
	nd := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: b.uid(), CreationTimestamp: b.ago(30 * 24 * time.Hour),
			Labels: map[string]string{"kubernetes.io/hostname": name, "node.kubernetes.io/instance-type": "t3.xlarge"}},
		Status: corev1.NodeStatus{
			Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"),
				corev1.ResourceMemory: *resource.NewQuantity(16*gi, resource.BinarySI), corev1.ResourcePods: resource.MustParse("110")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3800m"),
				corev1.ResourceMemory: *resource.NewQuantity(15*gi, resource.BinarySI), corev1.ResourcePods: resource.MustParse("110")},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.1.%d", 10+n)},
				{Type: corev1.NodeHostName, Address: name}},
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: ServerVersion, ContainerRuntimeVersion: "containerd://1.7.23-k3s2",
				OSImage: "Ubuntu 24.04.1 LTS", Architecture: "amd64", OperatingSystem: "linux"},
			Conditions: []corev1.NodeCondition{
				cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory"),
				cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure"),
				cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID"),
				cond(corev1.NodeReady, ready, "KubeletReady"),
			},
		},
	}
	if ready == corev1.ConditionUnknown {
		// What the node lifecycle controller does when a kubelet stops
		// reporting (a K3s node shut down): every condition Unknown, taints.
		for i := range nd.Status.Conditions {
			nd.Status.Conditions[i].Status = corev1.ConditionUnknown
			nd.Status.Conditions[i].Reason = "NodeStatusUnknown"
			nd.Status.Conditions[i].LastTransitionTime = b.ago(12 * time.Minute)
		}
		added := b.ago(12 * time.Minute)
		nd.Spec.Taints = []corev1.Taint{
			{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoSchedule, TimeAdded: &added},
			{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute, TimeAdded: &added},
		}
	}
	b.kube = append(b.kube, nd)
}

func (b *builder) uid() types.UID {
	b.seq++
	return types.UID(fmt.Sprintf("5b1f0c2e-0000-4000-8000-%012d", b.seq))
}

func (b *builder) deployment(ns, name string, desired, ready int32) {
	b.kube = append(b.kube, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: b.uid(), CreationTimestamp: b.ago(20 * 24 * time.Hour)},
		Spec:       appsv1.DeploymentSpec{Replicas: &desired},
		Status: appsv1.DeploymentStatus{Replicas: desired, ReadyReplicas: ready, AvailableReplicas: ready,
			UpdatedReplicas: desired, UnavailableReplicas: desired - ready},
	})
}

func (b *builder) statefulSet(ns, name string, desired, ready int32) {
	b.kube = append(b.kube, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: b.uid(), CreationTimestamp: b.ago(20 * 24 * time.Hour)},
		Spec:       appsv1.StatefulSetSpec{Replicas: &desired},
		Status: appsv1.StatefulSetStatus{Replicas: desired, ReadyReplicas: ready, AvailableReplicas: ready,
			CurrentReplicas: desired, UpdatedReplicas: desired},
	})
}

func (b *builder) daemonSet(ns, name string, desired, ready int32) {
	b.kube = append(b.kube, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: b.uid(), CreationTimestamp: b.ago(20 * 24 * time.Hour)},
		Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: desired, CurrentNumberScheduled: desired,
			NumberReady: ready, NumberAvailable: ready, UpdatedNumberScheduled: desired, NumberUnavailable: desired - ready},
	})
}

func (b *builder) hpa(ns, name, target string, lo, hi, current int32) {
	b.kube = append(b.kube, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: b.uid(), CreationTimestamp: b.ago(20 * 24 * time.Hour)},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: &lo, MaxReplicas: hi,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: target}},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: current, DesiredReplicas: current},
	})
}

// pods adds n healthy running pods of a workload, spread over the healthy
// nodes, with their usage. A Deployment's pods are owned by its ReplicaSet
// rs; with rs empty, by the StatefulSet itself.
func (b *builder) pods(ns, workload, rs string, n int, ctr string, cpuMilli, restarts int32) {
	kind, owner := "ReplicaSet", rs
	if rs == "" {
		kind, owner = "StatefulSet", workload
	}
	for i := 0; i < n; i++ {
		var name string
		if rs == "" {
			name = fmt.Sprintf("%s-%d", workload, i)
		} else {
			name = fmt.Sprintf("%s-%05x", rs, 0x1a2b3+i*7919)
		}
		b.seq++
		node := fmt.Sprintf("sandbox-node-%d", 1+b.seq%3)
		b.pod(ns, name, node, kind, owner, corev1.PodRunning, b.running(ctr, restarts))
		b.podMetrics = append(b.podMetrics, &metricsv1beta1.PodMetrics{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Timestamp:  b.ago(15 * time.Second), Window: metav1.Duration{Duration: 20 * time.Second},
			Containers: []metricsv1beta1.ContainerMetrics{{Name: ctr, Usage: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(50*cpuMilli+int32(i)*7), resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(int64(180+20*i)<<20, resource.BinarySI),
			}}},
		})
	}
}

func (b *builder) running(name string, restarts int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Ready: true, Started: new(true), RestartCount: restarts,
		Image: "registry.example.com/" + name + ":1.4.2", ImageID: "registry.example.com/" + name + "@sha256:0f3c",
		ContainerID: "containerd://" + string(b.uid()),
		State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: b.ago(2 * time.Hour)}}}
}

func (b *builder) waiting(name, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Image: "registry.example.com/" + name + ":1.5.0",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

// pod adds a pod with one container (requests set; a memory limit, and a CPU
// limit only outside Deployments) and the given statuses.
func (b *builder) pod(ns, name, node, ownerKind, owner string, phase corev1.PodPhase, statuses ...corev1.ContainerStatus) *corev1.Pod {
	ctr := "main"
	if len(statuses) > 0 {
		ctr = statuses[0].Name
	}
	yes := true
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: b.uid(), CreationTimestamp: b.ago(3 * time.Hour),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: ownerKind, Name: owner, UID: b.uid(), Controller: &yes}}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{
			Name: ctr, Image: "registry.example.com/" + ctr + ":1.4.2",
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"),
					corev1.ResourceMemory: *resource.NewQuantity(256<<20, resource.BinarySI)},
				Limits: corev1.ResourceList{corev1.ResourceMemory: *resource.NewQuantity(512<<20, resource.BinarySI)},
			},
		}}},
		Status: corev1.PodStatus{Phase: phase, ContainerStatuses: statuses, StartTime: new(b.ago(3 * time.Hour))},
	}
	if ownerKind != "ReplicaSet" {
		// Databases and agents get a CPU limit too; many app teams set none.
		p.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU] = resource.MustParse("500m")
	}
	if node != "" {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: b.ago(3 * time.Hour)}}
		p.Status.HostIP = "10.0.1.1"
	}
	b.kube = append(b.kube, p)
	return p
}
