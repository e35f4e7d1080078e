// Package ionoscloud is an in-process emulator of the IONOS Cloud API v6
// (/cloudapi/v6): data centers, LANs, IP blocks, volume snapshots, managed Kubernetes
// clusters, node pools and nodes. It speaks the wire format sdk-go/v6
// v6.3.11 parses (see ../../../docs and the shared wire-format reference):
// the collection envelope, DatacenterElementMetadata, timestamps ending in
// Z, the error envelope, and application/json.
//
// It is strict where a lenient server would hide client bugs:
//   - depth is honoured: below the depth asked, children come only as
//     references (id, type, href), so a client that forgets .Depth gets
//     nothing it can use;
//   - lists that the API pages (/datacenters, /datacenters/{id}/lans,
//     /ipblocks) are paged with offset, limit and _links.next at the API's
//     default limits (1000; 100 for /ipblocks), and /k8s… lists are not;
//   - every request needs the configured credentials (401 otherwise).
//
// Faults: any state of the world (a cluster UPDATING for hours, a node pool
// in FAILED_UPDATING, a pool at its autoscaling maximum, a node without its
// public IP) is data; a 429 storm with Retry-After, a 401 (expired token) and
// a half-written page are switched on the Server.
//
// The same emulator serves the tests and `--sandbox` (Sandbox()); other
// collectors that read the Cloud API add their objects to World.
package ionoscloud

import "time"

// World is what the emulated account holds.
type World struct {
	Datacenters []Datacenter
	Clusters    []Cluster
	IPBlocks    []IPBlock
	Snapshots   []Snapshot // snapshots.go
}

// Datacenter is a virtual data center and its LANs.
type Datacenter struct {
	ID, Name, Location string
	State              string // AVAILABLE, BUSY, INACTIVE
	LANs               []LAN
}

// LAN is a data center's LAN; ID is numeric, as the API's are.
type LAN struct {
	ID, Name string
	Public   bool
}

// Window is a maintenance window: a weekday ("Monday".."Sunday") and a UTC
// time of day ("HH:MM:SSZ").
type Window struct{ Day, Time string }

// Cluster is a managed Kubernetes cluster.
type Cluster struct {
	ID, Name   string
	State      string // ACTIVE, UPDATING, FAILED_UPDATING, ...
	K8sVersion string
	Upgrades   []string // availableUpgradeVersions
	Window     Window
	Public     bool
	AllowList  []string
	// LastModified is metadata.lastModifiedDate (when the state changed).
	LastModified time.Time
	Pools        []NodePool
}

// NodePool is a cluster's node pool.
type NodePool struct {
	ID, Name, DatacenterID string
	State                  string
	K8sVersion             string
	NodeCount              int
	AutoMin, AutoMax       int // 0, 0: no autoscaling
	Window                 Window
	Nodes                  []Node
	// Each node's size (the billing estimate reads them); zero values
	// render as 4 cores, 16384 MB of RAM and 100 GB of SSD.
	Cores, RAMMB, StorageGB int
	StorageType             string // HDD or SSD
}

// Node is a node of a pool. PublicIP "" is a node without its public IP.
type Node struct {
	ID, Name, State, K8sVersion, PublicIP, PrivateIP string
}

// IPBlock is a reserved IP block; Used of its IPs have a consumer.
type IPBlock struct {
	ID, Name, Location string
	IPs                []string
	Used               int
}
