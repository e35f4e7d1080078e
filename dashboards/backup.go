package dashboards

import "github.com/grafana-tools/sdk"

// backupLimit is min(expected interval * factor, RPO) per target, the
// limit BackupTooOld compares each backup's age with (alerts/backup.yml).
func backupLimit(a func(string, ...string) string) string {
	return `((` + a("vigil_backup_expected_interval_seconds") + ` * on (environment, kind, name) ` + a("vigil_backup_factor") +
		` < on (environment, kind, name) ` + a("vigil_backup_rpo_seconds") + `) or on (environment, kind, name) ` + a("vigil_backup_rpo_seconds") + `)`
}

// Backup answers "could we restore yesterday": each target's newest
// backup's age against its limit, what is missing, and how big and how
// many the backups are (collectors/backup).
func Backup() *sdk.Board {
	b := newBuilder("vigil-backup", "Vigil / Backups", "backup")
	b.variables(false)
	a := func(metric string, matchers ...string) string { return one(metric, false, matchers...) }
	age := `time() - ` + a("vigil_backup_last_success_timestamp_seconds")

	b.row("Is every backup fresh")
	b.problemCount("Backups too old", "Targets whose newest backup is older than min(expected interval * factor, RPO) (BackupTooOld).",
		orZero(`count(`+age+` > on (environment, kind, name) `+backupLimit(a)+`)`))
	b.problemCount("Targets with no backup", "Configured targets holding no backup at all, or never read (BackupNeverSeen).",
		orZero(`count(`+a("vigil_backup_expected_interval_seconds")+` unless on (environment, kind, name) `+a("vigil_backup_last_success_timestamp_seconds")+`)`))
	b.table("Age against its limit", "Each target's newest backup's age divided by its limit, min(expected interval * factor, RPO): above 1 alerts.", "percentunit",
		`sort_desc((`+age+`) / on (environment, kind, name) `+backupLimit(a)+`)`, 12, 8)
	b.table("Alert severity per target", "page or ticket, from the backup section (page in production by default).", "none",
		a("vigil_backup_severity")+` == 1`, 12, 8, "Value")
	b.timeseries("Age of the newest backup", "time() minus the newest backup's time (file mtime, S3 LastModified), per target.", "s", 12, 8,
		target{expr: age, legend: "{{environment}} {{kind}} {{name}}"})
	b.timeseries("RPO", "Recovery point objective per target: a backup is too old after this at the latest.", "s", 12, 8,
		target{expr: a("vigil_backup_rpo_seconds"), legend: "{{environment}} {{kind}} {{name}}"})
	b.table("Expected interval and factor", "How often a backup is expected, and the factor the limit allows over it.", "none",
		a("vigil_backup_expected_interval_seconds")+` or `+a("vigil_backup_factor"), 24, 6)

	b.row("Velero")
	b.problemCount("Schedules whose newest backup failed", "Velero schedules whose newest backup ended PartiallyFailed, Failed or FailedValidation (BackupFailed).",
		orZero(`count(`+a("vigil_backup_phase", `phase=~"PartiallyFailed|Failed|FailedValidation"`)+` == 1)`))
	b.table("Newest backup's phase per schedule", "status.phase of each Velero schedule's newest backup, one of the 13 phases of Velero's Backup CRD.", "none",
		a("vigil_backup_phase")+` == 1`, 12, 8, "Value")
	b.table("Newest good backup expires", "When the newest Completed backup of each schedule is deleted by its TTL: after that, only older ones remain, or none.", "dateTimeAsIso",
		a("vigil_backup_expiry_timestamp_seconds")+` * 1000`, 12, 8)

	b.table("RDS automated backup retention", "How long each RDS instance keeps its automated snapshots; 0 means automated backups are off.", "s",
		a("vigil_backup_retention_seconds"), 24, 6)

	b.row("Size and count")
	b.timeseries("Size of the newest backup", "A backup that shrinks suddenly is worth a look: an empty dump uploads fine.", "bytes", 12, 8,
		target{expr: a("vigil_backup_size_bytes"), legend: "{{environment}} {{kind}} {{name}}"})
	b.table("Newest against the recent maximum", "Newest backup's size divided by the largest of the 7 before it; below the target's shrink_ratio BackupShrunk fires.", "percentunit",
		`sort(`+a("vigil_backup_size_bytes")+` / on (environment, kind, name) `+a("vigil_backup_recent_max_size_bytes")+`)`, 12, 8)
	b.timeseries("Backups held", "Files matching the glob, objects under the prefix (every page listed).", "none", 12, 8,
		target{expr: a("vigil_backup_objects"), legend: "{{environment}} {{kind}} {{name}}"})
	b.timeseries("Total size held", "Sum of every backup's size per target: what the retention costs.", "bytes", 24, 8,
		target{expr: a("vigil_backup_total_size_bytes"), legend: "{{environment}} {{kind}} {{name}}"})
	return b.board
}
