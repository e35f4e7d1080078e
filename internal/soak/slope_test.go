package soak

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// run makes a 10-minute run sampled every 10 s: flat goroutines, fds and
// heap with noise, then adds leak(i) to one of them.
func run(leak func(i int, s *Sample)) []Sample {
	r := rand.New(rand.NewPCG(1, 2))
	var out []Sample
	for i := range 61 {
		s := Sample{At: time.Duration(i) * 10 * time.Second,
			Goroutines: 120 + float64(r.IntN(7)) - 3,             // scrapes in flight
			HeapBytes:  40<<20 + float64(r.IntN(12<<20)) - 6<<20, // GC timing
			FDs:        30 + float64(r.IntN(3)) - 1}
		if leak != nil {
			leak(i, &s)
		}
		out = append(out, s)
	}
	return out
}

func TestJudgePassesANoisyFlatRun(t *testing.T) {
	if p := Judge(run(nil), time.Minute); len(p) != 0 {
		t.Fatalf("a flat run judged leaking: %v", p)
	}
	// A warm-up that fills caches is not a leak.
	warm := run(func(i int, s *Sample) {
		if i < 6 {
			s.HeapBytes -= float64(6-i) * (8 << 20)
		}
	})
	if p := Judge(warm, time.Minute); len(p) != 0 {
		t.Fatalf("growth inside the warm-up judged leaking: %v", p)
	}
}

func TestJudgeFlagsEachLeak(t *testing.T) {
	for name, leak := range map[string]func(i int, s *Sample){
		// One goroutine per reload, a reload every 30 s.
		"goroutines": func(i int, s *Sample) { s.Goroutines += float64(i / 3) },
		// 3 MiB a minute.
		"heap_bytes": func(i int, s *Sample) { s.HeapBytes += float64(i) * (3 << 20) / 6 },
		// One connection a minute never closed.
		"open_fds": func(i int, s *Sample) { s.FDs += float64(i / 6) },
	} {
		p := Judge(run(leak), time.Minute)
		if len(p) != 1 || !strings.HasPrefix(p[0], name+" keeps growing") {
			t.Errorf("%s leak: got %v", name, p)
		}
	}
}

func TestJudgeNeedsSamples(t *testing.T) {
	if p := Judge(run(nil)[:5], time.Minute); len(p) != 1 || !strings.Contains(p[0], "run longer") {
		t.Fatalf("got %v", p)
	}
}
