package cluster_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/shard"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// BenchmarkShards: issue 16's scale, 5,000 nodes and 150,000 pods (with
// their Deployments, StatefulSets, DaemonSets and HPAs) generated into a
// real kube-apiserver by testenv.GenerateCluster, then one collector per
// shard, one at a time, for 1 and 3 shards: scrape time and the memory each
// shard holds, with the CPU time per scrape and the load average (wall time
// on a shared machine says more about the others than about the render).
// Loading takes many minutes on 2 cores; VIGIL_BENCH_NODES and
// VIGIL_BENCH_PODS give a smaller cluster.
//
//	go test -run '^$' -bench BenchmarkShards -benchtime 20x -timeout 120m ./collectors/cluster/
func BenchmarkShards(b *testing.B) {
	nodes, pods := envInt(b, "VIGIL_BENCH_NODES", 5000), envInt(b, "VIGIL_BENCH_PODS", 150000)
	rc := testenv.APIServer(b)
	rc.QPS, rc.Burst = 5000, 10000
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	testenv.GenerateCluster(b, kube, testenv.Cluster{Prefix: "bench", Nodes: nodes, Pods: pods, Namespaces: 50})
	b.Logf("generated %d nodes and %d pods (with workloads and HPAs) in %s", nodes, pods, time.Since(t0).Round(time.Second))
	for _, total := range []int{1, 3} {
		for idx := range total {
			b.Run(fmt.Sprintf("total=%d/shard=%d", total, idx), func(b *testing.B) {
				benchShard(b, kube, shard.Shard{Index: idx, Total: total})
			})
		}
	}
}

// benchShard starts one shard's collector, measures the heap it holds once
// synced and the process RSS (the benchmark binary plus this shard alone:
// the previous shard is stopped and its memory returned first), then times
// scrapes rendered into io.Discard.
func benchShard(b *testing.B, kube kubernetes.Interface, s shard.Shard) {
	debug.FreeOSMemory()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	synced := time.Now()
	r := start(b, cluster.Config{Environment: "bench", Cluster: "bench", ProbeInterval: time.Hour, Shard: s}, kube, nil)
	syncTime := time.Since(synced)
	debug.FreeOSMemory()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	var count lineCounter
	if err := r.c.RenderText(&count); err != nil {
		b.Fatal(err)
	}
	var durations []time.Duration
	load := loadAverage(b)
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		if err := r.c.RenderText(io.Discard); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(t))
	}
	b.StopTimer()
	// CPU time a scrape costs the process (render, its garbage collection,
	// anything else running): unlike wall time, barely moved by the other
	// processes sharing the cores.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(len(durations)), "cpu-ms/scrape")
	b.ReportMetric(load, "load1")
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durations[min(len(durations)-1, len(durations)*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(count.series), "series")
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/(1<<20), "heap-MiB")
	b.ReportMetric(rssMiB(b), "rss-MiB")
	b.ReportMetric(syncTime.Seconds(), "sync-s")
	gzipP50, gzipMiB := gzipScrapes(b, r.c)
	b.ReportMetric(gzipP50, "gzip-p50-ms")
	b.ReportMetric(gzipMiB, "gzip-MiB")
	runtime.KeepAlive(r)
	r.c.Stop() // the next shard measures without this one's caches
}

// gzipScrapes times 10 renders through gzip at BestSpeed, what the
// daemon's /metrics handler does when Prometheus asks for gzip
// (internal/daemon/http.go), and returns their p50 in ms and the
// compressed size in MiB.
func gzipScrapes(b *testing.B, c *cluster.Collector) (float64, float64) {
	var size countingWriter
	gz, _ := gzip.NewWriterLevel(&size, gzip.BestSpeed)
	var durations []time.Duration
	for range 10 {
		size = 0
		gz.Reset(&size)
		t := time.Now()
		if err := c.RenderText(gz); err != nil {
			b.Fatal(err)
		}
		if err := gz.Close(); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(t))
	}
	slices.Sort(durations)
	return float64(durations[len(durations)/2].Microseconds()) / 1000, float64(size) / (1 << 20)
}

// countingWriter counts the bytes written to it.
type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the machine's 1-minute load average (/proc/loadavg): the
// context of every wall-clock figure on a shared machine.
func loadAverage(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		b.Fatal(err)
	}
	load, err := strconv.ParseFloat(strings.Fields(string(raw))[0], 64)
	if err != nil {
		b.Fatal(err)
	}
	return load
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
