package billing_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/collectors/billing"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestRealBinaryPersistentCostExplorerSurvivesRestartsReloadsKillAndTruncation
// is issue 7's acceptance test, on the real binary: `go build` of
// cmd/exporter, run as a subprocess with --config.file and --storage.path in
// temp directories, scraped over HTTP, with a counting Cost Explorer fake
// (awsJson 1.1) as its AWS endpoint. It shows, for the persistent Cost
// Explorer source:
//   - 10 restarts within the refresh interval send 0 requests upstream and
//     serve the same values with the original
//     vigil_source_last_success_timestamp_seconds;
//   - 10 reloads (SIGHUP) send 0 requests;
//   - kill -9 while a refresh hangs upstream leaves a working exporter that
//     fetches on its next start, and the request was on the budget ledger
//     before it was sent;
//   - a truncated snapshot file is set aside, the exporter starts, serves
//     and fetches again.
func TestRealBinaryPersistentCostExplorerSurvivesRestartsReloadsKillAndTruncation(t *testing.T) {
	bin := buildExporter(t)
	fake := billing.SandboxAWS()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	ceRequests := func() int { return fake.Requests("GetCostAndUsage") + fake.Requests("GetCostForecast") }

	dir := t.TempDir()
	storage := filepath.Join(dir, "storage")
	cfgFile := filepath.Join(dir, "vigil.yml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`environment: test
aws:
  accounts:
    - name: production
      region: eu-central-1
      endpoint: %s
billing:
  aws:
    - account: production
  budgets:
    - provider: aws
      amount: 300
      currency: USD
`, srv.URL)), 0o600))

	const src = billing.SourceAWSCostPrefix + "production"
	lastSuccess := `vigil_source_last_success_timestamp_seconds{environment="test",source="` + src + `"}`

	// First start: one refresh, one page and one forecast.
	p := startExporter(t, bin, cfgFile, storage)
	first := p.waitFor(t, lastSuccess)
	require.Equal(t, 2, ceRequests(), "the first refresh sends one GetCostAndUsage page and one GetCostForecast")
	want := billingLines(first)
	// The sandbox's 276 spent and 84 forecast from today; on the 1st
	// nothing of the month lies before today: the month to date is 0 and
	// the forecast is all.
	compute, forecast := "161.2", "360"
	if time.Now().UTC().Day() == 1 {
		compute, forecast = "0", "84"
	}
	require.Contains(t, want, `vigil_billing_cost_month_to_date{environment="test",provider="aws",account="production",service="Amazon Elastic Compute Cloud - Compute",currency="USD"} `+compute)
	require.Contains(t, want, `vigil_billing_forecast_month_end{environment="test",provider="aws",account="production",currency="USD"} `+forecast)
	wantTS := value(first, lastSuccess)
	p.stop(t, syscall.SIGTERM)

	for i := range 10 {
		p := startExporter(t, bin, cfgFile, storage)
		got := p.waitFor(t, lastSuccess)
		require.Equal(t, wantTS, value(got, lastSuccess), "restart %d: the last success is the original one", i+1)
		require.Equal(t, want, billingLines(got), "restart %d serves the same values", i+1)
		if i == 9 {
			// And 10 reloads of that process.
			for j := range 10 {
				require.NoError(t, p.cmd.Process.Signal(syscall.SIGHUP))
				p.waitLog(t, "configuration reloaded", j+1)
			}
			got = p.waitFor(t, lastSuccess)
			require.Equal(t, wantTS, value(got, lastSuccess), "after 10 reloads")
		}
		p.stop(t, syscall.SIGTERM)
	}
	require.Equal(t, 2, ceRequests(), "10 restarts and 10 reloads within the interval sent nothing to Cost Explorer")
	t.Logf("Cost Explorer requests: first start 2 (USD 0.02); 10 restarts and 10 reloads after it: %d (USD %.2f)", ceRequests()-2, float64(ceRequests()-2)*0.01)

	// A reload that changes only the budget rebuilds the collector but keeps
	// the Cost Explorer snapshot: its key is the account, the cost metric
	// and the credentials, not the whole section.
	p = startExporter(t, bin, cfgFile, storage)
	p.waitFor(t, lastSuccess)
	cfg, err := os.ReadFile(cfgFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgFile, []byte(strings.Replace(string(cfg), "amount: 300", "amount: 400", 1)), 0o600))
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGHUP))
	got := p.waitFor(t, `vigil_budget_amount{environment="test",provider="aws",currency="USD"} 400`)
	require.Equal(t, wantTS, value(got, lastSuccess), "the snapshot is kept across a budget change")
	require.Equal(t, 2, ceRequests(), "a budget change sends nothing to Cost Explorer")
	p.stop(t, syscall.SIGTERM)
	require.NoError(t, os.WriteFile(cfgFile, cfg, 0o600))

	// kill -9 while a refresh hangs upstream, on a fresh storage directory.
	killed := filepath.Join(dir, "killed")
	fake.Hang()
	before := ceRequests()
	p = startExporter(t, bin, cfgFile, killed)
	require.Eventually(t, func() bool { return ceRequests() > before }, 30*time.Second, 20*time.Millisecond, "the refresh never reached the fake")
	p.stop(t, syscall.SIGKILL)
	ledger, err := os.ReadFile(filepath.Join(killed, src+".budget.json"))
	require.NoError(t, err, "the budget ledger is written before the request is sent")
	require.Contains(t, string(ledger), `"used":1`)
	fake.Release()
	p = startExporter(t, bin, cfgFile, killed)
	got = p.waitFor(t, lastSuccess)
	require.Equal(t, want, billingLines(got), "after kill -9 mid-refresh the next start fetches and serves")
	p.stop(t, syscall.SIGTERM)

	// A truncated snapshot: set aside, the exporter starts and fetches again.
	snap := source.SnapshotFile(storage, src)
	data, err := os.ReadFile(snap)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(snap, data[:len(data)/2], 0o600))
	before = ceRequests()
	p = startExporter(t, bin, cfgFile, storage)
	got = p.waitFor(t, lastSuccess)
	require.Equal(t, want, billingLines(got))
	require.Greater(t, number(t, value(got, lastSuccess)), number(t, wantTS), "a new refresh replaced the truncated snapshot")
	require.Equal(t, before+2, ceRequests(), "one refresh: one page and one forecast")
	aside, _ := filepath.Glob(snap + ".corrupt-*")
	require.Len(t, aside, 1, "the truncated file is kept aside for a post-mortem")
	p.stop(t, syscall.SIGTERM)
}

func buildExporter(t *testing.T) string {
	t.Helper()
	return testenv.GoBuild(t, "vigil-exporter", "./cmd/exporter")
}

type exporter struct {
	cmd    *exec.Cmd
	addr   string
	log    *syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func startExporter(t *testing.T, bin, cfg, storage string) *exporter {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	// A stable home: the AWS credential variables enter the provider's
	// fingerprint, and so the snapshot's key.
	home := filepath.Join(filepath.Dir(cfg), "home")
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+storage, "--web.listen-address="+addr, "--log.level=debug")
	// Credentials for the fake only; nothing of the developer's ~/.aws.
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials")}
	log := &syncBuffer{mu: make(chan struct{}, 1)}
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	p := &exporter{cmd: cmd, addr: addr, log: log, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("exporter log:\n%s", log.String())
		}
	})
	return p
}

func (p *exporter) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the exporter did not exit")
	}
}

// waitFor waits until the exporter is ready and its scrape has the series,
// and returns the scrape.
func (p *exporter) waitFor(t *testing.T, series string) string {
	t.Helper()
	var body string
	require.Eventually(t, func() bool {
		select {
		case <-p.exited:
			t.Fatalf("the exporter exited:\n%s", p.log.String())
		default:
		}
		resp, err := http.Get("http://" + p.addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false
		}
		resp, err = http.Get("http://" + p.addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b strings.Builder
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
		}
		body = b.String()
		return resp.StatusCode == http.StatusOK && strings.Contains(body, series)
	}, 60*time.Second, 20*time.Millisecond, "the exporter never served %s", series)
	return body
}

// waitLog waits until the log mentions what at least n times.
func (p *exporter) waitLog(t *testing.T, what string, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		return strings.Count(strings.ToLower(p.log.String()), what) >= n
	}, 30*time.Second, 20*time.Millisecond, "the log never said %q %d times", what, n)
}

// billingLines are the collector's money series, in scrape order.
func billingLines(scrape string) []string {
	var out []string
	for _, l := range strings.Split(scrape, "\n") {
		if strings.HasPrefix(l, "vigil_billing_cost_") || strings.HasPrefix(l, "vigil_billing_forecast_") || strings.HasPrefix(l, "vigil_budget_") {
			out = append(out, l)
		}
	}
	return out
}

func number(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v
}

func value(scrape, series string) string {
	for _, l := range strings.Split(scrape, "\n") {
		if strings.HasPrefix(l, series+" ") {
			return strings.TrimPrefix(l, series+" ")
		}
	}
	return ""
}
