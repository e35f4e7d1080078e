// Package deploy builds a kustomize overlay and applies it to a cluster with
// server-side apply, then waits for the Deployments to roll out.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// FieldManager is the server-side apply field manager of the provision command.
const FieldManager = "vigil-provision"

// Build runs kustomize on dir (an overlay) and returns its objects in
// kustomize's order (namespaces and CRDs first).
func Build(dir string) ([]*unstructured.Unstructured, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range rm.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("kustomize build %s produced no objects", dir)
	}
	return objs, nil
}

// Options are the apply settings.
type Options struct {
	// DryRun asks the server to validate and default without persisting
	// (--dry-run=server).
	DryRun bool
	// Force takes ownership of fields another manager owns.
	Force bool
	// Wait waits for Deployments to roll out, up to Timeout.
	Wait    bool
	Timeout time.Duration
	// Poll is the rollout polling interval (0 = 2 s).
	Poll time.Duration
}

// Apply applies every object with server-side apply and, with o.Wait, waits
// for the Deployments among them to roll out.
func Apply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, o Options, out io.Writer) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("kubernetes discovery client: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("kubernetes dynamic client: %w", err)
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: o.Force}
	suffix := ""
	if o.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
		suffix = " (server dry run)"
	}
	var deployments []*unstructured.Unstructured
	// A server dry run stores nothing, so a namespace this deploy would
	// create does not exist for the objects that follow: the server cannot
	// validate them, and saying so beats a "namespace not found" error.
	pendingNS := map[string]bool{}
	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		id := fmt.Sprintf("%s %s", gvk.Kind, name(obj))
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			// A CRD applied earlier in this run: read discovery again.
			mapper.Reset()
			mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		if err != nil {
			return fmt.Errorf("%s: the cluster does not serve %s (is its CRD installed?): %w", id, gvk, err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ns := obj.GetNamespace()
			if ns == "" {
				ns = metav1.NamespaceDefault
			}
			ri = dyn.Resource(mapping.Resource).Namespace(ns)
			if pendingNS[ns] {
				fmt.Fprintf(out, "not validated %s (server dry run: namespace %s does not exist yet; this deploy would create it first)\n", id, ns)
				continue
			}
		}
		if o.DryRun && gvk.Group == "" && gvk.Kind == "Namespace" {
			_, err := dyn.Resource(mapping.Resource).Get(ctx, obj.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				pendingNS[obj.GetName()] = true
			}
		}
		if _, err := ri.Apply(ctx, obj.GetName(), obj, opts); err != nil {
			if apierrors.IsConflict(err) {
				return fmt.Errorf("applying %s: %w; another field manager owns these fields: pass --force-conflicts to take them over", id, err)
			}
			return fmt.Errorf("applying %s: %w", id, err)
		}
		fmt.Fprintf(out, "applied %s%s\n", id, suffix)
		if gvk.Group == "apps" && gvk.Kind == "Deployment" {
			deployments = append(deployments, obj)
		}
	}
	if !o.Wait || o.DryRun {
		return nil
	}
	cs := dyn.Resource(appsv1.SchemeGroupVersion.WithResource("deployments"))
	for _, d := range deployments {
		if err := WaitRollout(ctx, cs.Namespace(d.GetNamespace()), d.GetName(), o.Timeout, o.Poll, out); err != nil {
			return err
		}
	}
	return nil
}

func name(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}

// ErrRolloutTimeout says a Deployment did not finish rolling out in time.
var ErrRolloutTimeout = errors.New("rollout did not finish in time")

// WaitRollout waits until the Deployment's controller has seen its latest
// spec and every replica is updated and available, as `kubectl rollout
// status` judges it.
func WaitRollout(ctx context.Context, ri dynamic.ResourceInterface, name string, timeout, poll time.Duration, out io.Writer) error {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	if poll <= 0 {
		poll = 2 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	err := wait.PollUntilContextCancel(wctx, poll, true, func(ctx context.Context) (bool, error) {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			// Keep polling through API errors (a restarting API server, the
			// client's rate limiter near the deadline): only the timeout ends
			// the wait, and the last error is reported with it.
			if apierrors.IsNotFound(err) {
				last = "not found"
			} else if last == "" {
				// A status read before says more than a late client error.
				last = err.Error()
			}
			return false, nil
		}
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
			return false, fmt.Errorf("reading Deployment %s: %w", name, err)
		}
		done, why := rolledOut(&d)
		last = why
		return done, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for Deployment %s: %w", name, ctx.Err())
		}
		if wctx.Err() != nil {
			return fmt.Errorf("deployment %s: %w after %s: %s", name, ErrRolloutTimeout, timeout, last)
		}
		return fmt.Errorf("waiting for Deployment %s: %w", name, err)
	}
	fmt.Fprintf(out, "Deployment %s rolled out\n", name)
	return nil
}

func rolledOut(d *appsv1.Deployment) (bool, string) {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	switch {
	case s.ObservedGeneration < d.Generation:
		return false, fmt.Sprintf("waiting for the controller to observe generation %d (seen %d)", d.Generation, s.ObservedGeneration)
	case s.UpdatedReplicas < want:
		return false, fmt.Sprintf("%d of %d replicas updated", s.UpdatedReplicas, want)
	case s.Replicas > s.UpdatedReplicas:
		return false, fmt.Sprintf("%d old replicas pending termination", s.Replicas-s.UpdatedReplicas)
	case s.AvailableReplicas < want:
		return false, fmt.Sprintf("%d of %d updated replicas available", s.AvailableReplicas, want)
	}
	return true, "rolled out"
}
