package deploy_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestShardedComponent: the production overlay with components/sharded
// and three replicas builds one StatefulSet (no Deployment) whose pod
// template is the base Deployment's plus --auto-shard and the downward API
// env, RBAC to read that StatefulSet only, a PodDisruptionBudget that lets
// a drain evict one shard at a time, and a ServiceMonitor whose
// instance is namespace/pod, so the shards are three targets, not one.
func TestShardedComponent(t *testing.T) {
	objs := productionWith(t, "sharded", "replicas:\n  - name: vigil\n    count: 3\n")
	byKind := map[string][]*unstructured.Unstructured{}
	for _, o := range objs {
		byKind[o.GetKind()] = append(byKind[o.GetKind()], o)
	}
	// A component's own objects are added after the base's `namespace:`:
	// each must name the namespace itself or land in kubectl's default.
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService":
			continue
		}
		assert.Equal(t, "vigil", o.GetNamespace(), "%s %s", o.GetKind(), o.GetName())
		subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
		for _, sub := range subjects {
			assert.Equal(t, "vigil", sub.(map[string]any)["namespace"], "%s %s subject", o.GetKind(), o.GetName())
		}
	}
	assert.Empty(t, byKind["Deployment"], "the Deployment is still there beside the StatefulSet")
	require.Len(t, byKind["StatefulSet"], 1)
	sts := byKind["StatefulSet"][0]
	replicas, _, _ := unstructured.NestedInt64(sts.Object, "spec", "replicas")
	assert.Equal(t, int64(3), replicas)

	base := build(t, filepath.Join(testenv.RepoRoot(), "deploy", "base"))
	var dep *unstructured.Unstructured
	for _, o := range base {
		if o.GetKind() == "Deployment" {
			dep = o
		}
	}
	require.NotNil(t, dep)
	want, _, _ := unstructured.NestedMap(dep.Object, "spec", "template")
	got, _, _ := unstructured.NestedMap(sts.Object, "spec", "template")
	// editContainer changes the first container of a template in place
	// (Nested* return copies).
	editContainer := func(tmpl map[string]any, edit func(c map[string]any)) {
		cs, _, _ := unstructured.NestedSlice(tmpl, "spec", "containers")
		edit(cs[0].(map[string]any))
		require.NoError(t, unstructured.SetNestedSlice(tmpl, cs, "spec", "containers"))
	}
	var gc map[string]any
	editContainer(got, func(c map[string]any) { gc = c })
	args, _ := gc["args"].([]any)
	assert.Contains(t, args, "--auto-shard")
	gc["args"] = slices.DeleteFunc(args, func(a any) bool { return a == "--auto-shard" })
	env, _ := gc["env"].([]any)
	var names []string
	gc["env"] = slices.DeleteFunc(env, func(e any) bool {
		n := e.(map[string]any)["name"].(string)
		if n == "POD_NAME" || n == "POD_NAMESPACE" {
			names = append(names, n)
			return true
		}
		return false
	})
	assert.ElementsMatch(t, []string{"POD_NAME", "POD_NAMESPACE"}, names)
	// The overlay's resources and the generated ConfigMap's name differ
	// from the base's on purpose; the rest must not.
	editContainer(got, func(c map[string]any) { c["args"], c["env"] = gc["args"], gc["env"]; delete(c, "resources") })
	editContainer(want, func(c map[string]any) { delete(c, "resources") })
	for _, tmpl := range []map[string]any{want, got} {
		vols, _, _ := unstructured.NestedSlice(tmpl, "spec", "volumes")
		for _, v := range vols {
			delete(v.(map[string]any), "configMap")
		}
		_ = unstructured.SetNestedSlice(tmpl, vols, "spec", "volumes")
	}
	assert.Equal(t, want, got, "the StatefulSet's pod template drifted from the base Deployment's: change deploy/components/sharded/statefulset.yaml with it")

	require.Len(t, byKind["Role"], 1+countRoles(base), "one Role more than the base: get and watch on the StatefulSet")
	var shardRole *unstructured.Unstructured
	for _, r := range byKind["Role"] {
		if r.GetName() == "vigil-shard" {
			shardRole = r
		}
	}
	require.NotNil(t, shardRole)
	rules, _, _ := unstructured.NestedSlice(shardRole.Object, "rules")
	assert.Equal(t, []any{map[string]any{"apiGroups": []any{"apps"}, "resources": []any{"statefulsets"}, "resourceNames": []any{"vigil"}, "verbs": []any{"get", "watch"}}}, rules)

	require.Len(t, byKind["PodDisruptionBudget"], 1, "a drain must evict one shard at a time")
	maxUnavailable, _, _ := unstructured.NestedInt64(byKind["PodDisruptionBudget"][0].Object, "spec", "maxUnavailable")
	assert.Equal(t, int64(1), maxUnavailable)

	require.Len(t, byKind["ServiceMonitor"], 1)
	eps, _, _ := unstructured.NestedSlice(byKind["ServiceMonitor"][0].Object, "spec", "endpoints")
	relabel := eps[0].(map[string]any)["relabelings"].([]any)[0].(map[string]any)
	assert.Equal(t, "instance", relabel["targetLabel"])
	assert.Equal(t, []any{"__meta_kubernetes_namespace", "__meta_kubernetes_pod_name"}, relabel["sourceLabels"])
}

func countRoles(objs []*unstructured.Unstructured) int {
	n := 0
	for _, o := range objs {
		if o.GetKind() == "Role" {
			n++
		}
	}
	return n
}
