package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func kubeClient(t *testing.T) (kubernetes.Interface, *rest.Config) {
	t.Helper()
	rc := testenv.SharedAPIServer(t)
	rc.QPS, rc.Burst = 200, 400
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	return kube, rc
}

func namespace(t *testing.T, kube kubernetes.Interface, name string) {
	t.Helper()
	_, err := kube.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func TestNodeSeriesFollowTheAPIServer(t *testing.T) {
	kube, _ := kubeClient(t)
	ctx := context.Background()
	r := start(t, cluster.Config{}, kube, nil)
	const name = "node-lifecycle-1"

	n, err := kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
	n.Status = corev1.NodeStatus{
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3800m"), corev1.ResourceMemory: resource.MustParse("15Gi")},
		Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi")},
		Addresses:   []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: "10.0.0.7"}},
		NodeInfo:    corev1.NodeSystemInfo{KubeletVersion: "v1.31.4+k3s1"},
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
			{Type: "FrequentKubeletRestart", Status: corev1.ConditionFalse}, // not exported: unbounded set
		},
	}
	n, err = kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	require.NoError(t, err)

	match := map[string]string{"node": name}
	eventually(t, r.c, match, []string{
		`vigil_cluster_node_info{internal_ip="10.0.0.7",kubelet_version="v1.31.4+k3s1",node="node-lifecycle-1"} 1`,
		`vigil_cluster_node_condition{condition="Ready",node="node-lifecycle-1",status="true"} 1`,
		`vigil_cluster_node_condition{condition="MemoryPressure",node="node-lifecycle-1",status="false"} 1`,
		// The API server's TaintNodesByCondition admission taints every new node.
		`vigil_cluster_node_taint{effect="NoSchedule",key="node.kubernetes.io/not-ready",node="node-lifecycle-1"} 1`,
		`vigil_cluster_node_unschedulable{node="node-lifecycle-1"} 0`,
		`vigil_cluster_node_allocatable_cpu_cores{node="node-lifecycle-1"} 3.8`,
		`vigil_cluster_node_allocatable_memory_bytes{node="node-lifecycle-1"} 16106127360`,
	})

	// The node shuts down: the node lifecycle controller marks it Unknown and
	// taints it unreachable (the K3s "pods do not reschedule" case); an
	// operator cordons it.
	n.Status.Conditions[0].Status = corev1.ConditionUnknown
	n, err = kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	require.NoError(t, err)
	n.Spec.Unschedulable = true
	n.Spec.Taints = []corev1.Taint{
		{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoSchedule},
		{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute},
	}
	_, err = kube.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
	require.NoError(t, err)
	eventually(t, r.c, match, []string{
		`vigil_cluster_node_info{internal_ip="10.0.0.7",kubelet_version="v1.31.4+k3s1",node="node-lifecycle-1"} 1`,
		`vigil_cluster_node_condition{condition="Ready",node="node-lifecycle-1",status="unknown"} 1`,
		`vigil_cluster_node_condition{condition="MemoryPressure",node="node-lifecycle-1",status="false"} 1`,
		`vigil_cluster_node_taint{effect="NoSchedule",key="node.kubernetes.io/unreachable",node="node-lifecycle-1"} 1`,
		`vigil_cluster_node_taint{effect="NoExecute",key="node.kubernetes.io/unreachable",node="node-lifecycle-1"} 1`,
		`vigil_cluster_node_unschedulable{node="node-lifecycle-1"} 1`,
		`vigil_cluster_node_allocatable_cpu_cores{node="node-lifecycle-1"} 3.8`,
		`vigil_cluster_node_allocatable_memory_bytes{node="node-lifecycle-1"} 16106127360`,
	})

	require.NoError(t, kube.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}))
	eventually(t, r.c, match, nil)
}

func podSpec(containers ...corev1.Container) corev1.PodSpec {
	return corev1.PodSpec{Containers: containers}
}

func ctr(name, cpuReq, memReq, cpuLim, memLim string) corev1.Container {
	c := corev1.Container{Name: name, Image: "registry.example.com/" + name + ":1"}
	set := func(l *corev1.ResourceList, k corev1.ResourceName, v string) {
		if v == "" {
			return
		}
		if *l == nil {
			*l = corev1.ResourceList{}
		}
		(*l)[k] = resource.MustParse(v)
	}
	set(&c.Resources.Requests, corev1.ResourceCPU, cpuReq)
	set(&c.Resources.Requests, corev1.ResourceMemory, memReq)
	set(&c.Resources.Limits, corev1.ResourceCPU, cpuLim)
	set(&c.Resources.Limits, corev1.ResourceMemory, memLim)
	return c
}

func TestPodSeriesFollowTheAPIServer(t *testing.T) {
	kube, _ := kubeClient(t)
	ctx := context.Background()
	const ns = "pods-lifecycle"
	namespace(t, kube, ns)
	r := start(t, cluster.Config{}, kube, nil)
	pods := kube.CoreV1().Pods(ns)

	yes := true
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "api-5f7c-abcde", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "api-5f7c", UID: "0b5c0a43-0000-4000-8000-000000000001", Controller: &yes}}},
		Spec: podSpec(
			ctr("api", "250m", "256Mi", "1", "512Mi"),
			ctr("sidecar", "50m", "", "", "64Mi")), // no CPU limit: no pod CPU limit; the API server defaults its memory request to the limit
	}
	p.Spec.NodeName = "node-a"
	p, err := pods.Create(ctx, p, metav1.CreateOptions{})
	require.NoError(t, err)
	started := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{
		{Name: "api", Ready: true, RestartCount: 0, Image: "x", ImageID: "y",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}},
		{Name: "sidecar", Ready: true, RestartCount: 1, Image: "x", ImageID: "y",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}},
	}
	p, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
	require.NoError(t, err)

	match := map[string]string{"namespace": ns}
	base := []string{
		`vigil_cluster_pod_info{namespace="pods-lifecycle",node="node-a",owner_kind="ReplicaSet",owner_name="api-5f7c",pod="api-5f7c-abcde"} 1`,
		`vigil_cluster_pod_cpu_requests_cores{namespace="pods-lifecycle",pod="api-5f7c-abcde"} 0.3`,
		`vigil_cluster_pod_memory_requests_bytes{namespace="pods-lifecycle",pod="api-5f7c-abcde"} 335544320`,
		`vigil_cluster_pod_memory_limits_bytes{namespace="pods-lifecycle",pod="api-5f7c-abcde"} 603979776`,
	}
	eventually(t, r.c, match, append(base[:4:4],
		`vigil_cluster_pod_phase{namespace="pods-lifecycle",phase="Running",pod="api-5f7c-abcde"} 1`,
		`vigil_cluster_pod_container_restarts_total{container="api",namespace="pods-lifecycle",pod="api-5f7c-abcde"} 0`,
		`vigil_cluster_pod_container_restarts_total{container="sidecar",namespace="pods-lifecycle",pod="api-5f7c-abcde"} 1`,
	))

	// The api container is OOMKilled and then crash-loops.
	finished := metav1.NewTime(time.Now().Add(-2 * time.Minute).Truncate(time.Second))
	p.Status.ContainerStatuses[0].RestartCount = 12
	p.Status.ContainerStatuses[0].Ready = false
	p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: 137, Reason: "OOMKilled", StartedAt: started, FinishedAt: finished}}
	// The sidecar waits for a reason the kubelet does not list: bounded to Other.
	p.Status.ContainerStatuses[1].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "SomethingNew"}}
	p.Status.ContainerStatuses[1].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: 2, Reason: "WeirdReason", StartedAt: started, FinishedAt: finished}}
	_, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
	require.NoError(t, err)
	eventually(t, r.c, match, append(base[:4:4],
		`vigil_cluster_pod_phase{namespace="pods-lifecycle",phase="Running",pod="api-5f7c-abcde"} 1`,
		`vigil_cluster_pod_container_waiting{container="api",namespace="pods-lifecycle",pod="api-5f7c-abcde",reason="CrashLoopBackOff"} 1`,
		`vigil_cluster_pod_container_waiting{container="sidecar",namespace="pods-lifecycle",pod="api-5f7c-abcde",reason="Other"} 1`,
		`vigil_cluster_pod_container_restarts_total{container="api",namespace="pods-lifecycle",pod="api-5f7c-abcde"} 12`,
		`vigil_cluster_pod_container_restarts_total{container="sidecar",namespace="pods-lifecycle",pod="api-5f7c-abcde"} 1`,
		`vigil_cluster_pod_container_last_terminated_reason{container="api",namespace="pods-lifecycle",pod="api-5f7c-abcde",reason="OOMKilled"} 1`,
		`vigil_cluster_pod_container_last_terminated_reason{container="sidecar",namespace="pods-lifecycle",pod="api-5f7c-abcde",reason="Other"} 1`,
		fmt.Sprintf(`vigil_cluster_pod_container_last_terminated_timestamp_seconds{container="api",namespace="pods-lifecycle",pod="api-5f7c-abcde"} %d`, finished.Unix()),
		fmt.Sprintf(`vigil_cluster_pod_container_last_terminated_timestamp_seconds{container="sidecar",namespace="pods-lifecycle",pod="api-5f7c-abcde"} %d`, finished.Unix()),
	))

	// An unschedulable pod without owner, requests on every container and
	// limits on every container.
	q := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "big-job"}, Spec: podSpec(ctr("job", "2", "64Gi", "4", "64Gi"))}
	q, err = pods.Create(ctx, q, metav1.CreateOptions{})
	require.NoError(t, err)
	q.Status.Phase = corev1.PodPending
	q.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
		Message: "0/3 nodes are available: 3 Insufficient memory."}}
	_, err = pods.UpdateStatus(ctx, q, metav1.UpdateOptions{})
	require.NoError(t, err)
	eventually(t, r.c, map[string]string{"namespace": ns, "pod": "big-job"}, []string{
		`vigil_cluster_pod_info{namespace="pods-lifecycle",node="",owner_kind="",owner_name="",pod="big-job"} 1`,
		`vigil_cluster_pod_phase{namespace="pods-lifecycle",phase="Pending",pod="big-job"} 1`,
		`vigil_cluster_pod_unschedulable{namespace="pods-lifecycle",pod="big-job",reason="Unschedulable"} 1`,
		`vigil_cluster_pod_cpu_requests_cores{namespace="pods-lifecycle",pod="big-job"} 2`,
		`vigil_cluster_pod_cpu_limits_cores{namespace="pods-lifecycle",pod="big-job"} 4`,
		`vigil_cluster_pod_memory_requests_bytes{namespace="pods-lifecycle",pod="big-job"} 68719476736`,
		`vigil_cluster_pod_memory_limits_bytes{namespace="pods-lifecycle",pod="big-job"} 68719476736`,
	})

	// Deleted pods vanish at once (grace period 0: no kubelet confirms).
	zero := int64(0)
	require.NoError(t, pods.Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	require.NoError(t, pods.Delete(ctx, q.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	eventually(t, r.c, match, nil)
}

// A Job's pod (restartPolicy Never) is OOMKilled: the kubelet does not
// restart it, so the reason is in state.terminated and lastState stays
// empty. A pod that was restarted keeps reporting lastState.terminated.
func TestTerminatedContainerWithoutRestart(t *testing.T) {
	kube, _ := kubeClient(t)
	ctx := context.Background()
	const ns = "jobs"
	namespace(t, kube, ns)
	r := start(t, cluster.Config{}, kube, nil)
	pods := kube.CoreV1().Pods(ns)

	spec := podSpec(ctr("backup", "", "", "", ""))
	spec.RestartPolicy = corev1.RestartPolicyNever
	p, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pg-dump-29158400-x7k2p"}, Spec: spec}, metav1.CreateOptions{})
	require.NoError(t, err)
	started := metav1.NewTime(time.Now().Add(-10 * time.Minute).Truncate(time.Second))
	finished := metav1.NewTime(time.Now().Add(-time.Minute).Truncate(time.Second))
	p.Status.Phase = corev1.PodFailed
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "backup", Image: "x", ImageID: "y",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 137, Reason: "OOMKilled", StartedAt: started, FinishedAt: finished}}}}
	_, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
	require.NoError(t, err)

	match := map[string]string{"namespace": ns, "container": "backup"}
	eventually(t, r.c, match, []string{
		`vigil_cluster_pod_container_restarts_total{container="backup",namespace="jobs",pod="pg-dump-29158400-x7k2p"} 0`,
		`vigil_cluster_pod_container_last_terminated_reason{container="backup",namespace="jobs",pod="pg-dump-29158400-x7k2p",reason="OOMKilled"} 1`,
		fmt.Sprintf(`vigil_cluster_pod_container_last_terminated_timestamp_seconds{container="backup",namespace="jobs",pod="pg-dump-29158400-x7k2p"} %d`, finished.Unix()),
	})
}

func labelsOf(name string) map[string]string { return map[string]string{"app": name} }

func template(name string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labelsOf(name)},
		Spec: podSpec(ctr(name, "", "", "", ""))}
}

func TestWorkloadAndHPASeries(t *testing.T) {
	kube, _ := kubeClient(t)
	ctx := context.Background()
	const ns = "workloads"
	namespace(t, kube, ns)
	r := start(t, cluster.Config{}, kube, nil)

	three, one := int32(3), int32(1)
	d, err := kube.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: labelsOf("web")}, Template: template("web")}},
		metav1.CreateOptions{})
	require.NoError(t, err)
	d.Status = appsv1.DeploymentStatus{Replicas: 3, ReadyReplicas: 1, AvailableReplicas: 1, UpdatedReplicas: 2}
	_, err = kube.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	require.NoError(t, err)

	// Single by design, and says so on the object.
	s, err := kube.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db",
		Annotations: map[string]string{cluster.SingleReplicaOKAnnotation: "true"}},
		Spec: appsv1.StatefulSetSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labelsOf("db")}, Template: template("db")}},
		metav1.CreateOptions{})
	require.NoError(t, err)
	s.Status = appsv1.StatefulSetStatus{Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, UpdatedReplicas: 1}
	_, err = kube.AppsV1().StatefulSets(ns).UpdateStatus(ctx, s, metav1.UpdateOptions{})
	require.NoError(t, err)

	ds, err := kube.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labelsOf("agent")}, Template: template("agent")}},
		metav1.CreateOptions{})
	require.NoError(t, err)
	ds.Status = appsv1.DaemonSetStatus{DesiredNumberScheduled: 4, CurrentNumberScheduled: 4, NumberReady: 3, NumberAvailable: 3, UpdatedNumberScheduled: 4}
	_, err = kube.AppsV1().DaemonSets(ns).UpdateStatus(ctx, ds, metav1.UpdateOptions{})
	require.NoError(t, err)

	two := int32(2)
	h, err := kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: &two, MaxReplicas: 5,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}}},
		metav1.CreateOptions{})
	require.NoError(t, err)
	h.Status = autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 5, DesiredReplicas: 5}
	_, err = kube.AutoscalingV2().HorizontalPodAutoscalers(ns).UpdateStatus(ctx, h, metav1.UpdateOptions{})
	require.NoError(t, err)

	eventually(t, r.c, map[string]string{"namespace": ns}, []string{
		`vigil_cluster_workload_replicas_desired{kind="Deployment",namespace="workloads",workload="web"} 3`,
		`vigil_cluster_workload_replicas_ready{kind="Deployment",namespace="workloads",workload="web"} 1`,
		`vigil_cluster_workload_replicas_available{kind="Deployment",namespace="workloads",workload="web"} 1`,
		`vigil_cluster_workload_replicas_updated{kind="Deployment",namespace="workloads",workload="web"} 2`,
		`vigil_cluster_workload_replicas_desired{kind="StatefulSet",namespace="workloads",workload="db"} 1`,
		`vigil_cluster_workload_replicas_ready{kind="StatefulSet",namespace="workloads",workload="db"} 1`,
		`vigil_cluster_workload_replicas_available{kind="StatefulSet",namespace="workloads",workload="db"} 1`,
		`vigil_cluster_workload_replicas_updated{kind="StatefulSet",namespace="workloads",workload="db"} 1`,
		`vigil_cluster_workload_replicas_desired{kind="DaemonSet",namespace="workloads",workload="agent"} 4`,
		`vigil_cluster_workload_replicas_ready{kind="DaemonSet",namespace="workloads",workload="agent"} 3`,
		`vigil_cluster_workload_replicas_available{kind="DaemonSet",namespace="workloads",workload="agent"} 3`,
		`vigil_cluster_workload_replicas_updated{kind="DaemonSet",namespace="workloads",workload="agent"} 4`,
		`vigil_cluster_workload_single_replica_ok{kind="Deployment",namespace="workloads",workload="web"} 0`,
		`vigil_cluster_workload_single_replica_ok{kind="StatefulSet",namespace="workloads",workload="db"} 1`,
		`vigil_cluster_workload_single_replica_ok{kind="DaemonSet",namespace="workloads",workload="agent"} 0`,
		`vigil_cluster_hpa_replicas_current{hpa="web",namespace="workloads"} 5`,
		`vigil_cluster_hpa_replicas_desired{hpa="web",namespace="workloads"} 5`,
		`vigil_cluster_hpa_replicas_min{hpa="web",namespace="workloads"} 2`,
		`vigil_cluster_hpa_replicas_max{hpa="web",namespace="workloads"} 5`,
	})

	require.NoError(t, kube.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
	require.NoError(t, kube.AppsV1().StatefulSets(ns).Delete(ctx, "db", metav1.DeleteOptions{}))
	require.NoError(t, kube.AppsV1().DaemonSets(ns).Delete(ctx, "agent", metav1.DeleteOptions{}))
	require.NoError(t, kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
	eventually(t, r.c, map[string]string{"namespace": ns}, nil)
}

func TestNamespaceIncludeAndExclude(t *testing.T) {
	kube, _ := kubeClient(t)
	ctx := context.Background()
	for _, ns := range []string{"filter-a", "filter-b", "filter-c"} {
		namespace(t, kube, ns)
		p, err := kube.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
			Spec: podSpec(ctr("c", "", "", "", ""))}, metav1.CreateOptions{})
		require.NoError(t, err)
		t.Cleanup(func() {
			zero := int64(0)
			_ = kube.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		})
	}
	info := func(ns string) string {
		return fmt.Sprintf(`vigil_cluster_pod_info{namespace=%q,node="",owner_kind="",owner_name="",pod="p"} 1`, ns)
	}
	phase := func(ns string) string {
		return fmt.Sprintf(`vigil_cluster_pod_phase{namespace=%q,phase="Pending",pod="p"} 1`, ns)
	}
	pods := map[string]string{"pod": "p"}
	filtered := func(all []string) []string {
		var out []string
		for _, s := range all {
			if len(s) > 0 && strings.Contains(s, `namespace="filter-`) {
				out = append(out, s)
			}
		}
		return out
	}

	t.Run("include", func(t *testing.T) {
		r := start(t, cluster.Config{IncludeNamespaces: []string{"filter-a", "filter-c"}}, kube, nil)
		require.Eventually(t, func() bool { return len(filtered(samples(t, scrape(t, r.c), pods))) == 4 }, 15*time.Second, 25*time.Millisecond)
		require.Equal(t, []string{info("filter-a"), info("filter-c"), phase("filter-a"), phase("filter-c")},
			filtered(samples(t, scrape(t, r.c), pods)))
	})
	t.Run("exclude", func(t *testing.T) {
		r := start(t, cluster.Config{ExcludeNamespaces: []string{"filter-b"}}, kube, nil)
		require.Eventually(t, func() bool { return len(filtered(samples(t, scrape(t, r.c), pods))) == 4 }, 15*time.Second, 25*time.Millisecond)
		require.Equal(t, []string{info("filter-a"), info("filter-c"), phase("filter-a"), phase("filter-c")},
			filtered(samples(t, scrape(t, r.c), pods)))
	})
	t.Run("include and exclude", func(t *testing.T) {
		r := start(t, cluster.Config{IncludeNamespaces: []string{"filter-a", "filter-b"}, ExcludeNamespaces: []string{"filter-b"}}, kube, nil)
		require.Eventually(t, func() bool { return len(filtered(samples(t, scrape(t, r.c), pods))) == 2 }, 15*time.Second, 25*time.Millisecond)
		require.Equal(t, []string{info("filter-a"), phase("filter-a")}, filtered(samples(t, scrape(t, r.c), pods)))
	})
}

func TestAPIServerProbe(t *testing.T) {
	kube, _ := kubeClient(t)
	v, err := kube.Discovery().ServerVersion()
	require.NoError(t, err)
	r := start(t, cluster.Config{ProbeInterval: time.Second}, kube, nil)
	got := samples(t, scrape(t, r.c), nil)
	require.Contains(t, got, `vigil_cluster_apiserver_up{} 1`)
	require.Contains(t, got, fmt.Sprintf(`vigil_cluster_apiserver_info{git_version=%q} 1`, v.GitVersion))

	// Nothing listens there: the probe fails, the caches never sync, and the
	// collector still renders apiserver_up 0 at once.
	down, err := kubernetes.NewForConfig(&rest.Config{Host: "http://127.0.0.1:1", Timeout: time.Second})
	require.NoError(t, err)
	sm := source.NewMetrics()
	g := source.NewGroup(sm, nil)
	c := cluster.New(cluster.Config{Environment: "test", Cluster: "gone", ProbeInterval: time.Second}, down, nil, g, nil)
	ctx, cancel := context.WithCancel(context.Background())
	c.Start(ctx)
	g.Start(ctx)
	defer func() { cancel(); g.Stop(true); c.Stop() }()
	require.Eventually(t, g.Ready, 10*time.Second, 10*time.Millisecond, "the probe never finished")
	require.False(t, c.Synced())
	require.Equal(t, "connection", g.Statuses()[0].LastReason)
	require.Equal(t, 0.0, sourceUp(t, sm, cluster.APIServerSource))
	require.Equal(t, []string{`vigil_cluster_apiserver_tls_verify_disabled{} 0`, `vigil_cluster_apiserver_up{} 0`}, samples(t, scrape(t, c), nil))
}
