package daemon_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestProvidersAreSharedAndRebuiltOnlyWhenCredentialsChange: a provider
// section is built once per loaded configuration; a reload keeps the same
// client set while nothing it depends on changed, and a rotated token file
// behind an unchanged file (the SIGHUP after a rotation) builds a new one.
func TestProvidersAreSharedAndRebuiltOnlyWhenCredentialsChange(t *testing.T) {
	rc := testenv.SharedAPIServer(t)
	kubeconfig := testenv.WriteKubeconfig(t, rc, "")
	dir := t.TempDir()
	token := filepath.Join(dir, "ionos-token")
	require.NoError(t, os.WriteFile(token, []byte("first-token\n"), 0o600))
	cfgFile := filepath.Join(dir, "vigil.yml")
	writeConfig(t, cfgFile, "environment: staging\nkubernetes:\n  cluster: envtest\n  kubeconfig: "+kubeconfig+
		"\n  metrics_api: false\nionos:\n  token: {file: "+token+"}\n")

	r := start(t, daemon.Options{ConfigFile: cfgFile, StoragePath: t.TempDir()})
	r.waitReady(t)
	first := r.d.CurrentProvider("ionos")
	require.NotNil(t, first, "the ionos section builds a provider")

	require.NoError(t, r.d.Reload())
	assert.Same(t, first, r.d.CurrentProvider("ionos"), "an unchanged reload keeps the provider")

	require.NoError(t, os.WriteFile(token, []byte("rotated-token\n"), 0o600))
	require.NoError(t, r.d.Reload())
	assert.NotSame(t, first, r.d.CurrentProvider("ionos"), "a rotated token builds a new provider")
	assert.NotContains(t, r.logs.String(), "rotated-token")
}
