package provision

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitoring/vigil/internal/provision/tf"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// stack is a copy of testdata/stack in a temporary directory, with the
// options that drive the provision verbs on it.
type stack struct {
	t      *testing.T
	root   string // temporary directory holding everything
	dir    string // the Terraform root module
	tf     string // terraform binary
	out    *syncBuffer
	err    *syncBuffer
	opts   Options
	tfrc   string
	extEnv []string
}

// syncBuffer is safe for terraform-exec's output goroutines.
type syncBuffer = testenv.SyncBuffer

// newStack copies the fixture stack into t.TempDir() so tests never dirty the
// repository, and writes an empty terraform CLI configuration (the machine's
// default TF_CLI_CONFIG_FILE points at a missing file).
func newStack(t *testing.T, env string, extraEnv ...string) *stack {
	t.Helper()
	tfBin := testenv.Tool(t, "terraform", "tools")
	root := t.TempDir()
	dir := filepath.Join(root, "stack")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "stack"))); err != nil {
		t.Fatalf("copying fixture stack: %v", err)
	}
	tfrc := filepath.Join(root, "terraform.tfrc")
	if err := os.WriteFile(tfrc, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	environ := append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + root,
		"TF_CLI_CONFIG_FILE=" + tfrc,
		"CHECKPOINT_DISABLE=1",
	}, extraEnv...)
	s := &stack{t: t, root: root, dir: dir, tf: tfBin, out: &syncBuffer{}, err: &syncBuffer{}, tfrc: tfrc, extEnv: environ}
	s.opts = Options{
		Env:       env,
		Dir:       dir,
		BackupDir: filepath.Join(root, "backups", env),
		PlanDir:   filepath.Join(root, "plans"),
		Terraform: tfBin,
		Environ:   environ,
		Stdout:    s.out,
		Stderr:    s.err,
	}
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return c
}

// setVar rewrites one line "name = value" of environments/ENV.tfvars.
func (s *stack) setVar(env, name, value string) {
	s.t.Helper()
	path := filepath.Join(s.dir, "environments", env+".tfvars")
	data, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if k, _, ok := strings.Cut(l, "="); ok && strings.TrimSpace(k) == name {
			continue
		}
		lines = append(lines, l)
	}
	lines = append(lines, name+" = "+value)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// terraform runs the terraform binary directly in the stack (a change "made
// outside" the provision command), with the same minimal environment.
func (s *stack) terraform(args ...string) string {
	s.t.Helper()
	return s.terraformIn("", args...)
}

// terraformIn runs terraform in the workspace ws ("" = the selected one),
// chosen with TF_WORKSPACE so the selection provision made is left alone.
// It uses the terraform data directory provision made for ws (else for the
// stack's environment), so it sees the backend provision initialised.
func (s *stack) terraformIn(ws string, args ...string) string {
	s.t.Helper()
	return s.terraformWith(ws, ws, args...)
}

// terraformWith runs terraform with the data directory of environment data
// and in workspace ws ("" = the selected one).
func (s *stack) terraformWith(data, ws string, args ...string) string {
	s.t.Helper()
	out, err := s.terraformTry(data, ws, args...)
	if err != nil {
		s.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// terraformTry is terraformWith returning terraform's failure.
func (s *stack) terraformTry(data, ws string, args ...string) (string, error) {
	cmd := exec.Command(s.tf, args...)
	cmd.Dir = s.dir
	cmd.Env = append(slices.Clip(s.extEnv), "TF_DATA_DIR="+s.dataDirFor(data))
	if ws != "" {
		cmd.Env = append(cmd.Env, "TF_WORKSPACE="+ws)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// state returns the state of the stack's environment as decoded JSON (no
// state or no workspace = nil).
func (s *stack) state() map[string]any {
	s.t.Helper()
	return s.stateOf(s.opts.Env)
}

// dataDirFor is the data directory provision uses for environment ws, or
// for the stack's environment when ws has none (yet).
func (s *stack) dataDirFor(ws string) string {
	if ws != "" {
		d := tf.DataDir(s.dir, ws, nil)
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	return tf.DataDir(s.dir, s.opts.Env, nil)
}

// workspaces lists the terraform workspaces of the stack.
func (s *stack) workspaces() []string {
	s.t.Helper()
	return s.workspacesOf("")
}

// workspacesOf lists the workspaces of the backend environment ws uses.
func (s *stack) workspacesOf(ws string) []string {
	s.t.Helper()
	// The fixture declares a backend: terraform needs an initialised
	// directory. Provision's verbs have nearly always initialised it
	// already, so init runs only when workspace list says it must (each
	// terraform start costs about 0.2 CPU-seconds, and tests call this
	// dozens of times).
	list, err := s.terraformTry(ws, "", "workspace", "list", "-no-color")
	if err != nil {
		s.terraformWith(ws, "", "init", "-input=false", "-no-color")
		list = s.terraformWith(ws, "", "workspace", "list", "-no-color")
	}
	var out []string
	for _, l := range strings.Split(list, "\n") {
		if w := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*")); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// stateOf returns the state of workspace ws as decoded JSON (no state or no
// workspace = nil).
func (s *stack) stateOf(ws string) map[string]any {
	s.t.Helper()
	if !slices.Contains(s.workspacesOf(ws), ws) {
		return nil
	}
	out := s.terraformIn(ws, "state", "pull")
	if strings.TrimSpace(out) == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		s.t.Fatalf("decoding state: %v\n%s", err, out)
	}
	return m
}

// resources lists the addresses of the resources in the state.
func (s *stack) resources() []string {
	s.t.Helper()
	return s.resourcesOf(s.opts.Env)
}

// resourcesOf lists the addresses of the resources in workspace ws.
func (s *stack) resourcesOf(ws string) []string {
	s.t.Helper()
	st := s.stateOf(ws)
	if st == nil {
		return nil
	}
	var out []string
	rs, _ := st["resources"].([]any)
	for _, r := range rs {
		m := r.(map[string]any)
		insts, _ := m["instances"].([]any)
		if len(insts) == 0 {
			continue
		}
		out = append(out, m["type"].(string)+"."+m["name"].(string))
	}
	return out
}

// applied plans and applies the stack in one go through the verbs.
func (s *stack) applied() {
	s.t.Helper()
	if _, err := Plan(ctx(s.t), s.opts); err != nil {
		s.t.Fatalf("plan: %v\nstdout:\n%s", err, s.out)
	}
	o := s.opts
	o.Confirm = o.Env
	if err := Apply(ctx(s.t), o, ApplyOptions{}); err != nil {
		s.t.Fatalf("apply: %v\nstdout:\n%s", err, s.out)
	}
}

// files returns every regular file under dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
