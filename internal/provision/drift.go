package provision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/prometheus/client_golang/prometheus"

	driftdoc "github.com/vigil-monitoring/vigil/internal/drift"

	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// ErrDrift says the plan found changes: what is deployed differs from the
// stack and its variables.
var ErrDrift = errors.New("drift detected")

// DriftOptions are drift's own settings.
type DriftOptions struct {
	// TextfileDir is where vigil_provision_drift_ENV.prom is written ("" =
	// no metrics), a directory of *.prom files as node_exporter's textfile
	// collector reads.
	TextfileDir string
}

// DriftResult is what a drift check found.
type DriftResult struct {
	Drifted bool
	// Resources lists "ADDRESS (what)" for every resource that differs.
	Resources []string
	// Outputs lists "NAME (would ACTION)" for every root output the plan
	// changes. A plan whose only changes are outputs (an output added to
	// the stack and not applied yet, or one reading an attribute the
	// refresh found changed) is drift with no resource to name.
	Outputs []string
}

// Drift runs a plan with -detailed-exitcode and reports what differs. With a
// TextfileDir it writes the result as Prometheus metrics; a failed check is
// written too (vigil_provision_drift_check_success 0). It returns ErrDrift
// (wrapped) when drift is found.
func Drift(ctx context.Context, o Options, d DriftOptions) (res DriftResult, err error) {
	defer func() { err = newRedactor(o.environ()).Error(err) }()
	res, err = drift(ctx, o)
	if d.TextfileDir != "" {
		if werr := writeDriftMetrics(d.TextfileDir, o, res, err == nil); werr != nil {
			return res, errors.Join(err, werr)
		}
	}
	if err != nil {
		return res, err
	}
	if res.Drifted {
		return res, fmt.Errorf("%w in %s: %s differ from the stack: review with `provision plan %s`",
			ErrDrift, o.Env, res.counts(), o.Env)
	}
	return res, nil
}

func drift(ctx context.Context, o Options) (DriftResult, error) {
	r, err := o.setup(ctx, true)
	if err != nil {
		return DriftResult{}, err
	}
	if err := r.Init(ctx, o.Env); err != nil {
		return DriftResult{}, err
	}
	if err := o.useWorkspace(ctx, r, false); err != nil {
		return DriftResult{}, err
	}
	// The drift plan is never applied: keep it apart from the saved plan.
	tmp, err := os.MkdirTemp("", "vigil-drift-")
	if err != nil {
		return DriftResult{}, fmt.Errorf("creating a temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	planFile := filepath.Join(tmp, o.Env+".tfplan")
	changed, err := r.Plan(ctx, o.Env, planFile, false)
	if err != nil {
		return DriftResult{}, err
	}
	if !changed {
		fmt.Fprintf(o.Stdout, "No drift in %s: the infrastructure matches the stack.\n", o.Env)
		return DriftResult{}, nil
	}
	p, err := r.TF.ShowPlanFile(ctx, planFile)
	if err != nil {
		return DriftResult{}, tf.Translate("terraform show (of the drift plan)", err)
	}
	res := DriftResult{Drifted: true, Resources: driftedResources(p), Outputs: changedOutputs(p)}
	fmt.Fprintf(o.Stdout, "Drift in %s: %s differ from the stack:\n", o.Env, res.counts())
	for _, r := range res.Resources {
		fmt.Fprintf(o.Stdout, "  %s\n", r)
	}
	for _, out := range res.Outputs {
		fmt.Fprintf(o.Stdout, "  output %s\n", out)
	}
	return res, nil
}

// counts says how many resources (and outputs, when any) differ.
func (r DriftResult) counts() string {
	s := fmt.Sprintf("%d resource(s)", len(r.Resources))
	if len(r.Outputs) > 0 {
		s += fmt.Sprintf(" and %d output(s)", len(r.Outputs))
	}
	return s
}

// changedOutputs lists the root outputs the plan creates, updates or
// deletes.
func changedOutputs(p *tfjson.Plan) []string {
	var out []string
	for name, c := range p.OutputChanges {
		if c == nil {
			continue
		}
		var what string
		switch a := c.Actions; {
		case a.Create():
			what = "create"
		case a.Update():
			what = "update"
		case a.Delete():
			what = "delete"
		default:
			continue
		}
		out = append(out, name+" (would "+what+")")
	}
	sort.Strings(out)
	return out
}

// driftedResources lists what the plan would change, each marked "changed
// outside Terraform" when the refresh found that resource changed too
// (resource_drift). A drift entry the plan does not act on is left out: every
// refresh fills in what the provider computes after the apply (an IAM
// policy's attachment_count, tags read back as {} where state had null, an
// EIP's association), on AWS as on moto, and none of that is a difference
// from the stack; listing it named half of a stack whenever one resource had
// really drifted.
func driftedResources(p *tfjson.Plan) []string {
	outside := map[string]bool{}
	for _, rc := range p.ResourceDrift {
		if rc.Change != nil && !rc.Change.Actions.NoOp() {
			outside[rc.Address] = true
		}
	}
	var out []string
	for _, line := range Summarize(p).Resources {
		// line is "ACTION ADDRESS"; an address may hold spaces (a for_each key).
		action, addr, _ := strings.Cut(line, " ")
		what := "would " + action
		if outside[addr] {
			what = "changed outside Terraform, would " + action
		}
		out = append(out, addr+" ("+what+")")
	}
	sort.Strings(out)
	return out
}

// DriftMetricsFile is the name of the textfile for an environment.
func DriftMetricsFile(env string) string { return driftdoc.FileName(env) }

// writeDriftMetrics writes the result as Prometheus text format.
// prometheus.WriteToTextfile writes a temporary file and renames it, as
// node_exporter's textfile collector expects.
func writeDriftMetrics(dir string, o Options, res DriftResult, ok bool) error {
	// Names and HELP come from internal/drift, the catalogue the exporter
	// serves these files under, so the two never disagree.
	reg := prometheus.NewRegistry()
	gauge := func(name string, v float64) {
		d := driftdoc.Desc(name)
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: d.Name, Help: d.Help, ConstLabels: prometheus.Labels{"environment": o.Env}})
		g.Set(v)
		reg.MustRegister(g)
	}
	gauge("vigil_provision_drift_last_check_timestamp_seconds", float64(o.now().UnixNano())/1e9)
	if !ok {
		gauge("vigil_provision_drift_check_success", 0)
	} else {
		gauge("vigil_provision_drift_check_success", 1)
		detected := 0.0
		if res.Drifted {
			detected = 1
		}
		gauge("vigil_provision_drift_detected", detected)
		gauge("vigil_provision_drift_resources", float64(len(res.Resources)))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating --textfile-dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, DriftMetricsFile(o.Env))
	if err := prometheus.WriteToTextfile(path, reg); err != nil {
		return fmt.Errorf("writing drift metrics to %s: %w", path, err)
	}
	return nil
}
