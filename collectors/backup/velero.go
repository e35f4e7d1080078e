package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigil-monitoring/vigil/internal/kube"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// Velero's resources, read through the dynamic client: Vigil needs five
// fields of them, not Velero's Go module and its dependencies.
var (
	VeleroBackups   = schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: "backups"}
	VeleroSchedules = schema.GroupVersionResource{Group: "velero.io", Version: "v1", Resource: "schedules"}
)

// VeleroPhases is the phase enum of Velero's Backup CRD
// (config/crd/v1/bases/velero.io_backups.yaml), in its order; every phase
// is its own state of vigil_backup_phase, none collapsed.
var VeleroPhases = []string{
	"New", "Queued", "ReadyToStart", "FailedValidation", "InProgress",
	"WaitingForPluginOperations", "WaitingForPluginOperationsPartiallyFailed",
	"Finalizing", "FinalizingPartiallyFailed", "Completed", "PartiallyFailed", "Failed", "Deleting",
}

// veleroScheduleLabel is the label Velero puts on every backup a schedule
// creates (velero.io/schedule-name, pkg/apis/velero/v1/labels_annotations.go).
const veleroScheduleLabel = "velero.io/schedule-name"

// The compact objects the informers keep. They embed ObjectMeta with only
// the name and namespace set (the store's key); a few dozen schedules and
// a few hundred backups do not need the cluster collector's smaller form.
type veleroSchedule struct {
	metav1.ObjectMeta
	interval time.Duration
	// cronErr: the cron expression does not parse (Velero marks such a
	// schedule FailedValidation and never runs it); the row falls back to
	// the target's RPO as its interval, so BackupNeverSeen and BackupTooOld
	// still see the schedule instead of it going silent.
	cronErr error
}

type veleroBackup struct {
	metav1.ObjectMeta
	schedule   string
	phase      string
	started    time.Time // start, or creation while none: orders the backups
	completed  time.Time
	expiration time.Time
}

// veleroWatch is one velero target: two informers on Velero's namespace.
type veleroWatch struct {
	factory            dynamicinformer.DynamicSharedInformerFactory
	schedules, backups cache.SharedIndexInformer
	failed             [2]atomic.Bool
	logger             *slog.Logger
	cancel             context.CancelFunc
}

// VeleroClient is a dynamic client on rc whose every request counts under
// the target's source (verb and resource, kube.APIName).
func VeleroClient(rc *rest.Config, count func(api string)) (dynamic.Interface, error) {
	c := rest.CopyConfig(rc)
	c.UserAgent = "vigil-exporter"
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return source.InstrumentTransport(rt, count, kube.APIName)
	})
	return dynamic.NewForConfig(c)
}

// veleroRESTConfig reaches the cluster of a velero target: its kubeconfig
// and context, else (clientcmd's deferred loading) KUBECONFIG,
// ~/.kube/config, or the in-cluster service account, as kubectl does.
func veleroRESTConfig(t Target) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if t.Kubeconfig != "" {
		rules.ExplicitPath = t.Kubeconfig
	}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: t.Context}).ClientConfig()
	if err != nil {
		// clientcmd's errors name the file and context, never credentials.
		return nil, fmt.Errorf("velero target %s: no usable cluster (%w): set kubeconfig, or run Vigil in the cluster", t.Name, err)
	}
	return rc, nil
}

func newVeleroWatch(client dynamic.Interface, namespace, src string, group *source.Group, logger *slog.Logger) *veleroWatch {
	// Resync 0: the watch keeps the cache current.
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(client, 0, namespace, nil)
	v := &veleroWatch{factory: f, logger: logger,
		schedules: f.ForResource(VeleroSchedules).Informer(),
		backups:   f.ForResource(VeleroBackups).Informer()}
	count := group.ErrorCounter(src)
	group.Track(src) // its series go when a reload drops the target
	for i, inf := range []cache.SharedIndexInformer{v.schedules, v.backups} {
		_ = inf.SetTransform(v.transform(count))
		_ = inf.SetWatchErrorHandler(v.errorHandler(&v.failed[i], count))
	}
	return v
}

// errorHandler counts each list or watch failure by reason and logs it
// once (client-go's default only logs, every time).
func (v *veleroWatch) errorHandler(failed *atomic.Bool, count func(string)) cache.WatchErrorHandler {
	return func(r *cache.Reflector, err error) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return // the normal end of a watch: client-go relists
		}
		reason := source.Classify(err)
		count(reason)
		level := slog.LevelDebug
		if !failed.Swap(true) {
			level = slog.LevelWarn
		}
		v.logger.Log(context.Background(), level, "listing or watching Velero objects failed; their backups are missing or stale until it works",
			"informer", r.TypeDescription(), "reason", reason, "err", err)
	}
}

func (v *veleroWatch) start(ctx context.Context) {
	ctx, v.cancel = context.WithCancel(ctx)
	v.factory.Start(ctx.Done())
}

// synced: both informers listed once, or failed to (readiness means
// "tried": a missing CRD or RBAC grant must not keep Vigil unready).
func (v *veleroWatch) synced() bool {
	return (v.schedules.HasSynced() || v.failed[0].Load()) && (v.backups.HasSynced() || v.failed[1].Load())
}

func (v *veleroWatch) stop() {
	if v.cancel != nil {
		v.cancel()
	}
	v.factory.Shutdown()
}

// transform compacts an object and counts (reason decode) and logs a
// schedule whose cron expression cannot be read.
func (v *veleroWatch) transform(count func(string)) cache.TransformFunc {
	return func(obj any) (any, error) {
		_, raw := obj.(*unstructured.Unstructured) // a compact one was counted already
		out, err := compactVelero(obj)
		if s, ok := out.(*veleroSchedule); ok && raw && s.cronErr != nil {
			count(source.ReasonDecode)
			v.logger.Warn("a Velero schedule's cron expression cannot be read: its backups are held to the target's RPO instead",
				"schedule", s.Namespace+"/"+s.Name, "err", s.cronErr)
		}
		return out, err
	}
}

// compactVelero keeps the fields the metrics need. Idempotent, as
// client-go asks: a compact object passes through.
func compactVelero(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	meta := metav1.ObjectMeta{Name: u.GetName(), Namespace: u.GetNamespace()}
	switch u.GetKind() {
	case "Schedule":
		cron, _, _ := unstructured.NestedString(u.Object, "spec", "schedule")
		iv, err := cronInterval(cron)
		return &veleroSchedule{ObjectMeta: meta, interval: iv, cronErr: err}, nil
	case "Backup":
		b := &veleroBackup{ObjectMeta: meta, schedule: u.GetLabels()[veleroScheduleLabel], started: u.GetCreationTimestamp().Time}
		b.phase, _, _ = unstructured.NestedString(u.Object, "status", "phase")
		if b.phase == "" {
			b.phase = "New" // Velero's own reading of a backup it has not touched
		}
		if t := nestedTime(u, "startTimestamp"); !t.IsZero() {
			b.started = t
		}
		b.completed = nestedTime(u, "completionTimestamp")
		b.expiration = nestedTime(u, "expiration")
		return b, nil
	}
	return obj, nil
}

func nestedTime(u *unstructured.Unstructured, field string) time.Time {
	s, _, _ := unstructured.NestedString(u.Object, "status", field)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// rows is one row per schedule: its newest backup's phase, its
// newest Completed backup's completion time and expiry, and the count of
// Completed backups (Velero's Backup has no size: no size series).
func (v *veleroWatch) rows(t *target) []row {
	perSchedule := map[string][]*veleroBackup{}
	for _, o := range v.backups.GetStore().List() {
		if b, ok := o.(*veleroBackup); ok && b.schedule != "" {
			perSchedule[b.schedule] = append(perSchedule[b.schedule], b)
		}
	}
	var rows []row
	for _, o := range v.schedules.GetStore().List() {
		s, ok := o.(*veleroSchedule)
		if !ok {
			continue
		}
		r := row{kind: KindVelero, name: s.Name, t: t, interval: s.interval, found: &Found{}, phases: VeleroPhases}
		if s.cronErr != nil {
			r.interval = t.cfg.RPO.Std()
		}
		var last *veleroBackup
		for _, b := range perSchedule[s.Name] {
			if last == nil || b.started.After(last.started) || (b.started.Equal(last.started) && b.Name > last.Name) {
				last = b
			}
			if b.phase == "Completed" && !b.completed.IsZero() {
				r.found.add(b.completed, 0)
				if b.completed.Equal(r.found.Newest) {
					r.expiry = b.expiration
				}
			}
		}
		if last != nil {
			r.phase = last.phase
		}
		r.noSize = true
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	return rows
}
