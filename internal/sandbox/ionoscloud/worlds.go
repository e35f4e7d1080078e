package ionoscloud

import (
	"fmt"
	"time"
)

// IDs of the realistic world, for tests that look objects up.
const (
	DatacenterID = "a1b2c3d4-0000-4000-8000-000000000001"
	ClusterID    = "c0ffee00-1111-4222-8333-444455556666"
	PoolSystemID = "5e5e5e5e-aaaa-4bbb-8ccc-000000000001"
	PoolWorkerID = "5e5e5e5e-aaaa-4bbb-8ccc-000000000002"
)

func nodes(prefix string, n int, version string, ipBase int) []Node {
	out := make([]Node, n)
	for i := range out {
		out[i] = Node{ID: fmt.Sprintf("9a9a9a9a-1234-4567-89ab-%012d", ipBase+i), Name: fmt.Sprintf("%s-%d", prefix, i),
			State: "READY", K8sVersion: version, PublicIP: fmt.Sprintf("203.0.113.%d", ipBase+i),
			PrivateIP: fmt.Sprintf("10.7.222.%d", ipBase+i)}
	}
	return out
}

// Realistic is the environment the request budget is measured on: one data
// center, one cluster, two node pools of 3 and 5 nodes, two LANs, two IP
// blocks; everything healthy, with an upgrade available.
func Realistic() World {
	return World{
		Datacenters: []Datacenter{{ID: DatacenterID, Name: "prod-fra", Location: "de/fra", State: "AVAILABLE",
			LANs: []LAN{{ID: "1", Name: "k8s-public", Public: true}, {ID: "2", Name: "k8s-private"}}}},
		Clusters: []Cluster{{ID: ClusterID, Name: "prod", State: "ACTIVE", K8sVersion: "1.31.4",
			Upgrades: []string{"1.32.1"}, Window: Window{Day: "Sunday", Time: "03:00:00Z"}, Public: true,
			AllowList: []string{"198.51.100.0/24"},
			Pools: []NodePool{
				{ID: PoolSystemID, Name: "system", DatacenterID: DatacenterID, State: "ACTIVE", K8sVersion: "1.31.4",
					NodeCount: 3, Window: Window{Day: "Monday", Time: "02:00:00Z"}, Nodes: nodes("system", 3, "1.31.4", 10)},
				{ID: PoolWorkerID, Name: "workers", DatacenterID: DatacenterID, State: "ACTIVE", K8sVersion: "1.31.4",
					NodeCount: 5, AutoMin: 3, AutoMax: 8, Window: Window{Day: "Monday", Time: "02:00:00Z"},
					Nodes: nodes("workers", 5, "1.31.4", 20)},
			}}},
		IPBlocks: []IPBlock{
			{ID: "1f2e3d4c-0000-4000-8000-000000000001", Name: "k8s-egress", Location: "de/fra",
				IPs: []string{"203.0.113.100", "203.0.113.101"}, Used: 1},
			{ID: "1f2e3d4c-0000-4000-8000-000000000002", Name: "ingress", Location: "de/fra",
				IPs: []string{"203.0.113.110", "203.0.113.111", "203.0.113.112", "203.0.113.113"}, Used: 4},
		},
	}
}

// Faulty is the sandbox's world: the realistic one with the faults the
// runbooks describe, so `make run` shows them. The cluster has been
// UPDATING since now minus 5 hours, the worker pool is FAILED_UPDATING and at
// its autoscaling maximum with one node REBUILDING, and one system node has
// lost its public IP.
func Faulty(now time.Time) World {
	w := Realistic()
	c := &w.Clusters[0]
	c.State, c.LastModified = "UPDATING", now.Add(-5*time.Hour)
	sys := &c.Pools[0]
	sys.Nodes[2].PublicIP = ""
	wk := &c.Pools[1]
	wk.State, wk.NodeCount = "FAILED_UPDATING", 8
	wk.Nodes = nodes("workers", 8, "1.31.4", 20)
	wk.Nodes[7].State = "REBUILDING"
	wk.K8sVersion = "1.30.8"
	w.Snapshots = SandboxSnapshots(now) // the backup collector's ionos targets
	return w
}
