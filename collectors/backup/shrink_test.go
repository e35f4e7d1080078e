package backup

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestRecentMaxIsTheSevenBeforeTheNewest: whatever order the listing
// gives, the recent maximum is the largest of the 7 backups before the
// newest: a huge backup older than those does not count, the newest
// itself does not count, and one backup alone has no recent maximum.
func TestRecentMaxIsTheSevenBeforeTheNewest(t *testing.T) {
	base := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	type b struct {
		at   time.Time
		size int64
	}
	var all []b
	all = append(all, b{base.Add(-20 * 24 * time.Hour), 10000}) // old and huge: outside the window
	for i := 1; i <= 7; i++ {
		all = append(all, b{base.Add(-time.Duration(i) * 24 * time.Hour), 100 + int64(i)})
	}
	all = append(all, b{base, 1_000_000}) // the newest: not its own maximum
	for range 5 {
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		var f Found
		for _, x := range all {
			f.add(x.at, x.size)
		}
		m, ok := f.RecentMax()
		assert.True(t, ok)
		assert.EqualValues(t, 107, m)
		assert.Equal(t, base, f.Newest)
	}
	var one Found
	one.add(base, 5)
	_, ok := one.RecentMax()
	assert.False(t, ok)
}

// TestShrunkBackupExportsItsRecentMax: a pg_dump that came out a tenth of
// the usual size is exported with the recent maximum and the configured
// ratio, the series BackupShrunk compares.
func TestShrunkBackupExportsItsRecentMax(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	for i, size := range []int{1000, 1200, 1100} {
		writeAt(t, filepath.Join(dir, "dump-"+string(rune('a'+i))+".backup"), size, base.Add(-time.Duration(3-i)*24*time.Hour))
	}
	writeAt(t, filepath.Join(dir, "dump-z.backup"), 110, base)
	c, _, _ := start(t, Config{Environment: "production", Targets: []TargetConfig{filesTarget("pg", dir, func(t *Target) { t.ShrinkRatio = 0.25 })}})
	out := render(t, c)
	l := `{environment="production",kind="files",name="pg"}`
	assert.Contains(t, out, "vigil_backup_size_bytes"+l+" 110\n")
	assert.Contains(t, out, "vigil_backup_recent_max_size_bytes"+l+" 1200\n")
	assert.Contains(t, out, "vigil_backup_shrink_ratio"+l+" 0.25\n")
}
