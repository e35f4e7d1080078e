package daemon

import (
	"fmt"
	"net/http"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/vigil-monitoring/vigil/internal/config"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// restConfig builds the API server connection from the config: a kubeconfig
// file, a server with a bearer token, or the in-cluster service account.
// Every request is counted in vigil_source_api_requests_total.
func restConfig(k *config.Kubernetes, count func(api string)) (*rest.Config, error) {
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
		return source.InstrumentTransport(rt, count, kubeAPIName)
	})
	return rc, nil
}

// kubeAPIName gives a Kubernetes request a bounded name: verb and resource,
// never a namespace or object name ("watch pods", "list nodes", "get version").
func kubeAPIName(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var resource string
	switch {
	case len(parts) >= 1 && (parts[0] == "version" || parts[0] == "readyz" || parts[0] == "livez" || parts[0] == "healthz"):
		return "get " + parts[0]
	case len(parts) >= 3 && parts[0] == "api":
		resource = resourceOf(parts[2:])
	case len(parts) >= 4 && parts[0] == "apis":
		resource = resourceOf(parts[3:])
	default:
		return strings.ToLower(r.Method) + " other"
	}
	verb := strings.ToLower(r.Method)
	if verb == "get" {
		if r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1" {
			verb = "watch"
		} else {
			verb = "list"
		}
	}
	return verb + " " + resource
}

// resourceOf skips "namespaces/<ns>/" to the resource type.
func resourceOf(p []string) string {
	if len(p) >= 3 && p[0] == "namespaces" {
		return p[2]
	}
	if len(p) >= 1 {
		return p[0]
	}
	return "other"
}
