package cluster

import "github.com/vigil-monitoring/vigil/internal/metricdoc"

// Catalogue lists every metric family the cluster collector exposes. Every
// series also carries the global `environment` label and `cluster` (the
// configured cluster name). Series of an object are rendered from the informer
// cache at scrape time and vanish as soon as the object is deleted.
var Catalogue = []metricdoc.Desc{
	// API server
	{Name: "vigil_cluster_apiserver_up", Type: metricdoc.Gauge, Labels: []string{"cluster"},
		Help: "1 when the Kubernetes API server answered the last /version probe, 0 otherwise."},
	{Name: "vigil_cluster_apiserver_info", Type: metricdoc.Gauge, Labels: []string{"cluster", "git_version"},
		Help: "Always 1; git_version is the API server version from the last successful /version probe."},
	{Name: "vigil_cluster_apiserver_tls_verify_disabled", Type: metricdoc.Gauge, Labels: []string{"cluster"},
		Help: "1 when Vigil's connection to the API server does not verify its TLS certificate (insecure_skip_tls_verify in the config or the kubeconfig), 0 when it does."},

	// Nodes
	{Name: "vigil_cluster_node_info", Type: metricdoc.Gauge, Labels: []string{"cluster", "node", "kubelet_version", "internal_ip"},
		Help: "Always 1 for each node in the API server."},
	{Name: "vigil_cluster_node_condition", Type: metricdoc.Gauge, Labels: []string{"cluster", "node", "condition", "status"},
		Help: "1 for each condition a node reports (Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable), status being true, false or unknown."},
	{Name: "vigil_cluster_node_taint", Type: metricdoc.Gauge, Labels: []string{"cluster", "node", "key", "effect"},
		Help: "1 for each taint on a node, such as node.kubernetes.io/unreachable or node.kubernetes.io/not-ready."},
	{Name: "vigil_cluster_node_unschedulable", Type: metricdoc.Gauge, Labels: []string{"cluster", "node"},
		Help: "1 when the node is cordoned (spec.unschedulable), 0 otherwise."},
	{Name: "vigil_cluster_node_allocatable_cpu_cores", Type: metricdoc.Gauge, Labels: []string{"cluster", "node"},
		Help: "CPU the node offers to pods (status.allocatable.cpu), in cores."},
	{Name: "vigil_cluster_node_allocatable_memory_bytes", Type: metricdoc.Gauge, Labels: []string{"cluster", "node"},
		Help: "Memory the node offers to pods (status.allocatable.memory), in bytes."},
	{Name: "vigil_cluster_node_cpu_usage_cores", Type: metricdoc.Gauge, Labels: []string{"cluster", "node"},
		Help: "CPU the node uses, in cores, from metrics.k8s.io (what kubectl top nodes shows); absent once metrics.k8s.io has not answered for three refresh intervals."},
	{Name: "vigil_cluster_node_memory_usage_bytes", Type: metricdoc.Gauge, Labels: []string{"cluster", "node"},
		Help: "Memory working set of the node, in bytes, from metrics.k8s.io (what kubectl top nodes shows); absent once metrics.k8s.io has not answered for three refresh intervals."},

	// Pods
	{Name: "vigil_cluster_pod_info", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod", "node", "owner_kind", "owner_name"},
		Help: "Always 1 for each pod; node is empty while unscheduled, owner_kind and owner_name name its controller."},
	{Name: "vigil_cluster_pod_phase", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod", "phase"},
		Help: "1 for the pod's current phase (Pending, Running, Succeeded, Failed, Unknown)."},
	{Name: "vigil_cluster_pod_unschedulable", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod", "reason"},
		Help: "1 when the scheduler could not place the pod (condition PodScheduled=False), with the condition's reason."},
	{Name: "vigil_cluster_pod_container_waiting", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod", "container", "reason"},
		Help: "1 for each container in the waiting state, with its reason (CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, ...; unknown reasons become Other)."},
	{Name: "vigil_cluster_pod_container_restarts_total", Type: metricdoc.Counter, Labels: []string{"cluster", "namespace", "pod", "container"},
		Help: "Restarts of the container, from its status' restartCount."},
	{Name: "vigil_cluster_pod_container_last_terminated_reason", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod", "container", "reason"},
		Help: "1 with the reason of the container's most recent termination: state.terminated while it stays terminated (Jobs, restartPolicy Never), else lastState.terminated (OOMKilled, Error, Completed, ...; unknown reasons become Other)."},
	{Name: "vigil_cluster_pod_container_last_terminated_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod", "container"},
		Help: "Unix time at which the container last terminated (state.terminated, else lastState.terminated)."},
	{Name: "vigil_cluster_pod_cpu_requests_cores", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod"},
		Help: "Sum of the CPU requests of the pod's app containers (init and sidecar containers not counted), in cores; absent when none sets one."},
	{Name: "vigil_cluster_pod_cpu_limits_cores", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod"},
		Help: "Sum of the CPU limits of the pod's containers, in cores; absent unless every container sets one."},
	{Name: "vigil_cluster_pod_memory_requests_bytes", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod"},
		Help: "Sum of the memory requests of the pod's app containers (init and sidecar containers not counted), in bytes; absent when none sets one."},
	{Name: "vigil_cluster_pod_memory_limits_bytes", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod"},
		Help: "Sum of the memory limits of the pod's containers, in bytes; absent unless every container sets one."},
	{Name: "vigil_cluster_pod_cpu_usage_cores", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod"},
		Help: "CPU the pod uses, in cores, from metrics.k8s.io (what kubectl top pods shows); absent once metrics.k8s.io has not answered for three refresh intervals."},
	{Name: "vigil_cluster_pod_memory_usage_bytes", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "pod"},
		Help: "Memory working set of the pod, in bytes, from metrics.k8s.io (what kubectl top pods shows); absent once metrics.k8s.io has not answered for three refresh intervals."},

	// Workloads: kind is Deployment, StatefulSet or DaemonSet.
	{Name: "vigil_cluster_workload_replicas_desired", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "kind", "workload"},
		Help: "Replicas the workload asks for (spec.replicas; desiredNumberScheduled for DaemonSets)."},
	{Name: "vigil_cluster_workload_replicas_ready", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "kind", "workload"},
		Help: "Replicas of the workload that are ready (status.readyReplicas; numberReady for DaemonSets)."},
	{Name: "vigil_cluster_workload_replicas_available", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "kind", "workload"},
		Help: "Replicas of the workload that are available (status.availableReplicas; numberAvailable for DaemonSets)."},
	{Name: "vigil_cluster_workload_replicas_updated", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "kind", "workload"},
		Help: "Replicas of the workload running the current template (status.updatedReplicas; updatedNumberScheduled for DaemonSets)."},
	{Name: "vigil_cluster_workload_single_replica_ok", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "kind", "workload"},
		Help: "1 when the workload carries the annotation " + SingleReplicaOKAnnotation + `: "true" (one replica by design; KubeDeploymentSingleReplica leaves it alone), 0 otherwise.`},

	// HorizontalPodAutoscalers (autoscaling/v2)
	{Name: "vigil_cluster_hpa_replicas_current", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "hpa"},
		Help: "Current replicas of the HPA's target (status.currentReplicas)."},
	{Name: "vigil_cluster_hpa_replicas_desired", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "hpa"},
		Help: "Replicas the HPA last computed (status.desiredReplicas)."},
	{Name: "vigil_cluster_hpa_replicas_min", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "hpa"},
		Help: "The HPA's lower bound (spec.minReplicas, 1 when unset)."},
	{Name: "vigil_cluster_hpa_replicas_max", Type: metricdoc.Gauge, Labels: []string{"cluster", "namespace", "hpa"},
		Help: "The HPA's upper bound (spec.maxReplicas)."},
}
