// Package exposition holds what several writers of /metrics share about the
// Prometheus data model beyond client_golang.
package exposition

import (
	"sort"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// WithDefaultLabel returns m with the label name=value added when m has no
// label of that name, keeping labels sorted as the exposition expects. m
// itself is never changed: a copy is returned when a label is added.
func WithDefaultLabel(m *dto.Metric, name, value string) *dto.Metric {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return m
		}
	}
	cp := proto.Clone(m).(*dto.Metric)
	cp.Label = append(cp.Label, &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)})
	sort.Slice(cp.Label, func(i, j int) bool { return cp.Label[i].GetName() < cp.Label[j].GetName() })
	return cp
}
