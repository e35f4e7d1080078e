// Package awsstack_test applies the K3s-on-AWS stack (terraform/aws, its
// production tfvars) against moto_server through `provision plan` and
// `provision apply`, with the real terraform and the real hashicorp/aws
// provider (its endpoints pointed at moto, credential and region checks
// skipped); checks it with `provision check`; then starts Vigil's exporter
// with the stack's own vigil_config output and asserts that its AWS
// collectors report exactly what the apply's outputs name: provisioned, then
// watched; then `provision drift` finds nothing. Beside it, the dev
// environment without its queues (S3 and IAM only; see devDestroy for why)
// is applied, `provision drift` finds and names an IAM policy deleted behind
// Terraform's back, and `provision destroy` removes it: the part small
// enough to keep the test short; production is left to moto's reset.
package awsstack_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/wafv2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"

	_ "github.com/vigil-monitoring/vigil/collectors/all"
	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/provision"
	"github.com/vigil-monitoring/vigil/internal/provision/check"
	"github.com/vigil-monitoring/vigil/internal/provision/tf"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestMain: everything in this binary talks to moto_server, the exporter
// too (its AWS accounts use the SDK's default credential chain, and
// t.Setenv is refused in parallel tests): test credentials, no shared files.
func TestMain(m *testing.M) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	os.Exit(testenv.RunWithMoto(m))
}

const region = "eu-central-1"

// harness is a copy of terraform/aws wired to moto_server.
type harness struct {
	t       *testing.T
	moto    string
	dir     string
	tf      string
	environ []string
	out     *testenv.SyncBuffer
	aws     aws.Config
}

// newHarness copies the stack for one test; moto is the emulator's URL (the
// state bucket already in it).
func newHarness(t *testing.T, moto string) *harness {
	t.Helper()
	h := &harness{t: t, tf: testenv.Tool(t, "terraform", "tools"), out: &testenv.SyncBuffer{}, moto: moto}
	mirror := testenv.AWSProviderMirror(t)
	root := t.TempDir()
	h.dir = filepath.Join(root, "aws")
	testenv.CopyStack(t, filepath.Join(testenv.RepoRoot(), "terraform", "aws"), h.dir)
	write(t, filepath.Join(h.dir, "moto_override.tf"), testenv.AWSProviderOverride(h.moto))
	for f, content := range motoGaps {
		write(t, filepath.Join(h.dir, f), content)
	}
	h.environ = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + root,
		"TF_CLI_CONFIG_FILE=" + testenv.TerraformRC(t, mirror),
		// No TF_PLUGIN_CACHE_DIR: the mirror is unpacked, so every init
		// links the provider from it (as terraform/aws's test explains).
		"CHECKPOINT_DISABLE=1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		// provision check's own SDK calls go to moto too.
		"AWS_ENDPOINT_URL=" + h.moto,
	}
	h.aws = aws.Config{Region: region, BaseEndpoint: aws.String(h.moto), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	h.remoteState()
	return h
}

// remoteState enables the stack's S3 backend as its README says
// (backend_s3.tf.example copied to backend_s3.tf), with the state bucket in
// moto: every environment's state and S3 lock file live there, as they
// would in AWS. Only the endpoint is added to the shipped .s3.tfbackend files.
// The bucket itself is stateBucket's.
func (h *harness) remoteState() {
	h.t.Helper()
	example, err := os.ReadFile(filepath.Join(h.dir, "backend_s3.tf.example"))
	if err != nil {
		h.t.Fatal(err)
	}
	write(h.t, filepath.Join(h.dir, "backend_s3.tf"), string(example))
	for _, env := range []string{"dev", "production"} {
		f := filepath.Join(h.dir, "environments", env+".s3.tfbackend")
		b, err := os.ReadFile(f)
		if err != nil {
			h.t.Fatal(err)
		}
		write(h.t, f, string(b)+fmt.Sprintf("\nendpoints = { s3 = %q }\nuse_path_style = true\nskip_credentials_validation = true\nskip_requesting_account_id = true\n", h.moto))
	}
}

func (h *harness) opts(env string) provision.Options {
	return provision.Options{
		Stack: provision.StackAWS, Env: env, Dir: h.dir,
		BackupDir: filepath.Join(h.dir, "..", "backups", env), PlanDir: filepath.Join(h.dir, "..", "plans"),
		Terraform: h.tf, Environ: h.environ, Stdout: h.out, Stderr: h.out, Confirm: env,
	}
}

// setVar rewrites (or adds) one "name = value" line of environments/ENV.tfvars.
func (h *harness) setVar(env, name, value string) {
	h.t.Helper()
	path := filepath.Join(h.dir, "environments", env+".tfvars")
	b, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s*=.*$`)
	if !re.Match(b) {
		b = append(b, []byte("\n"+name+" = "+value+"\n")...)
	}
	write(h.t, path, string(re.ReplaceAll(b, []byte(name+" = "+value))))
}

// outputs reads the environment's outputs the way an operator would.
func (h *harness) outputs(env string) map[string]json.RawMessage {
	h.t.Helper()
	cmd := exec.Command(h.tf, "output", "-json")
	cmd.Dir = h.dir
	cmd.Env = append(slices.Clip(h.environ), "TF_DATA_DIR="+tf.DataDir(h.dir, env, nil), "TF_WORKSPACE="+env)
	raw, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("terraform output: %v", err)
	}
	var outs map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &outs); err != nil {
		h.t.Fatal(err)
	}
	m := map[string]json.RawMessage{}
	for k, v := range outs {
		m[k] = v.Value
	}
	return m
}

// TestStackAgainstMoto runs production's test and dev's destroy side by
// side against one moto_server, reset once: their resources have their own
// names (ticketly-production-*, ticketly-dev-*), and each has its own copy of
// the stack and its own state in the state bucket. Most of both is waiting
// (on the provider's start, on its ALB waiter), so together they take about
// as long as production alone.
func TestStackAgainstMoto(t *testing.T) {
	moto := testenv.Moto(t)
	stateBucket(t, moto)
	t.Run("production", func(t *testing.T) {
		t.Parallel()
		production(t, newHarness(t, moto))
	})
	t.Run("dev_destroy", func(t *testing.T) {
		t.Parallel()
		devDestroy(t, newHarness(t, moto))
	})
}

// stateBucket creates the S3 backend's bucket (environments/*.s3.tfbackend)
// in moto.
func stateBucket(t *testing.T, moto string) {
	t.Helper()
	cfg := aws.Config{Region: region, BaseEndpoint: aws.String(moto), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(context.Background(), &s3.CreateBucketInput{
		Bucket:                    aws.String("ticketly-terraform-state"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)},
	})
	if err != nil {
		t.Fatalf("creating the state bucket in moto: %v", err)
	}
}

// production plans and applies the production stack, then checks it.
func production(t *testing.T, h *harness) {
	// A bound so that a hang fails with terraform's output, far above the
	// loaded machine's 6 minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	// What an operator prepares: the public key file, a certificate in ACM
	// of the stack's region, an AMI that exists (moto's).
	write(t, filepath.Join(h.dir, "keys", "ticketly-production.pub"), testKey)
	h.setVar("production", "acm_certificate_arn", fmt.Sprintf("%q", importCertificate(t, h.aws, "ticketly.example.com")))
	h.setVar("production", "ami_id", `"ami-12c6146b"`)
	// Destroyed with moto's reset, not by terraform: no final snapshot.
	h.setVar("production", "db_deletion_protection", "false")

	prod := h.opts("production")
	start := time.Now()
	sum, err := provision.Plan(ctx, prod)
	if err != nil {
		t.Fatalf("provision plan production: %v\n%s", err, h.out)
	}
	if sum.Add < 80 || sum.Change+sum.Destroy != 0 {
		t.Fatalf("plan = %+v, want the whole stack to be created", sum)
	}
	if err := provision.Apply(ctx, prod, provision.ApplyOptions{}); err != nil {
		t.Fatalf("provision apply production: %v\n%s", err, h.out)
	}
	t.Logf("plan and apply of %d resources against moto: %s", sum.Add, time.Since(start).Round(time.Second))
	// User data holds `token: "<64 hex>"`: it must show as (sensitive value).
	if regexp.MustCompile(`token: \\?"[0-9a-f]{64}`).MatchString(h.out.String()) {
		t.Fatal("the K3s join token reached provision's output")
	}
	outs := h.outputs("production")
	if keys := stateKeys(t, h); !slices.Contains(keys, "env:/production/aws/production/terraform.tfstate") {
		t.Fatalf("the state bucket holds %v, want production's state in its workspace's key", keys)
	}

	t.Run("moto_holds_what_the_outputs_name", func(t *testing.T) { checkResources(t, h, outs) })
	t.Run("provision_check", func(t *testing.T) { checkVerb(t, h) })
	t.Run("exporter_reports_the_stack", func(t *testing.T) { checkExporter(t, h, outs) })
	t.Run("no_drift", func(t *testing.T) { checkNoDrift(ctx, t, h, outs) })
	t.Run("minor_upgrade_is_no_drift", func(t *testing.T) { checkMinorUpgrade(ctx, t, h, outs) })
}

// motoGaps are override files (terraform merges each into its module) that
// make the plan right after an apply empty against moto_server 5.2.1 where
// moto, or the tests' provider settings, answer differently from AWS. Each
// names what differs; none hides a difference AWS would show. Without them
// that plan updates all these resources, so `provision drift` could never
// say "no drift".
var motoGaps = map[string]string{
	// moto drops the description of a security group rule that references
	// another group (DescribeSecurityGroupRules); and the provider writes
	// such a rule's group as ACCOUNT/sg-... whenever the owner differs from
	// its own account ID, which it does not know here
	// (skip_requesting_account_id, which the emulator needs: see
	// testenv.AWSProviderOverride). On AWS the ID comes back as configured.
	"modules/database/moto_gaps_override.tf": sgRuleGap("ingress", "workers") + sgRuleGap("ingress", "debezium"),
	"modules/edge/moto_gaps_override.tf":     sgRuleGap("egress", "alb_to_workers") + sgRuleGap("ingress", "workers_from_alb"),
	"modules/k3s/moto_gaps_override.tf": sgRuleGap("ingress", "cluster") + sgRuleGap("ingress", "infra") + sgRuleGap("ingress", "infra_ssh") +
		// moto's DescribeInstances lists no security groups for an
		// instance launched with a fixed private IP (they are on its
		// network interface only); AWS lists them.
		"resource \"aws_instance\" \"infra\" {\n  lifecycle { ignore_changes = [vpc_security_group_ids] }\n}\n",
	// moto's DescribeDBParameters leaves out each parameter's Source, so the
	// provider keeps none of the group's "user" parameters in state.
	"modules/database/moto_gaps_db_override.tf": "resource \"aws_db_parameter_group\" \"this\" {\n  lifecycle { ignore_changes = [parameter] }\n}\n",
	// moto answers RedrivePolicy as JSON with spaces after ':' and ','; AWS
	// and the configuration's jsonencode have none, and the provider
	// compares the strings.
	"modules/queues/moto_gaps_override.tf": "resource \"aws_sqs_queue\" \"this\" {\n  lifecycle { ignore_changes = [redrive_policy] }\n}\n",
}

func sgRuleGap(direction, name string) string {
	return fmt.Sprintf("resource \"aws_vpc_security_group_%s_rule\" %q {\n  lifecycle { ignore_changes = [description, referenced_security_group_id] }\n}\n", direction, name)
}

// tagBucketLikeAWS puts the provider's default tags on the assets bucket.
// The provider sends them in CreateBucket (CreateBucketConfiguration.Tags),
// which AWS applies and moto 5.2.1 ignores (GetBucketTagging: NoSuchTagSet):
// without this the plan after the apply adds them (tags_all).
func tagBucketLikeAWS(t *testing.T, h *harness, bucket, env string) {
	t.Helper()
	_, err := s3.NewFromConfig(h.aws, func(o *s3.Options) { o.UsePathStyle = true }).PutBucketTagging(context.Background(), &s3.PutBucketTaggingInput{
		Bucket: aws.String(bucket),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{
			{Key: aws.String("Project"), Value: aws.String("ticketly")},
			{Key: aws.String("Environment"), Value: aws.String(env)},
			{Key: aws.String("ManagedBy"), Value: aws.String("terraform")},
		}},
	})
	if err != nil {
		t.Fatalf("tagging bucket %s in moto: %v", bucket, err)
	}
}

// checkNoDrift: right after the apply the production stack has no drift
// (`provision drift` plans all of its resources), and the textfile metrics
// say so. That drift is found and named is devDestroy's part: one plan of
// production's 96 resources is enough to show the moto gaps above are all.
func checkNoDrift(ctx context.Context, t *testing.T, h *harness, outs map[string]json.RawMessage) {
	dir := t.TempDir()
	tagBucketLikeAWS(t, h, str(t, outs, "bucket_name"), "production")
	if res, err := provision.Drift(ctx, h.opts("production"), provision.DriftOptions{TextfileDir: dir}); err != nil || res.Drifted {
		t.Fatalf("drift right after the apply: %v %v\n%s", res.Resources, err, h.out)
	}
	requireDriftMetric(t, dir, "production", "0")
}

// checkMinorUpgrade: RDS's automatic minor upgrade (auto_minor_version_upgrade)
// is not drift. production configures the major only ("16"), which moto
// keeps as given (AWS would answer the default minor); moving the instance
// to 16.6 as AWS's maintenance does, the provider keeps the configured "16"
// (a prefix of 16.6), so the plan stays empty. A major.minor pin (16.4)
// would make it a downgrade.
func checkMinorUpgrade(ctx context.Context, t *testing.T, h *harness, outs map[string]json.RawMessage) {
	id := aws.String(str(t, outs, "rds_identifier"))
	client := rds.NewFromConfig(h.aws)
	db, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: id})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(db.DBInstances[0].EngineVersion); v != "16" {
		t.Fatalf("moto answers EngineVersion %q, want the configured major \"16\"", v)
	}
	if _, err := client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: id, EngineVersion: aws.String("16.6"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if res, err := provision.Drift(ctx, h.opts("production"), provision.DriftOptions{TextfileDir: dir}); err != nil || res.Drifted {
		t.Fatalf("drift after RDS's minor upgrade to 16.6: %v %v\n%s", res.Resources, err, h.out)
	}
	requireDriftMetric(t, dir, "production", "0")
}

// requireDriftMetric reads the environment's drift textfile in dir.
func requireDriftMetric(t *testing.T, dir, env, value string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, provision.DriftMetricsFile(env)))
	want := regexp.MustCompile(`(?m)^vigil_provision_drift_detected\{environment="` + env + `"\} ` + value + `$`)
	if err != nil || !want.Match(b) {
		t.Fatalf("the drift textfile of %s: %v, want vigil_provision_drift_detected %s\n%s", env, err, value, b)
	}
}

// checkDevDrift: an IAM policy deleted behind Terraform's back (someone
// "cleaning up" in the console) is drift, named alone, in the same textfile
// metrics as the IONOS stack's.
func checkDevDrift(ctx context.Context, t *testing.T, h *harness, outs map[string]json.RawMessage) {
	dir := t.TempDir()
	tagBucketLikeAWS(t, h, str(t, outs, "bucket_name"), "dev")
	iamQuery(t, h.moto, "DeleteUserPolicy", "UserName="+str(t, outs, "app_iam_user")+"&PolicyName=assets-and-queues")
	res, err := provision.Drift(ctx, h.opts("dev"), provision.DriftOptions{TextfileDir: dir})
	const deleted = `module.access.aws_iam_user_policy.app (changed outside Terraform, would create)`
	if !errors.Is(err, provision.ErrDrift) || !slices.Equal(res.Resources, []string{deleted}) {
		t.Fatalf("drift after deleting the app's policy: %q %v, want ErrDrift naming only %s\n%s", res.Resources, err, deleted, h.out)
	}
	requireDriftMetric(t, dir, "dev", "1")
}

// devDestroy applies the dev environment without its queues
// (the assets bucket and the IAM users and policies), checks that a policy
// deleted by hand is drift (checkDevDrift), and destroys it through
// `provision destroy` with its guards: production is refused without
// --allow-destroy-production, dev without its confirmation, and the state is
// backed up before anything is destroyed. Afterwards moto holds neither
// dev's bucket nor its users (production's, applied alongside, stay). The queues are out because the real provider's SQS
// delete waiter holds each wave of queues about 2m10s against moto (queues,
// then their dead-letter queues: over 4 minutes for dev's three), which the
// package's 5-minute budget cannot carry. (A deleted queue and what follows
// it, the applications' policy and the schedules, are named by
// internal/provision's drift unit test.)
func devDestroy(t *testing.T, h *harness) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	h.setVar("dev", "queues", "[]")
	dev := h.opts("dev")
	if _, err := provision.Plan(ctx, dev); err != nil {
		t.Fatalf("provision plan dev: %v\n%s", err, h.out)
	}
	if err := provision.Apply(ctx, dev, provision.ApplyOptions{}); err != nil {
		t.Fatalf("provision apply dev: %v\n%s", err, h.out)
	}
	outs := h.outputs("dev")
	bucket := str(t, outs, "bucket_name")
	users := func() []string {
		var dev []string
		for _, u := range iamUsers(t, h.moto) {
			if strings.HasPrefix(u, "ticketly-dev-") {
				dev = append(dev, u)
			}
		}
		return dev
	}
	if u := users(); !slices.Contains(u, str(t, outs, "vigil_iam_user")) || len(u) != 2 {
		t.Fatalf("dev's IAM users in moto after the apply: %v, want the app's and %s", u, str(t, outs, "vigil_iam_user"))
	}
	if b := buckets(t, h); !slices.Contains(b, bucket) {
		t.Fatalf("moto's buckets after the apply: %v, want %s", b, bucket)
	}
	t.Run("drift", func(t *testing.T) { checkDevDrift(ctx, t, h, outs) })

	prod := h.opts("production")
	prod.Confirm = "production"
	if err := provision.Destroy(ctx, prod); !errors.Is(err, provision.ErrNotConfirmed) || !strings.Contains(err.Error(), "--allow-destroy-production") {
		t.Fatalf("destroy production without --allow-destroy-production: %v, want the production guard's refusal", err)
	}
	unconfirmed := dev
	unconfirmed.Confirm = "" // and no terminal to ask on
	if err := provision.Destroy(ctx, unconfirmed); !errors.Is(err, provision.ErrNotConfirmed) {
		t.Fatalf("destroy dev unconfirmed: %v, want ErrNotConfirmed", err)
	}
	if b := buckets(t, h); !slices.Contains(b, bucket) {
		t.Fatalf("a refused destroy removed the bucket: %v", b)
	}

	if err := provision.Destroy(ctx, dev); err != nil {
		t.Fatalf("provision destroy dev: %v\n%s", err, h.out)
	}
	if b := buckets(t, h); slices.Contains(b, bucket) || !slices.Contains(b, "ticketly-terraform-state") {
		t.Errorf("moto's buckets after the destroy: %v, want %s gone and the state bucket kept", b, bucket)
	}
	if u := users(); len(u) != 0 {
		t.Errorf("dev's IAM users in moto after the destroy: %v, want none", u)
	}
	// The backup taken before the destroy holds the resources it destroyed.
	backups, _ := filepath.Glob(filepath.Join(dev.BackupDir, "*"))
	var found bool
	for _, f := range backups {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), `"aws_iam_user"`) && strings.Contains(string(b), bucket) {
			found = true
		}
	}
	if !found {
		t.Errorf("no state backup in %s holds dev's resources (files: %v)", dev.BackupDir, backups)
	}
}

// iamUsers lists moto's IAM users (ListUsers, one page: moto answers up to
// 100).
func iamUsers(t *testing.T, moto string) []string {
	t.Helper()
	body := iamQuery(t, moto, "ListUsers", "")
	var names []string
	for _, m := range regexp.MustCompile(`<UserName>([^<]+)</UserName>`).FindAllSubmatch(body, -1) {
		names = append(names, string(m[1]))
	}
	return names
}

// iamQuery calls one action of IAM's query API on moto and returns the
// answer: the SDK's IAM client is not a dependency of the module for these
// calls. moto routes a request by the service in its credential scope and
// checks no signature.
func iamQuery(t *testing.T, moto, action, params string) []byte {
	t.Helper()
	form := "Action=" + action + "&Version=2010-05-08"
	if params != "" {
		form += "&" + params
	}
	req, err := http.NewRequest(http.MethodPost, moto+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=unsigned")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<"+action+"Result")) && !bytes.Contains(body, []byte("<"+action+"Response")) {
		t.Fatalf("IAM %s from moto: %s\n%s", action, resp.Status, body)
	}
	return body
}

func buckets(t *testing.T, h *harness) []string {
	t.Helper()
	out, err := s3.NewFromConfig(h.aws, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	slices.Sort(names)
	return names
}

func str(t *testing.T, outs map[string]json.RawMessage, name string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(outs[name], &s); err != nil || s == "" {
		t.Fatalf("output %s = %s, want a string", name, outs[name])
	}
	return s
}

func list(t *testing.T, outs map[string]json.RawMessage, name string) []string {
	t.Helper()
	var l []string
	if err := json.Unmarshal(outs[name], &l); err != nil {
		t.Fatalf("output %s = %s, want a list", name, outs[name])
	}
	return l
}

// The instances, their metadata options, the infra node's address, RDS and
// its parameter group, the queues' dead-letter queues, the bucket's
// versioning and the web ACL association, as moto has them.
func checkResources(t *testing.T, h *harness, outs map[string]json.RawMessage) {
	ctx := context.Background()
	instances, err := ec2.NewFromConfig(h.aws).DescribeInstances(ctx, &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:Cluster"), Values: []string{"ticketly-production"}}}})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ec2types.Instance{}
	for _, r := range instances.Reservations {
		for _, i := range r.Instances {
			byID[*i.InstanceId] = i
		}
	}
	ids := append([]string{str(t, outs, "control_plane_instance_id"), str(t, outs, "infra_instance_id")}, list(t, outs, "worker_instance_ids")...)
	if len(ids) != 6 || len(byID) != 6 {
		t.Fatalf("outputs name %v, moto has %d instances tagged Cluster=ticketly-production; want 6 (1 server, 4 agents, infra)", ids, len(byID))
	}
	for _, id := range ids {
		i, ok := byID[id]
		if !ok {
			t.Fatalf("instance %s of the outputs is not in moto", id)
		}
		if mo := i.MetadataOptions; mo == nil || mo.HttpTokens != ec2types.HttpTokensStateRequired || aws.ToInt32(mo.HttpPutResponseHopLimit) != 1 {
			t.Errorf("instance %s metadata options %+v: want IMDSv2 required, hop limit 1", id, mo)
		}
	}
	if ip := aws.ToString(byID[str(t, outs, "infra_instance_id")].PrivateIpAddress); ip != "10.0.80.20" {
		t.Errorf("infra node's private IP = %s, want 10.0.80.20", ip)
	}

	db, err := rds.NewFromConfig(h.aws).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(str(t, outs, "rds_identifier"))})
	if err != nil {
		t.Fatal(err)
	}
	d := db.DBInstances[0]
	if aws.ToInt32(d.BackupRetentionPeriod) != 7 || aws.ToBool(d.PubliclyAccessible) || len(d.DBParameterGroups) != 1 {
		t.Errorf("RDS %s: retention %d, public %v, parameter groups %d", aws.ToString(d.DBInstanceIdentifier), aws.ToInt32(d.BackupRetentionPeriod), aws.ToBool(d.PubliclyAccessible), len(d.DBParameterGroups))
	}
	params, err := rds.NewFromConfig(h.aws).DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: d.DBParameterGroups[0].DBParameterGroupName, Source: aws.String("user")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(params.Parameters, func(p rdstypes.Parameter) bool {
		return aws.ToString(p.ParameterName) == "rds.logical_replication" && aws.ToString(p.ParameterValue) == "1"
	}) {
		t.Errorf("parameter group %s lacks rds.logical_replication=1", aws.ToString(d.DBParameterGroups[0].DBParameterGroupName))
	}

	var queues map[string]string
	json.Unmarshal(outs["queue_urls"], &queues)
	for name, url := range queues {
		at, err := sqs.NewFromConfig(h.aws).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"RedrivePolicy"}})
		if err != nil {
			t.Fatalf("queue %s: %v", name, err)
		}
		if !strings.Contains(at.Attributes["RedrivePolicy"], "ticketly-production-"+name+"-dlq") {
			t.Errorf("queue %s redrive policy %q does not name its DLQ", name, at.Attributes["RedrivePolicy"])
		}
	}
	v, err := s3.NewFromConfig(h.aws, func(o *s3.Options) { o.UsePathStyle = true }).GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(str(t, outs, "bucket_name"))})
	if err != nil || v.Status != "Enabled" {
		t.Errorf("bucket versioning: %v %v", v, err)
	}
	acl, err := wafv2.NewFromConfig(h.aws).GetWebACLForResource(ctx, &wafv2.GetWebACLForResourceInput{ResourceArn: aws.String(str(t, outs, "alb_arn"))})
	if err != nil || acl.WebACL == nil || aws.ToString(acl.WebACL.ARN) != str(t, outs, "web_acl_arn") {
		t.Errorf("web ACL of the ALB: %v %v, want %s", acl, err, str(t, outs, "web_acl_arn"))
	}
}

// provision check (JSON): what moto serves passes; the ALB's DNS name and
// the K3s API do not exist in an emulator, so those two checks fail, and
// say why.
func checkVerb(t *testing.T, h *harness) {
	var buf bytes.Buffer
	o := h.opts("production")
	o.Stdout = &buf
	err := provision.Check(context.Background(), o, provision.CheckOptions{Output: "json", Timeout: 5 * time.Second,
		KubeconfigFile: filepath.Join(t.TempDir(), "none.kubeconfig")})
	var rep check.Report
	if jerr := json.Unmarshal(buf.Bytes(), &rep); jerr != nil {
		t.Fatalf("check did not print a JSON report: %v (%v)\n%s", jerr, err, h.out)
	}
	got := map[string]check.Result{}
	for _, c := range rep.Checks {
		got[c.Name] = c
	}
	for _, name := range []string{"targets_healthy", "waf_associated", "rds_available"} {
		if !got[name].OK {
			t.Errorf("%s failed against moto: %s", name, got[name].Detail)
		}
	}
	if got["targets_healthy"].Detail != "4 of 4 targets healthy" {
		t.Errorf("targets_healthy = %q, want the 4 workers", got["targets_healthy"].Detail)
	}
	for name, why := range map[string]string{"alb_https": "ticketly.example.com", "k8s_readyz": "provision kubeconfig"} {
		if got[name].OK || !strings.Contains(got[name].Detail, why) {
			t.Errorf("%s = %+v, want a failure mentioning %q", name, got[name], why)
		}
	}
	if err == nil || !strings.Contains(err.Error(), "alb_https") {
		t.Errorf("check returned %v, want the failed checks named", err)
	}
}

// checkExporter runs Vigil with the stack's vigil_config output (plus the
// emulator's endpoint) and compares what its AWS collectors export with the
// outputs.
func checkExporter(t *testing.T, h *harness, outs map[string]json.RawMessage) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(str(t, outs, "vigil_config")), &cfg); err != nil {
		t.Fatalf("vigil_config is not YAML: %v", err)
	}
	cfg["environment"] = "production"
	acct := cfg["aws"].(map[string]any)["accounts"].([]any)[0].(map[string]any)
	acct["endpoint"] = h.moto
	infraAWS := cfg["infra"].(map[string]any)["aws"].(map[string]any)
	infraAWS["refresh_interval"] = "10s"
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "vigil.yml"), string(b))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(daemon.Options{ConfigFile: filepath.Join(dir, "vigil.yml"), StoragePath: filepath.Join(dir, "data"), Listeners: []net.Listener{l}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("the exporter refused the stack's vigil_config:\n%s\n%v", b, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	mfs := scrapeUntil(t, "http://"+l.Addr().String()+"/metrics", "vigil_infra_aws_ec2_instance_state")
	states := series(mfs["vigil_infra_aws_ec2_instance_state"], "state", "running")
	want := append([]string{str(t, outs, "control_plane_instance_id"), str(t, outs, "infra_instance_id")}, list(t, outs, "worker_instance_ids")...)
	var gotIDs []string
	for _, m := range states {
		if m.value == 1 {
			gotIDs = append(gotIDs, m.labels["instance_id"])
		}
	}
	slices.Sort(gotIDs)
	slices.Sort(want)
	if !slices.Equal(gotIDs, want) {
		t.Errorf("running instances reported %v, the outputs name %v", gotIDs, want)
	}
	tgName := lastPart(list(t, outs, "target_group_arns")[0])
	healthy := series(mfs["vigil_infra_aws_elb_target_group_targets"], "state", "healthy")
	if len(healthy) != 1 || healthy[0].labels["target_group"] != tgName || healthy[0].value != 4 {
		t.Errorf("healthy targets reported %+v, want 4 in target group %s", healthy, tgName)
	}
	lbName := "ticketly-production"
	active := series(mfs["vigil_infra_aws_elb_load_balancer_state"], "state", "active")
	if len(active) != 1 || active[0].labels["load_balancer"] != lbName || active[0].value != 1 {
		t.Errorf("load balancers reported %+v, want %s active", active, lbName)
	}

	// The web ACL association, the queues, RDS and the schedules.
	waf := series(mfs["vigil_infra_aws_waf_web_acl_info"], "load_balancer", lbName)
	if len(waf) != 1 || waf[0].labels["web_acl"] != lastName(str(t, outs, "web_acl_arn")) {
		t.Errorf("web ACL reported %+v, want %s on %s", waf, str(t, outs, "web_acl_arn"), lbName)
	}
	var queues map[string]string
	json.Unmarshal(outs["queue_urls"], &queues)
	var wantQueues, gotQueues []string
	for _, url := range queues {
		wantQueues = append(wantQueues, url[strings.LastIndex(url, "/")+1:])
	}
	for _, m := range series(mfs["vigil_infra_aws_sqs_messages"], "state", "visible") {
		gotQueues = append(gotQueues, m.labels["queue"])
	}
	slices.Sort(wantQueues)
	slices.Sort(gotQueues)
	if !slices.Equal(gotQueues, wantQueues) {
		t.Errorf("queues reported %v, the outputs name %v", gotQueues, wantQueues)
	}
	if dlq := mfs["vigil_infra_aws_sqs_dead_letter_queue_messages"]; dlq == nil || len(dlq.Metric) != len(wantQueues) {
		t.Errorf("dead-letter queues reported %v, want one per queue", dlq)
	}
	db := series(mfs["vigil_infra_aws_rds_instance_status"], "status", "available")
	if len(db) != 1 || db[0].labels["db_instance"] != str(t, outs, "rds_identifier") || db[0].value != 1 {
		t.Errorf("RDS reported %+v, want %s available", db, str(t, outs, "rds_identifier"))
	}
	if sch := mfs["vigil_infra_aws_scheduler_schedule_enabled"]; sch == nil || len(sch.Metric) != 2 {
		t.Errorf("schedules reported %v, want the 2 of production.tfvars", sch)
	}
}

// lastName is the name in an ARN ending NAME/ID (a web ACL's).
func lastName(arn string) string {
	parts := strings.Split(arn, "/")
	return parts[len(parts)-2]
}

type sample struct {
	labels map[string]string
	value  float64
}

// series returns the samples of mf whose label name has value v.
func series(mf *dto.MetricFamily, name, v string) []sample {
	var out []sample
	if mf == nil {
		return nil
	}
	for _, m := range mf.Metric {
		l := map[string]string{}
		for _, p := range m.Label {
			l[p.GetName()] = p.GetValue()
		}
		if l[name] != v {
			continue
		}
		val := m.GetGauge().GetValue()
		if m.Counter != nil {
			val = m.GetCounter().GetValue()
		}
		out = append(out, sample{l, val})
	}
	return out
}

// lastPart is a target group's name from its ARN
// (…:targetgroup/NAME/ID).
func lastPart(arn string) string {
	parts := strings.Split(arn, "/")
	if len(parts) < 3 {
		return arn
	}
	return parts[len(parts)-2]
}

// scrapeUntil scrapes until family has a sample (the first refresh ran).
func scrapeUntil(t *testing.T, url, family string) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			parser := expfmt.NewTextParser(model.LegacyValidation)
			mfs, perr := parser.TextToMetricFamilies(bytes.NewReader(body))
			if perr == nil && mfs[family] != nil && len(mfs[family].Metric) > 0 {
				return mfs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s from the exporter within 60s: %v", family, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func stateKeys(t *testing.T, h *harness) []string {
	t.Helper()
	out, err := s3.NewFromConfig(h.aws, func(o *s3.Options) { o.UsePathStyle = true }).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("ticketly-terraform-state")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// importCertificate puts a self-signed certificate for host into moto's ACM
// and returns its ARN (the ALB's HTTPS listener needs one that exists).
func importCertificate(t *testing.T, cfg aws.Config, host string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	out, err := acm.NewFromConfig(cfg).ImportCertificate(context.Background(), &acm.ImportCertificateInput{
		Certificate: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		PrivateKey:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	})
	if err != nil {
		t.Fatalf("importing a certificate into moto's ACM: %v", err)
	}
	return aws.ToString(out.CertificateArn)
}

// testKey is an OpenSSH public key for the key pair (its private half is
// never needed: no test logs in to moto's instances).
const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILWmcLnyUjnREe0m48kgllw8rbpSs+ckduVOUOOon8Aa vigil-test-only\n"

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
