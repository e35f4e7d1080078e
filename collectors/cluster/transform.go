package cluster

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Reasons are label values, so they come from fixed lists of what the kubelet
// reports; anything else becomes "Other". Index 0 means "none".
var waitingReasons = []string{"",
	"ContainerCreating", "PodInitializing", "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull",
	"ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError",
	"RunContainerError", "PreStartHookError", "PostStartHookError", "ContainerStatusUnknown", "Other"}

var terminatedReasons = []string{"",
	"OOMKilled", "Error", "Completed", "ContainerCannotRun", "DeadlineExceeded", "Evicted",
	"StartError", "ContainerStatusUnknown", "Other"}

func reasonIndex(list []string, reason string) uint8 {
	for i := 1; i < len(list); i++ {
		if list[i] == reason {
			return uint8(i)
		}
	}
	return uint8(len(list) - 1) // Other
}

// transform returns the informer transform: it replaces each API object with
// its compact form. Objects of other shards and of excluded namespaces never
// reach it: the informers' ListWatch drops them (listwatch.go). It is
// idempotent, as client-go asks: an object already compact passes through.
func (c *Collector) transform(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Node:
		return compactNode(o), nil
	case *corev1.Pod:
		return compactPod(o), nil
	case *appsv1.Deployment:
		return &workload{objectMeta: meta(o.Name, o.Namespace), kind: kindDeployment,
			desired: replicas(o.Spec.Replicas), ready: o.Status.ReadyReplicas,
			available: o.Status.AvailableReplicas, updated: o.Status.UpdatedReplicas,
			singleReplicaOK: singleReplicaOK(o.Annotations)}, nil
	case *appsv1.StatefulSet:
		return &workload{objectMeta: meta(o.Name, o.Namespace), kind: kindStatefulSet,
			desired: replicas(o.Spec.Replicas), ready: o.Status.ReadyReplicas,
			available: o.Status.AvailableReplicas, updated: o.Status.UpdatedReplicas,
			singleReplicaOK: singleReplicaOK(o.Annotations)}, nil
	case *appsv1.DaemonSet:
		return &workload{objectMeta: meta(o.Name, o.Namespace), kind: kindDaemonSet,
			desired: o.Status.DesiredNumberScheduled, ready: o.Status.NumberReady,
			available: o.Status.NumberAvailable, updated: o.Status.UpdatedNumberScheduled,
			singleReplicaOK: singleReplicaOK(o.Annotations)}, nil
	case *autoscalingv2.HorizontalPodAutoscaler:
		return &hpa{objectMeta: meta(o.Name, o.Namespace), current: o.Status.CurrentReplicas,
			desired: o.Status.DesiredReplicas, min: replicas(o.Spec.MinReplicas), max: o.Spec.MaxReplicas}, nil
	}
	// Already compact (client-go may hand cached objects back), or a tombstone.
	return obj, nil
}

// SingleReplicaOKAnnotation, set to "true" on a workload, says it runs one
// replica by design: vigil_cluster_workload_single_replica_ok is 1 and the
// KubeDeploymentSingleReplica alert leaves it alone. An annotation, not a
// label: it selects nothing, it only tells Vigil something about the object.
const SingleReplicaOKAnnotation = "vigil.dev/single-replica-ok"

func singleReplicaOK(annotations map[string]string) bool {
	return annotations[SingleReplicaOKAnnotation] == "true"
}

func meta(name, namespace string) objectMeta {
	return objectMeta{name: name, namespace: intern(namespace)}
}

// replicas reads an optional replica count; the API server defaults it to 1.
func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func compactNode(o *corev1.Node) *node {
	n := &node{objectMeta: meta(o.Name, ""), kubeletVersion: intern(o.Status.NodeInfo.KubeletVersion),
		unschedulable: o.Spec.Unschedulable}
	for _, a := range o.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			n.internalIP = a.Address
			break
		}
	}
	if q, ok := o.Status.Allocatable[corev1.ResourceCPU]; ok {
		n.cpuMilli = q.MilliValue()
	}
	if q, ok := o.Status.Allocatable[corev1.ResourceMemory]; ok {
		n.memBytes = q.Value()
	}
	for _, cond := range o.Status.Conditions {
		for i, name := range nodeConditions {
			if string(cond.Type) == name {
				n.conditions[i] = condStatus(cond.Status)
			}
		}
	}
	if len(o.Spec.Taints) > 0 {
		n.taints = make([]taint, len(o.Spec.Taints))
		for i, t := range o.Spec.Taints {
			n.taints[i] = taint{key: intern(t.Key), effect: intern(string(t.Effect))}
		}
	}
	return n
}

func condStatus(s corev1.ConditionStatus) uint8 {
	switch s {
	case corev1.ConditionTrue:
		return condTrue
	case corev1.ConditionFalse:
		return condFalse
	}
	return condUnknown
}

func compactPod(o *corev1.Pod) *pod {
	p := &pod{objectMeta: meta(o.Name, o.Namespace), node: intern(o.Spec.NodeName)}
	for i := range o.OwnerReferences {
		if ref := &o.OwnerReferences[i]; ref.Controller != nil && *ref.Controller {
			p.ownerKind, p.ownerName = intern(ref.Kind), intern(ref.Name)
			break
		}
	}
	switch o.Status.Phase {
	case corev1.PodPending:
		p.phase = 1
	case corev1.PodRunning:
		p.phase = 2
	case corev1.PodSucceeded:
		p.phase = 3
	case corev1.PodFailed:
		p.phase = 4
	case "":
		p.phase = 0
	default:
		p.phase = 5
	}
	for _, cond := range o.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
			p.flags |= unschedulable
			p.unschedReason = intern(cond.Reason)
		}
	}

	// Requests: the sum of what the containers set. Limits: only when every
	// container sets one, since a container without a limit makes the pod's
	// limit unbounded.
	cpuLimits, memLimits := true, true
	for i := range o.Spec.Containers {
		res := &o.Spec.Containers[i].Resources
		if q, ok := res.Requests[corev1.ResourceCPU]; ok {
			p.cpuReqMilli += q.MilliValue()
			p.flags |= hasCPUReq
		}
		if q, ok := res.Requests[corev1.ResourceMemory]; ok {
			p.memReq += q.Value()
			p.flags |= hasMemReq
		}
		cpuLimits = addLimit(res.Limits, corev1.ResourceCPU, &p.cpuLimMilli, true) && cpuLimits
		memLimits = addLimit(res.Limits, corev1.ResourceMemory, &p.memLim, false) && memLimits
	}
	if len(o.Spec.Containers) > 0 {
		if cpuLimits {
			p.flags |= hasCPULim
		}
		if memLimits {
			p.flags |= hasMemLim
		}
	}

	n := len(o.Status.InitContainerStatuses) + len(o.Status.ContainerStatuses)
	if n > 0 {
		p.containers = make([]container, 0, n)
		for _, list := range [][]corev1.ContainerStatus{o.Status.InitContainerStatuses, o.Status.ContainerStatuses} {
			for i := range list {
				p.containers = append(p.containers, compactContainer(&list[i]))
			}
		}
	}
	return p
}

func addLimit(limits corev1.ResourceList, name corev1.ResourceName, sum *int64, milli bool) bool {
	q, ok := limits[name]
	if !ok {
		return false
	}
	*sum += quantity(q, milli)
	return true
}

func quantity(q resource.Quantity, milli bool) int64 {
	if milli {
		return q.MilliValue()
	}
	return q.Value()
}

func compactContainer(s *corev1.ContainerStatus) container {
	c := container{name: intern(s.Name), restarts: s.RestartCount}
	if w := s.State.Waiting; w != nil {
		c.waiting = reasonIndex(waitingReasons, w.Reason)
	}
	// The most recent termination: state.terminated while the container
	// stays terminated (a Job's pod, restartPolicy Never or OnFailure between
	// attempts), else lastState.terminated once it was restarted.
	t := s.State.Terminated
	if t == nil {
		t = s.LastTerminationState.Terminated
	}
	if t != nil {
		c.lastReason = reasonIndex(terminatedReasons, t.Reason)
		if !t.FinishedAt.IsZero() {
			c.lastFinished = t.FinishedAt.Unix()
		}
	}
	return c
}
