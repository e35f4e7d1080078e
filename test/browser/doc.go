// Package browser holds tests that drive headless Chromium with chromedp;
// see browser_test.go.
package browser
