// Package aws_test runs the K3s-on-AWS stack's checks with a real terraform
// and the real hashicorp/aws provider (built from the module proxy by
// scripts/install-tools.sh aws-provider, installed through a filesystem
// mirror): fmt, init, validate and the native tests (terraform test, the
// provider mocked where no API is needed) of the root module, of every
// module and of each environment's tfvars; and the S3 backend with S3's own
// lock file against moto_server.
package aws_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// modules are the stack's modules; each must exist and carry native tests.
var modules = []string{"access", "assets", "database", "edge", "k3s", "network", "queues", "schedules"}

var environments = []string{"dev", "production"}

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m)) }

// TestAWSStack runs fmt, then the native tests of every module, of the root
// module and of each environment, in parallel (as many at once as
// go test's -parallel, GOMAXPROCS by default): each module is its own
// terraform working directory, and the environments' tests only read the
// root's. There is no separate `terraform validate`: `terraform test`
// validates the configuration before each run, and every validate started
// the provider once more.
func TestAWSStack(t *testing.T) {
	tf := testenv.Tool(t, "terraform", "tools")
	mirror := testenv.AWSProviderMirror(t)
	env := terraformEnv(t, mirror)
	// Every test here mocks the provider: one provider process serves all
	// of them its schema and validation (testenv.AWSProviderServer), where
	// terraform would start it about three times per run block. init runs
	// without it, installing from the mirror and checking the lock file.
	testEnv := append(slices.Clip(env), "TF_REATTACH_PROVIDERS="+testenv.AWSProviderServer(t, mirror))
	work := copyStack(t)
	runWith := func(t *testing.T, env []string, dir string, args ...string) string {
		t.Helper()
		out, err := terraform(t, tf, env, dir, args...)
		if err != nil {
			t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
		}
		return out
	}
	run := func(t *testing.T, dir string, args ...string) string {
		t.Helper()
		return runWith(t, env, dir, args...)
	}
	test := func(t *testing.T, dir string, args ...string) string {
		t.Helper()
		return runWith(t, testEnv, dir, append([]string{"test", "-no-color"}, args...)...)
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
			t.Parallel()
			dir := filepath.Join(work, "modules", m)
			if tests, _ := filepath.Glob(filepath.Join(dir, "tests", "*.tftest.hcl")); len(tests) == 0 {
				t.Fatalf("module %s has no tests/*.tftest.hcl", m)
			}
			run(t, dir, "init", "-input=false", "-no-color")
			requirePassed(t, test(t, dir))
		})
	}

	t.Run("root", func(t *testing.T) {
		t.Parallel()
		// init verifies the provider against the committed lock file.
		run(t, work, "init", "-input=false", "-no-color", "-lockfile=readonly")
		requirePinned(t, work)
		t.Run("tests", func(t *testing.T) {
			t.Parallel()
			requirePassed(t, test(t, work))
		})
		for _, e := range environments {
			t.Run("environment/"+e, func(t *testing.T) {
				t.Parallel()
				out := test(t, work, "-test-directory="+filepath.Join("tests", "environments", e),
					"-var-file="+filepath.Join("environments", e+".tfvars"))
				requirePassed(t, out)
			})
		}
	})
}

// TestS3Backend enables the S3 backend as README.md says
// (backend_s3.tf.example copied to backend_s3.tf, init with
// -backend-config=environments/ENV.s3.tfbackend) against moto_server, with
// only the endpoint added: states land at their key, S3's lock file is
// taken and released, and a lock held by someone else stops a plan.
func TestS3Backend(t *testing.T) {
	tf := testenv.Tool(t, "terraform", "tools")
	moto := testenv.Moto(t)
	env := append(terraformEnv(t, testenv.AWSProviderMirror(t)), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	work := copyStack(t)
	example, err := os.ReadFile(filepath.Join(work, "backend_s3.tf.example"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(work, "backend_s3.tf"), string(example))
	// The dev environment plans against moto too (its provider is real).
	write(t, filepath.Join(work, "moto_override.tf"), testenv.AWSProviderOverride(moto))
	const bucket = "ticketly-terraform-state"
	req, _ := http.NewRequest(http.MethodPut, moto+"/"+bucket, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("creating the state bucket in moto: %v %v", err, resp)
	}
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := terraform(t, tf, env, work, args...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	for _, e := range environments {
		t.Run(e, func(t *testing.T) {
			cfg, err := os.ReadFile(filepath.Join(work, "environments", e+".s3.tfbackend"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(cfg, []byte("use_lockfile = true")) {
				t.Fatalf("%s.s3.tfbackend does not lock with use_lockfile", e)
			}
			local := filepath.Join(t.TempDir(), e+".s3.tfbackend")
			write(t, local, string(cfg)+fmt.Sprintf("\nendpoints = { s3 = %q }\nuse_path_style = true\nskip_credentials_validation = true\nskip_requesting_account_id = true\n", moto))
			run(t, "init", "-input=false", "-no-color", "-reconfigure", "-backend-config="+local)
			key := "aws/" + e + "/terraform.tfstate"

			marker := "pushed-for-" + e
			state := filepath.Join(t.TempDir(), "pushed.tfstate")
			write(t, state, `{"version":4,"terraform_version":"1.10.0","serial":2,"lineage":"0b5e1c2d-3f4a-4b6c-8d7e-000000000002",`+
				`"outputs":{"marker":{"value":"`+marker+`","type":"string"}},"resources":[]}`)
			run(t, "state", "push", state)
			if objects := list(t, moto, bucket); !slices.Contains(objects, key) || slices.Contains(objects, key+".tflock") {
				t.Fatalf("objects %v: want the state at %s and no lock left", objects, key)
			}
			if pulled := run(t, "state", "pull"); !strings.Contains(pulled, marker) {
				t.Fatalf("state pull did not return the pushed state:\n%s", pulled)
			}

			// Someone else holds the lock: a state-changing command stops.
			lock := `{"ID":"5e2f6a1c-0000-4000-8000-000000000000","Operation":"OperationTypeApply","Who":"someone@elsewhere","Version":"1.11.4","Created":"2026-12-01T00:00:00Z","Path":"` + bucket + "/" + key + `"}`
			put(t, moto+"/"+bucket+"/"+key+".tflock", lock)
			out, err := terraform(t, tf, env, work, "state", "push", "-lock-timeout=0s", state)
			if err == nil || !strings.Contains(out, "Error acquiring the state lock") || !strings.Contains(out, "someone@elsewhere") {
				t.Fatalf("a push under someone else's lock: %v\n%s", err, out)
			}
			del(t, moto+"/"+bucket+"/"+key+".tflock")
		})
	}
}

func list(t *testing.T, moto, bucket string) []string {
	t.Helper()
	resp, err := http.Get(moto + "/" + bucket + "?list-type=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var keys []string
	for _, part := range strings.Split(string(body), "<Key>")[1:] {
		keys = append(keys, part[:strings.Index(part, "</Key>")])
	}
	return keys
}

func put(t *testing.T, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %v %v", url, err, resp)
	}
	resp.Body.Close()
}

func del(t *testing.T, url string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// requirePinned: the lock file records exactly the pinned provider.
func requirePinned(t *testing.T, dir string) {
	t.Helper()
	lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lock), `provider "registry.terraform.io/hashicorp/aws"`) ||
		!strings.Contains(string(lock), `version     = "`+testenv.AWSProviderVersion+`"`) {
		t.Fatalf("the lock file does not pin hashicorp/aws %s:\n%s", testenv.AWSProviderVersion, lock)
	}
}

func requirePassed(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "Success!") || strings.Contains(last, " 0 passed") {
		t.Fatalf("terraform test did not pass every run (%s):\n%s", last, out)
	}
}

// terraformEnv is the environment of every terraform run: this machine's
// minus anything that changes terraform's or the provider's behaviour, plus
// a CLI config that installs the provider from the mirror only. No
// TF_PLUGIN_CACHE_DIR: the mirror is unpacked, so every init links the
// provider (117 MB) from it rather than copying, and a cache shared by
// parallel inits is not safe (hashicorp/terraform#31964: an init replaces
// the cache's entry while another links it; a module's init here failed
// in 0.19 s in one run).
func terraformEnv(t *testing.T, mirror string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"TF_CLI_CONFIG_FILE="+testenv.TerraformRC(t, mirror),
		"TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1",
		// No shared AWS files of the machine's user.
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
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

// codeActions are the IAM actions of Vigil's AWS calls that no deploy/iam
// policy holds yet, each with the file that makes the call and the SDK
// operation it calls there (the test checks the file still names it).
var codeActions = map[string][2]string{
	"acm:ListCertificates":    {"collectors/expiry/acm.go", "ListCertificates"},
	"acm:DescribeCertificate": {"collectors/expiry/acm.go", "DescribeCertificate"},
	"ce:GetCostAndUsage":      {"internal/aws/billing.go", "GetCostAndUsage"},
	"ce:GetCostForecast":      {"internal/aws/billing.go", "GetCostForecast"},
	// Budgets' read action: DescribeBudgets and
	// DescribeNotificationsForBudget both need it.
	"budgets:ViewBudget": {"internal/aws/billing.go", "DescribeBudgets"},
}

// readOnly is the rule modules/access enforces on Vigil's policy:
// Describe*, List* and Get* calls named in full, and budgets:ViewBudget
// (the only read action whose name says none of those).
var readOnly = regexp.MustCompile(`^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$|^budgets:ViewBudget$`)

// TestVigilPolicyIsTheCollectorsPolicy: the IAM policy the stack gives
// Vigil's user (policies/vigil-readonly.json) grants every action of every
// deploy/iam/*.json policy (those kept in step with the infra and backup
// collectors' calls) and of codeActions (expiry's ACM calls, billing's Cost
// Explorer and Budgets calls), and nothing else; every action is read-only.
func TestVigilPolicyIsTheCollectorsPolicy(t *testing.T) {
	root := testenv.RepoRoot()
	stackFile := filepath.Join("terraform", "aws", "policies", "vigil-readonly.json")
	stack := policyActions(t, filepath.Join(root, stackFile))
	need := map[string]string{} // action -> where it comes from
	files, err := filepath.Glob(filepath.Join(root, "deploy", "iam", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no deploy/iam/*.json policies: %v", err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		for a := range policyActions(t, f) {
			need[a] = rel
		}
	}
	for a, call := range codeActions {
		src, err := os.ReadFile(filepath.Join(root, call[0]))
		if err != nil || !bytes.Contains(src, []byte(call[1])) {
			t.Errorf("%s no longer calls %s (%v): update codeActions[%q] in this test and %s", call[0], call[1], err, a, stackFile)
		}
		need[a] = call[0] + " (" + call[1] + ")"
	}
	for a, from := range need {
		if !stack[a] {
			t.Errorf("%s lacks %s, which %s needs: add it to a statement there", stackFile, a, from)
		}
	}
	for a := range stack {
		if _, ok := need[a]; !ok {
			t.Errorf("%s grants %s, which no collector calls (deploy/iam/*.json, codeActions): remove it", stackFile, a)
		}
		if !readOnly.MatchString(a) {
			t.Errorf("%s grants %s: Vigil's policy must be read-only (%s)", stackFile, a, readOnly)
		}
	}
}

// policyActions is the set of actions an IAM policy document allows.
func policyActions(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Effect string
			Action json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s is not an IAM policy document: %v", file, err)
	}
	actions := map[string]bool{}
	for i, s := range doc.Statement {
		if s.Effect != "Allow" {
			t.Fatalf("%s: statement %d has Effect %q; this test reads Allow statements only", file, i, s.Effect)
		}
		var list []string
		if err := json.Unmarshal(s.Action, &list); err != nil {
			var one string
			if err := json.Unmarshal(s.Action, &one); err != nil {
				t.Fatalf("%s: statement %d: Action is neither a string nor a list: %s", file, i, s.Action)
			}
			list = []string{one}
		}
		for _, a := range list {
			actions[a] = true
		}
	}
	return actions
}

// copyStack copies terraform/aws into the test's temp dir.
func copyStack(t *testing.T) string {
	dst := filepath.Join(t.TempDir(), "aws")
	testenv.CopyStack(t, filepath.Join(testenv.RepoRoot(), "terraform", "aws"), dst)
	return dst
}
