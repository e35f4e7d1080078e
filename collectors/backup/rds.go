package backup

import (
	"context"
	"net/http"
	"slices"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/vigil-monitoring/vigil/internal/aws"
)

// RDSAPI is what an rds target asks of RDS; *rds.Client is one. Both
// calls are free and read-only (IAM: rds:DescribeDBInstances,
// rds:DescribeDBSnapshots).
type RDSAPI interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, opts ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBSnapshots(ctx context.Context, in *rds.DescribeDBSnapshotsInput, opts ...func(*rds.Options)) (*rds.DescribeDBSnapshotsOutput, error)
}

// RDSStatuses is the closed set of snapshot statuses vigil_backup_phase
// takes for RDS (DBSnapshot.Status); any other status is "other".
var RDSStatuses = []string{"creating", "copying", "available", "failed", "deleting", "other"}

// rdsAutomatedInterval: RDS takes one automated snapshot a day, in the
// instance's backup window.
const rdsAutomatedInterval = 24 * time.Hour

// RDSFound is what one read of an rds target learned, per instance.
type RDSFound struct {
	Instances []RDSInstance `json:"instances"`
}

// RDSInstance is one DB instance's snapshots.
type RDSInstance struct {
	Name string `json:"name"`
	// RetentionDays is the automated backup retention (0: automated
	// backups are off).
	RetentionDays int32        `json:"retention_days"`
	Automated     RDSSnapshots `json:"automated"`
	Manual        RDSSnapshots `json:"manual"`
}

// RDSSnapshots: the available (completed) snapshots counted, the newest by
// its creation time; Status is the newest snapshot's whatever its state.
type RDSSnapshots struct {
	Found  Found  `json:"found"`
	Status string `json:"status"`
	newest time.Time
}

// RDSClient returns how an rds target builds its client from an account.
func RDSClient(cfg func(rt http.RoundTripper) awssdk.Config) func(rt http.RoundTripper) RDSAPI {
	return func(rt http.RoundTripper) RDSAPI { return rds.NewFromConfig(cfg(rt)) }
}

// RDSAPIName names an RDS request for the request counter: the SDK
// operation that sends it (the Query protocol hides the Action in the form
// body; the SDK's middleware puts the operation in the context).
func RDSAPIName(r *http.Request) string {
	if op := awsmiddleware.GetOperationName(r.Context()); op != "" {
		return op
	}
	return "other"
}

// readRDS lists the instances (only those named, when any are; else every
// one but Aurora cluster members and read replicas) and every automated and
// manual snapshot, each call over every page.
func readRDS(ctx context.Context, client RDSAPI, only []string) (RDSFound, error) {
	byName := map[string]*RDSInstance{}
	var found RDSFound
	pi := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{})
	for pi.HasMorePages() {
		out, err := pi.NextPage(ctx)
		if err != nil {
			return RDSFound{}, aws.SDKError(ctx, "rds:DescribeDBInstances", err)
		}
		for _, db := range out.DBInstances {
			name := awssdk.ToString(db.DBInstanceIdentifier)
			if len(only) > 0 && !slices.Contains(only, name) {
				continue
			}
			// Unless named: an Aurora cluster's instance has no DB snapshots
			// (Aurora snapshots the cluster), and a read replica takes none
			// (PostgreSQL's cannot; its source's are the backups), so both
			// would page BackupNeverSeen in production for good.
			if len(only) == 0 && (db.DBClusterIdentifier != nil || db.ReadReplicaSourceDBInstanceIdentifier != nil) {
				continue
			}
			found.Instances = append(found.Instances, RDSInstance{Name: name, RetentionDays: awssdk.ToInt32(db.BackupRetentionPeriod)})
		}
	}
	for i := range found.Instances {
		byName[found.Instances[i].Name] = &found.Instances[i]
	}
	ps := rds.NewDescribeDBSnapshotsPaginator(client, &rds.DescribeDBSnapshotsInput{})
	for ps.HasMorePages() {
		out, err := ps.NextPage(ctx)
		if err != nil {
			return RDSFound{}, aws.SDKError(ctx, "rds:DescribeDBSnapshots", err)
		}
		for _, s := range out.DBSnapshots {
			inst := byName[awssdk.ToString(s.DBInstanceIdentifier)]
			if inst == nil {
				continue // a deleted instance's, or one not watched
			}
			switch awssdk.ToString(s.SnapshotType) {
			case "automated":
				inst.Automated.add(s)
			case "manual":
				inst.Manual.add(s)
			}
		}
	}
	slices.SortFunc(found.Instances, func(a, b RDSInstance) int { return compareStrings(a.Name, b.Name) })
	return found, nil
}

func (r *RDSSnapshots) add(s rdstypes.DBSnapshot) {
	at := awssdk.ToTime(s.SnapshotCreateTime)
	status := awssdk.ToString(s.Status)
	if r.Status == "" || at.After(r.newest) {
		r.newest, r.Status = at, status
	}
	if status == "available" && !at.IsZero() {
		r.Found.add(at, 0)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rdsStatus maps a snapshot status onto RDSStatuses.
func rdsStatus(s string) string {
	if slices.Contains(RDSStatuses, s) {
		return s
	}
	return "other"
}

// rows of an rds target: "<instance>/automated" with RDS's daily interval
// and the retention, "<instance>/manual" with the configured
// manual_interval (none: exported, never late).
func (t *target) rdsRows() []row {
	f, _, ok := t.rds.Get()
	if !ok {
		return nil
	}
	var rows []row
	for _, inst := range f.Instances {
		auto := inst.Automated.Found
		manual := inst.Manual.Found
		rows = append(rows,
			row{kind: KindRDS, name: inst.Name + "/automated", t: t, interval: rdsAutomatedInterval, found: &auto, noSize: true,
				phase: statusOrNone(inst.Automated.Status), phases: RDSStatuses, retention: time.Duration(inst.RetentionDays) * 24 * time.Hour, hasRetention: true},
			row{kind: KindRDS, name: inst.Name + "/manual", t: t, interval: t.cfg.ManualInterval.Std(), found: &manual, noSize: true,
				phase: statusOrNone(inst.Manual.Status), phases: RDSStatuses})
	}
	return rows
}

func statusOrNone(s string) string {
	if s == "" {
		return ""
	}
	return rdsStatus(s)
}
