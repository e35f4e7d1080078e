package cluster_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
