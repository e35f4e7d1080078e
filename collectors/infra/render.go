package infra

import (
	"slices"

	"github.com/vigil-monitoring/vigil/internal/exposition"
)

var (
	headers = exposition.NewHeaders(Catalogue)

	lDatacenter   = exposition.NewLabel("datacenter")
	lDatacenterID = exposition.NewLabel("datacenter_id")
	lLocation     = exposition.NewLabel("location")
	lState        = exposition.NewLabel("state")
	lLAN          = exposition.NewLabel("lan")
	lIPBlock      = exposition.NewLabel("ipblock")
	lCluster      = exposition.NewLabel("cluster")
	lClusterID    = exposition.NewLabel("cluster_id")
	lVersion      = exposition.NewLabel("k8s_version")
	lNodePool     = exposition.NewLabel("nodepool")
	lNode         = exposition.NewLabel("node")
	lAccount      = exposition.NewLabel("account")
	lRegion       = exposition.NewLabel("region")
	lInstanceID   = exposition.NewLabel("instance_id")
	lInstanceName = exposition.NewLabel("instance_name")
	lCheck        = exposition.NewLabel("check")
	lStatus       = exposition.NewLabel("status")
	lTargetGroup  = exposition.NewLabel("target_group")
	lTarget       = exposition.NewLabel("target")
	lReason       = exposition.NewLabel("reason")
	lLB           = exposition.NewLabel("load_balancer")

	lKubernetesCluster = exposition.NewLabel("kubernetes_cluster")
)

// Render writes the last good snapshots; it never calls an upstream.
func (c *Collector) Render(t *exposition.Writer) error {
	if c.ionos != nil {
		if snap, _, ok := c.ionos.Get(); ok {
			c.renderIONOS(t, &snap)
		}
	}
	if c.cfg.AWS != nil {
		c.renderAWS(t)
	}
	return t.Err()
}

// stateSet writes one series per state of the set: 1 for cur, 0 for the
// others; a value outside the set counts as UNKNOWN.
func stateSet(t *exposition.Writer, set []string, cur string, labels func()) {
	if !slices.Contains(set, cur) {
		cur = "UNKNOWN"
	}
	for _, s := range set {
		t.Series()
		labels()
		t.Label(lState, s)
		t.Bool(s == cur)
	}
}

func (c *Collector) renderIONOS(t *exposition.Writer, s *ionosSnapshot) {
	now, length := c.now(), c.cfg.IONOS.MaintenanceWindowDuration.Std()

	t.Family(headers, "vigil_infra_ionos_datacenter_info")
	for _, d := range s.Datacenters {
		t.Series()
		t.Label(lDatacenter, d.Name)
		t.Label(lDatacenterID, d.ID)
		t.Label(lLocation, d.Location)
		t.Int(1)
	}
	t.Family(headers, "vigil_infra_ionos_datacenter_state")
	for _, d := range s.Datacenters {
		stateSet(t, datacenterStates, d.State, func() { t.Label(lDatacenter, d.Name) })
	}
	t.Family(headers, "vigil_infra_ionos_lan_public")
	for _, d := range s.Datacenters {
		for _, l := range d.LANs {
			t.Series()
			t.Label(lDatacenter, d.Name)
			t.Label(lLAN, lanName(l))
			t.Bool(l.Public)
		}
	}
	for _, f := range []struct {
		name string
		v    func(ipBlockInfo) int
	}{{"vigil_infra_ionos_ipblock_size", func(b ipBlockInfo) int { return b.Size }},
		{"vigil_infra_ionos_ipblock_used", func(b ipBlockInfo) int { return b.Used }}} {
		t.Family(headers, f.name)
		for _, b := range s.IPBlocks {
			t.Series()
			t.Label(lIPBlock, b.Name)
			t.Label(lLocation, b.Location)
			t.Int(int64(f.v(b)))
		}
	}

	cl := func(k *clusterInfo) func() { return func() { t.Label(lCluster, k.Name) } }
	clusterGauge := func(name string, v func(k *clusterInfo) (float64, bool)) {
		t.Family(headers, name)
		for i := range s.Clusters {
			k := &s.Clusters[i]
			if x, ok := v(k); ok {
				t.Series()
				cl(k)()
				t.Float(x)
			}
		}
	}
	t.Family(headers, "vigil_infra_ionos_k8s_cluster_info")
	for i := range s.Clusters {
		k := &s.Clusters[i]
		t.Series()
		t.Label(lCluster, k.Name)
		t.Label(lClusterID, k.ID)
		t.Label(lVersion, k.Version)
		t.Int(1)
	}
	t.Family(headers, "vigil_infra_ionos_k8s_cluster_state")
	for i := range s.Clusters {
		stateSet(t, k8sStates, s.Clusters[i].State, cl(&s.Clusters[i]))
	}
	clusterGauge("vigil_infra_ionos_k8s_cluster_upgrade_available", func(k *clusterInfo) (float64, bool) { return b2f(k.Upgrades > 0), true })
	clusterGauge("vigil_infra_ionos_k8s_cluster_upgrade_available_since_timestamp_seconds", func(k *clusterInfo) (float64, bool) {
		return unix(k.UpgradeSince), k.Upgrades > 0 && !k.UpgradeSince.IsZero()
	})
	clusterGauge("vigil_infra_ionos_k8s_cluster_maintenance_window_start_timestamp_seconds", func(k *clusterInfo) (float64, bool) {
		if k.Window == nil {
			return 0, false
		}
		start, _ := k.Window.current(now, length)
		return unix(start), true
	})
	clusterGauge("vigil_infra_ionos_k8s_cluster_maintenance_window_open", func(k *clusterInfo) (float64, bool) {
		if k.Window == nil {
			return 0, true
		}
		_, open := k.Window.current(now, length)
		return b2f(open), true
	})
	t.Family(headers, "vigil_infra_ionos_k8s_cluster_kubernetes_cluster")
	for i := range s.Clusters {
		if name, ok := c.cfg.IONOS.KubernetesClusters[s.Clusters[i].Name]; ok {
			t.Series()
			t.Label(lCluster, s.Clusters[i].Name)
			t.Label(lKubernetesCluster, name)
			t.Int(1)
		}
	}
	clusterGauge("vigil_infra_ionos_k8s_cluster_public", func(k *clusterInfo) (float64, bool) { return b2f(k.Public), true })
	clusterGauge("vigil_infra_ionos_k8s_cluster_api_allow_list_entries", func(k *clusterInfo) (float64, bool) { return float64(k.AllowList), true })

	type poolRef struct {
		k *clusterInfo
		p *poolInfo
	}
	var pools []poolRef
	for i := range s.Clusters {
		for j := range s.Clusters[i].Pools {
			pools = append(pools, poolRef{&s.Clusters[i], &s.Clusters[i].Pools[j]})
		}
	}
	pl := func(r poolRef) func() {
		return func() { t.Label(lCluster, r.k.Name); t.Label(lNodePool, r.p.Name) }
	}
	poolGauge := func(name string, v func(r poolRef) (float64, bool)) {
		t.Family(headers, name)
		for _, r := range pools {
			if x, ok := v(r); ok {
				t.Series()
				pl(r)()
				t.Float(x)
			}
		}
	}
	t.Family(headers, "vigil_infra_ionos_k8s_nodepool_info")
	for _, r := range pools {
		t.Series()
		pl(r)()
		t.Label(lDatacenter, r.p.Datacenter)
		t.Label(lVersion, r.p.Version)
		t.Int(1)
	}
	t.Family(headers, "vigil_infra_ionos_k8s_nodepool_state")
	for _, r := range pools {
		stateSet(t, k8sStates, r.p.State, pl(r))
	}
	poolGauge("vigil_infra_ionos_k8s_nodepool_version_matches_cluster", func(r poolRef) (float64, bool) { return b2f(r.p.Version == r.k.Version), true })
	poolGauge("vigil_infra_ionos_k8s_nodepool_nodes_desired", func(r poolRef) (float64, bool) { return float64(r.p.NodeCount), true })
	poolGauge("vigil_infra_ionos_k8s_nodepool_autoscaling_min_nodes", func(r poolRef) (float64, bool) { return float64(r.p.Min), r.p.Autoscaling })
	poolGauge("vigil_infra_ionos_k8s_nodepool_autoscaling_max_nodes", func(r poolRef) (float64, bool) { return float64(r.p.Max), r.p.Autoscaling })
	poolGauge("vigil_infra_ionos_k8s_nodepool_maintenance_window_start_timestamp_seconds", func(r poolRef) (float64, bool) {
		if r.p.Window == nil {
			return 0, false
		}
		start, _ := r.p.Window.current(now, length)
		return unix(start), true
	})
	poolGauge("vigil_infra_ionos_k8s_nodepool_maintenance_window_open", func(r poolRef) (float64, bool) {
		if r.p.Window == nil {
			return 0, true
		}
		_, open := r.p.Window.current(now, length)
		return b2f(open), true
	})

	node := func(r poolRef, n *nodeInfo) func() {
		return func() { pl(r)(); t.Label(lNode, n.Name) }
	}
	t.Family(headers, "vigil_infra_ionos_k8s_node_state")
	for _, r := range pools {
		for i := range r.p.Nodes {
			stateSet(t, nodeStates, r.p.Nodes[i].State, node(r, &r.p.Nodes[i]))
		}
	}
	t.Family(headers, "vigil_infra_ionos_k8s_node_info")
	for _, r := range pools {
		for i := range r.p.Nodes {
			t.Series()
			node(r, &r.p.Nodes[i])()
			t.Label(lVersion, r.p.Nodes[i].Version)
			t.Int(1)
		}
	}
	t.Family(headers, "vigil_infra_ionos_k8s_node_public_ip")
	for _, r := range pools {
		for i := range r.p.Nodes {
			t.Series()
			node(r, &r.p.Nodes[i])()
			t.Bool(r.p.Nodes[i].PublicIP)
		}
	}
	t.Family(headers, "vigil_infra_ionos_k8s_node_public_ip_expected")
	t.Series()
	t.Bool(c.cfg.IONOS.NodesHavePublicIPs)
}

func lanName(l lanInfo) string {
	if l.Name != "" {
		return l.Name
	}
	return l.ID
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unix(t interface{ UnixNano() int64 }) float64 { return float64(t.UnixNano()) / 1e9 }

type awsSnap struct {
	t    AWSTarget
	snap awsSnapshot
}

// renderAWS writes each family once, over every account's last snapshot.
func (c *Collector) renderAWS(t *exposition.Writer) {
	var snaps []awsSnap
	for _, a := range c.aws {
		if snap, _, ok := a.src.Get(); ok {
			snaps = append(snaps, awsSnap{a.target, snap})
		}
	}
	acct := func(s *awsSnap) { t.Label(lAccount, s.t.Name); t.Label(lRegion, s.t.Region) }
	// A value outside the set leaves every series of the set at 0.
	set := func(set []string, cur string, labels func()) {
		for _, v := range set {
			t.Series()
			labels()
			t.Label(lState, v)
			t.Bool(v == cur)
		}
	}
	t.Family(headers, "vigil_infra_aws_ec2_instance_state")
	for i := range snaps {
		s := &snaps[i]
		for _, in := range s.snap.Instances {
			set(ec2States, in.State, func() { acct(s); t.Label(lInstanceID, in.ID); t.Label(lInstanceName, in.Name) })
		}
	}
	t.Family(headers, "vigil_infra_aws_ec2_instance_status_check")
	for i := range snaps {
		s := &snaps[i]
		for _, in := range s.snap.Instances {
			for _, chk := range []struct{ name, cur string }{{"instance", in.InstanceCheck}, {"system", in.SystemCheck}} {
				for _, v := range ec2CheckStates {
					t.Series()
					acct(s)
					t.Label(lInstanceID, in.ID)
					t.Label(lInstanceName, in.Name)
					t.Label(lCheck, chk.name)
					t.Label(lStatus, v)
					t.Bool(v == chk.cur)
				}
			}
		}
	}
	t.Family(headers, "vigil_infra_aws_elb_target_group_targets")
	for i := range snaps {
		s := &snaps[i]
		for _, g := range s.snap.TargetGroups {
			for _, v := range targetStates {
				n := 0
				for _, x := range g.Targets {
					if x.State == v {
						n++
					}
				}
				t.Series()
				acct(s)
				t.Label(lTargetGroup, g.Name)
				t.Label(lState, v)
				t.Int(int64(n))
			}
		}
	}
	t.Family(headers, "vigil_infra_aws_elb_target_unhealthy_reason")
	for i := range snaps {
		s := &snaps[i]
		for _, g := range s.snap.TargetGroups {
			for _, x := range g.Targets {
				if x.State == "healthy" {
					continue
				}
				t.Series()
				acct(s)
				t.Label(lTargetGroup, g.Name)
				t.Label(lTarget, x.ID)
				t.Label(lState, x.State)
				t.Label(lReason, x.Reason)
				t.Int(1)
			}
		}
	}
	t.Family(headers, "vigil_infra_aws_elb_load_balancer_state")
	for i := range snaps {
		s := &snaps[i]
		for _, l := range s.snap.LoadBalancers {
			set(lbStates, l.State, func() { acct(s); t.Label(lLB, l.Name) })
		}
	}
	c.renderAWSServices(t, snaps)
}
