package exposition_test

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"google.golang.org/protobuf/proto"

	"github.com/vigil-monitoring/vigil/internal/exposition"
)

func pair(n, v string) *dto.LabelPair {
	return &dto.LabelPair{Name: proto.String(n), Value: proto.String(v)}
}

func TestWithDefaultLabel(t *testing.T) {
	m := &dto.Metric{Label: []*dto.LabelPair{pair("job", "x"), pair("source", "y")}}
	got := exposition.WithDefaultLabel(m, "environment", "prod")
	assert.Equal(t, []string{"environment", "job", "source"}, names(got))
	assert.Len(t, m.Label, 2, "the original is not changed")

	own := &dto.Metric{Label: []*dto.LabelPair{pair("environment", "dev")}}
	assert.Same(t, own, exposition.WithDefaultLabel(own, "environment", "prod"), "an existing label wins")
}

func names(m *dto.Metric) []string {
	var out []string
	for _, l := range m.GetLabel() {
		out = append(out, l.GetName())
	}
	return out
}
