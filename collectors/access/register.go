package access

import (
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
)

// SandboxProbes is the section the sandbox runs against sandbox.StartAccess:
// a registry that serves (401 on /v2/), an API server whose /readyz is slower
// than the probe's timeout, an app endpoint that refuses connections, and
// DNS names that resolve and do not.
func SandboxProbes(u *sandbox.AccessUpstream) *Section {
	d := func(s string) config.Duration { v, _ := parseDuration(s); return v }
	s := &Section{Probes: []Probe{
		{Name: "registry", Kind: KindRegistry, Target: u.RegistryURL, CAFile: u.CAFile, Interval: d("10s"), Timeout: d("2s")},
		{Name: "kube-api", Kind: KindReadyz, Target: u.APIURL, CAFile: u.CAFile, Interval: d("10s"), Timeout: d("1s")},
		{Name: "ticketly-health", Kind: KindHTTP, Target: u.AppURL, BodyRegexp: `"status":"ok"`, Interval: d("10s"), Timeout: d("2s")},
		{Name: "registry-dns", Kind: KindDNS, Target: sandbox.KnownName, Resolver: u.DNSServer, Interval: d("10s"), Timeout: d("2s")},
		{Name: "old-app-dns", Kind: KindDNS, Target: "old-app.sandbox.vigil.test", Resolver: u.DNSServer, Interval: d("10s"), Timeout: d("2s")},
	}}
	s.ApplyDefaults()
	return s
}

func init() {
	collector.Register(collector.Registration{
		Name:       "access",
		Section:    "access",
		NewSection: func() config.Section { return &Section{} },
		Catalogue:  Catalogue,
		InfoOnly: map[string]string{
			"vigil_access_probe_timestamp_seconds": "context for reading a result's age; staleness alerts use vigil_source_last_success_timestamp_seconds",
		},
		Sandbox: func(env *collector.SandboxEnv) (config.Section, error) {
			u, err := sandbox.StartAccess()
			if err != nil {
				return nil, err
			}
			env.OnStop(u.Close)
			return SandboxProbes(u), nil
		},
		Build: func(sec config.Section, deps *collector.Deps) (collector.Collector, error) {
			s := sec.(*Section)
			return New(Config{Probes: s.Probes, Key: deps.Fingerprint}, deps.Group, deps.Logger)
		},
	})
}
