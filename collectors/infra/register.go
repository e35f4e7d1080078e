package infra

import (
	"fmt"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
)

func init() {
	collector.Register(collector.Registration{
		Name:       "infra",
		Section:    "infra",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		InfoOnly:   infoOnly,
		Uses:       []string{"ionos"},
		// The ionos provider's sandbox starts the Cloud API emulator
		// (internal/sandbox/ionoscloud) holding the faults of the runbooks.
		Sandbox: func(*collector.SandboxEnv) (config.Section, error) {
			return &Section{IONOS: &IONOSSection{NodesHavePublicIPs: true}}, nil
		},
		Build: build,
	})
}

func build(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
	s := sec.(*Section)
	var prov *ionos.Provider
	if s.IONOS != nil {
		b, err := deps.Provider("ionos")
		if err != nil {
			return nil, fmt.Errorf("ionos: %w", err)
		}
		p, ok := b.(*ionos.Provider)
		if !ok {
			return nil, fmt.Errorf("ionos: the provider is a %T, not the IONOS client set", b)
		}
		prov = p
	}
	return New(Config{Environment: deps.Environment, IONOS: s.IONOS, Key: deps.Fingerprint}, prov, deps.Group, deps.Logger), nil
}
