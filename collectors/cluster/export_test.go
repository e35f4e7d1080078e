package cluster

import (
	"slices"

	"k8s.io/client-go/tools/cache"
)

// StoreKeys lists what c's pod, workload and HPA informers hold, as
// "<Kind> <namespace>/<name>", sorted: what a shard keeps in memory.
func StoreKeys(c *Collector) []string {
	var out []string
	for _, inf := range slices.Concat(c.pods, c.workloads, c.hpas) {
		for _, obj := range inf.GetStore().List() {
			key, err := cache.MetaNamespaceKeyFunc(obj)
			if err != nil {
				panic(err)
			}
			kind := "?"
			switch o := obj.(type) {
			case *pod:
				kind = "Pod"
			case *workload:
				kind = workloadKinds[o.kind]
			case *hpa:
				kind = "HorizontalPodAutoscaler"
			}
			out = append(out, kind+" "+key)
		}
	}
	slices.Sort(out)
	return out
}
