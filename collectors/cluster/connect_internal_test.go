package cluster

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/source"
)

const kubeconfigFor = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://kubeconfig-default.example:6443", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: not-a-real-token}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`

// TestNothingConfiguredOutsideAClusterActsLikeKubectl: with no kubeconfig
// and no server, outside a pod, KUBECONFIG and then ~/.kube/config are used;
// with neither, the error says what to set.
func TestNothingConfiguredOutsideAClusterActsLikeKubectl(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", "")

	_, err := restConfig(&Section{Cluster: "c"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "neither KUBECONFIG nor ~/.kube/config")
	assert.Contains(t, err.Error(), "set kubernetes.kubeconfig")

	require.NoError(t, os.MkdirAll(filepath.Join(home, ".kube"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".kube", "config"), []byte(kubeconfigFor), 0o600))
	rc, err := restConfig(&Section{Cluster: "c"})
	require.NoError(t, err)
	assert.Equal(t, "https://kubeconfig-default.example:6443", rc.Host, "~/.kube/config is used")

	other := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(other, []byte(replaceHost(kubeconfigFor, "https://from-env.example:6443")), 0o600))
	t.Setenv("KUBECONFIG", other)
	rc, err = restConfig(&Section{Cluster: "c"})
	require.NoError(t, err)
	assert.Equal(t, "https://from-env.example:6443", rc.Host, "KUBECONFIG wins over ~/.kube/config")
}

func replaceHost(s, host string) string {
	return string([]byte(s[:len("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"")])) + host +
		s[len("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://kubeconfig-default.example:6443"):]
}

// TestUnverifiedTLSIsReported: skipping certificate verification, in the
// section or in the kubeconfig, is exported; a verified connection is not.
func TestUnverifiedTLSIsReported(t *testing.T) {
	deps := &collector.Deps{Group: source.NewGroup(source.NewMetrics(), nil)}
	_, insecure, err := clients(&Section{Cluster: "c", Server: "https://127.0.0.1:1", InsecureSkipTLSVerify: true}, deps)
	require.NoError(t, err)
	assert.True(t, insecure, "insecure_skip_tls_verify in the section")

	_, insecure, err = clients(&Section{Cluster: "c", Server: "https://127.0.0.1:1"}, deps)
	require.NoError(t, err)
	assert.False(t, insecure)

	kc := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kc, []byte(kubeconfigFor), 0o600))
	_, insecure, err = clients(&Section{Cluster: "c", Kubeconfig: kc}, deps)
	require.NoError(t, err)
	assert.True(t, insecure, "insecure-skip-tls-verify in the kubeconfig")
}

// TestMetricsAPIErrorsSayWhatToDo: a missing metrics.k8s.io and a
// metrics-server that does not answer are told apart, each with the step
// that fixes it.
func TestMetricsAPIErrorsSayWhatToDo(t *testing.T) {
	gr := schema.GroupResource{Group: "metrics.k8s.io", Resource: "nodes"}
	missing := explainMetricsAPI(apierrors.NewNotFound(gr, ""))
	assert.Contains(t, missing.Error(), "install metrics-server, or set kubernetes.metrics_api: false")
	assert.Equal(t, source.ReasonNotFound, source.Classify(missing))

	down := explainMetricsAPI(apierrors.NewServiceUnavailable("no endpoints"))
	assert.Contains(t, down.Error(), "metrics-server does not answer")
	assert.NotContains(t, down.Error(), "install metrics-server")
}

// TestCredentialsNeverGoToPlainHTTP: a kubeconfig (or KUBECONFIG) whose
// server is plain http gets no credentials from its user: client-go
// attaches a kubeconfig's auth only to TLS connections. Vigil relies on it
// (the section's own server with bearer_token is refused by Validate), so
// a client-go that changed it must fail here.
func TestCredentialsNeverGoToPlainHTTP(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kc, []byte(replaceHost(kubeconfigFor, "http://plain.example:8080")), 0o600))
	rc, err := restConfig(&Section{Cluster: "c", Kubeconfig: kc})
	require.NoError(t, err)
	assert.Equal(t, "http://plain.example:8080", rc.Host)
	assert.Empty(t, rc.BearerToken, "a token must never be sent over plain http")
	assert.Empty(t, rc.BearerTokenFile)
	assert.Nil(t, rc.ExecProvider)
}
