package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// Reasons a usage meter is left out of the IONOS cost (a closed set).
const (
	unpricedNoPrice          = "no_price"
	unpricedUnitMismatch     = "unit_mismatch"
	unpricedCurrencyMismatch = "currency_mismatch"
)

var unpricedReasons = []string{unpricedNoPrice, unpricedUnitMismatch, unpricedCurrencyMismatch}

// ionosSnapshot is what one refresh of the IONOS Billing API learns.
type ionosSnapshot struct {
	Contract    string             `json:"contract"`
	Currency    string             `json:"currency"`
	Month       string             `json:"month"`    // YYYY-MM of the month to date
	Products    map[string]float64 `json:"products"` // meterDesc -> cost, month to date
	DataCenters map[string]float64 `json:"datacenters"`
	// Hours of the month usage covers (through its endDate) and in all.
	HoursCovered float64        `json:"hours_covered"`
	HoursInMonth float64        `json:"hours_in_month"`
	Previous     float64        `json:"previous"`
	Unpriced     map[string]int `json:"unpriced"`
}

type unitPrice struct {
	cost     float64
	unit     string
	currency string
}

// fetchIONOS reads the price list, this month's and last month's usage
// (three requests) and prices every meter: cost = quantity x unit price,
// the method of the wire-format reference §3.5.
func fetchIONOS(ctx context.Context, client *ionos.BillingClient, now time.Time) (ionosSnapshot, error) {
	products, err := client.Products(ctx)
	if err != nil {
		return ionosSnapshot{}, err
	}
	prices := map[string]unitPrice{}
	currencies := map[string]int{}
	for _, p := range products {
		if p.UnitCost == nil || p.Term != nil {
			continue // commitments are billed by term, not by usage
		}
		prices[p.MeterID] = unitPrice{cost: float64(p.UnitCost.Quantity), unit: p.Unit, currency: p.UnitCost.Unit}
		currencies[p.UnitCost.Unit]++
	}
	// The contract's currency is the price list's; a meter priced in
	// another is flagged, never added.
	currency, most := "", 0
	for c, n := range currencies {
		if n > most || (n == most && c < currency) {
			currency, most = c, n
		}
	}
	if currency == "" {
		return ionosSnapshot{}, source.WithReason(errors.New("ionos billing: the price list has no priced product"), source.ReasonDecode)
	}
	cur, err := client.Usage(ctx, now)
	if err != nil {
		return ionosSnapshot{}, err
	}
	prevMonth := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	prev, err := client.Usage(ctx, prevMonth)
	if err != nil {
		return ionosSnapshot{}, err
	}
	start := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	snap := ionosSnapshot{
		Contract: client.Contract(), Currency: currency, Month: start.Format("2006-01"),
		Products: map[string]float64{}, DataCenters: map[string]float64{}, Unpriced: map[string]int{},
		HoursInMonth: start.AddDate(0, 1, 0).Sub(start).Hours(),
	}
	for _, r := range unpricedReasons {
		snap.Unpriced[r] = 0
	}
	cost := func(m ionos.UsageMeter) (float64, string) {
		p, ok := prices[m.MeterID]
		switch {
		case !ok:
			return 0, unpricedNoPrice
		case p.cost == 0:
			// A free product (a private LAN): it costs nothing, so
			// leaving it out understates nothing; flagging it would keep
			// BillingIONOSMetersUnpriced open for good.
			return 0, ""
		case p.currency != currency:
			return 0, unpricedCurrencyMismatch
		case normUnit(m.Quantity.Unit) != normUnit(p.unit):
			return 0, unpricedUnitMismatch
		}
		return float64(m.Quantity.Quantity) * p.cost, ""
	}
	for _, dc := range cur.DataCenters {
		name := dc.Name
		if name == "" {
			name = dc.ID
		}
		snap.DataCenters[name] += 0
		for _, m := range dc.Meters {
			v, why := cost(m)
			if why != "" {
				snap.Unpriced[why]++
				continue
			}
			desc := m.MeterDesc
			if desc == "" {
				desc = m.MeterID
			}
			snap.Products[desc] += v
			snap.DataCenters[name] += v
		}
	}
	for _, dc := range prev.DataCenters {
		for _, m := range dc.Meters {
			if v, why := cost(m); why == "" {
				snap.Previous += v
			}
		}
	}
	// Usage is computed once a day: it covers the month through endDate.
	if end, err := time.Parse("2006-01-02", cur.EndDate); err == nil && !end.Before(start) {
		snap.HoursCovered = min(end.AddDate(0, 0, 1).Sub(start).Hours(), snap.HoursInMonth)
	} else if cur.EndDate != "" {
		return ionosSnapshot{}, source.WithReason(fmt.Errorf("ionos billing usage: endDate %q is not a date of this month", cur.EndDate), source.ReasonDecode)
	}
	return snap, nil
}

// normUnit compares meter units loosely on spacing and case ("1G*30Days"
// and "1 G * 30 days"), nothing more: a real difference is a mismatch.
func normUnit(u string) string {
	return strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(u, "*", " * ")), ""))
}

// forecast is the linear month-end forecast: month to date scaled by the
// hours of the month it covers.
func (s ionosSnapshot) forecast() (float64, bool) {
	if s.HoursCovered <= 0 {
		return 0, false
	}
	var total float64
	for _, v := range s.Products {
		total += v
	}
	return total * s.HoursInMonth / s.HoursCovered, true
}
