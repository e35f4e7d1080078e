#!/usr/bin/env bash
# promtool check metrics on a real scrape of the sandbox exporter (the test
# starts the daemon on the sandbox, scrapes /metrics and pipes it to promtool).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 -run 'TestSandboxScrapePassesPromtoolCheckMetrics' ./internal/daemon/
