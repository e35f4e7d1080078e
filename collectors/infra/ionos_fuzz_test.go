package infra

import (
	"testing"
	"time"

	ionoscloud "github.com/ionos-cloud/sdk-go/v6"
)

// Vigil's own reading of IONOS Cloud API answers, after the SDK decoded
// them: maintenance windows and pagination links. Whatever the server
// writes, nothing panics, a window is open for at most its length, and a
// next page always moves forward.

func FuzzMaintenanceWindow(f *testing.F) {
	f.Add("Sunday", "03:00:00Z", int64(1764385200))
	f.Fuzz(func(t *testing.T, day, at string, unix int64) {
		w := parseWindow(&ionoscloud.KubernetesMaintenanceWindow{DayOfTheWeek: &day, Time: &at})
		if w == nil {
			return
		}
		if w.Offset < 0 || w.Offset >= 24*time.Hour {
			t.Fatalf("window %q %q starts %v into the day", day, at, w.Offset)
		}
		now := time.Unix(unix%(400*365*86400), 0).UTC() // within ±400 years
		const length = 4 * time.Hour
		start, open := w.current(now, length)
		if start.Weekday() != w.Day {
			t.Fatalf("window on %v starts on %v", w.Day, start.Weekday())
		}
		if open != (!now.Before(start) && now.Before(start.Add(length))) {
			t.Fatalf("now %v, start %v: open=%v", now, start, open)
		}
		if !open && (start.Before(now) || start.Sub(now) > 7*24*time.Hour) {
			t.Fatalf("next window %v is not within the week after %v", start, now)
		}
	})
}

func FuzzNextOffset(f *testing.F) {
	f.Add("https://api.ionos.com/cloudapi/v6/datacenters?offset=100&limit=100", int32(0), 100)
	f.Fuzz(func(t *testing.T, next string, cur int32, got int) {
		if cur < 0 || got < 0 || got > 1<<20 {
			t.Skip("offsets and counts Vigil itself computes")
		}
		off, ok, err := nextOffset(&ionoscloud.PaginationLinks{Next: &next}, cur, got)
		if err != nil {
			if ok {
				t.Fatal("an error and a next page")
			}
			return
		}
		if ok && off <= cur {
			t.Fatalf("next page %d does not move past %d", off, cur)
		}
	})
}
