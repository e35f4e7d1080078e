package helm_test

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	_ "github.com/vigil-monitoring/vigil/collectors/all"
	"github.com/vigil-monitoring/vigil/internal/collector"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/default.golden.yaml from the chart")

const (
	allValues = "testdata/all-collectors.yaml"
	golden    = "testdata/default.golden.yaml"
)

// helm lint passes, warnings included, with the defaults, with everything
// on, and sharded with a claim per shard.
func TestLint(t *testing.T) {
	for name, files := range map[string][]string{"defaults": nil, "all-collectors": {allValues}, "sharded": nil} {
		t.Run(name, func(t *testing.T) {
			vals := map[string]any{}
			for _, f := range files {
				v, err := chartutil.ReadValuesFile(f)
				if err != nil {
					t.Fatal(err)
				}
				vals = v.AsMap()
			}
			if name == "sharded" {
				vals = sharded(3, map[string]any{"storage": map[string]any{"persistentVolumeClaim": map[string]any{"enabled": true}}})
			}
			linter := lint.All(chartDir(), vals, namespace, false)
			for _, m := range linter.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m)
				}
			}
		})
	}
}

// `helm template` of the defaults is the committed golden file: a change to
// the chart shows in review as a change of what users get. Regenerate with
// `go test -run TestDefaultsGolden -update` (make generate does).
func TestDefaultsGolden(t *testing.T) {
	got := render(t)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v: run go test -run TestDefaultsGolden -update in test/helm", err)
	}
	if got != string(want) {
		t.Errorf("helm template with the defaults differs from %s: run `make generate` (or go test -run TestDefaultsGolden -update in test/helm) and review the diff", golden)
	}
}

// The rendered vigil.yml is valid for Vigil itself (its own parser, every
// registered section), with the defaults and with every collector on.
func TestConfigIsValidForVigil(t *testing.T) {
	for name, files := range map[string][]string{"defaults": nil, "all-collectors": {allValues}} {
		t.Run(name, func(t *testing.T) {
			cfg := parseConfig(t, objects(t, render(t, files...)))
			if name == "all-collectors" {
				for _, k := range collector.Sections() {
					if !cfg.Has(k.Key) {
						t.Errorf("section %s is not in the rendered vigil.yml", k.Key)
					}
				}
			}
		})
	}
}

func parseConfig(t testing.TB, objs []*unstructured.Unstructured) *config.Config {
	t.Helper()
	cm := find(t, objs, "ConfigMap", "vigil-config")
	data, _, _ := unstructured.NestedString(cm.Object, "data", "vigil.yml")
	// Directories Vigil requires to exist at start live in the pod, on
	// the values' extraVolumes: stand temporary ones in for them.
	for _, dir := range []string{"/var/lib/vigil/textfile", "/var/backups/terraform"} {
		tmp := filepath.Join(t.TempDir(), filepath.Base(dir))
		if err := os.Mkdir(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
		data = strings.ReplaceAll(data, dir, tmp)
	}
	cfg, err := config.Parse([]byte(data), "vigil.yml (rendered)", collector.Sections())
	if err != nil {
		t.Fatalf("the rendered vigil.yml does not validate: %v\n%s", err, data)
	}
	return cfg
}

// values.yaml has a config key for every section Vigil knows (collectors and
// providers), so a new collector cannot ship without its chart value.
func TestValuesHaveEverySection(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir(), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, k := range collector.Sections() {
		want = append(want, k.Key)
	}
	for k := range values.Config {
		if k != "environment" {
			got = append(got, k)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("charts/vigil/values.yaml config sections = %v, want one per registered section %v (document the new section there, as in examples/vigil.yml)", got, want)
	}
}

// A secret written inline into the values is refused, by Vigil's parser,
// with the field named and never the value.
func TestInlineSecretIsRefused(t *testing.T) {
	out, err := renderErr(nil, map[string]any{"config": map[string]any{"ionos": map[string]any{"token": "s3cr3t-token"}}})
	if err != nil {
		t.Fatal(err)
	}
	cm := find(t, objects(t, out), "ConfigMap", "vigil-config")
	data, _, _ := unstructured.NestedString(cm.Object, "data", "vigil.yml")
	_, err = config.Parse([]byte(data), "vigil.yml", collector.Sections())
	if err == nil || !strings.Contains(err.Error(), "inline") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("an inline token: error = %v, want a refusal naming no value", err)
	}
}

// The defaults: the kinds users expect, no Secret and no access to Secrets,
// the image by tag, and the objects deploy/ holds in common with the chart
// equal to the kustomize base's.
func TestDefaults(t *testing.T) {
	objs := objects(t, render(t))
	got := kinds(objs)
	for kind, n := range map[string]int{
		"ServiceAccount": 1, "ConfigMap": 1 + dashboardCount(t), "ClusterRole": 1, "ClusterRoleBinding": 1,
		"Service": 1, "Deployment": 1, "ServiceMonitor": 1, "PrometheusRule": 1, "NetworkPolicy": 1,
		"Secret": 0, "Role": 0, "RoleBinding": 0, "PersistentVolumeClaim": 0,
	} {
		if got[kind] != n {
			t.Errorf("%d %s objects, want %d", got[kind], kind, n)
		}
	}
	for _, o := range objs {
		if o.GetKind() == "ClusterRole" || o.GetKind() == "Role" {
			if strings.Contains(mustJSON(t, o.Object["rules"]), `"secrets"`) {
				t.Errorf("%s %s grants access to Secrets without expiry.kubernetes_secrets", o.GetKind(), o.GetName())
			}
		}
	}
	c := container(t, find(t, objs, "Deployment", "vigil"))
	if c["image"] != "ghcr.io/vigil-monitoring/vigil:v0.1.0" {
		t.Errorf("image = %v, want the chart's appVersion tag", c["image"])
	}

	base := baseObjects(t)
	// RBAC: the kustomize ClusterRole's rules (deploy/rbac_test.go derives
	// those from a real API server's audit log), but Velero's, which the
	// chart grants only with a velero backup target, in Velero's namespace.
	if g, w := rules(t, find(t, objs, "ClusterRole", "vigil")), withoutGroup(rules(t, base["ClusterRole"]), "velero.io"); !slices.Equal(g, w) {
		t.Errorf("ClusterRole rules differ from deploy/base/rbac.yaml:\n got %s\nwant %s", g, w)
	}
	// ServiceMonitor: the same relabelings, no honorLabels.
	sm := find(t, objs, "ServiceMonitor", "vigil")
	ep := endpoint(t, sm)
	if g, w := ep["relabelings"], endpoint(t, base["ServiceMonitor"])["relabelings"]; !reflect.DeepEqual(g, w) {
		t.Errorf("ServiceMonitor relabelings differ from deploy/base/servicemonitor.yaml:\n got %s\nwant %s", mustJSON(t, g), mustJSON(t, w))
	}
	if _, ok := ep["honorLabels"]; ok {
		t.Error("the ServiceMonitor sets honorLabels: a series could pose as another job or instance")
	}
	if jl, _, _ := unstructured.NestedString(sm.Object, "spec", "jobLabel"); jl != "app.kubernetes.io/name" {
		t.Errorf("jobLabel = %q, want app.kubernetes.io/name (job=\"vigil\" is what VigilNotScraped selects)", jl)
	}
	// Hardening: the kustomize Deployment's security settings, the user
	// included (both run as the image's own, 65532), pod and container.
	for what, pair := range map[string][2]map[string]any{
		"container": {c, container(t, base["Deployment"])},
		"pod":       {podSpec(t, find(t, objs, "Deployment", "vigil")), podSpec(t, base["Deployment"])},
	} {
		g, _, _ := unstructured.NestedMap(pair[0], "securityContext")
		w, _, _ := unstructured.NestedMap(pair[1], "securityContext")
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s securityContext differs from deploy/base/deployment.yaml:\n got %s\nwant %s", what, mustJSON(t, g), mustJSON(t, w))
		}
	}
}

// Every collector and every option on: a Role per TLS Secrets namespace,
// AWS keys and other credentials from existing Secrets only, the web config,
// the PVC, the image by digest, the runbook URL pattern.
func TestAllCollectors(t *testing.T) {
	objs := objects(t, render(t, allValues))
	if n := kinds(objs)["Secret"]; n != 0 {
		t.Errorf("the chart renders %d Secrets: credentials come only from existing Secrets", n)
	}
	var roleNS []string
	for _, o := range objs {
		if o.GetKind() == "Role" && o.GetName() == "vigil-tls-secrets" {
			roleNS = append(roleNS, o.GetNamespace())
			if r := mustJSON(t, o.Object["rules"]); r != `[{"apiGroups":[""],"resources":["secrets"],"verbs":["list","watch"]}]` {
				t.Errorf("Role %s/%s rules = %s, want list and watch of secrets only", o.GetNamespace(), o.GetName(), r)
			}
		}
	}
	sort.Strings(roleNS)
	if !slices.Equal(roleNS, []string{"apps", "ingress-nginx"}) {
		t.Errorf("TLS Secrets Roles in %v, want one in each of expiry.kubernetes_secrets.namespaces [apps ingress-nginx]", roleNS)
	}
	if kinds(objs)["RoleBinding"] != 3 {
		t.Errorf("%d RoleBindings, want 3 (two TLS Secrets namespaces, Velero's)", kinds(objs)["RoleBinding"])
	}
	// RBAC: with every collector on, the ClusterRole and Velero's Role grant
	// together what the kustomize ClusterRole grants.
	granted := rules(t, find(t, objs, "ClusterRole", "vigil"))
	granted = append(granted, rules(t, find(t, objs, "Role", "vigil-velero"))...)
	sort.Strings(granted)
	if w := rules(t, baseObjects(t)["ClusterRole"]); !slices.Equal(granted, w) {
		t.Errorf("ClusterRole and Velero Role rules differ from deploy/base/rbac.yaml:\n got %s\nwant %s", granted, w)
	}

	dep := find(t, objs, "Deployment", "vigil")
	c := container(t, dep)
	if c["image"] != "ghcr.io/vigil-monitoring/vigil@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" {
		t.Errorf("image = %v, want the repository by digest", c["image"])
	}
	env, _, _ := unstructured.NestedSlice(c, "env")
	names := map[string]bool{}
	for _, e := range env {
		em := e.(map[string]any)
		names[em["name"].(string)] = true
		if _, inline := em["value"]; inline {
			t.Errorf("env %v has an inline value", em["name"])
		}
	}
	for _, n := range []string{"IONOS_TOKEN", "TICKETLY_HEALTH_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if !names[n] {
			t.Errorf("env %s is not set from a Secret", n)
		}
	}
	if args, _, _ := unstructured.NestedStringSlice(c, "args"); !slices.Contains(args, "--web.config.file=/etc/vigil/web/web-config.yml") {
		t.Errorf("args %v lack the web config", args)
	}
	if _, ok, _ := unstructured.NestedMap(c, "readinessProbe", "tcpSocket"); !ok {
		t.Error("with basic auth the readiness probe must be a TCP check (the kubelet sends no credentials)")
	}
	if s, _, _ := unstructured.NestedString(dep.Object, "spec", "strategy", "type"); s != "Recreate" {
		t.Errorf("strategy = %q with a PVC, want Recreate", s)
	}
	find(t, objs, "PersistentVolumeClaim", "vigil-data")

	ep := endpoint(t, find(t, objs, "ServiceMonitor", "vigil"))
	if ep["scheme"] != "https" {
		t.Errorf("ServiceMonitor scheme = %v, want https", ep["scheme"])
	}
	if sn, _, _ := unstructured.NestedString(ep, "tlsConfig", "serverName"); sn != "vigil.vigil.svc" {
		t.Errorf("ServiceMonitor serverName = %q, want vigil.vigil.svc", sn)
	}

	rule := mustJSON(t, find(t, objs, "PrometheusRule", "vigil").Object)
	if strings.Contains(rule, "vigil-runbook:") || !strings.Contains(rule, `"runbook_url":"https://wiki.example.internal/vigil/kube-pod-crash-looping"`) {
		t.Error("runbook_url values do not follow prometheusRule.runbookURLPattern")
	}
	if ns := mustJSON(t, find(t, objs, "NetworkPolicy", "vigil").Object["spec"]); !strings.Contains(ns, `"kubernetes.io/metadata.name":"observability"`) {
		t.Errorf("NetworkPolicy admits %s, want namespace observability", ns)
	}
}

// The chart refuses values that would deploy something broken, saying which
// value and what to do.
func TestRefusesBadValues(t *testing.T) {
	for name, tc := range map[string]struct {
		set  map[string]any
		want string
	}{
		"runbook pattern without %s":   {map[string]any{"prometheusRule": map[string]any{"runbookURLPattern": "https://wiki.example/vigil"}}, "prometheusRule.runbookURLPattern"},
		"relative runbook pattern":     {map[string]any{"prometheusRule": map[string]any{"runbookURLPattern": "wiki/%s"}}, "prometheusRule.runbookURLPattern"},
		"two AWS credentials":          {map[string]any{"awsCredentials": map[string]any{"roleArn": "arn:aws:iam::123456789012:role/vigil", "existingSecret": "vigil-aws"}}, "awsCredentials"},
		"no environment":               {map[string]any{"config": map[string]any{"environment": ""}}, "config.environment"},
		"a section not a mapping":      {map[string]any{"config": map[string]any{"access": "on"}}, "config.access"},
		"digest without sha256":        {map[string]any{"image": map[string]any{"digest": "0123"}}, "image.digest"},
		"one shard":                    {sharded(1, nil), "sharding.shards"},
		"shards and replicas":          {sharded(3, map[string]any{"replicaCount": 2}), "replicaCount=1"},
		"shards with nothing to split": {sharded(3, map[string]any{"config": map[string]any{"kubernetes": nil}}), "config.kubernetes"},
		"shards on one claim":          {sharded(3, map[string]any{"storage": map[string]any{"persistentVolumeClaim": map[string]any{"enabled": true, "existingClaim": "vigil-data"}}}), "existingClaim"},
		"shard flags by hand":          {map[string]any{"extraArgs": []any{"--total-shards=3"}}, "sharding.shards"},
		// Each shard takes its ordinal from --pod (POD_NAME): --pod=vigil-0
		// would make every shard shard 0 (its objects, nodes and clouds N
		// times, the others' never), --no-auto-shard every shard all of them.
		"pod name by hand":            {sharded(3, map[string]any{"extraArgs": []any{"--pod=vigil-0"}}), `extraArgs "--pod=vigil-0"`},
		"pod namespace by hand":       {sharded(3, map[string]any{"extraArgs": []any{"--pod-namespace", "vigil"}}), `extraArgs "--pod-namespace"`},
		"auto-shard negated":          {sharded(3, map[string]any{"extraArgs": []any{"--no-auto-shard"}}), `extraArgs "--no-auto-shard"`},
		"relative telemetry path":     {map[string]any{"telemetryPath": "metrics"}, "telemetryPath"},
		"telemetry path by hand":      {map[string]any{"extraArgs": []any{"--web.telemetry-path=/m"}}, "telemetryPath"},
		"token neither auto nor bool": {map[string]any{"serviceAccount": map[string]any{"automountToken": "yes"}}, "serviceAccount.automountToken"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := renderErr(nil, tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// EKS: the role is the service account's annotation, no key in the pod.
func TestEKSRoleAnnotation(t *testing.T) {
	out, err := renderErr(nil, map[string]any{"awsCredentials": map[string]any{"roleArn": "arn:aws:iam::123456789012:role/vigil-read-only"}})
	if err != nil {
		t.Fatal(err)
	}
	sa := find(t, objects(t, out), "ServiceAccount", "vigil")
	if a := sa.GetAnnotations()["eks.amazonaws.com/role-arn"]; a != "arn:aws:iam::123456789012:role/vigil-read-only" {
		t.Errorf("eks.amazonaws.com/role-arn = %q", a)
	}
	if strings.Contains(out, "AWS_ACCESS_KEY_ID") {
		t.Error("an access key is wired in although the role is used")
	}
}

// One ConfigMap per dashboard, labelled for the Grafana sidecar, holding the
// dashboard as generated.
func TestDashboards(t *testing.T) {
	objs := objects(t, render(t))
	paths, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(), "dashboards", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no dashboards/*.json")
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		cm := find(t, objs, "ConfigMap", "vigil-dashboard-"+name)
		if cm.GetLabels()["grafana_dashboard"] != "1" {
			t.Errorf("ConfigMap %s lacks the label grafana_dashboard: \"1\"", cm.GetName())
		}
		want, _ := os.ReadFile(p)
		got, _, _ := unstructured.NestedString(cm.Object, "data", name+".json")
		if strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
			t.Errorf("ConfigMap %s differs from %s: run make generate", cm.GetName(), p)
		}
	}
}

func dashboardCount(t testing.TB) int {
	paths, _ := filepath.Glob(filepath.Join(chartDir(), "files", "dashboards", "*.json"))
	return len(paths)
}

// baseObjects reads the kustomize base's objects the chart shares, by kind.
func baseObjects(t testing.TB) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
	for _, f := range []string{"rbac.yaml", "servicemonitor.yaml", "deployment.yaml"} {
		data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "deploy", "base", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objects(t, string(data)) {
			out[o.GetKind()] = o
		}
	}
	return out
}

// rules returns a Role's or ClusterRole's rules, one JSON string each, sorted.
func rules(t testing.TB, role *unstructured.Unstructured) []string {
	t.Helper()
	rs, _, _ := unstructured.NestedSlice(role.Object, "rules")
	var out []string
	for _, r := range rs {
		out = append(out, mustJSON(t, r))
	}
	sort.Strings(out)
	return out
}

func withoutGroup(rules []string, group string) []string {
	return slices.DeleteFunc(slices.Clone(rules), func(r string) bool { return strings.Contains(r, `"apiGroups":["`+group+`"]`) })
}

func container(t testing.TB, dep *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("Deployment %s has %d containers, want 1", dep.GetName(), len(cs))
	}
	return cs[0].(map[string]any)
}

func podSpec(t testing.TB, dep *unstructured.Unstructured) map[string]any {
	t.Helper()
	spec, ok, _ := unstructured.NestedMap(dep.Object, "spec", "template", "spec")
	if !ok {
		t.Fatalf("Deployment %s has no pod spec", dep.GetName())
	}
	return spec
}

func endpoint(t testing.TB, sm *unstructured.Unstructured) map[string]any {
	t.Helper()
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(eps) != 1 {
		t.Fatalf("ServiceMonitor %s has %d endpoints, want 1", sm.GetName(), len(eps))
	}
	return eps[0].(map[string]any)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

// Every collector on its own (with the providers ionos and aws it may read
// through) renders a vigil.yml Vigil accepts and lints clean: a template
// that only works with its neighbours on (RBAC, volumes, env) shows here.
func TestEachCollectorAlone(t *testing.T) {
	all, err := chartutil.ReadValuesFile(allValues)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := all.AsMap()["config"].(map[string]any)
	providers := map[string]bool{"environment": true, "ionos": true, "aws": true}
	for only := range cfg {
		if providers[only] {
			continue
		}
		t.Run(only, func(t *testing.T) {
			// As -f all-collectors.yaml --set config.<other>=null: null
			// removes a section the chart's values.yaml has on by default
			// (kubernetes).
			vals, err := chartutil.ReadValuesFile(allValues)
			if err != nil {
				t.Fatal(err)
			}
			for k := range cfg {
				if !providers[k] && k != only {
					vals["config"].(map[string]any)[k] = nil
				}
			}
			out, err := renderErr(nil, vals.AsMap())
			if err != nil {
				t.Fatalf("rendering with only %s on: %v", only, err)
			}
			c := parseConfig(t, objects(t, out))
			if !c.Has(only) {
				t.Errorf("section %s is not in the rendered vigil.yml", only)
			}
			for k := range cfg {
				if !providers[k] && k != only && c.Has(k) {
					t.Errorf("section %s is rendered although only %s is on", k, only)
				}
			}
		})
	}
}
