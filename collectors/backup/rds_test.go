package backup

import (
	"context"
	"net/http"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigil-monitoring/vigil/internal/aws/awstest"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestRDSSnapshotsAgainstMoto: per DB instance, the newest available
// automated and manual snapshot (moto adds one automated snapshot when it
// creates an instance), the newest snapshot's status, the automated
// backup retention, only the instances listed, and a deleted instance's
// series gone at the next read; each call counted by its SDK operation.
//
// moto stamps snapshots with the wall clock and cannot back-date them, so
// staleness is judged at an injected "now": the rule's inputs read 30 h
// later put the automated snapshot past its 24 h limit, and 1 h later not.
func TestRDSSnapshotsAgainstMoto(t *testing.T) {
	murl := testenv.Moto(t)
	acct := awstest.MotoAccount(t, murl)
	direct := rds.NewFromConfig(acct.Config("", nil))
	ctx := context.Background()
	for _, db := range []struct {
		name      string
		retention int32
	}{{"orders", 7}, {"legacy", 1}, {"not-watched", 7}} {
		_, err := direct.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: awssdk.String(db.name),
			DBInstanceClass: awssdk.String("db.t3.micro"), Engine: awssdk.String("postgres"), AllocatedStorage: awssdk.Int32(20),
			MasterUsername: awssdk.String("admin"), MasterUserPassword: awssdk.String("not-a-secret-1"),
			BackupRetentionPeriod: awssdk.Int32(db.retention)})
		require.NoError(t, err)
	}
	before := time.Now().Add(-time.Second)
	_, err := direct.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: awssdk.String("orders"), DBSnapshotIdentifier: awssdk.String("orders-before-upgrade")})
	require.NoError(t, err)

	s := &Section{Targets: []Target{{Name: "production", Kind: KindRDS, Account: "production", Instances: []string{"orders", "legacy"},
		ManualInterval: 7 * 24 * 3600e9}}}
	s.ApplyDefaults()
	require.Empty(t, s.Validate())
	tc := TargetConfig{Target: s.Targets[0], Severity: "page", Key: "k",
		RDS: RDSClient(func(rt http.RoundTripper) awssdk.Config { return acct.Config("", rt) })}
	c, _, m := start(t, Config{Environment: "production", Targets: []TargetConfig{tc}})
	out := render(t, c)
	testenv.ParseLinted(t, out)
	l := func(name string) string { return `{environment="production",kind="rds",name="` + name + `"}` }
	for _, want := range []string{
		"vigil_backup_objects" + l("orders/automated") + " 1",
		"vigil_backup_objects" + l("orders/manual") + " 1",
		"vigil_backup_objects" + l("legacy/manual") + " 0",
		"vigil_backup_retention_seconds" + l("orders/automated") + " 604800",
		"vigil_backup_retention_seconds" + l("legacy/automated") + " 86400",
		"vigil_backup_expected_interval_seconds" + l("orders/automated") + " 86400",
		"vigil_backup_expected_interval_seconds" + l("orders/manual") + " 604800",
		`vigil_backup_phase{environment="production",kind="rds",name="orders/manual",phase="available"} 1`,
		`vigil_backup_phase{environment="production",kind="rds",name="orders/automated",phase="failed"} 0`,
	} {
		assert.Contains(t, out, want+"\n")
	}
	assert.NotContains(t, out, "not-watched")
	assert.NotContains(t, out, "vigil_backup_last_success_timestamp_seconds"+l("legacy/manual"))
	assert.NotContains(t, out, `vigil_backup_phase{environment="production",kind="rds",name="legacy/manual"`)
	assert.NotContains(t, out, "vigil_backup_size_bytes"+l("orders/automated"), "RDS reports no snapshot size")
	assert.NotContains(t, out, "vigil_backup_retention_seconds"+l("orders/manual"))

	rows := map[string]row{}
	for _, r := range c.rows() {
		rows[r.name] = r
	}
	require.Contains(t, rows, "orders/manual")
	assert.True(t, !rows["orders/manual"].found.Newest.Before(before), "the manual snapshot is the one taken now")
	auto := rows["orders/automated"]
	limit := min(time.Duration(float64(auto.interval)*auto.t.cfg.Factor), auto.t.cfg.RPO.Std())
	now := time.Now() // the injected clock: moto's snapshot times are this wall clock
	assert.True(t, now.Add(30*time.Hour).Sub(auto.found.Newest) > limit, "30 h later: past min(24h * 1.5, 24h)")
	assert.False(t, now.Add(time.Hour).Sub(auto.found.Newest) > limit, "1 h later: fresh")

	assert.GreaterOrEqual(t, counted(t, m, SourceName(KindRDS, "production"), "DescribeDBInstances"), 1.0)
	assert.GreaterOrEqual(t, counted(t, m, SourceName(KindRDS, "production"), "DescribeDBSnapshots"), 1.0)

	// legacy is deleted: its series go at the next read.
	_, err = direct.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: awssdk.String("legacy"), SkipFinalSnapshot: awssdk.Bool(true)})
	require.NoError(t, err)
	c2, _, _ := start(t, Config{Environment: "production", Targets: []TargetConfig{tc}})
	out = render(t, c2)
	assert.NotContains(t, out, "legacy")
	assert.Contains(t, out, "vigil_backup_objects"+l("orders/automated")+" 1\n")
}

// TestRDSFailedSnapshotIsNoBackup: a failed snapshot (moto cannot make
// one; the sandbox's in-memory RDS can) sets the status but is not a
// backup: legacy's manual snapshots count 0 and have no newest time.
func TestRDSFailedSnapshotIsNoBackup(t *testing.T) {
	now := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	f, err := readRDS(context.Background(), SandboxRDS(now), nil)
	require.NoError(t, err)
	require.Len(t, f.Instances, 2)
	legacy, orders := f.Instances[0], f.Instances[1]
	require.Equal(t, "legacy", legacy.Name)
	assert.Equal(t, "failed", legacy.Manual.Status)
	assert.Zero(t, legacy.Manual.Found.Objects)
	assert.True(t, legacy.Manual.Found.Newest.IsZero())
	assert.Equal(t, now.Add(-30*time.Hour), legacy.Automated.Found.Newest)
	assert.EqualValues(t, 2, orders.Automated.Found.Objects)
	assert.Equal(t, now.Add(-3*time.Hour), orders.Automated.Found.Newest)
	assert.EqualValues(t, 7, orders.RetentionDays)
}

// TestRDSManualWithoutIntervalIsNeverLate: without manual_interval an
// instance's manual snapshots are exported but have no limit. The rule
// takes the RPO alone when the interval is absent, so the row must not
// serve an RPO (nor a factor): the sandbox's orders/manual, 10 days old,
// paged BackupTooOld in production. orders/automated keeps its limit.
func TestRDSManualWithoutIntervalIsNeverLate(t *testing.T) {
	s := &Section{Targets: []Target{{Name: "production", Kind: KindRDS, Account: "production"}}}
	s.ApplyDefaults()
	require.Empty(t, s.Validate())
	tc := TargetConfig{Target: s.Targets[0], Severity: "page", Key: "k",
		RDS: func(http.RoundTripper) RDSAPI { return SandboxRDS(time.Now()) }}
	c, _, _ := start(t, Config{Environment: "production", Targets: []TargetConfig{tc}})
	out := render(t, c)
	testenv.ParseLinted(t, out)
	l := func(name string) string { return `{environment="production",kind="rds",name="` + name + `"}` }
	assert.Contains(t, out, "vigil_backup_last_success_timestamp_seconds"+l("orders/manual"))
	for _, absent := range []string{"vigil_backup_rpo_seconds", "vigil_backup_factor", "vigil_backup_expected_interval_seconds"} {
		assert.NotContains(t, out, absent+l("orders/manual"))
		assert.Contains(t, out, absent+l("orders/automated"))
	}
}

// rdsFleet is an account with a standalone instance, an Aurora cluster's
// instance and a read replica, none with a snapshot.
type rdsFleet struct{}

func (rdsFleet) DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	return &rds.DescribeDBInstancesOutput{DBInstances: []rdstypes.DBInstance{
		{DBInstanceIdentifier: awssdk.String("orders"), BackupRetentionPeriod: awssdk.Int32(7)},
		{DBInstanceIdentifier: awssdk.String("aurora-1"), BackupRetentionPeriod: awssdk.Int32(7), DBClusterIdentifier: awssdk.String("aurora")},
		{DBInstanceIdentifier: awssdk.String("orders-replica"), BackupRetentionPeriod: awssdk.Int32(0), ReadReplicaSourceDBInstanceIdentifier: awssdk.String("orders")},
	}}, nil
}

func (rdsFleet) DescribeDBSnapshots(context.Context, *rds.DescribeDBSnapshotsInput, ...func(*rds.Options)) (*rds.DescribeDBSnapshotsOutput, error) {
	return &rds.DescribeDBSnapshotsOutput{}, nil
}

// TestRDSSkipsAuroraMembersAndReplicasUnlessNamed: DescribeDBInstances
// lists Aurora cluster instances (DescribeDBSnapshots never returns theirs)
// and read replicas (retention 0, no snapshots); watched by default, each
// was an "INSTANCE/automated" row with no backup, so BackupNeverSeen paged
// for good. By default they are skipped; named in instances, they are read.
func TestRDSSkipsAuroraMembersAndReplicasUnlessNamed(t *testing.T) {
	names := func(f RDSFound) []string {
		var n []string
		for _, i := range f.Instances {
			n = append(n, i.Name)
		}
		return n
	}
	f, err := readRDS(context.Background(), rdsFleet{}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"orders"}, names(f))
	f, err = readRDS(context.Background(), rdsFleet{}, []string{"orders-replica", "aurora-1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"aurora-1", "orders-replica"}, names(f))
}
