// Package dashboards builds Vigil's Grafana dashboards in Go with
// github.com/grafana-tools/sdk. The JSON they produce is committed next to
// this file (go run ./dashboards/gen, or make generate) and a test fails when
// the committed files differ from what the code builds.
package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana-tools/sdk"
)

// Every panel and variable queries the Prometheus the user picks in the
// datasource variable.
var datasource = map[string]string{"type": "prometheus", "uid": "${datasource}"}

// builder lays panels out on Grafana's 24-column grid, left to right, and
// numbers them itself: the sdk's own helpers use package-level counters,
// which would make the output depend on how many boards were built before.
type builder struct {
	board  *sdk.Board
	nextID uint
	x, y   int
	rowH   int // height of the tallest panel on the current line
}

func newBuilder(uid, title string, tags ...string) *builder {
	b := sdk.NewBoard(title)
	b.ID = 0 // NewBoard numbers boards from a global counter; Grafana assigns ids on import
	b.UID = uid
	b.Slug = ""
	b.Tags = append([]string{"vigil"}, tags...)
	b.Editable = true
	b.SchemaVersion = 36
	b.Time = sdk.Time{From: "now-6h", To: "now"}
	b.Timezone = "browser"
	b.Refresh = &sdk.BoolString{Flag: true, Value: "1m"}
	b.Rows = nil
	b.Panels = []*sdk.Panel{}
	b.Annotations.List = []sdk.Annotation{}
	b.Links = []sdk.Link{{
		Title: "Vigil dashboards", Type: "dashboards", Tags: []string{"vigil"},
		AsDropdown: ptr(true), IncludeVars: true, KeepTime: ptr(true),
	}}
	return &builder{board: b, nextID: 1}
}

func ptr[T any](v T) *T { return &v }

// place sets a panel's id and grid position and adds it to the board.
func (b *builder) place(p *sdk.Panel, w, h int) {
	if b.x+w > 24 {
		b.x, b.y, b.rowH = 0, b.y+b.rowH, 0
	}
	p.ID = b.nextID
	b.nextID++
	p.GridPos.X, p.GridPos.Y, p.GridPos.W, p.GridPos.H = ptr(b.x), ptr(b.y), ptr(w), ptr(h)
	b.x += w
	if h > b.rowH {
		b.rowH = h
	}
	b.board.Panels = append(b.board.Panels, p)
}

// row starts a new full-width row.
func (b *builder) row(title string) {
	if b.x > 0 {
		b.x, b.y, b.rowH = 0, b.y+b.rowH, 0
	}
	p := &sdk.Panel{
		CommonPanel: sdk.CommonPanel{OfType: sdk.RowType, Type: "row", Title: title},
		RowPanel:    &sdk.RowPanel{Panels: []sdk.Panel{}},
	}
	b.place(p, 24, 1)
}

// target is one PromQL query of a panel.
type target struct {
	expr, legend string
}

func targets(instant bool, format string, ts []target) []sdk.Target {
	out := make([]sdk.Target, 0, len(ts))
	for i, t := range ts {
		out = append(out, sdk.Target{
			RefID:        string(rune('A' + i)),
			Datasource:   datasource,
			Expr:         t.expr,
			LegendFormat: t.legend,
			Instant:      instant,
			Format:       format,
		})
	}
	return out
}

// thresholds: green below the first step, then each step's colour from its value.
func thresholds(steps ...any) sdk.Thresholds {
	t := sdk.Thresholds{Mode: "absolute", Steps: []sdk.ThresholdStep{{Color: "green"}}}
	for i := 0; i+1 < len(steps); i += 2 {
		v := steps[i].(float64)
		t.Steps = append(t.Steps, sdk.ThresholdStep{Value: &v, Color: steps[i+1].(string)})
	}
	return t
}

// problemCount is a stat of how many objects are in a bad state now: green
// at 0, red from 1. The sdk's StatPanel predates fieldConfig thresholds, so
// the stat is built as a custom panel from the sdk's own field types.
func (b *builder) problemCount(title, description, expr string) {
	b.stat(title, description, "none", expr, thresholds(1.0, "red"), 4, 4)
}

func (b *builder) stat(title, description, unit, expr string, th sdk.Thresholds, w, h int) {
	p := sdk.NewCustom(title)
	p.Type = "stat"
	p.Renderer = nil
	p.IsNew = false
	p.Datasource = datasource
	if description != "" {
		p.Description = ptr(description)
	}
	*p.CustomPanel = sdk.CustomPanel{
		"targets": targets(true, "time_series", []target{{expr: expr}}),
		// A plain map: the sdk's FieldConfigDefaults would add an empty
		// timeseries "custom" block that a stat panel does not use.
		"fieldConfig": map[string]any{
			"defaults": map[string]any{
				"unit":       unit,
				"color":      sdk.FieldConfigColor{Mode: "thresholds"},
				"thresholds": th,
			},
			"overrides": []any{},
		},
		"options": map[string]any{
			"colorMode":     "background",
			"graphMode":     "none",
			"justifyMode":   "center",
			"textMode":      "value",
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
		},
	}
	b.place(p, w, h)
}

// timeseries is a graph over time.
func (b *builder) timeseries(title, description, unit string, w, h int, ts ...target) {
	p := sdk.NewTimeseries(title)
	p.IsNew = false
	p.Span = 0
	p.Datasource = datasource
	if description != "" {
		p.Description = ptr(description)
	}
	p.TimeseriesPanel.Targets = targets(false, "time_series", ts)
	p.TimeseriesPanel.FieldConfig.Defaults.Unit = unit
	p.TimeseriesPanel.FieldConfig.Defaults.Color = sdk.FieldConfigColor{Mode: "palette-classic"}
	p.TimeseriesPanel.FieldConfig.Defaults.Thresholds = thresholds()
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.DrawStyle = "line"
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.LineWidth = 1
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.FillOpacity = 10
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.ShowPoints = "never"
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.Stacking.Mode = "none"
	p.TimeseriesPanel.Options.Legend = sdk.TimeseriesLegendOptions{DisplayMode: "table", Placement: "right", Calcs: []string{"lastNotNull", "max"}}
	p.TimeseriesPanel.Options.Tooltip = sdk.TimeseriesTooltipOptions{Mode: "multi"}
	b.place(p, w, h)
}

// stacked is a timeseries with its series stacked (counts by phase, reason).
func (b *builder) stacked(title, description string, w, h int, ts ...target) {
	b.timeseries(title, description, "none", w, h, ts...)
	p := b.board.Panels[len(b.board.Panels)-1]
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.Stacking.Mode = "normal"
	p.TimeseriesPanel.FieldConfig.Defaults.Custom.FillOpacity = 60
}

// table lists the series an instant query returns, one row each, with their
// labels as columns and the value last (unit applies to it).
func (b *builder) table(title, description, unit, expr string, w, h int, hide ...string) {
	p := sdk.NewCustom(title)
	p.Type = "table"
	p.Renderer = nil
	p.IsNew = false
	p.Datasource = datasource
	if description != "" {
		p.Description = ptr(description)
	}
	exclude := map[string]bool{"Time": true, "__name__": true, "instance": true, "job": true}
	for _, h := range hide {
		exclude[h] = true
	}
	*p.CustomPanel = sdk.CustomPanel{
		"targets": targets(true, "table", []target{{expr: expr}}),
		"fieldConfig": map[string]any{
			"defaults":  map[string]any{"unit": unit},
			"overrides": []any{},
		},
		"options": map[string]any{"showHeader": true, "footer": map[string]any{"show": false}},
		"transformations": []any{
			map[string]any{"id": "organize", "options": map[string]any{"excludeByName": exclude}},
		},
	}
	b.place(p, w, h)
}

// Variables: the Prometheus datasource, then environment and (optionally)
// cluster, each a multi-select with "All".
func (b *builder) variables(withCluster bool) {
	all := func(name, label, query string) sdk.TemplateVar {
		return sdk.TemplateVar{
			Name: name, Label: label, Type: "query",
			Datasource: datasource, Query: query,
			Refresh:    sdk.BoolInt{Value: ptr(int64(2))}, // on time range change
			IncludeAll: true, AllValue: ".*", Multi: true, Sort: 1,
			Options: []sdk.Option{},
			Current: sdk.Current{Text: &sdk.StringSliceString{Value: []string{"All"}, Valid: true}, Value: []string{"$__all"}},
		}
	}
	list := []sdk.TemplateVar{
		{
			Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus",
			Options: []sdk.Option{}, Refresh: sdk.BoolInt{Value: ptr(int64(1))},
			Current: sdk.Current{Text: &sdk.StringSliceString{Value: []string{"default"}, Valid: true}, Value: "default"},
		},
		all("environment", "Environment", `label_values(vigil_build_info, environment)`),
	}
	if withCluster {
		list = append(list, all("cluster", "Cluster", `label_values(vigil_cluster_apiserver_up{environment=~"$environment"}, cluster)`))
	}
	b.board.Templating.List = list
}

// render encodes a board as the committed JSON: indented, ending in a newline.
func render(board *sdk.Board) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep PromQL's <, > and & readable in the committed JSON
	if err := enc.Encode(board); err != nil {
		return nil, fmt.Errorf("encode dashboard %q: %w", board.Title, err)
	}
	return buf.Bytes(), nil
}
