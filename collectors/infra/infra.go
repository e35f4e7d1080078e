// Package infra exports the state of the cloud infrastructure a cluster
// runs on, as the clouds' APIs see it: the first questions of an incident
// ("is the managed cluster ACTIVE or stuck UPDATING, did the node pool
// shrink below its minimum, do the nodes still have their public IPs, is
// the LAN still public") answered without a console.
//
// The AWS part reads EC2 and ELBv2 with the aws provider's per-account
// config over each source's counting transport: instance state and status
// checks of the K3s nodes, targets by health state and reason, load
// balancer state, each over its full closed set.
//
// The IONOS part reads the Cloud API v6 through sdk-go/v6 with the ionos
// provider's client over its source's counting transport, asking an
// explicit depth and following _links.next, so a refresh costs requests per
// collection, not per object (a realistic environment takes 6). States are
// exported over their full closed set (1 for the current one, 0 for the
// others), so a change never leaves an orphan series, unlike a state label
// on an info metric. The time an upgrade was first seen is carried from
// snapshot to snapshot and persisted, because an alert's `for:` of 30 days
// would restart with every Prometheus or Vigil restart.
package infra

import (
	"context"
	"io"
	"log/slog"
	"time"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"

	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// Config of the collector, from the section and the daemon's deps.
type Config struct {
	Environment string
	IONOS       *IONOSSection // nil: the IONOS part is off
	AWS         *AWSSection   // nil: the AWS part is off
	// AWSTargets are the accounts and regions the AWS part reads.
	AWSTargets []AWSTarget
	// Key identifies the configuration and credentials (source.Options.Key).
	Key string
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// Collector holds the infra sources.
type Collector struct {
	cfg      Config
	logger   *slog.Logger
	ionos    *source.Source[ionosSnapshot]
	ionosAPI *ionoscloud.APIClient
	group    *source.Group
	aws      []*awsSource
}

// New adds the collector's sources to group. prov is the IONOS provider,
// required when cfg.IONOS is set.
func New(cfg Config, prov *ionos.Provider, group *source.Group, logger *slog.Logger) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Collector{cfg: cfg, logger: logger, group: group}
	if cfg.IONOS != nil {
		// Page: a blind eye on the managed cluster's state during an
		// incident is what this source exists to prevent. Persistent: the
		// upgrade first-seen times must survive a restart.
		c.ionos = source.Add(group, source.Options{Name: IONOSSourceName, Interval: cfg.IONOS.RefreshInterval.Std(),
			Key: cfg.Key, Persistent: true, Criticality: source.CriticalityPage}, c.fetchIONOS)
		c.ionosAPI = prov.CloudAPI(c.ionos.Transport(nil, ionosAPIName))
	}
	if cfg.AWS != nil {
		for _, t := range cfg.AWSTargets {
			c.addAWS(t)
		}
	}
	return c
}

func (c *Collector) now() time.Time { return c.cfg.Now() }

// Start does nothing: the engine runs the sources.
func (c *Collector) Start(context.Context) {}

// Ready is true: the group waits for the sources' first refresh.
func (c *Collector) Ready() bool { return true }

// Stop does nothing: the group stops the sources.
func (c *Collector) Stop() {}

// RenderText renders the collector alone (tests).
func (c *Collector) RenderText(w io.Writer) error {
	t := exposition.NewWriter(w, exposition.Pair{Label: exposition.Environment, Value: c.cfg.Environment})
	err := c.Render(t)
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	return err
}

// IONOSStatus is the IONOS source's status (tests, /-/ready).
func (c *Collector) IONOSStatus() source.Status { return c.ionos.Status() }

// AWSStatus is the status of the i-th AWS target's source (tests).
func (c *Collector) AWSStatus(i int) source.Status { return c.aws[i].src.Status() }
