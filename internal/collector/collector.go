// Package collector is the one place a collector plugs into Vigil. Each
// collector package registers itself at init (see collectors/all): its
// name, the top-level configuration section it owns and decodes, its metric
// catalogue, its sandbox upstream, and how it is built. The daemon, the
// catalogue, docs/metrics.md, the sandbox and --config.check loop over the
// registry and name no collector, as node_exporter's registerCollector and
// Prometheus' discovery.RegisterConfig do.
//
// docs/adding-a-collector.md walks through adding one.
package collector

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/metricdoc"
	"github.com/vigil-monitoring/vigil/internal/shard"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// Collector is one built collector: what one loaded configuration runs.
type Collector interface {
	// Start begins what the engine does not run itself (informers); the
	// collector's refresh sources, added to Deps.Group, start with the
	// group.
	Start(ctx context.Context)
	// Render writes the collector's families from snapshots and caches
	// only: it never calls an upstream.
	Render(w *exposition.Writer) error
	// Ready reports whether the first data is in (or known unavailable), so
	// /-/ready does not admit scrapes that would show start-up gaps.
	Ready() bool
	// Stop ends what Start began. The daemon calls it once.
	Stop()
}

// Registration describes a collector to the daemon and the tooling.
type Registration struct {
	// Name identifies the collector in logs and docs.
	Name string
	// Section is the top-level key of the configuration file it owns; the
	// collector runs when the section is present.
	Section string
	// NewSection returns an empty section to decode the file's YAML into
	// (a pointer; unknown fields are errors). It may implement
	// config.Defaulter; its Validate reports fields relative to the section.
	NewSection func() config.Section
	// Catalogue lists every family the collector exposes.
	Catalogue []metricdoc.Desc
	// InfoOnly names families that deliberately have no alert and no
	// dashboard panel, each with the reason; every other family must be
	// used by an alert or a panel (TestRegistry... in collectors/all).
	InfoOnly map[string]string
	// Sandbox returns the section the embedded sandbox runs, after setting
	// up its upstream (in memory or on loopback) under env; the collector's
	// Build sees Deps.Sandbox and talks to that upstream.
	Sandbox func(env *SandboxEnv) (config.Section, error)
	// Build creates the collector for a validated section. It adds its
	// refresh sources to deps.Group and starts nothing.
	Build func(section config.Section, deps *Deps) (Collector, error)
	// Uses names the provider sections (ionos, aws) whose shared clients
	// the collector asks Deps.Provider for; their fingerprints are part of
	// the collector's, so rotated cloud credentials rebuild it on reload.
	Uses []string
	// Reads names other collectors' sections this one reads through
	// Deps.Sections (the expiry collector reads the access probes' TLS
	// targets, so every HTTPS probe's chain is covered without listing it
	// twice). Their fingerprints are part of the collector's: a reload
	// that changes or removes one rebuilds it.
	Reads []string
	// Sharded marks a collector that splits its objects across replicas
	// by Deps.Shard (the cluster collector's pods, workloads and HPAs).
	// Every other collector runs on shard 0 only, so nothing is exported
	// twice.
	Sharded bool
}

// Deps is what the daemon hands every collector it builds.
type Deps struct {
	Environment string
	Group       *source.Group
	Logger      *slog.Logger
	// Sandbox is true when the daemon runs the embedded sandbox.
	Sandbox bool
	// Reserved holds every metric name Vigil exposes itself, which files
	// from other jobs (textfile) may not define.
	Reserved map[string]bool
	// Fingerprint identifies the section with its resolved secrets and
	// files (config.Fingerprint) and the providers it uses: use it as the
	// Key of the collector's sources, so a reload that changes nothing they
	// depend on adopts their snapshots instead of fetching again.
	Fingerprint string
	// OwnFingerprint is Fingerprint without the sections in
	// Registration.Reads: the Key of sources that do not depend on them,
	// so a reload that changes only another's section (the access probes)
	// keeps their snapshots while the collector is rebuilt.
	OwnFingerprint string
	// Providers holds the built providers of this configuration, by section.
	Providers map[string]Built
	// Sections holds the sections named in Registration.Reads that the
	// file configures, validated and defaulted. Read-only: they are the
	// running configuration's own values.
	Sections map[string]config.Section
	// Shard is this replica's shard (--shard/--total-shards, --auto-shard);
	// only a Sharded collector on a shard other than 0 is built at all.
	Shard shard.Shard
}

// SandboxEnv is where sandbox upstreams keep what they create; the daemon
// runs the cleanups when the sandbox runtime stops.
type SandboxEnv struct {
	cleanups []func()
}

// OnStop registers f to run when the sandbox runtime stops.
func (e *SandboxEnv) OnStop(f func()) { e.cleanups = append(e.cleanups, f) }

// Cleanup runs the registered cleanups, last first.
func (e *SandboxEnv) Cleanup() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
	e.cleanups = nil
}

var (
	mu       sync.Mutex
	registry = map[string]Registration{}
)

// Register adds a collector; called from the collector package's init. A
// duplicate name or section is a programming error and panics at start.
func Register(r Registration) {
	mu.Lock()
	defer mu.Unlock()
	if r.Name == "" || r.Section == "" || r.NewSection == nil || r.Build == nil || r.Sandbox == nil {
		panic(fmt.Sprintf("collector: registration %q lacks a name, section, NewSection, Build or Sandbox", r.Name))
	}
	for _, have := range registry {
		if have.Name == r.Name || have.Section == r.Section {
			panic(fmt.Sprintf("collector: %q and %q both register name %q or section %q", have.Name, r.Name, r.Name, r.Section))
		}
	}
	if _, taken := providers[r.Section]; taken {
		panic("collector: section " + r.Section + " is both a collector's and a provider's")
	}
	for _, read := range r.Reads {
		if read == r.Section {
			panic("collector: " + r.Name + " reads its own section " + read + " as another's")
		}
	}
	registry[r.Name] = r
}

// All returns every registered collector, sorted by name.
func All() []Registration {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Registration, 0, len(registry))
	for _, r := range registry {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Sections returns the configuration sections the registered collectors
// and providers own, for config.Parse.
func Sections() []config.SectionKind {
	var out []config.SectionKind
	for _, r := range All() {
		out = append(out, config.SectionKind{Key: r.Section, New: r.NewSection})
	}
	for _, p := range Providers() {
		out = append(out, config.SectionKind{Key: p.Section, New: p.NewSection, Provider: true})
	}
	return out
}

// Catalogue returns every registered collector's families.
func Catalogue() []metricdoc.Desc {
	var out []metricdoc.Desc
	for _, r := range All() {
		out = append(out, r.Catalogue...)
	}
	return out
}
