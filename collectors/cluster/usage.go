package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/vigil-monitoring/vigil/internal/source"
)

// usage is one metrics.k8s.io snapshot: what `kubectl top nodes` and
// `kubectl top pods` show. It is rendered only for nodes and pods still in
// the informer caches, so a deleted pod's usage vanishes with it.
type usage struct {
	nodes map[string]resourceUsage
	pods  map[podKey]resourceUsage
}

type podKey struct{ namespace, name string }

type resourceUsage struct {
	cpuNano  int64 // nanocores: metrics-server reports "123456789n"
	memBytes int64
}

// fetchUsage lists NodeMetrics and PodMetrics (all namespaces, or each
// included one). A pod's usage is the sum of its containers', as kubectl
// top pods shows it.
func fetchUsage(ctx context.Context, client metricsclient.Interface, namespaces []string) (*usage, error) {
	nodes, err := client.MetricsV1beta1().NodeMetricses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, explainMetricsAPI(err)
	}
	u := &usage{nodes: make(map[string]resourceUsage, len(nodes.Items)), pods: map[podKey]resourceUsage{}}
	for _, n := range nodes.Items {
		u.nodes[n.Name] = resourceUsage{
			cpuNano:  n.Usage.Cpu().ScaledValue(resource.Nano),
			memBytes: n.Usage.Memory().Value(),
		}
	}
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	for _, ns := range namespaces {
		pods, err := client.MetricsV1beta1().PodMetricses(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing pod metrics: %w", explainMetricsAPI(err))
		}
		for _, p := range pods.Items {
			var r resourceUsage
			for _, c := range p.Containers {
				if q, ok := c.Usage[corev1.ResourceCPU]; ok {
					r.cpuNano += q.ScaledValue(resource.Nano)
				}
				if q, ok := c.Usage[corev1.ResourceMemory]; ok {
					r.memBytes += q.Value()
				}
			}
			u.pods[podKey{p.Namespace, p.Name}] = r
		}
	}
	return u, nil
}

// explainMetricsAPI says, on every refresh, whether metrics.k8s.io exists at
// all rather than assuming it: an API server without the APIService answers
// 404 (metrics-server not installed: a setting or an install, never an
// outage), one whose metrics-server is down answers 503. The error text is
// what the VigilSourceNeverSucceeded ticket points the reader to.
func explainMetricsAPI(err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return source.WithReason(fmt.Errorf("metrics.k8s.io is not served by this cluster (no metrics-server APIService): install metrics-server, or set kubernetes.metrics_api: false: %w", err), source.ReasonNotFound)
	case apierrors.IsServiceUnavailable(err):
		return fmt.Errorf("metrics.k8s.io is registered but metrics-server does not answer: check its pod (kubectl -n kube-system get pods -l k8s-app=metrics-server): %w", err)
	}
	return fmt.Errorf("listing node metrics: %w", err)
}
