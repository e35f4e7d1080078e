package aws

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m)) }

// motoURL returns the shared moto_server, reset for this test.
func motoURL(t *testing.T) string { return testenv.Moto(t) }

// call is one STS request as the proxy saw it.
type call struct {
	action, keyID, region string
	form                  url.Values
}

// stsProxy stands between the SDK and moto: it records every call, and can
// answer a status of its own instead of forwarding.
type stsProxy struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
	fail  int // answer this status instead of forwarding, when not 0
}

var credScope = regexp.MustCompile(`Credential=([^/]+)/[0-9]+/([^/]+)/`)

func newSTSProxy(t *testing.T) *stsProxy {
	target, err := url.Parse(motoURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &stsProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		c := call{action: form.Get("Action"), form: form}
		if m := credScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			c.keyID, c.region = m[1], m[2]
		}
		p.mu.Lock()
		p.calls = append(p.calls, c)
		fail := p.fail
		p.mu.Unlock()
		if fail != 0 {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(fail)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *stsProxy) setFail(status int) {
	p.mu.Lock()
	p.fail = status
	p.mu.Unlock()
}

// of returns the calls of one action.
func (p *stsProxy) of(action string) []call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []call
	for _, c := range p.calls {
		if c.action == action {
			out = append(out, c)
		}
	}
	return out
}

const (
	testKeyID  = "AKIAVIGILTEST0000001"
	testSecret = "canary-secret-9b8e7d6c5f4a"
)

// isolate gives the default chain static test credentials from the
// environment and empty config files, so ~/.aws and instance metadata are
// never read.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID": testKeyID, "AWS_SECRET_ACCESS_KEY": testSecret, "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_STS": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

func newProvider(t *testing.T, c *Config) *Provider {
	t.Helper()
	c.ApplyDefaults()
	if errs := c.Validate(); len(errs) != 0 {
		t.Fatalf("invalid config: %v", errs)
	}
	p, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// counting stands in for the engine's per-source counting transport.
type counting struct {
	mu sync.Mutex
	n  int
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
