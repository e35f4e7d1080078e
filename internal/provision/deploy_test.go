package provision

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/vigil-monitoring/vigil/internal/provision/deploy"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// fakeRollout plays the Deployment controller envtest does not run: it marks
// every Deployment of the namespace rolled out (observed generation, all
// replicas updated and available) until ctx ends.
func fakeRollout(ctx context.Context, cs kubernetes.Interface, ns string) {
	for ctx.Err() == nil {
		list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			for i := range list.Items {
				d := &list.Items[i]
				if d.Status.ObservedGeneration >= d.Generation {
					continue
				}
				n := int32(1)
				if d.Spec.Replicas != nil {
					n = *d.Spec.Replicas
				}
				d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
				_, _ = cs.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func deployOpts(t *testing.T, env string) (Options, *syncBuffer) {
	out := &syncBuffer{}
	return Options{Env: env, Environ: []string{"PATH=/usr/bin"}, Stdout: out, Stderr: out}, out
}

func TestDeploy(t *testing.T) {
	t.Parallel()
	cfg := testenv.APIServer(t, testenv.PrometheusOperatorCRDs(t))
	cs := kubernetes.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	fixture := filepath.Join("testdata", "overlay")
	const ns = "provision-fixture"

	t.Run("server dry run stores nothing", func(t *testing.T) {
		o, out := deployOpts(t, "dev")
		err := Deploy(ctx(t), o, DeployOptions{Overlay: filepath.Join(fixture, "dev"), RestConfig: cfg, DryRunServer: true, Wait: true})
		if err != nil {
			t.Fatalf("dry run: %v\n%s", err, out)
		}
		// The namespace does not exist yet: what would go in it cannot be
		// validated, and the output says so.
		if !strings.Contains(out.String(), "applied Namespace provision-fixture (server dry run)") ||
			!strings.Contains(out.String(), "not validated ServiceMonitor provision-fixture/fixture (server dry run: namespace provision-fixture does not exist yet") {
			t.Errorf("output:\n%s", out)
		}
		if _, err := cs.CoreV1().Namespaces().Get(ctx(t), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("dry run created the namespace: %v", err)
		}
	})

	t.Run("apply and wait for rollout", func(t *testing.T) {
		o, out := deployOpts(t, "dev")
		c, cancel := context.WithCancel(ctx(t))
		defer cancel()
		go fakeRollout(c, cs, ns)
		err := Deploy(ctx(t), o, DeployOptions{Overlay: filepath.Join(fixture, "dev"), RestConfig: cfg, Wait: true, Timeout: time.Minute, Poll: 100 * time.Millisecond})
		if err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		if !strings.Contains(out.String(), "Deployment fixture rolled out") {
			t.Errorf("no rollout reported:\n%s", out)
		}
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx(t), "fixture-config", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Labels["environment"] != "dev" || len(cm.ManagedFields) == 0 || cm.ManagedFields[0].Manager != deploy.FieldManager || cm.ManagedFields[0].Operation != metav1.ManagedFieldsOperationApply {
			t.Errorf("config map labels %v, managed fields %+v; want applied by %s", cm.Labels, cm.ManagedFields, deploy.FieldManager)
		}
		if _, err := dyn.Resource(monitoringGVR).Namespace(ns).Get(ctx(t), "fixture", metav1.GetOptions{}); err != nil {
			t.Errorf("ServiceMonitor not applied: %v", err)
		}
	})

	t.Run("conflicts need --force-conflicts", func(t *testing.T) {
		// Another field manager takes the greeting.
		patch := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fixture-config","namespace":"provision-fixture"},"data":{"greeting":"hi from elsewhere"}}`)
		if _, err := cs.CoreV1().ConfigMaps(ns).Patch(ctx(t), "fixture-config", types.ApplyPatchType, patch, metav1.PatchOptions{FieldManager: "someone-else", Force: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		o, _ := deployOpts(t, "dev")
		d := DeployOptions{Overlay: filepath.Join(fixture, "dev"), RestConfig: cfg}
		err := Deploy(ctx(t), o, d)
		if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "--force-conflicts") {
			t.Fatalf("err = %v, want a conflict", err)
		}
		d.ForceConflicts = true
		if err := Deploy(ctx(t), o, d); err != nil {
			t.Fatalf("forced: %v", err)
		}
		cm, _ := cs.CoreV1().ConfigMaps(ns).Get(ctx(t), "fixture-config", metav1.GetOptions{})
		if cm.Data["greeting"] != "hello" {
			t.Errorf("greeting = %q after a forced apply, want hello", cm.Data["greeting"])
		}
	})

	t.Run("rollout timeout", func(t *testing.T) {
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "stuck", Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr(int32(1)),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "stuck"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "stuck"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.invalid/x:1"}}},
				},
			},
		}
		if _, err := cs.AppsV1().Deployments(ns).Create(ctx(t), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		ri := dyn.Resource(appsv1.SchemeGroupVersion.WithResource("deployments")).Namespace(ns)
		var out syncBuffer
		err := deploy.WaitRollout(ctx(t), ri, "stuck", 500*time.Millisecond, 50*time.Millisecond, &out)
		if !errors.Is(err, deploy.ErrRolloutTimeout) || !strings.Contains(err.Error(), "observe generation") {
			t.Fatalf("err = %v, want a rollout timeout saying what it waited for", err)
		}
	})

	t.Run("production guard", func(t *testing.T) {
		o, _ := deployOpts(t, "production")
		d := DeployOptions{Overlay: filepath.Join(fixture, "production"), RestConfig: cfg}
		if err := Deploy(ctx(t), o, d); !errors.Is(err, ErrNotConfirmed) || !strings.Contains(err.Error(), "--confirm=production") {
			t.Fatalf("deploy production without confirmation: %v", err)
		}
		cm, _ := cs.CoreV1().ConfigMaps(ns).Get(ctx(t), "fixture-config", metav1.GetOptions{})
		if cm.Labels["environment"] != "dev" {
			t.Fatalf("refused deploy changed the cluster: labels %v", cm.Labels)
		}
		// A server dry run changes nothing: no confirmation needed.
		d.DryRunServer = true
		if err := Deploy(ctx(t), o, d); err != nil {
			t.Fatalf("dry run of production: %v", err)
		}
		d.DryRunServer = false
		o.Confirm = "production"
		if err := Deploy(ctx(t), o, d); err != nil {
			t.Fatalf("confirmed deploy of production: %v", err)
		}
	})

	t.Run("missing overlay", func(t *testing.T) {
		o, _ := deployOpts(t, "qa")
		err := Deploy(ctx(t), o, DeployOptions{Overlay: filepath.Join(fixture, "qa"), RestConfig: cfg})
		if err == nil || !strings.Contains(err.Error(), "--overlay") {
			t.Fatalf("err = %v, want one naming --overlay", err)
		}
	})

	// Vigil's own overlays, as deploy/ builds them, validated by the server
	// in their existing namespace.
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vigil"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx(t), nsObj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"dev", "staging", "production"} {
		t.Run("repository overlay "+env, func(t *testing.T) {
			overlay := filepath.Join(testenv.RepoRoot(), "deploy", "overlays", env)
			o, out := deployOpts(t, env)
			err := Deploy(ctx(t), o, DeployOptions{Overlay: overlay, RestConfig: cfg, DryRunServer: true})
			if err != nil {
				t.Fatalf("server dry run of %s: %v\n%s", overlay, err, out)
			}
			if !strings.Contains(out.String(), "applied Deployment vigil/") || !strings.Contains(out.String(), "applied ServiceMonitor vigil/") ||
				!strings.Contains(out.String(), "applied PrometheusRule vigil/") || strings.Contains(out.String(), "not validated") {
				t.Errorf("overlay %s applied no Deployment or ServiceMonitor:\n%s", env, out)
			}
		})
	}
	t.Run("repository overlay dev applied for real", func(t *testing.T) {
		overlay := filepath.Join(testenv.RepoRoot(), "deploy", "overlays", "dev")
		objs, err := deploy.Build(overlay)
		if err != nil {
			t.Fatal(err)
		}
		var vigilNS string
		for _, obj := range objs {
			if obj.GetKind() == "Deployment" {
				vigilNS = obj.GetNamespace()
			}
		}
		c, cancel := context.WithCancel(ctx(t))
		defer cancel()
		go fakeRollout(c, cs, vigilNS)
		o, out := deployOpts(t, "dev")
		if err := Deploy(ctx(t), o, DeployOptions{Overlay: overlay, RestConfig: cfg, Wait: true, Timeout: time.Minute, Poll: 100 * time.Millisecond}); err != nil {
			t.Fatalf("deploy: %v\n%s", err, out)
		}
		if !strings.Contains(out.String(), "rolled out") {
			t.Errorf("no rollout:\n%s", out)
		}
	})
}

var monitoringGVR = schemaGVR("monitoring.coreos.com", "v1", "servicemonitors")

func ptr[T any](v T) *T { return &v }

func schemaGVR(g, v, r string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: g, Version: v, Resource: r}
}
