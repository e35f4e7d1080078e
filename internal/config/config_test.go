package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/vigil-monitoring/vigil/collectors/all"
	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
)

// parse decodes with every registered collector's section, as the daemon does.
func parse(data []byte, file string) (*config.Config, error) {
	return config.Parse(data, file, collector.Sections())
}

func kube(t *testing.T, cfg *config.Config) *cluster.Section {
	t.Helper()
	k, ok := cfg.Sections["kubernetes"].(*cluster.Section)
	require.True(t, ok, "no kubernetes section")
	return k
}

func TestValidFileWithDefaults(t *testing.T) {
	cfg, err := parse([]byte(`
environment: production
kubernetes:
  cluster: ionos-prod
  namespaces:
    exclude: [kube-system]
`), "vigil.yml")
	require.NoError(t, err)
	assert.Equal(t, "production", cfg.Environment)
	assert.Equal(t, "ionos-prod", kube(t, cfg).Cluster)
	assert.Equal(t, []string{"kube-system"}, kube(t, cfg).Namespaces.Exclude)
	assert.True(t, kube(t, cfg).MetricsAPIEnabled())
	assert.Equal(t, 30*time.Second, kube(t, cfg).ProbeInterval.Std())
}

// TestErrorsNameFileLineFieldAndHint: every bad input gives one precise,
// actionable error.
func TestErrorsNameFileLineFieldAndHint(t *testing.T) {
	worldWritable := t.TempDir()
	require.NoError(t, os.Chmod(worldWritable, 0o777))
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown field", "environment: dev\nkubernetes:\n  cluster: c\n  namespace: [a]\n",
			[]string{"vigil.yml:4:", `unknown field "namespace"`, "hint:"}},
		{"bad duration", "environment: dev\nkubernetes:\n  cluster: c\n  probe_interval: often\n",
			[]string{"vigil.yml:4:", "kubernetes.probe_interval", `"often" is not a duration`, `"30s"`}},
		{"too short", "environment: dev\nkubernetes:\n  cluster: c\n  metrics_interval: 10ms\n",
			[]string{"vigil.yml:4:", "kubernetes.metrics_interval", "too short"}},
		{"missing environment", "kubernetes:\n  cluster: c\n",
			[]string{"vigil.yml: environment: is required", "hint:"}},
		{"unknown section", "environment: dev\nkubernetes:\n  cluster: c\nbilling_typo:\n  x: 1\n",
			[]string{"vigil.yml:4:", `unknown section "billing_typo"`, "the known sections are " + config.KnownKeys(collector.Sections())}},
		{"empty section", "environment: dev\nkubernetes:\n  cluster: c\ntextfile:\n",
			[]string{"vigil.yml:4:", "textfile: is empty", "remove the section"}},
		{"no collector", "environment: dev\n",
			[]string{"vigil.yml:", "names no collector", "kubernetes"}},
		{"world-writable textfile dir", "environment: dev\nkubernetes:\n  cluster: c\ntextfile:\n  directory: " + worldWritable + "\n",
			[]string{"vigil.yml:5:", "textfile.directory", "writable by every user", "hint:"}},
		{"missing cluster", "environment: dev\nkubernetes:\n  context: x\n",
			[]string{"vigil.yml:2:", "kubernetes.cluster: is required", "kubernetes.context: needs kubernetes.kubeconfig"}},
		{"syntax", "environment: dev\nkubernetes:\n  cluster: [c\n",
			[]string{"vigil.yml:", "indentation"}},
		{"wrong type", "environment: dev\nkubernetes:\n  cluster: c\n  namespaces: yes\n",
			[]string{"vigil.yml:4:", "kubernetes.namespaces"}},
		{"missing kubeconfig", "environment: dev\nkubernetes:\n  cluster: c\n  kubeconfig: /nonexistent/kubeconfig\n",
			[]string{"vigil.yml:4:", "kubernetes.kubeconfig: cannot read /nonexistent/kubeconfig"}},
		{"ns both", "environment: dev\nkubernetes:\n  cluster: c\n  namespaces:\n    include: [a]\n    exclude: [a]\n",
			[]string{"vigil.yml:5:", "kubernetes.namespaces.include[0]", "both included and excluded"}},
		{"textfile dir", "environment: dev\nkubernetes:\n  cluster: c\ntextfile:\n  directory: /nonexistent/dir\n",
			[]string{"vigil.yml:5:", "textfile.directory", "not a readable directory"}},
		{"bearer token over http", "environment: dev\nkubernetes:\n  cluster: c\n  server: http://k8s:8080\n  bearer_token: {env: T}\n",
			[]string{"vigil.yml:5:", "kubernetes.bearer_token", "clear text to http://k8s:8080", "allow_bearer_token_over_http"}},
		{"label", "environment: prod env\nkubernetes:\n  cluster: c\n",
			[]string{"vigil.yml:1:", "environment", "not a plain name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse([]byte(tc.yaml), "vigil.yml")
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "goroutine", "no stack traces")
		})
	}
}

func TestInlineSecretIsRefusedWithoutEchoingIt(t *testing.T) {
	const canary = "canary-s3cr3t-7f1e"
	_, err := parse([]byte("environment: dev\nkubernetes:\n  cluster: c\n  server: https://k8s:6443\n  bearer_token: "+canary+"\n"), "vigil.yml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "vigil.yml:5:")
	assert.Contains(t, err.Error(), "kubernetes.bearer_token")
	assert.Contains(t, err.Error(), "cannot be written inline")
	assert.NotContains(t, err.Error(), canary)
}

func TestSecretRefResolves(t *testing.T) {
	const canary = "canary-token-9c2d"
	t.Setenv("VIGIL_TEST_TOKEN", canary)
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte(canary+"\n"), 0o600))

	cfg, err := parse([]byte("environment: dev\nkubernetes:\n  cluster: c\n  server: https://k8s:6443\n  bearer_token: {env: VIGIL_TEST_TOKEN}\n"), "vigil.yml")
	require.NoError(t, err)
	v, err := kube(t, cfg).BearerToken.Value()
	require.NoError(t, err)
	assert.Equal(t, canary, v)

	v, err = (&config.SecretRef{File: file}).Value()
	require.NoError(t, err)
	assert.Equal(t, canary, v)

	_, err = (&config.SecretRef{Env: "VIGIL_TEST_UNSET"}).Value()
	require.ErrorContains(t, err, "VIGIL_TEST_UNSET is not set")
	_, err = (&config.SecretRef{File: "/nonexistent"}).Value()
	require.ErrorContains(t, err, "file /nonexistent")

	_, err = parse([]byte("environment: dev\nkubernetes:\n  cluster: c\n  server: https://k8s:6443\n  bearer_token: {}\n"), "vigil.yml")
	require.ErrorContains(t, err, "names neither env nor file")
}
