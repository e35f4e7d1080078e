// Package alerts holds Vigil's Prometheus alerting rules (one file per
// concern, *.yml), their promtool unit tests (tests/) and the runbooks the
// rules link to (runbooks/). The rule files are embedded so the end-to-end
// test and deploy/ generators load exactly the files that are tested here.
package alerts

import "embed"

// Rules holds every rule file of this directory.
//
//go:embed *.yml
var Rules embed.FS

// RunbookBaseURL is where every alert's runbook_url points: the runbook file
// alerts/runbooks/<alert-name-in-kebab-case>.md on the main branch.
const RunbookBaseURL = "https://github.com/vigil-monitoring/vigil/blob/main/alerts/runbooks/"
