package cluster

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Gatherer parses the collector's own RenderText output back into metric
// families, for linters (promlint) and tests. It is the slow path: the
// daemon serves RenderText directly.
func (c *Collector) Gatherer() prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		var buf bytes.Buffer
		if err := c.RenderText(&buf); err != nil {
			return nil, fmt.Errorf("rendering cluster metrics: %w", err)
		}
		return ParseText(&buf)
	})
}

// ParseText parses the text exposition format into families sorted by name.
func ParseText(buf *bytes.Buffer) ([]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(buf)
	if err != nil {
		return nil, fmt.Errorf("parsing cluster metrics: %w", err)
	}
	out := make([]*dto.MetricFamily, 0, len(mfs))
	for _, mf := range mfs {
		out = append(out, mf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out, nil
}
