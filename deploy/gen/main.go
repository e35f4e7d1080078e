// Command gen writes deploy/base/generated from alerts/*.yml and
// dashboards/*.json. Run it from the repository root: `go run ./deploy/gen`
// (make generate runs it after the dashboards are generated).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/vigil-monitoring/vigil/deploy"
)

func main() {
	root := flag.String("root", ".", "repository root (the directory holding alerts/, dashboards/ and deploy/)")
	flag.Parse()
	if _, err := os.Stat(*root + "/deploy/base/kustomization.yaml"); err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %s is not the repository root (no deploy/base/kustomization.yaml): run it from the root or pass -root\n", *root)
		os.Exit(1)
	}
	files, err := deploy.Generate(*root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %v\n", err)
		os.Exit(1)
	}
	if err := deploy.Write(*root, files); err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %v\n", err)
		os.Exit(1)
	}
}
