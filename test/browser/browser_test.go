package browser

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newBrowser starts headless Chromium from Debian's chromium package with a
// fresh profile, or skips (fails under CI=true) when it is not installed.
// The flags keep it off the network and quiet on a shared machine.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := tool(t, "chromium")
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1400),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser now, so a broken install fails here, clearly.
	require.NoError(t, chromedp.Do(ctx), "starting %s", bin)
	return ctx
}

// rowsText is the visible text (innerText: what a reader sees, hidden
// elements left out) of each body row of a table under selector.
func rowsText(ctx context.Context, selector string) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll(`+jsString(selector+" tbody tr")+`)).map(r => r.innerText.replace(/\s+/g, " ").trim())`))
}

func jsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// screenshot saves the whole page as PNG under the test's temp dir and
// logs where, so a person can look at it.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o600))
	if dir := os.Getenv("VIGIL_SCREENSHOT_DIR"); dir != "" { // keep a copy past the test
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o600))
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

func containsRow(rows []string, parts ...string) (string, bool) {
next:
	for _, r := range rows {
		for _, p := range parts {
			if !strings.Contains(r, p) {
				continue next
			}
		}
		return r, true
	}
	return "", false
}

var dateRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC`)

// TestStatusPageOnTheSandbox loads the exporter's status page in Chromium
// and reads the rows a person sees: every source, a failing probe with its
// reason, an expired certificate with its date, a backup past its RPO and
// the spend against budget.
func TestStatusPageOnTheSandbox(t *testing.T) {
	ctx := newBrowser(t)
	url := startExporter(t, "--sandbox")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible("#sources table")))
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	assert.Equal(t, "Vigil · sandbox", title)

	summary, err := chromedp.Run(ctx, chromedp.Text("#summary"))
	require.NoError(t, err)
	assert.Regexp(t, `\d+ probes failing`, summary, "the summary at the top counts the failing probes")

	sources, err := rowsText(ctx, "#sources")
	require.NoError(t, err)
	row, ok := containsRow(sources, "up", "kubernetes-apiserver")
	assert.True(t, ok, "no kubernetes-apiserver source row in %q", sources)
	assert.Regexp(t, `kubernetes-apiserver \d+s in \d+s \d+ ticket`, row, "age, next refresh, requests, criticality")

	probes, err := rowsText(ctx, "#probes")
	require.NoError(t, err)
	_, ok = containsRow(probes, "failed", "ticketly-health", "tcp_refused")
	assert.True(t, ok, "the refused probe does not show its reason: %q", probes)

	expiring, err := rowsText(ctx, "#expiry")
	require.NoError(t, err)
	row, ok = containsRow(expiring, "old-ingress.sandbox.vigil.test")
	require.True(t, ok, "the sandbox's expired ingress certificate is not listed: %q", expiring)
	assert.Contains(t, row, "expired")
	at, err := time.Parse("2006-01-02 15:04 UTC", dateRE.FindString(row))
	require.NoError(t, err, "no expiry date in %q", row)
	assert.True(t, at.Before(time.Now()), "expired on %s, which is not in the past", at)

	backups, err := rowsText(ctx, "#backups")
	require.NoError(t, err)
	_, ok = containsRow(backups, "too old", "terraform-state")
	assert.True(t, ok, "terraform-state (30 h old, RPO 24 h) is not too old: %q", backups)

	spend, err := rowsText(ctx, "#spend")
	require.NoError(t, err)
	// The sandbox AWS account has spent 276 of 300 USD; on the 1st (UTC)
	// the month to date, the month through yesterday, is 0.
	pct, spent := "92 %", "276.00"
	if time.Now().UTC().Day() == 1 {
		pct, spent = "0 %", "0.00"
	}
	_, ok = containsRow(spend, pct, "aws", spent, "300.00", "USD")
	assert.True(t, ok, "AWS spend against budget: %q", spend)

	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("header nav a")).map(a => a.getAttribute("href"))`))
	require.NoError(t, err)
	assert.Contains(t, links, "/metrics")
	screenshot(t, ctx, "status-page")
}

// TestStatusPageShowsAFailingSource: the sandbox's sources all work (test/e2e
// holds VigilSourceDown quiet on it), so this runs the exporter on a real
// configuration file with a backup target whose directory is not mounted:
// its source fails, and the page shows it first, down, with the reason.
func TestStatusPageShowsAFailingSource(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(`environment: browser-test
backup:
  targets:
    - name: pg-dumps
      kind: files
      directory: `+filepath.Join(dir, "not-mounted")+`
      interval: 24h
`), 0o600))
	url := startExporter(t, "--config.file="+cfg)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible("#sources table")))
	sources, err := rowsText(ctx, "#sources")
	require.NoError(t, err)
	require.NotEmpty(t, sources)
	assert.Regexp(t, `^down backup_files_pg-dumps never not_found `, sources[0], "the failing source first, with its reason")
	color, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#sources tbody tr .badge")).backgroundColor`))
	require.NoError(t, err)
	assert.Equal(t, "rgb(207, 34, 46)", color, "a down source's badge is red")
	screenshot(t, ctx, "failing-source")
}

// TestDemo runs `make demo`'s script as a user would, opens the Prometheus
// alerts page it prints in Chromium and waits for the sandbox's crash-loop
// and image-pull alerts, then stops it with Ctrl-C (SIGINT) and checks that
// it cleaned up.
//
// The issue asks for them "as firing". With the shipped rules that cannot
// happen within a test: KubePodCrashLooping has for: 15m and
// KubePodImagePullFailing for: 10m, and the demo does not shorten them. So
// the test requires each to be listed as active, pending or firing, which
// is what the alerts page shows within seconds of the first evaluation;
// KubePodOOMKilled, which has no for:, must already be firing.
func TestDemo(t *testing.T) {
	tool(t, "prometheus")
	tool(t, "prometheus-alertmanager")
	ctx := newBrowser(t)
	demo := startDemo(t)

	var states map[string][]string
	ok := assert.Eventually(t, func() bool {
		var err error
		states, err = alertStates(ctx, demo.alertsURL)
		if err != nil {
			t.Logf("alerts page: %v", err)
			return false
		}
		return activeIn(states["KubePodCrashLooping"]) && activeIn(states["KubePodImagePullFailing"]) &&
			contains(states["KubePodOOMKilled"], "firing")
	}, 2*time.Minute, 2*time.Second, "the alerts page never listed the sandbox's crash-loop and image-pull alerts")
	if !ok {
		t.Logf("alert states on the page: %v", states)
	}
	screenshot(t, ctx, "demo-alerts")

	// The status page the demo prints is Vigil's.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(demo.statusURL), chromedp.WaitVisible("#sources table")))
	sources, err := rowsText(ctx, "#sources")
	require.NoError(t, err)
	assert.NotEmpty(t, sources)

	demo.interrupt(t)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func activeIn(states []string) bool { return contains(states, "pending") || contains(states, "firing") }

// alertStates reads the alerts page of Debian's Prometheus 2.42 (its classic
// UI, server-rendered) as a person sees it: for each alerting rule whose
// header row is visible, the state its colour shows (firing red, pending
// yellow, inactive green), and the states of its active alerts, listed in
// the rule's details.
func alertStates(ctx context.Context, url string) (map[string][]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		return nil, err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[map[string][]string](`(() => {
		const out = {};
		for (const h of document.querySelectorAll("tr.alert_header")) {
			if (h.offsetParent === null) continue; // not displayed
			const name = h.querySelector("b").innerText.trim();
			const shown = h.classList.contains("alert-danger") ? "firing" : h.classList.contains("alert-warning") ? "pending" : "inactive";
			const details = h.nextElementSibling;
			const listed = Array.from(details ? details.querySelectorAll(".state_indicator") : []).map(s => s.textContent.trim().toLowerCase());
			out[name] = (out[name] || []).concat([shown], listed);
		}
		return out;
	})()`))
}

type demoRun struct {
	cmd                                   *exec.Cmd
	out                                   *syncBuffer
	statusURL, alertsURL, alertmanagerURL string
}

var urlRE = regexp.MustCompile(`(?m)^\s+(Vigil status page|Prometheus alerts|Alertmanager):\s+(\S+)`)

// startDemo runs scripts/demo.sh on free loopback ports and waits for it to
// print its URLs.
func startDemo(t *testing.T) *demoRun {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(filepath.Join(repoRoot(), "scripts", "demo.sh"))
	cmd.Env = append(os.Environ(),
		"VIGIL_DEMO_EXPORTER_PORT="+freePort(t), "VIGIL_DEMO_PROMETHEUS_PORT="+freePort(t),
		"VIGIL_DEMO_ALERTMANAGER_PORT="+freePort(t))
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	d := &demoRun{cmd: cmd, out: out}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // not stopped by the test: stop it now
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	})
	// The script builds the exporter first: allow for a cold build.
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Vigil demo running") },
		5*time.Minute, 200*time.Millisecond, "the demo never printed its URLs")
	for _, m := range urlRE.FindAllStringSubmatch(out.String(), -1) {
		switch m[1] {
		case "Vigil status page":
			d.statusURL = m[2]
		case "Prometheus alerts":
			d.alertsURL = m[2]
		case "Alertmanager":
			d.alertmanagerURL = m[2]
		}
	}
	require.NotEmpty(t, d.statusURL, out.String())
	require.NotEmpty(t, d.alertsURL, out.String())
	require.NotEmpty(t, d.alertmanagerURL, out.String())
	return d
}

// interrupt sends Ctrl-C's SIGINT and checks the demo stops, its
// processes gone and its temporary directory removed.
func (d *demoRun) interrupt(t *testing.T) {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(os.Interrupt))
	waited := make(chan error, 1)
	go func() { waited <- d.cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		t.Fatal("the demo did not stop within 30 s of SIGINT")
	}
	m := regexp.MustCompile(`stopped; removed (\S+)`).FindStringSubmatch(d.out.String())
	require.NotNil(t, m, "the demo did not say it cleaned up:\n%s", d.out.String())
	_, err := os.Stat(m[1])
	assert.True(t, os.IsNotExist(err), "the demo's temporary directory %s is still there", m[1])
	// All three: Vigil, Prometheus and Alertmanager.
	for _, u := range []string{d.statusURL, d.alertsURL, d.alertmanagerURL} {
		host := strings.Split(strings.TrimPrefix(u, "http://"), "/")[0]
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the demo stopped", host)
		}
	}
}
