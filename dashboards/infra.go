package dashboards

import "github.com/grafana-tools/sdk"

// Infra is the cloud infrastructure as the clouds' APIs see it, rows per
// provider (IONOS, then AWS): states first (what the alerts watch), then capacity and
// schedule (node counts against autoscaling limits, maintenance windows,
// upgrades), then the network (LANs, IP blocks).
func Infra() *sdk.Board {
	b := newBuilder("vigil-infra", "Vigil / Infrastructure", "infra", "ionos", "aws")
	b.variables(false)
	i := func(metric string, matchers ...string) string { return one(metric, false, matchers...) }

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
	awsServices(b, i)
	return b.board
}

// awsServices is the row of the managed services around the nodes: WAF,
// SQS, RDS, Scheduler, and what CloudWatch costs Vigil.
func awsServices(b *builder, i func(string, ...string) string) {
	b.row("AWS: WAF, SQS, RDS, schedules")
	b.problemCount("ALBs without WAF", "Configured ALBs with no WAFv2 web ACL associated (WAFDetached).",
		orZero(`count(`+i("vigil_infra_aws_waf_web_acl_associated")+` == 0)`))
	b.problemCount("Dead-letter messages", "Messages waiting in the queues' dead-letter queues (SQSDeadLetterQueueNotEmpty).",
		orZero(`sum(`+i("vigil_infra_aws_sqs_dead_letter_queue_messages")+`)`))
	b.problemCount("RDS instances not available", "RDS DB instances in a status that refuses connections (RDSInstanceNotAvailable).",
		orZero(`count(sum without (status) (`+i("vigil_infra_aws_rds_instance_status", `status=~"available|backing-up|configuring-.*|modifying|renaming|resetting-master-credentials|storage-optimization|storage-config-upgrade"`)+`) == 0)`))
	b.problemCount("Schedules disabled", "EventBridge Scheduler schedules in the DISABLED state.",
		orZero(`count(`+i("vigil_infra_aws_scheduler_schedule_enabled")+` == 0)`))
	b.stat("CloudWatch cost, 24 h", "What Vigil's GetMetricData calls cost in the last 24 hours (USD 0.01 per 1,000 metrics requested; vigil_infra_exporter_cost_total), summed over Vigil's replicas: each one sends its own.", "currencyUSD",
		`sum(`+perReplica("increase", "24h", "vigil_infra_exporter_cost_total", false)+`) or vector(0)`, thresholds(0.5, "orange", 1.0, "red"), 4, 4)
	b.stat("CloudWatch metrics, 24 h", "Metrics Vigil requested from CloudWatch GetMetricData in the last 24 hours, summed over Vigil's replicas: each one sends its own.", "none",
		`sum(`+perReplica("increase", "24h", "vigil_infra_aws_cloudwatch_metrics_requested_total", false)+`) or vector(0)`, thresholds(100000.0, "orange", 1000000.0, "red"), 4, 4)
	b.table("AWS accounts", "Each AWS account read, with its ID (sts:GetCallerIdentity).", "none", i("vigil_infra_aws_account_info"), 24, 4, "Value")
	b.table("WAF web ACL per ALB", "The web ACL associated with each configured ALB.", "none", i("vigil_infra_aws_waf_web_acl_info"), 12, 6, "Value")
	b.table("Schedules", "Each EventBridge Scheduler schedule: 1 enabled, 0 disabled.", "none", i("vigil_infra_aws_scheduler_schedule_enabled"), 12, 6)
	b.timeseries("SQS messages", "Visible, in-flight and delayed messages per queue, with each queue's configured backlog depth (SQSBacklogGrowing fires above it while growing).", "none", 12, 8,
		target{expr: i("vigil_infra_aws_sqs_messages"), legend: "{{queue}} {{state}}"},
		target{expr: i("vigil_infra_aws_sqs_backlog_threshold_messages"), legend: "{{queue}} backlog depth"})
	b.timeseries("SQS oldest message age", "Age of each queue's oldest message (CloudWatch, 3 minutes behind) against its configured maximum.", "s", 12, 8,
		target{expr: i("vigil_infra_aws_sqs_oldest_message_age_seconds"), legend: "{{queue}}"},
		target{expr: i("vigil_infra_aws_sqs_oldest_message_age_threshold_seconds"), legend: "{{queue}} maximum"})
	b.timeseries("RDS free storage", "Free storage of each DB instance as a fraction of its allocated storage, against the configured minimum.", "percentunit", 12, 8,
		target{expr: i("vigil_infra_aws_rds_free_storage_bytes") + ` / on (environment, account, region, db_instance) ` + i("vigil_infra_aws_rds_allocated_storage_bytes"), legend: "{{db_instance}}"},
		target{expr: i("vigil_infra_aws_rds_free_storage_min_ratio"), legend: "{{db_instance}} minimum"})
	b.table("RDS instances", "The status of each DB instance.", "none", i("vigil_infra_aws_rds_instance_status")+` == 1`, 12, 8, "Value")
}
