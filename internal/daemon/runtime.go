package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"

	"k8s.io/client-go/kubernetes"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/collectors/textfile"
	"github.com/vigil-monitoring/vigil/internal/catalogue"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/drift"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// sandboxClients builds the sandbox's in-memory cluster; a variable so the
// benchmarks can make its upstreams hang.
var sandboxClients = sandbox.Cluster

// runtime is everything one loaded configuration runs. A reload builds a new
// one, starts it, swaps it in, and stops the old one.
type runtime struct {
	cfg      *config.Config
	group    *source.Group
	cluster  *cluster.Collector
	textfile *textfile.Collector
	metrics  *source.Metrics
	cleanup  func() // removes what the sandbox created
}

func (d *Daemon) build(cfg *config.Config) (*runtime, error) {
	rt := &runtime{cfg: cfg, group: source.NewGroup(d.sourceMetrics, d.logger), metrics: d.sourceMetrics}
	if t := cfg.Textfile; t != nil {
		rt.textfile = textfile.New(textfile.Config{
			Environment: cfg.Environment, Directory: t.Directory, Interval: t.RefreshInterval.Std(),
			Reserved: reservedNames(),
		}, rt.group, d.logger.With("collector", "textfile"))
	}
	if k := cfg.Kubernetes; k != nil {
		kube, metrics, err := d.kubeClients(k, rt.group)
		if err != nil {
			return nil, err
		}
		rt.cluster = cluster.New(cluster.Config{
			Environment:       cfg.Environment,
			Cluster:           k.Cluster,
			IncludeNamespaces: k.Namespaces.Include,
			ExcludeNamespaces: k.Namespaces.Exclude,
			MetricsAPI:        k.MetricsAPIEnabled(),
			ProbeInterval:     k.ProbeInterval.Std(),
			MetricsInterval:   k.MetricsInterval.Std(),
		}, kube, metrics, rt.group, d.logger.With("collector", "cluster"))
	}
	return rt, nil
}

func (d *Daemon) kubeClients(k *config.Kubernetes, g *source.Group) (kubernetes.Interface, metricsclient.Interface, error) {
	if d.sandbox() {
		kube, metrics := sandboxClients()
		if !k.MetricsAPIEnabled() {
			metrics = nil
		}
		countSandboxRequests(kube, metrics, func(api string) { g.APIRequestCounter(kubeSourceOf(api))(api) })
		return kube, metrics, nil
	}
	rc, err := restConfig(k, func(src, api string) { g.APIRequestCounter(src)(api) })
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes: %w", err)
	}
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes: building client: %w", err)
	}
	var metrics metricsclient.Interface
	if k.MetricsAPIEnabled() {
		if metrics, err = metricsclient.NewForConfig(rc); err != nil {
			return nil, nil, fmt.Errorf("kubernetes: building metrics.k8s.io client: %w", err)
		}
	}
	return kube, metrics, nil
}

func (rt *runtime) start(ctx context.Context) {
	if rt.cluster != nil {
		rt.cluster.Start(ctx)
	}
	rt.group.Start(ctx)
}

// stop ends the runtime; next is the runtime replacing it (nil at shutdown).
// Series of sources the next runtime no longer has are removed; those it
// keeps stay, so a reload leaves no gap in vigil_source_* series.
func (rt *runtime) stop(next *runtime) {
	rt.group.Stop(false)
	if rt.cleanup != nil {
		rt.cleanup()
	}
	if rt.cluster != nil {
		rt.cluster.Stop()
	}
	if next == nil {
		return
	}
	keep := map[string]bool{}
	for _, n := range next.group.Names() {
		keep[n] = true
	}
	for _, n := range rt.group.Names() {
		if !keep[n] {
			rt.metrics.Forget(n)
		}
	}
}

func (rt *runtime) ready() bool {
	if !rt.group.Ready() {
		return false
	}
	if rt.cluster == nil {
		return true
	}
	return rt.cluster.Ready()
}

// renderText writes the collectors' hand-rendered families.
func (rt *runtime) renderText(w io.Writer) error {
	var errs []error
	if rt.cluster != nil {
		errs = append(errs, rt.cluster.RenderText(w))
	}
	if rt.textfile != nil {
		errs = append(errs, rt.textfile.RenderText(w))
	}
	return errors.Join(errs...)
}

// reservedNames are the metrics textfiles may not define: everything Vigil
// exposes itself, except the drift metrics that provision writes as files.
func reservedNames() map[string]bool {
	out := catalogue.Names()
	for _, d := range drift.Catalogue {
		delete(out, d.Name)
	}
	return out
}
