package provision

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// holdLock starts a second terraform process that applies a resource whose
// creation sleeps, so it holds the local backend's state lock (a file lock of
// a live process) until the test ends. It returns the lock's ID.
func (s *stack) holdLock() string {
	s.t.Helper()
	s.terraform("init", "-input=false", "-no-color")
	cmd := exec.Command(s.tf, "apply", "-auto-approve", "-input=false", "-no-color",
		"-var-file="+filepath.Join("environments", s.opts.Env+".tfvars"), "-var", "slow_seconds=120")
	cmd.Dir = s.dir
	// The environment's own workspace: its state is the one locked.
	cmd.Env = append(slices.Clip(s.extEnv), "TF_WORKSPACE="+s.opts.Env, "TF_DATA_DIR="+s.dataDirFor(s.opts.Env))
	// Its own process group, so the cleanup ends terraform and its sleep.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting the lock holder: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	infoFile := filepath.Join(s.dir, "terraform.tfstate.d", s.opts.Env, ".terraform.tfstate.lock.info")
	deadline := time.Now().Add(time.Minute)
	for {
		data, err := os.ReadFile(infoFile)
		if err == nil && len(data) > 0 {
			var info struct{ ID string }
			if json.Unmarshal(data, &info) == nil && info.ID != "" {
				// The sleep runs only once the lock is held and the slow
				// resource is being created.
				if strings.Contains(out.String(), "terraform_data.slow[0]: Provisioning with 'local-exec'") {
					return info.ID
				}
			}
		}
		select {
		case <-done:
			s.t.Fatalf("the lock holder ended early:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the lock holder never took the lock:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLockIsReported(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	s.applied()
	// A saved plan for apply, made before the lock is taken.
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatal(err)
	}
	id := s.holdLock()

	o := s.opts
	o.LockTimeout = "1s" // passed through: terraform waits 1 s, then fails
	o.Confirm = "dev"
	textfiles := filepath.Join(s.root, "textfiles")
	backup, err := Backup(ctx(t), o, 30)
	if err != nil {
		t.Fatal(err)
	}
	// Apply first: a failed plan removes the saved plan it would replace.
	verbs := []struct {
		name string
		run  func() error
	}{
		{"apply", func() error { return Apply(ctx(t), o, ApplyOptions{}) }},
		{"plan", func() error { _, err := Plan(ctx(t), o); return err }},
		{"destroy", func() error { return Destroy(ctx(t), o) }},
		{"restore", func() error { return Restore(ctx(t), o, RestoreOptions{From: backup}) }},
		{"drift", func() error {
			_, err := Drift(ctx(t), o, DriftOptions{TextfileDir: textfiles})
			return err
		}},
	}
	for _, v := range verbs {
		name, err := v.name, v.run()
		var le *tf.LockError
		if !errors.As(err, &le) {
			t.Errorf("%s: err = %v, want a LockError", name, err)
			continue
		}
		if le.ID != id || le.Who == "" || le.Created == "" || le.Operation != "OperationTypeApply" {
			t.Errorf("%s: lock = %+v, want ID %s with who, created and operation", name, le, id)
		}
		msg := err.Error()
		for _, want := range []string{"terraform force-unlock " + id, "held by:", "since:", "--lock-timeout"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message lacks %q:\n%s", name, want, msg)
			}
		}
		if strings.Contains(msg, "Error acquiring the state lock") {
			t.Errorf("%s: terraform's raw error leaked through:\n%s", name, msg)
		}
	}

	// A failed drift check is still recorded, as a failure.
	data, err := os.ReadFile(filepath.Join(textfiles, DriftMetricsFile("dev")))
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("parsing metrics: %v\n%s", err, data)
	}
	if v := fams["vigil_provision_drift_check_success"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
		t.Errorf("check_success = %v, want 0 while locked", v)
	}
	if _, ok := fams["vigil_provision_drift_detected"]; ok {
		t.Errorf("drift_detected written though the check failed:\n%s", data)
	}
}
