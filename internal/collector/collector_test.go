package collector

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/config"
)

type testSection struct{}

func (testSection) Validate() []*config.Error { return nil }

type testBuilt struct{}

func (testBuilt) Fingerprint() string { return "x" }

func registration(name, section string) Registration {
	return Registration{
		Name: name, Section: section,
		NewSection: func() config.Section { return &testSection{} },
		Sandbox:    func(*SandboxEnv) (config.Section, error) { return &testSection{}, nil },
		Build:      func(config.Section, *Deps) (Collector, error) { return nil, nil },
	}
}

// withEmptyRegistry runs f with the registry emptied, then restores it.
func withEmptyRegistry(t *testing.T, f func()) {
	t.Helper()
	mu.Lock()
	saved, savedProviders := registry, providers
	registry, providers = map[string]Registration{}, map[string]Provider{}
	mu.Unlock()
	defer func() {
		mu.Lock()
		registry, providers = saved, savedProviders
		mu.Unlock()
	}()
	f()
}

// TestRegisterRefusesWhatWouldCollide: two collectors with one name or one
// section, a collector and a provider on one section, or a registration
// lacking what the daemon and the tests loop over, fail at start.
func TestRegisterRefusesWhatWouldCollide(t *testing.T) {
	withEmptyRegistry(t, func() {
		Register(registration("a", "alpha"))
		assert.Panics(t, func() { Register(registration("a", "other")) }, "same name")
		assert.Panics(t, func() { Register(registration("b", "alpha")) }, "same section")
		incomplete := registration("c", "gamma")
		incomplete.Sandbox = nil
		assert.Panics(t, func() { Register(incomplete) }, "no sandbox upstream")
		assert.Panics(t, func() {
			RegisterProvider(Provider{Section: "alpha", NewSection: func() config.Section { return &testSection{} },
				Build: func(context.Context, config.Section) (Built, error) { return testBuilt{}, nil }})
		}, "a provider on a collector's section")

		Register(registration("b", "beta"))
		RegisterProvider(Provider{Section: "delta", NewSection: func() config.Section { return &testSection{} },
			Build: func(context.Context, config.Section) (Built, error) { return testBuilt{}, nil }})
		assert.Panics(t, func() { Register(registration("d", "delta")) }, "a collector on a provider's section")
		delete(providers, "delta")
		RegisterProvider(Provider{Section: "cloud", NewSection: func() config.Section { return &testSection{} },
			Build: func(context.Context, config.Section) (Built, error) { return testBuilt{}, nil }})
		var keys []string
		for _, k := range Sections() {
			keys = append(keys, k.Key)
			assert.Equal(t, k.Key == "cloud", k.Provider, k.Key)
		}
		assert.Equal(t, []string{"alpha", "beta", "cloud"}, keys, "collectors sorted by name, then providers")
	})
}

// TestDepsProviderSaysWhatIsMissing: a collector asking for a provider the
// file does not configure gets an error naming the section to add.
func TestDepsProviderSaysWhatIsMissing(t *testing.T) {
	d := &Deps{Providers: map[string]Built{"ionos": testBuilt{}}}
	p, err := d.Provider("ionos")
	require.NoError(t, err)
	assert.Equal(t, "x", p.Fingerprint())
	_, err = d.Provider("aws")
	require.ErrorContains(t, err, "needs the aws: section")
}

// TestSandboxEnvCleansUpLastFirst: cleanups run once, in reverse order.
func TestSandboxEnvCleansUpLastFirst(t *testing.T) {
	var order []int
	env := &SandboxEnv{}
	env.OnStop(func() { order = append(order, 1) })
	env.OnStop(func() { order = append(order, 2) })
	env.Cleanup()
	env.Cleanup()
	assert.Equal(t, []int{2, 1}, order)
}
