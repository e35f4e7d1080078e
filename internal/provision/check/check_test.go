package check

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func TestRegistryStatuses(t *testing.T) {
	for _, tc := range []struct {
		status int
		ok     bool
	}{{200, true}, {401, true}, {403, false}, {404, false}, {500, false}} {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v2/" {
				t.Errorf("registry check asked %s, want /v2/", r.URL.Path)
			}
			w.WriteHeader(tc.status)
		}))
		u, _ := url.Parse(srv.URL)
		in := Inputs{Outputs: map[string]json.RawMessage{OutRegistryHostname: raw(u.Host)},
			RegistryCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, Timeout: 5 * time.Second}
		res := registry(context.Background(), in)
		if res.OK != tc.ok {
			t.Errorf("status %d: ok = %v (%s), want %v", tc.status, res.OK, res.Detail, tc.ok)
		}
		srv.Close()
	}
}

func TestRegistryUntrustedOrDown(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	u, _ := url.Parse(srv.URL)
	// Not trusted: the system roots do not know httptest's CA.
	res := registry(context.Background(), Inputs{Outputs: map[string]json.RawMessage{OutRegistryHostname: raw(u.Host)}, Timeout: 5 * time.Second})
	if res.OK || !strings.Contains(res.Detail, "certificate") {
		t.Errorf("untrusted registry: %+v", res)
	}
	srv.Close()
	res = registry(context.Background(), Inputs{Outputs: map[string]json.RawMessage{OutRegistryHostname: raw(u.Host)}, Timeout: 5 * time.Second})
	if res.OK || !strings.Contains(res.Detail, "/v2/") {
		t.Errorf("registry down: %+v", res)
	}
}

func TestOutputChecks(t *testing.T) {
	outs := map[string]json.RawMessage{
		OutClusterState:  raw("ACTIVE"),
		OutNodePoolState: raw("FAILED"),
		OutPublicIPs:     raw([]string{"", " "}),
		OutLANPublic:     raw(false),
		OutKubeconfig:    raw("garbage: [\n"),
	}
	rep := Run(context.Background(), "dev", Inputs{Outputs: outs, ExpectLANPublic: false, ExpectSource: "test", Timeout: time.Second})
	got := strings.Join(rep.Failed(), ",")
	if got != "registry,kubernetes_api,node_pool_state,public_ips" {
		t.Errorf("failed = %s", got)
	}
	if rep.OK {
		t.Error("report OK with failures")
	}
	for _, c := range rep.Checks {
		if c.Name == "registry" && !strings.Contains(c.Detail, "missing") {
			t.Errorf("missing registry output: %q", c.Detail)
		}
		if c.Name == "kubernetes_api" && strings.Contains(c.Detail, "garbage") {
			t.Errorf("kubeconfig content printed: %q", c.Detail)
		}
	}
	// A single IP string is accepted, a number is not.
	if r := publicIPs(Inputs{Outputs: map[string]json.RawMessage{OutPublicIPs: raw("192.0.2.1")}}); !r.OK {
		t.Errorf("single IP: %+v", r)
	}
	if r := publicIPs(Inputs{Outputs: map[string]json.RawMessage{OutPublicIPs: raw(7)}}); r.OK {
		t.Errorf("number as IPs: %+v", r)
	}
	if r := lanPublic(Inputs{Outputs: map[string]json.RawMessage{OutLANPublic: raw(true)}, ExpectLANPublic: false}); r.OK {
		t.Errorf("public LAN expected private: %+v", r)
	}
}

func TestTable(t *testing.T) {
	rep := Report{Environment: "dev", Checks: []Result{{Name: "registry", OK: true, Detail: "200"}, {Name: "lan_public", Detail: "public=false"}}}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "CHECK") || !strings.Contains(lines[1], "OK") || !strings.Contains(lines[2], "FAIL") {
		t.Errorf("table:\n%s", b.String())
	}
}
