package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vigil-monitoring/vigil/internal/provision/backup"
	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// ErrPlanMismatch says the saved plan was not made for this environment's
// workspace, or is not the plan provision saved.
var ErrPlanMismatch = errors.New("the saved plan does not belong to this environment")

// planMeta is saved next to the plan, as ENV.tfplan.meta. Terraform's plan
// file records its workspace only inside an internal protobuf, and terraform
// applies a first plan (made on an empty state) to whichever workspace is
// selected, empty ones included: so provision records what the plan was made
// for and checks it before apply. The hash ties the record to the plan file.
type planMeta struct {
	Environment string `json:"environment"`
	Workspace   string `json:"workspace"`
	// Lineage and Serial are the workspace's state when the plan was made
	// ("" and 0: it had none).
	Lineage    string `json:"lineage"`
	Serial     int64  `json:"serial"`
	PlanSHA256 string `json:"plan_sha256"`
}

func planMetaFile(planFile string) string { return planFile + ".meta" }

// currentState pulls the selected workspace's state and returns it with its
// lineage and serial (zero, and "", when it has none).
func currentState(ctx context.Context, r *tf.Runner) (backup.Meta, string, error) {
	s, err := r.StatePull(ctx)
	if err != nil || s == "" {
		return backup.Meta{}, "", err
	}
	var m backup.Meta
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return backup.Meta{}, "", fmt.Errorf("the state of workspace is not Terraform state JSON: %w", err)
	}
	return m, s, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writePlanMeta(planFile string, m planMeta) error {
	sum, err := fileSHA256(planFile)
	if err != nil {
		return fmt.Errorf("hashing the saved plan: %w", err)
	}
	m.PlanSHA256 = sum
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writePrivate(planMetaFile(planFile), append(data, '\n')); err != nil {
		return fmt.Errorf("writing %s: %w", planMetaFile(planFile), err)
	}
	return nil
}

// checkPlanMeta reads the record of the saved plan and refuses a plan that
// was made for another environment's workspace or replaced since.
func (o *Options) checkPlanMeta(planFile string) (planMeta, error) {
	again := fmt.Sprintf("run `provision plan %s` again, review it, then apply", o.Env)
	data, err := os.ReadFile(planMetaFile(planFile))
	if err != nil {
		return planMeta{}, fmt.Errorf("%w: %s has no record of the workspace it was made for (%s): %s", ErrPlanMismatch, planFile, planMetaFile(planFile), again)
	}
	var m planMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return planMeta{}, fmt.Errorf("%w: %s is not valid JSON (%v): %s", ErrPlanMismatch, planMetaFile(planFile), err, again)
	}
	if m.Workspace != o.Env || m.Environment != o.Env {
		return planMeta{}, fmt.Errorf("%w: %s was made for workspace %q (environment %q), not %q: %s", ErrPlanMismatch, planFile, m.Workspace, m.Environment, o.Env, again)
	}
	sum, err := fileSHA256(planFile)
	if err != nil {
		return planMeta{}, fmt.Errorf("hashing the saved plan: %w", err)
	}
	if sum != m.PlanSHA256 {
		return planMeta{}, fmt.Errorf("%w: %s is not the plan `provision plan %s` saved (its SHA-256 differs from %s): %s", ErrPlanMismatch, planFile, o.Env, planMetaFile(planFile), again)
	}
	return m, nil
}

// removePlan removes the saved plan and its record.
func (o *Options) removePlan() {
	if planFile, err := o.PlanFile(); err == nil {
		_ = os.Remove(planFile)
		_ = os.Remove(planMetaFile(planFile))
	}
}
