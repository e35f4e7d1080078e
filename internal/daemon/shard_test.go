package daemon_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/shard"
)

// TestShardOtherThanZeroRunsOnlyTheClusterCollector: shard 1 of 2 on the
// sandbox exports pods and workloads but no node, no API server probe and
// nothing of the cloud collectors (shard 0 does, so nothing is exported
// twice), and Vigil's own metrics carry shard="1" while the collectors'
// series carry no shard label (alerts stay shard-agnostic).
func TestShardOtherThanZeroRunsOnlyTheClusterCollector(t *testing.T) {
	r := start(t, daemon.Options{Sandbox: true, Shard: shard.Shard{Index: 1, Total: 2}})
	r.waitReady(t)
	mfs := parse(t, get(t, r.url+"/metrics"))
	var families []string
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "vigil_") {
			continue
		}
		families = append(families, name)
		self := strings.HasPrefix(name, "vigil_source_") || strings.HasPrefix(name, "vigil_config_") || name == "vigil_build_info"
		if !self {
			assert.True(t, strings.HasPrefix(name, "vigil_cluster_pod_") || strings.HasPrefix(name, "vigil_cluster_workload_") || strings.HasPrefix(name, "vigil_cluster_hpa_"),
				"shard 1 exports %s, which only shard 0 may", name)
		}
		for _, m := range mf.GetMetric() {
			var got string
			for _, l := range m.GetLabel() {
				if l.GetName() == "shard" {
					got = l.GetValue()
				}
			}
			if self {
				assert.Equal(t, "1", got, "%s lacks shard=\"1\"", name)
			} else {
				assert.Empty(t, got, "%s carries a shard label", name)
			}
		}
	}
	assert.Contains(t, families, "vigil_cluster_pod_phase", "shard 1 of 2 exports no pod at all")
}
