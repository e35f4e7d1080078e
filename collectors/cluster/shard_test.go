package cluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/shard"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestShardsPartitionTheScrape: against a real kube-apiserver holding a
// generated cluster (nodes, pods, workloads and HPAs with realistic
// statuses), the union of N shards' series is exactly the unsharded scrape,
// for N = 1, 2 and 3, with no series on two shards; nodes and the API
// server probe come from shard 0 only, and every shard but N=1 holds some
// pods (the split is by UID, not all-or-nothing).
func TestShardsPartitionTheScrape(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	rc.QPS, rc.Burst = 500, 1000
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	gen := testenv.Cluster{Prefix: fmt.Sprintf("shard-%06d", rand.IntN(1e6)), Nodes: 12, Pods: 240, Namespaces: 4}
	testenv.GenerateCluster(t, kube, gen)
	t.Cleanup(func() { removeGenerated(t, kube, gen) })
	var namespaces []string
	for i := range gen.Namespaces {
		namespaces = append(namespaces, gen.Namespace(i))
	}
	ours := func(series []string) []string {
		var out []string
		for _, s := range series {
			if strings.HasPrefix(s, "vigil_cluster_apiserver_") || strings.Contains(s, `namespace="`+gen.Prefix) || strings.Contains(s, `node="`+gen.Prefix) {
				out = append(out, s)
			}
		}
		return out
	}
	cfg := cluster.Config{IncludeNamespaces: namespaces, ProbeInterval: time.Hour}
	whole := ours(samples(t, scrape(t, start(t, cfg, kube, nil).c), nil))
	require.Greater(t, len(whole), 1500, "the generated cluster renders few series")

	for total := 1; total <= 3; total++ {
		t.Run(fmt.Sprintf("%d shards", total), func(t *testing.T) {
			seen := map[string]int{}
			var union []string
			for idx := range total {
				cfg := cfg
				cfg.Shard = shard.Shard{Index: idx, Total: total}
				got := ours(samples(t, scrape(t, start(t, cfg, kube, nil).c), nil))
				hasNodes := slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "vigil_cluster_node_") })
				hasProbe := slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "vigil_cluster_apiserver_up") })
				assert.Equal(t, idx == 0, hasNodes, "shard %d exports nodes", idx)
				assert.Equal(t, idx == 0, hasProbe, "shard %d runs the API server probe", idx)
				assert.True(t, slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "vigil_cluster_pod_phase") }), "shard %d has no pod", idx)
				for _, s := range got {
					if prev, dup := seen[s]; dup {
						t.Errorf("%s on shards %d and %d", s, prev, idx)
					}
					seen[s] = idx
				}
				union = append(union, got...)
			}
			slices.Sort(union)
			assert.Equal(t, strings.Join(whole, "\n"), strings.Join(union, "\n"), "the union of %d shards differs from the unsharded scrape", total)
		})
	}
}

// TestShardStoresHoldOnlyTheirObjects: each of 3 shards' informer stores
// holds exactly the pods, workloads and HPAs whose UID it owns, outside the
// excluded namespace: nothing else, not even a key. Checked after the
// initial list, then after watch events: pods created in an owned and in
// the excluded namespace, pods deleted (some the shard's, some not).
func TestShardStoresHoldOnlyTheirObjects(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	rc.QPS, rc.Burst = 500, 1000
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	gen := testenv.Cluster{Prefix: fmt.Sprintf("store-%06d", rand.IntN(1e6)), Nodes: 3, Pods: 180, Namespaces: 3}
	testenv.GenerateCluster(t, kube, gen)
	t.Cleanup(func() { removeGenerated(t, kube, gen) })
	namespaces := []string{gen.Namespace(0), gen.Namespace(1), gen.Namespace(2)}
	excluded := gen.Namespace(2)
	ctx := context.Background()

	// owned lists what the API server holds that s should keep.
	owned := func(t *testing.T, s shard.Shard) []string {
		var out []string
		add := func(kind string, items []metav1.ObjectMeta) {
			for _, m := range items {
				if m.Namespace != excluded && s.Owns(string(m.UID)) {
					out = append(out, kind+" "+m.Namespace+"/"+m.Name)
				}
			}
		}
		for _, ns := range namespaces {
			pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			deps, err := kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			sts, err := kube.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			dss, err := kube.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			hpas, err := kube.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			add("Pod", metas(pods.Items, func(o *corev1.Pod) metav1.ObjectMeta { return o.ObjectMeta }))
			add("Deployment", metas(deps.Items, func(o *appsv1.Deployment) metav1.ObjectMeta { return o.ObjectMeta }))
			add("StatefulSet", metas(sts.Items, func(o *appsv1.StatefulSet) metav1.ObjectMeta { return o.ObjectMeta }))
			add("DaemonSet", metas(dss.Items, func(o *appsv1.DaemonSet) metav1.ObjectMeta { return o.ObjectMeta }))
			add("HorizontalPodAutoscaler", metas(hpas.Items, func(o *autoscalingv2.HorizontalPodAutoscaler) metav1.ObjectMeta { return o.ObjectMeta }))
		}
		slices.Sort(out)
		return out
	}

	// Each shard twice: the informers' initial state streamed as watch
	// events (watch-list, client-go's default) and as a list (how it is
	// read from API servers without watch-list, and after a fallback).
	for run, client := range []kubernetes.Interface{kube, listOnly{kube}} {
		for idx := range 3 {
			t.Run(fmt.Sprintf("%s/shard %d of 3", []string{"watch-list", "list"}[run], idx), func(t *testing.T) {
				s := shard.Shard{Index: idx, Total: 3}
				r := start(t, cluster.Config{IncludeNamespaces: namespaces, ExcludeNamespaces: []string{excluded}, ProbeInterval: time.Hour, Shard: s}, client, nil)
				want := owned(t, s)
				require.Greater(t, len(want), 20, "shard %d owns few objects", idx)
				assert.Equal(t, strings.Join(want, "\n"), strings.Join(cluster.StoreKeys(r.c), "\n"), "after the list")

				// Watch events: new pods in an owned and in the excluded
				// namespace, and deletions of pods of every shard.
				for i := range 20 {
					for _, ns := range []string{namespaces[0], excluded} {
						_, err := kube.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
							ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("watched-%d-%d-%02d", run, idx, i), Namespace: ns},
							Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/app:1"}}}}, metav1.CreateOptions{})
						require.NoError(t, err)
					}
				}
				pods, err := kube.CoreV1().Pods(namespaces[1]).List(ctx, metav1.ListOptions{Limit: 10})
				require.NoError(t, err)
				for _, p := range pods.Items {
					require.NoError(t, kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}))
				}
				want = owned(t, s)
				var got []string
				deadline := time.Now().Add(20 * time.Second)
				for got = cluster.StoreKeys(r.c); !slices.Equal(got, want) && time.Now().Before(deadline); got = cluster.StoreKeys(r.c) {
					time.Sleep(25 * time.Millisecond)
				}
				assert.Equal(t, strings.Join(want, "\n"), strings.Join(got, "\n"), "after watch events")
			})
		}
	}
}

// listOnly is a client that tells client-go's reflectors it cannot stream
// a watch-list, so informers start with a list.
type listOnly struct{ kubernetes.Interface }

func (listOnly) IsWatchListSemanticsUnSupported() bool { return true }

// removeGenerated deletes a generated cluster's objects from the shared API
// server (envtest runs no namespace controller): the tests that watch every
// namespace and node render them otherwise, and slow down.
func removeGenerated(t *testing.T, kube kubernetes.Interface, gen testenv.Cluster) {
	ctx, all := context.Background(), metav1.ListOptions{}
	now := metav1.DeleteOptions{GracePeriodSeconds: new(int64)}
	for i := range gen.Namespaces {
		ns := gen.Namespace(i)
		assert.NoError(t, kube.CoreV1().Pods(ns).DeleteCollection(ctx, now, all))
		assert.NoError(t, kube.AppsV1().Deployments(ns).DeleteCollection(ctx, now, all))
		assert.NoError(t, kube.AppsV1().StatefulSets(ns).DeleteCollection(ctx, now, all))
		assert.NoError(t, kube.AppsV1().DaemonSets(ns).DeleteCollection(ctx, now, all))
		assert.NoError(t, kube.AutoscalingV2().HorizontalPodAutoscalers(ns).DeleteCollection(ctx, now, all))
	}
	for i := range gen.Nodes {
		assert.NoError(t, kube.CoreV1().Nodes().Delete(ctx, gen.NodeName(i), now))
	}
}

func metas[T any](items []T, meta func(*T) metav1.ObjectMeta) []metav1.ObjectMeta {
	out := make([]metav1.ObjectMeta, len(items))
	for i := range items {
		out[i] = meta(&items[i])
	}
	return out
}
