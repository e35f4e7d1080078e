package ionoscloud

import (
	"cmp"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// obj is one API object before depth is applied.
type obj struct {
	id, typ, href string
	metadata      map[string]any
	properties    map[string]any
	entities      map[string]collection // rendered from depth 1 on
}

// render applies depth: below 0 a reference; from 0 the object's metadata
// and properties; from 1 its entities as collections one level down.
func (o obj) render(depth int) map[string]any {
	m := map[string]any{"id": o.id, "type": o.typ, "href": o.href}
	if depth < 0 {
		return m
	}
	m["metadata"] = o.metadata
	m["properties"] = o.properties
	if depth >= 1 && len(o.entities) > 0 {
		ents := map[string]any{}
		for k, c := range o.entities {
			ents[k] = c.render(depth - 1)
		}
		m["entities"] = ents
	}
	return m
}

// collection is a list; items are one level below the collection.
type collection struct {
	id, href string
	items    []obj
}

func (c collection) render(depth int) map[string]any {
	items := make([]any, len(c.items))
	for i, it := range c.items {
		items[i] = it.render(depth - 1)
	}
	return map[string]any{"id": c.id, "type": "collection", "href": c.href, "items": items}
}

func unpaged(id, href string, items []obj, depth int) map[string]any {
	return collection{id: id, href: href, items: items}.render(depth)
}

// paged answers a list the API pages: offset and limit from the query,
// _links.prev only when offset > 0 and _links.next only when more follow.
func paged(r *http.Request, id, href string, items []obj, depth, defLimit int) (map[string]any, *apiError) {
	q := r.URL.Query()
	offset, limit := 0, defLimit
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, &apiError{http.StatusUnprocessableEntity, "100", "offset must be a non-negative integer"}
		}
		offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, &apiError{http.StatusUnprocessableEntity, "100", "limit must be an integer from 1 to 10000"}
		}
		limit = n
	}
	page := items[min(offset, len(items)):min(offset+limit, len(items))]
	out := collection{id: id, href: href, items: page}.render(depth)
	link := func(off int) string {
		v := url.Values{}
		v.Set("offset", strconv.Itoa(off))
		v.Set("limit", strconv.Itoa(limit))
		if d := q.Get("depth"); d != "" {
			v.Set("depth", d)
		}
		return href + "?" + v.Encode()
	}
	links := map[string]any{"self": link(offset)}
	if offset > 0 {
		links["prev"] = link(max(offset-limit, 0))
	}
	if offset+limit < len(items) {
		links["next"] = link(offset + limit)
	}
	out["offset"], out["limit"], out["_links"] = offset, limit, links
	return out, nil
}

// Fixed dates: the emulator's objects were created long ago.
var (
	created  = time.Date(2025, 4, 10, 9, 12, 44, 0, time.UTC)
	modified = time.Date(2026, 10, 12, 3, 0, 0, 0, time.UTC)
)

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func elementMetadata(state string, lastModified time.Time) map[string]any {
	if lastModified.IsZero() {
		lastModified = modified
	}
	return map[string]any{
		"etag": "45480eb3fbfc31f1d916c1eaa4abdcc3", "createdDate": stamp(created), "createdBy": "ops@example.com",
		"createdByUserId": "7ee77dcf-093f-48e6-9a14-161c73568589", "lastModifiedDate": stamp(lastModified),
		"lastModifiedBy": "ops@example.com", "lastModifiedByUserId": "7ee77dcf-093f-48e6-9a14-161c73568589",
		"state": state,
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func strs(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func (s *Server) datacenter(dc *Datacenter) obj {
	href := s.srv.URL + BasePath + "/datacenters/" + dc.ID
	return obj{id: dc.ID, typ: "datacenter", href: href,
		metadata: elementMetadata(orDefault(dc.State, "AVAILABLE"), time.Time{}),
		properties: map[string]any{"name": dc.Name, "description": "", "location": dc.Location, "version": 57,
			"features": []string{"SSD", "cloud-init"}, "secAuthProtection": false, "ipv6CidrBlock": nil,
			"cpuArchitecture": []map[string]any{{"cpuFamily": "INTEL_SKYLAKE", "maxCores": 62, "maxRam": 230400, "vendor": "GenuineIntel"}}},
		entities: map[string]collection{"lans": {id: dc.ID + "/lans", href: href + "/lans", items: s.lans(dc)}},
	}
}

func (s *Server) lans(dc *Datacenter) []obj {
	out := make([]obj, len(dc.LANs))
	for i, l := range dc.LANs {
		var cidr any = "10.7." + l.ID + ".0/24"
		if l.Public {
			cidr = nil // read-only and null for public LANs
		}
		out[i] = obj{id: l.ID, typ: "lan", href: s.srv.URL + BasePath + "/datacenters/" + dc.ID + "/lans/" + l.ID,
			metadata: elementMetadata("AVAILABLE", time.Time{}),
			properties: map[string]any{"name": l.Name, "ipFailover": []any{}, "ipv4CidrBlock": cidr,
				"ipv6CidrBlock": nil, "pcc": nil, "public": l.Public}}
	}
	return out
}

func (s *Server) ipblock(b *IPBlock) obj {
	consumers := make([]map[string]any, 0, b.Used)
	for i := 0; i < b.Used && i < len(b.IPs); i++ {
		consumers = append(consumers, map[string]any{"ip": b.IPs[i], "mac": "02:01:aa:bb:cc:" + strconv.Itoa(10+i),
			"nicId": "", "serverId": "", "serverName": "", "datacenterId": "", "datacenterName": ""})
	}
	return obj{id: b.ID, typ: "ipblock", href: s.srv.URL + BasePath + "/ipblocks/" + b.ID,
		metadata: elementMetadata("AVAILABLE", time.Time{}),
		properties: map[string]any{"ips": strs(b.IPs), "location": b.Location, "size": len(b.IPs), "name": b.Name,
			"ipConsumers": consumers}}
}

func window(w Window) map[string]any {
	return map[string]any{"dayOfTheWeek": orDefault(w.Day, "Sunday"), "time": orDefault(w.Time, "03:00:00Z")}
}

func (s *Server) cluster(c *Cluster) obj {
	href := s.srv.URL + BasePath + "/k8s/" + c.ID
	return obj{id: c.ID, typ: "k8s", href: href,
		metadata: elementMetadata(c.State, c.LastModified),
		properties: map[string]any{"name": c.Name, "k8sVersion": c.K8sVersion, "maintenanceWindow": window(c.Window),
			"availableUpgradeVersions": strs(c.Upgrades), "viableNodePoolVersions": []string{c.K8sVersion},
			"public": c.Public, "apiSubnetAllowList": strs(c.AllowList), "s3Buckets": []any{}},
		entities: map[string]collection{"nodepools": s.poolsCollection(c)},
	}
}

func (s *Server) poolsCollection(c *Cluster) collection {
	items := make([]obj, len(c.Pools))
	for i := range c.Pools {
		items[i] = s.pool(c, &c.Pools[i])
	}
	return collection{id: c.ID + "/nodepools", href: s.srv.URL + BasePath + "/k8s/" + c.ID + "/nodepools", items: items}
}

func (s *Server) pool(c *Cluster, p *NodePool) obj {
	props := map[string]any{"name": p.Name, "datacenterId": p.DatacenterID, "nodeCount": p.NodeCount,
		"cpuFamily": "INTEL_SKYLAKE", "serverType": "DedicatedCore", "coresCount": cmp.Or(p.Cores, 4), "ramSize": cmp.Or(p.RAMMB, 16384),
		"availabilityZone": "AUTO", "storageType": cmp.Or(p.StorageType, "SSD"), "storageSize": cmp.Or(p.StorageGB, 100), "k8sVersion": p.K8sVersion,
		"maintenanceWindow": window(p.Window), "lans": []any{}, "labels": map[string]string{},
		"annotations": map[string]string{}, "publicIps": []string{}, "availableUpgradeVersions": []string{}}
	if p.AutoMax > 0 {
		props["autoScaling"] = map[string]any{"minNodeCount": p.AutoMin, "maxNodeCount": p.AutoMax}
	}
	return obj{id: p.ID, typ: "nodepool", href: s.srv.URL + BasePath + "/k8s/" + c.ID + "/nodepools/" + p.ID,
		metadata: elementMetadata(p.State, time.Time{}), properties: props}
}

func (s *Server) nodes(c *Cluster, p *NodePool) []obj {
	out := make([]obj, len(p.Nodes))
	for i, n := range p.Nodes {
		props := map[string]any{"name": n.Name, "privateIP": n.PrivateIP, "k8sVersion": n.K8sVersion}
		if n.PublicIP != "" {
			props["publicIP"] = n.PublicIP
		}
		out[i] = obj{id: n.ID, typ: "node", href: s.srv.URL + BasePath + "/k8s/" + c.ID + "/nodepools/" + p.ID + "/nodes/" + n.ID,
			metadata: map[string]any{"etag": "9f1c0a", "createdDate": stamp(modified), "lastModifiedDate": stamp(modified),
				"state": n.State, "lastSoftwareUpdatedDate": stamp(modified)},
			properties: props}
	}
	return out
}
