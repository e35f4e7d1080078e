package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana-tools/sdk"
)

// Board is one generated dashboard and the file it is committed as.
type Board struct {
	File  string // file name under dashboards/, e.g. overview.json
	Build func() *sdk.Board
}

// All lists every dashboard, in the order make generate writes them.
func All() []Board {
	return []Board{
		{File: "overview.json", Build: Overview},
		{File: "cluster.json", Build: Cluster},
		{File: "money.json", Build: Money},
		{File: "access.json", Build: Access},
		{File: "infra.json", Build: Infra},
		{File: "backup.json", Build: Backup},
	}
}

// Render builds every dashboard and returns its JSON by file name.
func Render() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, d := range All() {
		b, err := render(d.Build())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.File, err)
		}
		out[d.File] = b
	}
	return out, nil
}

// sel writes a selector filtered on the dashboard's variables:
// sel("vigil_source_up", false, `source="x"`) gives
// vigil_source_up{environment=~"$environment",source="x"}.
func sel(metric string, cluster bool, matchers ...string) string {
	ms := []string{`environment=~"$environment"`}
	if cluster {
		ms = append(ms, `cluster=~"$cluster"`)
	}
	ms = append(ms, matchers...)
	return metric + "{" + strings.Join(ms, ",") + "}"
}

// one reads a metric the way every panel does: deduplicated across Vigil's
// replicas. With deploy/components/replicas two exporters export the same
// series, told apart only by the target label vigil_replica; taking the
// max without it at the leaf, before any sum, count or join, makes two
// replicas show what one shows (a sum would double, a join on duplicate
// series would refuse to evaluate and the panel go empty), and leaves a
// single replica's result as it was. alerts/*.yml read their series alike.
func one(metric string, cluster bool, matchers ...string) string {
	return "max without (vigil_replica) (" + sel(metric, cluster, matchers...) + ")"
}

// oneOver is one for a counter: fn (rate, increase) of each replica's
// series over window, then the max without vigil_replica.
func oneOver(fn, window, metric string, cluster bool, matchers ...string) string {
	return "max without (vigil_replica) (" + fn + "(" + sel(metric, cluster, matchers...) + "[" + window + "]))"
}

// perReplica is for what each replica does by itself, the requests it sends
// upstream and what they cost: every replica reads every upstream on its
// own (deploy/README.md, "Two replicas, one page"), so these figures are
// summed over the replicas, not deduplicated. fn (rate, increase) of each
// replica's series over window.
func perReplica(fn, window, metric string, cluster bool, matchers ...string) string {
	return fn + "(" + sel(metric, cluster, matchers...) + "[" + window + "])"
}

// orZero makes a count show 0 instead of "No data" when nothing matches.
func orZero(expr string) string { return expr + " or vector(0)" }

// Overview answers "is anything wrong right now, and can I trust the data":
// counts of objects in each bad state the alerts watch, and the health and
// age of every source, and what the clouds cost against the budgets.
func Overview() *sdk.Board {
	b := newBuilder("vigil-overview", "Vigil / Overview", "overview")
	b.variables(false)
	c := func(metric string, matchers ...string) string { return one(metric, false, matchers...) }

	b.row("Is anything wrong right now?")
	b.problemCount("API servers unreachable", "Kubernetes API servers Vigil cannot reach (KubeAPIServerUnreachable).",
		orZero(`count(`+c("vigil_cluster_apiserver_up")+` == 0)`))
	b.problemCount("Nodes not Ready", "Nodes whose Ready condition is false or unknown (KubeNodeNotReady).",
		orZero(`count(`+c("vigil_cluster_node_condition", `condition="Ready"`, `status!="true"`)+` == 1)`))
	b.problemCount("Nodes tainted unreachable", "Nodes carrying node.kubernetes.io/unreachable or not-ready (KubeNodeTaintedUnreachable).",
		orZero(`count(max by (environment, cluster, node) (`+c("vigil_cluster_node_taint", `key=~"node.kubernetes.io/(unreachable|not-ready)"`)+`))`))
	b.problemCount("Containers crash-looping", "Containers waiting in CrashLoopBackOff (KubePodCrashLooping).",
		orZero(`count(`+c("vigil_cluster_pod_container_waiting", `reason="CrashLoopBackOff"`)+`)`))
	b.problemCount("Image pulls failing", "Containers waiting in ErrImagePull or ImagePullBackOff (KubePodImagePullFailing).",
		orZero(`count(`+c("vigil_cluster_pod_container_waiting", `reason=~"ImagePullBackOff|ErrImagePull"`)+`)`))
	b.problemCount("Container config errors", "Containers waiting in CreateContainerConfigError (KubePodContainerConfigError).",
		orZero(`count(`+c("vigil_cluster_pod_container_waiting", `reason="CreateContainerConfigError"`)+`)`))
	b.problemCount("Pods unschedulable", "Pods the scheduler cannot place (KubePodUnschedulable).",
		orZero(`count(`+c("vigil_cluster_pod_unschedulable")+` == 1)`))
	b.problemCount("OOMKills in the last hour", "Containers whose last termination was an OOMKill less than an hour ago (KubePodOOMKilled).",
		orZero(`count(`+c("vigil_cluster_pod_container_last_terminated_reason", `reason="OOMKilled"`)+
			` and on (environment, cluster, namespace, pod, container) (time() - `+c("vigil_cluster_pod_container_last_terminated_timestamp_seconds")+` < 3600))`))
	b.problemCount("Workloads down", "Deployments, StatefulSets and DaemonSets with no ready replica (KubeWorkloadUnavailable).",
		orZero(`count((`+c("vigil_cluster_workload_replicas_ready")+` == 0) and `+c("vigil_cluster_workload_replicas_desired")+` > 0)`))
	b.problemCount("Workloads short of replicas", "Workloads whose ready replicas differ from the desired number (KubeWorkloadReplicasMismatch).",
		orZero(`count(`+c("vigil_cluster_workload_replicas_ready")+` != `+c("vigil_cluster_workload_replicas_desired")+`)`))
	b.problemCount("Environments drifted from Terraform", "Environments whose last provision drift found changes made outside Terraform (TerraformDriftDetected).",
		orZero(`count(`+c("vigil_provision_drift_detected")+` == 1)`))
	b.problemCount("Textfiles invalid", "Files in Vigil's textfile directory that do not parse; their last good contents are served (VigilTextfileInvalid).",
		orZero(`count(`+c("vigil_textfile_file_valid")+` == 0)`))
	b.problemCount("Vigil sources down", "Sources whose last refresh failed (VigilSourceDown).",
		orZero(`count(`+c("vigil_source_up")+` == 0)`))
	b.problemCount("Vigil sources stale", "Sources whose data is older than 3 refresh intervals (VigilSourceDataStale).",
		orZero(`count(time() - `+c("vigil_source_last_success_timestamp_seconds")+` > 3 * `+c("vigil_source_refresh_interval_seconds")+`)`))

	b.row("Can I trust the data? (Vigil's sources)")
	b.table("Sources", "Every source: up (1) or failing (0) and the age of its data.", "s",
		`time() - `+c("vigil_source_last_success_timestamp_seconds"), 12, 8)
	b.timeseries("Data age, in refresh intervals", "Age of each source's data divided by its refresh interval; VigilSourceDataStale fires above 3.", "none", 12, 8,
		target{expr: `(time() - ` + c("vigil_source_last_success_timestamp_seconds") + `) / ` + c("vigil_source_refresh_interval_seconds"), legend: "{{environment}} {{source}}"})
	b.timeseries("Source up", "1 when the source's last refresh succeeded.", "none", 8, 8,
		target{expr: c("vigil_source_up"), legend: "{{environment}} {{source}}"})
	b.timeseries("Refresh errors by reason", "Failed refreshes per second, by source and bounded reason.", "ops", 8, 8,
		target{expr: `sum by (environment, source, reason) (` + oneOver("rate", "$__rate_interval", "vigil_source_errors_total", false) + `)`, legend: "{{source}}: {{reason}}"})
	b.timeseries("Refresh duration", "How long each source's last refresh took.", "s", 8, 8,
		target{expr: c("vigil_source_refresh_duration_seconds"), legend: "{{environment}} {{source}}"})
	b.timeseries("Upstream API requests", "Requests Vigil itself sends upstream, per second, by source and API: what Vigil costs the upstream, summed over Vigil's replicas (each one sends its own).", "reqps", 12, 8,
		target{expr: `sum by (environment, source, api) (` + perReplica("rate", "$__rate_interval", "vigil_source_api_requests_total", false) + `)`, legend: "{{source}} {{api}}"})
	// The build is the many side: while replicas roll to a new version, each
	// version is a row (the one side, on its left, would refuse two).
	b.table("Vigil builds and configuration", "Running Vigil builds, one row per version while replicas roll; value 1 when the last configuration reload succeeded (a failed reload keeps the previous configuration).", "none",
		c("vigil_build_info")+` * on (environment, instance) group_left () `+c("vigil_config_last_reload_successful"), 12, 8)

	b.row("What does it cost? (details: Vigil / Money)")
	b.table("Spend this month / budget", "Month to date over the monthly budget per environment and provider (billing.budgets); alerts at 50, 75 and 90 %.", "percentunit",
		`sum by (environment, provider, currency) (`+c("vigil_billing_cost_month_to_date")+`) / on (environment, provider, currency) max by (environment, provider, currency) (`+c("vigil_budget_amount")+`)`, 12, 6)
	b.table("Month-end forecast / budget", "Forecast spend of the whole month over the budget (BillingForecastOverBudget above 1).", "percentunit",
		`sum by (environment, provider, currency) (`+c("vigil_billing_forecast_month_end")+`) / on (environment, provider, currency) max by (environment, provider, currency) (`+c("vigil_budget_amount")+`)`, 12, 6)
	return b.board
}

// Cluster shows a Kubernetes cluster's health and resource use: nodes, pods,
// workloads and HPAs, as the cluster alerts see them.
func Cluster() *sdk.Board {
	b := newBuilder("vigil-cluster", "Vigil / Kubernetes cluster", "kubernetes")
	b.variables(true)
	k := func(metric string, matchers ...string) string { return one(metric, true, matchers...) }

	b.row("API server")
	b.stat("API server up", "1 when Vigil's /version probe of the API server succeeds.", "none",
		`min(`+k("vigil_cluster_apiserver_up")+`)`,
		sdk.Thresholds{Mode: "absolute", Steps: []sdk.ThresholdStep{{Color: "red"}, {Color: "green", Value: ptr(1.0)}}}, 4, 4)
	b.stat("Nodes", "Nodes in the API server.", "none", `count(`+k("vigil_cluster_node_info")+`)`, sdk.Thresholds{Mode: "absolute", Steps: []sdk.ThresholdStep{{Color: "blue"}}}, 4, 4)
	b.problemCount("Nodes not Ready", "Ready condition false or unknown.",
		orZero(`count(`+k("vigil_cluster_node_condition", `condition="Ready"`, `status!="true"`)+` == 1)`))
	b.problemCount("Nodes cordoned", "Nodes marked unschedulable.", orZero(`sum(`+k("vigil_cluster_node_unschedulable")+`)`))
	b.table("API server version", "Version from the last successful /version probe.", "none", k("vigil_cluster_apiserver_info"), 8, 4)

	b.row("Nodes")
	b.timeseries("CPU used / allocatable", "Node CPU use (metrics.k8s.io, kubectl top nodes) over allocatable CPU; KubeNodeCPUHigh fires above 80 %.", "percentunit", 12, 8,
		target{expr: k("vigil_cluster_node_cpu_usage_cores") + ` / ` + k("vigil_cluster_node_allocatable_cpu_cores"), legend: "{{cluster}} {{node}}"})
	b.timeseries("Memory used / allocatable", "Node memory working set over allocatable memory; KubeNodeMemoryHigh fires above 85 %.", "percentunit", 12, 8,
		target{expr: k("vigil_cluster_node_memory_usage_bytes") + ` / ` + k("vigil_cluster_node_allocatable_memory_bytes"), legend: "{{cluster}} {{node}}"})
	b.table("Node conditions that need attention", "Ready not true, or a pressure condition true.", "none",
		k("vigil_cluster_node_condition", `condition="Ready"`, `status!="true"`)+` or `+
			k("vigil_cluster_node_condition", `condition!="Ready"`, `status="true"`), 12, 8, "Value")
	b.table("Node taints", "Every taint on every node; node.kubernetes.io/unreachable and not-ready mean the node controller lost the node.", "none",
		k("vigil_cluster_node_taint"), 12, 8, "Value")
	b.timeseries("CPU: used, requested, allocatable", "Cluster totals in cores.", "none", 12, 8,
		target{expr: `sum by (cluster) (` + k("vigil_cluster_node_cpu_usage_cores") + `)`, legend: "{{cluster}} used"},
		target{expr: `sum by (cluster) (` + k("vigil_cluster_pod_cpu_requests_cores") + `)`, legend: "{{cluster}} requested"},
		target{expr: `sum by (cluster) (` + k("vigil_cluster_node_allocatable_cpu_cores") + `)`, legend: "{{cluster}} allocatable"})
	b.timeseries("Memory: used, requested, allocatable", "Cluster totals.", "bytes", 12, 8,
		target{expr: `sum by (cluster) (` + k("vigil_cluster_node_memory_usage_bytes") + `)`, legend: "{{cluster}} used"},
		target{expr: `sum by (cluster) (` + k("vigil_cluster_pod_memory_requests_bytes") + `)`, legend: "{{cluster}} requested"},
		target{expr: `sum by (cluster) (` + k("vigil_cluster_node_allocatable_memory_bytes") + `)`, legend: "{{cluster}} allocatable"})

	b.row("Pods")
	b.stacked("Pods by phase", "Pods per phase.", 12, 8,
		target{expr: `sum by (phase) (` + k("vigil_cluster_pod_phase") + `)`, legend: "{{phase}}"})
	b.stacked("Containers waiting, by reason", "CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, ...", 12, 8,
		target{expr: `sum by (reason) (` + k("vigil_cluster_pod_container_waiting") + `)`, legend: "{{reason}}"})
	b.table("Containers waiting", "Every waiting container and why.", "none", k("vigil_cluster_pod_container_waiting"), 12, 8, "Value")
	b.table("Unschedulable pods", "Pods the scheduler cannot place, with the PodScheduled condition's reason.", "none",
		k("vigil_cluster_pod_unschedulable")+` == 1`, 12, 8, "Value")
	b.timeseries("Container restarts (top 10)", "Restarts per container over the interval.", "none", 12, 8,
		target{expr: `topk(10, ` + oneOver("increase", "$__rate_interval", "vigil_cluster_pod_container_restarts_total", true) + ` > 0)`, legend: "{{namespace}}/{{pod}} {{container}}"})
	b.table("OOMKilled containers", "Containers whose last termination was an OOMKill, with how long ago it happened.", "s",
		`time() - `+k("vigil_cluster_pod_container_last_terminated_timestamp_seconds")+
			` and on (environment, cluster, namespace, pod, container) `+k("vigil_cluster_pod_container_last_terminated_reason", `reason="OOMKilled"`), 12, 8)
	b.timeseries("CPU used by namespace", "Pod CPU use (metrics.k8s.io, kubectl top pods), by namespace.", "none", 12, 8,
		target{expr: `sum by (namespace) (` + k("vigil_cluster_pod_cpu_usage_cores") + `)`, legend: "{{namespace}}"})
	b.timeseries("Memory used by namespace", "Pod memory working set, by namespace.", "bytes", 12, 8,
		target{expr: `sum by (namespace) (` + k("vigil_cluster_pod_memory_usage_bytes") + `)`, legend: "{{namespace}}"})

	b.row("Workloads")
	b.table("Workloads short of replicas", "Ready replicas (value) differ from the desired number.", "none",
		k("vigil_cluster_workload_replicas_ready")+` != `+k("vigil_cluster_workload_replicas_desired"), 12, 8)
	b.table("Single-replica Deployments", "Deployments that run one replica: every drain or crash is an outage.", "none",
		k("vigil_cluster_workload_replicas_desired", `kind="Deployment"`)+` == 1`, 12, 8, "Value")
	b.timeseries("HPA replicas / maximum", "1 means the HPA is at its ceiling (KubeHPAMaxedOut).", "percentunit", 12, 8,
		target{expr: k("vigil_cluster_hpa_replicas_current") + ` / ` + k("vigil_cluster_hpa_replicas_max"), legend: "{{namespace}}/{{hpa}}"})
	b.table("HPAs", "Current and maximum replicas of every HorizontalPodAutoscaler (value: current).", "none",
		k("vigil_cluster_hpa_replicas_current"), 12, 8)
	return b.board
}
