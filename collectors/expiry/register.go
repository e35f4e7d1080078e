package expiry

import (
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// FingerprintFiles names the plain files the section points at, so a
// reload after one changed reads it at once. Globs are read on every
// refresh anyway.
func (s *Section) FingerprintFiles() []string {
	var out []string
	for _, j := range s.JWTFiles {
		out = append(out, j.File)
	}
	return out
}

// SandboxSection reads sandbox.StartExpiry's endpoint and files.
func SandboxSection(u *sandbox.ExpiryUpstream) *Section {
	s := &Section{
		RefreshInterval: config.Duration(DefaultInterval),
		TLSEndpoints:    []Endpoint{{Name: "sandbox-app", Address: u.Endpoint}},
		Kubeconfigs:     []string{u.Kubeconfig},
		PEMFiles:        []string{u.PEMGlob},
		JWTFiles:        []JWTFile{{Name: "deploy-token", File: u.JWTSoon}, {Name: "old-token", File: u.JWTExpired}},
	}
	s.ApplyDefaults()
	return s
}

func init() {
	collector.Register(collector.Registration{
		Name:       "expiry",
		Section:    "expiry",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		Sandbox: func(env *collector.SandboxEnv) (config.Section, error) {
			u, err := sandbox.StartExpiry()
			if err != nil {
				return nil, err
			}
			env.OnStop(u.Close)
			return SandboxSection(u), nil
		},
		Build: func(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
			return New(sec.(*Section), deps.Fingerprint, deps.Group, deps.Logger), nil
		},
	})
}
