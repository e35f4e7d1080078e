package billing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"

	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/exposition"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// The IONOS estimate from inventory is for users who cannot read the
// Billing API (only contract owners and admins can): the Cloud API objects
// that cost money (node pools' cores, RAM and storage by type, reserved IP
// blocks) and the container registries, times a price table from the
// configuration. Its families are vigil_billing_estimate_*, labelled
// estimate="true", never added to the billed vigil_billing_cost_* ones;
// BillingEstimateOverBudget alerts on it only where no billed figure of the
// same environment, provider and currency exists.

// SourceIONOSEstimate is the estimate's refresh source.
const SourceIONOSEstimate = "billing_ionos_estimate"

// DefaultEstimateInterval: inventory changes with an apply, not by the
// minute, and the three requests a refresh are free.
const DefaultEstimateInterval = time.Hour

// Products of the estimate, with the unit their price is per month of.
var estimateProducts = []struct{ name, unit string }{
	{"cores", "core"}, {"ram", "GB"}, {"storage_hdd", "GB"}, {"storage_ssd", "GB"},
	{"public_ips", "IP"}, {"registries", "registry"},
}

// DefaultEstimatePrices are the default prices, EUR per unit and month.
//
// The seeds give no unit prices, only what each environment costs a month
// (dev about EUR 73, staging 177, production 290) with its inventory in
// terraform/ionos/environments (dev: 2 nodes of 2 cores, 8 GB RAM and 50 GB
// HDD; staging: 2 of 4 cores, 16 GB and 100 GB SSD; production: 3 of 4
// cores, 16 GB and 100 GB SSD; 4, 4 and 8 reserved IPs; one registry each).
// No set of non-negative unit prices reproduces all three totals: staging
// minus dev and production minus staging force an IP to cost at least
// EUR 12.25 a month. So these are a rounded fit, with RAM per GB priced at
// a quarter of a core and SSD above HDD (the proportions of the IONOS
// Billing API's published price example, C01000 and R01000). They give
// dev 87, staging 183 and production 280 (TestDefaultPricesAgainstTheSeeds):
// staging and production within 4 %, dev 19 % high. Set your contract's
// prices in billing.ionos_estimate.prices.
var DefaultEstimatePrices = map[string]float64{
	"cores": 9, "ram": 1.25, "storage_hdd": 0.10, "storage_ssd": 0.25, "public_ips": 4, "registries": 5,
}

// IONOSEstimate configures the estimate from inventory.
type IONOSEstimate struct {
	// RefreshInterval; default 1h.
	RefreshInterval config.Duration `yaml:"refresh_interval"`
	// Currency of the prices; default EUR.
	Currency string `yaml:"currency"`
	// Prices per unit and month; a price left out takes its default.
	Prices EstimatePrices `yaml:"prices"`
	// Clusters, IPBlocks and Registries restrict the inventory to these
	// names (this environment's, when one contract holds several); empty
	// counts every one.
	Clusters   []string `yaml:"clusters"`
	IPBlocks   []string `yaml:"ip_blocks"`
	Registries []string `yaml:"registries"`
}

// EstimatePrices are prices per unit and month, in the estimate's currency.
type EstimatePrices struct {
	Core     *float64 `yaml:"core"`     // per core (dedicated core) of a node
	RAMGB    *float64 `yaml:"ram_gb"`   // per GB of a node's RAM
	HDDGB    *float64 `yaml:"hdd_gb"`   // per GB of a node's HDD storage
	SSDGB    *float64 `yaml:"ssd_gb"`   // per GB of a node's SSD storage
	IP       *float64 `yaml:"ip"`       // per reserved IP (every IP of every block)
	Registry *float64 `yaml:"registry"` // per container registry
}

// table returns the prices by product, defaults filled in.
func (p EstimatePrices) table() map[string]float64 {
	out := map[string]float64{}
	for name, v := range map[string]*float64{"cores": p.Core, "ram": p.RAMGB, "storage_hdd": p.HDDGB,
		"storage_ssd": p.SSDGB, "public_ips": p.IP, "registries": p.Registry} {
		out[name] = DefaultEstimatePrices[name]
		if v != nil {
			out[name] = *v
		}
	}
	return out
}

func (e *IONOSEstimate) applyDefaults() {
	if e.RefreshInterval == 0 {
		e.RefreshInterval = config.Duration(DefaultEstimateInterval)
	}
	if e.Currency == "" {
		e.Currency = "EUR"
	}
}

func (e *IONOSEstimate) validate(add func(field, msg, hint string)) {
	if iv := e.RefreshInterval.Std(); iv < time.Minute {
		add("ionos_estimate.refresh_interval", fmt.Sprintf("%s is too short", iv), "inventory changes with an apply: use at least 1m; 1h is the default")
	}
	if !currencyCode.MatchString(e.Currency) {
		add("ionos_estimate.currency", fmt.Sprintf("%q is not a currency code", e.Currency), "write the ISO code of the prices, e.g. EUR")
	}
	for name, v := range map[string]*float64{"core": e.Prices.Core, "ram_gb": e.Prices.RAMGB, "hdd_gb": e.Prices.HDDGB,
		"ssd_gb": e.Prices.SSDGB, "ip": e.Prices.IP, "registry": e.Prices.Registry} {
		if v != nil && (*v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0)) {
			add("ionos_estimate.prices."+name, "must be zero or a positive amount", "write the price per unit and month from your contract, e.g. 9.5")
		}
	}
}

// inventory is what one refresh counted, per product, in its unit.
type inventory map[string]float64

// EstimateTarget is the IONOS account whose inventory to price.
type EstimateTarget struct {
	Config IONOSEstimate
	// CloudAPI and Registries return clients sending through rt.
	CloudAPI   func(rt http.RoundTripper) *ionoscloud.APIClient
	Registries func(rt http.RoundTripper) *ionos.TokenClient
	Key        string
}

// fetchInventory counts what costs money with three requests when nothing
// pages: /k8s?depth=3 (clusters, their node pools' properties), /ipblocks
// (depth 1, every page) and the registries.
func fetchInventory(ctx context.Context, api *ionoscloud.APIClient, reg *ionos.TokenClient, e IONOSEstimate) (inventory, error) {
	inv := inventory{}
	for _, p := range estimateProducts {
		inv[p.name] = 0
	}
	clusters, _, err := api.KubernetesApi.K8sGet(ctx).Depth(3).Execute()
	if err != nil {
		return nil, estimateError(ctx, "GET /k8s", err)
	}
	for _, cl := range deref(clusters.Items) {
		if cl.Properties == nil || !wanted(e.Clusters, deref(cl.Properties.Name)) || cl.Entities == nil || cl.Entities.Nodepools == nil {
			continue
		}
		for _, np := range deref(cl.Entities.Nodepools.Items) {
			if err := addPool(inv, np.Properties); err != nil {
				return nil, err
			}
		}
	}
	ips, err := reservedIPs(ctx, api, e.IPBlocks)
	if err != nil {
		return nil, err
	}
	inv["public_ips"] = ips
	regs, err := reg.Registries(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range regs {
		if wanted(e.Registries, r.Name) {
			inv["registries"]++
		}
	}
	return inv, nil
}

// addPool adds a node pool's nodes; a storage type the price table does not
// know is a decode error, not a silent zero.
func addPool(inv inventory, p *ionoscloud.KubernetesNodePoolProperties) error {
	if p == nil {
		return &source.DecodeError{Err: errors.New("IONOS Cloud API GET /k8s: a node pool without properties (depth too low?)")}
	}
	n := float64(deref(p.NodeCount))
	inv["cores"] += n * float64(deref(p.CoresCount))
	inv["ram"] += n * float64(deref(p.RamSize)) / 1024 // MB → GB
	switch t := strings.ToUpper(deref(p.StorageType)); t {
	case "HDD", "SSD":
		inv["storage_"+strings.ToLower(t)] += n * float64(deref(p.StorageSize))
	default:
		return &source.DecodeError{Err: fmt.Errorf("IONOS Cloud API GET /k8s: node pool %s has storage type %q, which the estimate has no price for", deref(p.Name), t)}
	}
	return nil
}

// reservedIPs sums the sizes of the IP blocks, every page: sdk-go has no
// pager, so this follows _links.next by hand (offset only; the API's
// default limit of 100 a page).
func reservedIPs(ctx context.Context, api *ionoscloud.APIClient, names []string) (float64, error) {
	var total float64
	var offset int32
	for range 100 {
		blocks, _, err := api.IPBlocksApi.IpblocksGet(ctx).Depth(1).Offset(offset).Execute()
		if err != nil {
			return 0, estimateError(ctx, "GET /ipblocks", err)
		}
		items := deref(blocks.Items)
		for _, b := range items {
			if b.Properties != nil && wanted(names, deref(b.Properties.Name)) {
				total += float64(deref(b.Properties.Size))
			}
		}
		if blocks.Links == nil || deref(blocks.Links.Next) == "" || len(items) == 0 {
			return total, nil
		}
		next, err := url.Parse(deref(blocks.Links.Next))
		if err != nil {
			return 0, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /ipblocks: _links.next is not a URL")}
		}
		off, err := strconv.ParseInt(next.Query().Get("offset"), 10, 32)
		if err != nil || int32(off) <= offset {
			return 0, &source.DecodeError{Err: errors.New("IONOS Cloud API GET /ipblocks: _links.next does not move forward")}
		}
		offset = int32(off)
	}
	return 0, errors.New("IONOS Cloud API GET /ipblocks: more than 100 pages")
}

// estimateError names the call, never the URL or the SDK's text (which may
// quote the answer), and keeps the status for the engine's reasons.
func estimateError(ctx context.Context, api string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var oe ionoscloud.GenericOpenAPIError
	if errors.As(err, &oe) && oe.StatusCode() != 0 {
		if oe.StatusCode() >= 200 && oe.StatusCode() < 300 {
			return &source.DecodeError{Err: fmt.Errorf("IONOS Cloud API %s: the answer did not parse", api)}
		}
		e := &source.HTTPError{API: "IONOS Cloud API " + api, StatusCode: oe.StatusCode()}
		if oe.StatusCode() == http.StatusUnauthorized || oe.StatusCode() == http.StatusForbidden {
			return fmt.Errorf("%w: the ionos section's credentials are wrong, expired or lack read rights on the Cloud API", e)
		}
		return e
	}
	return fmt.Errorf("IONOS Cloud API %s: %w", api, err)
}

func wanted(names []string, name string) bool { return len(names) == 0 || slices.Contains(names, name) }

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// monthFraction is how much of the current UTC month has passed at now.
func monthFraction(now time.Time) float64 {
	now = now.UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return now.Sub(start).Hours() / start.AddDate(0, 1, 0).Sub(start).Hours()
}

// renderEstimate writes the estimate's families from its last snapshot;
// nothing when there is none (no estimate configured, or none read yet).
func (c *Collector) renderEstimate(t *exposition.Writer, now time.Time) {
	var inv inventory
	if c.estimate != nil {
		inv, _, _ = c.estimate.Get()
	}
	cfg := c.cfg.Estimate
	series := func(product string) {
		t.Series()
		t.Label(lProvider, "ionos")
		if product != "" {
			t.Label(lProduct, product)
		}
	}
	t.Family(headers, "vigil_billing_estimate_quantity")
	for _, p := range estimateProducts {
		if v, ok := inv[p.name]; ok {
			series(p.name)
			t.Label(lUnit, p.unit)
			t.Label(lEstimate, "true")
			t.Float(money(v))
		}
	}
	if inv == nil {
		t.Family(headers, "vigil_billing_estimate_monthly")
		t.Family(headers, "vigil_billing_estimate_month_to_date")
		return
	}
	prices := cfg.Config.Prices.table()
	var total float64
	t.Family(headers, "vigil_billing_estimate_monthly")
	for _, p := range estimateProducts {
		cost := inv[p.name] * prices[p.name]
		total += cost
		series(p.name)
		t.Label(lCurrency, cfg.Config.Currency)
		t.Label(lEstimate, "true")
		t.Float(money(cost))
	}
	t.Family(headers, "vigil_billing_estimate_month_to_date")
	series("")
	t.Label(lCurrency, cfg.Config.Currency)
	t.Label(lEstimate, "true")
	t.Float(money(total * monthFraction(now)))
}
