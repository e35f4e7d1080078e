package ionos

// A small hand-written client of the IONOS Billing API (no SDK is
// obtainable): GET /{contract}/products (unit prices per meter) and
// GET /{contract}/usage?period=YYYY-MM (month-to-date quantities per data
// center and meter). Only contract owners and admins may read it. Numbers
// arrive as JSON numbers or as strings depending on the field and the
// server version, so Decimal accepts both.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Decimal is a number the Billing API sends either as a JSON number or as a
// string ("0.0400").
type Decimal float64

// UnmarshalJSON accepts 12, 12.5, "12.5" and null (0).
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*d = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(s))
	}
	v, err := strconv.ParseFloat(string(b), 64)
	// ParseFloat also reads "NaN" and "Inf", which are no amount of money
	// and would poison every sum they enter (found by FuzzDecimal).
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%q is not a finite decimal number", string(b))
	}
	*d = Decimal(v)
	return nil
}

// Product is one price-list entry of GET /{contract}/products.
type Product struct {
	MeterID    string `json:"meterId"`
	MeterDesc  string `json:"meterDesc"`
	Deprecated bool   `json:"deprecated"`
	Unit       string `json:"unit"` // the meter unit, e.g. "1 hour"
	Type       string `json:"type"`
	Term       *int32 `json:"term"` // commitment months; nil for consumption
	UnitCost   *struct {
		Quantity Decimal `json:"quantity"` // price per unit
		Unit     string  `json:"unit"`     // currency, e.g. EUR
	} `json:"unitCost"`
}

// Usage is GET /{contract}/usage: quantities per data center and meter.
type Usage struct {
	StartDate   string            `json:"startDate"` // YYYY-MM-DD
	EndDate     string            `json:"endDate"`   // last day computed
	DataCenters []UsageDataCenter `json:"datacenters"`
}

// UsageDataCenter is one virtual data center of a Usage.
type UsageDataCenter struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Location string       `json:"location"`
	Meters   []UsageMeter `json:"meters"`
}

// UsageMeter is one meter's quantity.
type UsageMeter struct {
	MeterID   string `json:"meterId"`
	MeterDesc string `json:"meterDesc"`
	Quantity  struct {
		Quantity Decimal `json:"quantity"`
		Unit     string  `json:"unit"`
	} `json:"quantity"`
}

// BillingClient reads one contract's Billing API.
type BillingClient struct {
	base, contract string
	http           *http.Client
}

// Billing returns a Billing API client for the provider's contract, whose
// requests go through rt (the source's counting transport). It fails when no
// contract number is configured: the API's paths need it.
func (p *Provider) Billing(rt http.RoundTripper) (*BillingClient, error) {
	if p.contract == "" {
		return nil, errors.New("the IONOS Billing API needs the contract number: set contract_number in the ionos: section (or IONOS_CONTRACT_NUMBER)")
	}
	return NewBillingClient(p.billingURL, p.contract, p.HTTP(rt)), nil
}

// NewBillingClient is a client of base (…/billing) for contract over hc,
// which must authenticate (Provider.Billing does; the sandbox uses its own).
func NewBillingClient(base, contract string, hc *http.Client) *BillingClient {
	return &BillingClient{base: strings.TrimRight(base, "/"), contract: contract, http: hc}
}

// Contract is the contract number the client reads.
func (c *BillingClient) Contract() string { return c.contract }

// Products returns the current price list.
func (c *BillingClient) Products(ctx context.Context) ([]Product, error) {
	var out struct {
		Products []Product `json:"products"`
	}
	if err := c.get(ctx, "GET /{contract}/products", "/products", nil, &out); err != nil {
		return nil, err
	}
	return out.Products, nil
}

// Usage returns the usage of the month of t (the current month is month to
// date, computed once a day).
func (c *BillingClient) Usage(ctx context.Context, t time.Time) (Usage, error) {
	var out Usage
	err := c.get(ctx, "GET /{contract}/usage", "/usage", url.Values{"period": {t.UTC().Format("2006-01")}}, &out)
	return out, err
}

func (c *BillingClient) get(ctx context.Context, api, path string, q url.Values, into any) error {
	u := c.base + "/" + url.PathEscape(c.contract) + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	if err := getJSON(ctx, c.http, api, u, 32<<20, into); err != nil {
		return fmt.Errorf("ionos billing: %w", err)
	}
	return nil
}
