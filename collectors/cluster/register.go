package cluster

import (
	"fmt"

	"k8s.io/client-go/kubernetes"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// SandboxClients builds the sandbox's in-memory cluster; a variable so the
// daemon's benchmarks can make its upstreams hang.
var SandboxClients = sandbox.Cluster

func init() {
	collector.Register(collector.Registration{
		Name:       "cluster",
		Section:    "kubernetes",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		InfoOnly:   infoOnly,
		Sandbox: func(*collector.SandboxEnv) (config.Section, error) {
			return &Section{Cluster: "sandbox"}, nil
		},
		Build: build,
	})
}

// build connects to the cluster (or the sandbox's in-memory one) and adds
// the collector's sources to the group.
func build(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
	k := sec.(*Section)
	kube, metrics, insecure, err := clients(k, deps)
	if err != nil {
		return nil, err
	}
	if insecure {
		deps.Logger.Warn("the API server's TLS certificate is not verified (insecure_skip_tls_verify): anyone on the path can impersonate it; vigil_cluster_apiserver_tls_verify_disabled is 1")
	}
	return New(Config{
		Environment:       deps.Environment,
		Cluster:           k.Cluster,
		IncludeNamespaces: k.Namespaces.Include,
		ExcludeNamespaces: k.Namespaces.Exclude,
		MetricsAPI:        k.MetricsAPIEnabled(),
		ProbeInterval:     k.ProbeInterval.Std(),
		MetricsInterval:   k.MetricsInterval.Std(),
		ProbeKey:          k.sourceKey(deps.Environment, func(s *Section) { s.MetricsInterval, s.MetricsAPI = 0, nil }),
		MetricsKey:        k.sourceKey(deps.Environment, func(s *Section) { s.ProbeInterval = 0 }),
		TLSVerifyDisabled: insecure,
	}, kube, metrics, deps.Group, deps.Logger), nil
}

// sourceKey fingerprints the section without the settings one source does
// not depend on (cleared by drop), so changing the metrics.k8s.io interval
// leaves the /version probe's key, and its snapshot, alone.
func (k *Section) sourceKey(env string, drop func(*Section)) string {
	cp := *k
	drop(&cp)
	return config.Fingerprint(env, &cp)
}

// clients connects to the cluster; insecure reports a connection that does
// not verify the server's certificate.
func clients(k *Section, deps *collector.Deps) (kube kubernetes.Interface, metrics metricsclient.Interface, insecure bool, err error) {
	count := func(api string) { deps.Group.APIRequestCounter(kubeSourceOf(api))(api) }
	if deps.Sandbox {
		kube, metrics := SandboxClients()
		if !k.MetricsAPIEnabled() {
			metrics = nil
		}
		countSandboxRequests(kube, metrics, count)
		return kube, metrics, false, nil
	}
	rc, err := restConfig(k, func(_, api string) { count(api) })
	if err != nil {
		return nil, nil, false, fmt.Errorf("kubernetes: %w", err)
	}

	if kube, err = kubernetes.NewForConfig(rc); err != nil {
		return nil, nil, false, fmt.Errorf("kubernetes: building client: %w", err)
	}
	if k.MetricsAPIEnabled() {
		if metrics, err = metricsclient.NewForConfig(rc); err != nil {
			return nil, nil, false, fmt.Errorf("kubernetes: building metrics.k8s.io client: %w", err)
		}
	}
	return kube, metrics, rc.TLSClientConfig.Insecure, nil
}

var _ collector.Collector = (*Collector)(nil)

// infoOnly names the families no alert or dashboard panel uses, and why.
var infoOnly = map[string]string{
	"vigil_cluster_pod_info":                    "labels (node, owner) to join in ad-hoc queries; the alerts carry each pod's own labels",
	"vigil_cluster_pod_cpu_limits_cores":        "kubectl-describe context; no runbook check alerts on limits (requests, usage and OOMKills carry the faults)",
	"vigil_cluster_pod_memory_limits_bytes":     "kubectl-describe context; no runbook check alerts on limits (requests, usage and OOMKills carry the faults)",
	"vigil_cluster_workload_replicas_available": "rollout detail beside ready and desired, which the alerts and panels use",
	"vigil_cluster_workload_replicas_updated":   "rollout detail beside ready and desired, which the alerts and panels use",
	"vigil_cluster_hpa_replicas_desired":        "detail beside current and max, which KubeHPAMaxedOut uses",
}
