package deploy_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

const fieldManager = "vigil-test"

// warnings records the API server's warnings (PodSecurity, unknown fields).
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
	m := w.msgs
	w.msgs = nil
	return m
}

type cluster struct {
	dyn    dynamic.Interface
	kube   kubernetes.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	warn   *warnings
}

// startCluster starts a real kube-apiserver with the prometheus-operator CRDs.
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

// apply server-side applies one object, for real or as a dry run, with
// strict field validation so a misspelt field is an error, not a warning.
func (c *cluster) apply(ctx context.Context, o *unstructured.Unstructured, dryRun bool) error {
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	data, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: ptr(true), FieldValidation: "Strict"}
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

func ptr[T any](v T) *T { return &v }

// One API server (it takes seconds to start) for both checks.
func TestAgainstRealAPIServer(t *testing.T) {
	c := startCluster(t)
	t.Run("server-side-dry-run", func(t *testing.T) { testServerSideDryRun(t, c) })
	t.Run("pod-security-restricted", func(t *testing.T) { testPodSecurity(t, c) })
}

// Every object of every overlay is accepted by a real API server with the
// real prometheus-operator CRDs, and raises no warning (PodSecurity
// "restricted" included, which the namespace enforces).
func testServerSideDryRun(t *testing.T, c *cluster) {
	ctx := t.Context()
	builds := map[string]func(testing.TB) []*unstructured.Unstructured{
		"production+web-config":  withWebConfig,
		"production+tls-secrets": func(t testing.TB) []*unstructured.Unstructured { return withTLSSecrets(t, "production") },
	}
	for _, ov := range overlays {
		builds[ov.name] = func(t testing.TB) []*unstructured.Unstructured { return build(t, overlayDir(ov.name)) }
	}
	for name, buildObjs := range builds {
		t.Run(name, func(t *testing.T) {
			objs := buildObjs(t)
			// A dry run cannot create into a namespace that does not exist:
			// apply the Namespace for real first.
			// The namespaces the build only refers to (those whose TLS
			// Secrets a Role grants) exist in a real cluster beforehand.
			for _, o := range objs {
				if o.GetKind() == "Namespace" {
					if err := c.apply(ctx, o, false); err != nil {
						t.Fatalf("applying Namespace %s: %v", o.GetName(), err)
					}
				}
			}
			for _, o := range objs {
				if ns := o.GetNamespace(); ns != "" {
					_, err := c.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
					if err != nil && !apierrors.IsAlreadyExists(err) {
						t.Fatalf("creating namespace %s: %v", ns, err)
					}
				}
			}
			c.warn.take()
			for _, o := range objs {
				if err := c.apply(ctx, o, true); err != nil {
					t.Errorf("server-side dry run of %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
				}
				for _, w := range c.warn.take() {
					t.Errorf("%s %s: API server warning: %s", o.GetKind(), o.GetName(), w)
				}
			}
		})
	}
}

// The Deployment's pod is admitted by Pod Security "restricted", enforced on
// the vigil namespace; the same pod made to run as root is refused, which
// shows the check is real.
func testPodSecurity(t *testing.T, c *cluster) {
	ctx := t.Context()
	objs := build(t, overlayDir("production"))
	if err := c.apply(ctx, find(t, objs, "Namespace", "vigil"), false); err != nil {
		t.Fatal(err)
	}
	dep := find(t, objs, "Deployment", "vigil")
	tmpl, _, _ := unstructured.NestedMap(dep.Object, "spec", "template")
	var pod corev1.Pod
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(tmpl, &pod); err != nil {
		t.Fatal(err)
	}
	pod.Name = "vigil-admission"
	pod.Namespace = "vigil"
	create := func(p *corev1.Pod) error {
		_, err := c.kube.CoreV1().Pods("vigil").Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
	if err := create(&pod); err != nil {
		t.Fatalf("the pod of the Deployment is refused: %v", err)
	}

	root := pod.DeepCopy()
	root.Spec.SecurityContext.RunAsNonRoot = nil
	root.Spec.SecurityContext.RunAsUser = ptr(int64(0))
	root.Spec.Containers[0].SecurityContext.RunAsNonRoot = nil
	root.Spec.Containers[0].SecurityContext.RunAsUser = nil
	err := create(root)
	if err == nil || !strings.Contains(err.Error(), "PodSecurity") {
		t.Fatalf("a root pod in namespace vigil: error = %v, want a PodSecurity refusal", err)
	}
}
