package ionos

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/config"
)

const canary = "canary-token-5f3a9c1e"

// seen is one request as the upstream received it.
type seen struct {
	path, auth, contract string
	contracts            int // how many X-Contract-Number values
}

// cloudAPI is an httptest server speaking the Cloud API v6 wire format for
// GET /cloudapi/v6/datacenters, answering status (200 unless set).
type cloudAPI struct {
	*httptest.Server
	mu     sync.Mutex
	got    []seen
	status int
}

func newCloudAPI(t *testing.T) *cloudAPI {
	s := &cloudAPI{status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, seen{path: r.URL.Path, auth: r.Header.Get("Authorization"),
			contract: r.Header.Get("X-Contract-Number"), contracts: len(r.Header.Values("X-Contract-Number"))})
		status := s.status
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if status != http.StatusOK {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"httpStatus":%d,"messages":[{"errorCode":"451","message":"nope"}]}`, status)
			return
		}
		if r.URL.Path != "/cloudapi/v6/datacenters" || r.URL.Query().Get("depth") != "1" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"httpStatus":404,"messages":[{"errorCode":"309","message":"Resource does not exist"}]}`)
			return
		}
		fmt.Fprintf(w, `{"id":"datacenters","type":"collection","href":"%[1]s/cloudapi/v6/datacenters",
 "items":[{"id":"a1b2c3d4-0000-4000-8000-000000000001","type":"datacenter","href":"%[1]s/cloudapi/v6/datacenters/a1b2c3d4-0000-4000-8000-000000000001",
  "metadata":{"etag":"45480eb3","createdDate":"2025-04-10T09:12:44Z","createdBy":"ops@example.com","state":"AVAILABLE"},
  "properties":{"name":"prod-fra","location":"de/fra","version":57,"features":["SSD"],"secAuthProtection":false,"ipv6CidrBlock":null}}],
 "offset":0,"limit":1000,"_links":{"self":"%[1]s/cloudapi/v6/datacenters?offset=0&limit=1000"}}`, s.URL)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *cloudAPI) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.got...)
}

// counting stands in for the engine's per-source counting transport.
type counting struct {
	mu   sync.Mutex
	n    int
	urls []string
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.urls = append(c.urls, r.URL.Host+r.URL.Path)
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// clearEnv makes the IONOS tools' variables empty for the test.
func clearEnv(t *testing.T) {
	for _, v := range []string{EnvToken, EnvUsername, EnvPassword, EnvContractNumber, "IONOS_PINNED_CERT", "IONOS_LOG_LEVEL"} {
		t.Setenv(v, "")
	}
}

func secretFile(t *testing.T, value string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newProvider(t *testing.T, c *Config) *Provider {
	t.Helper()
	c.ApplyDefaults()
	if errs := c.Validate(); len(errs) != 0 {
		t.Fatalf("invalid config: %v", errs)
	}
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCloudAPIBearerContractAndCount: the SDK client sends the token as
// Bearer and the configured contract once, through the transport passed in.
func TestCloudAPIBearerContractAndCount(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvContractNumber, "99999999") // the config's number wins, and only it is sent
	up := newCloudAPI(t)
	p := newProvider(t, &Config{Token: &config.SecretRef{File: secretFile(t, canary)}, ContractNumber: "31234567",
		APIURL: up.URL + "/cloudapi/v6"})
	rt := &counting{}
	dcs, _, err := p.CloudAPI(rt).DataCentersApi.DatacentersGet(context.Background()).Depth(1).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if items := *dcs.Items; len(items) != 1 || *items[0].Properties.Name != "prod-fra" || *items[0].Metadata.State != "AVAILABLE" {
		t.Errorf("decoded %+v", items)
	}
	got := up.requests()
	if len(got) != 1 {
		t.Fatalf("upstream saw %d requests, want 1", len(got))
	}
	if got[0].auth != "Bearer "+canary {
		t.Errorf("Authorization = %q, want the token as Bearer", got[0].auth)
	}
	if got[0].contract != "31234567" || got[0].contracts != 1 {
		t.Errorf("X-Contract-Number = %q (%d values), want 31234567 once", got[0].contract, got[0].contracts)
	}
	if rt.count() != 1 {
		t.Errorf("the counting transport saw %d requests, want 1", rt.count())
	}
}

// TestBasicAuthFromFiles: username and password references become basic
// authentication, on the SDK client and the hand-written one alike.
func TestBasicAuthFromFiles(t *testing.T) {
	clearEnv(t)
	up := newCloudAPI(t)
	p := newProvider(t, &Config{
		Username: &config.SecretRef{File: secretFile(t, "ops@example.com")},
		Password: &config.SecretRef{File: secretFile(t, canary)},
		APIURL:   up.URL + "/cloudapi/v6", RegistryURL: up.URL + "/containerregistries",
	})
	if _, _, err := p.CloudAPI(nil).DataCentersApi.DatacentersGet(context.Background()).Depth(1).Execute(); err != nil {
		t.Fatal(err)
	}
	resp, err := p.HTTP(nil).Get(p.RegistryURL() + "/registries")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops@example.com:"+canary))
	for _, r := range up.requests() {
		if r.auth != want {
			t.Errorf("%s: Authorization = %q, want %q", r.path, r.auth, want)
		}
		if r.contracts != 0 {
			t.Errorf("%s: X-Contract-Number sent though none is configured", r.path)
		}
	}
	if p.AuthMethod() != "basic" {
		t.Errorf("AuthMethod = %q", p.AuthMethod())
	}
}

// TestEnvironmentFallback: with no credentials in the section, the IONOS
// tools' variables are used; with none at all, New says what to set.
func TestEnvironmentFallback(t *testing.T) {
	up := newCloudAPI(t)
	get := func(p *Provider) seen {
		t.Helper()
		n := len(up.requests())
		if _, _, err := p.CloudAPI(nil).DataCentersApi.DatacentersGet(context.Background()).Depth(1).Execute(); err != nil {
			t.Fatal(err)
		}
		return up.requests()[n]
	}
	t.Run("token", func(t *testing.T) {
		clearEnv(t)
		t.Setenv(EnvToken, canary)
		t.Setenv(EnvUsername, "ignored")
		t.Setenv(EnvPassword, "ignored")
		t.Setenv(EnvContractNumber, "31234567")
		p := newProvider(t, &Config{APIURL: up.URL})
		if r := get(p); r.auth != "Bearer "+canary || r.contract != "31234567" || r.contracts != 1 {
			t.Errorf("got %+v, want the IONOS_TOKEN as Bearer and IONOS_CONTRACT_NUMBER once", r)
		}
		if p.CredentialSource() != "environment variable "+EnvToken {
			t.Errorf("CredentialSource = %q", p.CredentialSource())
		}
	})
	t.Run("basic", func(t *testing.T) {
		clearEnv(t)
		t.Setenv(EnvUsername, "ops")
		t.Setenv(EnvPassword, canary)
		p := newProvider(t, &Config{APIURL: up.URL})
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:"+canary))
		if r := get(p); r.auth != want {
			t.Errorf("Authorization = %q, want %q", r.auth, want)
		}
	})
	t.Run("none", func(t *testing.T) {
		clearEnv(t)
		t.Setenv(EnvUsername, "ops") // a username without a password is not enough
		_, err := New(&Config{})
		if err == nil || !strings.Contains(err.Error(), EnvToken) || !strings.Contains(err.Error(), "token:") {
			t.Errorf("New without credentials: %v; want an error naming token: and %s", err, EnvToken)
		}
	})
	t.Run("bad contract variable", func(t *testing.T) {
		clearEnv(t)
		t.Setenv(EnvToken, canary)
		t.Setenv(EnvContractNumber, "abc")
		if _, err := New(&Config{}); err == nil || !strings.Contains(err.Error(), EnvContractNumber) {
			t.Errorf("New with IONOS_CONTRACT_NUMBER=abc: %v", err)
		}
	})
}

// TestNoRetries: the SDK sends one request per call whatever the answer, so
// the engine's backoff decides when to try again.
func TestNoRetries(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvToken, canary)
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInternalServerError} {
		up := newCloudAPI(t)
		up.status = status
		p := newProvider(t, &Config{APIURL: up.URL})
		rt := &counting{}
		_, resp, err := p.CloudAPI(rt).DataCentersApi.DatacentersGet(context.Background()).Depth(1).Execute()
		if err == nil || resp == nil || resp.StatusCode != status {
			t.Errorf("status %d: err %v", status, err)
		}
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Errorf("status %d: the SDK error shows the token: %v", status, err)
		}
		if n := len(up.requests()); n != 1 || rt.count() != 1 {
			t.Errorf("status %d: upstream saw %d requests, transport %d; want 1 (no retries)", status, n, rt.count())
		}
	}
}

// TestEachSourceItsOwnTransport: two sources' clients count apart, and
// IONOS_PINNED_CERT cannot replace the transport (and with it the count and
// the credentials).
func TestEachSourceItsOwnTransport(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvToken, canary)
	t.Setenv("IONOS_PINNED_CERT", strings.Repeat("ab", 32))
	up := newCloudAPI(t)
	p := newProvider(t, &Config{APIURL: up.URL})
	a, b := &counting{}, &counting{}
	ca, cb := p.CloudAPI(a), p.CloudAPI(b)
	for i := 0; i < 3; i++ {
		if _, _, err := ca.DataCentersApi.DatacentersGet(context.Background()).Depth(1).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := cb.DataCentersApi.DatacentersGet(context.Background()).Depth(1).Execute(); err != nil {
		t.Fatal(err)
	}
	if a.count() != 3 || b.count() != 1 {
		t.Errorf("source a counted %d (want 3), source b %d (want 1)", a.count(), b.count())
	}
	if ca.GetConfig().HTTPClient == cb.GetConfig().HTTPClient {
		t.Error("two sources share one http.Client")
	}
}

// TestCredentialsStayOnIONOSHosts: a redirect to another host reaches it
// through the source's transport, without the token or the contract.
func TestCredentialsStayOnIONOSHosts(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvToken, canary)
	var foreign seen
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign = seen{path: r.URL.Path, auth: r.Header.Get("Authorization"), contract: r.Header.Get("X-Contract-Number")}
	}))
	defer other.Close()
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+canary {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer reg.Close()
	p := newProvider(t, &Config{RegistryURL: reg.URL, ContractNumber: "31234567"})
	rt := &counting{}
	resp, err := p.HTTP(rt).Get(reg.URL + "/registries")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || foreign.path != "/elsewhere" {
		t.Fatalf("redirect not followed: %d %+v", resp.StatusCode, foreign)
	}
	if foreign.auth != "" || foreign.contract != "" {
		t.Errorf("another host received Authorization %q, X-Contract-Number %q", foreign.auth, foreign.contract)
	}
	if rt.count() != 2 {
		t.Errorf("the source's transport saw %d requests, want 2 (%v)", rt.count(), rt.urls)
	}
}
