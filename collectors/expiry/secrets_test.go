package expiry_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vigil-monitoring/vigil/collectors/expiry"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// One envtest control plane and one moto_server serve the package.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithMoto(runner(func() int { return testenv.RunShared(m) })))
}

type runner func() int

func (r runner) Run() int { return r() }

// countingConfig counts the response bytes the API server sends.
func countingConfig(rc *rest.Config, n *atomic.Int64) *rest.Config {
	rc = rest.CopyConfig(rc)
	rc.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return rtFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(r)
			if err == nil {
				resp.Body = &countingBody{ReadCloser: resp.Body, n: n}
			}
			return resp, err
		})
	}
	return rc
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func tlsSecret(name, ns string, leaf *sandbox.Cert, crt, ca []byte) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: crt, corev1.TLSPrivateKeyKey: leaf.KeyPEM()}}
	if ca != nil {
		s.Data["ca.crt"] = ca
	}
	return s
}

func createNamespace(t testing.TB, kube kubernetes.Interface, name string) {
	t.Helper()
	_, err := kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// TLS Secrets of the listed namespaces, read through an informer from a real
// API server: tls.crt (a chain) and ca.crt per chain position, updates and
// deletions seen at once; Secrets of other types and other namespaces are
// never read, and only TLS Secrets cross the wire (a 1 MiB Helm release
// Secret in the same namespace is filtered by the API server).
func TestKubernetesTLSSecrets(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	createNamespace(t, kube, "apps")
	createNamespace(t, kube, "elsewhere")
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	root, err := sandbox.NewRoot("apps-root", now.Add(-day), now.Add(3650*day))
	require.NoError(t, err)
	inter, err := root.Issue("apps-inter", true, now.Add(-day), now.Add(3*day))
	require.NoError(t, err)
	leaf, err := inter.Issue("web.apps", false, now.Add(-day), now.Add(30*day))
	require.NoError(t, err)
	_, err = kube.CoreV1().Secrets("apps").Create(ctx, tlsSecret("web-tls", "apps", leaf, sandbox.ChainPEM(leaf, inter), root.PEM()), metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = kube.CoreV1().Secrets("elsewhere").Create(ctx, tlsSecret("other-tls", "elsewhere", leaf, leaf.PEM(), nil), metav1.CreateOptions{})
	require.NoError(t, err)
	helm := bytes.Repeat([]byte("H"), 1<<20-4096) // a full-sized Helm release Secret
	_, err = kube.CoreV1().Secrets("apps").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.web.v1", Namespace: "apps"},
		Type: "helm.sh/release.v1", Data: map[string][]byte{"release": helm, "cert.pem": leaf.PEM()}}, metav1.CreateOptions{})
	require.NoError(t, err)

	var received atomic.Int64
	sec := &expiry.Section{KubernetesSecrets: &expiry.KubernetesSecrets{Namespaces: []string{"apps"}}}
	sec.ApplyDefaults()
	require.Empty(t, sec.Validate())
	g := source.NewGroup(source.NewMetrics(), nil)
	c := expiry.New(sec, "k", g, nil, nil)
	require.NoError(t, c.WatchSecrets(countingConfig(rc, &received)))
	g.Start(ctx)
	c.Start(ctx)
	t.Cleanup(func() { c.Stop(); g.Stop(false) })
	require.Eventually(t, c.Ready, 30*time.Second, 10*time.Millisecond)
	h := &harness{c: c, group: g, logs: &testenv.SyncBuffer{}}

	assert.Equal(t, map[string]time.Time{
		"apps/web-tls tls.crt leaf web.apps":           now.Add(30 * day),
		"apps/web-tls tls.crt intermediate apps-inter": now.Add(3 * day),
		"apps/web-tls ca.crt root apps-root":           now.Add(3650 * day),
	}, notAfter(h.scrape(t)), "only TLS Secrets of listed namespaces, every certificate per chain position")
	assert.Less(t, received.Load(), int64(256<<10), "the 1 MiB Helm Secret crossed the wire: the type filter must be server-side")

	renewed, err := inter.Issue("web.apps", false, now, now.Add(90*day))
	require.NoError(t, err)
	_, err = kube.CoreV1().Secrets("apps").Update(ctx, tlsSecret("web-tls", "apps", renewed, sandbox.ChainPEM(renewed, inter), root.PEM()), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return notAfter(h.scrape(t))["apps/web-tls tls.crt leaf web.apps"].Equal(now.Add(90 * day))
	}, 10*time.Second, 10*time.Millisecond, "a renewed certificate is seen at once")
	require.NoError(t, kube.CoreV1().Secrets("apps").Delete(ctx, "web-tls", metav1.DeleteOptions{}))
	require.Eventually(t, func() bool { return len(notAfter(h.scrape(t))) == 0 }, 10*time.Second, 10*time.Millisecond,
		"a deleted Secret's series vanish")
}

// Without a Role in a namespace, the informer cannot list: that is logged
// with what to grant, and /-/ready does not wait for it forever.
func TestKubernetesSecretsForbidden(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(t, err)
	createNamespace(t, kube, "locked")
	nobody := rest.CopyConfig(rc)
	nobody.Impersonate = rest.ImpersonationConfig{UserName: "vigil-without-role"}
	logs := &testenv.SyncBuffer{}
	sec := &expiry.Section{KubernetesSecrets: &expiry.KubernetesSecrets{Namespaces: []string{"locked"}}}
	sec.ApplyDefaults()
	g := source.NewGroup(source.NewMetrics(), nil)
	c := expiry.New(sec, "k", g, slogTo(logs), nil)
	require.NoError(t, c.WatchSecrets(nobody))
	c.Start(context.Background())
	defer c.Stop()
	require.Eventually(t, c.Ready, 30*time.Second, 10*time.Millisecond)
	assert.Contains(t, logs.String(), "grant Vigil a Role that reads secrets")
	assert.Contains(t, logs.String(), "namespace=locked")
}

// BenchmarkSecretsMemory: 5,000 Secrets in one namespace, of which 50 TLS
// (10 of them with a 250 KiB CA bundle in ca.crt), plus 200 Helm release
// Secrets of 1 MiB each; reports the peak RSS the informer adds while it
// lists and keeps the TLS Secrets (VmHWM after a reset, minus RSS before).
// Run: see docs/benchmarks.md.
func BenchmarkSecretsMemory(b *testing.B) {
	rc := testenv.SharedAPIServer(b)
	kube, err := kubernetes.NewForConfig(rc)
	require.NoError(b, err)
	ns := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	createNamespace(b, kube, ns)
	ctx := context.Background()
	now := time.Now()
	root, err := sandbox.NewRoot("bench-root", now.Add(-day), now.Add(3650*day))
	require.NoError(b, err)
	var bundle []byte // a CA bundle of distinct roots, as large as a distribution's
	bundleCerts := 0
	for len(bundle) < 250<<10 {
		ca, err := sandbox.NewRoot(fmt.Sprintf("bundle-root-%d", bundleCerts), now.Add(-day), now.Add(3650*day))
		require.NoError(b, err)
		bundle = append(bundle, ca.PEM()...)
		bundleCerts++
	}
	for i := 0; i < 5000; i++ {
		var s *corev1.Secret
		if i%100 == 0 {
			leaf, err := root.Issue(fmt.Sprintf("svc-%d", i), false, now.Add(-day), now.Add(time.Duration(i+1)*time.Hour))
			require.NoError(b, err)
			var ca []byte
			if i%500 == 0 {
				ca = bundle
			}
			s = tlsSecret("tls-"+strconv.Itoa(i), ns, leaf, leaf.PEM(), ca)
		} else {
			s = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "opaque-" + strconv.Itoa(i), Namespace: ns}, Data: map[string][]byte{"password": []byte("x")}}
		}
		_, err := kube.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{})
		require.NoError(b, err)
	}
	helm := bytes.Repeat([]byte("H"), 1<<20-4096)
	for i := 0; i < 200; i++ {
		_, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sh.helm.release.v1.app%d.v1", i), Namespace: ns},
			Type: "helm.sh/release.v1", Data: map[string][]byte{"release": helm}}, metav1.CreateOptions{})
		require.NoError(b, err)
	}
	helm = nil
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		before := procStatus(b, "VmRSS")
		require.NoError(b, os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)) // reset VmHWM
		sec := &expiry.Section{KubernetesSecrets: &expiry.KubernetesSecrets{Namespaces: []string{ns}}}
		sec.ApplyDefaults()
		c := expiry.New(sec, "k", source.NewGroup(source.NewMetrics(), nil), nil, nil)
		require.NoError(b, c.WatchSecrets(rc))
		c.Start(ctx)
		require.Eventually(b, c.Ready, 5*time.Minute, 10*time.Millisecond)
		var out bytes.Buffer
		require.NoError(b, c.RenderText(&out, "bench"))
		peak := procStatus(b, "VmHWM")
		c.Stop()
		series := strings.Count(out.String(), "vigil_cert_not_after_timestamp_seconds{")
		require.Equal(b, 50+10*bundleCerts, series, "every certificate rendered")
		b.ReportMetric(float64(peak-before)/(1<<20), "extra-peak-RSS-MiB")
		b.ReportMetric(float64(series), "certificates")
	}
}

// procStatus reads a kB field of /proc/self/status, in bytes.
func procStatus(b *testing.B, field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	require.NoError(b, err)
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(b, err)
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}
