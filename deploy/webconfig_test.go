package deploy_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func componentDir(name string) string {
	return filepath.Join(testenv.RepoRoot(), "deploy", "components", name)
}

// withWebConfig builds an overlay that adds the web-config component to
// the production overlay, as a user's overlay would.
func withWebConfig(t testing.TB) []*unstructured.Unstructured {
	t.Helper()
	dir := t.TempDir()
	// kustomize takes no absolute roots: refer to them relatively.
	rel := func(to string) string {
		r, err := filepath.Rel(dir, to)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.ToSlash(r)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + rel(overlayDir("production")) +
		"\ncomponents:\n  - " + rel(componentDir("web-config")) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return build(t, dir)
}

// The web-config component turns on TLS and basic auth on both ends: the
// exporter reads the Secret's web-config.yml, the ServiceMonitor scrapes
// over HTTPS with the Secret's CA and credentials, and the probes do not
// depend on credentials the kubelet cannot send.
func TestWebConfigComponent(t *testing.T) {
	objs := withWebConfig(t)
	dep := find(t, objs, "Deployment", "vigil")
	c := container(t, dep)
	args, _, _ := unstructured.NestedStringSlice(c, "args")
	if !slices.Contains(args, "--web.config.file=/etc/vigil/web/web-config.yml") {
		t.Errorf("args = %q, want --web.config.file=/etc/vigil/web/web-config.yml", args)
	}
	mounts, _, _ := unstructured.NestedSlice(c, "volumeMounts")
	var mounted bool
	for _, m := range mounts {
		m := m.(map[string]any)
		if m["name"] == "web-config" && m["mountPath"] == "/etc/vigil/web" && m["readOnly"] == true {
			mounted = true
		}
	}
	vols, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "volumes")
	var fromSecret bool
	for _, v := range vols {
		if name, _, _ := unstructured.NestedString(v.(map[string]any), "secret", "secretName"); name == "vigil-web-config" && v.(map[string]any)["name"] == "web-config" {
			fromSecret = true
			// Only the server's files: the plaintext password and the CA
			// are Prometheus', and stay out of Vigil's pod.
			items, _, _ := unstructured.NestedSlice(v.(map[string]any), "secret", "items")
			var keys []string
			for _, it := range items {
				keys = append(keys, it.(map[string]any)["key"].(string))
			}
			if strings.Join(keys, ",") != "web-config.yml,tls.crt,tls.key" {
				t.Errorf("the web-config volume projects %v, want only web-config.yml, tls.crt and tls.key", keys)
			}
		}
	}
	if !mounted || !fromSecret {
		t.Errorf("the Secret vigil-web-config is not mounted read-only at /etc/vigil/web (mounts %v, volumes %v)", mounts, vols)
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		if _, http, _ := unstructured.NestedMap(c, probe, "httpGet"); http {
			t.Errorf("%s is an HTTP probe: with basic auth on, the kubelet gets 401", probe)
		}
		if port, _, _ := unstructured.NestedString(c, probe, "tcpSocket", "port"); port != "http-metrics" {
			t.Errorf("%s does not check the port http-metrics", probe)
		}
	}

	sm := find(t, objs, "ServiceMonitor", "vigil")
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	ep := eps[0].(map[string]any)
	for _, f := range []struct {
		path []string
		want string
	}{
		{[]string{"scheme"}, "https"},
		{[]string{"tlsConfig", "serverName"}, "vigil.vigil.svc"},
		{[]string{"tlsConfig", "ca", "secret", "name"}, "vigil-web-config"},
		{[]string{"basicAuth", "username", "name"}, "vigil-web-config"},
		{[]string{"basicAuth", "password", "name"}, "vigil-web-config"},
	} {
		if got, _, _ := unstructured.NestedString(ep, f.path...); got != f.want {
			t.Errorf("ServiceMonitor endpoint %s = %q, want %q", strings.Join(f.path, "."), got, f.want)
		}
	}

	// Without the component: plain HTTP probes and no Secret.
	plain := container(t, find(t, build(t, overlayDir("production")), "Deployment", "vigil"))
	if p, _, _ := unstructured.NestedString(plain, "readinessProbe", "httpGet", "path"); p != "/-/ready" {
		t.Errorf("without the component the readiness probe is %v", plain["readinessProbe"])
	}
}

// The example web configuration is valid for promtool (exporter-toolkit's
// own check), with the files where the component mounts them.
func TestWebConfigExample(t *testing.T) {
	promtool := testenv.Tool(t, "promtool", "tools")
	dir := t.TempDir()
	writeSelfSigned(t, filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	example, err := os.ReadFile(filepath.Join(componentDir("web-config"), "web-config.example.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(example), "/etc/vigil/web/tls.crt") {
		t.Fatal("the example does not read the certificate from where the component mounts it")
	}
	cfg := filepath.Join(dir, "web-config.yml")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(example), "/etc/vigil/web/", dir+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "web-config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("promtool check web-config: %v\n%s", err, out)
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil.vigil.svc"},
		DNSNames: []string{"vigil.vigil.svc"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}
