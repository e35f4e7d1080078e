package ionoscloud

import (
	"time"
)

// Snapshot is a volume snapshot, served at GET /snapshots and
// /snapshots/{id}. The API does not page /snapshots: the collection has no
// offset, limit or _links (shared wire-format reference, §4.1).
type Snapshot struct {
	ID, Name, Description, Location string
	SizeGB                          float64 // properties.size, in GB
	State                           string  // AVAILABLE, BUSY, INACTIVE
	Created                         time.Time
	// LastModified defaults to Created plus five minutes (a snapshot
	// finishes after it starts).
	LastModified time.Time
}

func (s *Server) snapshot(sn *Snapshot) obj {
	last := sn.LastModified
	if last.IsZero() {
		last = sn.Created.Add(5 * time.Minute)
	}
	meta := elementMetadata(orDefault(sn.State, "AVAILABLE"), last)
	meta["createdDate"] = stamp(sn.Created)
	return obj{id: sn.ID, typ: "snapshot", href: s.srv.URL + BasePath + "/snapshots/" + sn.ID, metadata: meta,
		properties: map[string]any{"name": sn.Name, "description": sn.Description, "location": orDefault(sn.Location, "de/fra"),
			"size": sn.SizeGB, "secAuthProtection": false,
			"cpuHotPlug": true, "cpuHotUnplug": false, "ramHotPlug": true, "ramHotUnplug": false,
			"nicHotPlug": true, "nicHotUnplug": true, "discVirtioHotPlug": true, "discVirtioHotUnplug": true,
			"discScsiHotPlug": false, "discScsiHotUnplug": false, "exposeSerial": false, "requireLegacyBios": false,
			"licenceType": "LINUX", "applicationType": "UNKNOWN"}}
}

// routeSnapshots answers /snapshots and /snapshots/{id}; ok is false for
// any other path.
func (s *Server) routeSnapshots(seg []string, depth int) (body any, list bool, aerr *apiError, ok bool) {
	if seg[0] != "snapshots" || len(seg) > 2 {
		return nil, false, nil, false
	}
	if len(seg) == 1 {
		items := make([]obj, len(s.world.Snapshots))
		for i := range s.world.Snapshots {
			items[i] = s.snapshot(&s.world.Snapshots[i])
		}
		return unpaged("snapshots", s.srv.URL+BasePath+"/snapshots", items, depth), true, nil, true
	}
	for i := range s.world.Snapshots {
		if s.world.Snapshots[i].ID == seg[1] {
			return s.snapshot(&s.world.Snapshots[i]).render(depth), false, nil, true
		}
	}
	return nil, false, notFound, true
}

// SandboxSnapshots are the sandbox's volume snapshots, times relative to
// now: db-nightly's newest AVAILABLE one is 3 h old; etcd-weekly's newest
// AVAILABLE one is 9 days old and a new one is still BUSY.
func SandboxSnapshots(now time.Time) []Snapshot {
	return []Snapshot{
		{ID: "3b3b3b3b-0000-4000-8000-000000000001", Name: "db-nightly-1", Description: "nightly", SizeGB: 50, State: "AVAILABLE", Created: now.Add(-27 * time.Hour)},
		{ID: "3b3b3b3b-0000-4000-8000-000000000002", Name: "db-nightly-2", Description: "nightly", SizeGB: 52, State: "AVAILABLE", Created: now.Add(-3 * time.Hour)},
		{ID: "3b3b3b3b-0000-4000-8000-000000000003", Name: "etcd-weekly-1", Description: "weekly", SizeGB: 10, State: "AVAILABLE", Created: now.Add(-9 * 24 * time.Hour)},
		{ID: "3b3b3b3b-0000-4000-8000-000000000004", Name: "etcd-weekly-2", Description: "weekly", SizeGB: 10, State: "BUSY", Created: now.Add(-10 * time.Minute)},
	}
}
