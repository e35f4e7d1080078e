package dashboards

import "github.com/grafana-tools/sdk"

// Infra is the cloud infrastructure as the clouds' APIs see it, rows per
// provider (IONOS, then AWS): states first (what the alerts watch), then capacity and
// schedule (node counts against autoscaling limits, maintenance windows,
// upgrades), then the network (LANs, IP blocks).
func Infra() *sdk.Board {
	b := newBuilder("vigil-infra", "Vigil / Infrastructure", "infra", "ionos", "aws")
	b.variables(false)
	i := func(metric string, matchers ...string) string { return sel(metric, false, matchers...) }

	b.row("IONOS: managed Kubernetes")
	b.problemCount("Clusters not ACTIVE", "Managed clusters in any state but ACTIVE (IONOSClusterNotActive after 1 h outside the maintenance window, IONOSClusterStuckInMaintenance after 3 h).",
		orZero(`count(`+i("vigil_infra_ionos_k8s_cluster_state", `state="ACTIVE"`)+` == 0)`))
	b.problemCount("Node pools FAILED", "Node pools in FAILED or a FAILED_* state (IONOSNodePoolFailed).",
		orZero(`count(`+i("vigil_infra_ionos_k8s_nodepool_state", `state=~"FAILED|FAILED_.+"`)+` == 1)`))
	b.problemCount("Nodes without public IP", "READY nodes without a public IP where the configuration expects one (IONOSNodeWithoutPublicIP).",
		orZero(`count(`+i("vigil_infra_ionos_k8s_node_public_ip")+` == 0 and on (environment) `+i("vigil_infra_ionos_k8s_node_public_ip_expected")+` == 1)`))
	b.problemCount("Pools at autoscaling maximum", "Node pools whose desired node count reached the autoscaling maximum: the autoscaler cannot add more.",
		orZero(`count(`+i("vigil_infra_ionos_k8s_nodepool_nodes_desired")+` >= on (environment, cluster, nodepool) `+i("vigil_infra_ionos_k8s_nodepool_autoscaling_max_nodes")+`)`))
	b.problemCount("Upgrades pending > 30 days", "Clusters with a Kubernetes upgrade offered for more than 30 days (IONOSKubernetesUpgradePending).",
		orZero(`count(time() - `+i("vigil_infra_ionos_k8s_cluster_upgrade_available_since_timestamp_seconds")+` > 30 * 86400)`))
	b.problemCount("Maintenance windows open", "Clusters and node pools whose weekly maintenance window is open now: nodes may roll.",
		orZero(`sum(`+i("vigil_infra_ionos_k8s_cluster_maintenance_window_open")+`) + sum(`+i("vigil_infra_ionos_k8s_nodepool_maintenance_window_open")+`)`))
	b.stacked("Cluster state", "1 for the state each managed cluster is in; a change of state shows as a change of colour.", 12, 8,
		target{expr: i("vigil_infra_ionos_k8s_cluster_state") + ` == 1`, legend: "{{cluster}} {{state}}"})
	b.table("Clusters", "Id and Kubernetes version of each managed cluster; Value 1 when IONOS offers an upgrade.", "none",
		i("vigil_infra_ionos_k8s_cluster_info")+` * on (environment, cluster) group_left() `+i("vigil_infra_ionos_k8s_cluster_upgrade_available"), 12, 8)
	b.table("Public API servers", "1 when the cluster's API server is reachable from the internet; the allow-list size beside it (0 = any address).", "none",
		i("vigil_infra_ionos_k8s_cluster_public")+` or `+i("vigil_infra_ionos_k8s_cluster_api_allow_list_entries"), 12, 6)
	b.table("Next maintenance windows", "Start of the open or next weekly maintenance window of each cluster and node pool.", "dateTimeAsIso",
		i("vigil_infra_ionos_k8s_cluster_maintenance_window_start_timestamp_seconds")+` * 1000 or `+
			i("vigil_infra_ionos_k8s_nodepool_maintenance_window_start_timestamp_seconds")+` * 1000`, 12, 6)

	b.row("IONOS: node pools and nodes")
	b.timeseries("Nodes: READY, desired, autoscaling limits", "READY nodes per pool against its desired count and autoscaling minimum and maximum (IONOSNodePoolBelowMinimum).", "none", 12, 8,
		target{expr: `sum by (cluster, nodepool) (` + i("vigil_infra_ionos_k8s_node_state", `state="READY"`) + `)`, legend: "{{cluster}}/{{nodepool}} READY"},
		target{expr: i("vigil_infra_ionos_k8s_nodepool_nodes_desired"), legend: "{{cluster}}/{{nodepool}} desired"},
		target{expr: i("vigil_infra_ionos_k8s_nodepool_autoscaling_min_nodes"), legend: "{{cluster}}/{{nodepool}} min"},
		target{expr: i("vigil_infra_ionos_k8s_nodepool_autoscaling_max_nodes"), legend: "{{cluster}}/{{nodepool}} max"})
	b.table("Node pools", "Data center and Kubernetes version of each pool; Value 0 when the pool's version differs from its cluster's.", "none",
		i("vigil_infra_ionos_k8s_nodepool_info")+` * on (environment, cluster, nodepool) group_left() `+i("vigil_infra_ionos_k8s_nodepool_version_matches_cluster"), 12, 8)
	b.table("Node pool states", "The state each node pool is in.", "none", i("vigil_infra_ionos_k8s_nodepool_state")+` == 1`, 12, 6, "Value")
	b.table("Nodes not READY", "Nodes in any state but READY (PROVISIONING, REBUILDING, TERMINATING...).", "none",
		i("vigil_infra_ionos_k8s_node_state", `state!="READY"`)+` == 1`, 12, 6, "Value")
	b.table("Nodes", "Every node with its Kubernetes version; Value 1 when it has a public IP.", "none",
		i("vigil_infra_ionos_k8s_node_info")+` * on (environment, cluster, nodepool, node) group_left() `+i("vigil_infra_ionos_k8s_node_public_ip"), 24, 8)

	b.row("IONOS: data centers and network")
	b.table("Data centers", "Each virtual data center with its id, location and state.", "none",
		i("vigil_infra_ionos_datacenter_info")+` * on (environment, datacenter) group_left(state) (`+i("vigil_infra_ionos_datacenter_state")+` == 1)`, 12, 6)
	b.table("LANs", "1 when the LAN is public.", "none", i("vigil_infra_ionos_lan_public"), 12, 6)
	b.timeseries("IP blocks: used of reserved", "IPs of each block assigned to a NIC or node, against its size; a full block leaves new nodes without a public IP.", "none", 24, 8,
		target{expr: i("vigil_infra_ionos_ipblock_used"), legend: "{{ipblock}} used"},
		target{expr: i("vigil_infra_ionos_ipblock_size"), legend: "{{ipblock}} size"})

	b.row("AWS: K3s nodes and load balancers")
	b.problemCount("EC2 nodes not running", "Selected K3s node instances stopping, stopped, shutting down or terminated (EC2NodeNotRunning).",
		orZero(`count(`+i("vigil_infra_aws_ec2_instance_state", `state=~"stopping|stopped|shutting-down|terminated"`)+` == 1)`))
	b.problemCount("Status checks impaired", "Instance or system status checks impaired on running nodes (EC2NodeStatusCheckFailing).",
		orZero(`count(`+i("vigil_infra_aws_ec2_instance_status_check", `status="impaired"`)+` == 1)`))
	b.problemCount("Unhealthy targets", "ALB targets failing their health checks, over every target group (ALBTargetsUnhealthy).",
		orZero(`sum(`+i("vigil_infra_aws_elb_target_group_targets", `state="unhealthy"`)+`)`))
	b.problemCount("Target groups without a healthy target", "Target groups with targets registered and none healthy (ALBNoHealthyTarget).",
		orZero(`count(`+i("vigil_infra_aws_elb_target_group_targets", `state="healthy"`)+` == 0 and on (environment, account, region, target_group) sum by (environment, account, region, target_group) (`+i("vigil_infra_aws_elb_target_group_targets")+`) > 0)`))
	b.problemCount("Load balancers not active", "Load balancers provisioning, active_impaired or failed.",
		orZero(`count(`+i("vigil_infra_aws_elb_load_balancer_state", `state="active"`)+` == 0)`))
	b.problemCount("Nodes running", "Selected K3s node instances in the running state.",
		orZero(`count(`+i("vigil_infra_aws_ec2_instance_state", `state="running"`)+` == 1)`))
	b.table("EC2 nodes", "The state of each selected instance.", "none", i("vigil_infra_aws_ec2_instance_state")+` == 1`, 12, 8, "Value")
	b.table("Status checks not ok", "Instance and system status checks in any status but ok (impaired, initializing, insufficient-data, not-applicable when stopped).", "none",
		i("vigil_infra_aws_ec2_instance_status_check", `status!="ok"`)+` == 1`, 12, 8, "Value")
	b.stacked("Targets by health state", "Targets of each target group in each health state.", 12, 8,
		target{expr: i("vigil_infra_aws_elb_target_group_targets") + ` > 0`, legend: "{{target_group}} {{state}}"})
	b.table("Targets not healthy, with reason", "Each target that is not healthy, with its state and AWS's reason code (Target.Timeout, Target.ResponseCodeMismatch...).", "none",
		i("vigil_infra_aws_elb_target_unhealthy_reason"), 12, 8, "Value")
	b.table("Load balancers", "The state of each load balancer of the read target groups.", "none", i("vigil_infra_aws_elb_load_balancer_state")+` == 1`, 24, 6, "Value")
	return b.board
}
