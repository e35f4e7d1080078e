package provision

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func readMetrics(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("%s is not valid Prometheus text format: %v", path, err)
	}
	for name, fam := range fams {
		if fam.GetHelp() == "" || fam.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: HELP %q, TYPE %v; want HELP text and gauge", name, fam.GetHelp(), fam.GetType())
		}
	}
	return fams
}

func gauge(t *testing.T, fams map[string]*dto.MetricFamily, name, env string) float64 {
	t.Helper()
	fam, ok := fams[name]
	if !ok || len(fam.GetMetric()) != 1 {
		t.Fatalf("metric %s missing or not single: %v", name, fam)
	}
	m := fam.GetMetric()[0]
	if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetName() != "environment" || m.GetLabel()[0].GetValue() != env {
		t.Fatalf("%s labels = %v, want environment=%q", name, m.GetLabel(), env)
	}
	return m.GetGauge().GetValue()
}

func TestDrift(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	s.applied()
	dir := filepath.Join(s.root, "textfiles")
	file := filepath.Join(dir, "vigil_provision_drift_dev.prom")
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	o := s.opts
	o.Now = func() time.Time { return at }

	res, err := Drift(ctx(t), o, DriftOptions{TextfileDir: dir})
	if err != nil || res.Drifted {
		t.Fatalf("no drift expected: %+v, %v\n%s", res, err, s.out)
	}
	fams := readMetrics(t, file)
	if gauge(t, fams, "vigil_provision_drift_detected", "dev") != 0 ||
		gauge(t, fams, "vigil_provision_drift_resources", "dev") != 0 ||
		gauge(t, fams, "vigil_provision_drift_check_success", "dev") != 1 ||
		gauge(t, fams, "vigil_provision_drift_last_check_timestamp_seconds", "dev") != float64(at.Unix()) {
		t.Errorf("metrics without drift wrong:\n%s", mustRead(t, file))
	}

	// A change made outside: the file terraform_data.external tracks.
	if err := os.WriteFile(filepath.Join(s.dir, "external", "dev.txt"), []byte("changed by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.out.Reset()
	res, err = Drift(ctx(t), o, DriftOptions{TextfileDir: dir})
	if !errors.Is(err, ErrDrift) {
		t.Fatalf("err = %v, want ErrDrift", err)
	}
	if len(res.Resources) != 1 || !strings.HasPrefix(res.Resources[0], "terraform_data.external ") {
		t.Fatalf("drifted = %v, want terraform_data.external only", res.Resources)
	}
	if !strings.Contains(s.out.String(), "terraform_data.external") {
		t.Errorf("drift output does not name the resource:\n%s", s.out)
	}
	fams = readMetrics(t, file)
	if gauge(t, fams, "vigil_provision_drift_detected", "dev") != 1 ||
		gauge(t, fams, "vigil_provision_drift_resources", "dev") != 1 {
		t.Errorf("metrics with drift wrong:\n%s", mustRead(t, file))
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o044 != 0o044 {
		t.Errorf("textfile mode %v: the node_exporter user cannot read it", fi.Mode().Perm())
	}
	// Written by rename: no temporary file is left behind for the collector.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("textfile dir holds %v, want only the .prom file", entries)
	}
	// The drift plan is not the saved plan: apply still has nothing to apply.
	if err := Apply(ctx(t), s.opts, ApplyOptions{}); !errors.Is(err, ErrNoPlan) {
		t.Errorf("drift left a plan for apply: %v", err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// After an apply on AWS every refresh fills in what the provider computes
// (an IAM policy's attachment_count, tags read back as {}), and terraform
// lists those resources in resource_drift as soon as the plan has any change.
// Only what the plan acts on is drift; a queue deleted behind Terraform's back
// is named as changed outside Terraform.
func TestDriftedResourcesAreWhatThePlanChanges(t *testing.T) {
	change := func(addr string, actions ...tfjson.Action) *tfjson.ResourceChange {
		return &tfjson.ResourceChange{Address: addr, Change: &tfjson.Change{Actions: actions}}
	}
	queue := `module.queues.aws_sqs_queue.this["email notifications"]`
	p := &tfjson.Plan{
		ResourceDrift: []*tfjson.ResourceChange{
			change("module.access.aws_iam_policy.vigil", tfjson.ActionUpdate),
			change("module.access.aws_iam_user.vigil", tfjson.ActionUpdate),
			change(queue, tfjson.ActionDelete),
		},
		ResourceChanges: []*tfjson.ResourceChange{
			change("module.access.aws_iam_policy.vigil", tfjson.ActionNoop),
			change("module.access.aws_iam_user_policy.app", tfjson.ActionUpdate),
			change(queue, tfjson.ActionCreate),
		},
	}
	got := driftedResources(p)
	want := []string{
		"module.access.aws_iam_user_policy.app (would update)",
		queue + " (changed outside Terraform, would create)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("drifted resources = %q, want %q", got, want)
	}
}

// A plan whose only change is an output (one added to the stack and not yet
// applied) is drift, and drift names it: before, provision drift reported
// "0 resource(s) differ" and nothing else.
func TestDriftNamesChangedOutputs(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	s.applied()
	if err := os.WriteFile(filepath.Join(s.dir, "added.tf"), []byte("output \"added_after_apply\" {\n  value = \"new\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.root, "textfiles")
	res, err := Drift(ctx(t), s.opts, DriftOptions{TextfileDir: dir})
	if !errors.Is(err, ErrDrift) || !strings.Contains(err.Error(), "0 resource(s) and 1 output(s) differ") {
		t.Fatalf("err = %v, want ErrDrift counting the output", err)
	}
	if len(res.Resources) != 0 || !slices.Equal(res.Outputs, []string{"added_after_apply (would create)"}) {
		t.Fatalf("drifted resources %q, outputs %q; want no resource and the added output", res.Resources, res.Outputs)
	}
	if !strings.Contains(s.out.String(), "  output added_after_apply (would create)\n") {
		t.Errorf("drift's report does not name the output:\n%s", s.out)
	}
	fams := readMetrics(t, filepath.Join(dir, "vigil_provision_drift_dev.prom"))
	if gauge(t, fams, "vigil_provision_drift_detected", "dev") != 1 || gauge(t, fams, "vigil_provision_drift_resources", "dev") != 0 {
		t.Errorf("metrics for an output-only drift:\n%s", mustRead(t, filepath.Join(dir, "vigil_provision_drift_dev.prom")))
	}
}
