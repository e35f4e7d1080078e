package cluster

import (
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/tools/cache"

	"github.com/vigil-monitoring/vigil/internal/metricdoc"
)

// The collector writes the Prometheus text exposition format (0.0.4) itself.
// client_golang's const metrics cost an allocation-heavy Metric per series
// and a sort per family; at 200,000+ series that is seconds per scrape. Here
// each series is a few appends into a reused buffer.

// headers holds the "# HELP ...\n# TYPE ...\n" lines of every family, from
// the catalogue.
var headers = func() map[string][]byte {
	m := make(map[string][]byte, len(Catalogue))
	for _, d := range Catalogue {
		m[d.Name] = header(d)
	}
	return m
}()

func header(d metricdoc.Desc) []byte {
	// HELP escapes only backslash and newline (exposition format 0.0.4).
	help := strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(d.Help)
	return []byte("# HELP " + d.Name + " " + help + "\n# TYPE " + d.Name + " " + string(d.Type) + "\n")
}

const flushAt = 48 << 10

// textWriter appends series to buf and flushes it to w in large chunks.
type textWriter struct {
	w      io.Writer
	buf    []byte
	err    error
	common []byte // `environment="...",cluster="..."`

	name    string // current family
	pending []byte // its header, until its first series
}

// family starts a family; its header is written with its first series, so a
// family with no series is left out entirely.
func (t *textWriter) family(name string) {
	h, ok := headers[name]
	if !ok {
		panic("cluster: metric " + name + " is not in catalogue.go") // programming error, caught by tests
	}
	t.name, t.pending = name, h
}

// series opens a series: name{environment="..",cluster="..". Continue with
// label calls and end with value.
func (t *textWriter) series() {
	if t.pending != nil {
		t.buf = append(t.buf, t.pending...)
		t.pending = nil
	}
	t.buf = append(t.buf, t.name...)
	t.buf = append(t.buf, '{')
	t.buf = append(t.buf, t.common...)
}

// label appends `,name="value"`; prefix is `,name="`.
func (t *textWriter) label(prefix, value string) {
	t.buf = append(t.buf, prefix...)
	t.buf = appendEscaped(t.buf, value)
	t.buf = append(t.buf, '"')
}

func (t *textWriter) int(v int64) {
	t.buf = append(t.buf, '}', ' ')
	t.buf = strconv.AppendInt(t.buf, v, 10)
	t.end()
}

func (t *textWriter) float(v float64) {
	t.buf = append(t.buf, '}', ' ')
	switch {
	case math.IsInf(v, +1):
		t.buf = append(t.buf, "+Inf"...)
	case math.IsInf(v, -1):
		t.buf = append(t.buf, "-Inf"...)
	case math.IsNaN(v):
		t.buf = append(t.buf, "NaN"...)
	default:
		t.buf = strconv.AppendFloat(t.buf, v, 'g', -1, 64)
	}
	t.end()
}

// milli writes a value kept in thousandths (CPU in millicores).
func (t *textWriter) milli(v int64) {
	if v%1000 == 0 {
		t.int(v / 1000)
		return
	}
	t.float(float64(v) / 1000)
}

func (t *textWriter) end() {
	t.buf = append(t.buf, '\n')
	if len(t.buf) >= flushAt {
		t.flush()
	}
}

func (t *textWriter) flush() {
	if t.err == nil && len(t.buf) > 0 {
		_, t.err = t.w.Write(t.buf)
	}
	t.buf = t.buf[:0]
}

// appendEscaped escapes a label value: backslash, double quote and newline.
func appendEscaped(b []byte, s string) []byte {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '"' || c == '\n' {
			break
		}
	}
	if i == len(s) {
		return append(b, s...)
	}
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}

// RenderText writes every vigil_cluster_* family in the text exposition
// format from the informer caches and the sources' last snapshots. It never
// calls the API server. Safe for concurrent use.
func (c *Collector) RenderText(w io.Writer) error {
	bp, _ := c.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, flushAt+4096)
		bp = &b
	}
	t := &textWriter{w: w, buf: (*bp)[:0], common: c.commonLabels()}
	c.renderAPIServer(t)
	var u *usage
	if c.usage != nil {
		// Usage older than three refresh intervals is not served as if it
		// were current: the CPU and memory alerts would judge from old
		// numbers. VigilSourceDataStale says why the series went away.
		if snap, at, ok := c.usage.Get(); ok && time.Since(at) <= 3*c.cfg.MetricsInterval {
			u = snap
		}
	}
	c.renderNodes(t, list(c.nodes), u)
	c.renderPods(t, list(c.pods...), u)
	c.renderWorkloads(t, list(c.workloads...))
	c.renderHPAs(t, list(c.hpas...))
	t.flush()
	*bp = t.buf[:0]
	c.bufs.Put(bp)
	return t.err
}

func (c *Collector) commonLabels() []byte {
	b := append([]byte(`environment="`), nil...)
	b = appendEscaped(b, c.cfg.Environment)
	b = append(b, `",cluster="`...)
	b = appendEscaped(b, c.cfg.Cluster)
	return append(b, '"')
}

// list snapshots the objects of one or more informers (one per included
// namespace): a slice of pointers, so later families iterate without locks.
func list(infs ...cache.SharedIndexInformer) []any {
	if len(infs) == 1 {
		return infs[0].GetStore().List()
	}
	var out []any
	for _, inf := range infs {
		out = append(out, inf.GetStore().List()...)
	}
	return out
}

func (c *Collector) renderAPIServer(t *textWriter) {
	t.family("vigil_cluster_apiserver_up")
	t.series()
	if c.apiserver.Status().Up {
		t.int(1)
	} else {
		t.int(0)
	}
	if v, _, ok := c.apiserver.Get(); ok && v != nil {
		t.family("vigil_cluster_apiserver_info")
		t.series()
		t.label(`,git_version="`, v.GitVersion)
		t.int(1)
	}
}

func (c *Collector) renderNodes(t *textWriter, objs []any, u *usage) {
	nodes := ofType[*node](objs)
	t.family("vigil_cluster_node_info")
	for _, n := range nodes {
		t.series()
		t.label(`,node="`, n.name)
		t.label(`,kubelet_version="`, n.kubeletVersion.String())
		t.label(`,internal_ip="`, n.internalIP)
		t.int(1)
	}
	t.family("vigil_cluster_node_condition")
	for _, n := range nodes {
		for i, st := range n.conditions {
			if st == condAbsent {
				continue
			}
			t.series()
			t.label(`,node="`, n.name)
			t.label(`,condition="`, nodeConditions[i])
			t.label(`,status="`, condStatusNames[st])
			t.int(1)
		}
	}
	t.family("vigil_cluster_node_taint")
	for _, n := range nodes {
		for _, tt := range n.taints {
			t.series()
			t.label(`,node="`, n.name)
			t.label(`,key="`, tt.key.String())
			t.label(`,effect="`, tt.effect.String())
			t.int(1)
		}
	}
	t.family("vigil_cluster_node_unschedulable")
	for _, n := range nodes {
		t.series()
		t.label(`,node="`, n.name)
		if n.unschedulable {
			t.int(1)
		} else {
			t.int(0)
		}
	}
	t.family("vigil_cluster_node_allocatable_cpu_cores")
	for _, n := range nodes {
		t.series()
		t.label(`,node="`, n.name)
		t.milli(n.cpuMilli)
	}
	t.family("vigil_cluster_node_allocatable_memory_bytes")
	for _, n := range nodes {
		t.series()
		t.label(`,node="`, n.name)
		t.int(n.memBytes)
	}
	if u == nil {
		return
	}
	t.family("vigil_cluster_node_cpu_usage_cores")
	for _, n := range nodes {
		if r, ok := u.nodes[n.name]; ok {
			t.series()
			t.label(`,node="`, n.name)
			t.float(float64(r.cpuNano) / 1e9)
		}
	}
	t.family("vigil_cluster_node_memory_usage_bytes")
	for _, n := range nodes {
		if r, ok := u.nodes[n.name]; ok {
			t.series()
			t.label(`,node="`, n.name)
			t.int(r.memBytes)
		}
	}
}

// podSeries opens a series with the pod's namespace and pod labels.
func (t *textWriter) podSeries(p *pod) {
	t.series()
	t.label(`,namespace="`, p.namespace.String())
	t.label(`,pod="`, p.name)
}

func (c *Collector) renderPods(t *textWriter, objs []any, u *usage) {
	pods := ofType[*pod](objs) // excluded namespaces are bare objectMeta
	t.family("vigil_cluster_pod_info")
	for _, p := range pods {
		t.podSeries(p)
		t.label(`,node="`, p.node.String())
		t.label(`,owner_kind="`, p.ownerKind.String())
		t.label(`,owner_name="`, p.ownerName.String())
		t.int(1)
	}
	t.family("vigil_cluster_pod_phase")
	for _, p := range pods {
		if p.phase != 0 {
			t.podSeries(p)
			t.label(`,phase="`, podPhases[p.phase])
			t.int(1)
		}
	}
	t.family("vigil_cluster_pod_unschedulable")
	for _, p := range pods {
		if p.flags&unschedulable != 0 {
			t.podSeries(p)
			t.label(`,reason="`, p.unschedReason.String())
			t.int(1)
		}
	}
	t.family("vigil_cluster_pod_container_waiting")
	for _, p := range pods {
		for i := range p.containers {
			if ct := &p.containers[i]; ct.waiting != 0 {
				t.podSeries(p)
				t.label(`,container="`, ct.name.String())
				t.label(`,reason="`, waitingReasons[ct.waiting])
				t.int(1)
			}
		}
	}
	t.family("vigil_cluster_pod_container_restarts_total")
	for _, p := range pods {
		for i := range p.containers {
			ct := &p.containers[i]
			t.podSeries(p)
			t.label(`,container="`, ct.name.String())
			t.int(int64(ct.restarts))
		}
	}
	t.family("vigil_cluster_pod_container_last_terminated_reason")
	for _, p := range pods {
		for i := range p.containers {
			if ct := &p.containers[i]; ct.lastReason != 0 {
				t.podSeries(p)
				t.label(`,container="`, ct.name.String())
				t.label(`,reason="`, terminatedReasons[ct.lastReason])
				t.int(1)
			}
		}
	}
	t.family("vigil_cluster_pod_container_last_terminated_timestamp_seconds")
	for _, p := range pods {
		for i := range p.containers {
			if ct := &p.containers[i]; ct.lastFinished != 0 {
				t.podSeries(p)
				t.label(`,container="`, ct.name.String())
				t.int(ct.lastFinished)
			}
		}
	}
	t.family("vigil_cluster_pod_cpu_requests_cores")
	for _, p := range pods {
		if p.flags&hasCPUReq != 0 {
			t.podSeries(p)
			t.milli(p.cpuReqMilli)
		}
	}
	t.family("vigil_cluster_pod_cpu_limits_cores")
	for _, p := range pods {
		if p.flags&hasCPULim != 0 {
			t.podSeries(p)
			t.milli(p.cpuLimMilli)
		}
	}
	t.family("vigil_cluster_pod_memory_requests_bytes")
	for _, p := range pods {
		if p.flags&hasMemReq != 0 {
			t.podSeries(p)
			t.int(p.memReq)
		}
	}
	t.family("vigil_cluster_pod_memory_limits_bytes")
	for _, p := range pods {
		if p.flags&hasMemLim != 0 {
			t.podSeries(p)
			t.int(p.memLim)
		}
	}
	if u == nil {
		return
	}
	t.family("vigil_cluster_pod_cpu_usage_cores")
	for _, p := range pods {
		if r, ok := u.pods[podKey{p.namespace.String(), p.name}]; ok {
			t.podSeries(p)
			t.float(float64(r.cpuNano) / 1e9)
		}
	}
	t.family("vigil_cluster_pod_memory_usage_bytes")
	for _, p := range pods {
		if r, ok := u.pods[podKey{p.namespace.String(), p.name}]; ok {
			t.podSeries(p)
			t.int(r.memBytes)
		}
	}
}

func (c *Collector) renderWorkloads(t *textWriter, objs []any) {
	renderCounts(t, ofType[*workload](objs), []countFamily[*workload]{
		{"vigil_cluster_workload_replicas_desired", func(w *workload) int32 { return w.desired }},
		{"vigil_cluster_workload_replicas_ready", func(w *workload) int32 { return w.ready }},
		{"vigil_cluster_workload_replicas_available", func(w *workload) int32 { return w.available }},
		{"vigil_cluster_workload_replicas_updated", func(w *workload) int32 { return w.updated }},
		{"vigil_cluster_workload_single_replica_ok", func(w *workload) int32 {
			if w.singleReplicaOK {
				return 1
			}
			return 0
		}},
	}, func(t *textWriter, w *workload) {
		t.label(`,namespace="`, w.namespace.String())
		t.label(`,kind="`, workloadKinds[w.kind])
		t.label(`,workload="`, w.name)
	})
}

func (c *Collector) renderHPAs(t *textWriter, objs []any) {
	renderCounts(t, ofType[*hpa](objs), []countFamily[*hpa]{
		{"vigil_cluster_hpa_replicas_current", func(h *hpa) int32 { return h.current }},
		{"vigil_cluster_hpa_replicas_desired", func(h *hpa) int32 { return h.desired }},
		{"vigil_cluster_hpa_replicas_min", func(h *hpa) int32 { return h.min }},
		{"vigil_cluster_hpa_replicas_max", func(h *hpa) int32 { return h.max }},
	}, func(t *textWriter, h *hpa) {
		t.label(`,namespace="`, h.namespace.String())
		t.label(`,hpa="`, h.name)
	})
}

// countFamily is one replica-count family of an object kind.
type countFamily[T any] struct {
	name  string
	value func(T) int32
}

// renderCounts writes each family, one series per object, labelled by labels.
func renderCounts[T any](t *textWriter, objs []T, families []countFamily[T], labels func(*textWriter, T)) {
	for _, f := range families {
		t.family(f.name)
		for _, o := range objs {
			t.series()
			labels(t, o)
			t.int(int64(f.value(o)))
		}
	}
}

// ofType keeps the objects of one compact type (informer stores hold any).
func ofType[T any](objs []any) []T {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}
