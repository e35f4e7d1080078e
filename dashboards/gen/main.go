// Command gen writes the dashboards' JSON into dashboards/. Run it from the
// repository root (make generate does).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/vigil-monitoring/vigil/dashboards"
)

func main() {
	dir := flag.String("dir", "dashboards", "directory to write the JSON files into")
	flag.Parse()
	files, err := dashboards.Render()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build dashboards: %v\n", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(*dir, name)
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "write %s: %v (run from the repository root, or pass -dir)\n", path, err)
			os.Exit(1)
		}
	}
}
