// Command gen writes docs/metrics.md from the metric catalogue. Run it from
// the repository root (make generate does).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/vigil-monitoring/vigil/internal/catalogue"
)

func main() {
	out := flag.String("out", "docs/metrics.md", "file to write")
	flag.Parse()
	if err := os.WriteFile(*out, catalogue.Markdown(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "write metric catalogue: %v (run from the repository root, or pass -out)\n", err)
		os.Exit(1)
	}
}
