// Command gen writes deploy/base/generated and charts/vigil/files from
// alerts/*.yml and dashboards/*.json. Run it from the repository root: `go run ./deploy/gen`
// (make generate runs it after the dashboards are generated). Its settings
// (the runbook URL pattern) are in deploy/gen.yaml.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-monitoring/vigil/deploy"
)

func main() {
	root := flag.String("root", ".", "repository root (the directory holding alerts/, dashboards/ and deploy/)")
	pattern := flag.String("runbook-url-pattern", "", "runbook_url of every alert, %s standing for the runbook name (kube-pod-crash-looping); default: runbookURLPattern of deploy/gen.yaml, else this repository's runbook files")
	flag.Parse()
	if _, err := os.Stat(*root + "/deploy/base/kustomization.yaml"); err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %s is not the repository root (no deploy/base/kustomization.yaml): run it from the root or pass -root\n", *root)
		os.Exit(1)
	}
	settings, err := deploy.LoadSettings(*root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %v\n", err)
		os.Exit(1)
	}
	if *pattern != "" {
		settings.RunbookURLPattern = *pattern
	}
	files, err := deploy.GenerateWith(*root, settings)
	if err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %v\n", err)
		os.Exit(1)
	}
	if err := deploy.Write(*root, files); err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %v\n", err)
		os.Exit(1)
	}
	// The Helm chart's copies: its runbook URL pattern is a value of the
	// chart (prometheusRule.runbookURLPattern), not this setting.
	chart, err := deploy.GenerateChart(*root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %v\n", err)
		os.Exit(1)
	}
	if err := deploy.WriteDir(filepath.Join(*root, deploy.ChartFilesDir), chart); err != nil {
		fmt.Fprintf(os.Stderr, "deploy/gen: %v\n", err)
		os.Exit(1)
	}
}
