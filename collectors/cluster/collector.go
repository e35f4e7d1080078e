// Package cluster turns a Kubernetes cluster's state into vigil_cluster_*
// metrics: nodes, pods, workloads and HPAs from client-go shared informers
// (watch, not poll) rendered at scrape time from their caches, the API
// server's reachability and version from a /version probe, and resource usage
// from metrics.k8s.io, both through the refresh engine (internal/source).
package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/vigil-monitoring/vigil/internal/shard"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// Config selects what the collector watches and how it labels it.
type Config struct {
	Environment string // environment label of RenderText (the daemon's Writer adds its own)
	Cluster     string // value of the cluster label on every series

	// IncludeNamespaces, when not empty, limits namespaced objects to these
	// namespaces: one informer per namespace, so a Role in each namespace is
	// enough RBAC. ExcludeNamespaces drops namespaces from a cluster-wide
	// watch: their objects are dropped from list results and watch events
	// before the informers' stores (listwatch.go). Nodes are always watched
	// cluster-wide.
	IncludeNamespaces, ExcludeNamespaces []string

	MetricsAPI      bool          // poll metrics.k8s.io for usage
	ProbeInterval   time.Duration // API server /version probe; default 30s
	MetricsInterval time.Duration // metrics.k8s.io poll; default 30s

	// ProbeKey and MetricsKey identify what each source depends on
	// (source.Options.Key): a reload that leaves a key unchanged adopts
	// that source's snapshot instead of fetching again.
	ProbeKey, MetricsKey string

	// TLSVerifyDisabled is true when the connection does not verify the API
	// server's certificate (insecure_skip_tls_verify, in the section or the
	// kubeconfig): exported so the setting cannot be forgotten.
	TLSVerifyDisabled bool

	// Probe answers the /version probe; nil means the informers' client
	// (tests). The daemon gives it a client of its own, so its requests
	// count under the probe's source.
	Probe discovery.ServerVersionInterfaceWithContext

	// Shard splits pods, workloads and HPAs across replicas by UID; nodes
	// and the /version probe are watched by shard 0 only (internal/shard).
	// The zero value watches everything.
	Shard shard.Shard
}

// Source names in vigil_source_* series.
const (
	APIServerSource = "kubernetes-apiserver"
	MetricsSource   = "kubernetes-metrics"
	// InformerSource labels the informers' requests and list/watch errors;
	// informers are not refresh sources, so it has no vigil_source_up.
	InformerSource = "kubernetes-informers"
)

// Collector watches one cluster. Build it with New, then Start; after Stop it
// cannot be restarted (a config reload builds a new one).
type Collector struct {
	cfg      Config
	excludes map[string]bool
	logger   *slog.Logger

	factories []informers.SharedInformerFactory // cluster-wide first
	nodes     cache.SharedIndexInformer
	pods      []cache.SharedIndexInformer
	workloads []cache.SharedIndexInformer // deployments, statefulsets, daemonsets
	hpas      []cache.SharedIndexInformer
	all       []cache.SharedIndexInformer
	failed    []atomic.Bool // per informer in all: a list or watch has failed

	apiserver *source.Source[*version.Info]
	usage     *source.Source[*usage] // nil without MetricsAPI

	cancel context.CancelFunc
	once   sync.Once
}

// New builds the collector and adds its sources to group (the group's owner
// starts and stops them). metrics may be nil when cfg.MetricsAPI is false.
func New(cfg Config, kube kubernetes.Interface, metrics metricsclient.Interface, group *source.Group, logger *slog.Logger) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ProbeInterval <= 0 {
		cfg.ProbeInterval = 30 * time.Second
	}
	if cfg.MetricsInterval <= 0 {
		cfg.MetricsInterval = 30 * time.Second
	}
	c := &Collector{cfg: cfg, logger: logger, excludes: map[string]bool{}}
	for _, ns := range cfg.ExcludeNamespaces {
		c.excludes[ns] = true
	}

	// One factory for cluster-scoped objects (and namespaced ones when no
	// include list), one per included namespace. Resync 0: the watch keeps
	// the cache current, a periodic resync would only burn CPU.
	clusterWide := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithTransform(c.transform))
	c.factories = append(c.factories, clusterWide)
	if cfg.Shard.Primary() {
		c.nodes = clusterWide.Core().V1().Nodes().Informer()
	}
	nsFactories := []informers.SharedInformerFactory{clusterWide}
	namespaces := []string{metav1.NamespaceAll}
	if len(cfg.IncludeNamespaces) > 0 {
		nsFactories, namespaces = nil, nil
		seen := map[string]bool{}
		for _, ns := range cfg.IncludeNamespaces {
			if seen[ns] {
				continue
			}
			seen[ns] = true
			f := informers.NewSharedInformerFactoryWithOptions(kube, 0,
				informers.WithTransform(c.transform), informers.WithNamespace(ns))
			c.factories = append(c.factories, f)
			nsFactories = append(nsFactories, f)
			namespaces = append(namespaces, ns)
		}
	}
	for i, f := range nsFactories {
		if c.filters() {
			c.addFiltered(f, kube, namespaces[i])
			continue
		}
		c.pods = append(c.pods, f.Core().V1().Pods().Informer())
		c.workloads = append(c.workloads,
			f.Apps().V1().Deployments().Informer(),
			f.Apps().V1().StatefulSets().Informer(),
			f.Apps().V1().DaemonSets().Informer())
		c.hpas = append(c.hpas, f.Autoscaling().V2().HorizontalPodAutoscalers().Informer())
	}
	if c.nodes != nil {
		c.all = append(c.all, c.nodes)
	}
	c.all = append(append(append(c.all, c.pods...), c.workloads...), c.hpas...)
	c.watchErrors(group.ErrorCounter(InformerSource))
	group.Track(InformerSource) // its series go when a reload drops the section

	if cfg.Shard.Primary() {
		c.addProbe(kube, group)
	}
	if cfg.MetricsAPI && metrics != nil {
		// Ticket, not page: usage is context for the CPU and memory alerts,
		// and a cluster without metrics-server must not wake anyone.
		c.usage = source.Add(group, source.Options{Name: MetricsSource, Interval: cfg.MetricsInterval, Key: cfg.MetricsKey,
			Criticality: source.CriticalityTicket},
			func(ctx context.Context) (*usage, error) { return fetchUsage(ctx, metrics, cfg.IncludeNamespaces) })
	}
	return c
}

// addFiltered adds the pod, workload and HPA informers of f (watching
// namespace, or every namespace) with other shards' objects and excluded
// namespaces dropped before the store (listwatch.go).
func (c *Collector) addFiltered(f informers.SharedInformerFactory, kube kubernetes.Interface, ns string) {
	core, apps, hpa := kube.CoreV1(), kube.AppsV1(), kube.AutoscalingV2()
	c.pods = append(c.pods, c.filteredInformer(f, &corev1.Pod{},
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return core.Pods(ns).List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return core.Pods(ns).Watch(ctx, o)
		}))
	c.workloads = append(c.workloads,
		c.filteredInformer(f, &appsv1.Deployment{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return apps.Deployments(ns).List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return apps.Deployments(ns).Watch(ctx, o)
			}),
		c.filteredInformer(f, &appsv1.StatefulSet{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return apps.StatefulSets(ns).List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return apps.StatefulSets(ns).Watch(ctx, o)
			}),
		c.filteredInformer(f, &appsv1.DaemonSet{},
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return apps.DaemonSets(ns).List(ctx, o)
			},
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return apps.DaemonSets(ns).Watch(ctx, o)
			}))
	c.hpas = append(c.hpas, c.filteredInformer(f, &autoscalingv2.HorizontalPodAutoscaler{},
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return hpa.HorizontalPodAutoscalers(ns).List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return hpa.HorizontalPodAutoscalers(ns).Watch(ctx, o)
		}))
}

// addProbe adds the API server's /version probe (shard 0 only: one
// vigil_cluster_apiserver_up per cluster, whatever the shard count).
func (c *Collector) addProbe(kube kubernetes.Interface, group *source.Group) {
	cfg := c.cfg
	// The probe asks /version with the refresh's context, so a hanging API
	// server is abandoned at the timeout instead of piling up requests.
	var disco discovery.ServerVersionInterfaceWithContext = kube.Discovery()
	if cfg.Probe != nil {
		disco = cfg.Probe
	}
	// Ticket: KubeAPIServerUnreachable already pages for this probe, and
	// its data going stale is the same outage; two pages for one would be
	// noise.
	c.apiserver = source.Add(group, source.Options{Name: APIServerSource, Interval: cfg.ProbeInterval, Key: cfg.ProbeKey,
		Criticality: source.CriticalityTicket},
		func(ctx context.Context) (*version.Info, error) {
			info, err := disco.ServerVersionWithContext(ctx)
			if err != nil && strings.HasPrefix(err.Error(), "unable to parse the server version") {
				// client-go flattens the JSON error with %v; keep the reason.
				err = &source.DecodeError{Err: err}
			}
			return info, err
		})
}

// Start starts the informers and returns at once; Synced tells when their
// caches are filled.
func (c *Collector) Start(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(ctx)
	for _, f := range c.factories {
		f.Start(ctx.Done())
	}
	c.logger.Info("watching the cluster", "cluster", c.cfg.Cluster,
		"include_namespaces", c.cfg.IncludeNamespaces, "exclude_namespaces", c.cfg.ExcludeNamespaces)
}

// Synced reports whether every informer has listed its objects once.
//
// An informer whose list failed (RBAC forbids it, the API is missing) counts
// as done too: readiness means "tried", as for sources, or one missing
// permission would keep the exporter unready for ever. Such failures show in
// vigil_source_errors_total{source="kubernetes-informers"}.
func (c *Collector) Synced() bool {
	for i, inf := range c.all {
		if !inf.HasSynced() && !c.failed[i].Load() {
			return false
		}
	}
	return true
}

// Ready reports whether the collector has done what it can to fill its
// caches: they are synced, or the API server probe says it is down (then the
// caches may never fill, and being scrapable matters more, so that
// vigil_cluster_apiserver_up 0 reaches the alerts). The probe's own first
// refresh is the source group's to wait for.
func (c *Collector) Ready() bool {
	if c.apiserver == nil { // a shard other than 0 runs no probe
		return c.Synced()
	}
	probe := c.apiserver.Status()
	return c.Synced() || (probe.Attempted && !probe.Up)
}

// watchErrors replaces client-go's default handler, which only logs, with one
// that counts each list or watch failure by reason and logs it once.
func (c *Collector) watchErrors(count func(reason string)) {
	c.failed = make([]atomic.Bool, len(c.all))
	for i, inf := range c.all {
		_ = inf.SetWatchErrorHandler(func(r *cache.Reflector, err error) {
			// A closed watch or an expired resourceVersion is the normal
			// course of a watch: client-go relists, nothing failed.
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				return
			}
			reason := source.Classify(err)
			count(reason)
			level := slog.LevelDebug
			if !c.failed[i].Swap(true) {
				level = slog.LevelWarn
			}
			c.logger.Log(context.Background(), level, "listing or watching Kubernetes objects failed; their series are missing or stale until it works",
				"informer", r.TypeDescription(), "reason", reason, "err", err)
		})
	}
}

// Stop stops the informers and waits for their goroutines.
func (c *Collector) Stop() {
	c.once.Do(func() {
		if c.cancel != nil {
			c.cancel()
		}
		for _, f := range c.factories {
			f.Shutdown()
		}
	})
}

func (c *Collector) excluded(namespace string) bool { return c.excludes[namespace] }
