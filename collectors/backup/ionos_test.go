package backup

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/ionos"
	"github.com/vigil-monitoring/vigil/internal/sandbox/ionoscloud"
	"github.com/vigil-monitoring/vigil/internal/source"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// ionosProvider is the ionos provider against the emulator, as the daemon
// builds it (a token by file reference).
func ionosProvider(t *testing.T, srv *ionoscloud.Server) *ionos.Provider {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("tok"), 0o600))
	prov, err := ionos.New(&ionos.Config{Token: &config.SecretRef{File: tokenFile}, APIURL: srv.APIURL()})
	require.NoError(t, err)
	return prov
}

func ionosTarget(name, glob string, prov *ionos.Provider, interval time.Duration) TargetConfig {
	s := &Section{Targets: []Target{{Name: name, Kind: KindIONOS, Glob: glob, Interval: config.Duration(interval)}}}
	s.ApplyDefaults()
	return TargetConfig{Target: s.Targets[0], Severity: "page", Key: "k", IONOS: prov.CloudAPI}
}

// TestIONOSSnapshotsFromTheEmulator: per target, the AVAILABLE snapshots
// whose name matches its glob (newest's created date, its size in bytes,
// count and total), the newest snapshot's state whatever it is (a BUSY one
// being taken is not a backup yet), one unpaged GET /snapshots per
// refresh; a 401 fails the source with reason auth.
func TestIONOSSnapshotsFromTheEmulator(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	w := ionoscloud.Realistic()
	w.Snapshots = append(ionoscloud.SandboxSnapshots(now), ionoscloud.Snapshot{ID: "3b3b3b3b-0000-4000-8000-000000000009",
		Name: "someone-elses", SizeGB: 1, State: "AVAILABLE", Created: now})
	srv := ionoscloud.Start(w, ionoscloud.WithToken("tok"))
	t.Cleanup(srv.Close)
	prov := ionosProvider(t, srv)

	c, _, m := start(t, Config{Environment: "production", Targets: []TargetConfig{
		ionosTarget("db-volume", "db-nightly-*", prov, 24*time.Hour), ionosTarget("etcd-volume", "etcd-weekly-*", prov, 7*24*time.Hour)}})
	out := render(t, c)
	testenv.ParseLinted(t, out)
	l := func(name string) string { return `{environment="production",kind="ionos",name="` + name + `"}` }
	ts := func(d time.Duration) string { return strconv.FormatFloat(float64(now.Add(-d).Unix()), 'g', -1, 64) }
	for _, want := range []string{
		"vigil_backup_last_success_timestamp_seconds" + l("db-volume") + " " + ts(3*time.Hour),
		"vigil_backup_size_bytes" + l("db-volume") + " " + strconv.FormatFloat(52*(1<<30), 'g', -1, 64),
		"vigil_backup_objects" + l("db-volume") + " 2",
		"vigil_backup_total_size_bytes" + l("db-volume") + " " + strconv.FormatFloat(102*(1<<30), 'g', -1, 64),
		`vigil_backup_phase{environment="production",kind="ionos",name="db-volume",phase="AVAILABLE"} 1`,
		"vigil_backup_last_success_timestamp_seconds" + l("etcd-volume") + " " + ts(9*24*time.Hour),
		"vigil_backup_objects" + l("etcd-volume") + " 1",
		`vigil_backup_phase{environment="production",kind="ionos",name="etcd-volume",phase="BUSY"} 1`,
		`vigil_backup_phase{environment="production",kind="ionos",name="etcd-volume",phase="AVAILABLE"} 0`,
	} {
		assert.Contains(t, out, want+"\n")
	}
	var snapshots int
	for _, r := range srv.Requests() {
		if r.Path == ionoscloud.BasePath+"/snapshots" {
			snapshots++
			assert.Equal(t, 1, r.Depth)
		}
	}
	assert.Equal(t, 2, snapshots, "one unpaged request per target")
	assert.EqualValues(t, 1, counted(t, m, SourceName(KindIONOS, "db-volume"), "GET /snapshots"))

	srv.Unauthorized(true)
	_, g, _ := start(t, Config{Environment: "production", Targets: []TargetConfig{ionosTarget("db-volume", "db-nightly-*", prov, 24*time.Hour)}})
	st := g.Statuses()[0]
	assert.False(t, st.Up)
	assert.Equal(t, source.ReasonAuth, st.LastReason)
}

// TestIONOSAnswerIsBounded: /snapshots is one unpaged answer the SDK reads
// whole; one larger than the bound fails the refresh as decode instead of
// filling the heap (the bound lowered to 1 KiB here, under the emulator's
// answer), and an answer within it still reads.
func TestIONOSAnswerIsBounded(t *testing.T) {
	w := ionoscloud.Realistic()
	w.Snapshots = ionoscloud.SandboxSnapshots(time.Now()) // more than 1 KiB of JSON
	srv := ionoscloud.Start(w, ionoscloud.WithToken("tok"))
	t.Cleanup(srv.Close)
	prov := ionosProvider(t, srv)
	old := maxIONOSAnswer
	t.Cleanup(func() { maxIONOSAnswer = old })
	maxIONOSAnswer = 1 << 10
	_, g, _ := start(t, Config{Environment: "production", Targets: []TargetConfig{ionosTarget("db-volume", "db-nightly-*", prov, 24*time.Hour)}})
	st := g.Statuses()[0]
	assert.False(t, st.Up)
	assert.Equal(t, source.ReasonDecode, st.LastReason)

	maxIONOSAnswer = old
	_, g, _ = start(t, Config{Environment: "production", Targets: []TargetConfig{ionosTarget("db-volume", "db-nightly-*", prov, 24*time.Hour)}})
	assert.True(t, g.Statuses()[0].Up)
}

// TestLimitedBodyExactlyAtTheBound: an answer of exactly the bound reads
// whole; one byte more is a decode error.
func TestLimitedBodyExactlyAtTheBound(t *testing.T) {
	read := func(body string) error {
		_, err := io.ReadAll(&limitedBody{ReadCloser: io.NopCloser(strings.NewReader(body)), left: 4, limit: 4})
		return err
	}
	assert.NoError(t, read("abcd"))
	assert.Equal(t, source.ReasonDecode, source.Classify(read("abcde")))
}
