#!/usr/bin/env bash
# `make demo`: the whole loop on one machine, no cloud account.
#
# Builds the exporter and starts, all on loopback:
#   - Vigil on its embedded sandbox (--sandbox: a demo cluster and clouds with
#     the runbooks' faults in them),
#   - a real Prometheus (Debian's, as the tests use) scraping it and
#     evaluating the SHIPPED rules in alerts/*.yml, unchanged,
#   - a real Alertmanager receiving Prometheus' alerts.
# It prints the three URLs and runs until Ctrl-C (or SIGTERM), then stops
# all three and removes its temporary directory.
#
# Ports (override when taken): VIGIL_DEMO_EXPORTER_PORT (9477),
# VIGIL_DEMO_PROMETHEUS_PORT (9090), VIGIL_DEMO_ALERTMANAGER_PORT (9093).
# Prometheus and Alertmanager come from `scripts/install-tools.sh prometheus`
# (the Makefile's demo target runs it first).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VIGIL_PORT="${VIGIL_DEMO_EXPORTER_PORT:-9477}"
PROM_PORT="${VIGIL_DEMO_PROMETHEUS_PORT:-9090}"
AM_PORT="${VIGIL_DEMO_ALERTMANAGER_PORT:-9093}"
# The patched Go (see the Makefile), where the machine says "local".
if [ -z "${GOTOOLCHAIN:-}" ] || [ "${GOTOOLCHAIN}" = "local" ] || [ "${GOTOOLCHAIN}" = "auto" ]; then
	export GOTOOLCHAIN=go1.27.3
fi

log() { echo "demo: $*" >&2; }
die() {
	log "$*"
	exit 1
}

for tool in prometheus prometheus-alertmanager curl; do
	command -v "$tool" >/dev/null || die "$tool is not on PATH: run scripts/install-tools.sh prometheus (or make demo, which does)"
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo.XXXXXX")"
PIDS=()
cleanup() {
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
	log "stopped; removed $TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Built into a directory kept between runs: go build relinks only when the
# sources or flags changed, so a second `make demo` starts at once.
BIN="${XDG_CACHE_HOME:-$HOME/.cache}/vigil/demo/vigil-exporter"
log "building the exporter ($BIN)"
(cd "$ROOT" && go build -o "$BIN" ./cmd/exporter)

# Scrape and evaluate every 5 s so the demo moves quickly; the rules and
# their for: durations are the shipped ones.
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 5s
  evaluation_interval: 5s
  external_labels:
    environment: sandbox
rule_files:
  - $ROOT/alerts/*.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$AM_PORT"]
scrape_configs:
  - job_name: vigil
    static_configs:
      - targets: ["127.0.0.1:$VIGIL_PORT"]
EOF
# Every alert lands in one receiver with no integration: the demo shows them
# in Alertmanager's UI and pages nobody.
cat >"$TMP/alertmanager.yml" <<EOF
route:
  receiver: demo
  group_by: [alertname, environment]
  group_wait: 10s
receivers:
  - name: demo
EOF

# start NAME CMD...: runs CMD in the background, output to $TMP/NAME.log.
start() {
	local name="$1"
	shift
	"$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=("$!")
}

# wait_ready NAME URL: until URL answers 200, or 60 s, or the process died.
wait_ready() {
	local name="$1" url="$2" i
	for i in $(seq 1 120); do
		if curl -fsS -o /dev/null "$url" 2>/dev/null; then
			return 0
		fi
		for pid in "${PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null || {
				tail -n 20 "$TMP"/*.log >&2
				die "a process exited while waiting for $name (is port $PROM_PORT, $AM_PORT or $VIGIL_PORT taken? set VIGIL_DEMO_*_PORT)"
			}
		done
		sleep 0.5
	done
	tail -n 20 "$TMP/$name.log" >&2
	die "$name did not answer $url within 60 s; its log is above"
}

start vigil "$BIN" --sandbox --web.listen-address="127.0.0.1:$VIGIL_PORT" --storage.path="$TMP/vigil"
start alertmanager prometheus-alertmanager --config.file="$TMP/alertmanager.yml" --storage.path="$TMP/alertmanager" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address=
start prometheus prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus" \
	--web.listen-address="127.0.0.1:$PROM_PORT"

wait_ready vigil "http://127.0.0.1:$VIGIL_PORT/-/ready"
wait_ready alertmanager "http://127.0.0.1:$AM_PORT/-/ready"
wait_ready prometheus "http://127.0.0.1:$PROM_PORT/-/ready"

# Debian's Prometheus 2.42 serves its classic UI under /classic/; the
# upstream 2.x and 3.x builds serve /alerts.
ALERTS_PATH=/alerts
curl -fsS -o /dev/null "http://127.0.0.1:$PROM_PORT/alerts" 2>/dev/null || ALERTS_PATH=/classic/alerts

cat <<EOF
Vigil demo running (sandbox data; Ctrl-C stops everything):
  Vigil status page:    http://127.0.0.1:$VIGIL_PORT/   (metrics: /metrics)
  Prometheus alerts:    http://127.0.0.1:$PROM_PORT$ALERTS_PATH
  Alertmanager:         http://127.0.0.1:$AM_PORT/
Alerts without for: fire within a minute; the others show as pending and fire when their shipped for: has passed (see README).
EOF

# Run until a signal, or until one of the three exits on its own.
while :; do
	for pid in "${PIDS[@]}"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$TMP"/*.log >&2
			die "a process stopped on its own; its log is above"
		fi
	done
	sleep 1 &
	wait $! || true
done
