package ionos

import (
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
)

// sandboxToken is the sandbox emulator's token: not a secret, but it still
// travels by file reference as a real one would.
const sandboxToken = "sandbox-ionos-token"

// sandboxSection starts the Cloud API emulator with the runbooks' faults
// (ionoscloud.Faulty) on loopback and returns the section pointing at it.
func sandboxSection(env *collector.SandboxEnv) (config.Section, error) {
	dir, err := os.MkdirTemp("", "vigil-sandbox-ionos-")
	if err != nil {
		return nil, err
	}
	env.OnStop(func() { _ = os.RemoveAll(dir) })
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(sandboxToken), 0o600); err != nil {
		return nil, err
	}
	srv := ionoscloud.Start(ionoscloud.Faulty(time.Now()), ionoscloud.WithToken(sandboxToken))
	env.OnStop(srv.Close)
	return &Config{Token: &config.SecretRef{File: tokenFile}, APIURL: srv.APIURL()}, nil
}
