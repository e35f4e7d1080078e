// Package ionos_test runs the IONOS stack's checks with a real terraform:
// fmt, init, validate and the native tests (terraform test) of the root
// module and of every module, then a real `terraform plan` of each
// environment's tfvars.
//
// The real ionos-cloud/ionoscloud provider cannot be downloaded here, so the
// test builds the stand-in in test/ionoscloud-provider (schema only, every
// operation fails; mock_provider and plan need no more) and installs it
// through a filesystem_mirror named in a CLI config of its own.
package ionos_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// providerVersion is the release the stack pins and the stand-in's schema
// copies. The mirror also offers newerVersion, so that a constraint looser
// than the pin (say ~> 6.7) would select it and TestIONOSStack/provider_pin
// would fail.
const (
	providerVersion = "6.7.34"
	newerVersion    = "6.99.0"
)

// modules are the stack's modules; each must exist and carry native tests.
var modules = []string{"app-config", "datacenter", "kubernetes", "networking", "registry", "storage"}

var environments = []string{"dev", "staging", "production"}

func TestIONOSStack(t *testing.T) {
	tf := findTerraform(t)
	mirror := standInMirror(t)
	initEnv := terraformEnv(t, mirror)
	// Every command but init talks to one stand-in process (its -debug
	// mode, TF_REATTACH_PROVIDERS) instead of terraform starting it about
	// three times per test run block: the stand-in keeps no state between
	// calls (its Configure does nothing), so sharing it changes no answer.
	// init runs without it, so it still installs from the mirror and writes
	// the lock file requirePinned reads.
	env := append(slices.Clip(initEnv), "TF_REATTACH_PROVIDERS="+testenv.ProviderServer(t, standInBinary(mirror)))
	work := copyStack(t, filepath.Join(testenv.RepoRoot(), "terraform", "ionos"))
	run := func(t *testing.T, dir string, args ...string) string {
		t.Helper()
		e := env
		if args[0] == "init" {
			e = initEnv
		}
		out, err := terraform(t, tf, e, dir, args...)
		if err != nil {
			t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), rel(work, dir), err, out)
		}
		return out
	}

	t.Run("fmt", func(t *testing.T) {
		run(t, work, "fmt", "-check", "-recursive", "-diff")
	})

	entries, err := os.ReadDir(filepath.Join(work, "modules"))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		if e.IsDir() {
			found = append(found, e.Name())
		}
	}
	if !slices.Equal(found, modules) {
		t.Errorf("modules/ holds %v; the test knows %v: add the new module (and its tests) to the list", found, modules)
	}

	for _, m := range modules {
		t.Run("module/"+m, func(t *testing.T) {
			dir := filepath.Join(work, "modules", m)
			tests, _ := filepath.Glob(filepath.Join(dir, "tests", "*.tftest.hcl"))
			if len(tests) == 0 {
				t.Fatalf("module %s has no tests/*.tftest.hcl", m)
			}
			run(t, dir, "init", "-input=false", "-no-color")
			requirePinned(t, dir)
			run(t, dir, "validate", "-no-color")
			out := run(t, dir, "test", "-no-color")
			requirePassed(t, out)
		})
	}

	t.Run("root", func(t *testing.T) {
		run(t, work, "init", "-input=false", "-no-color")
		requirePinned(t, work)
		run(t, work, "validate", "-no-color")
		out := run(t, work, "test", "-no-color")
		requirePassed(t, out)
	})

	for _, e := range environments {
		t.Run("environment/"+e, func(t *testing.T) {
			varFile := "-var-file=" + filepath.Join("environments", e+".tfvars")
			out := run(t, work, "test", "-no-color", "-test-directory="+filepath.Join("tests", "environments", e), varFile)
			requirePassed(t, out)

			// The very commands `provision plan` runs, against the stand-in:
			// proves the shipped tfvars plan with the provider's schema.
			planFile := filepath.Join(t.TempDir(), e+".tfplan")
			run(t, work, "plan", "-input=false", "-no-color", "-lock=false", varFile, "-out="+planFile)
			show, err := terraformStdout(t, tf, env, work, "show", "-json", planFile)
			if err != nil {
				t.Fatalf("terraform show -json: %v", err)
			}
			checkPlan(t, e, show)
		})
	}

	// The production rules, as a user meets them: a plain plan of the
	// production tfvars with one setting broken.
	for _, c := range []struct {
		name, want string
		vars       []string
	}{
		{"two_nodes", "production needs at least 3 nodes", []string{"-var=node_count=2", "-var=autoscaling=null"}},
		{"hdd", "production must not use HDD storage", []string{"-var=storage_type=HDD"}},
		{"open_api", "production needs a non-empty api_subnet_allow_list", []string{"-var=api_subnet_allow_list=[]"}},
	} {
		t.Run("production_guard/"+c.name, func(t *testing.T) {
			args := append([]string{"plan", "-input=false", "-no-color", "-lock=false",
				"-var-file=" + filepath.Join("environments", "production.tfvars")}, c.vars...)
			out, err := terraform(t, tf, env, work, args...)
			if err == nil {
				t.Fatalf("plan of production with %v succeeded; want the production guard to refuse it\n%s", c.vars, out)
			}
			if !strings.Contains(strings.Join(strings.Fields(out), " "), c.want) {
				t.Fatalf("plan failed without the guard's message %q:\n%s", c.want, out)
			}
		})
	}

	// `provision` passes -backend-config=environments/ENV.s3.tfbackend; with
	// the S3 backend not enabled (no backend_s3.tf) that must still
	// initialise, with local state.
	t.Run("backend_config_without_backend_block", func(t *testing.T) {
		for _, e := range environments {
			out := run(t, work, "init", "-input=false", "-no-color", "-reconfigure",
				"-backend-config="+filepath.Join("environments", e+".s3.tfbackend"))
			if !strings.Contains(out, "successfully initialized") {
				t.Fatalf("init with %s.s3.tfbackend did not initialise:\n%s", e, out)
			}
		}
	})
}

// TestS3Backend enables the optional S3 backend exactly as README.md says
// (backend_s3.tf.example copied to backend_s3.tf, init with
// -backend-config=environments/ENV.s3.tfbackend) against moto_server standing
// in for IONOS Object Storage; only the endpoint URL is rewritten.
func TestS3Backend(t *testing.T) {
	tf := findTerraform(t)
	mirror := standInMirror(t)
	endpoint := startS3(t)
	env := append(terraformEnv(t, mirror), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	work := copyStack(t, filepath.Join(testenv.RepoRoot(), "terraform", "ionos"))
	example, err := os.ReadFile(filepath.Join(work, "backend_s3.tf.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "backend_s3.tf"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := terraform(t, tf, env, work, args...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	const ionosEndpoint = "https://s3.eu-central-3.ionoscloud.com"
	for _, e := range environments {
		t.Run(e, func(t *testing.T) {
			cfg, err := os.ReadFile(filepath.Join(work, "environments", e+".s3.tfbackend"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(cfg, []byte(ionosEndpoint)) {
				t.Fatalf("%s.s3.tfbackend does not point at %s", e, ionosEndpoint)
			}
			local := filepath.Join(t.TempDir(), e+".s3.tfbackend")
			if err := os.WriteFile(local, bytes.ReplaceAll(cfg, []byte(ionosEndpoint), []byte(endpoint)), 0o600); err != nil {
				t.Fatal(err)
			}
			run(t, "init", "-input=false", "-no-color", "-reconfigure", "-backend-config="+local)
			// plan takes and releases the lock object (use_lockfile).
			run(t, "plan", "-input=false", "-no-color", "-var-file="+filepath.Join("environments", e+".tfvars"))
			// A state pushed through the backend must land at the environment's key.
			// An output value marks the pushed state (the lineage is not a
			// reliable marker: the first push into an empty remote state keeps
			// the remote's lineage).
			marker := "pushed-for-" + e
			state := filepath.Join(t.TempDir(), "pushed.tfstate")
			pushed := `{"version":4,"terraform_version":"1.7.0","serial":2,"lineage":"0b5e1c2d-3f4a-4b6c-8d7e-000000000001",` +
				`"outputs":{"marker":{"value":"` + marker + `","type":"string"}},"resources":[]}`
			if err := os.WriteFile(state, []byte(pushed), 0o600); err != nil {
				t.Fatal(err)
			}
			run(t, "state", "push", state)
			key := "ionos/" + e + "/terraform.tfstate"
			resp, err := http.Get(endpoint + "/vigil-terraform-state?list-type=2")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Contains(body, []byte("<Key>"+key+"</Key>")) {
				t.Fatalf("no object %s in the state bucket: HTTP %d %s", key, resp.StatusCode, body)
			}
			if bytes.Contains(body, []byte(".tflock</Key>")) {
				t.Fatalf("a lock object was left behind: %s", body)
			}
			if pulled := run(t, "state", "pull"); !strings.Contains(pulled, marker) {
				t.Fatalf("state pull did not return the pushed state (output %s):\n%s", marker, pulled)
			}
		})
	}
}

// startS3 runs moto_server on a free loopback port with the state bucket
// created, and returns its URL.
func startS3(t *testing.T) string {
	t.Helper()
	moto := testenv.Tool(t, "moto_server", "tools")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command(moto, "-H", "127.0.0.1", "-p", port)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto_server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://127.0.0.1:" + port
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodPut, url+"/vigil-terraform-state", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not create the bucket within 60s: %v\n%s", err, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkPlan asserts on the planned values of the resources an environment's
// tfvars decide.
func checkPlan(t *testing.T, envName, planJSON string) {
	t.Helper()
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string       `json:"actions"`
				After   map[string]any `json:"after"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(planJSON), &plan); err != nil {
		t.Fatalf("decoding plan JSON: %v", err)
	}
	after := map[string]map[string]any{}
	for _, rc := range plan.ResourceChanges {
		if slices.Contains(rc.Change.Actions, "create") {
			after[rc.Address] = rc.Change.After
		}
	}
	want := map[string]struct {
		pool                       string
		nodes, ram, ips            float64
		storage                    string
		minNodes, maxNodes         float64
		scanning, apiAllowListSize bool
	}{
		"dev":        {pool: "fixed[0]", nodes: 2, ram: 8192, ips: 4, storage: "HDD"},
		"staging":    {pool: "fixed[0]", nodes: 2, ram: 16384, ips: 4, storage: "SSD"},
		"production": {pool: "autoscaled[0]", nodes: 3, ram: 16384, ips: 8, storage: "SSD", minNodes: 3, maxNodes: 5, scanning: true, apiAllowListSize: true},
	}[envName]

	get := func(addr string) map[string]any {
		t.Helper()
		a, ok := after[addr]
		if !ok {
			t.Fatalf("plan creates no %s; it creates %v", addr, slices.Sorted(mapsKeys(after)))
		}
		return a
	}
	pool := get("module.kubernetes.ionoscloud_k8s_node_pool." + want.pool)
	expect(t, "node_count", pool["node_count"], want.nodes)
	expect(t, "ram_size", pool["ram_size"], want.ram)
	expect(t, "storage_type", pool["storage_type"], want.storage)
	expect(t, "k8s_cluster_id known only after apply", pool["k8s_cluster_id"], nil)
	if want.maxNodes > 0 {
		as, _ := pool["auto_scaling"].([]any)
		if len(as) != 1 {
			t.Fatalf("auto_scaling = %v, want one block", pool["auto_scaling"])
		}
		b := as[0].(map[string]any)
		expect(t, "auto_scaling.min_node_count", b["min_node_count"], want.minNodes)
		expect(t, "auto_scaling.max_node_count", b["max_node_count"], want.maxNodes)
	}
	expect(t, "ipblock size", get("module.networking.ionoscloud_ipblock.nodes[0]")["size"], want.ips)
	expect(t, "datacenter name", get("module.datacenter.ionoscloud_datacenter.this")["name"], "vigil-"+envName)

	cluster := get("module.kubernetes.ionoscloud_k8s_cluster.this")
	allow, _ := cluster["api_subnet_allow_list"].([]any)
	if want.apiAllowListSize != (len(allow) > 0) {
		t.Errorf("api_subnet_allow_list = %v; want non-empty: %v", allow, want.apiAllowListSize)
	}

	registry := get("module.registry.ionoscloud_container_registry.this")
	features, _ := registry["features"].([]any)
	if len(features) != 1 {
		t.Fatalf("registry features = %v, want one block (scanning must be set explicitly)", registry["features"])
	}
	expect(t, "vulnerability_scanning", features[0].(map[string]any)["vulnerability_scanning"], want.scanning)
	token := get("module.registry.ionoscloud_container_registry_token.pull")
	if s, _ := token["expiry_date"].(string); s == "" {
		t.Errorf("registry token has no expiry_date")
	}
}

func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v (%T), want %v", what, got, got, want)
	}
}

func mapsKeys(m map[string]map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// requirePinned checks that init selected exactly the provider release the
// schema was checked against, although the mirror offers a newer one: the
// stack must pin "6.7.34", not a range.
func requirePinned(t *testing.T, dir string) {
	t.Helper()
	if v, _ := os.ReadFile(filepath.Join(dir, "versions.tf")); !bytes.Contains(v, []byte("ionos-cloud/ionoscloud")) {
		return // a module without the provider (app-config)
	}
	lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
	if err != nil {
		t.Fatalf("no lock file after init: %v", err)
	}
	l := string(lock)
	if !strings.Contains(l, `version     = "`+providerVersion+`"`) || !strings.Contains(l, `constraints = "`+providerVersion+`"`) {
		t.Errorf("%s: init did not pin ionos-cloud/ionoscloud to exactly %s (the mirror also offers %s); lock file:\n%s", rel(filepath.Dir(dir), dir), providerVersion, newerVersion, l)
	}
}

// requirePassed guards against a `terraform test` that exits 0 having run
// nothing (for example a test directory that moved).
func requirePassed(t *testing.T, out string) {
	t.Helper()
	if !strings.Contains(out, "Success!") || strings.Contains(out, " 0 passed") {
		t.Fatalf("terraform test ran no passing test:\n%s", out)
	}
	t.Log(lastLine(out))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// findTerraform returns terraform from PATH, checking it is recent enough
// for mock_provider, override_resource and mock files (1.7).
func findTerraform(t *testing.T) string {
	t.Helper()
	tf := testenv.Tool(t, "terraform", "tools")
	out, err := exec.Command(tf, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", tf, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("decoding %s version -json: %v", tf, err)
	}
	parts := strings.SplitN(v.Version, ".", 3)
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	if major < 1 || (major == 1 && minor < 7) {
		testenv.Missing(t, "terraform >= 1.7 (found "+v.Version+" at "+tf+")", "tools")
	}
	return tf
}

// standInMirror builds the stand-in provider once per source version into
// testenv.ToolsDir()/ionoscloud-provider-<hash>/, laid out as a
// filesystem_mirror for both registry host names, and returns the mirror.
func standInMirror(t *testing.T) string {
	t.Helper()
	root := testenv.RepoRoot()
	hash := sourceHash(t, root)
	dir := filepath.Join(testenv.ToolsDir(), "ionoscloud-provider-"+hash)
	mirror := filepath.Join(dir, "mirror")
	if _, err := os.Stat(mirror); err == nil {
		return mirror
	}

	if err := os.MkdirAll(testenv.ToolsDir(), 0o755); err != nil {
		t.Fatalf("creating tools dir: %v", err)
	}
	tmp, err := os.MkdirTemp(testenv.ToolsDir(), "ionoscloud-provider-"+hash+".tmp")
	if err != nil {
		t.Fatalf("creating build dir: %v", err)
	}
	defer os.RemoveAll(tmp) // left only when the rename below did not happen

	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	bin := filepath.Join(tmp, "terraform-provider-ionoscloud")
	cmd := exec.CommandContext(t.Context(), goTool, "build", "-trimpath", "-o", bin, "./test/ionoscloud-provider")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in provider: %v\n%s", err, out)
	}
	platform := runtime.GOOS + "_" + runtime.GOARCH
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		for _, v := range []string{providerVersion, newerVersion} {
			d := filepath.Join(tmp, "mirror", host, "ionos-cloud", "ionoscloud", v, platform)
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(bin, filepath.Join(d, "terraform-provider-ionoscloud_v"+v)); err != nil {
				t.Fatalf("laying out the provider mirror: %v", err)
			}
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another test process may have finished the same build first.
		if _, statErr := os.Stat(mirror); statErr != nil {
			t.Fatalf("installing the stand-in provider: %v", err)
		}
	}
	return mirror
}

// standInBinary is the stand-in provider in the mirror.
func standInBinary(mirror string) string {
	return filepath.Join(mirror, "registry.terraform.io", "ionos-cloud", "ionoscloud", providerVersion, runtime.GOOS+"_"+runtime.GOARCH,
		"terraform-provider-ionoscloud_v"+providerVersion)
}

// sourceHash identifies a build of the stand-in: its sources, the module's
// dependency set and the Go version.
func sourceHash(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	files, _ := filepath.Glob(filepath.Join(root, "test", "ionoscloud-provider", "*.go"))
	files = append(files, filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("hashing the stand-in provider's sources: %v", err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	io.WriteString(h, runtime.Version())
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// terraformEnv is the environment of every terraform run: this machine's
// environment minus anything that would change terraform's behaviour, plus a
// CLI config of the test's own (the default one may point at a missing file).
func terraformEnv(t *testing.T, mirror string) []string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "terraformrc")
	rc := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/*/*", "registry.opentofu.org/*/*"]
  }
}
`, mirror)
	if err := os.WriteFile(cfg, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "IONOS_") || strings.HasPrefix(name, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"TF_CLI_CONFIG_FILE="+cfg,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
	)
}

// terraform runs one terraform command and returns its combined output.
func terraform(t *testing.T, tf string, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.CommandContext(t.Context(), tf, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = fmt.Errorf("exit status %d", exit.ExitCode())
	}
	return out.String(), err
}

// terraformStdout runs one terraform command and returns its standard
// output only (for -json, where warnings on stderr would spoil the JSON).
func terraformStdout(t *testing.T, tf string, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), tf, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, stderr.String())
	}
	return string(out), nil
}

func rel(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return filepath.Join("terraform/ionos", r)
	}
	return p
}

// copyStack copies the stack src into the test's temp dir.
func copyStack(t *testing.T, src string) string {
	dst := filepath.Join(t.TempDir(), "ionos")
	testenv.CopyStack(t, src, dst)
	return dst
}
