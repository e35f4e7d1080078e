package provision

import (
	"errors"
	"strings"
	"testing"
)

func TestProductionGuard(t *testing.T) {
	t.Parallel()
	s := newStack(t, "production")

	// plan changes nothing: no confirmation needed.
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatalf("plan production: %v", err)
	}

	refusals := []struct {
		name   string
		prompt Prompt
		conf   string
		want   string
	}{
		{"no terminal, no --confirm", Prompt{In: strings.NewReader("production\n"), Terminal: false}, "", "add --confirm=production"},
		{"wrong name typed", Prompt{In: strings.NewReader("prod\n"), Terminal: true}, "", `you typed "prod"`},
		{"nothing typed", Prompt{In: strings.NewReader(""), Terminal: true}, "", "--confirm=production"},
		{"--confirm names another environment", Prompt{}, "staging", "--confirm=staging does not match"},
	}
	for _, r := range refusals {
		o := s.opts
		o.Prompt, o.Confirm = r.prompt, r.conf
		err := Apply(ctx(t), o, ApplyOptions{})
		if !errors.Is(err, ErrNotConfirmed) || !strings.Contains(err.Error(), r.want) {
			t.Errorf("apply, %s: err = %v, want a refusal containing %q", r.name, err, r.want)
		}
		if err := Restore(ctx(t), o, RestoreOptions{From: "testdata/states/dev.tfstate"}); !errors.Is(err, ErrNotConfirmed) {
			t.Errorf("restore, %s: err = %v, want a refusal", r.name, err)
		}
	}
	if got := s.resources(); len(got) != 0 {
		t.Fatalf("refused applies changed production: %v", got)
	}

	// Typing the name at a terminal confirms.
	o := s.opts
	o.Prompt = Prompt{In: strings.NewReader("production\n"), Terminal: true}
	if err := Apply(ctx(t), o, ApplyOptions{}); err != nil {
		t.Fatalf("confirmed apply: %v", err)
	}
	if len(s.resources()) != 3 {
		t.Fatalf("confirmed apply did not apply: %v", s.resources())
	}

	// Destroying production needs --allow-destroy-production even when confirmed.
	o = s.opts
	o.Confirm = "production"
	err := Destroy(ctx(t), o)
	if !errors.Is(err, ErrNotConfirmed) || !strings.Contains(err.Error(), "--allow-destroy-production") {
		t.Fatalf("destroy without --allow-destroy-production: %v", err)
	}
	// ... and the confirmation even when allowed.
	o = s.opts
	o.AllowDestroyProduction = true
	if err := Destroy(ctx(t), o); !errors.Is(err, ErrNotConfirmed) || !strings.Contains(err.Error(), "--confirm=production") {
		t.Fatalf("destroy without confirmation: %v", err)
	}
	if len(s.resources()) != 3 {
		t.Fatalf("refused destroys changed production: %v", s.resources())
	}
	o.Confirm = "production"
	if err := Destroy(ctx(t), o); err != nil {
		t.Fatalf("allowed and confirmed destroy: %v", err)
	}
	if got := s.resources(); len(got) != 0 {
		t.Fatalf("production not destroyed: %v", got)
	}
}

// Other environments change without confirmation (destroy aside).
func TestNoGuardOutsideProduction(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev")
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx(t), s.opts, ApplyOptions{}); err != nil {
		t.Fatalf("apply dev without confirmation: %v", err)
	}
}
