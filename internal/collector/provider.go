package collector

import (
	"context"
	"fmt"
	"sort"

	"github.com/vigil-monitoring/vigil/internal/config"
)

// Provider is a cloud's credentials and client configuration, shared by
// every collector that talks to that cloud (cloudcost-exporter's provider →
// collector split): its own top-level section (ionos:, aws:), built once
// per loaded configuration, and kept across a reload when its fingerprint
// (section, resolved secrets, credential environment) is unchanged, so its
// credential caches survive.
type Provider struct {
	// Section is the top-level key it owns; collectors name it in Uses.
	Section string
	// NewSection returns an empty section to decode into (see Registration).
	NewSection func() config.Section
	// Build creates the shared client set from a validated section. It must
	// not call the upstream: credentials are checked by the first refresh.
	Build func(ctx context.Context, section config.Section) (Built, error)
	// Sandbox, when set, returns the section the sandbox runs (pointing at
	// an emulator it starts under env).
	Sandbox func(env *SandboxEnv) (config.Section, error)
}

// Built is a provider's client set. Its fingerprint changes when anything
// its clients depend on does (resolved secrets included, as a digest), and
// enters the fingerprint of every collector that uses it.
type Built interface {
	Fingerprint() string
}

var providers = map[string]Provider{}

// RegisterProvider adds a provider; called from the provider package's init.
func RegisterProvider(p Provider) {
	mu.Lock()
	defer mu.Unlock()
	if p.Section == "" || p.NewSection == nil || p.Build == nil {
		panic(fmt.Sprintf("collector: provider %q lacks a section, NewSection or Build", p.Section))
	}
	if _, dup := providers[p.Section]; dup {
		panic("collector: provider " + p.Section + " registered twice")
	}
	for _, r := range registry {
		if r.Section == p.Section {
			panic("collector: section " + p.Section + " is both a collector's and a provider's")
		}
	}
	providers[p.Section] = p
}

// Providers returns every registered provider, sorted by section.
func Providers() []Provider {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Provider, 0, len(providers))
	for _, p := range providers {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Section < out[j].Section })
	return out
}

// Provider returns the built client set of a provider section the
// collector declared in Registration.Uses.
func (d *Deps) Provider(section string) (Built, error) {
	p, ok := d.Providers[section]
	if !ok {
		return nil, fmt.Errorf("needs the %s: section (credentials and endpoints of that cloud); add it, see examples/vigil.yml", section)
	}
	return p, nil
}
