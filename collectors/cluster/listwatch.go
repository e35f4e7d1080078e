package cluster

import (
	"context"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Objects another shard owns, and objects in an excluded namespace, are
// dropped from list results and watch events before the informer sees them,
// as kube-state-metrics does: the store never holds them, not even a key,
// so a shard's heap falls with the shard count. The API server cannot do it
// for us: there is no field selector on metadata.uid (field selectors on
// pods, workloads and HPAs are metadata.name, metadata.namespace and a few
// pod fields), and a label selector would need labels the objects do not
// carry. The transform (transform.go) then only compacts.
//
// Ownership never changes during an object's life: it follows the UID (and
// the namespace), which are fixed at creation. So an object's ADDED,
// MODIFIED and DELETED events are all kept or all dropped, and a name
// deleted and created again is judged by its new UID. BOOKMARK and ERROR
// events name no object of ours and always pass: the reflector needs them
// (resourceVersion progress, the end of a watch-list's initial events,
// "410 Gone"). A list keeps its ListMeta (resourceVersion, continue token);
// only its items are filtered.

// keeps reports whether this collector stores the namespaced object.
func (c *Collector) keeps(o metav1.Object) bool {
	return !c.excluded(o.GetNamespace()) && c.cfg.Shard.Owns(string(o.GetUID()))
}

// filters reports whether any object can be dropped at all; without a shard
// or an exclusion the informers list and watch as client-go builds them.
func (c *Collector) filters() bool { return c.cfg.Shard.Sharded() || len(c.excludes) > 0 }

// filteredInformer returns f's informer for example's kind, listing and
// watching through list and watch with c.keeps applied. It replaces the
// factory's generated informer (same example type, same namespace index),
// so the factory starts and stops it like the others.
func (c *Collector) filteredInformer(f informers.SharedInformerFactory, example runtime.Object,
	list cache.ListWithContextFunc, watchFunc cache.WatchFuncWithContext) cache.SharedIndexInformer {
	return f.InformerFor(example, func(client kubernetes.Interface, resync time.Duration) cache.SharedIndexInformer {
		lw := filterListWatch(&cache.ListWatch{ListWithContextFunc: list, WatchFuncWithContext: watchFunc}, c.keeps)
		return cache.NewSharedIndexInformerWithOptions(
			// As the generated informers do: a client that cannot stream
			// a watch-list (the fake clientset) is listed instead.
			cache.ToListWatcherWithWatchListSemantics(lw, client), example,
			cache.SharedIndexInformerOptions{ResyncPeriod: resync,
				Indexers: cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}})
	})
}

// filterListWatch wraps lw so that objects keep refuses never leave it.
func filterListWatch(lw *cache.ListWatch, keep func(metav1.Object) bool) *cache.ListWatch {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			list, err := lw.ListWithContext(ctx, opts)
			if err != nil {
				return list, err
			}
			return list, filterList(list, keep)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			w, err := lw.WatchWithContext(ctx, opts)
			if err != nil {
				return w, err
			}
			return drainOnStop{watch.Filter(w, func(e watch.Event) (watch.Event, bool) {
				switch e.Type {
				case watch.Added, watch.Modified, watch.Deleted:
					if o, err := apimeta.Accessor(e.Object); err == nil {
						return e, keep(o)
					}
				}
				return e, true
			})}, nil
		},
	}
}

// drainOnStop reads what is left of a watch after Stop. watch.Filter's
// goroutine sends each kept event before it reads the next, and a
// reflector stops reading when it stops a watch (a reload, a relist): an
// event in flight at that moment would hold the goroutine for good, one
// per informer and reload on a busy cluster. Drained, it sees the closed
// upstream and ends.
type drainOnStop struct{ watch.Interface }

func (w drainOnStop) Stop() {
	w.Interface.Stop()
	go func() {
		for range w.ResultChan() {
		}
	}()
}

// filterList removes the items keep refuses from a typed list (*PodList,
// ...) in place; its ListMeta is untouched. An item without object
// metadata is kept: the reflector is the one to judge it.
func filterList(list runtime.Object, keep func(metav1.Object) bool) error {
	items, err := apimeta.ExtractList(list)
	if err != nil {
		return err
	}
	kept := make([]runtime.Object, 0, len(items))
	for _, item := range items {
		if o, err := apimeta.Accessor(item); err != nil || keep(o) {
			kept = append(kept, item)
		}
	}
	if len(kept) == len(items) {
		return nil
	}
	return apimeta.SetList(list, kept)
}
