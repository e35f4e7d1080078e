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

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// Every object the chart renders, with the defaults and with every
// collector on, is accepted by a real kube-apiserver (server-side apply,
// dry run, strict field validation) with the real prometheus-operator CRDs,
// in a namespace that enforces Pod Security "restricted", and raises no
// warning. A root pod of the same template is refused, which shows the
// namespace's check is real.
func TestServerSideDryRun(t *testing.T) {
	c := startCluster(t)
	ctx := t.Context()
	for name, files := range map[string][]string{"defaults": nil, "all-collectors": {allValues}} {
		t.Run(name, func(t *testing.T) {
			objs := objects(t, render(t, files...))
			c.namespaces(t, objs)
			for _, o := range objs {
				if err := c.apply(ctx, o); err != nil {
					t.Errorf("server-side dry run of %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
				}
				for _, w := range c.warn.take() {
					t.Errorf("%s %s: API server warning: %s", o.GetKind(), o.GetName(), w)
				}
			}
			// The Deployment's pod template as a pod: admitted.
			pod := podOf(t, find(t, objs, "Deployment", "vigil"))
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
}

type cluster struct {
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

// apply server-side applies one object as a dry run, with strict field
// validation so a misspelt field is an error, not a warning.
func (c *cluster) apply(ctx context.Context, o *unstructured.Unstructured) error {
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
	opts := metav1.PatchOptions{FieldManager: "helm-test", Force: &force, FieldValidation: "Strict", DryRun: []string{metav1.DryRunAll}}
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
