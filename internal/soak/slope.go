// Package soak judges a long run of the exporter: it samples the process'
// goroutines, heap and open file descriptors, and says whether any keeps
// growing. `make soak` (test/soak) drives the exporter and hands its samples
// here; the judgement is a plain function so a short unit test can prove it
// flags a leak and passes a flat, noisy series.
package soak

import (
	"fmt"
	"time"
)

// Sample is one reading of the exporter.
type Sample struct {
	At         time.Duration // since the start
	Goroutines float64
	HeapBytes  float64 // go_memstats_heap_inuse_bytes
	FDs        float64 // process_open_fds
}

// Tolerance is how much a resource may grow over the judged part of the run
// (after the warm-up), as the least-squares line projects it: more than
// both Absolute and Relative (a fraction of the mean) is a leak. Both,
// because a small absolute drift of a large heap is noise, and a large
// relative drift of three goroutines is too.
type Tolerance struct {
	Absolute, Relative float64
}

// Tolerances are the limits `make soak` applies: a goroutine leaked per
// reload (every 30 s) grows 20 in 10 minutes and is caught; GC timing moves
// the heap by a few MiB either way and is not.
var Tolerances = map[string]Tolerance{
	"goroutines": {Absolute: 8, Relative: 0.10},
	"heap_bytes": {Absolute: 16 << 20, Relative: 0.30}, // about 2 MiB a minute over 10 minutes
	"open_fds":   {Absolute: 4, Relative: 0.10},
}

// Judge returns one problem per resource that keeps growing after warmup.
func Judge(samples []Sample, warmup time.Duration) []string {
	var kept []Sample
	for _, s := range samples {
		if s.At >= warmup {
			kept = append(kept, s)
		}
	}
	if len(kept) < 3 {
		return []string{fmt.Sprintf("only %d samples after the %s warm-up: run longer", len(kept), warmup)}
	}
	series := map[string]func(Sample) float64{
		"goroutines": func(s Sample) float64 { return s.Goroutines },
		"heap_bytes": func(s Sample) float64 { return s.HeapBytes },
		"open_fds":   func(s Sample) float64 { return s.FDs },
	}
	var problems []string
	for _, name := range []string{"goroutines", "heap_bytes", "open_fds"} {
		get := series[name]
		xs, ys := make([]float64, len(kept)), make([]float64, len(kept))
		for i, s := range kept {
			xs[i], ys[i] = s.At.Seconds(), get(s)
		}
		slope, mean := fit(xs, ys)
		growth := slope * (xs[len(xs)-1] - xs[0])
		tol := Tolerances[name]
		if growth > tol.Absolute && growth > tol.Relative*mean {
			problems = append(problems, fmt.Sprintf("%s keeps growing: %.4g per minute, %.4g over the judged %s (mean %.4g; tolerance %.4g and %.0f%% of the mean)",
				name, slope*60, growth, time.Duration((xs[len(xs)-1]-xs[0])*float64(time.Second)).Round(time.Second), mean, tol.Absolute, tol.Relative*100))
		}
	}
	return problems
}

// fit is the least-squares slope of ys over xs, and the mean of ys.
// Hand-written: ten lines do not warrant a statistics module.
func fit(xs, ys []float64) (slope, mean float64) {
	n := float64(len(xs))
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/n, sy/n
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0, my
	}
	return num / den, my
}
