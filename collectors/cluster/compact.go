package cluster

import (
	"unique"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The informers store these compact structs instead of API objects: the
// transform (transform.go) copies out only what the metrics need, so a pod
// costs a few hundred bytes of heap instead of tens of KiB with its spec and
// managed fields. Strings that repeat across objects (namespaces, node names,
// owners, container names, reasons) are interned as unique.Handle values: 8
// bytes each, one copy of the text for the whole cache.

// str is an interned string; the zero value is "".
type str struct{ h unique.Handle[string] }

func intern(s string) str {
	if s == "" {
		return str{}
	}
	return str{unique.Make(s)}
}

func (s str) String() string {
	if s == (str{}) {
		return ""
	}
	return s.h.Value()
}

// objectMeta is the smallest thing the informer's store accepts: its key
// function (cache.MetaNamespaceKeyFunc) and namespace index go through
// meta.Accessor, which wants a metav1.Object. Only namespace and name carry
// data; the rest of the interface reads as empty and ignores writes.
// (metav1.ObjectMeta itself would cost about 250 bytes per object.)
type objectMeta struct {
	name      string
	namespace str
}

var _ metav1.Object = (*objectMeta)(nil)

func (m *objectMeta) GetNamespace() string                          { return m.namespace.String() }
func (m *objectMeta) SetNamespace(ns string)                        { m.namespace = intern(ns) }
func (m *objectMeta) GetName() string                               { return m.name }
func (m *objectMeta) SetName(name string)                           { m.name = name }
func (m *objectMeta) GetGenerateName() string                       { return "" }
func (m *objectMeta) SetGenerateName(string)                        {}
func (m *objectMeta) GetUID() types.UID                             { return "" }
func (m *objectMeta) SetUID(types.UID)                              {}
func (m *objectMeta) GetResourceVersion() string                    { return "" }
func (m *objectMeta) SetResourceVersion(string)                     {}
func (m *objectMeta) GetGeneration() int64                          { return 0 }
func (m *objectMeta) SetGeneration(int64)                           {}
func (m *objectMeta) GetSelfLink() string                           { return "" }
func (m *objectMeta) SetSelfLink(string)                            {}
func (m *objectMeta) GetCreationTimestamp() metav1.Time             { return metav1.Time{} }
func (m *objectMeta) SetCreationTimestamp(metav1.Time)              {}
func (m *objectMeta) GetDeletionTimestamp() *metav1.Time            { return nil }
func (m *objectMeta) SetDeletionTimestamp(*metav1.Time)             {}
func (m *objectMeta) GetDeletionGracePeriodSeconds() *int64         { return nil }
func (m *objectMeta) SetDeletionGracePeriodSeconds(*int64)          {}
func (m *objectMeta) GetLabels() map[string]string                  { return nil }
func (m *objectMeta) SetLabels(map[string]string)                   {}
func (m *objectMeta) GetAnnotations() map[string]string             { return nil }
func (m *objectMeta) SetAnnotations(map[string]string)              {}
func (m *objectMeta) GetFinalizers() []string                       { return nil }
func (m *objectMeta) SetFinalizers([]string)                        {}
func (m *objectMeta) GetOwnerReferences() []metav1.OwnerReference   { return nil }
func (m *objectMeta) SetOwnerReferences([]metav1.OwnerReference)    {}
func (m *objectMeta) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }
func (m *objectMeta) SetManagedFields([]metav1.ManagedFieldsEntry)  {}

// The compact objects. Each embeds objectMeta, so *T satisfies metav1.Object.

type node struct {
	objectMeta
	kubeletVersion str
	internalIP     string
	cpuMilli       int64 // allocatable
	memBytes       int64 // allocatable
	taints         []taint
	conditions     [len(nodeConditions)]uint8 // condAbsent, condTrue, ...
	unschedulable  bool
}

type taint struct{ key, effect str }

const (
	condAbsent uint8 = iota
	condTrue
	condFalse
	condUnknown
)

var condStatusNames = [...]string{condTrue: "true", condFalse: "false", condUnknown: "unknown"}

// nodeConditions are the conditions the catalogue promises; others (from
// node-problem-detector and the like) are not exported, to keep labels bounded.
var nodeConditions = [...]string{"Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"}

type pod struct {
	objectMeta
	node, ownerKind, ownerName str
	unschedReason              str
	cpuReqMilli, cpuLimMilli   int64
	memReq, memLim             int64
	containers                 []container
	phase                      uint8 // index into podPhases
	flags                      uint8 // hasCPUReq, ...
}

const (
	hasCPUReq uint8 = 1 << iota
	hasCPULim
	hasMemReq
	hasMemLim
	unschedulable
)

var podPhases = [...]string{"", "Pending", "Running", "Succeeded", "Failed", "Unknown"}

type container struct {
	name         str
	lastFinished int64 // unix seconds of the last termination; 0 when none
	restarts     int32
	waiting      uint8 // index into waitingReasons; 0 when not waiting
	lastReason   uint8 // index into terminatedReasons; 0 when never terminated
}

const (
	kindDeployment uint8 = iota
	kindStatefulSet
	kindDaemonSet
)

var workloadKinds = [...]string{"Deployment", "StatefulSet", "DaemonSet"}

type workload struct {
	objectMeta
	desired, ready, available, updated int32
	kind                               uint8
	singleReplicaOK                    bool // annotated SingleReplicaOKAnnotation: "true"
}

type hpa struct {
	objectMeta
	current, desired, min, max int32
}
