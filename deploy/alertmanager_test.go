package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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

	"sigs.k8s.io/yaml"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func alertmanagerConfig() string {
	return filepath.Join(testenv.RepoRoot(), "deploy", "alertmanager", "alertmanager.yml")
}

func TestAlertmanagerConfigIsValid(t *testing.T) {
	amtool := testenv.Tool(t, "amtool", "tools")
	out, err := exec.Command(amtool, "check-config", alertmanagerConfig()).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
}

// Each environment and severity reaches its receiver, per `amtool config
// routes test`: production pages, dev and staging open tickets, an unknown
// environment pages, and the Watchdog goes to the dead man's switch.
func TestAlertmanagerRoutes(t *testing.T) {
	amtool := testenv.Tool(t, "amtool", "tools")
	cases := []struct {
		name     string
		receiver string
		labels   []string
		wantOK   bool
	}{
		{"production page to on-call", "oncall", []string{"alertname=KubePodCrashLooping", "environment=production", "cluster=ionos-production", "namespace=shop", "severity=page"}, true},
		{"production ticket to tickets", "ticket", []string{"alertname=KubeDeploymentSingleReplica", "environment=production", "namespace=shop", "severity=ticket"}, true},
		{"staging page to tickets", "ticket", []string{"alertname=KubePodCrashLooping", "environment=staging", "cluster=ionos-staging", "namespace=shop", "severity=page"}, true},
		{"dev page to tickets", "ticket", []string{"alertname=KubeNodeNotReady", "environment=dev", "cluster=ionos-dev", "severity=page"}, true},
		{"dev ticket to tickets", "ticket", []string{"alertname=KubeNodeCordoned", "environment=dev", "severity=ticket"}, true},
		{"unknown environment pages", "oncall", []string{"alertname=KubePodCrashLooping", "environment=qa", "severity=page"}, true},
		{"Vigil not scraped without environment pages", "oncall", []string{"alertname=VigilNotScraped", "job=vigil", "severity=page"}, true},
		{"Watchdog to the dead man's switch", "deadmansswitch", []string{"alertname=Watchdog", "environment=production", "severity=none"}, true},
		{"Watchdog of dev to the dead man's switch", "deadmansswitch", []string{"alertname=Watchdog", "environment=dev", "severity=none"}, true},
		{"maintenance reaches no one", "inhibit-only", []string{"alertname=KubernetesClusterMaintenance", "environment=production", "cluster=c1", "severity=none"}, true},
		{"apply in progress reaches no one", "inhibit-only", []string{"alertname=ProvisionApplyInProgress", "environment=production", "severity=none"}, true},
		{"no severity to default", "default", []string{"alertname=Other", "environment=production"}, true},
		{"unknown severity to default", "default", []string{"alertname=Other", "severity=info"}, true},
		// The checks themselves can fail: staging never pages, production
		// pages never become tickets, the Watchdog never pages.
		{"staging does not page", "oncall", []string{"alertname=KubePodCrashLooping", "environment=staging", "severity=page"}, false},
		{"dev does not page", "oncall", []string{"alertname=KubeNodeNotReady", "environment=dev", "severity=page"}, false},
		{"production page is not a ticket", "ticket", []string{"alertname=KubePodCrashLooping", "environment=production", "severity=page"}, false},
		{"ticket does not page", "oncall", []string{"alertname=KubeDeploymentSingleReplica", "environment=production", "severity=ticket"}, false},
		{"Watchdog does not page", "oncall", []string{"alertname=Watchdog", "environment=production", "severity=none"}, false},
		{"maintenance does not page", "oncall", []string{"alertname=KubernetesClusterMaintenance", "environment=production", "cluster=c1", "severity=none"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"config", "routes", "test", "--config.file=" + alertmanagerConfig(), "--verify.receivers=" + tc.receiver}, tc.labels...)
			out, err := exec.Command(amtool, args...).CombinedOutput()
			if ok := err == nil; ok != tc.wantOK {
				t.Fatalf("amtool %s: error %v (want success %v)\n%s", strings.Join(args, " "), err, tc.wantOK, out)
			}
		})
	}
}

type amRoute struct {
	Matchers []string  `json:"matchers"`
	Receiver string    `json:"receiver"`
	GroupBy  []string  `json:"group_by"`
	Routes   []amRoute `json:"routes"`
}

type amConfig struct {
	Route        amRoute `json:"route"`
	InhibitRules []struct {
		SourceMatchers []string `json:"source_matchers"`
		TargetMatchers []string `json:"target_matchers"`
		Equal          []string `json:"equal"`
	} `json:"inhibit_rules"`
}

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert  string            `json:"alert"`
			Labels map[string]string `json:"labels"`
		} `json:"rules"`
	} `json:"groups"`
}

// The example's grouping and inhibition fit the alerts alerts/ defines, and
// every alert there has a severity the routes know.
func TestAlertmanagerConfigMatchesTheAlerts(t *testing.T) {
	data, err := os.ReadFile(alertmanagerConfig())
	if err != nil {
		t.Fatal(err)
	}
	var cfg amConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	// Pages of different environments or clusters are never grouped.
	for _, l := range []string{"alertname", "environment", "cluster"} {
		if !slices.Contains(cfg.Route.GroupBy, l) {
			t.Errorf("group_by = %v: it lacks %s, so alerts differing only in %s share a notification", cfg.Route.GroupBy, l, l)
		}
	}
	if strings.Contains(string(data), "sandbox") {
		t.Error("the example mentions the sandbox: the sandbox's fake faults must never be routed specially (nor run where they could page)")
	}
	if len(cfg.Route.Routes) == 0 || cfg.Route.Routes[0].Receiver != "deadmansswitch" || !slices.Equal(cfg.Route.Routes[0].Matchers, []string{`alertname="Watchdog"`}) {
		t.Errorf("the first route must send alertname=\"Watchdog\" to deadmansswitch, so no other route takes it")
	}

	alerts := map[string]string{} // name -> severity
	clusterAlerts := map[string]bool{}
	paths, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(), "alerts", "*.yml"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f ruleFile
		if err := yaml.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				alerts[r.Alert] = r.Labels["severity"]
				if filepath.Base(p) == "cluster.yml" {
					clusterAlerts[r.Alert] = true
				}
				s := r.Labels["severity"]
				quiet := r.Alert == "Watchdog" || inhibitors[r.Alert] != nil
				if quiet && s != "none" || !quiet && s != "page" && s != "ticket" {
					t.Errorf("%s: alert %s has severity %q: the routes know page and ticket, and none for the Watchdog", filepath.Base(p), r.Alert, s)
				}
			}
		}
	}
	if len(alerts) == 0 || len(clusterAlerts) == 0 {
		t.Fatal("no alerts in alerts/*.yml")
	}

	if len(cfg.InhibitRules) != 1+len(inhibitors) {
		t.Fatalf("%d inhibit_rules, want the one for KubeAPIServerUnreachable and one per maintenance alert", len(cfg.InhibitRules))
	}
	rule := cfg.InhibitRules[0]
	// One cluster's outage inhibits only that cluster's alerts.
	if strings.Join(rule.Equal, ",") != "environment,cluster" {
		t.Errorf("inhibit rule equal = %v, want [environment cluster]", rule.Equal)
	}
	if !matchesAlertname(t, rule.SourceMatchers, "KubeAPIServerUnreachable") {
		t.Errorf("the inhibit rule's source is not KubeAPIServerUnreachable: %v", rule.SourceMatchers)
	}
	// It silences every other alert about the cluster's objects, as its
	// comment says, and nothing else (never the Watchdog, never Vigil's own).
	for name := range alerts {
		want := clusterAlerts[name] && name != "KubeAPIServerUnreachable"
		if got := matchesAlertname(t, rule.TargetMatchers, name); got != want {
			t.Errorf("alert %s inhibited by an unreachable API server: %v, want %v", name, got, want)
		}
	}
	// Maintenance and applies hold back node and pod alerts only, of their
	// cluster (or environment), never an infrastructure or Vigil alert.
	for i, r := range cfg.InhibitRules[1:] {
		var src string
		for name := range inhibitors {
			if matchesAlertname(t, r.SourceMatchers, name) {
				src = name
			}
		}
		if src == "" || alerts[src] != "none" {
			t.Fatalf("inhibit_rules[%d]: source %v is not a severity-none maintenance alert of alerts/", i+1, r.SourceMatchers)
		}
		if got := strings.Join(r.Equal, ","); got != strings.Join(inhibitors[src], ",") {
			t.Errorf("inhibit rule of %s: equal = %s, want %v", src, got, inhibitors[src])
		}
		for name := range alerts {
			want := clusterAlerts[name] && (strings.HasPrefix(name, "KubePod") || strings.HasPrefix(name, "KubeNode"))
			if got := matchesAlertname(t, r.TargetMatchers, name); got != want {
				t.Errorf("alert %s inhibited by %s: %v, want %v", name, src, got, want)
			}
		}
	}
}

// inhibitors are the severity-none alerts that hold back node and pod
// alerts, and the labels an inhibited alert must share with them.
var inhibitors = map[string][]string{
	"KubernetesClusterMaintenance": {"environment", "cluster"},
	"ProvisionApplyInProgress":     {"environment"},
}

var matcherRE = regexp.MustCompile(`^alertname\s*(=~|=)\s*"(.*)"$`)

// matchesAlertname evaluates the alertname matchers of an inhibit rule side
// (written as alertname="X" or alertname=~"re"; others are ignored).
func matchesAlertname(t *testing.T, matchers []string, name string) bool {
	t.Helper()
	for _, m := range matchers {
		sub := matcherRE.FindStringSubmatch(m)
		if sub == nil {
			continue
		}
		if sub[1] == "=" && sub[2] != name {
			return false
		}
		if sub[1] == "=~" && !regexp.MustCompile("^(?:"+sub[2]+")$").MatchString(name) {
			return false
		}
	}
	return true
}

// A real Alertmanager with the example configuration: while the API server of
// production's cluster c1 is unreachable, c1's pod and node alerts are
// inhibited, and those of production's c2 and of staging's c1 are not.
func TestAlertmanagerInhibitsPodAlertsOfUnreachableCluster(t *testing.T) {
	bin := testenv.Tool(t, "prometheus-alertmanager", "tools")
	addr := freeAddr(t)
	dir := t.TempDir()
	cmd := exec.Command(bin,
		"--config.file="+alertmanagerConfig(),
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
		"--log.level=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	testenv.WaitFor(t, "alertmanager ready", func() error {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})

	alert := func(labels map[string]string) map[string]any {
		return map[string]any{"labels": labels, "startsAt": time.Now().Add(-time.Minute).Format(time.RFC3339)}
	}
	// Two clusters in production, c1 unreachable; staging has a cluster
	// named c1 too, and it is fine.
	posted := []map[string]any{
		alert(map[string]string{"alertname": "KubeAPIServerUnreachable", "cluster": "c1", "environment": "production", "severity": "page"}),
		alert(map[string]string{"alertname": "KubePodCrashLooping", "cluster": "c1", "environment": "production", "namespace": "shop", "pod": "web-1", "container": "web", "severity": "page"}),
		alert(map[string]string{"alertname": "KubeNodeNotReady", "cluster": "c1", "environment": "production", "node": "n1", "condition": "Ready", "severity": "page"}),
		alert(map[string]string{"alertname": "KubePodCrashLooping", "cluster": "c2", "environment": "production", "namespace": "shop", "pod": "web-1", "container": "web", "severity": "page"}),
		alert(map[string]string{"alertname": "KubeNodeNotReady", "cluster": "c2", "environment": "production", "node": "n1", "condition": "Ready", "severity": "page"}),
		alert(map[string]string{"alertname": "KubePodCrashLooping", "cluster": "c1", "environment": "staging", "namespace": "shop", "pod": "web-1", "container": "web", "severity": "page"}),
		alert(map[string]string{"alertname": "Watchdog", "environment": "production", "severity": "none"}),
	}
	body, _ := json.Marshal(posted)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting alerts: status %d", resp.StatusCode)
	}

	type gotAlert struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			State       string   `json:"state"`
			InhibitedBy []string `json:"inhibitedBy"`
		} `json:"status"`
	}
	want := map[string]string{ // alertname/environment/cluster -> state
		"KubeAPIServerUnreachable/production/c1": "active",
		"KubePodCrashLooping/production/c1":      "suppressed",
		"KubeNodeNotReady/production/c1":         "suppressed",
		"KubePodCrashLooping/production/c2":      "active",
		"KubeNodeNotReady/production/c2":         "active",
		"KubePodCrashLooping/staging/c1":         "active",
		"Watchdog/production/":                   "active",
	}
	// The inhibitor learns of the source alert asynchronously: poll.
	testenv.WaitFor(t, "alerts of production/c1 inhibited", func() error {
		resp, err := http.Get(base + "/api/v2/alerts")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var got []gotAlert
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			return err
		}
		states := map[string]string{}
		for _, a := range got {
			states[a.Labels["alertname"]+"/"+a.Labels["environment"]+"/"+a.Labels["cluster"]] = a.Status.State
			if a.Status.State == "suppressed" && len(a.Status.InhibitedBy) == 0 {
				return fmt.Errorf("%v suppressed but not inhibited", a.Labels)
			}
		}
		for k, v := range want {
			if states[k] != v {
				return fmt.Errorf("states %v, want %v", states, want)
			}
		}
		return nil
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// A real Alertmanager with the example configuration: while IONOS
// maintains production's cluster c1 (KubernetesClusterMaintenance, the
// IONOS cluster already mapped to c1) and `provision apply` runs for
// staging, the node and pod alerts of production/c1 and of every staging
// cluster are held back; production/c2's are not, nor is an
// infrastructure page of production/c1.
func TestAlertmanagerInhibitsDuringMaintenanceAndApply(t *testing.T) {
	base := startAlertmanager(t)
	alert := func(labels map[string]string) map[string]any {
		return map[string]any{"labels": labels, "startsAt": time.Now().Add(-time.Minute).Format(time.RFC3339)}
	}
	posted := []map[string]any{
		alert(map[string]string{"alertname": "KubernetesClusterMaintenance", "cluster": "c1", "kubernetes_cluster": "c1", "environment": "production", "severity": "none"}),
		alert(map[string]string{"alertname": "ProvisionApplyInProgress", "environment": "staging", "severity": "none"}),
		alert(map[string]string{"alertname": "KubeNodeNotReady", "cluster": "c1", "environment": "production", "node": "n1", "condition": "Ready", "severity": "page"}),
		alert(map[string]string{"alertname": "KubePodCrashLooping", "cluster": "c1", "environment": "production", "namespace": "shop", "pod": "web-1", "container": "web", "severity": "page"}),
		alert(map[string]string{"alertname": "KubeNodeNotReady", "cluster": "c2", "environment": "production", "node": "n1", "condition": "Ready", "severity": "page"}),
		alert(map[string]string{"alertname": "EC2NodeNotRunning", "cluster": "c1", "environment": "production", "instance_id": "i-1", "severity": "page"}),
		alert(map[string]string{"alertname": "KubePodCrashLooping", "cluster": "c1", "environment": "staging", "namespace": "shop", "pod": "web-1", "container": "web", "severity": "page"}),
		alert(map[string]string{"alertname": "KubeNodeNotReady", "cluster": "c9", "environment": "staging", "node": "n1", "condition": "Ready", "severity": "page"}),
	}
	body, _ := json.Marshal(posted)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting alerts: status %d", resp.StatusCode)
	}
	want := map[string]string{ // alertname/environment/cluster -> state
		"KubernetesClusterMaintenance/production/c1": "active",
		"ProvisionApplyInProgress/staging/":          "active",
		"KubeNodeNotReady/production/c1":             "suppressed",
		"KubePodCrashLooping/production/c1":          "suppressed",
		"KubeNodeNotReady/production/c2":             "active",
		"EC2NodeNotRunning/production/c1":            "active",
		"KubePodCrashLooping/staging/c1":             "suppressed",
		"KubeNodeNotReady/staging/c9":                "suppressed",
	}
	testenv.WaitFor(t, "node and pod alerts held back", func() error {
		resp, err := http.Get(base + "/api/v2/alerts")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var got []struct {
			Labels map[string]string `json:"labels"`
			Status struct {
				State string `json:"state"`
			} `json:"status"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			return err
		}
		states := map[string]string{}
		for _, a := range got {
			states[a.Labels["alertname"]+"/"+a.Labels["environment"]+"/"+a.Labels["cluster"]] = a.Status.State
		}
		for k, v := range want {
			if states[k] != v {
				return fmt.Errorf("states %v, want %v", states, want)
			}
		}
		return nil
	})
}

// startAlertmanager runs the real Alertmanager with the example
// configuration on loopback and returns its base URL once ready.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	bin := testenv.Tool(t, "prometheus-alertmanager", "tools")
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+alertmanagerConfig(), "--storage.path="+filepath.Join(t.TempDir(), "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	var logs testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	testenv.WaitFor(t, "alertmanager ready", func() error {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	return base
}
