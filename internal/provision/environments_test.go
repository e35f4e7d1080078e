package provision

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// A stack whose provider needs credentials is refused before terraform runs
// when the environment has none, naming the variables to set.
func TestMissingCredentialsStopBeforeTerraform(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	providers := `terraform {
  required_providers {
    ionoscloud = {
      source  = "ionos-cloud/ionoscloud"
      version = "6.7.34"
    }
  }
}
`
	if err := os.WriteFile(filepath.Join(s.dir, "providers.tf"), []byte(providers), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Plan(ctx(t), s.opts)
	if err == nil {
		t.Fatal("plan without IONOS credentials succeeded")
	}
	for _, want := range []string{"IONOS_TOKEN", "IONOS_USERNAME and IONOS_PASSWORD", "ionos-cloud/ionoscloud", "terraform was not run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if _, statErr := os.Stat(filepath.Join(s.dir, ".terraform")); !os.IsNotExist(statErr) {
		t.Errorf("terraform ran (init made %s) before the credentials were checked", filepath.Join(s.dir, ".terraform"))
	}
	t.Logf("refused in %s: %v", time.Since(start).Round(time.Millisecond), err)

	// destroy and drift configure the providers too; backup does not.
	o := s.opts
	o.Confirm = "dev"
	if err := Destroy(ctx(t), o); err == nil || !strings.Contains(err.Error(), "IONOS_TOKEN") {
		t.Errorf("destroy without credentials: %v", err)
	}
	if _, err := Drift(ctx(t), o, DriftOptions{}); err == nil || !strings.Contains(err.Error(), "IONOS_TOKEN") {
		t.Errorf("drift without credentials: %v", err)
	}
}

// What a user sees of a plan: provision's progress and terraform's plan; not
// terraform's `version -json`, init chatter, or the "Missing backend
// configuration" warning of a -backend-config given to a stack without a
// backend block.
func TestPlanOutputIsProvisionAndThePlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	main := filepath.Join(s.dir, "main.tf")
	b, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	noBackend := strings.Replace(string(b), `backend "local" {}`, "", 1)
	if noBackend == string(b) {
		t.Fatal("setup: the fixture has no backend block to remove")
	}
	if err := os.WriteFile(main, []byte(noBackend), 0o644); err != nil {
		t.Fatal(err)
	}
	// As in terraform/ionos: an S3 backend file for when backend_s3.tf is enabled.
	if err := os.WriteFile(filepath.Join(s.dir, "environments", "dev.s3.tfbackend"), []byte("bucket = \"x\"\nkey = \"dev\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatalf("plan: %v\n%s", err, s.err)
	}
	got := s.err.String() + s.out.String()
	for _, unwanted := range []string{"Missing backend configuration", "terraform_version", "Initializing the backend", "Terraform has been successfully initialized"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("output shows %q:\n%s", unwanted, got)
		}
	}
	for _, want := range []string{"provision: terraform init for dev", "Terraform will perform the following actions", "Plan: 3 to add"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// Two environments of one --dir, used in turn: each has its own terraform
// data directory (backend settings, workspace selection, plugins), so that
// neither a plan of one nor an init with the other's backend file changes
// what the other runs with.
func TestEnvironmentsHaveOwnDataDir(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	staging := s.opts
	staging.Env = "staging"
	staging.Confirm = "staging"
	staging.BackupDir = filepath.Join(s.root, "backups", "staging")
	dev := s.opts
	dev.Confirm = "dev"

	steps := []struct {
		what string
		run  func() error
	}{
		{"plan dev", func() error { _, err := Plan(ctx(t), dev); return err }},
		{"plan staging", func() error { _, err := Plan(ctx(t), staging); return err }},
		{"apply dev", func() error { return Apply(ctx(t), dev, ApplyOptions{}) }},
		{"apply staging", func() error { return Apply(ctx(t), staging, ApplyOptions{}) }},
		{"plan dev again", func() error { _, err := Plan(ctx(t), dev); return err }},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v\n%s", st.what, err, s.err)
		}
	}
	for env, backend := range map[string]string{"dev": "", "staging": "states/staging.tfstate"} {
		data := filepath.Join(s.dir, ".terraform", "environments", env)
		sel, err := os.ReadFile(filepath.Join(data, "environment"))
		if err != nil || strings.TrimSpace(string(sel)) != env {
			t.Errorf("%s: data dir %s selects workspace %q (%v), want %q", env, data, sel, err, env)
		}
		rec, err := os.ReadFile(filepath.Join(data, "terraform.tfstate"))
		if err != nil {
			t.Errorf("%s: no backend record in its data dir: %v", env, err)
			continue
		}
		if backend != "" && !strings.Contains(string(rec), backend) || backend == "" && strings.Contains(string(rec), "staging") {
			t.Errorf("%s: its data dir records another environment's backend:\n%s", env, rec)
		}
	}
	if _, err := os.Stat(filepath.Join(s.dir, ".terraform", "environment")); !os.IsNotExist(err) {
		t.Errorf("a workspace selection was written to the shared .terraform/ (err %v)", err)
	}
	if got := s.resourcesOf("staging"); len(got) != 3 {
		t.Errorf("staging state holds %v, want its 3 resources", got)
	}
}

// deploy without --kubeconfig reads k8s_kubeconfig from the environment's
// own workspace: dev's reaches the API server, production's points nowhere.
func TestDeployUsesTheEnvironmentsKubeconfigOutput(t *testing.T) {
	t.Parallel()
	cfg := testenv.APIServer(t, testenv.PrometheusOperatorCRDs(t))
	cs := kubernetes.NewForConfigOrDie(cfg)
	s := newStack(t, "dev")
	s.writeCheckVars("registry.invalid", kubeconfigFor(t, cfg), "ACTIVE", `["192.0.2.10"]`)
	s.applied()

	staging := s.opts
	staging.Env = Production
	staging.Confirm = Production
	staging.BackupDir = filepath.Join(s.root, "backups", Production)
	unreachable := strings.Replace(kubeconfigFor(t, cfg), cfg.Host, "https://127.0.0.1:1", 1)
	st := *s
	st.opts = staging
	st.writeCheckVars("registry.invalid", unreachable, "ACTIVE", `["192.0.2.10"]`)
	if _, err := Plan(ctx(t), staging); err != nil {
		t.Fatalf("plan production: %v", err)
	}
	if err := Apply(ctx(t), staging, ApplyOptions{}); err != nil {
		t.Fatalf("apply production: %v", err)
	}

	overlay := filepath.Join("testdata", "overlay", "dev")
	c, cancel := context.WithCancel(ctx(t))
	defer cancel()
	go fakeRollout(c, cs, "provision-fixture")
	o := s.opts
	o.Confirm = "dev"
	if err := Deploy(ctx(t), o, DeployOptions{Overlay: overlay, Wait: true, Timeout: time.Minute, Poll: 100 * time.Millisecond}); err != nil {
		t.Fatalf("deploy dev with the kubeconfig from its outputs: %v\n%s", err, s.out)
	}
	if _, err := cs.CoreV1().ConfigMaps("provision-fixture").Get(ctx(t), "fixture-config", metav1.GetOptions{}); err != nil {
		t.Fatalf("deploy dev did not reach the cluster of its kubeconfig output: %v", err)
	}
	err := Deploy(ctx(t), staging, DeployOptions{Overlay: overlay, DryRunServer: true})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("deploy production = %v, want a failure to reach production's own (unreachable) API server", err)
	}
	if ws := s.workspaces(); !slices.Contains(ws, "dev") || !slices.Contains(ws, Production) {
		t.Errorf("workspaces %v", ws)
	}
}
