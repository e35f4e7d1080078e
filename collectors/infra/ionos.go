package infra

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"

	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// IONOSSourceName is the refresh source of the IONOS part.
const IONOSSourceName = "infra_ionos"

// The depths asked. A list is one level of depth: /datacenters?depth=1 gives
// the data centers' properties, /k8s?depth=3 the clusters' properties and
// their node pools' (cluster → nodepools collection → node pool).
const (
	depthList     = 1
	depthClusters = 3
	maxPages      = 100 // a paging loop that never ends is an upstream bug, not a reason to hang
)

// ionosSnapshot is what one refresh learned: plain values, no SDK types, so
// it persists as JSON (the first-seen times of upgrades survive restarts).
type ionosSnapshot struct {
	Datacenters []dcInfo      `json:"datacenters"`
	Clusters    []clusterInfo `json:"clusters"`
	IPBlocks    []ipBlockInfo `json:"ipblocks"`
}

type dcInfo struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Location string    `json:"location"`
	State    string    `json:"state"`
	LANs     []lanInfo `json:"lans"`
}

type lanInfo struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Public bool   `json:"public"`
}

type window struct {
	Day    time.Weekday  `json:"day"`
	Offset time.Duration `json:"offset"` // time of day, UTC
}

type clusterInfo struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	State     string  `json:"state"`
	Version   string  `json:"version"`
	Upgrades  int     `json:"upgrades"`
	Public    bool    `json:"public"`
	AllowList int     `json:"allow_list"`
	Window    *window `json:"window,omitempty"`
	// UpgradeSince is when an upgrade was first seen available for the
	// cluster's current version, carried from snapshot to snapshot.
	UpgradeSince time.Time  `json:"upgrade_since"`
	Pools        []poolInfo `json:"pools"`
}

type poolInfo struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Datacenter  string     `json:"datacenter"`
	State       string     `json:"state"`
	Version     string     `json:"version"`
	NodeCount   int        `json:"node_count"`
	Autoscaling bool       `json:"autoscaling"`
	Min         int        `json:"min"`
	Max         int        `json:"max"`
	Window      *window    `json:"window,omitempty"`
	Nodes       []nodeInfo `json:"nodes"`
}

type nodeInfo struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	Version  string `json:"version"`
	PublicIP bool   `json:"public_ip"`
}

// ionosAPIName is the bounded api label of a Cloud API request: its route
// with every id replaced, e.g. "GET /k8s/{id}/nodepools/{id}/nodes".
func ionosAPIName(r *http.Request) string {
	p := r.URL.Path
	if i := strings.Index(p, "/cloudapi/v6"); i >= 0 {
		p = p[i+len("/cloudapi/v6"):]
	}
	seg := strings.Split(strings.Trim(p, "/"), "/")
	for i := 1; i < len(seg); i += 2 {
		seg[i] = "{id}"
	}
	return r.Method + " /" + strings.Join(seg, "/")
}

// ionosError is internal/ionos's SDKError, the mapping every collector
// calling the Cloud API SDK shares.
func ionosError(ctx context.Context, api string, resp *ionoscloud.APIResponse, err error) error {
	return ionos.SDKError(ctx, api, resp, err)
}

// nextOffset reads offset+limit from a _links.next URL; ok is false when
// there is no next page.
func nextOffset(links *ionoscloud.PaginationLinks, cur int32, got int) (int32, bool, error) {
	if links == nil || links.Next == nil || *links.Next == "" {
		return 0, false, nil
	}
	u, err := url.Parse(*links.Next)
	if err != nil {
		return 0, false, &source.DecodeError{Err: errors.New("IONOS Cloud API: _links.next is not a URL")}
	}
	next := int64(cur) + int64(got)
	if v := u.Query().Get("offset"); v != "" {
		if next, err = strconv.ParseInt(v, 10, 32); err != nil {
			return 0, false, &source.DecodeError{Err: errors.New("IONOS Cloud API: _links.next has no integer offset")}
		}
	}
	if next <= int64(cur) {
		return 0, false, &source.DecodeError{Err: errors.New("IONOS Cloud API: _links.next does not move forward")}
	}
	// Offsets are int32 in the SDK: past that, cur+got would wrap negative
	// and restart the listing (found by FuzzNextOffset).
	if next > math.MaxInt32 {
		return 0, false, &source.DecodeError{Err: errors.New("IONOS Cloud API: _links.next is past the largest offset")}
	}
	return int32(next), true, nil
}

// pages calls get for offset 0, then for every _links.next, until none.
func pages[T any](ctx context.Context, api string, get func(offset int32) ([]T, *ionoscloud.PaginationLinks, *ionoscloud.APIResponse, error)) ([]T, error) {
	var out []T
	var offset int32
	for range maxPages {
		items, links, resp, err := get(offset)
		if err != nil {
			return nil, ionosError(ctx, api, resp, err)
		}
		out = append(out, items...)
		next, ok, err := nextOffset(links, offset, len(items))
		if err != nil || !ok {
			return out, err
		}
		offset = next
	}
	return nil, fmt.Errorf("IONOS Cloud API %s: more than %d pages", api, maxPages)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func i32(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

// parseWindow reads a maintenance window ("Monday", "03:00:00Z" or
// "03:00:00"); nil when absent or malformed.
func parseWindow(w *ionoscloud.KubernetesMaintenanceWindow) *window {
	if w == nil || w.DayOfTheWeek == nil || w.Time == nil {
		return nil
	}
	day := -1
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(d.String(), *w.DayOfTheWeek) {
			day = int(d)
		}
	}
	t, err := time.Parse("15:04:05", strings.TrimSuffix(*w.Time, "Z"))
	if day < 0 || err != nil {
		return nil
	}
	return &window{Day: time.Weekday(day), Offset: time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second}
}

// current returns the start of the window that is open at now, or else of
// the next one, and whether it is open.
func (w window) current(now time.Time, length time.Duration) (time.Time, bool) {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	start := day.AddDate(0, 0, int(w.Day)-int(now.Weekday())).Add(w.Offset)
	if start.After(now) {
		start = start.AddDate(0, 0, -7)
	}
	if now.Before(start.Add(length)) {
		return start, true
	}
	return start.AddDate(0, 0, 7), false
}

// fetchIONOS reads the account with a request count that grows with the
// number of collections, not objects: the data centers (paged), each data
// center's LANs (paged), the clusters with their node pools (one request
// at depth 3), each pool's nodes, and the IP blocks (paged).
func (c *Collector) fetchIONOS(ctx context.Context) (ionosSnapshot, error) {
	api := c.ionosAPI
	var snap ionosSnapshot

	dcs, err := pages(ctx, "GET /datacenters", func(off int32) ([]ionoscloud.Datacenter, *ionoscloud.PaginationLinks, *ionoscloud.APIResponse, error) {
		r, resp, err := api.DataCentersApi.DatacentersGet(ctx).Depth(depthList).Offset(off).Execute()
		return deref(r.Items), r.Links, resp, err
	})
	if err != nil {
		return snap, err
	}
	dcNames := map[string]string{}
	for _, dc := range dcs {
		if dc.Properties == nil || dc.Id == nil {
			return snap, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /datacenters: a data center without properties (depth not honoured?)")}
		}
		d := dcInfo{ID: *dc.Id, Name: str(dc.Properties.Name), Location: str(dc.Properties.Location)}
		if dc.Metadata != nil {
			d.State = str(dc.Metadata.State)
		}
		lans, err := pages(ctx, "GET /datacenters/{id}/lans", func(off int32) ([]ionoscloud.Lan, *ionoscloud.PaginationLinks, *ionoscloud.APIResponse, error) {
			r, resp, err := api.LANsApi.DatacentersLansGet(ctx, d.ID).Depth(depthList).Offset(off).Execute()
			return deref(r.Items), r.Links, resp, err
		})
		if err != nil {
			return snap, err
		}
		for _, l := range lans {
			if l.Properties == nil {
				return snap, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /datacenters/{id}/lans: a LAN without properties")}
			}
			li := lanInfo{ID: str(l.Id), Name: str(l.Properties.Name)}
			if l.Properties.Public != nil {
				li.Public = *l.Properties.Public
			}
			d.LANs = append(d.LANs, li)
		}
		dcNames[d.ID] = d.Name
		snap.Datacenters = append(snap.Datacenters, d)
	}

	clusters, resp, err := api.KubernetesApi.K8sGet(ctx).Depth(depthClusters).Execute()
	if err != nil {
		return snap, ionosError(ctx, "GET /k8s", resp, err)
	}
	prev := map[string]clusterInfo{}
	if old, _, ok := c.ionos.Get(); ok {
		for _, cl := range old.Clusters {
			prev[cl.ID] = cl
		}
	}
	now := c.now()
	for _, k := range deref(clusters.Items) {
		if k.Properties == nil || k.Id == nil {
			return snap, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /k8s: a cluster without properties (depth not honoured?)")}
		}
		cl := clusterInfo{ID: *k.Id, Name: str(k.Properties.Name), Version: str(k.Properties.K8sVersion),
			Upgrades: len(deref(k.Properties.AvailableUpgradeVersions)), Window: parseWindow(k.Properties.MaintenanceWindow),
			AllowList: len(deref(k.Properties.ApiSubnetAllowList))}
		if k.Metadata != nil {
			cl.State = str(k.Metadata.State)
		}
		if k.Properties.Public != nil {
			cl.Public = *k.Properties.Public
		}
		if cl.Upgrades > 0 {
			cl.UpgradeSince = now
			if p, ok := prev[cl.ID]; ok && p.Version == cl.Version && !p.UpgradeSince.IsZero() {
				cl.UpgradeSince = p.UpgradeSince
			}
		}
		if k.Entities == nil || k.Entities.Nodepools == nil {
			return snap, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /k8s: a cluster without its node pools (depth not honoured?)")}
		}
		for _, np := range deref(k.Entities.Nodepools.Items) {
			if np.Properties == nil || np.Id == nil {
				return snap, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /k8s: a node pool without properties (depth not honoured?)")}
			}
			p := poolInfo{ID: *np.Id, Name: str(np.Properties.Name), Version: str(np.Properties.K8sVersion),
				NodeCount: i32(np.Properties.NodeCount), Window: parseWindow(np.Properties.MaintenanceWindow)}
			p.Datacenter = dcNames[str(np.Properties.DatacenterId)]
			if p.Datacenter == "" {
				p.Datacenter = str(np.Properties.DatacenterId)
			}
			if np.Metadata != nil {
				p.State = str(np.Metadata.State)
			}
			if as := np.Properties.AutoScaling; as != nil && i32(as.MaxNodeCount) > 0 {
				p.Autoscaling, p.Min, p.Max = true, i32(as.MinNodeCount), i32(as.MaxNodeCount)
			}
			nodes, resp, err := api.KubernetesApi.K8sNodepoolsNodesGet(ctx, cl.ID, p.ID).Depth(depthList).Execute()
			if err != nil {
				return snap, ionosError(ctx, "GET /k8s/{id}/nodepools/{id}/nodes", resp, err)
			}
			for _, n := range deref(nodes.Items) {
				if n.Properties == nil || n.Metadata == nil {
					return snap, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /k8s/{id}/nodepools/{id}/nodes: a node without properties")}
				}
				p.Nodes = append(p.Nodes, nodeInfo{Name: str(n.Properties.Name), State: str(n.Metadata.State),
					Version: str(n.Properties.K8sVersion), PublicIP: str(n.Properties.PublicIP) != ""})
			}
			cl.Pools = append(cl.Pools, p)
		}
		snap.Clusters = append(snap.Clusters, cl)
	}

	blocks, err := pages(ctx, "GET /ipblocks", func(off int32) ([]ionoscloud.IpBlock, *ionoscloud.PaginationLinks, *ionoscloud.APIResponse, error) {
		r, resp, err := api.IPBlocksApi.IpblocksGet(ctx).Depth(depthList).Offset(off).Execute()
		return deref(r.Items), r.Links, resp, err
	})
	if err != nil {
		return snap, err
	}
	for _, b := range blocks {
		if b.Properties == nil {
			return snap, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /ipblocks: an IP block without properties")}
		}
		name := str(b.Properties.Name)
		if name == "" {
			name = str(b.Id)
		}
		snap.IPBlocks = append(snap.IPBlocks, ipBlockInfo{Name: name, Location: str(b.Properties.Location),
			Size: i32(b.Properties.Size), Used: len(deref(b.Properties.IpConsumers))})
	}
	return snap, nil
}

type ipBlockInfo struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	Size     int    `json:"size"`
	Used     int    `json:"used"`
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}
