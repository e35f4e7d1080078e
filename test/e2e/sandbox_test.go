package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestSandboxFiresTheRunbookAlerts: a real Prometheus scraping the sandbox
// and evaluating the real rules (for: compressed) fires an alert for each of
// the runbooks' faults the sandbox holds, so a newcomer sees Vigil page.
func TestSandboxFiresTheRunbookAlerts(t *testing.T) {
	prometheus := testenv.Tool(t, "prometheus", "tools")
	dir := t.TempDir()

	sandbox := startSandbox(t)

	rules := filepath.Join(dir, "rules.yml")
	writeFile(t, rules, compressedRules(t))
	promAddr := freeAddr(t)
	promConfig := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promConfig, fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%s]
scrape_configs:
  - job_name: vigil
    static_configs:
      - targets: [%q]
`, rules, sandbox))
	startProcess(t, "prometheus", prometheus, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr)
	client, err := api.NewClient(api.Config{Address: "http://" + promAddr})
	require.NoError(t, err)
	prom := promv1.NewAPI(client)

	want := []string{
		"KubePodCrashLooping", "KubePodImagePullFailing", "KubePodOOMKilled", "KubePodUnschedulable",
		"KubeDeploymentSingleReplica", "KubeNodeTaintedUnreachable", "KubeNodeMemoryHigh",
		"KubeWorkloadReplicasMismatch", "KubeHPAMaxedOut", "TerraformDriftDetected",
		"BackupTooOld", "BackupFailed", "BackupShrunk", // terraform-state is 30 h old and shrank; Velero's volumes-6h ended PartiallyFailed
		// The sandbox AWS account: the ingress ALB lost its web ACL, the
		// orders queue's consumer stopped (7 dead letters, oldest message
		// 20 min old and ageing), app-db has 6 % of its storage free.
		"WAFDetached", "SQSDeadLetterQueueNotEmpty", "SQSOldestMessageTooOld", "RDSFreeStorageLow",
	}
	// The sandbox AWS account is at 92 % of its budget, except on the 1st
	// (UTC), when the month to date, the month through yesterday, is 0.
	if time.Now().UTC().Day() != 1 {
		want = append(want, "BillingSpendOverNinetyPercentOfBudget")
	}
	var firing map[string]bool
	ok := assert.Eventually(t, func() bool {
		firing = firingAlerts(prom)
		for _, a := range want {
			if !firing[a] {
				return false
			}
		}
		return true
	}, 90*time.Second, 500*time.Millisecond)
	names := make([]string, 0, len(firing))
	for n := range firing {
		names = append(names, n)
	}
	sort.Strings(names)
	if !ok {
		t.Fatalf("firing on the sandbox: %v; want at least %v", names, want)
	}
	assert.False(t, firing["KubeAPIServerUnreachable"], "the sandbox API server is up")
	assert.False(t, firing["VigilSourceDown"], "the sandbox sources are up")
	t.Logf("alerts firing on the sandbox: %v", names)
	checkDashboardsOnTheSandbox(t, prom)
}

// startSandbox runs the sandbox exporter on a loopback port until the test
// ends and returns its address.
func startSandbox(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	d, err := daemon.New(daemon.Options{Sandbox: true, Listeners: []net.Listener{l}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l.Addr().String()
}

func firingAlerts(prom promv1.API) map[string]bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, _, _, err := prom.Query(ctx, `ALERTS{alertstate="firing"}`, time.Now())
	out := map[string]bool{}
	if err != nil {
		return out
	}
	if vec, ok := v.(model.Vector); ok {
		for _, s := range vec {
			out[string(s.Metric["alertname"])] = true
		}
	}
	return out
}
