package helm_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// sharded returns values that turn on the sharded mode with n shards,
// merged over extra.
func sharded(n int, extra map[string]any) map[string]any {
	out := map[string]any{"sharding": map[string]any{"enabled": true, "shards": n}}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func renderSet(t testing.TB, set map[string]any) []*unstructured.Unstructured {
	t.Helper()
	out, err := renderErr(nil, set)
	if err != nil {
		t.Fatalf("rendering the chart with %v: %v", set, err)
	}
	return objects(t, out)
}

// componentObjects reads deploy/components/sharded's own objects by kind.
func componentObjects(t testing.TB) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
	for _, f := range []string{"statefulset.yaml", "role.yaml", "pdb.yaml"} {
		data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "components", "sharded", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objects(t, string(data)) {
			out[o.GetKind()] = o
		}
	}
	return out
}

// sharding.enabled is deploy/components/sharded in the chart: a StatefulSet
// of sharding.shards replicas instead of the Deployment, running the
// Deployment's pod plus --auto-shard and the downward API's pod name and
// namespace; a Role with get and watch on that one StatefulSet, bound to the
// pod's service account; a PodDisruptionBudget that lets a drain evict one
// shard at a time; a ServiceMonitor whose instance is namespace/pod, so each
// shard is a target of its own. Each compared with the component's.
func TestShardedMode(t *testing.T) {
	objs := renderSet(t, sharded(3, nil))
	comp := componentObjects(t)
	if n := kinds(objs)["Deployment"]; n != 0 {
		t.Errorf("%d Deployments beside the StatefulSet: both would export everything", n)
	}
	if n := kinds(objs)["PersistentVolumeClaim"]; n != 0 {
		t.Errorf("%d PersistentVolumeClaims without storage.persistentVolumeClaim", n)
	}
	sts := find(t, objs, "StatefulSet", "vigil")
	if n, _, _ := unstructured.NestedInt64(sts.Object, "spec", "replicas"); n != 3 {
		t.Errorf("replicas = %d, want sharding.shards (3): --auto-shard reads the shard count there", n)
	}
	svc, _, _ := unstructured.NestedString(sts.Object, "spec", "serviceName")
	find(t, objs, "Service", svc)
	for _, field := range []string{"podManagementPolicy", "revisionHistoryLimit"} {
		if g, w := sts.Object["spec"].(map[string]any)[field], comp["StatefulSet"].Object["spec"].(map[string]any)[field]; !reflect.DeepEqual(g, w) {
			t.Errorf("spec.%s = %v, deploy/components/sharded has %v", field, g, w)
		}
	}

	// The pod: the Deployment's, plus --auto-shard and POD_NAME and
	// POD_NAMESPACE from the downward API (the flags' Envar).
	got, _, _ := unstructured.NestedMap(sts.Object, "spec", "template")
	want, _, _ := unstructured.NestedMap(find(t, objects(t, render(t)), "Deployment", "vigil").Object, "spec", "template")
	cs, _, _ := unstructured.NestedSlice(got, "spec", "containers")
	c := cs[0].(map[string]any)
	args, _ := c["args"].([]any)
	n := 0
	c["args"] = slices.DeleteFunc(slices.Clone(args), func(a any) bool {
		s := a.(string)
		if s == "--auto-shard" {
			n++
			return true
		}
		if strings.HasPrefix(s, "--shard") || strings.HasPrefix(s, "--total-shards") {
			t.Errorf("arg %s beside --auto-shard: the exporter refuses both", s)
		}
		return false
	})
	if n != 1 {
		t.Errorf("args %v: want --auto-shard once", args)
	}
	env, _ := c["env"].([]any)
	fields := map[string]string{}
	c["env"] = slices.DeleteFunc(slices.Clone(env), func(e any) bool {
		em := e.(map[string]any)
		name := em["name"].(string)
		if name != "POD_NAME" && name != "POD_NAMESPACE" {
			return false
		}
		fields[name], _, _ = unstructured.NestedString(em, "valueFrom", "fieldRef", "fieldPath")
		return true
	})
	if w := map[string]string{"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"}; !reflect.DeepEqual(fields, w) {
		t.Errorf("downward API env = %v, want %v (--auto-shard's --pod and --pod-namespace)", fields, w)
	}
	_ = unstructured.SetNestedSlice(got, cs, "spec", "containers")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the StatefulSet's pod differs from the Deployment's beyond sharding:\n got %s\nwant %s", mustJSON(t, got), mustJSON(t, want))
	}
	podLabels, _, _ := unstructured.NestedStringMap(sts.Object, "spec", "template", "metadata", "labels")
	sa, _, _ := unstructured.NestedString(sts.Object, "spec", "template", "spec", "serviceAccountName")

	// RBAC: the component's Role, to this StatefulSet only.
	role := find(t, objs, "Role", "vigil-shard")
	if g, w := rules(t, role), rules(t, comp["Role"]); !slices.Equal(g, w) {
		t.Errorf("shard Role rules = %v, deploy/components/sharded grants %v", g, w)
	}
	if names := mustJSON(t, role.Object["rules"]); !strings.Contains(names, `"resourceNames":["vigil"]`) {
		t.Errorf("shard Role rules %s: want resourceNames [vigil], the StatefulSet only", names)
	}
	rb := find(t, objs, "RoleBinding", "vigil-shard")
	if ref, _, _ := unstructured.NestedString(rb.Object, "roleRef", "name"); ref != role.GetName() {
		t.Errorf("RoleBinding binds Role %q, want %q", ref, role.GetName())
	}
	if subj := mustJSON(t, rb.Object["subjects"]); subj != `[{"kind":"ServiceAccount","name":"`+sa+`","namespace":"`+namespace+`"}]` {
		t.Errorf("RoleBinding subjects = %s, want the pod's service account %s/%s", subj, namespace, sa)
	}

	// PodDisruptionBudget: the component's.
	pdb := find(t, objs, "PodDisruptionBudget", "vigil")
	pdbSpec, _, _ := unstructured.NestedMap(pdb.Object, "spec")
	compSpec, _, _ := unstructured.NestedMap(comp["PodDisruptionBudget"].Object, "spec")
	if g, w := pdbSpec["maxUnavailable"], compSpec["maxUnavailable"]; g != w || pdbSpec["minAvailable"] != nil {
		t.Errorf("PodDisruptionBudget maxUnavailable %v minAvailable %v, want the component's maxUnavailable %v alone", g, pdbSpec["minAvailable"], w)
	}
	sel, _, _ := unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
	for k, v := range sel {
		if podLabels[k] != v {
			t.Errorf("PodDisruptionBudget selects %s=%s, the shards have %q", k, v, podLabels[k])
		}
	}

	// ServiceMonitor: instance from namespace/pod, as the component's
	// patch, and no vigil_replica (shards are not copies).
	compPatch := componentPatches(t, "sharded")["ServiceMonitor"]["/spec/endpoints/0/relabelings/0/sourceLabels"]
	relabels, _ := endpoint(t, find(t, objs, "ServiceMonitor", "vigil"))["relabelings"].([]any)
	first := relabels[0].(map[string]any)
	if first["targetLabel"] != "instance" || !reflect.DeepEqual(norm(t, first["sourceLabels"]), norm(t, compPatch)) {
		t.Errorf("first relabeling = %v, want instance from %v (the component's): the shards would write one up series", first, compPatch)
	}
	for _, r := range relabels {
		if r.(map[string]any)["targetLabel"] == "vigil_replica" {
			t.Error("sharded targets are labelled vigil_replica: the alerts would aggregate disjoint shards as copies")
		}
	}
}

// The shard Role names the StatefulSet the chart renders whatever it is
// called: --auto-shard reads the StatefulSet named after its pod.
func TestShardRoleFollowsTheName(t *testing.T) {
	objs := renderSet(t, sharded(2, map[string]any{"fullnameOverride": "big-vigil"}))
	sts := find(t, objs, "StatefulSet", "big-vigil")
	role := find(t, objs, "Role", "big-vigil-shard")
	if r := mustJSON(t, role.Object["rules"]); r != `[{"apiGroups":["apps"],"resourceNames":["`+sts.GetName()+`"],"resources":["statefulsets"],"verbs":["get","watch"]}]` {
		t.Errorf("shard Role rules = %s, want get and watch on StatefulSet %s only", r, sts.GetName())
	}
}

// Sharded with storage.persistentVolumeClaim: each shard its own claim from
// volumeClaimTemplates (one ReadWriteOnce claim cannot be mounted by every
// shard), mounted where the Deployment mounts its volume; no shared claim.
func TestShardedStorage(t *testing.T) {
	objs := renderSet(t, sharded(3, map[string]any{"storage": map[string]any{"persistentVolumeClaim": map[string]any{"enabled": true, "size": "2Gi"}}}))
	if n := kinds(objs)["PersistentVolumeClaim"]; n != 0 {
		t.Errorf("%d shared PersistentVolumeClaims: each shard needs its own", n)
	}
	sts := find(t, objs, "StatefulSet", "vigil")
	vcts, _, _ := unstructured.NestedSlice(sts.Object, "spec", "volumeClaimTemplates")
	if len(vcts) != 1 {
		t.Fatalf("volumeClaimTemplates = %v, want one", vcts)
	}
	vct := vcts[0].(map[string]any)
	name, _, _ := unstructured.NestedString(vct, "metadata", "name")
	size, _, _ := unstructured.NestedString(vct, "spec", "resources", "requests", "storage")
	modes, _, _ := unstructured.NestedStringSlice(vct, "spec", "accessModes")
	if name != "data" || size != "2Gi" || !slices.Equal(modes, []string{"ReadWriteOnce"}) {
		t.Errorf("volumeClaimTemplate %s %s %v, want data 2Gi [ReadWriteOnce]", name, size, modes)
	}
	if l := mustJSON(t, vct["metadata"]); strings.Contains(l, "helm.sh/chart") || strings.Contains(l, "app.kubernetes.io/version") {
		t.Errorf("volumeClaimTemplate metadata %s carries the chart's version: Kubernetes refuses a changed template, so every chart upgrade would fail", l)
	}
	vols, _, _ := unstructured.NestedSlice(sts.Object, "spec", "template", "spec", "volumes")
	for _, v := range vols {
		if v.(map[string]any)["name"] == "data" {
			t.Errorf("pod volume data = %v beside the claim template of the same name", v)
		}
	}
	mounts, _, _ := unstructured.NestedSlice(container(t, sts), "volumeMounts")
	if !strings.Contains(mustJSON(t, mounts), `{"mountPath":"/var/lib/vigil/data","name":"data"}`) {
		t.Errorf("mounts %s lack data at storage.path", mustJSON(t, mounts))
	}
}
