// Command exporter is the Vigil daemon that Prometheus scrapes.
//
// It turns Kubernetes cluster health (and, as collectors are added, cloud
// state, expiry, backups and cost) into Prometheus metrics. It needs
// --config.file, or --sandbox for the embedded demo environment with the
// runbooks' faults in it.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/shard"
)

func main() {
	app := kingpin.New("vigil-exporter", "Vigil: Kubernetes and cloud health, expiry, backups and cost as Prometheus metrics.")
	configFile := app.Flag("config.file", "Vigil configuration file (see examples/vigil.yml). Required unless --sandbox.").String()
	configCheck := app.Flag("config.check", "Validate --config.file and exit: 0 when valid, 1 with the file, line and field when not.").Bool()
	sandbox := app.Flag("sandbox", "Run on the embedded sandbox instead of --config.file: a demo cluster with the runbooks' faults, labelled environment=\"sandbox\".").Bool()
	storagePath := app.Flag("storage.path", "Directory for the snapshots of sources that cost money or time (so a restart does not fetch again) and for daily request budgets.").Default("data/").String()
	enableLifecycle := app.Flag("web.enable-lifecycle", "Enable reloading the configuration with POST /-/reload (SIGHUP always works).").Bool()
	telemetryPath := app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
	var sh shard.Flags
	app.Flag("shard", "This replica's shard, 0 to --total-shards-1: it exports the pods, workloads and HPAs whose UID hashes to it; shard 0 also exports nodes, the API server probe and every other collector.").Default("0").IntVar(&sh.Index)
	app.Flag("total-shards", "How many replicas split the cluster's objects (1: no sharding).").Default("1").IntVar(&sh.Total)
	app.Flag("auto-shard", "Take --shard from this pod's StatefulSet ordinal and --total-shards from the StatefulSet's replicas (needs get on statefulsets; see deploy/components/sharded or the chart's sharding values).").BoolVar(&sh.Auto)
	app.Flag("pod", "This pod's name, for --auto-shard.").Envar("POD_NAME").StringVar(&sh.Pod)
	app.Flag("pod-namespace", "This pod's namespace, for --auto-shard.").Envar("POD_NAMESPACE").StringVar(&sh.PodNamespace)
	webFlags := kingpinflag.AddFlags(app, ":9477")
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)
	app.Version(version.Print("vigil-exporter"))
	app.HelpFlag.Short('h')
	kingpin.MustParse(app.Parse(os.Args[1:]))

	if *configCheck {
		if *configFile == "" {
			fmt.Fprintln(os.Stderr, "--config.check needs --config.file")
			os.Exit(2)
		}
		if err := daemon.Check(*configFile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s: valid\n", *configFile)
		return
	}

	logger := promslog.New(logConfig)
	logger.Info("starting vigil-exporter", "version", version.Info(), "build", version.BuildContext())
	myShard, err := sh.Resolve(context.Background())
	if err != nil {
		logger.Error("cannot start: sharding", "err", err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if myShard.Sharded() {
		logger.Info("sharded", "shard", myShard.Index, "total_shards", myShard.Total)
	}
	d, err := daemon.New(daemon.Options{
		ConfigFile:      *configFile,
		Sandbox:         *sandbox,
		StoragePath:     *storagePath,
		TelemetryPath:   *telemetryPath,
		ListenAddrs:     *webFlags.WebListenAddresses,
		WebConfigFile:   *webFlags.WebConfigFile,
		EnableLifecycle: *enableLifecycle,
		Logger:          logger,
		Shard:           myShard,
	})
	if err != nil {
		logger.Error("cannot start: invalid configuration", "err", err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if sh.Auto {
		go restartOnScale(ctx, stop, sh, myShard.Total, logger)
	}
	if err := d.Run(ctx); err != nil {
		logger.Error("exporter stopped", "err", err)
		os.Exit(1)
	}
}

// restartOnScale stops the daemon when the StatefulSet's replicas change:
// each replica read the shard count once, at start, and must restart (the
// kubelet starts it again) to take its new share.
func restartOnScale(ctx context.Context, stop func(), sh shard.Flags, total int, logger *slog.Logger) {
	n, err := sh.WatchTotal(ctx, total)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		logger.Warn("--auto-shard: cannot watch the StatefulSet's replicas; after scaling it, run kubectl rollout restart on it", "err", err)
	default:
		logger.Warn("--auto-shard: the StatefulSet was scaled; stopping, to start again with the new shard count", "shards_were", total, "shards_now", n)
		stop()
	}
}
