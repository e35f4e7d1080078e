package daemon

import (
	"fmt"
	"net/http"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/kube"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// restConfig builds the API server connection from the config: a kubeconfig
// file, a server with a bearer token, or the in-cluster service account.
// Every request is counted in vigil_source_api_requests_total.
func restConfig(k *config.Kubernetes, count func(source, api string)) (*rest.Config, error) {
	var rc *rest.Config
	var err error
	switch {
	case k.Kubeconfig != "":
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: k.Kubeconfig}
		overrides := &clientcmd.ConfigOverrides{CurrentContext: k.Context}
		rc, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
		if err != nil {
			// clientcmd's errors name the file and context, not credentials.
			return nil, fmt.Errorf("loading kubeconfig %s: %w", k.Kubeconfig, err)
		}
	case k.Server != "":
		rc = &rest.Config{Host: k.Server}
		rc.TLSClientConfig = rest.TLSClientConfig{CAFile: k.CAFile, Insecure: k.InsecureSkipTLSVerify}
		if ref := k.BearerToken; ref != nil {
			if ref.File != "" {
				rc.BearerTokenFile = ref.File // client-go re-reads it, so rotation works
			} else if rc.BearerToken, err = ref.Value(); err != nil {
				return nil, err
			}
		}
	default:
		if rc, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("no kubeconfig or server configured, and not running in a cluster: %w", err)
		}
	}
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "vigil-exporter"
	rc.QPS, rc.Burst = 20, 40
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return source.InstrumentTransport(rt, func(api string) { count(kubeSourceOf(api), api) }, kube.APIName)
	})
	return rc, nil
}

// kubeSourceOf says which part of the exporter sent a Kubernetes request, for
// the source label: the /version probe, the metrics.k8s.io poller, or the
// informers' lists and watches (which have no refresh source of their own).
func kubeSourceOf(api string) string {
	switch {
	case strings.HasSuffix(api, " version"):
		return cluster.APIServerSource
	case strings.HasSuffix(api, "metrics"):
		return cluster.MetricsSource
	}
	return cluster.InformerSource
}
