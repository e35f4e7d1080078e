// Package all links every collector into the binary: each package registers
// itself with internal/collector at init. Adding a collector means one line
// here (and its package).
package all

import (
	_ "github.com/vigil-monitoring/vigil/collectors/access"   // vigil_access_*: probes from outside, with failure reasons
	_ "github.com/vigil-monitoring/vigil/collectors/backup"   // vigil_backup_*: backup freshness, files and S3
	_ "github.com/vigil-monitoring/vigil/collectors/billing"  // vigil_billing_*, vigil_budget_*: spend, forecast, budgets
	_ "github.com/vigil-monitoring/vigil/collectors/cluster"  // vigil_cluster_*: Kubernetes health
	_ "github.com/vigil-monitoring/vigil/collectors/expiry"   // vigil_cert_*, vigil_token_*: certificate and token expiry
	_ "github.com/vigil-monitoring/vigil/collectors/infra"    // vigil_infra_*: cloud infrastructure state (IONOS)
	_ "github.com/vigil-monitoring/vigil/collectors/textfile" // *.prom files: provision drift, other jobs

	// Providers: the clouds' shared credentials and clients (ionos:, aws:).
	_ "github.com/vigil-monitoring/vigil/internal/aws"
	_ "github.com/vigil-monitoring/vigil/internal/ionos"
)
