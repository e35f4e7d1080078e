package backup

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"k8s.io/client-go/dynamic"

	"github.com/vigil-monitoring/vigil/internal/aws"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
)

func init() {
	collector.Register(collector.Registration{
		Name:       "backup",
		Section:    "backup",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		Uses:       []string{"aws", "ionos"},
		Sandbox:    sandboxSection,
		Build: func(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
			cfg, err := resolve(sec.(*Section), deps)
			if err != nil {
				return nil, err
			}
			return New(cfg, deps.Group, deps.Logger), nil
		},
	})
}

// resolve binds every target to its severity and, for s3, to an account of
// the aws: provider.
func resolve(s *Section, deps *collector.Deps) (Config, error) {
	cfg := Config{Environment: deps.Environment}
	for i, t := range s.Targets {
		tc := TargetConfig{Target: t, Severity: severity(t, deps.Environment), Key: deps.Fingerprint}
		if t.Kind == KindVelero {
			client, err := veleroFor(t, deps)
			if err != nil {
				return Config{}, fmt.Errorf("targets[%d]: %w", i, err)
			}
			tc.Velero = client
		}
		switch {
		case t.Kind == KindIONOS:
			built, err := deps.Provider("ionos")
			if err != nil {
				return Config{}, fmt.Errorf("targets[%d]: %w", i, err)
			}
			tc.IONOS = built.(*ionos.Provider).CloudAPI
		case t.Kind == KindRDS && deps.Sandbox:
			tc.RDS = func(http.RoundTripper) RDSAPI { return SandboxRDS(time.Now()) }
		case t.Kind == KindS3 || t.Kind == KindRDS:
			acct, err := accountOf(t, deps)
			if err != nil {
				return Config{}, fmt.Errorf("targets[%d]%w", i, err)
			}
			if t.Kind == KindS3 {
				tc.S3 = S3Client(acct, t.Region, t.Endpoint)
			} else {
				tc.RDS = RDSClient(func(rt http.RoundTripper) awssdk.Config { return acct.Config(t.Region, rt) })
			}
		}
		cfg.Targets = append(cfg.Targets, tc)
	}
	return cfg, nil
}

// accountOf finds the target's account in the aws: provider.
func accountOf(t Target, deps *collector.Deps) (aws.Account, error) {
	built, err := deps.Provider("aws")
	if err != nil {
		return aws.Account{}, fmt.Errorf(": %w", err)
	}
	acct, ok := built.(*aws.Provider).Account(t.Account)
	if !ok {
		return aws.Account{}, fmt.Errorf(".account: %q is not an account of the aws: section; name one listed there", t.Account)
	}
	return acct, nil
}

// veleroFor connects a velero target: the sandbox's in-memory objects, or
// the configured cluster with every request counted under the target.
func veleroFor(t Target, deps *collector.Deps) (dynamic.Interface, error) {
	if deps.Sandbox {
		return SandboxVelero(time.Now()), nil
	}
	rc, err := veleroRESTConfig(t)
	if err != nil {
		return nil, err
	}
	client, err := VeleroClient(rc, deps.Group.APIRequestCounter(SourceName(t.Kind, t.Name)))
	if err != nil {
		return nil, fmt.Errorf("velero target %s: building client: %w", t.Name, err)
	}
	return client, nil
}

// S3Client returns how an s3 target builds its client from an account: in
// region ("" the account's first), at endpoint ("" the account's, or AWS),
// path-style whenever the endpoint is not AWS's.
func S3Client(acct aws.Account, region, endpoint string) func(rt http.RoundTripper) S3Lister {
	return func(rt http.RoundTripper) S3Lister {
		c := acct.Config(region, rt)
		return s3.NewFromConfig(c, func(o *s3.Options) {
			if endpoint != "" {
				o.BaseEndpoint = awssdk.String(endpoint)
			}
			o.UsePathStyle = o.BaseEndpoint != nil
		})
	}
}

// SandboxAges are the sandbox's backups: a fresh pg_dump and Terraform
// state backups whose newest is 30 h old, past the 24 h RPO, so `make run`
// shows BackupTooOld. Backup i is 1 KiB * (i+1): terraform-state's newest
// (1 KiB) is a third of the one before the last (3 KiB), below the 0.5
// shrink ratio, so it shows BackupShrunk too; pg-dumps' newest is exactly
// half of the one before, which is not below it.
var SandboxAges = map[string][]time.Duration{
	"pg-dumps":        {2 * time.Hour, 26 * time.Hour},
	"terraform-state": {30 * time.Hour, 54 * time.Hour, 78 * time.Hour},
}

func sandboxSection(env *collector.SandboxEnv) (config.Section, error) {
	root, err := os.MkdirTemp("", "vigil-sandbox-backup-")
	if err != nil {
		return nil, fmt.Errorf("sandbox backup directory: %w", err)
	}
	env.OnStop(func() { _ = os.RemoveAll(root) })
	s := &Section{}
	for _, name := range []string{"pg-dumps", "terraform-state"} {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, err
		}
		for i, age := range SandboxAges[name] {
			p := filepath.Join(dir, fmt.Sprintf("backup-%d.gz", i))
			if err := os.WriteFile(p, make([]byte, 1024*(i+1)), 0o644); err != nil {
				return nil, err
			}
			at := time.Now().Add(-age)
			if err := os.Chtimes(p, at, at); err != nil {
				return nil, err
			}
		}
		s.Targets = append(s.Targets, Target{Name: name, Kind: KindFiles, Directory: dir, Glob: "*.gz",
			Interval: config.Duration(24 * time.Hour)})
	}
	s.Targets = append(s.Targets, Target{Name: "velero", Kind: KindVelero}, Target{Name: "rds", Kind: KindRDS, Account: "sandbox"},
		// The ionos provider's sandbox serves ionoscloud.SandboxSnapshots.
		Target{Name: "db-volume", Kind: KindIONOS, Glob: "db-nightly-*", Interval: config.Duration(24 * time.Hour)},
		Target{Name: "etcd-volume", Kind: KindIONOS, Glob: "etcd-weekly-*", Interval: config.Duration(7 * 24 * time.Hour), RPO: config.Duration(8 * 24 * time.Hour)})
	s.ApplyDefaults()
	return s, nil
}
