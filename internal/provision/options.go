// Package provision implements the verbs of the provision command: plan,
// apply, destroy, backup, restore, drift, check, kubeconfig and deploy. Each
// verb is a function over Options, so tests run them in-process against a
// real terraform and a real kube-apiserver; cmd/provision only parses flags.
package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/vigil-monitoring/vigil/internal/provision/tf"
)

// Options are the settings every verb shares.
type Options struct {
	// Env is the environment: its variables are Dir/environments/ENV.tfvars
	// and its state is the terraform workspace named ENV.
	Env string
	// Stack is the stack (StackIONOS or StackAWS). "" = the stack whose
	// provider Dir's root module requires, else ionos.
	Stack string
	// Dir is the Terraform root module (default terraform/STACK).
	Dir string
	// BackupDir holds the state backups (default .vigil/backups/ENV).
	BackupDir string
	// PlanDir holds the saved plans (default .vigil/plans).
	PlanDir string
	// LockTimeout is passed to terraform's -lock-timeout ("" = terraform's default).
	LockTimeout string
	// Terraform is the binary to run ("" = terraform >= 1.6 on PATH, else tofu).
	Terraform string
	// Environ is the process environment (nil = os.Environ()). Only part of
	// it reaches terraform (tf.Env: never TF_WORKSPACE, as the verbs select
	// the workspace themselves), and its credentials are redacted from
	// everything the verbs print or return.
	Environ []string

	Stdout io.Writer
	Stderr io.Writer
	Prompt Prompt

	// Confirm is --confirm: the environment name, typed in advance.
	Confirm string
	// AllowDestroyProduction is --allow-destroy-production.
	AllowDestroyProduction bool

	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

var envName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func (o *Options) environ() []string {
	if o.Environ == nil {
		return os.Environ()
	}
	return o.Environ
}

func (o *Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

func (o *Options) dir() string {
	if o.Dir == "" {
		return filepath.Join("terraform", o.stack())
	}
	return o.Dir
}

func (o *Options) backupDir() string {
	if o.BackupDir == "" {
		return filepath.Join(".vigil", "backups", o.Env)
	}
	return o.BackupDir
}

// PlanFile is where `plan` saves the plan that `apply` applies.
func (o *Options) PlanFile() (string, error) {
	d := o.PlanDir
	if d == "" {
		d = filepath.Join(".vigil", "plans")
	}
	// terraform runs in Dir, so the path it gets must be absolute.
	return filepath.Abs(filepath.Join(d, o.Env+".tfplan"))
}

// setup checks the options, makes the writers redact credentials, and
// returns a terraform runner for the environment. Verbs that configure the
// stack's providers (plan, apply, destroy, drift) pass providers, and are
// refused before terraform runs when a provider's credentials are missing.
func (o *Options) setup(ctx context.Context, providers bool) (*tf.Runner, error) {
	if err := o.checkEnv(); err != nil {
		return nil, err
	}
	if err := o.checkStack(); err != nil {
		return nil, err
	}
	varFile := filepath.Join(o.dir(), tf.VarFile(o.Env))
	if _, err := os.Stat(varFile); err != nil {
		return nil, fmt.Errorf("environment %q has no variables file %s: create it, or check --dir (now %s)", o.Env, varFile, o.dir())
	}
	if providers {
		if err := o.checkCredentials(); err != nil {
			return nil, fmt.Errorf("environment %s: %w", o.Env, err)
		}
	}
	env := tf.Env(o.environ())
	bin, err := tf.Find(ctx, o.Terraform, env)
	if err != nil {
		return nil, err
	}
	// terraform's own progress goes to stderr, so stdout carries only the
	// verb's result (a JSON report, a kubeconfig with --stdout).
	return tf.New(o.dir(), bin, o.Env, env, o.LockTimeout, o.Stderr)
}

func (o *Options) checkEnv() error {
	if o.Env == "" {
		return errors.New("no environment given: name one, e.g. dev, staging or production")
	}
	if !envName.MatchString(o.Env) {
		return fmt.Errorf("environment name %q is not valid: use lower-case letters, digits, - and _", o.Env)
	}
	if o.Env == DefaultWorkspace {
		return fmt.Errorf("environment name %q is reserved: it is terraform's default workspace, which provision never uses (every environment has its own workspace named after it)", o.Env)
	}
	o.Stdout = orDiscard(o.Stdout)
	o.Stderr = orDiscard(o.Stderr)
	r := newRedactor(o.environ())
	if _, ok := o.Stdout.(*redactWriter); !ok {
		o.Stdout = &redactWriter{w: o.Stdout, r: r}
	}
	if _, ok := o.Stderr.(*redactWriter); !ok {
		o.Stderr = &redactWriter{w: o.Stderr, r: r}
	}
	return nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
