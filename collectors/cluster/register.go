package cluster

import (
	"fmt"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
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
		Build:   build,
		Sharded: true,
	})
}

// build connects to the cluster (or the sandbox's in-memory one) and adds
// the collector's sources to the group.
func build(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
	k := sec.(*Section)
	kc, insecure, err := clients(k, deps)
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
		Probe:             kc.probe,
		Shard:             deps.Shard,
	}, kc.informers, kc.metrics, deps.Group, deps.Logger), nil
}

// sourceKey fingerprints the section without the settings one source does
// not depend on (cleared by drop), so changing the metrics.k8s.io interval
// leaves the /version probe's key, and its snapshot, alone.
func (k *Section) sourceKey(env string, drop func(*Section)) string {
	cp := *k
	drop(&cp)
	return config.Fingerprint(env, &cp)
}

// clients connects to the cluster: one client per source, each counting
// its own requests; insecure reports a connection that does not verify the
// server's certificate.
func clients(k *Section, deps *collector.Deps) (c kubeClients, insecure bool, err error) {
	if deps.Sandbox {
		kube, metrics := SandboxClients()
		if !k.MetricsAPIEnabled() {
			metrics = nil
		}
		countSandboxRequests(kube, metrics, func(api string) { deps.Group.APIRequestCounter(kubeSourceOf(api))(api) })
		return kubeClients{informers: kube, probe: kube.Discovery(), metrics: metrics}, false, nil
	}
	rc, err := restConfig(k)
	if err != nil {
		return c, false, fmt.Errorf("kubernetes: %w", err)
	}
	counted := func(src string) *rest.Config { return countedBy(rc, deps.Group.APIRequestCounter(src)) }
	if c.informers, err = kubernetes.NewForConfig(counted(InformerSource)); err != nil {
		return c, false, fmt.Errorf("kubernetes: building client: %w", err)
	}
	probe, err := kubernetes.NewForConfig(counted(APIServerSource))
	if err != nil {
		return c, false, fmt.Errorf("kubernetes: building client: %w", err)
	}
	c.probe = probe.Discovery()
	if k.MetricsAPIEnabled() {
		if c.metrics, err = metricsclient.NewForConfig(counted(MetricsSource)); err != nil {
			return c, false, fmt.Errorf("kubernetes: building metrics.k8s.io client: %w", err)
		}
	}
	return c, rc.TLSClientConfig.Insecure, nil
}

// kubeClients are the collector's clients, one per source.
type kubeClients struct {
	informers kubernetes.Interface
	probe     discovery.ServerVersionInterfaceWithContext
	metrics   metricsclient.Interface
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
