package dashboards

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Query is one PromQL expression (or Grafana variable query) in a dashboard.
type Query struct {
	Where string // JSON path, e.g. panels[3].targets[0].expr
	Expr  string
}

// Queries returns every query of a dashboard's JSON: each "expr" anywhere
// (panel targets, nested row panels, annotations) and each templating
// variable's query, except the datasource variable's plugin name. It walks
// the JSON generically so a panel type the builder adds later is covered too.
func Queries(dashboard []byte) ([]Query, error) {
	var doc any
	if err := json.Unmarshal(dashboard, &doc); err != nil {
		return nil, fmt.Errorf("decode dashboard JSON: %w", err)
	}
	var out []Query
	walk(doc, "", &out)
	if root, ok := doc.(map[string]any); ok {
		if tpl, ok := root["templating"].(map[string]any); ok {
			list, _ := tpl["list"].([]any)
			for i, v := range list {
				tv, _ := v.(map[string]any)
				if tv["type"] != "query" {
					continue
				}
				where := fmt.Sprintf("templating.list[%d] (%v).query", i, tv["name"])
				switch q := tv["query"].(type) {
				case string:
					out = append(out, Query{Where: where, Expr: q})
				case map[string]any: // newer Grafana: {"query": "...", "refId": ...}
					if s, ok := q["query"].(string); ok {
						out = append(out, Query{Where: where, Expr: s})
					}
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Where < out[j].Where })
	return out, nil
}

func walk(v any, path string, out *[]Query) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if s, ok := v[k].(string); ok && k == "expr" {
				if s != "" {
					*out = append(*out, Query{Where: p, Expr: s})
				}
				continue
			}
			walk(v[k], p, out)
		}
	case []any:
		for i, e := range v {
			walk(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}
