package dashboards

import "github.com/grafana-tools/sdk"

// Access answers "can users and tooling reach us from outside, and what
// expires next": every probe with its failure reason and phase durations
// (collectors/access), then certificates and tokens sorted by expiry
// (collectors/expiry).
func Access() *sdk.Board {
	b := newBuilder("vigil-access", "Vigil / Access and expiry", "access", "expiry")
	b.variables(false)
	a := func(metric string, matchers ...string) string { return one(metric, false, matchers...) }

	b.row("Reachability from outside")
	b.problemCount("Probes failing", "Access probes whose last run failed (AccessProbeFailing, AccessRegistryUnreachable, AccessKubeAPINotReady).",
		orZero(`count(`+a("vigil_access_probe_success")+` == 0)`))
	b.problemCount("Registries unreachable", "Container registries whose /v2/ answers neither 200 nor 401 (AccessRegistryUnreachable).",
		orZero(`count(`+a("vigil_access_probe_success", `kind="registry"`)+` == 0)`))
	b.problemCount("API /readyz failing", "Kubernetes API servers whose /readyz fails from outside (AccessKubeAPINotReady).",
		orZero(`count(`+a("vigil_access_probe_success", `kind="readyz"`)+` == 0)`))
	b.table("Every probe and its reason", "The reason of each probe's last run: none when it succeeded, otherwise the phase and what broke.", "none",
		a("vigil_access_probe_failure_reason")+` == 1`, 24, 8, "Value")
	b.timeseries("Probe success", "1 when the probe's last run succeeded.", "none", 12, 8,
		target{expr: a("vigil_access_probe_success"), legend: "{{environment}} {{probe}}"})
	b.table("HTTP status of the last answer", "Status code of each http, registry and readyz probe's last answer; 0: no answer.", "none",
		a("vigil_access_probe_http_status_code"), 12, 8)
	b.timeseries("Probe duration", "Duration of each probe's last run, all phases.", "s", 12, 8,
		target{expr: a("vigil_access_probe_duration_seconds"), legend: "{{environment}} {{probe}}"})
	b.timeseries("Probe duration by phase", "dns, connect, tls and first_byte of each probe's last run: where the time goes.", "s", 12, 8,
		target{expr: a("vigil_access_probe_phase_duration_seconds"), legend: "{{probe}} {{phase}}"})

	b.row("What expires next")
	b.problemCount("Certificates expired", "Certificates past their notAfter (CertificateExpired).",
		orZero(`count(`+a("vigil_cert_not_after_timestamp_seconds")+` < time())`))
	b.problemCount("Certificates expiring within 14 days", "Certificates inside the ticket threshold (CertificateExpiringSoon, CertificateExpiringImminently).",
		orZero(`count(`+a("vigil_cert_not_after_timestamp_seconds")+` - time() < on (environment) group_left max by (environment) (`+a("vigil_cert_ticket_within_seconds")+`))`))
	b.problemCount("Tokens expiring within 30 days", "Tokens inside the ticket threshold, expired included (TokenExpiringSoon, TokenExpiringImminently, TokenExpired).",
		orZero(`count(`+a("vigil_token_expiry_timestamp_seconds")+` - time() < on (environment) group_left max by (environment) (`+a("vigil_token_ticket_within_seconds")+`))`))
	b.table("Certificates, soonest expiry first", "Time left until each certificate's notAfter, per chain position; negative: expired.", "s",
		`sort(`+a("vigil_cert_not_after_timestamp_seconds")+` - time())`, 24, 10)
	b.table("Certificates not valid yet", "Certificates whose notBefore is in the future: clients refuse them until then.", "s",
		a("vigil_cert_not_before_timestamp_seconds")+` - time() > 0`, 12, 6)
	b.table("Page thresholds", "Configured thresholds below which certificates and tokens page.", "s",
		a("vigil_cert_page_within_seconds")+` or `+a("vigil_token_page_within_seconds"), 12, 6)
	b.table("ACM certificates not issued", "AWS Certificate Manager certificates whose status is not ISSUED (pending validation, failed, expired, revoked, inactive).", "none",
		a("vigil_cert_acm_status", `status!="ISSUED"`)+` == 1`, 12, 6, "Value")
	b.table("ACM certificates nothing uses", "Certificates associated with no AWS resource; they do not alert on expiry. Delete them or ignore them.", "none",
		a("vigil_cert_acm_in_use")+` == 0`, 12, 6, "Value")
	b.table("Tokens, soonest expiry first", "Time left until each token's expiry (JWT exp, IONOS expiryDate); negative: expired.", "s",
		`sort(`+a("vigil_token_expiry_timestamp_seconds")+` - time())`, 24, 8)
	b.table("Vigil's own IONOS API token", "Time left on the IONOS API token Vigil authenticates with (Auth API, matched by the JWT's kid): when it expires, every IONOS source fails with auth.", "s",
		a("vigil_token_expiry_timestamp_seconds")+` - time() and on (environment, kind, location, name, id) (`+a("vigil_token_in_use")+` == 1)`, 12, 6)
	b.table("Disabled registry tokens", "IONOS Container Registry tokens whose status is disabled; they never alert.", "none",
		a("vigil_token_enabled")+` == 0`, 12, 6, "Value")
	b.table("Tokens that never expire", "Tokens with no expiry date (an IONOS registry token with expiryDate null, a JWT without exp): rotate them by policy.", "none",
		a("vigil_token_expires")+` == 0`, 24, 6, "Value")
	return b.board
}
