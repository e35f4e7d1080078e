package deploy_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestReplicasComponent: the production overlay with components/replicas
// runs two replicas of the Deployment (no longer marked single by design),
// preferably on different nodes, a PodDisruptionBudget that keeps one up
// through a drain, and a ServiceMonitor that labels each target with its
// pod's name (vigil_replica), so the replicas are two targets with two
// series each, not one shared series, while instance stays namespace/service.
func TestReplicasComponent(t *testing.T) {
	byKind := map[string][]*unstructured.Unstructured{}
	for _, o := range productionWith(t, "replicas", "") {
		byKind[o.GetKind()] = append(byKind[o.GetKind()], o)
	}
	require.Len(t, byKind["Deployment"], 1)
	dep := byKind["Deployment"][0]
	replicas, _, _ := unstructured.NestedInt64(dep.Object, "spec", "replicas")
	assert.Equal(t, int64(2), replicas, "the overlay's replicas: 1 wins over the component")
	assert.NotContains(t, dep.GetAnnotations(), "vigil.dev/single-replica-ok")
	terms, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution")
	require.Len(t, terms, 1, "replicas spread across nodes")
	topo, _, _ := unstructured.NestedString(terms[0].(map[string]any), "podAffinityTerm", "topologyKey")
	assert.Equal(t, "kubernetes.io/hostname", topo)
	sel, _, _ := unstructured.NestedStringMap(terms[0].(map[string]any), "podAffinityTerm", "labelSelector", "matchLabels")
	podLabels, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "template", "metadata", "labels")
	for k, v := range sel {
		assert.Equal(t, v, podLabels[k], "the anti-affinity selects Vigil's own pods")
	}

	require.Len(t, byKind["PodDisruptionBudget"], 1, "a drain must leave one replica up")
	pdb := byKind["PodDisruptionBudget"][0]
	minAvailable, _, _ := unstructured.NestedInt64(pdb.Object, "spec", "minAvailable")
	assert.Equal(t, int64(1), minAvailable)
	pdbSel, _, _ := unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
	require.NotEmpty(t, pdbSel)
	for k, v := range pdbSel {
		assert.Equal(t, v, podLabels[k], "the PodDisruptionBudget selects Vigil's pods")
	}
	assert.Equal(t, dep.GetNamespace(), pdb.GetNamespace())

	require.Len(t, byKind["ServiceMonitor"], 1)
	eps, _, _ := unstructured.NestedSlice(byKind["ServiceMonitor"][0].Object, "spec", "endpoints")
	relabels := eps[0].(map[string]any)["relabelings"].([]any)
	instance := relabels[0].(map[string]any)
	assert.Equal(t, "instance", instance["targetLabel"])
	assert.Equal(t, []any{"__meta_kubernetes_namespace", "__meta_kubernetes_service_name"}, instance["sourceLabels"],
		"instance names this Vigil, the same for both replicas")
	replica := relabels[1].(map[string]any)
	assert.Equal(t, "vigil_replica", replica["targetLabel"], "two replicas without a label of their own would share one series")
	assert.Equal(t, []any{"__meta_kubernetes_pod_name"}, replica["sourceLabels"])
	drop := relabels[len(relabels)-1].(map[string]any)
	assert.Equal(t, "labeldrop", drop["action"])
	assert.NotRegexp(t, "^"+drop["regex"].(string)+"$", "vigil_replica", "the labeldrop would remove vigil_replica")
}

// productionWith builds the production overlay with one of deploy/components
// (and extra kustomization lines) through kustomize.
func productionWith(t *testing.T, component, extra string) []*unstructured.Unstructured {
	t.Helper()
	deploy := filepath.Join(testenv.RepoRoot(), "deploy")
	dir := t.TempDir()
	rel := func(p string) string { // kustomize refuses absolute paths
		r, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		return r
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - `+rel(filepath.Join(deploy, "overlays", "production"))+`
components:
  - `+rel(filepath.Join(deploy, "components", component))+`
`+extra), 0o600))
	return build(t, dir)
}
