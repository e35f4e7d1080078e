package ionos

import (
	"context"

	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
)

// The `ionos:` section is a provider: collectors that read IONOS Cloud name
// it in their Registration.Uses and share one Provider per loaded config.
func init() {
	collector.RegisterProvider(collector.Provider{
		Section:    "ionos",
		NewSection: func() config.Section { return &Config{} },
		Build: func(_ context.Context, sec config.Section) (collector.Built, error) {
			return New(sec.(*Config))
		},
		Sandbox: sandboxSection,
	})
}
