package helm_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// replicaCount 2 is deploy/components/replicas in the chart: two replicas,
// preferably on different nodes, no longer marked single by design, a
// PodDisruptionBudget that keeps one up, and a ServiceMonitor that labels
// each target vigil_replica (two targets, not one shared series). The
// default (1) renders no PodDisruptionBudget.
func TestReplicaCount(t *testing.T) {
	out, err := renderErr(nil, map[string]any{"replicaCount": 2})
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, out)
	dep := find(t, objs, "Deployment", "vigil")
	if n, _, _ := unstructured.NestedInt64(dep.Object, "spec", "replicas"); n != 2 {
		t.Errorf("replicas = %d, want 2", n)
	}
	if _, ok := dep.GetAnnotations()["vigil.dev/single-replica-ok"]; ok {
		t.Error("two replicas are still annotated single-replica-ok")
	}
	terms, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution")
	if len(terms) != 1 {
		t.Fatalf("anti-affinity terms = %v, want one across kubernetes.io/hostname", terms)
	}
	podLabels, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "template", "metadata", "labels")
	sel, _, _ := unstructured.NestedStringMap(terms[0].(map[string]any), "podAffinityTerm", "labelSelector", "matchLabels")
	for k, v := range sel {
		if podLabels[k] != v {
			t.Errorf("anti-affinity selects %s=%s, the pods have %q", k, v, podLabels[k])
		}
	}
	pdb := find(t, objs, "PodDisruptionBudget", "vigil")
	if n, _, _ := unstructured.NestedInt64(pdb.Object, "spec", "minAvailable"); n != 1 {
		t.Errorf("PodDisruptionBudget minAvailable = %d, want 1", n)
	}
	pdbSel, _, _ := unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
	if len(pdbSel) == 0 {
		t.Error("the PodDisruptionBudget selects nothing")
	}
	for k, v := range pdbSel {
		if podLabels[k] != v {
			t.Errorf("PodDisruptionBudget selects %s=%s, the pods have %q", k, v, podLabels[k])
		}
	}
	if pdb.GetNamespace() != dep.GetNamespace() {
		t.Errorf("PodDisruptionBudget in %q, the Deployment in %q", pdb.GetNamespace(), dep.GetNamespace())
	}
	sm := find(t, objs, "ServiceMonitor", "vigil")
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	relabels := eps[0].(map[string]any)["relabelings"].([]any)
	if src := relabels[0].(map[string]any)["sourceLabels"]; !equalAny(src, []any{"__meta_kubernetes_namespace", "__meta_kubernetes_service_name"}) {
		t.Errorf("instance from %v, want namespace/service: it names this Vigil, the same for both replicas", src)
	}
	replica := relabels[1].(map[string]any)
	if replica["targetLabel"] != "vigil_replica" || !equalAny(replica["sourceLabels"], []any{"__meta_kubernetes_pod_name"}) {
		t.Errorf("second relabeling = %v, want vigil_replica from the pod's name: two replicas without it share one series", replica)
	}

	def := render(t)
	if strings.Contains(def, "kind: PodDisruptionBudget") {
		t.Error("one replica renders a PodDisruptionBudget (minAvailable 1 would block every drain)")
	}
	if _, err := renderErr(nil, map[string]any{"replicaCount": 2, "storage": map[string]any{"persistentVolumeClaim": map[string]any{"enabled": true}}}); err == nil || !strings.Contains(err.Error(), "replicaCount") {
		t.Errorf("two replicas on one ReadWriteOnce claim: error = %v, want one naming replicaCount", err)
	}
}

func equalAny(got any, want []any) bool {
	g, ok := got.([]any)
	if !ok || len(g) != len(want) {
		return false
	}
	for i := range g {
		if g[i] != want[i] {
			return false
		}
	}
	return true
}
