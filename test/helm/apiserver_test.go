package helm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/vigil-monitoring/vigil/internal/shard"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// Every object the chart renders, with the defaults, with every collector
// on and in the sharded mode (with a claim per shard), is accepted by a real
// kube-apiserver (server-side apply, dry run, strict field validation) with
// the real prometheus-operator CRDs, in a namespace that enforces Pod
// Security "restricted", and raises no warning. A root pod of the same
// template is refused, which shows the namespace's check is real. Then the
// sharded mode's RBAC, applied for real, lets --auto-shard (internal/shard,
// as the shard's service account) read its shard from its StatefulSet and
// watch it, and nothing more.
func TestServerSideDryRun(t *testing.T) {
	c := startCluster(t)
	ctx := t.Context()
	shardedWithClaims := sharded(3, map[string]any{"storage": map[string]any{"persistentVolumeClaim": map[string]any{"enabled": true}}})
	for name, tc := range map[string]struct {
		files []string
		set   map[string]any
	}{
		"defaults":       {},
		"all-collectors": {files: []string{allValues}},
		"sharded":        {set: shardedWithClaims},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := renderErr(tc.files, tc.set)
			if err != nil {
				t.Fatal(err)
			}
			objs := objects(t, out)
			c.namespaces(t, objs)
			for _, o := range objs {
				if err := c.apply(ctx, o, true); err != nil {
					t.Errorf("server-side dry run of %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
				}
				for _, w := range c.warn.take() {
					t.Errorf("%s %s: API server warning: %s", o.GetKind(), o.GetName(), w)
				}
			}
			// The workload's pod template as a pod: admitted.
			kind := "Deployment"
			if tc.set != nil {
				kind = "StatefulSet"
			}
			workload := find(t, objs, kind, "vigil")
			pod := podOf(t, workload)
			// The StatefulSet controller adds a volume per claim template.
			vcts, _, _ := unstructured.NestedSlice(workload.Object, "spec", "volumeClaimTemplates")
			for _, v := range vcts {
				name, _, _ := unstructured.NestedString(v.(map[string]any), "metadata", "name")
				pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name + "-vigil-0"}}})
			}
			if err := c.createPod(ctx, pod); err != nil {
				t.Fatalf("the chart's pod is refused in a restricted namespace: %v", err)
			}
			root := pod.DeepCopy()
			root.Name = "vigil-root"
			root.Spec.SecurityContext.RunAsNonRoot = nil
			root.Spec.SecurityContext.RunAsUser = new(int64)
			root.Spec.Containers[0].SecurityContext.RunAsNonRoot = nil
			root.Spec.Containers[0].SecurityContext.RunAsUser = nil
			if err := c.createPod(ctx, root); err == nil || !strings.Contains(err.Error(), "PodSecurity") {
				t.Errorf("a root pod in the restricted namespace: error = %v, want a PodSecurity refusal", err)
			}
		})
	}
	t.Run("shard RBAC", func(t *testing.T) { c.shardRBAC(t, shardedWithClaims) })
}

// shardRBAC applies the sharded mode's service account, shard Role and
// RoleBinding and StatefulSet for real, then acts as that service account
// the way --auto-shard does: internal/shard reads the shard of pod vigil-2
// and watches the StatefulSet by name. Reading any other StatefulSet, or
// listing them, is refused: the Role is least privilege.
func (c *cluster) shardRBAC(t *testing.T, set map[string]any) {
	ctx := t.Context()
	objs := renderSet(t, set)
	c.namespaces(t, objs)
	sts := find(t, objs, "StatefulSet", "vigil")
	for _, o := range []*unstructured.Unstructured{
		find(t, objs, "ServiceAccount", "vigil"), find(t, objs, "Role", "vigil-shard"),
		find(t, objs, "RoleBinding", "vigil-shard"), sts,
	} {
		if err := c.apply(ctx, o, false); err != nil {
			t.Fatalf("applying %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	c.warn.take()
	sa, _, _ := unstructured.NestedString(sts.Object, "spec", "template", "spec", "serviceAccountName")
	as := rest.CopyConfig(c.cfg)
	as.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + namespace + ":" + sa}
	kube, err := kubernetes.NewForConfig(as)
	if err != nil {
		t.Fatal(err)
	}

	got, err := shard.Auto(ctx, kube, namespace, "vigil-2")
	if err != nil {
		t.Fatalf("--auto-shard as %s: %v", sa, err)
	}
	if want := (shard.Shard{Index: 2, Total: 3}); got != want {
		t.Errorf("--auto-shard of pod vigil-2 = %+v, want %+v", got, want)
	}
	w, err := kube.AppsV1().StatefulSets(namespace).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=vigil"})
	if err != nil {
		t.Errorf("watching StatefulSet vigil as %s (a shard restarts on a scale through it): %v", sa, err)
	} else {
		w.Stop()
	}
	if _, err := kube.AppsV1().StatefulSets(namespace).Get(ctx, "another", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("get of another StatefulSet as %s: error = %v, want forbidden (resourceNames)", sa, err)
	}
	if _, err := kube.AppsV1().StatefulSets(namespace).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list of StatefulSets as %s: error = %v, want forbidden", sa, err)
	}
}

type cluster struct {
	cfg    *rest.Config
	dyn    dynamic.Interface
	kube   kubernetes.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	warn   *warnings
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	cfg := testenv.APIServer(t, testenv.PrometheusOperatorCRDs(t))
	c := &cluster{warn: &warnings{}}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = c.warn
	c.cfg = cfg
	var err error
	if c.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if c.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	return c
}

// namespaces creates the release namespace, enforcing Pod Security
// "restricted" as deploy/base/namespace.yaml does, and the namespaces the
// objects refer to (a dry run cannot create into a missing namespace; in a
// real cluster they exist beforehand).
func (c *cluster) namespaces(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range objs {
		ns := o.GetNamespace()
		if ns == "" || seen[ns] {
			continue
		}
		seen[ns] = true
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		if ns == namespace {
			n.Labels = map[string]string{
				"pod-security.kubernetes.io/enforce": "restricted",
				"pod-security.kubernetes.io/warn":    "restricted",
			}
		}
		if _, err := c.kube.CoreV1().Namespaces().Create(t.Context(), n, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating namespace %s: %v", ns, err)
		}
	}
	c.warn.take()
}

// apply server-side applies one object (as a dry run when dryRun), with
// strict field validation so a misspelt field is an error, not a warning.
func (c *cluster) apply(ctx context.Context, o *unstructured.Unstructured, dryRun bool) error {
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("no API for %s (CRD missing?): %w", gvk, err)
	}
	data, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: "helm-test", Force: &force, FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var ri dynamic.ResourceInterface = c.dyn.Resource(m.Resource)
	if m.Scope.Name() == "namespace" {
		ri = c.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, data, opts)
	return err
}

func (c *cluster) createPod(ctx context.Context, p *corev1.Pod) error {
	_, err := c.kube.CoreV1().Pods(namespace).Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

func podOf(t testing.TB, dep *unstructured.Unstructured) *corev1.Pod {
	t.Helper()
	tmpl, _, _ := unstructured.NestedMap(dep.Object, "spec", "template")
	var pod corev1.Pod
	data, err := (&unstructured.Unstructured{Object: tmpl}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pod); err != nil {
		t.Fatal(err)
	}
	pod.Name = "vigil-admission"
	pod.Namespace = namespace
	return &pod
}

// warnings collects the API server's warnings (PodSecurity "warn" among them).
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}
