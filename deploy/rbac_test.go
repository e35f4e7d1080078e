package deploy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/sandbox"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// The ClusterRole grants exactly what Vigil asks of the API server: the
// real exporter, with every collector that talks to Kubernetes enabled,
// runs against a real kube-apiserver whose audit log records each request
// it makes (verb, API group, resource, or non-resource path); that set and
// the ClusterRole's grants must be equal, both ways. A grant nobody uses is
// an error as much as a missing one.
//
// The expiry collector's TLS Secrets part is on too, for the namespaces the
// tls-secrets component's enabled vigil.yml lists: its requests on Secrets
// must be exactly what that component's Roles grant, namespace by
// namespace and both ways, and none may be cluster-wide (the ClusterRole
// grants nothing on Secrets).
//
// It runs against two API servers: one serving watch-lists (client-go then
// streams each informer's initial list through a watch) and one without
// (the WatchList feature off, as on API servers older than 1.32, where
// client-go falls back to list then watch). The grants must cover both.
func TestClusterRoleGrantsExactlyWhatVigilRequests(t *testing.T) {
	withSecrets := withTLSSecrets(t, "production")
	namespaces := secretsNamespaces(t, withSecrets)
	if len(namespaces) == 0 {
		t.Fatal("the tls-secrets build lists no namespace")
	}
	requested := map[string]bool{}        // "group/resource verb", "/path verb"
	secretsRequested := map[string]bool{} // "namespace core/secrets verb"
	var phases []string
	for _, phase := range []struct {
		name  string
		gates string
	}{
		{"watch-list", ""},
		{"list-then-watch", "WatchList=false"},
	} {
		got := observeRequests(t, phase.gates, namespaces)
		var keys []string
		for r := range got {
			keys = append(keys, r.String())
			if strings.HasPrefix(r.what, "core/secrets ") {
				ns := r.namespace
				if ns == "" {
					ns = "(cluster-wide)"
				}
				secretsRequested[ns+" "+r.what] = true
				continue
			}
			requested[r.what] = true
		}
		sort.Strings(keys)
		phases = append(phases, phase.name+": "+strings.Join(keys, ", "))
	}
	t.Logf("Vigil's requests, as the audit logs recorded them:\n  %s", strings.Join(phases, "\n  "))

	t.Run("ClusterRole", func(t *testing.T) {
		role := find(t, build(t, overlayDir("production")), "ClusterRole", "vigil")
		compareGrants(t, requested, grantsOf(role), "deploy/base/rbac.yaml")
	})
	t.Run("tls-secrets-Roles", func(t *testing.T) {
		for r := range secretsRequested {
			if strings.HasPrefix(r, "(cluster-wide) ") {
				t.Errorf("Vigil requests Secrets cluster-wide (%s): it must read them only in the listed namespaces", r)
			}
		}
		granted := map[string]bool{}
		for _, o := range withSecrets {
			switch o.GetKind() {
			case "Role":
				for g := range grantsOf(o) {
					granted[o.GetNamespace()+" "+g] = true
				}
			case "ClusterRole":
				for g := range grantsOf(o) {
					if strings.HasPrefix(g, "core/secrets ") {
						t.Errorf("ClusterRole %s grants %s: Secrets are granted per namespace only", o.GetName(), g)
					}
				}
			}
		}
		compareGrants(t, secretsRequested, granted, "deploy/components/tls-secrets/roles.yaml")
	})
}

// compareGrants reports what is requested but not granted, and granted but
// never requested.
func compareGrants(t *testing.T, requested, granted map[string]bool, file string) {
	t.Helper()
	var missing, unused []string
	for r := range requested {
		if !granted[r] {
			missing = append(missing, r)
		}
	}
	for g := range granted {
		if !requested[g] {
			unused = append(unused, g)
		}
	}
	sort.Strings(missing)
	sort.Strings(unused)
	if len(missing) > 0 {
		t.Errorf("Vigil requests what %s does not grant (it would be forbidden in a cluster):\n  %s", file, strings.Join(missing, "\n  "))
	}
	if len(unused) > 0 {
		t.Errorf("%s grants what Vigil never requests (remove it):\n  %s", file, strings.Join(unused, "\n  "))
	}
	if len(requested) == 0 {
		t.Errorf("Vigil requested nothing %s grants", file)
	}
}

// request is one request of the audit log: what (as grantsOf names
// grants) and the namespace it was made in ("" for cluster-wide ones).
type request struct{ namespace, what string }

func (r request) String() string {
	if r.namespace == "" {
		return r.what
	}
	return r.what + " (namespace " + r.namespace + ")"
}

// observeRequests starts a control plane (with the given kube-apiserver
// feature gates) and the exporter against it, and returns what the exporter
// requested once ready and a few refreshes later. The expiry collector
// reads the TLS Secrets of secretsNamespaces (created here, each with one
// TLS Secret, as is a namespace one lists).
func observeRequests(t *testing.T, gates string, secretsNamespaces []string) map[request]bool {
	t.Helper()
	dir := t.TempDir()
	auditLog := filepath.Join(dir, "audit.log")
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// metrics.k8s.io is served by metrics-server through the aggregator,
	// which envtest lacks: CRDs of the same group, version and resources
	// stand in for it, so Vigil's requests there succeed and it goes on to
	// make every request it makes in a real cluster.
	// Velero's real CRDs (collectors/backup/testdata/velero-crds), so the
	// backup collector's velero target watches real Schedule and Backup
	// resources.
	env := &envtest.Environment{
		BinaryAssetsDirectory: testenv.KubeAssetsDir(t),
		CRDDirectoryPaths:     []string{filepath.Join("..", "collectors", "backup", "testdata", "velero-crds")},
		ErrorIfCRDPathMissing: true,
		CRDs:                  []*apiextensionsv1.CustomResourceDefinition{metricsCRD("nodes", "NodeMetrics", apiextensionsv1.ClusterScoped), metricsCRD("pods", "PodMetrics", apiextensionsv1.NamespaceScoped)},
	}
	args := env.ControlPlane.GetAPIServer().Configure().
		Set("audit-policy-file", policy).
		Set("audit-log-path", auditLog).
		Set("audit-log-mode", "blocking")
	if gates != "" {
		args.Set("feature-gates", gates)
	}
	if _, err := env.Start(); err != nil {
		t.Fatalf("starting envtest control plane: %v", err)
	}
	defer func() { _ = env.Stop() }()

	// Vigil gets a user of its own, so its requests are told apart from
	// the control plane's. It may do everything: the test observes what it
	// asks, not what it is allowed.
	const user = "vigil-rbac-probe"
	au, err := env.ControlPlane.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := testenv.WriteKubeconfig(t, au.Config(), "")

	// Every collector on: the cluster collector with metrics.k8s.io, the
	// textfile collector (it reads a directory, never the API server), the
	// expiry collector's TLS Secrets and the backup collector's Velero
	// schedules and backups.
	textfiles := filepath.Join(dir, "textfile")
	if err := os.Mkdir(textfiles, 0o750); err != nil {
		t.Fatal(err)
	}
	// Set up as the control plane's admin, not as Vigil's user.
	kube, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := sandbox.NewRoot("rbac-test", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "velero"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, ns := range secretsNamespaces {
		if _, err := kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := kube.CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls"}, Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{corev1.TLSCertKey: cert.PEM(), corev1.TLSPrivateKeyKey: cert.KeyPEM()}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "vigil.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`environment: rbac
kubernetes:
  cluster: envtest
  kubeconfig: %s
  metrics_api: true
  probe_interval: 1s
  metrics_interval: 1s
textfile:
  directory: %s
  refresh_interval: 1s
expiry:
  kubernetes_secrets:
    kubeconfig: %s
    namespaces: [%s]
backup:
  targets:
    - name: velero
      kind: velero
      kubeconfig: %s
`, kubeconfig, textfiles, kubeconfig, strings.Join(secretsNamespaces, ", "), kubeconfig)), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(daemon.Options{ConfigFile: cfg, Listeners: []net.Listener{l}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	testenv.WaitFor(t, "Vigil ready", func() error {
		resp, err := http.Get("http://" + l.Addr().String() + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	// Ready means every informer listed and every source refreshed once;
	// a few more refresh intervals catch what only repeats (the probe, the
	// metrics.k8s.io poll).
	time.Sleep(3 * time.Second)
	return requestsOf(t, auditLog, user)
}

func metricsCRD(plural, kind string, scope apiextensionsv1.ResourceScope) *apiextensionsv1.CustomResourceDefinition {
	preserve := true
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + ".metrics.k8s.io",
			// A CRD in a *.k8s.io group must say it is not an approved API.
			Annotations: map[string]string{"api-approved.kubernetes.io": "unapproved, test stand-in for metrics-server"}},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "metrics.k8s.io",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Kind: kind, ListKind: kind + "List"},
			Scope: scope,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1beta1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &preserve}}}},
		},
	}
}

// auditEvent is the part of an audit.k8s.io/v1 Event this test reads.
type auditEvent struct {
	Stage      string `json:"stage"`
	RequestURI string `json:"requestURI"`
	Verb       string `json:"verb"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
}

// requestsOf reads the audit log: "group/resource verb" for resource
// requests (group core for the legacy API) with their namespace, "/path
// verb" for the others.
func requestsOf(t *testing.T, path, user string) map[request]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reading the audit log: %v", err)
	}
	defer f.Close()
	out := map[request]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e auditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line %q: %v", sc.Text(), err)
		}
		// A watch is long-running: its event is ResponseStarted until it ends.
		if e.User.Username != user || (e.Stage != "ResponseComplete" && e.Stage != "ResponseStarted") {
			continue
		}
		if e.ObjectRef != nil && e.ObjectRef.Resource != "" {
			group := e.ObjectRef.APIGroup
			if group == "" {
				group = "core"
			}
			res := e.ObjectRef.Resource
			if e.ObjectRef.Subresource != "" {
				res += "/" + e.ObjectRef.Subresource
			}
			out[request{namespace: e.ObjectRef.Namespace, what: group + "/" + res + " " + e.Verb}] = true
			continue
		}
		u, err := url.Parse(e.RequestURI)
		if err != nil {
			t.Fatalf("audit log: request URI %q: %v", e.RequestURI, err)
		}
		out[request{what: u.Path + " " + e.Verb}] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("the audit log has no request of user %s", user)
	}
	return out
}

// grantsOf expands a ClusterRole into the same "group/resource verb" and
// "/path verb" form.
func grantsOf(role *unstructured.Unstructured) map[string]bool {
	out := map[string]bool{}
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	for _, r := range rules {
		rule := r.(map[string]any)
		verbs, _, _ := unstructured.NestedStringSlice(rule, "verbs")
		groups, _, _ := unstructured.NestedStringSlice(rule, "apiGroups")
		resources, _, _ := unstructured.NestedStringSlice(rule, "resources")
		urls, _, _ := unstructured.NestedStringSlice(rule, "nonResourceURLs")
		for _, v := range verbs {
			for _, g := range groups {
				if g == "" {
					g = "core"
				}
				for _, res := range resources {
					out[g+"/"+res+" "+v] = true
				}
			}
			for _, u := range urls {
				out[u+" "+v] = true
			}
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
