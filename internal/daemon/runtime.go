package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-monitoring/vigil/internal/catalogue"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/drift"
	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// runtime is everything one loaded configuration runs: one built collector
// per configured section. It names no collector: it builds whatever the
// registry holds and the file configures.
type runtime struct {
	cfg        *config.Config
	providers  map[string]collector.Built
	collectors []*built
	metrics    *source.Metrics
}

// built is one collector with the refresh sources it added to its own
// group. A reload whose section (and resolved secrets and files) did not
// change takes the same *built over as it is: its informers, sources,
// snapshots and backoff keep running, and nothing is fetched again.
type built struct {
	name, section string
	fingerprint   string
	group         *source.Group
	collector.Collector
	started bool
}

// build creates the runtime for cfg. Collectors whose fingerprint equals
// one in prev are taken over; the others are built new, their sources
// adopting the state of prev's sources with the same name and key. On error
// nothing new is left running.
func (d *Daemon) build(cfg *config.Config, prev *runtime) (*runtime, error) {
	rt := &runtime{cfg: cfg, metrics: d.sourceMetrics}
	var err error
	if rt.providers, err = d.buildProviders(cfg, prev); err != nil {
		return nil, err
	}
	reserved := reservedNames()
	for _, reg := range collector.All() {
		sec, ok := cfg.Sections[reg.Section]
		if !ok || !(reg.Sharded || d.opts.Shard.Primary()) {
			continue // what is not split runs on shard 0 only
		}
		fp := config.Fingerprint(cfg.Environment, sec)
		for _, use := range reg.Uses {
			if p, ok := rt.providers[use]; ok {
				fp = config.Combine(fp, p.Fingerprint())
			}
		}
		own := fp
		reads := readSections(cfg, reg.Reads)
		for _, name := range reg.Reads {
			if other, ok := reads[name]; ok {
				fp = config.Combine(fp, "reads "+name, config.Fingerprint(cfg.Environment, other))
			}
		}
		if old := prev.find(reg.Name); old != nil && old.fingerprint == fp {
			rt.collectors = append(rt.collectors, old)
			continue
		}
		b := &built{name: reg.Name, section: reg.Section, fingerprint: fp,
			group: source.NewGroup(d.sourceMetrics, d.logger, source.WithStorage(d.opts.StoragePath))}
		c, err := reg.Build(sec, &collector.Deps{
			Environment: cfg.Environment, Group: b.group, Logger: d.logger.With("collector", reg.Name),
			Sandbox: d.opts.Sandbox, Reserved: reserved, Fingerprint: fp, OwnFingerprint: own, Providers: rt.providers,
			Sections: reads, Shard: d.opts.Shard,
		})
		if err != nil {
			rt.stopNew(prev)
			return nil, fmt.Errorf("%s: %w", reg.Section, err)
		}
		b.Collector = c
		rt.collectors = append(rt.collectors, b)
	}
	// Only once every collector is built: adopting stops the old source's
	// loop, and a build failing after that would leave the configuration
	// that keeps running with sources that never refresh again.
	for _, b := range rt.collectors {
		old := prev.find(b.name)
		if old == nil || old == b {
			continue
		}
		if adopted := b.group.Adopt(old.group); len(adopted) > 0 {
			d.logger.Debug("reload keeps unchanged sources", "collector", b.name, "sources", adopted)
		}
	}
	return rt, nil
}

// readSections returns the sections of names that cfg configures: the
// read-only view a collector gets of the others' sections it reads.
func readSections(cfg *config.Config, names []string) map[string]config.Section {
	out := map[string]config.Section{}
	for _, name := range names {
		if sec, ok := cfg.Sections[name]; ok {
			out[name] = sec
		}
	}
	return out
}

// buildProviders builds the client set of every provider section in cfg,
// keeping prev's where the fingerprint is unchanged (its credential caches,
// an assumed role's session, stay warm).
func (d *Daemon) buildProviders(cfg *config.Config, prev *runtime) (map[string]collector.Built, error) {
	out := map[string]collector.Built{}
	for _, p := range collector.Providers() {
		sec, ok := cfg.Sections[p.Section]
		if !ok {
			continue
		}
		b, err := p.Build(context.Background(), sec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Section, err)
		}
		if prev != nil {
			if old, ok := prev.providers[p.Section]; ok && old.Fingerprint() == b.Fingerprint() {
				b = old
			}
		}
		out[p.Section] = b
	}
	return out, nil
}

// find returns the runtime's collector of that name, or nil.
func (rt *runtime) find(name string) *built {
	if rt == nil {
		return nil
	}
	for _, b := range rt.collectors {
		if b.name == name {
			return b
		}
	}
	return nil
}

// start starts the collectors not already running (those taken over from
// the previous runtime are).
func (rt *runtime) start(ctx context.Context) {
	for _, b := range rt.collectors {
		if b.started {
			continue
		}
		b.Start(ctx)
		b.group.Start(ctx)
		b.started = true
	}
}

// stop ends what next does not take over (next is nil at shutdown) and
// removes the series of sources next no longer has; those it keeps stay, so
// a reload leaves no gap in vigil_source_* series.
func (rt *runtime) stop(next *runtime) {
	keep := map[string]bool{}
	if next != nil {
		for _, b := range next.collectors {
			for _, n := range b.group.Names() {
				keep[n] = true
			}
		}
	}
	for _, b := range rt.collectors {
		if next.find(b.name) == b {
			continue
		}
		b.group.Stop(false)
		b.Stop()
		if next == nil {
			continue
		}
		for _, n := range b.group.Names() {
			if !keep[n] {
				rt.metrics.Forget(n)
			}
		}
	}
}

// stopNew undoes a build that failed half way: collectors built for it (not
// those taken over from prev) are stopped.
func (rt *runtime) stopNew(prev *runtime) {
	for _, b := range rt.collectors {
		if prev.find(b.name) != b {
			b.Stop()
		}
	}
}

func (rt *runtime) ready() bool {
	for _, b := range rt.collectors {
		if !b.group.Ready() || !b.Ready() {
			return false
		}
	}
	return true
}

// render writes every collector's families through the scrape's Writer.
func (rt *runtime) render(w *exposition.Writer) error {
	var errs []error
	for _, b := range rt.collectors {
		w.Scope() // no collector inherits another's scope labels
		if err := b.Render(w); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.name, err))
		}
	}
	return errors.Join(errs...)
}

// reservedNames are the metrics textfiles may not define: everything Vigil
// exposes itself, except the drift metrics that provision writes as files.
func reservedNames() map[string]bool {
	out := catalogue.Names()
	for _, d := range drift.Catalogue {
		delete(out, d.Name)
	}
	return out
}
