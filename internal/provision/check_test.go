package provision

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/vigil-monitoring/vigil/internal/provision/check"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// kubeconfigFor writes a rest.Config (envtest's admin) as kubeconfig YAML.
func kubeconfigFor(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.CurrentContext = "envtest"
	out, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// writeCheckVars writes environments/ENV.tfvars with the given outputs.
func (s *stack) writeCheckVars(registry, kubeconfig, clusterState, publicIPs string) {
	s.t.Helper()
	vars := fmt.Sprintf(`environment       = %q
registry_hostname = %q
cluster_state     = %q
node_pool_state   = "ACTIVE"
public_ips        = %s
lan_public        = true
kubeconfig        = <<-EOT
%sEOT
`, s.opts.Env, registry, clusterState, publicIPs, kubeconfig)
	if err := os.WriteFile(filepath.Join(s.dir, "environments", s.opts.Env+".tfvars"), []byte(vars), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func TestCheckAndKubeconfig(t *testing.T) {
	t.Parallel()
	cfg := testenv.APIServer(t, testenv.PrometheusOperatorCRDs(t))
	kubeconfig := kubeconfigFor(t, cfg)

	var status atomic.Int32
	status.Store(http.StatusUnauthorized)
	var registryHits atomic.Int32
	reg := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			http.NotFound(w, r)
			return
		}
		registryHits.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	defer reg.Close()
	regURL, _ := url.Parse(reg.URL)
	cas := reg.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	s := newStack(t, "dev")
	s.writeCheckVars(regURL.Host, kubeconfig, "ACTIVE", `["192.0.2.10"]`)
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatal(err)
	}
	// apply runs check afterwards: everything passes (401 = reachable).
	err := Apply(ctx(t), s.opts, ApplyOptions{Check: true, CheckOptions: CheckOptions{RegistryCAs: cas}})
	if err != nil {
		t.Fatalf("apply + check: %v\n%s", err, s.out)
	}
	if registryHits.Load() == 0 {
		t.Fatal("check did not call the registry")
	}
	table := s.out.String()
	for _, name := range []string{"registry", "kubernetes_api", "cluster_state", "node_pool_state", "public_ips", "lan_public"} {
		if !strings.Contains(table, name+" ") {
			t.Errorf("table lacks %s:\n%s", name, table)
		}
	}
	if strings.Contains(table, "FAIL") || !strings.Contains(table, "/readyz: ok") {
		t.Errorf("table shows a failure or no readyz:\n%s", table)
	}

	// JSON output, and a check that fails: the registry answers 500.
	status.Store(http.StatusInternalServerError)
	s.setVarsAgainPlanApplyCheck(t, cas)
	s.out.Reset()
	err = Check(ctx(t), s.opts, CheckOptions{Output: "json", RegistryCAs: cas})
	if !errors.Is(err, ErrChecksFailed) || !strings.Contains(err.Error(), "registry") {
		t.Fatalf("err = %v, want ErrChecksFailed naming registry", err)
	}
	var rep check.Report
	if err := json.Unmarshal([]byte(s.out.String()), &rep); err != nil {
		t.Fatalf("--output json is not JSON: %v\n%s", err, s.out)
	}
	if rep.OK || len(rep.Checks) != 6 || strings.Join(rep.Failed(), ",") != "registry" {
		t.Fatalf("report = %+v, want only registry failing", rep)
	}

	// Not ACTIVE, no public IPs, a LAN expected private, a broken kubeconfig.
	status.Store(http.StatusOK)
	s.writeCheckVars(regURL.Host, "not: a kubeconfig\n", "DEPLOYING", `[]`)
	s.applied()
	s.out.Reset()
	private := false
	err = Check(ctx(t), s.opts, CheckOptions{RegistryCAs: cas, ExpectLANPublic: &private})
	if !errors.Is(err, ErrChecksFailed) {
		t.Fatalf("err = %v, want ErrChecksFailed", err)
	}
	for _, name := range []string{"kubernetes_api", "cluster_state", "public_ips", "lan_public"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "registry") {
		t.Errorf("registry answered 200 yet is named failing: %v", err)
	}
	if strings.Contains(s.out.String(), "not: a kubeconfig") {
		t.Errorf("the kubeconfig output was printed:\n%s", s.out)
	}

	// An unknown output format is refused before anything runs.
	if err := Check(ctx(t), s.opts, CheckOptions{Output: "yaml"}); err == nil || !strings.Contains(err.Error(), "table or json") {
		t.Errorf("--output yaml: %v", err)
	}

	// kubeconfig: a 0600 file, never the terminal unless asked.
	s.writeCheckVars(regURL.Host, kubeconfig, "ACTIVE", `["192.0.2.10"]`)
	s.applied()
	out := filepath.Join(s.root, "kube", "dev.kubeconfig")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.out.Reset()
	path, err := Kubeconfig(ctx(t), s.opts, KubeconfigOptions{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode = %v, want 0600", fi.Mode().Perm())
	}
	if got := mustRead(t, path); got != kubeconfig {
		t.Errorf("kubeconfig file differs from the output:\n%s", got)
	}
	if strings.Contains(s.out.String(), "client-key-data") {
		t.Errorf("kubeconfig printed without --stdout:\n%s", s.out)
	}
	// The written file works.
	if c, err := clientcmd.BuildConfigFromFlags("", path); err != nil || c.Host != cfg.Host {
		t.Errorf("written kubeconfig: host %v, %v", c, err)
	}
	s.out.Reset()
	if _, err := Kubeconfig(ctx(t), s.opts, KubeconfigOptions{Stdout: true}); err != nil {
		t.Fatal(err)
	}
	if s.out.String() != kubeconfig {
		t.Errorf("--stdout printed %q", s.out.String())
	}

	// deploy finds the cluster through the stack's k8s_kubeconfig output,
	// or through --kubeconfig.
	overlay := filepath.Join("testdata", "overlay", "dev")
	s.out.Reset()
	if err := Deploy(ctx(t), s.opts, DeployOptions{Overlay: overlay, DryRunServer: true}); err != nil {
		t.Fatalf("deploy with the output kubeconfig: %v\n%s", err, s.out)
	}
	if !strings.Contains(s.out.String(), "applied Namespace provision-fixture (server dry run)") {
		t.Errorf("deploy output:\n%s", s.out)
	}
	if err := Deploy(ctx(t), s.opts, DeployOptions{Overlay: overlay, DryRunServer: true, Kubeconfig: path}); err != nil {
		t.Fatalf("deploy with --kubeconfig: %v", err)
	}
	if err := Deploy(ctx(t), s.opts, DeployOptions{Overlay: overlay, DryRunServer: true, Kubeconfig: filepath.Join(s.root, "missing")}); err == nil || !strings.Contains(err.Error(), "--kubeconfig") {
		t.Errorf("missing --kubeconfig file: %v", err)
	}
}

// setVarsAgainPlanApplyCheck changes one tfvars value, plans and applies with
// the check: the apply happens, and the failing check is reported as such.
func (s *stack) setVarsAgainPlanApplyCheck(t *testing.T, cas *x509.CertPool) {
	t.Helper()
	data := mustRead(t, filepath.Join(s.dir, "environments", "dev.tfvars"))
	data = strings.Replace(data, "node_pool_state   = \"ACTIVE\"", "node_pool_state   = \"ACTIVE\"\nnode_count = 4", 1)
	os.WriteFile(filepath.Join(s.dir, "environments", "dev.tfvars"), []byte(data), 0o644)
	if _, err := Plan(ctx(t), s.opts); err != nil {
		t.Fatal(err)
	}
	err := Apply(ctx(t), s.opts, ApplyOptions{Check: true, CheckOptions: CheckOptions{RegistryCAs: cas}})
	if !errors.Is(err, ErrChecksFailed) || !strings.Contains(err.Error(), "the plan was applied, but") {
		t.Fatalf("apply with a failing check: %v", err)
	}
	if nodeCount(s) != "4" {
		t.Fatalf("the plan was not applied before the check")
	}
}
