package provision

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// canary is a unique value set as every credential: it must never show up in
// what the provision command prints, returns or writes.
const canary = "CANARY-7f3c9a1e-vigil-secret"

func TestCredentialsNeverLeak(t *testing.T) {
	t.Parallel()
	s := newStack(t, "dev",
		"IONOS_TOKEN="+canary,
		"IONOS_USERNAME="+canary+"-user",
		"IONOS_PASSWORD="+canary+"-password",
		"OTHER_SECRET="+canary+"-other",
	)
	var errs []error
	record := func(err error) error {
		if err != nil {
			errs = append(errs, err)
		}
		return err
	}
	o := s.opts

	// Success paths, with terraform printing the token (env_probe echoes it).
	s.setVar("dev", "env_probe", "true")
	_, err := Plan(ctx(t), o)
	if record(err) != nil {
		t.Fatal(err)
	}
	if record(Apply(ctx(t), o, ApplyOptions{})) != nil {
		t.Fatalf("apply: %v", errs)
	}
	// The credential reached terraform, and nothing else of the caller's did.
	probe := mustRead(t, filepath.Join(s.dir, "probe.txt"))
	sum := sha256.Sum256([]byte(canary))
	if !strings.HasPrefix(probe, hex.EncodeToString(sum[:])) {
		t.Fatalf("terraform did not get IONOS_TOKEN: probe %q", probe)
	}
	if !strings.Contains(probe, "other=unset") {
		t.Fatalf("a variable outside the allowed set reached terraform: %q", probe)
	}
	// The probe echoed the token on terraform's output: it must be redacted.
	if !strings.Contains(s.err.String(), "token seen: "+redacted) {
		t.Fatalf("the test did not exercise redaction: terraform's output was\n%s", s.err)
	}
	backupPath, err := Backup(ctx(t), o, 30)
	record(err)
	_, err = Drift(ctx(t), o, DriftOptions{TextfileDir: filepath.Join(s.root, "textfiles")})
	record(err)
	_, err = Kubeconfig(ctx(t), o, KubeconfigOptions{Out: filepath.Join(s.root, "kc")})
	record(err) // the fixture's kubeconfig is empty: an error path
	record(Check(ctx(t), o, CheckOptions{Output: "json"}))
	record(Restore(ctx(t), o, RestoreOptions{From: backupPath}))

	// Failure paths: terraform fails and prints the token on stderr.
	s.setVar("dev", "fail_probe", "true")
	if _, err := Plan(ctx(t), o); record(err) != nil {
		t.Fatal(err)
	}
	err = Apply(ctx(t), o, ApplyOptions{})
	if record(err) == nil {
		t.Fatal("the failing probe did not fail apply")
	}
	if !strings.Contains(err.Error(), "failing with token "+redacted) {
		t.Fatalf("the failure path did not exercise redaction: %v", err)
	}
	record(Apply(ctx(t), o, ApplyOptions{})) // no plan
	record(Destroy(ctx(t), o))               // not confirmed
	_, err = Plan(ctx(t), Options{Env: "dev", Dir: filepath.Join(s.root, "nowhere"), Environ: o.Environ})
	record(err)
	record(Deploy(ctx(t), o, DeployOptions{Overlay: filepath.Join(s.root, "nowhere")}))
	o.Confirm = "dev"
	record(Destroy(ctx(t), o))

	// The verbs ran through both kinds of path.
	if len(errs) < 7 {
		t.Fatalf("only %d failure paths exercised: %v", len(errs), errs)
	}
	check := func(where, text string) {
		t.Helper()
		if strings.Contains(text, canary) {
			t.Errorf("the credential canary leaked into %s:\n%s", where, text)
		}
	}
	check("stdout", s.out.String())
	check("stderr", s.err.String())
	for _, e := range errs {
		check("an error", e.Error())
	}
	for _, f := range files(t, s.root) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, string(data))
	}
}
