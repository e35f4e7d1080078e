// Package daemon is the exporter: it loads the configuration, builds and runs
// the collectors on the refresh engine, serves /metrics, and reloads on SIGHUP
// or POST /-/reload. cmd/exporter only parses flags and calls Run.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/vigil-monitoring/vigil/internal/catalogue"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/shard"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// Options are the daemon's flags.
type Options struct {
	ConfigFile    string   // --config.file
	Sandbox       bool     // --sandbox: the embedded demo environment, instead of a file
	StoragePath   string   // --storage.path: snapshots of persistent sources, request budgets
	TelemetryPath string   // --web.telemetry-path
	ListenAddrs   []string // --web.listen-address
	WebConfigFile string   // --web.config.file (TLS, basic auth)
	// EnableLifecycle serves POST /-/reload (--web.enable-lifecycle). Off by
	// default, as in Prometheus: anyone reaching the port could otherwise
	// make Vigil rebuild its caches, a full re-LIST of the cluster.
	EnableLifecycle bool
	Logger          *slog.Logger
	// Listeners, when set, are served instead of ListenAddrs (tests).
	Listeners []net.Listener
	// Shard is this replica's shard (--shard/--total-shards or
	// --auto-shard); the zero value runs everything.
	Shard shard.Shard
}

// Daemon is one running exporter.
type Daemon struct {
	opts   Options
	logger *slog.Logger

	registry      *prometheus.Registry
	sourceMetrics *source.Metrics
	reloadOK      prometheus.Gauge
	reloadTime    prometheus.Gauge

	reloadMu sync.Mutex // one reload at a time
	closed   bool       // Run has returned; guarded by reloadMu
	current  atomic.Pointer[runtime]
	ctx      context.Context

	// The sandbox's configuration and upstreams are made once and kept
	// across reloads, so a reload never tears down an upstream a kept
	// collector still talks to.
	sandboxCfg *config.Config
	sandboxEnv *collector.SandboxEnv
}

// New loads and validates the configuration; an invalid file is an error
// here, before anything starts.
func New(opts Options) (*Daemon, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.TelemetryPath == "" {
		opts.TelemetryPath = "/metrics"
	}
	if opts.ConfigFile != "" && opts.Sandbox {
		return nil, errors.New("--config.file and --sandbox exclude each other: the sandbox exports demo faults that would page as if real; pass one")
	}
	if opts.ConfigFile == "" && !opts.Sandbox {
		// A container started without arguments must not export the
		// sandbox's fake faults, which would page.
		return nil, errors.New("no configuration: pass --config.file=vigil.yml (examples/vigil.yml documents every field), or --sandbox for the demo environment")
	}
	d := &Daemon{opts: opts, logger: opts.Logger, registry: prometheus.NewRegistry(), sourceMetrics: source.NewMetrics()}
	routeKlog(opts.Logger)

	d.reloadOK = newGauge("vigil_config_last_reload_successful")
	d.reloadTime = newGauge("vigil_config_last_reload_success_timestamp_seconds")
	// Vigil's own metrics carry the shard label when sharded, so two
	// shards' vigil_source_* never look like one; the collectors' series do
	// not, so alerts and dashboards stay shard-agnostic.
	self := prometheus.Registerer(d.registry)
	if opts.Shard.Sharded() {
		self = prometheus.WrapRegistererWith(prometheus.Labels{"shard": opts.Shard.Label()}, d.registry)
	}
	self.MustRegister(d.sourceMetrics, d.reloadOK, d.reloadTime, versioncollector.NewCollector("vigil"))
	d.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	rt, err := d.load(nil)
	if err != nil {
		return nil, err
	}
	d.current.Store(rt)
	d.reloadOK.Set(1)
	d.reloadTime.SetToCurrentTime()
	return d, nil
}

func newGauge(name string) prometheus.Gauge {
	for _, c := range catalogue.Exporter {
		if c.Name == name {
			return prometheus.NewGauge(prometheus.GaugeOpts{Name: c.Name, Help: c.Help})
		}
	}
	panic("daemon: no catalogue entry for " + name) // programming error, caught by tests
}

// Check validates a configuration file without starting anything.
func Check(path string) error {
	_, err := config.Load(path, collector.Sections())
	return err
}

// load reads the configuration (or makes the sandbox's) and builds its
// runtime on top of prev, not yet started.
func (d *Daemon) load(prev *runtime) (*runtime, error) {
	cfg, err := d.config()
	if err != nil {
		return nil, err
	}
	return d.build(cfg, prev)
}

func (d *Daemon) config() (*config.Config, error) {
	if !d.opts.Sandbox {
		return config.Load(d.opts.ConfigFile, collector.Sections())
	}
	if d.sandboxCfg != nil {
		return d.sandboxCfg, nil
	}
	env := &collector.SandboxEnv{}
	cfg := &config.Config{Environment: "sandbox", Sections: map[string]config.Section{}}
	for _, reg := range collector.All() {
		sec, err := reg.Sandbox(env)
		if err != nil {
			env.Cleanup()
			return nil, fmt.Errorf("sandbox %s: %w", reg.Name, err)
		}
		if dft, ok := sec.(config.Defaulter); ok {
			dft.ApplyDefaults()
		}
		cfg.Sections[reg.Section] = sec
	}
	for _, p := range collector.Providers() {
		if p.Sandbox == nil {
			continue // no collector of the sandbox reads that cloud yet
		}
		sec, err := p.Sandbox(env)
		if err != nil {
			env.Cleanup()
			return nil, fmt.Errorf("sandbox %s: %w", p.Section, err)
		}
		if dft, ok := sec.(config.Defaulter); ok {
			dft.ApplyDefaults()
		}
		cfg.Sections[p.Section] = sec
	}
	d.sandboxCfg, d.sandboxEnv = cfg, env
	return cfg, nil
}

// Run starts the collectors and the HTTP server and blocks until ctx ends or
// the server fails. SIGHUP reloads the configuration.
func (d *Daemon) Run(ctx context.Context) error {
	d.ctx = ctx
	rt := d.current.Load()
	if d.opts.Sandbox {
		d.logger.Warn("running on the embedded SANDBOX: demo data, not a real cluster; every series carries environment=\"sandbox\"")
	}
	rt.start(ctx)
	defer func() {
		// Under reloadMu, so a reload in flight finishes (or never starts)
		// before the last runtime is stopped.
		d.reloadMu.Lock()
		defer d.reloadMu.Unlock()
		d.closed = true
		d.current.Load().stop(nil)
		if d.sandboxEnv != nil {
			d.sandboxEnv.Cleanup()
		}
	}()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = d.Reload()
			}
		}
	}()

	server := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(d.logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- d.serve(server) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
		return nil
	}
}

func (d *Daemon) serve(server *http.Server) error {
	systemd := false
	flags := &web.FlagConfig{WebListenAddresses: &d.opts.ListenAddrs, WebSystemdSocket: &systemd, WebConfigFile: &d.opts.WebConfigFile}
	var err error
	if len(d.opts.Listeners) > 0 {
		err = web.ServeMultiple(d.opts.Listeners, server, flags, d.logger)
	} else {
		err = web.ListenAndServe(server, flags, d.logger)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Reload re-reads the configuration. A file that does not validate, or
// collectors that cannot be built from it, leave the running configuration
// in place: the error is logged and vigil_config_last_reload_successful is 0.
func (d *Daemon) Reload() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	if d.closed {
		return errors.New("the exporter is shutting down")
	}
	old := d.current.Load()
	rt, err := d.load(old)
	if err != nil {
		d.reloadOK.Set(0)
		d.logger.Error("configuration reload failed; the previous configuration keeps running", "err", err)
		return fmt.Errorf("reload failed, previous configuration kept: %w", err)
	}
	if d.ctx != nil {
		// Warm the new runtime up while the old one keeps serving, so a
		// reload leaves no gap in the series and no reset in alerts' for:.
		rt.start(d.ctx)
		d.waitReady(rt)
	}
	d.current.Store(rt)
	old.stop(rt)
	d.reloadOK.Set(1)
	d.reloadTime.SetToCurrentTime()
	d.logger.Info("configuration reloaded", "file", d.opts.ConfigFile)
	afterReload()
	return nil
}

// reloadWarmUp bounds how long a reload waits for the new runtime's caches
// and first refreshes before swapping it in anyway.
const reloadWarmUp = 30 * time.Second

func (d *Daemon) waitReady(rt *runtime) {
	deadline := time.Now().Add(reloadWarmUp)
	for !rt.ready() && time.Now().Before(deadline) && d.ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
}

// Ready reports whether every source has finished its first refresh and the
// Kubernetes caches are filled (or the API server is known to be down).
func (d *Daemon) Ready() bool { return d.current.Load().ready() }
