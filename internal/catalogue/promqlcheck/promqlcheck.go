// Package promqlcheck checks that PromQL expressions (in alert rules and
// dashboards) select only metrics Vigil really exposes, with label names those
// metrics really carry, so a renamed metric or a typo in a label fails a test
// instead of silently selecting nothing in production.
//
// It lives apart from package catalogue so the exporter binary, which imports
// catalogue, does not link the PromQL parser.
package promqlcheck

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/vigil-monitoring/vigil/internal/catalogue"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
)

// GlobalLabels are carried by every series besides a metric's own labels:
// environment comes from Vigil's configuration, instance and job from the
// Prometheus scrape.
var GlobalLabels = []string{"environment", "instance", "job"}

// Checker checks expressions against a metric catalogue.
type Checker struct {
	metrics map[string]map[string]bool // metric name -> allowed label names
}

// New returns a Checker for the given catalogue.
func New(descs []metricdoc.Desc) *Checker {
	c := &Checker{metrics: map[string]map[string]bool{}}
	for _, d := range descs {
		allowed := map[string]bool{model.MetricNameLabel: true}
		for _, l := range GlobalLabels {
			allowed[l] = true
		}
		for _, l := range d.Labels {
			allowed[l] = true
		}
		c.metrics[d.Name] = allowed
	}
	return c
}

// Default returns a Checker for everything the exporter exposes.
func Default() *Checker { return New(catalogue.All()) }

// Check parses a PromQL expression and returns one error per problem: a parse
// error, a selector of a metric outside the catalogue, or a label matcher on a
// label the metric does not carry.
func (c *Checker) Check(expr string) []error {
	ast, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return []error{fmt.Errorf("parse: %w", err)}
	}
	var errs []error
	parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			errs = append(errs, c.checkSelector(vs)...)
		}
		return nil
	})
	return errs
}

func (c *Checker) checkSelector(vs *parser.VectorSelector) []error {
	names, err := c.selectedNames(vs)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel {
			continue
		}
		for _, name := range names {
			if !c.metrics[name][m.Name] {
				errs = append(errs, fmt.Errorf("selector %s: metric %s has no label %q (it has %s)",
					vs.String(), name, m.Name, c.labelList(name)))
			}
		}
	}
	return errs
}

// selectedNames returns the catalogue metrics a selector can select.
func (c *Checker) selectedNames(vs *parser.VectorSelector) ([]string, error) {
	if vs.Name != "" {
		if _, ok := c.metrics[vs.Name]; !ok {
			return nil, fmt.Errorf("selector %s: metric %s is not exposed by Vigil (not in internal/catalogue.All())", vs.String(), vs.Name)
		}
		return []string{vs.Name}, nil
	}
	for _, m := range vs.LabelMatchers {
		if m.Name != model.MetricNameLabel {
			continue
		}
		var names []string
		for name := range c.metrics {
			if m.Matches(name) {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("selector %s: matches no metric Vigil exposes", vs.String())
		}
		sort.Strings(names)
		return names, nil
	}
	return nil, fmt.Errorf("selector %s: names no metric; select a Vigil metric by name", vs.String())
}

func (c *Checker) labelList(name string) string {
	var ls []string
	for l := range c.metrics[name] {
		if l != model.MetricNameLabel {
			ls = append(ls, l)
		}
	}
	sort.Strings(ls)
	return strings.Join(ls, ", ")
}

// Grafana's built-in interval variables: replaced by a valid duration.
var grafanaDuration = regexp.MustCompile(`\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}`)

// Any other dashboard variable: $name, ${name}, ${name:fmt} or [[name]].
var grafanaVariable = regexp.MustCompile(`\$\{[A-Za-z0-9_:]+\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z0-9_:]+\]\]`)

// SubstituteGrafana replaces Grafana variables in a dashboard query with
// placeholders PromQL parses: durations for the interval variables, a plain
// word for the others (they are only ever used inside label values).
func SubstituteGrafana(q string) string {
	q = grafanaDuration.ReplaceAllString(q, "5m")
	return grafanaVariable.ReplaceAllString(q, "placeholder")
}

// labelValues matches Grafana's Prometheus variable query
// label_values(<selector>, <label>); query_result(<expr>) holds a whole expression.
var (
	labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$`)
	queryResult = regexp.MustCompile(`^\s*query_result\((.*)\)\s*$`)
)

// CheckGrafana checks a dashboard panel target or a templating query, after
// substituting the dashboard's variables. Grafana's label_values(selector,
// label) must name a label the selected metric carries.
func (c *Checker) CheckGrafana(q string) []error {
	q = SubstituteGrafana(q)
	if m := queryResult.FindStringSubmatch(q); m != nil {
		return c.Check(m[1])
	}
	m := labelValues.FindStringSubmatch(q)
	if m == nil {
		return c.Check(q)
	}
	sel, label := m[1], m[2]
	errs := c.Check(sel)
	if len(errs) > 0 {
		return errs
	}
	ast, err := parser.NewParser(parser.Options{}).ParseExpr(sel)
	if err != nil {
		return []error{fmt.Errorf("parse: %w", err)}
	}
	vs, ok := ast.(*parser.VectorSelector)
	if !ok {
		return []error{fmt.Errorf("label_values(%s, %s): the first argument must be a series selector", sel, label)}
	}
	names, err := c.selectedNames(vs)
	if err != nil {
		return []error{err}
	}
	for _, name := range names {
		if !c.metrics[name][label] {
			errs = append(errs, fmt.Errorf("label_values(%s, %s): metric %s has no label %q (it has %s)",
				sel, label, name, label, c.labelList(name)))
		}
	}
	return errs
}
