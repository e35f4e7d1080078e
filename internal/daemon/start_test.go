package daemon_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/daemon"
)

// TestNoConfigurationIsAnErrorNotTheSandbox: a container started without
// arguments must not export the sandbox's fake faults, which would page.
func TestNoConfigurationIsAnErrorNotTheSandbox(t *testing.T) {
	_, err := daemon.New(daemon.Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "--config.file")
	require.Contains(t, err.Error(), "--sandbox")
	require.NotContains(t, err.Error(), "\n", "one line")
}

// TestSandboxAndConfigExcludeEachOther: --sandbox beside a real config
// would silently export demo faults instead of the real environment.
func TestSandboxAndConfigExcludeEachOther(t *testing.T) {
	_, err := daemon.New(daemon.Options{Sandbox: true, ConfigFile: "vigil.yml"})
	require.ErrorContains(t, err, "exclude each other")
}
