package cluster

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// TestRotatedKubeconfigChangesTheFingerprint: a kubeconfig rewritten at the
// same path (explicit, or found through KUBECONFIG) rebuilds the collector
// on the next reload; an untouched one does not.
func TestRotatedKubeconfigChangesTheFingerprint(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kc, []byte(kubeconfigFor), 0o600))

	for name, sec := range map[string]*Section{
		"explicit":   {Cluster: "c", Kubeconfig: kc},
		"KUBECONFIG": {Cluster: "c"},
	} {
		t.Setenv("KUBECONFIG", kc)
		require.NoError(t, os.WriteFile(kc, []byte(kubeconfigFor), 0o600))
		before := config.Fingerprint("prod", sec)
		assert.Equal(t, before, config.Fingerprint("prod", sec), "%s: unchanged file, same fingerprint", name)
		require.NoError(t, os.WriteFile(kc, []byte(replaceHost(kubeconfigFor, "https://rotated.example:6443")), 0o600))
		assert.NotEqual(t, before, config.Fingerprint("prod", sec), "%s: a rewritten kubeconfig must rebuild the collector", name)
	}
}
