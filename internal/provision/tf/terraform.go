// Package tf drives the terraform (or tofu) binary through
// hashicorp/terraform-exec for the provision command: it finds a suitable
// binary, gives it only the environment it needs, and turns terraform's raw
// errors about locks and stale plans into errors that say what to do.
package tf

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-exec/tfexec"
)

// MinVersion is the oldest terraform the IONOS stack supports.
var MinVersion = version.Must(version.NewVersion("1.6.0"))

// Find returns the binary to run: the given path, else a terraform >= 1.6
// found on PATH, else tofu on PATH.
func Find(ctx context.Context, given string, env map[string]string) (string, error) {
	if given != "" {
		p, err := exec.LookPath(given)
		if err != nil {
			return "", fmt.Errorf("--terraform %s: %w", given, err)
		}
		return p, nil
	}
	var tooOld string
	if p, err := exec.LookPath("terraform"); err == nil {
		v, err := binaryVersion(ctx, p, env)
		if err == nil && v.GreaterThanOrEqual(MinVersion) {
			return p, nil
		}
		if err == nil {
			tooOld = fmt.Sprintf(" (%s is version %s, older than %s)", p, v, MinVersion)
		}
	}
	if p, err := exec.LookPath("tofu"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("no terraform >= %s nor tofu found on PATH%s: install one or pass --terraform PATH", MinVersion, tooOld)
}

func binaryVersion(ctx context.Context, path string, env map[string]string) (*version.Version, error) {
	t, err := tfexec.NewTerraform(os.TempDir(), path)
	if err != nil {
		return nil, err
	}
	if err := t.SetEnv(env); err != nil {
		return nil, err
	}
	v, _, err := t.Version(ctx, true)
	return v, err
}

// passedEnv lists the variables terraform gets besides TF_*, IONOS_* and
// AWS_* (the hashicorp/aws provider and the S3 state backend read their whole
// configuration from AWS_*: keys, profiles, SSO, web identity, endpoints):
// what it needs to run, reach the network and find its CLI configuration.
var passedEnv = []string{
	"PATH", "HOME", "TMPDIR", "USER", "LANG",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
}

// Env returns the environment terraform runs with, taken from environ
// (os.Environ() form): PATH, HOME, TF_CLI_CONFIG_FILE and the other TF_*
// variables terraform-exec lets us set (never TF_WORKSPACE), the IONOS_* and AWS_* settings, and a few
// network settings. terraform-exec's SetEnv passes exactly this map and
// nothing else, so no other secret of the caller reaches terraform.
func Env(environ []string) map[string]string {
	env := map[string]string{}
	keep := map[string]bool{}
	for _, k := range passedEnv {
		keep[k] = true
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if keep[k] || strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "IONOS_") || strings.HasPrefix(k, "AWS_") {
			env[k] = v
		}
	}
	// The verbs select the environment's workspace explicitly; a TF_WORKSPACE
	// left in the caller's shell would override that selection and point
	// one environment's command at another's state. (terraform-exec drops
	// it too; this does not rely on that.)
	delete(env, "TF_WORKSPACE")
	// terraform-exec manages these itself and refuses them in SetEnv.
	return tfexec.CleanEnv(env)
}

// Runner runs terraform in one root module for one environment.
type Runner struct {
	TF          *tfexec.Terraform
	Dir         string
	LockTimeout string
	// DataDir is terraform's working data for this environment (TF_DATA_DIR).
	DataDir string
	out     io.Writer
}

// DataDir is where terraform keeps an environment's working data (plugins,
// modules, backend settings, the selected workspace): base/environments/ENV,
// base being TF_DATA_DIR when the caller set one, else DIR/.terraform. Each
// environment has its own, so a dev plan and a production apply in one
// directory, even at the same time, never share backend settings or the
// workspace selection.
func DataDir(dir, envName string, env map[string]string) string {
	base := filepath.Join(dir, ".terraform")
	if d := env["TF_DATA_DIR"]; d != "" {
		base = d
		if !filepath.IsAbs(d) {
			base = filepath.Join(dir, d)
		}
	}
	return filepath.Join(base, "environments", envName)
}

// New prepares a runner for the root module dir and the environment
// envName. Only plan, apply and destroy show terraform's output, on out;
// everything else terraform prints (init, workspace, version, show) is kept
// from the user, who sees provision's own progress instead.
func New(dir, bin, envName string, env map[string]string, lockTimeout string, out io.Writer) (*Runner, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("terraform directory %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("terraform directory %s does not exist: pass --dir with the root module (default terraform/ionos)", dir)
	}
	t, err := tfexec.NewTerraform(abs, bin)
	if err != nil {
		return nil, fmt.Errorf("preparing terraform: %w", err)
	}
	dataDir := DataDir(abs, envName, env)
	withData := make(map[string]string, len(env)+1)
	for k, v := range env {
		withData[k] = v
	}
	withData["TF_DATA_DIR"] = dataDir
	if err := t.SetEnv(withData); err != nil {
		return nil, fmt.Errorf("preparing terraform environment: %w", err)
	}
	t.SetStdout(io.Discard)
	if out == nil {
		out = io.Discard
	}
	return &Runner{TF: t, Dir: abs, LockTimeout: lockTimeout, DataDir: dataDir, out: out}, nil
}

// shown runs f with terraform's output going to the user.
func (r *Runner) shown(f func() error) error {
	r.TF.SetStdout(r.out)
	defer r.TF.SetStdout(io.Discard)
	return f()
}

var (
	backendBlock     = regexp.MustCompile(`^\s*backend\s+"`)
	backendBlockJSON = regexp.MustCompile(`"backend"\s*:`)
)

// HasBackend reports whether the root module declares a backend block
// (terraform { backend "..." {} }). Without one, terraform uses local state
// and warns "Missing backend configuration" at every -backend-config, so an
// environment's backend file is not passed. Lines that are comments are
// skipped; a backend block is always written on a line of its own.
func (r *Runner) HasBackend() bool {
	files, _ := filepath.Glob(filepath.Join(r.Dir, "*.tf"))
	jsonFiles, _ := filepath.Glob(filepath.Join(r.Dir, "*.tf.json"))
	for _, f := range append(files, jsonFiles...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if strings.HasSuffix(f, ".json") {
			if backendBlockJSON.Match(b) {
				return true
			}
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//") {
				continue
			}
			if backendBlock.MatchString(l) {
				return true
			}
		}
	}
	return false
}

// VarFile is the relative path of an environment's variables file.
func VarFile(env string) string { return filepath.Join("environments", env+".tfvars") }

// BackendFiles are the relative paths where an environment's partial backend
// configuration may be, in order of preference; it is optional. The IONOS
// stack names its S3 settings environments/ENV.s3.tfbackend.
func BackendFiles(env string) []string {
	return []string{
		filepath.Join("environments", env+".backend.hcl"),
		filepath.Join("environments", env+".s3.tfbackend"),
	}
}

// BackendFile returns the environment's backend configuration file, or "".
func (r *Runner) BackendFile(env string) string {
	for _, f := range BackendFiles(env) {
		if _, err := os.Stat(filepath.Join(r.Dir, f)); err == nil {
			return f
		}
	}
	return ""
}

// unusedBackend speaks up when an environment has a backend file but the
// stack declares no backend block: terraform would keep the state local and
// say nothing (provision passes no -backend-config then), so the user who
// wrote the file believes the state is remote. Production refuses.
func (r *Runner) unusedBackend(env string) (string, error) {
	f := r.BackendFile(env)
	if f == "" {
		return "", nil
	}
	if env == "production" {
		return "", fmt.Errorf("%s exists, but the stack in %s declares no backend block, so production's state would stay on this machine (terraform.tfstate.d/production): enable the backend (see backend_s3.tf.example) or remove the file", f, r.Dir)
	}
	return fmt.Sprintf("provision: %s is not used: the stack declares no backend block, so %s's state stays local in terraform.tfstate.d/%s", f, env, env), nil
}

// Init runs terraform init, with the environment's backend configuration
// when the stack has one. The backend settings always come from the
// environment being worked on, never from whichever environment the
// directory was initialised for last, and state is never migrated between
// environments: unless this directory was last initialised by provision with
// the same backend file and nobody has initialised it since, init runs with
// -reconfigure. (A plain init is not enough: without -backend-config it
// keeps the previous settings. And -reconfigure every time is too much: on a
// declared local backend it offers to migrate every workspace's state onto
// itself, which it cannot ask about without input.)
func (r *Runner) Init(ctx context.Context, env string) error {
	opts := []tfexec.InitOption{tfexec.Upgrade(false)}
	f := ""
	if r.HasBackend() {
		f = r.BackendFile(env)
	} else if note, err := r.unusedBackend(env); err != nil {
		return err
	} else if note != "" {
		fmt.Fprintln(r.out, note)
	}
	if f != "" {
		opts = append(opts, tfexec.BackendConfig(f))
	}
	fmt.Fprintf(r.out, "provision: terraform init for %s (working data in %s)\n", env, r.DataDir)
	marker := filepath.Join(r.DataDir, "vigil-provision-backend")
	if f == "" {
		r.seedBackend(marker)
	}
	have, _ := os.ReadFile(marker)
	if want := r.backendKey(f); string(have) != want || want == "" {
		// The workspace selected last belongs to the previous backend and
		// need not exist in this one, where init would stop ("Currently
		// selected workspace ... does not exist"). The verbs select the
		// environment's workspace after init, so the selection is reset to
		// default first: terraform keeps it in DATA_DIR/environment, and no
		// terraform command clears it before init.
		if err := os.Remove(filepath.Join(r.DataDir, "environment")); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("terraform init: resetting the workspace selection: %w", err)
		}
		_ = os.Remove(marker)
		opts = append(opts, tfexec.Reconfigure(true))
	}
	// Init takes no -lock-timeout since terraform 0.15.
	if err := r.TF.Init(ctx, opts...); err != nil {
		return Translate("terraform init", err)
	}
	if key := r.backendKey(f); key != "" {
		_ = os.WriteFile(marker, []byte(key), 0o600) // without it, the next init reconfigures
	}
	return nil
}

// seedBackend gives an environment without a backend file, initialised for
// the first time, the backend record of another environment initialised by
// provision without one: both use the stack's declared backend with no
// extra settings. Without it, terraform's first init of a declared backend
// in the new data directory finds the other environments' workspace states
// and offers to migrate them onto the very same backend, which it cannot
// ask about without input.
func (r *Runner) seedBackend(marker string) {
	if _, err := os.Stat(filepath.Join(r.DataDir, "terraform.tfstate")); err == nil {
		return
	}
	others, _ := filepath.Glob(filepath.Join(filepath.Dir(r.DataDir), "*", "vigil-provision-backend"))
	for _, m := range others {
		key, err := os.ReadFile(m)
		if err != nil || !strings.HasPrefix(string(key), `backend file ""`) {
			continue
		}
		rec, err := os.ReadFile(filepath.Join(filepath.Dir(m), "terraform.tfstate"))
		if err != nil {
			continue
		}
		if os.MkdirAll(r.DataDir, 0o755) != nil || os.WriteFile(filepath.Join(r.DataDir, "terraform.tfstate"), rec, 0o644) != nil {
			return
		}
		_ = os.WriteFile(marker, key, 0o600)
		return
	}
}

// backendKey identifies the backend settings init would use for the backend
// file f ("" = none): the file's content and terraform's record of the
// backend in DATA_DIR/terraform.tfstate (which changes when anyone runs init
// with other settings). It is "" when that record cannot be read.
func (r *Runner) backendKey(f string) string {
	rec, err := os.ReadFile(filepath.Join(r.DataDir, "terraform.tfstate"))
	if err != nil {
		return ""
	}
	var conf []byte
	if f != "" {
		if conf, err = os.ReadFile(filepath.Join(r.Dir, f)); err != nil {
			return ""
		}
	}
	return fmt.Sprintf("backend file %q sha256 %x\nterraform backend record sha256 %x\n", f, sha256.Sum256(conf), sha256.Sum256(rec))
}

// Plan runs terraform plan for env, saving the plan to out. It reports
// whether the plan has changes (terraform's -detailed-exitcode 2).
func (r *Runner) Plan(ctx context.Context, env, out string, destroy bool) (bool, error) {
	opts := []tfexec.PlanOption{tfexec.VarFile(VarFile(env)), tfexec.Out(out)}
	if destroy {
		opts = append(opts, tfexec.Destroy(true))
	}
	if r.LockTimeout != "" {
		opts = append(opts, tfexec.LockTimeout(r.LockTimeout))
	}
	var changed bool
	err := r.shown(func() (err error) { changed, err = r.TF.Plan(ctx, opts...); return err })
	return changed, Translate("terraform plan", err)
}

// ApplyPlan applies exactly the saved plan file.
func (r *Runner) ApplyPlan(ctx context.Context, planFile string) error {
	opts := []tfexec.ApplyOption{tfexec.DirOrPlan(planFile)}
	if r.LockTimeout != "" {
		opts = append(opts, tfexec.LockTimeout(r.LockTimeout))
	}
	return Translate("terraform apply", r.shown(func() error { return r.TF.Apply(ctx, opts...) }))
}

// Destroy destroys everything the environment's state holds.
func (r *Runner) Destroy(ctx context.Context, env string) error {
	opts := []tfexec.DestroyOption{tfexec.VarFile(VarFile(env))}
	if r.LockTimeout != "" {
		opts = append(opts, tfexec.LockTimeout(r.LockTimeout))
	}
	return Translate("terraform destroy", r.shown(func() error { return r.TF.Destroy(ctx, opts...) }))
}

// StatePull returns the current state as JSON ("" when there is none yet).
func (r *Runner) StatePull(ctx context.Context) (string, error) {
	s, err := r.TF.StatePull(ctx)
	return s, Translate("terraform state pull", err)
}

// StatePush replaces the state with the file at path.
func (r *Runner) StatePush(ctx context.Context, path string, force bool) error {
	// terraform-exec pushes with -lock=false unless told otherwise: a restore
	// must never overwrite a state another operation is writing.
	opts := []tfexec.StatePushCmdOption{tfexec.Force(force), tfexec.Lock(true)}
	if r.LockTimeout != "" {
		opts = append(opts, tfexec.LockTimeout(r.LockTimeout))
	}
	return Translate("terraform state push", r.TF.StatePush(ctx, path, opts...))
}

// Outputs returns the root module's outputs.
func (r *Runner) Outputs(ctx context.Context) (map[string]tfexec.OutputMeta, error) {
	o, err := r.TF.Output(ctx)
	return o, Translate("terraform output", err)
}

// ErrStalePlan says terraform refused a saved plan because the state changed
// after the plan was made.
var ErrStalePlan = errors.New("the saved plan is stale: the state changed after it was made")

// lockChecksum is terraform init's refusal of a provider package whose hash
// the dependency lock file does not hold ("the local package for" a mirror,
// "the current package for" a download), its lines joined.
var lockChecksum = regexp.MustCompile(`package for (\S+) (\S+) doesn't match any of the checksums previously recorded in the dependency lock file`)

// Translate wraps a terraform error with the command that failed and replaces
// the raw lock and stale-plan reports with errors that say what to do.
func Translate(what string, err error) error {
	if err == nil {
		return nil
	}
	msg := StripANSI(err.Error())
	if le, ok := ParseLockError(msg); ok {
		return fmt.Errorf("%s: %w", what, le)
	}
	if strings.Contains(msg, "Can't ask approval for state migration") || strings.Contains(msg, "Error asking for state migration action") {
		return fmt.Errorf("%s: terraform wants to copy an existing state into this environment's backend, and provision never migrates state between environments: "+
			"the directory holds a state of another environment (a local terraform.tfstate, or another backend's) while this environment has its own backend configuration. "+
			"Give every environment its own backend configuration file (environments/ENV.backend.hcl or ENV.s3.tfbackend), or use a separate --dir per environment", what)
	}
	if m := lockChecksum.FindStringSubmatch(strings.Join(strings.Fields(msg), " ")); m != nil {
		return fmt.Errorf("%s: the %s %s package terraform installed is not one whose checksum the stack's .terraform.lock.hcl records "+
			"(a registry download where the lock file holds a local build's hash, or a build made elsewhere): "+
			"if you trust it, add its checksums in the stack's directory (--dir) with "+
			"`terraform providers lock -platform=linux_amd64 -platform=darwin_arm64 %s` (from the registry) "+
			"or `terraform providers lock -fs-mirror=MIRROR_DIR -platform=linux_amd64 %s` (a local build, terraform/aws/README.md \"Provider\"), "+
			"and commit .terraform.lock.hcl; do not delete the lock file", what, m[1], m[2], m[1], m[1])
	}
	if strings.Contains(msg, "Saved plan is stale") {
		return fmt.Errorf("%s: %w", what, ErrStalePlan)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: interrupted: %w", what, err)
	}
	return fmt.Errorf("%s failed: %s", what, strings.TrimSpace(msg))
}
