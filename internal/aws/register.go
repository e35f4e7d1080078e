package aws

import (
	"context"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
)

// The `aws:` section is a provider: collectors that read AWS name it in
// their Registration.Uses and share one Provider (one config per account
// and region) per loaded config.
func init() {
	collector.RegisterProvider(collector.Provider{
		Section:    "aws",
		NewSection: func() config.Section { return &Config{} },
		Build: func(ctx context.Context, sec config.Section) (collector.Built, error) {
			return New(ctx, sec.(*Config))
		},
	})
}
