package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// build compiles the real binary.
func build(t *testing.T) string {
	t.Helper()
	return testenv.GoBuild(t, "vigil-exporter", "./cmd/exporter")
}

func run(bin string, args ...string) (string, int) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return string(out), code
}

func TestBinary(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	require.NoError(t, os.WriteFile(good, []byte("environment: dev\nkubernetes:\n  cluster: dev\n"), 0o600))
	bad := filepath.Join(dir, "bad.yml")
	require.NoError(t, os.WriteFile(bad, []byte("environment: dev\nkubernetes:\n  cluster: dev\n  probe_intervall: 30s\n"), 0o600))

	t.Run("help lists the flags users expect", func(t *testing.T) {
		out, code := run(bin, "--help")
		assert.Equal(t, 0, code)
		for _, f := range []string{"--config.file", "config.check", "sandbox", "--web.listen-address", "--web.telemetry-path", "--web.config.file", "--log.level", "--log.format"} {
			assert.Contains(t, out, f)
		}
	})
	t.Run("config.check accepts a valid file", func(t *testing.T) {
		out, code := run(bin, "--config.file="+good, "--config.check")
		assert.Equal(t, 0, code, out)
		assert.Contains(t, out, "valid")
	})
	t.Run("config.check names file, line and field", func(t *testing.T) {
		out, code := run(bin, "--config.file="+bad, "--config.check")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, bad+":4:")
		assert.Contains(t, out, `unknown field "probe_intervall"`)
		assert.NotContains(t, out, "goroutine")
		assert.NotContains(t, out, "panic")
	})
	t.Run("an invalid file stops the daemon at start", func(t *testing.T) {
		out, code := run(bin, "--config.file="+bad, "--web.listen-address=127.0.0.1:0")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, bad+":4:")
		assert.NotContains(t, out, "goroutine")
	})
	t.Run("a missing file is a clear error", func(t *testing.T) {
		out, code := run(bin, "--config.file="+filepath.Join(dir, "nope.yml"), "--config.check")
		assert.Equal(t, 1, code)
		assert.True(t, strings.Contains(out, "nope.yml") && strings.Contains(out, "no such file"), out)
	})
}
