// This module holds the tests that drive a real browser (headless Chromium,
// through chromedp): the status page on the sandbox and `make demo`'s
// Prometheus alerts page. It is a module of its own so chromedp and its
// dependencies never enter the main module's go.mod; it runs the exporter
// as a binary built from the main module, and imports none of its packages.
module github.com/vigil-monitoring/vigil/test/browser

go 1.27.3

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
