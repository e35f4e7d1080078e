package backup

import (
	"context"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// sandboxRDS answers an rds target in the sandbox from memory, with the
// SDK's own output types: orders' newest automated snapshot is 3 h old,
// legacy's 30 h (past the 24 h RPO, so `make run` shows BackupTooOld), and
// legacy's newest manual snapshot failed. moto_server, which the tests use,
// is no part of `make run`; this is the in-memory stand-in, as client-go's
// fakes are for the cluster collector.
type sandboxRDS struct{ now time.Time }

// SandboxRDS is the sandbox's RDS, times relative to now.
func SandboxRDS(now time.Time) RDSAPI { return sandboxRDS{now: now} }

func (s sandboxRDS) DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	db := func(name string, retention int32) rdstypes.DBInstance {
		return rdstypes.DBInstance{DBInstanceIdentifier: awssdk.String(name), BackupRetentionPeriod: awssdk.Int32(retention)}
	}
	return &rds.DescribeDBInstancesOutput{DBInstances: []rdstypes.DBInstance{db("orders", 7), db("legacy", 1)}}, nil
}

func (s sandboxRDS) DescribeDBSnapshots(context.Context, *rds.DescribeDBSnapshotsInput, ...func(*rds.Options)) (*rds.DescribeDBSnapshotsOutput, error) {
	snap := func(db, typ, status string, age time.Duration) rdstypes.DBSnapshot {
		return rdstypes.DBSnapshot{DBInstanceIdentifier: awssdk.String(db), SnapshotType: awssdk.String(typ), Status: awssdk.String(status),
			SnapshotCreateTime: awssdk.Time(s.now.Add(-age))}
	}
	return &rds.DescribeDBSnapshotsOutput{DBSnapshots: []rdstypes.DBSnapshot{
		snap("orders", "automated", "available", 3*time.Hour),
		snap("orders", "automated", "available", 27*time.Hour),
		snap("orders", "manual", "available", 10*24*time.Hour),
		snap("legacy", "automated", "available", 30*time.Hour),
		snap("legacy", "manual", "failed", 2*time.Hour),
	}}, nil
}
