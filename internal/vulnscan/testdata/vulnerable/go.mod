// A module that must fail the scan: it pins a golang.org/x/net with known
// vulnerabilities in x/net/html (GO-2026-6860, GO-2026-6866, fixed in
// v0.62.0) and calls the vulnerable html.Parse. internal/vulnscan's tests run
// the real govulncheck over it to prove the scan reports what code calls.
module example.com/vulnerable

go 1.26.0

require golang.org/x/net v0.61.0
