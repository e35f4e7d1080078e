package provision

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Production is the environment the guard protects.
const Production = "production"

// Prompt is where the confirmation is typed. Terminal says whether In is an
// interactive terminal: without one nothing is asked and the verb needs
// --confirm instead.
type Prompt struct {
	In       io.Reader
	Terminal bool
}

// ErrNotConfirmed marks a refusal of the production guard or a confirmation.
var ErrNotConfirmed = errors.New("not confirmed")

// confirm asks for the environment name before a change. It is needed for
// every change to production and, with always, for every environment (destroy).
func (o *Options) confirm(action string, always bool) error {
	if o.Env != Production && !always {
		return nil
	}
	if o.Confirm != "" {
		if o.Confirm != o.Env {
			return fmt.Errorf("%w: --confirm=%s does not match the environment %q: pass --confirm=%s to %s %s",
				ErrNotConfirmed, o.Confirm, o.Env, o.Env, action, o.Env)
		}
		return nil
	}
	if !o.Prompt.Terminal || o.Prompt.In == nil {
		return fmt.Errorf("%w: refusing to %s %s without confirmation: there is no terminal to ask on, so add --confirm=%s",
			ErrNotConfirmed, action, o.Env, o.Env)
	}
	fmt.Fprintf(o.Stderr, "About to %s environment %q. Type the environment name to continue: ", action, o.Env)
	line, err := bufio.NewReader(o.Prompt.In).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("%w: reading the confirmation: %v (or add --confirm=%s)", ErrNotConfirmed, err, o.Env)
	}
	if strings.TrimSpace(line) != o.Env {
		return fmt.Errorf("%w: you typed %q, not %q: nothing was changed (type the environment name exactly, or add --confirm=%s)",
			ErrNotConfirmed, strings.TrimSpace(line), o.Env, o.Env)
	}
	return nil
}

// confirmDestroy guards destroy: confirmation everywhere, and for production
// also --allow-destroy-production.
func (o *Options) confirmDestroy() error {
	if o.Env == Production && !o.AllowDestroyProduction {
		return fmt.Errorf("%w: refusing to destroy production: add --allow-destroy-production and --confirm=production (or type production at the prompt)", ErrNotConfirmed)
	}
	return o.confirm("destroy", true)
}
