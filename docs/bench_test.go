package docs_test

import (
	"regexp"
	"strings"
	"testing"
)

// Every benchmark docs/benchmarks.md gives a command for (in a fenced
// block) is one `make bench` runs: the Makefile's bench target has a line
// for the same package whose -bench pattern selects it, with the same
// -benchtime, so re-running `make bench` re-measures every figure the page
// shows.
func TestMakeBenchRunsEveryDocumentedBenchmark(t *testing.T) {
	doc := read(t, "docs/benchmarks.md")
	makefile := read(t, "Makefile")

	type cmd struct{ bench, benchtime, pkg, line string }
	flag := func(line, name string) string {
		m := regexp.MustCompile(`(?:^|\s)-` + name + `[ =]'?([^\s']+)'?`).FindStringSubmatch(line)
		if m == nil {
			return ""
		}
		return m[1]
	}
	parse := func(line string) cmd {
		fields := strings.Fields(line)
		return cmd{bench: flag(line, "bench"), benchtime: flag(line, "benchtime"), pkg: fields[len(fields)-1], line: line}
	}

	var targets []cmd
	inBench := false
	for _, line := range strings.Split(makefile, "\n") {
		switch {
		case strings.HasPrefix(line, "bench:"):
			inBench = true
		case inBench && strings.HasPrefix(line, "\t"):
			if strings.Contains(line, " test ") && strings.Contains(line, "-bench") {
				targets = append(targets, parse(strings.ReplaceAll(line, "$$", "$")))
			}
		case inBench:
			inBench = false
		}
	}
	if len(targets) == 0 {
		t.Fatal("the Makefile's bench target runs no benchmark")
	}

	var documented []cmd
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced && strings.HasPrefix(line, "go test ") && strings.Contains(line, "-bench ") {
			documented = append(documented, parse(line))
		}
	}
	if len(documented) == 0 {
		t.Fatal("docs/benchmarks.md has no benchmark command")
	}
	for _, d := range documented {
		found := false
		for _, m := range targets {
			re, err := regexp.Compile(m.bench)
			if err != nil {
				t.Fatalf("Makefile: -bench %q: %v", m.bench, err)
			}
			if m.pkg == d.pkg && re.MatchString(d.bench) && m.benchtime == d.benchtime {
				found = true
			}
		}
		if !found {
			t.Errorf("docs/benchmarks.md runs %q, but no line of the Makefile's bench target runs %s in %s with -benchtime %s", d.line, d.bench, d.pkg, d.benchtime)
		}
	}
}
