package infra

import (
	"slices"

	"github.com/vigil-monitoring/vigil/internal/metricdoc"
)

// The closed state sets. A state the API sends that is not listed counts
// as UNKNOWN, so every series of the set exists at 0 or 1 and a change of
// state never leaves an orphan series.
var (
	datacenterStates = []string{"AVAILABLE", "BUSY", "INACTIVE", "UNKNOWN"}
	// Managed clusters and node pools (sdk-go/v6 and sdk-python allowed values).
	k8sStates = []string{"ACTIVE", "DEPLOYING", "UPDATING", "MAINTENANCE", "HIBERNATING", "SUSPENDED",
		"DESTROYING", "TERMINATED", "FAILED", "FAILED_DEPLOYING", "FAILED_UPDATING", "FAILED_MAINTENANCE",
		"FAILED_HIBERNATING", "FAILED_SUSPENDED", "FAILED_DESTROYING", "UNKNOWN"}
	nodeStates = []string{"PROVISIONING", "PROVISIONED", "READY", "TERMINATING", "REBUILDING", "BUSY", "UNKNOWN"}
)

const fromIONOS = " (IONOS Cloud API v6"

// Catalogue lists every family of the infra collector.
var Catalogue = slices.Concat(ionosCatalogue, awsCatalogue, awsServicesCatalogue)

// The IONOS families.
var ionosCatalogue = []metricdoc.Desc{
	{Name: "vigil_infra_ionos_datacenter_info", Type: metricdoc.Gauge, Labels: []string{"datacenter", "datacenter_id", "location"},
		Help: "1 for each IONOS virtual data center" + fromIONOS + " GET /datacenters), with its id and location."},
	{Name: "vigil_infra_ionos_datacenter_state", Type: metricdoc.Gauge, Labels: []string{"datacenter", "state"},
		Help: "1 for the data center's current metadata.state, 0 for every other state of the set" + fromIONOS + " GET /datacenters)."},
	{Name: "vigil_infra_ionos_lan_public", Type: metricdoc.Gauge, Labels: []string{"datacenter", "lan"},
		Help: "1 when the LAN is public (connected to the internet), 0 when private" + fromIONOS + " GET /datacenters/{id}/lans)."},
	{Name: "vigil_infra_ionos_ipblock_size", Type: metricdoc.Gauge, Labels: []string{"ipblock", "location"},
		Help: "IP addresses reserved in the IP block" + fromIONOS + " GET /ipblocks, properties.size)."},
	{Name: "vigil_infra_ionos_ipblock_used", Type: metricdoc.Gauge, Labels: []string{"ipblock", "location"},
		Help: "IP addresses of the IP block assigned to a NIC or node" + fromIONOS + " GET /ipblocks, properties.ipConsumers)."},
	{Name: "vigil_infra_ionos_k8s_cluster_info", Type: metricdoc.Gauge, Labels: []string{"cluster", "cluster_id", "k8s_version"},
		Help: "1 for each IONOS managed Kubernetes cluster, with its id and Kubernetes version" + fromIONOS + " GET /k8s)."},
	{Name: "vigil_infra_ionos_k8s_cluster_state", Type: metricdoc.Gauge, Labels: []string{"cluster", "state"},
		Help: "1 for the managed cluster's current metadata.state, 0 for every other state of the set" + fromIONOS + " GET /k8s)."},
	{Name: "vigil_infra_ionos_k8s_cluster_upgrade_available", Type: metricdoc.Gauge, Labels: []string{"cluster"},
		Help: "1 when IONOS offers a Kubernetes upgrade for the cluster (properties.availableUpgradeVersions is not empty)" + fromIONOS + " GET /k8s)."},
	{Name: "vigil_infra_ionos_k8s_cluster_upgrade_available_since_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"cluster"},
		Help: "When Vigil first saw an upgrade available for the cluster's current Kubernetes version (Unix seconds; kept across restarts in --storage.path); absent when none is available."},
	{Name: "vigil_infra_ionos_k8s_cluster_maintenance_window_start_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"cluster"},
		Help: "Start of the cluster's maintenance window that is open now, or else of the next one (Unix seconds; from properties.maintenanceWindow" + fromIONOS + ") and the configured window length)."},
	{Name: "vigil_infra_ionos_k8s_cluster_maintenance_window_open", Type: metricdoc.Gauge, Labels: []string{"cluster"},
		Help: "1 while the cluster's weekly maintenance window is open (its start plus the configured maintenance_window_duration), else 0."},
	{Name: "vigil_infra_ionos_k8s_cluster_kubernetes_cluster", Type: metricdoc.Gauge, Labels: []string{"cluster", "kubernetes_cluster"},
		Help: "1 for each IONOS managed cluster named in infra.ionos.kubernetes_clusters, with the cluster name its node and pod alerts carry (the kubernetes: section's cluster); rules join on it to inhibit those alerts during maintenance."},
	{Name: "vigil_infra_ionos_k8s_cluster_public", Type: metricdoc.Gauge, Labels: []string{"cluster"},
		Help: "1 when the cluster's API server is reachable from the internet (properties.public" + fromIONOS + "))."},
	{Name: "vigil_infra_ionos_k8s_cluster_api_allow_list_entries", Type: metricdoc.Gauge, Labels: []string{"cluster"},
		Help: "Entries in the cluster's API server allow-list (properties.apiSubnetAllowList" + fromIONOS + "); 0 means any address may connect."},
	{Name: "vigil_infra_ionos_k8s_nodepool_info", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool", "datacenter", "k8s_version"},
		Help: "1 for each node pool of a managed cluster, with its data center and Kubernetes version" + fromIONOS + " GET /k8s/{id}/nodepools)."},
	{Name: "vigil_infra_ionos_k8s_nodepool_state", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool", "state"},
		Help: "1 for the node pool's current metadata.state, 0 for every other state of the set" + fromIONOS + ")."},
	{Name: "vigil_infra_ionos_k8s_nodepool_version_matches_cluster", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool"},
		Help: "1 when the node pool runs the cluster's Kubernetes version, 0 when it lags or leads" + fromIONOS + ")."},
	{Name: "vigil_infra_ionos_k8s_nodepool_nodes_desired", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool"},
		Help: "Nodes the node pool is set to run (properties.nodeCount" + fromIONOS + "); the autoscaler moves it between the minimum and maximum."},
	{Name: "vigil_infra_ionos_k8s_nodepool_autoscaling_min_nodes", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool"},
		Help: "Autoscaling minimum of the node pool (properties.autoScaling.minNodeCount" + fromIONOS + ")); absent when the pool does not autoscale."},
	{Name: "vigil_infra_ionos_k8s_nodepool_autoscaling_max_nodes", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool"},
		Help: "Autoscaling maximum of the node pool (properties.autoScaling.maxNodeCount" + fromIONOS + ")); absent when the pool does not autoscale."},
	{Name: "vigil_infra_ionos_k8s_nodepool_maintenance_window_start_timestamp_seconds", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool"},
		Help: "Start of the node pool's maintenance window that is open now, or else of the next one (Unix seconds; properties.maintenanceWindow" + fromIONOS + "))."},
	{Name: "vigil_infra_ionos_k8s_nodepool_maintenance_window_open", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool"},
		Help: "1 while the node pool's weekly maintenance window is open (its start plus the configured maintenance_window_duration), else 0."},
	{Name: "vigil_infra_ionos_k8s_node_state", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool", "node", "state"},
		Help: "1 for the node's current metadata.state, 0 for every other state of the set" + fromIONOS + " GET /k8s/{id}/nodepools/{id}/nodes)."},
	{Name: "vigil_infra_ionos_k8s_node_info", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool", "node", "k8s_version"},
		Help: "1 for each node of a managed node pool, with its Kubernetes version" + fromIONOS + " GET /k8s/{id}/nodepools/{id}/nodes)."},
	{Name: "vigil_infra_ionos_k8s_node_public_ip", Type: metricdoc.Gauge, Labels: []string{"cluster", "nodepool", "node"},
		Help: "1 when the node has a public IP address (properties.publicIP" + fromIONOS + ")), 0 when it has none."},
	{Name: "vigil_infra_ionos_k8s_node_public_ip_expected", Type: metricdoc.Gauge,
		Help: "1 when the configuration says this environment's nodes have public IPs (infra.ionos.nodes_have_public_ips), else 0; the alert on nodes without one joins on it."},
}

// The AWS families (EC2 and ELBv2 read calls of the aws provider's accounts).
var awsCatalogue = []metricdoc.Desc{
	{Name: "vigil_infra_aws_ec2_instance_state", Type: metricdoc.Gauge, Labels: []string{"account", "region", "instance_id", "instance_name", "state"},
		Help: "1 for the EC2 instance's current state, 0 for every other of pending, running, shutting-down, terminated, stopping, stopped (ec2:DescribeInstances, instances selected by tag or ID)."},
	{Name: "vigil_infra_aws_ec2_instance_status_check", Type: metricdoc.Gauge, Labels: []string{"account", "region", "instance_id", "instance_name", "check", "status"},
		Help: "1 for the current status of the instance's status check (check=instance or system), 0 for every other of ok, impaired, insufficient-data, not-applicable, initializing (ec2:DescribeInstanceStatus with IncludeAllInstances)."},
	{Name: "vigil_infra_aws_elb_target_group_targets", Type: metricdoc.Gauge, Labels: []string{"account", "region", "target_group", "state"},
		Help: "Targets registered in the ELBv2 target group in each health state: healthy, unhealthy, unused, draining, initial, unavailable (elbv2:DescribeTargetHealth)."},
	{Name: "vigil_infra_aws_elb_target_unhealthy_reason", Type: metricdoc.Gauge, Labels: []string{"account", "region", "target_group", "target", "state", "reason"},
		Help: "1 for each target (id:port) of the target group that is not healthy, with its state and AWS's reason code, e.g. Target.ResponseCodeMismatch (elbv2:DescribeTargetHealth); absent while healthy."},
	{Name: "vigil_infra_aws_elb_load_balancer_state", Type: metricdoc.Gauge, Labels: []string{"account", "region", "load_balancer", "state"},
		Help: "1 for the load balancer's current state, 0 for every other of active, provisioning, active_impaired, failed (elbv2:DescribeLoadBalancers, the load balancers of the read target groups)."},
}

// The families of the AWS managed services around the nodes.
var awsServicesCatalogue = []metricdoc.Desc{
	{Name: "vigil_infra_aws_account_info", Type: metricdoc.Gauge, Labels: []string{"account", "account_id"},
		Help: "1 for each AWS account read, with its 12-digit ID (sts:GetCallerIdentity, asked once per account and cached): the account label is the aws: section's name for it."},
	{Name: "vigil_infra_aws_waf_web_acl_associated", Type: metricdoc.Gauge, Labels: []string{"account", "region", "load_balancer"},
		Help: "1 when a WAFv2 web ACL is associated with the configured ALB, 0 when none is (wafv2:GetWebACLForResource; infra.aws.accounts[].waf_load_balancer_arns)."},
	{Name: "vigil_infra_aws_waf_web_acl_info", Type: metricdoc.Gauge, Labels: []string{"account", "region", "load_balancer", "web_acl"},
		Help: "1 for the web ACL associated with each configured ALB (wafv2:GetWebACLForResource); absent while none is."},
	{Name: "vigil_infra_aws_sqs_messages", Type: metricdoc.Gauge, Labels: []string{"account", "region", "queue", "state"},
		Help: "Messages in the SQS queue by state: visible (ApproximateNumberOfMessages), in_flight (ApproximateNumberOfMessagesNotVisible), delayed (ApproximateNumberOfMessagesDelayed) (sqs:GetQueueAttributes)."},
	{Name: "vigil_infra_aws_sqs_dead_letter_queue_messages", Type: metricdoc.Gauge, Labels: []string{"account", "region", "queue", "dead_letter_queue"},
		Help: "Messages in the queue's dead-letter queue (its RedrivePolicy's deadLetterTargetArn), visible, in flight and delayed together (sqs:GetQueueAttributes); absent without a RedrivePolicy or when the dead-letter queue is in another account or region."},
	{Name: "vigil_infra_aws_sqs_oldest_message_age_seconds", Type: metricdoc.Gauge, Labels: []string{"account", "region", "queue"},
		Help: "Age of the queue's oldest message: CloudWatch AWS/SQS ApproximateAgeOfOldestMessage, Maximum over the newest 1-minute period that ended at least 3 minutes ago (cloudwatch:GetMetricData); absent when CloudWatch has no datapoint in the last 20 minutes."},
	{Name: "vigil_infra_aws_sqs_backlog_threshold_messages", Type: metricdoc.Gauge, Labels: []string{"account", "region", "queue"},
		Help: "From Vigil's configuration (infra.aws.accounts[].sqs.backlog_depth): visible messages above which a backlog still growing over 30 minutes alerts."},
	{Name: "vigil_infra_aws_sqs_oldest_message_age_threshold_seconds", Type: metricdoc.Gauge, Labels: []string{"account", "region", "queue"},
		Help: "From Vigil's configuration (infra.aws.accounts[].sqs.max_message_age): age of the oldest message above which the queue alerts."},
	{Name: "vigil_infra_aws_rds_instance_status", Type: metricdoc.Gauge, Labels: []string{"account", "region", "db_instance", "status"},
		Help: "1 for the RDS DB instance's current DBInstanceStatus, 0 for every other status RDS documents (available, backing-up, …, upgrading; anything else is unknown) (rds:DescribeDBInstances)."},
	{Name: "vigil_infra_aws_rds_allocated_storage_bytes", Type: metricdoc.Gauge, Labels: []string{"account", "region", "db_instance"},
		Help: "Storage allocated to the RDS DB instance (AllocatedStorage GiB x 2^30; rds:DescribeDBInstances)."},
	{Name: "vigil_infra_aws_rds_free_storage_bytes", Type: metricdoc.Gauge, Labels: []string{"account", "region", "db_instance"},
		Help: "Free storage of the RDS DB instance: CloudWatch AWS/RDS FreeStorageSpace, Minimum over the newest 1-minute period that ended at least 3 minutes ago (cloudwatch:GetMetricData); absent when CloudWatch has no datapoint in the last 20 minutes."},
	{Name: "vigil_infra_aws_rds_free_storage_min_ratio", Type: metricdoc.Gauge, Labels: []string{"account", "region", "db_instance"},
		Help: "From Vigil's configuration (infra.aws.accounts[].rds.free_storage_min_ratio): free storage below this fraction of the allocated storage alerts."},
	{Name: "vigil_infra_aws_scheduler_schedule_enabled", Type: metricdoc.Gauge, Labels: []string{"account", "region", "group", "schedule"},
		Help: "1 when the EventBridge Scheduler schedule is ENABLED, 0 when DISABLED (scheduler:ListSchedules)."},
	{Name: "vigil_infra_aws_cloudwatch_metrics_requested_total", Type: metricdoc.Counter, Labels: []string{"account", "region"},
		Help: "CloudWatch metrics Vigil asked for in GetMetricData since it started (each query counts, with or without data): what CloudWatch bills."},
	{Name: "vigil_infra_exporter_cost_total", Type: metricdoc.Counter, Labels: []string{"provider", "account", "currency"},
		Help: "What Vigil's own infra requests cost since it started: CloudWatch GetMetricData at USD 0.01 per 1,000 metrics requested; the other infra calls are free. Add vigil_billing_exporter_cost_total for all Vigil costs."},
}

// infoOnly: every family is used by an alert or the Infrastructure dashboard.
var infoOnly = map[string]string{}
