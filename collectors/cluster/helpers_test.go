package cluster_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunShared(m)) }

// running is a started collector with its source group and self-metrics.
type running struct {
	c       *cluster.Collector
	group   *source.Group
	metrics *source.Metrics
}

func start(t testing.TB, cfg cluster.Config, kube kubernetes.Interface, metrics metricsclient.Interface) *running {
	t.Helper()
	if cfg.Environment == "" {
		cfg.Environment = "test"
	}
	if cfg.Cluster == "" {
		cfg.Cluster = "envtest"
	}
	sm := source.NewMetrics()
	g := source.NewGroup(sm, nil)
	c := cluster.New(cfg, kube, metrics, g, nil)
	ctx, cancel := context.WithCancel(context.Background())
	c.Start(ctx)
	g.Start(ctx)
	t.Cleanup(func() {
		cancel()
		g.Stop(true)
		c.Stop()
	})
	deadline := time.Now().Add(3 * time.Minute) // the benchmark lists 30,000 pods
	for !c.Synced() || !g.Ready() {
		if time.Now().After(deadline) {
			t.Fatalf("collector not synced after 3m (synced=%v, sources ready=%v)", c.Synced(), g.Ready())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &running{c: c, group: g, metrics: sm}
}

// scrape renders the collector and parses the output with expfmt.
func scrape(t testing.TB, c *cluster.Collector) []*dto.MetricFamily {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, c.RenderText(&buf))
	mfs, err := cluster.ParseText(&buf)
	require.NoError(t, err, "RenderText output does not parse")
	return mfs
}

// samples formats every sample whose labels include all of match (label
// name to value) as `name{labels sorted, without environment and cluster} value`,
// sorted. It also checks environment and cluster come first on every series.
func samples(t testing.TB, mfs []*dto.MetricFamily, match map[string]string) []string {
	t.Helper()
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			ok := true
			for k, v := range match {
				if labels[k] != v {
					ok = false
				}
			}
			if !ok {
				continue
			}
			var parts []string
			for k, v := range labels {
				if k != "environment" && k != "cluster" {
					parts = append(parts, fmt.Sprintf("%s=%q", k, v))
				}
			}
			sort.Strings(parts)
			var v float64
			switch {
			case m.Gauge != nil:
				v = m.GetGauge().GetValue()
			case m.Counter != nil:
				v = m.GetCounter().GetValue()
			default:
				v = m.GetUntyped().GetValue()
			}
			out = append(out, fmt.Sprintf("%s{%s} %s", mf.GetName(), strings.Join(parts, ","), strconv.FormatFloat(v, 'f', -1, 64)))
		}
	}
	sort.Strings(out)
	return out
}

// eventually waits until the samples matching match are exactly want
// (informers apply changes asynchronously), and reports the difference.
func eventually(t *testing.T, c *cluster.Collector, match map[string]string, want []string) {
	t.Helper()
	want = slices.Clone(want)
	sort.Strings(want)
	var got []string
	deadline := time.Now().Add(15 * time.Second)
	for {
		got = samples(t, scrape(t, c), match)
		if slices.Equal(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	assert.Equal(t, strings.Join(want, "\n"), strings.Join(got, "\n"), "series matching %v", match)
}

// sourceUp reads vigil_source_up{source=name}.
func sourceUp(t testing.TB, sm *source.Metrics, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(sm))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "vigil_source_up" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "source" && l.GetValue() == name {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no vigil_source_up{source=%q}", name)
	return 0
}
