// Command provision applies Vigil's Terraform stack and manifests safely:
// plan before apply, state backups, a production guard, lock reports, drift
// metrics, external access checks and server-side-apply deployment. The logic
// lives in internal/provision; this file only parses flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"golang.org/x/term"

	"github.com/vigil-monitoring/vigil/internal/provision"
	"github.com/vigil-monitoring/vigil/internal/provision/backup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, term.IsTerminal(int(os.Stdin.Fd())), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	// exitDrift is drift's "changes found", like terraform's -detailed-exitcode.
	exitDrift = 2
)

func run(ctx context.Context, args []string, stdin io.Reader, isTerminal bool, stdout, stderr io.Writer) int {
	app := kingpin.New("provision", `Provision an environment of one of Vigil's Terraform stacks safely:
ionos (terraform/ionos, IONOS Managed Kubernetes) or aws (terraform/aws, K3s on
EC2 with RDS, S3, SQS, an ALB behind WAF). --stack (or PROVISION_STACK) picks
it; with --dir alone, the providers the root module requires do.

Typical use:
  provision plan dev            # review what would change; the plan is saved
  provision apply dev           # back the state up, apply exactly that plan, then check
  provision check dev           # is the registry and Kubernetes API reachable from outside?
  provision kubeconfig dev      # write the cluster's kubeconfig to .vigil/dev.kubeconfig (0600)
  provision deploy dev          # apply deploy/overlays/dev with server-side apply
  provision --stack aws plan production   # the same verbs for the K3s-on-AWS stack

Every environment has its own state: provision selects the terraform
workspace named ENV after init (local state in DIR/terraform.tfstate.d/ENV/,
or its own key in the S3 backend), so dev and production never share one.
plan and restore create the workspace; the other verbs need it to exist;
destroy deletes it after a successful destroy (its state is backed up
first). Each environment also has its own terraform data directory
(DIR/.terraform/environments/ENV, under TF_DATA_DIR when set), so runs for
two environments never share backend settings or plugins.
apply refuses a saved plan made for another workspace or another state. A
TF_WORKSPACE in your shell is ignored (never passed to terraform).

Credentials come from the environment: for ionos IONOS_TOKEN, or
IONOS_USERNAME and IONOS_PASSWORD; for aws AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile of ~/.aws/config or
~/.aws/credentials, or AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN. They are
passed to terraform only and never printed; plan, apply, destroy and drift
stop before running terraform when the stack's provider has none.
terraform gets PATH, HOME, TF_CLI_CONFIG_FILE and other TF_* settings,
IONOS_* and AWS_*; not TF_VAR_* (put values in environments/ENV.tfvars
instead).

For aws, kubeconfig reads /etc/rancher/k3s/k3s.yaml from the control plane
over SSH, verifying its host key (--known-hosts, default ~/.ssh/known_hosts,
or --host-key-fingerprint; an unknown key is refused), and check uses that
file for the K3s API.
Changing production needs --confirm=production (or typing "production" at
the prompt); destroying it also needs --allow-destroy-production.`)
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	// --help prints and exits 0 here (kingpin's default terminate).
	app.HelpFlag.Short('h')

	var o provision.Options
	var planDir string
	app.Flag("stack", "Stack: ionos or aws (default: the stack of --dir, else ionos).").Envar("PROVISION_STACK").EnumVar(&o.Stack, provision.Stacks...)
	app.Flag("dir", "Terraform root module (default terraform/STACK); its variables are DIR/environments/ENV.tfvars.").PlaceHolder("terraform/STACK").StringVar(&o.Dir)
	app.Flag("backup-dir", "Directory of state backups (default .vigil/backups/ENV).").PlaceHolder(".vigil/backups/ENV").StringVar(&o.BackupDir)
	app.Flag("plan-dir", "Directory where plan saves ENV.tfplan for apply.").Default(filepath.Join(".vigil", "plans")).StringVar(&planDir)
	app.Flag("lock-timeout", "How long terraform waits for the state lock (terraform's -lock-timeout, e.g. 60s).").PlaceHolder("DURATION").StringVar(&o.LockTimeout)
	app.Flag("terraform", "terraform or tofu binary (default: terraform >= 1.6 on PATH, else tofu).").PlaceHolder("PATH").StringVar(&o.Terraform)
	app.Flag("confirm", "Confirm a change without the prompt by naming the environment, e.g. --confirm=production.").PlaceHolder("ENV").StringVar(&o.Confirm)

	envArg := func(c *kingpin.CmdClause) {
		c.Arg("env", "Environment: dev, staging, production (DIR/environments/ENV.tfvars).").Required().StringVar(&o.Env)
	}

	planCmd := app.Command("plan", "Run terraform init, select (or create) the workspace ENV, plan against ENV's own state, save the plan for apply and print a summary (adds, changes, destroys).")
	envArg(planCmd)

	var ao provision.ApplyOptions
	applyCmd := app.Command("apply", "In workspace ENV, back its state up, apply exactly the plan saved by the last `plan ENV` (a missing, stale, too old or other workspace's plan is refused), then run check.")
	envArg(applyCmd)
	applyCmd.Flag("plan-max-age", "Refuse a saved plan older than this; plan again instead.").Default(provision.DefaultPlanMaxAge.String()).DurationVar(&ao.MaxAge)
	applyCmd.Flag("check", "Run check after applying (--no-check skips it).").Default("true").BoolVar(&ao.Check)
	applyCmd.Flag("textfile-dir", "Directory of *.prom files (node_exporter textfile collector, Vigil's textfile section) for vigil_provision_apply_ENV.prom: 1 while terraform applies, so Alertmanager holds back the node and pod alerts of the environment (for at most 2 hours); empty writes none.").PlaceHolder("DIR").StringVar(&ao.TextfileDir)

	destroyCmd := app.Command("destroy", "Back the state of workspace ENV up, destroy everything in it, then delete the emptied workspace (other environments' states are untouched). Needs --confirm=ENV or typing ENV at the prompt; production also needs --allow-destroy-production.")
	envArg(destroyCmd)
	destroyCmd.Flag("allow-destroy-production", "Allow destroying production (with --confirm=production).").BoolVar(&o.AllowDestroyProduction)

	var keep int
	var copyTo string
	backupCmd := app.Command("backup", "Pull the state of workspace ENV (it must exist) into a timestamped file in the backup directory, keeping the newest --keep.")
	envArg(backupCmd)
	backupCmd.Flag("keep", "How many backups to keep.").Default(fmt.Sprint(backup.DefaultKeep)).IntVar(&keep)
	backupCmd.Flag("copy-to", "Also copy the new backup to this S3 prefix, where a Vigil in the cluster watches it (backup target kind s3). Credentials: the AWS SDK's chain (AWS_*, profile, role); AWS_REGION; AWS_ENDPOINT_URL_S3 for an S3-compatible store such as IONOS S3.").PlaceHolder("s3://BUCKET/PREFIX/").StringVar(&copyTo)

	var ro provision.RestoreOptions
	restoreCmd := app.Command("restore", "Back the current state of workspace ENV up (creating the workspace if missing), then push a backup as its state. A backup of another state (different lineage) is refused unless --force.")
	envArg(restoreCmd)
	restoreCmd.Flag("from", "Backup file to restore (from the backup directory).").Required().PlaceHolder("FILE").StringVar(&ro.From)
	restoreCmd.Flag("force", "Push even a backup whose lineage differs from the current state.").BoolVar(&ro.Force)

	var do provision.DriftOptions
	driftCmd := app.Command("drift", "In workspace ENV (it must exist), plan with -detailed-exitcode and list what differs from the stack; exit 2 when drift is found. Writes Prometheus metrics to --textfile-dir.")
	envArg(driftCmd)
	driftCmd.Flag("textfile-dir", "Directory of *.prom files (node_exporter textfile collector) for vigil_provision_drift_ENV.prom; empty writes none.").PlaceHolder("DIR").StringVar(&do.TextfileDir)

	var co provision.CheckOptions
	var lanPublic string
	addCheckFlags := func(c *kingpin.CmdClause) {
		c.Flag("output", "Report format: table or json.").Short('o').Default("table").EnumVar(&co.Output, "table", "json")
		c.Flag("expect-lan-public", "Whether the LAN must be public (default: lan_public in the tfvars, else true).").PlaceHolder("true|false").EnumVar(&lanPublic, "true", "false")
		c.Flag("registry-ca-file", "PEM file of CAs to trust for the registry instead of the system roots.").PlaceHolder("FILE").StringVar(&co.RegistryCAFile)
		c.Flag("check-timeout", "Timeout of each network check.").Default("10s").DurationVar(&co.Timeout)
		c.Flag("kubeconfig", "aws: kubeconfig for the K3s /readyz check (default .vigil/ENV.kubeconfig, written by `provision kubeconfig`).").PlaceHolder("FILE").StringVar(&co.KubeconfigFile)
		c.Flag("alb-ca-file", "aws: PEM file of CAs to trust for the ALB's certificate instead of the system roots.").PlaceHolder("FILE").StringVar(&co.ALBCAFile)
	}
	checkCmd := app.Command("check", "Check external access from the outputs of workspace ENV (it must exist). ionos: registry /v2/, Kubernetes API /readyz, cluster and node pool ACTIVE, public IPs, LAN public. aws: ALB over HTTPS and HTTP→HTTPS, targets healthy, WAF associated, K3s /readyz, RDS available. Exits non-zero naming what failed.")
	envArg(checkCmd)
	addCheckFlags(checkCmd)
	addCheckFlags(applyCmd)

	var ko provision.KubeconfigOptions
	kubeconfigCmd := app.Command("kubeconfig", "Write the cluster's kubeconfig (ionos: a sensitive output of workspace ENV; aws: read from the K3s server over SSH, its host key verified) to a file with mode 0600; it is printed only with --stdout.")
	envArg(kubeconfigCmd)
	kubeconfigCmd.Flag("ssh-key", "aws: private key of the stack's key pair (default: the keys of ssh-agent).").PlaceHolder("FILE").StringVar(&ko.SSH.Key)
	kubeconfigCmd.Flag("known-hosts", "aws: known_hosts file listing the control plane (default ~/.ssh/known_hosts).").PlaceHolder("FILE").StringVar(&ko.SSH.KnownHosts)
	kubeconfigCmd.Flag("host-key-fingerprint", "aws: the control plane's host key fingerprint (SHA256:..., from its console output) instead of known_hosts.").PlaceHolder("SHA256:...").StringVar(&ko.SSH.Fingerprint)
	kubeconfigCmd.Flag("ssh-port", "aws: SSH port of the control plane.").Default("22").IntVar(&ko.SSH.Port)
	kubeconfigCmd.Flag("out", "File to write (default .vigil/ENV.kubeconfig).").PlaceHolder("FILE").StringVar(&ko.Out)
	kubeconfigCmd.Flag("stdout", "Print the kubeconfig to standard output instead.").BoolVar(&ko.Stdout)

	var dep provision.DeployOptions
	var dryRun string
	deployCmd := app.Command("deploy", "Build the kustomize overlay of ENV and apply it with server-side apply (field manager vigil-provision), then wait for the Deployments to roll out.")
	envArg(deployCmd)
	deployCmd.Flag("overlay", "Kustomize overlay (default deploy/overlays/ENV).").PlaceHolder("DIR").StringVar(&dep.Overlay)
	deployCmd.Flag("kubeconfig", "Kubeconfig file (default: ionos the k8s_kubeconfig output of workspace ENV, aws .vigil/ENV.kubeconfig).").PlaceHolder("FILE").StringVar(&dep.Kubeconfig)
	deployCmd.Flag("dry-run", "none, or server: the API server validates everything and stores nothing.").Default("none").EnumVar(&dryRun, "none", "server")
	deployCmd.Flag("force-conflicts", "Take over fields that another field manager owns.").BoolVar(&dep.ForceConflicts)
	deployCmd.Flag("wait", "Wait for Deployments to roll out (--no-wait to skip).").Default("true").BoolVar(&dep.Wait)
	deployCmd.Flag("timeout", "How long to wait for the rollout.").Default("5m").DurationVar(&dep.Timeout)

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "provision: %v (see provision --help)\n", err)
		return exitError
	}
	if cmd == "" { // --help was shown
		return exitOK
	}
	o.PlanDir = planDir
	o.Stdout, o.Stderr = stdout, stderr
	o.Prompt = provision.Prompt{In: stdin, Terminal: isTerminal}
	if lanPublic != "" {
		v := lanPublic == "true"
		co.ExpectLANPublic = &v
	}
	ao.CheckOptions = co
	dep.DryRunServer = dryRun == "server"

	switch cmd {
	case planCmd.FullCommand():
		_, err = provision.Plan(ctx, o)
	case applyCmd.FullCommand():
		err = provision.Apply(ctx, o, ao)
	case destroyCmd.FullCommand():
		err = provision.Destroy(ctx, o)
	case backupCmd.FullCommand():
		_, err = provision.BackupAndCopy(ctx, o, keep, copyTo)
	case restoreCmd.FullCommand():
		err = provision.Restore(ctx, o, ro)
	case driftCmd.FullCommand():
		_, err = provision.Drift(ctx, o, do)
	case checkCmd.FullCommand():
		err = provision.Check(ctx, o, co)
	case kubeconfigCmd.FullCommand():
		_, err = provision.Kubeconfig(ctx, o, ko)
	case deployCmd.FullCommand():
		err = provision.Deploy(ctx, o, dep)
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "provision %s: %v\n", cmd, err)
	if errors.Is(err, provision.ErrDrift) {
		return exitDrift
	}
	return exitError
}
