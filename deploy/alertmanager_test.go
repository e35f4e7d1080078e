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

// Each severity reaches its receiver, per `amtool config routes test`.
func TestAlertmanagerRoutes(t *testing.T) {
	amtool := testenv.Tool(t, "amtool", "tools")
	cases := []struct {
		name     string
		receiver string
		labels   []string
		wantOK   bool
	}{
		{"page to on-call", "oncall", []string{"alertname=KubePodCrashLooping", "namespace=shop", "severity=page"}, true},
		{"ticket to tickets", "ticket", []string{"alertname=KubeDeploymentSingleReplica", "namespace=shop", "severity=ticket"}, true},
		{"no severity to default", "default", []string{"alertname=Watchdog"}, true},
		{"unknown severity to default", "default", []string{"alertname=Other", "severity=info"}, true},
		// The check itself can fail: a ticket never pages.
		{"ticket does not page", "oncall", []string{"alertname=KubeDeploymentSingleReplica", "severity=ticket"}, false},
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

type amConfig struct {
	Route struct {
		GroupBy []string `json:"group_by"`
	} `json:"route"`
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

// The example's grouping and inhibition name alerts that alerts/ defines,
// and every alert there has a severity the routes know.
func TestAlertmanagerConfigMatchesTheAlerts(t *testing.T) {
	data, err := os.ReadFile(alertmanagerConfig())
	if err != nil {
		t.Fatal(err)
	}
	var cfg amConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Route.GroupBy, ",") != "alertname,namespace" {
		t.Errorf("group_by = %v, want [alertname namespace]", cfg.Route.GroupBy)
	}

	alerts := map[string]string{} // name -> severity
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
				if s := r.Labels["severity"]; s != "page" && s != "ticket" {
					t.Errorf("%s: alert %s has severity %q: the routes know page and ticket", filepath.Base(p), r.Alert, s)
				}
			}
		}
	}
	if len(alerts) == 0 {
		t.Fatal("no alerts in alerts/*.yml")
	}

	if len(cfg.InhibitRules) == 0 {
		t.Fatal("no inhibit_rules")
	}
	for _, rule := range cfg.InhibitRules {
		if strings.Join(rule.Equal, ",") != "cluster" {
			t.Errorf("inhibit rule equal = %v, want [cluster]", rule.Equal)
		}
		for _, side := range [][]string{rule.SourceMatchers, rule.TargetMatchers} {
			matched := 0
			for name := range alerts {
				if matchesAlertname(t, side, name) {
					matched++
				}
			}
			if matched == 0 {
				t.Errorf("inhibit rule matchers %v match no alert of alerts/*.yml", side)
			}
		}
	}
	// The unreachable API server silences pod alerts, and only those.
	for name := range alerts {
		rule := cfg.InhibitRules[0]
		if got, want := matchesAlertname(t, rule.TargetMatchers, name), strings.HasPrefix(name, "KubePod"); got != want {
			t.Errorf("alert %s inhibited by an unreachable API server: %v, want %v", name, got, want)
		}
	}
	if !matchesAlertname(t, cfg.InhibitRules[0].SourceMatchers, "KubeAPIServerUnreachable") {
		t.Errorf("the first inhibit rule's source is not KubeAPIServerUnreachable: %v", cfg.InhibitRules[0].SourceMatchers)
	}
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
// cluster c1 is unreachable, c1's pod alerts are inhibited and c2's are not.
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
	waitFor(t, "alertmanager ready", func() error {
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
	posted := []map[string]any{
		alert(map[string]string{"alertname": "KubeAPIServerUnreachable", "cluster": "c1", "environment": "production", "severity": "page"}),
		alert(map[string]string{"alertname": "KubePodCrashLooping", "cluster": "c1", "namespace": "shop", "pod": "web-1", "severity": "page"}),
		alert(map[string]string{"alertname": "KubePodCrashLooping", "cluster": "c2", "namespace": "shop", "pod": "web-1", "severity": "page"}),
		alert(map[string]string{"alertname": "KubeNodeNotReady", "cluster": "c1", "node": "n1", "severity": "page"}),
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
	want := map[string]string{ // alertname/cluster -> state
		"KubeAPIServerUnreachable/c1": "active",
		"KubePodCrashLooping/c1":      "suppressed",
		"KubePodCrashLooping/c2":      "active",
		"KubeNodeNotReady/c1":         "active",
	}
	// The inhibitor learns of the source alert asynchronously: poll.
	waitFor(t, "pod alert of c1 inhibited", func() error {
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
			states[a.Labels["alertname"]+"/"+a.Labels["cluster"]] = a.Status.State
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

// waitFor polls check until it succeeds; the limit is generous because it
// only bounds a failure, never measures speed.
func waitFor(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
