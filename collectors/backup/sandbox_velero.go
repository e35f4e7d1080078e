package backup

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// SandboxVelero is client-go's in-memory dynamic client holding the
// sandbox's Velero schedules and backups, with times relative to now:
// cluster-daily is fresh and Completed; volumes-6h's newest backup
// PartiallyFailed and its newest Completed one is 20 h old, past 6 h * 1.5,
// so `make run` shows BackupFailed and BackupTooOld for it.
func SandboxVelero(now time.Time) dynamic.Interface {
	objs := []runtime.Object{
		veleroObject("Schedule", "cluster-daily", now.Add(-30*24*time.Hour), map[string]any{"phase": "Enabled"}, "0 1 * * *"),
		veleroObject("Schedule", "volumes-6h", now.Add(-30*24*time.Hour), map[string]any{"phase": "Enabled"}, "@every 6h"),
		sandboxBackup("cluster-daily", now.Add(-29*time.Hour), "Completed"),
		sandboxBackup("cluster-daily", now.Add(-5*time.Hour), "Completed"),
		sandboxBackup("volumes-6h", now.Add(-20*time.Hour), "Completed"),
		sandboxBackup("volumes-6h", now.Add(-14*time.Hour), "Failed"),
		sandboxBackup("volumes-6h", now.Add(-2*time.Hour), "PartiallyFailed"),
	}
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{VeleroBackups: "BackupList", VeleroSchedules: "ScheduleList"}, objs...)
}

func sandboxBackup(schedule string, started time.Time, phase string) *unstructured.Unstructured {
	name := schedule + "-" + started.UTC().Format("20060102150405")
	status := map[string]any{
		"phase":               phase,
		"startTimestamp":      started.UTC().Format(time.RFC3339),
		"completionTimestamp": started.Add(10 * time.Minute).UTC().Format(time.RFC3339),
		"expiration":          started.Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339),
	}
	u := veleroObject("Backup", name, started, status, "")
	u.SetLabels(map[string]string{veleroScheduleLabel: schedule})
	return u
}

func veleroObject(kind, name string, created time.Time, status map[string]any, cron string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"status": status}}
	u.SetAPIVersion("velero.io/v1")
	u.SetKind(kind)
	u.SetNamespace(DefaultVeleroNamespace)
	u.SetName(name)
	u.SetCreationTimestamp(metav1.NewTime(created))
	if cron != "" {
		u.Object["spec"] = map[string]any{"schedule": cron}
	}
	return u
}
