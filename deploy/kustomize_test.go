package deploy_test

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	_ "github.com/vigil-monitoring/vigil/collectors/all"
	clustercollector "github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// overlay is what each environment must set.
type overlay struct {
	name        string
	environment string
	cluster     string
	tag         string
	replicas    int64
	memLimit    string
}

var overlays = []overlay{
	{name: "dev", environment: "dev", cluster: "ionos-dev", tag: "edge", replicas: 1, memLimit: "128Mi"},
	{name: "staging", environment: "staging", cluster: "ionos-staging", tag: "v0.1.0", replicas: 1, memLimit: "256Mi"},
	{name: "production", environment: "production", cluster: "ionos-production", tag: "v0.1.0", replicas: 1, memLimit: "512Mi"},
}

// build runs kustomize in-process on a directory, as `kubectl kustomize` does.
func build(t testing.TB, dir string) []*unstructured.Unstructured {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range resMap.Resources() {
		// Through JSON, so numbers are int64 as client-go expects.
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("kustomize build %s: resource %s: %v", dir, r.CurId(), err)
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(data); err != nil {
			t.Fatalf("kustomize build %s: resource %s: %v", dir, r.CurId(), err)
		}
		objs = append(objs, o)
	}
	return objs
}

func overlayDir(name string) string {
	return filepath.Join(testenv.RepoRoot(), "deploy", "overlays", name)
}

// find returns the only object of a kind whose name starts with prefix.
func find(t testing.TB, objs []*unstructured.Unstructured, kind, prefix string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && strings.HasPrefix(o.GetName(), prefix) {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s named %s*, found %d", kind, prefix, len(found))
	}
	return found[0]
}

func str(t testing.TB, o *unstructured.Unstructured, fields ...string) string {
	t.Helper()
	v, ok, err := unstructured.NestedString(o.Object, fields...)
	if err != nil || !ok {
		t.Fatalf("%s %s: field %s missing or not a string (%v)", o.GetKind(), o.GetName(), strings.Join(fields, "."), err)
	}
	return v
}

func TestOverlaysBuildWithTheirEnvironment(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.name, func(t *testing.T) {
			objs := build(t, overlayDir(ov.name))

			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.GetKind()]++
				if o.GetKind() != "Namespace" && o.GetKind() != "ClusterRole" && o.GetKind() != "ClusterRoleBinding" && o.GetNamespace() != "vigil" {
					t.Errorf("%s %s is in namespace %q, want vigil", o.GetKind(), o.GetName(), o.GetNamespace())
				}
			}
			for _, kind := range []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceMonitor", "PrometheusRule", "NetworkPolicy"} {
				if kinds[kind] != 1 {
					t.Errorf("want one %s, got %d", kind, kinds[kind])
				}
			}

			// The config is the overlay's own, and valid for the daemon.
			cm := find(t, objs, "ConfigMap", "vigil-config-")
			data := str(t, cm, "data", "vigil.yml")
			cfg, err := config.Parse([]byte(data), "deploy/overlays/"+ov.name+"/vigil.yml", collector.Sections())
			if err != nil {
				t.Fatalf("the overlay's vigil.yml does not validate: %v", err)
			}
			k, ok := cfg.Sections["kubernetes"].(*clustercollector.Section)
			if !ok {
				t.Fatalf("the overlay's vigil.yml has no kubernetes section")
			}
			if cfg.Environment != ov.environment || k.Cluster != ov.cluster {
				t.Errorf("config environment=%q cluster=%q, want %q and %q", cfg.Environment, k.Cluster, ov.environment, ov.cluster)
			}
			if k.Kubeconfig != "" || k.Server != "" {
				t.Errorf("config should use the in-cluster service account, has kubeconfig=%q server=%q", k.Kubeconfig, k.Server)
			}

			dep := find(t, objs, "Deployment", "vigil")
			replicas, _, _ := unstructured.NestedInt64(dep.Object, "spec", "replicas")
			if replicas != ov.replicas {
				t.Errorf("replicas = %d, want %d", replicas, ov.replicas)
			}
			c := container(t, dep)
			if want := "ghcr.io/vigil-monitoring/vigil:" + ov.tag; c["image"] != want {
				t.Errorf("image = %v, want %s", c["image"], want)
			}
			if lim, _, _ := unstructured.NestedString(c, "resources", "limits", "memory"); lim != ov.memLimit {
				t.Errorf("memory limit = %q, want %q", lim, ov.memLimit)
			}
			for _, kind := range []string{"requests", "limits"} {
				for _, res := range []string{"cpu", "memory"} {
					if v, _, _ := unstructured.NestedString(c, "resources", kind, res); v == "" {
						t.Errorf("resources.%s.%s is not set", kind, res)
					}
				}
			}
			if args, _, _ := unstructured.NestedStringSlice(c, "args"); !slices.Equal(args, []string{"--config.file=/etc/vigil/vigil.yml", "--storage.path=/var/lib/vigil/data"}) {
				t.Errorf("args = %q", args)
			}
			// The storage path is writable under the read-only root: a mounted volume.
			mounts, _, _ := unstructured.NestedSlice(c, "volumeMounts")
			if !slices.ContainsFunc(mounts, func(m any) bool {
				return m.(map[string]any)["mountPath"] == "/var/lib/vigil/data"
			}) {
				t.Errorf("--storage.path /var/lib/vigil/data has no volume mounted: the read-only root filesystem would refuse every snapshot")
			}

			// The config volume names the generated (hashed) ConfigMap, so a
			// config change rolls the pods.
			vols, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "volumes")
			var cmName string
			for _, v := range vols {
				if name, _, _ := unstructured.NestedString(v.(map[string]any), "configMap", "name"); name != "" {
					cmName = name
				}
			}
			if cmName != cm.GetName() {
				t.Errorf("config volume mounts ConfigMap %q, want %q", cmName, cm.GetName())
			}

			// Probes and port.
			if p, _, _ := unstructured.NestedString(c, "livenessProbe", "httpGet", "path"); p != "/-/healthy" {
				t.Errorf("liveness probe path = %q, want /-/healthy", p)
			}
			if p, _, _ := unstructured.NestedString(c, "readinessProbe", "httpGet", "path"); p != "/-/ready" {
				t.Errorf("readiness probe path = %q, want /-/ready", p)
			}
			ports, _, _ := unstructured.NestedSlice(c, "ports")
			if len(ports) != 1 || ports[0].(map[string]any)["name"] != "http-metrics" || ports[0].(map[string]any)["containerPort"] != int64(9477) {
				t.Errorf("ports = %v, want http-metrics 9477", ports)
			}

			// The credentials come from the optional Secret, by reference.
			env, _, _ := unstructured.NestedSlice(c, "env")
			var fromSecret bool
			for _, e := range env {
				ref, ok, _ := unstructured.NestedMap(e.(map[string]any), "valueFrom", "secretKeyRef")
				if ok && ref["name"] == "vigil-credentials" && ref["optional"] == true {
					fromSecret = true
				}
				if _, inline := e.(map[string]any)["value"]; inline {
					t.Errorf("env %v has an inline value: secrets come from vigil-credentials", e.(map[string]any)["name"])
				}
			}
			if !fromSecret {
				t.Error("no env var comes from the optional Secret vigil-credentials")
			}
			if kinds["Secret"] != 0 {
				t.Error("the manifests ship a Secret: applying them would overwrite the real credentials")
			}

			// The ServiceMonitor scrapes the Service's port, without honouring
			// the labels of the scraped series (a textfile could pass for
			// another job or instance): servicemonitor_test.go shows the
			// object's namespace survives all the same.
			sm := find(t, objs, "ServiceMonitor", "vigil")
			eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
			if len(eps) != 1 || eps[0].(map[string]any)["port"] != "http-metrics" {
				t.Errorf("ServiceMonitor endpoints = %v, want port http-metrics", eps)
			} else if honor, _, _ := unstructured.NestedBool(eps[0].(map[string]any), "honorLabels"); honor {
				t.Error("ServiceMonitor sets honorLabels: a series could then set its own job or instance")
			}

			// Vigil's own single replica is by design, and says so.
			if got := dep.GetAnnotations()["vigil.dev/single-replica-ok"]; got != "true" {
				t.Errorf("Deployment annotation vigil.dev/single-replica-ok = %q, want \"true\" (one replica by design)", got)
			}

			checkNetworkPolicy(t, find(t, objs, "NetworkPolicy", "vigil"), dep)
		})
	}
}

// checkNetworkPolicy: the policy selects Vigil's pod, admits one namespace
// (by a non-empty selector: an empty one admits every namespace) and only on
// the metrics port.
func checkNetworkPolicy(t *testing.T, np, dep *unstructured.Unstructured) {
	t.Helper()
	sel, _, _ := unstructured.NestedStringMap(np.Object, "spec", "podSelector", "matchLabels")
	podLabels, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "template", "metadata", "labels")
	if len(sel) == 0 {
		t.Error("NetworkPolicy podSelector is empty: it would apply to every pod of the namespace")
	}
	for k, v := range sel {
		if podLabels[k] != v {
			t.Errorf("NetworkPolicy podSelector %v does not select the Deployment's pods %v", sel, podLabels)
		}
	}
	types, _, _ := unstructured.NestedStringSlice(np.Object, "spec", "policyTypes")
	if !slices.Equal(types, []string{"Ingress"}) {
		t.Errorf("policyTypes = %v, want [Ingress]: Vigil must still reach the API server and the clouds", types)
	}
	ingress, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
	if len(ingress) != 1 {
		t.Fatalf("NetworkPolicy has %d ingress rules, want 1 (Prometheus)", len(ingress))
	}
	rule := ingress[0].(map[string]any)
	from, _, _ := unstructured.NestedSlice(rule, "from")
	if len(from) != 1 {
		t.Fatalf("ingress from = %v, want one namespace selector", from)
	}
	peer := from[0].(map[string]any)
	nsLabels, _, _ := unstructured.NestedStringMap(peer, "namespaceSelector", "matchLabels")
	if len(nsLabels) == 0 || nsLabels["kubernetes.io/metadata.name"] == "" {
		t.Errorf("ingress namespaceSelector = %v, want the Prometheus namespace by kubernetes.io/metadata.name", peer["namespaceSelector"])
	}
	if _, ok := peer["ipBlock"]; ok {
		t.Error("ingress admits an ipBlock")
	}
	ports, _, _ := unstructured.NestedSlice(rule, "ports")
	if len(ports) != 1 || ports[0].(map[string]any)["port"] != "http-metrics" {
		t.Errorf("ingress ports = %v, want only http-metrics", ports)
	}
}

func container(t testing.TB, dep *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("Deployment %s has %d containers, want 1", dep.GetName(), len(cs))
	}
	return cs[0].(map[string]any)
}

// The ClusterRole grants reads only (rbac_test.go shows it grants exactly
// what Vigil requests).
func TestClusterRoleIsReadOnly(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.name, func(t *testing.T) {
			role := find(t, build(t, overlayDir(ov.name)), "ClusterRole", "vigil")
			rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
			var got []string
			for _, r := range rules {
				rule := r.(map[string]any)
				verbs, _, _ := unstructured.NestedStringSlice(rule, "verbs")
				for _, v := range verbs {
					if v != "get" && v != "list" && v != "watch" {
						t.Errorf("rule %v grants verb %q: Vigil only reads", rule, v)
					}
				}
				groups, _, _ := unstructured.NestedStringSlice(rule, "apiGroups")
				resources, _, _ := unstructured.NestedStringSlice(rule, "resources")
				urls, _, _ := unstructured.NestedStringSlice(rule, "nonResourceURLs")
				names, _, _ := unstructured.NestedStringSlice(rule, "resourceNames")
				if len(names) > 0 {
					t.Errorf("rule %v has resourceNames; the collector lists whole collections", rule)
				}
				for _, g := range groups {
					if g == "" {
						g = "core"
					}
					for _, res := range resources {
						got = append(got, g+"/"+res+" "+strings.Join(verbs, ","))
					}
				}
				for _, u := range urls {
					got = append(got, u+" "+strings.Join(verbs, ","))
				}
			}
			sort.Strings(got)
			for _, g := range got {
				if strings.Contains(g, "*") {
					t.Errorf("wildcard grant %q", g)
				}
			}
			if len(got) == 0 {
				t.Error("the ClusterRole grants nothing")
			}

			binding := find(t, build(t, overlayDir(ov.name)), "ClusterRoleBinding", "vigil")
			if ref := str(t, binding, "roleRef", "name"); ref != role.GetName() {
				t.Errorf("ClusterRoleBinding refers to %q, want %q", ref, role.GetName())
			}
			subjects, _, _ := unstructured.NestedSlice(binding.Object, "subjects")
			if len(subjects) != 1 || subjects[0].(map[string]any)["name"] != "vigil" || subjects[0].(map[string]any)["namespace"] != "vigil" {
				t.Errorf("ClusterRoleBinding subjects = %v, want ServiceAccount vigil/vigil", subjects)
			}
		})
	}
}

func TestSecurityContextIsHardened(t *testing.T) {
	for _, ov := range overlays {
		t.Run(ov.name, func(t *testing.T) {
			dep := find(t, build(t, overlayDir(ov.name)), "Deployment", "vigil")
			pod, _, _ := unstructured.NestedMap(dep.Object, "spec", "template", "spec", "securityContext")
			c, _, _ := unstructured.NestedMap(container(t, dep), "securityContext")
			checks := []struct {
				where  map[string]any
				fields []string
				want   any
			}{
				{pod, []string{"runAsNonRoot"}, true},
				{pod, []string{"runAsUser"}, int64(65532)},
				{pod, []string{"seccompProfile", "type"}, "RuntimeDefault"},
				{c, []string{"runAsNonRoot"}, true},
				{c, []string{"runAsUser"}, int64(65532)},
				{c, []string{"readOnlyRootFilesystem"}, true},
				{c, []string{"allowPrivilegeEscalation"}, false},
				{c, []string{"privileged"}, false},
				{c, []string{"seccompProfile", "type"}, "RuntimeDefault"},
			}
			for _, ch := range checks {
				got, ok, _ := unstructured.NestedFieldNoCopy(ch.where, ch.fields...)
				if !ok || got != ch.want {
					t.Errorf("securityContext.%s = %v, want %v", strings.Join(ch.fields, "."), got, ch.want)
				}
			}
			drop, _, _ := unstructured.NestedStringSlice(c, "capabilities", "drop")
			add, _, _ := unstructured.NestedStringSlice(c, "capabilities", "add")
			if !slices.Equal(drop, []string{"ALL"}) || len(add) != 0 {
				t.Errorf("capabilities drop=%v add=%v, want drop [ALL] and nothing added", drop, add)
			}
			if hostNet, _, _ := unstructured.NestedBool(dep.Object, "spec", "template", "spec", "hostNetwork"); hostNet {
				t.Error("hostNetwork is set")
			}
		})
	}
}
