// Package check validates that an environment is reachable from outside, from
// the outputs of its Terraform stack: the registry answers on /v2/, the
// Kubernetes API is ready, the cluster and node pool are ACTIVE, the nodes
// have public IPs and the LAN is public as expected.
package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Output names of the IONOS stack that the checks read.
const (
	OutRegistryHostname = "registry_hostname"
	OutKubeconfig       = "k8s_kubeconfig"
	OutClusterState     = "k8s_cluster_state"
	OutNodePoolState    = "k8s_node_pool_state"
	OutPublicIPs        = "k8s_public_ips"
	OutLANPublic        = "lan_public"
)

// Inputs are what the checks need.
type Inputs struct {
	// Outputs are the stack's outputs: name to JSON value.
	Outputs map[string]json.RawMessage
	// ExpectLANPublic is whether the LAN must be public.
	ExpectLANPublic bool
	// ExpectSource says where ExpectLANPublic came from, for the report.
	ExpectSource string
	// RegistryCAs are extra roots to trust for the registry (nil = system).
	RegistryCAs *x509.CertPool
	// Timeout bounds each network check (0 = 10 s).
	Timeout time.Duration
}

// Result is one check.
type Result struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is every check of one environment.
type Report struct {
	Environment string   `json:"environment"`
	OK          bool     `json:"ok"`
	Checks      []Result `json:"checks"`
}

// Failed names the checks that failed.
func (r Report) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// Run performs every check; it never stops at the first failure.
func Run(ctx context.Context, env string, in Inputs) Report {
	if in.Timeout == 0 {
		in.Timeout = 10 * time.Second
	}
	rep := Report{Environment: env}
	rep.Checks = append(rep.Checks,
		registry(ctx, in),
		kubeAPI(ctx, in),
		state(in, "cluster_state", OutClusterState),
		state(in, "node_pool_state", OutNodePoolState),
		publicIPs(in),
		lanPublic(in),
	)
	rep.OK = len(rep.Failed()) == 0
	return rep
}

func outString(in Inputs, name string) (string, error) {
	raw, ok := in.Outputs[name]
	if !ok {
		return "", fmt.Errorf("output %s is missing from the stack", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("output %s is not a string", name)
	}
	return s, nil
}

func registry(ctx context.Context, in Inputs) Result {
	res := Result{Name: "registry"}
	host, err := outString(in, OutRegistryHostname)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	if host == "" {
		res.Detail = "output " + OutRegistryHostname + " is empty"
		return res
	}
	url := "https://" + strings.TrimSuffix(strings.TrimPrefix(host, "https://"), "/") + "/v2/"
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if in.RegistryCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: in.RegistryCAs, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Transport: tr, Timeout: in.Timeout}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		res.Detail = fmt.Sprintf("bad registry URL %s: %v", url, err)
		return res
	}
	resp, err := client.Do(req)
	if err != nil {
		res.Detail = fmt.Sprintf("GET %s: %v", url, err)
		return res
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	// 401 is the registry asking for credentials: it is reachable.
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
		res.OK = true
		res.Detail = fmt.Sprintf("GET %s answered %d", url, resp.StatusCode)
		return res
	}
	res.Detail = fmt.Sprintf("GET %s answered %d, want 200 or 401", url, resp.StatusCode)
	return res
}

func kubeAPI(ctx context.Context, in Inputs) Result {
	res := Result{Name: "kubernetes_api"}
	kc, err := outString(in, OutKubeconfig)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	if strings.TrimSpace(kc) == "" {
		res.Detail = "output " + OutKubeconfig + " is empty"
		return res
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(kc))
	if err != nil {
		// Never print the kubeconfig itself: it holds credentials.
		res.Detail = "output " + OutKubeconfig + " is not a usable kubeconfig"
		return res
	}
	cfg.Timeout = in.Timeout
	return readyz(ctx, cfg, res)
}

func readyz(ctx context.Context, cfg *rest.Config, res Result) Result {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		res.Detail = fmt.Sprintf("Kubernetes client for %s: %v", cfg.Host, err)
		return res
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		res.Detail = fmt.Sprintf("GET %s/readyz: %v", strings.TrimSuffix(cfg.Host, "/"), err)
		return res
	}
	res.OK = true
	res.Detail = fmt.Sprintf("GET %s/readyz: %s", strings.TrimSuffix(cfg.Host, "/"), strings.TrimSpace(string(body)))
	return res
}

func state(in Inputs, name, output string) Result {
	res := Result{Name: name}
	s, err := outString(in, output)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	res.OK = s == "ACTIVE"
	if res.OK {
		res.Detail = "ACTIVE"
	} else {
		res.Detail = fmt.Sprintf("%s, want ACTIVE", s)
	}
	return res
}

func publicIPs(in Inputs) Result {
	res := Result{Name: "public_ips"}
	raw, ok := in.Outputs[OutPublicIPs]
	if !ok {
		res.Detail = "output " + OutPublicIPs + " is missing from the stack"
		return res
	}
	var ips []string
	if err := json.Unmarshal(raw, &ips); err != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			res.Detail = "output " + OutPublicIPs + " is not a list of strings"
			return res
		}
		ips = []string{one}
	}
	var set []string
	for _, ip := range ips {
		if strings.TrimSpace(ip) != "" {
			set = append(set, ip)
		}
	}
	if len(set) == 0 {
		res.Detail = "no public IPs assigned"
		return res
	}
	res.OK = true
	res.Detail = strings.Join(set, ", ")
	return res
}

func lanPublic(in Inputs) Result {
	res := Result{Name: "lan_public"}
	raw, ok := in.Outputs[OutLANPublic]
	if !ok {
		res.Detail = "output " + OutLANPublic + " is missing from the stack"
		return res
	}
	var got bool
	if err := json.Unmarshal(raw, &got); err != nil {
		res.Detail = "output " + OutLANPublic + " is not a bool"
		return res
	}
	res.OK = got == in.ExpectLANPublic
	res.Detail = fmt.Sprintf("public=%t, expected %t (%s)", got, in.ExpectLANPublic, in.ExpectSource)
	return res
}

// WriteTable prints the report as an aligned table.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CHECK\tSTATUS\tDETAIL\n")
	for _, c := range r.Checks {
		status := "OK"
		if !c.OK {
			status = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, status, c.Detail)
	}
	return tw.Flush()
}

// WriteJSON prints the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
