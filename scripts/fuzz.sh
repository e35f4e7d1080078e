#!/usr/bin/env bash
# Runs every Go fuzz target for FUZZTIME each (default 60s), one at a time
# with one worker (FUZZ_PARALLEL), so a shared machine stays usable. `make
# test` already runs every seed in testdata/fuzz as a regression test; this
# searches for new inputs. A crash leaves its input under the package's
# testdata/fuzz/<Target>/: fix the code and commit the input with the fix.
#
# Usage: scripts/fuzz.sh [target-regexp]   e.g. scripts/fuzz.sh FuzzParse
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-60s}"
FUZZ_PARALLEL="${FUZZ_PARALLEL:-1}"
only="${1:-.}"

# package target: every fuzz target in the repository. A test
# (TestFuzzTargetsListed in internal/config) fails when one is missing here.
targets=(
	"./internal/config FuzzParse"
	"./internal/config FuzzInlineSecretNeverEchoed"
	"./collectors/textfile FuzzParseText"
	"./collectors/expiry FuzzCertFacts"
	"./collectors/expiry FuzzJWTExpiry"
	"./collectors/expiry FuzzKubeconfig"
	"./internal/ionos FuzzDecimal"
	"./internal/ionos FuzzParseTime"
	"./internal/ionos FuzzClients"
	"./internal/aws FuzzParseAmount"
	"./internal/aws FuzzBillingAnswers"
	"./collectors/infra FuzzMaintenanceWindow"
	"./collectors/infra FuzzNextOffset"
)

failed=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	[[ "$name" =~ $only ]] || continue
	echo "== $name ($pkg) for $FUZZTIME"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZ_PARALLEL" "$pkg"; then
		failed=1
	fi
done
exit "$failed"
