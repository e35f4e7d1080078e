package cluster

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/homedir"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/vigil-monitoring/vigil/internal/kube"
	"github.com/vigil-monitoring/vigil/internal/source"
)

// restConfig builds the API server connection from the config: a kubeconfig
// file, a server with a bearer token, or the in-cluster service account.
func restConfig(k *Section) (*rest.Config, error) {
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
	case inCluster():
		if rc, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("running in a cluster, but its service account is unusable: %w", err)
		}
	default:
		// Outside a cluster with nothing configured: KUBECONFIG, then
		// ~/.kube/config, as kubectl does.
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		if os.Getenv(clientcmd.RecommendedConfigPathEnvVar) == "" {
			// clientcmd fixes ~/.kube/config when the process starts; read
			// HOME now, as kubectl started now would.
			rules.Precedence = []string{filepath.Join(homedir.HomeDir(), clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
		}
		if rc, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig(); err != nil {
			return nil, fmt.Errorf("no kubeconfig or server configured, not running in a cluster, and neither KUBECONFIG nor ~/.kube/config gives a usable context (%w): set kubernetes.kubeconfig, or kubernetes.server with bearer_token", err)
		}
	}
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "vigil-exporter"
	rc.QPS, rc.Burst = 20, 40
	return rc, nil
}

// countedBy returns a copy of rc whose every request counts under one
// source: each source (informers, the /version probe, metrics.k8s.io) has
// its own client and its own counting transport, sharing the connection
// settings and credentials, so no request is attributed by guessing from
// its path.
func countedBy(rc *rest.Config, count func(api string)) *rest.Config {
	c := rest.CopyConfig(rc)
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return source.InstrumentTransport(rt, count, kube.APIName)
	})
	return c
}

// inCluster reports whether Vigil runs in a pod: the kubelet sets these for
// every container (rest.InClusterConfig reads the same).
func inCluster() bool {
	return os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != ""
}

// kubeSourceOf says, for the sandbox's in-memory clients (which have no
// transport to count at), which part of the exporter sent a Kubernetes request, for
// the source label: the /version probe, the metrics.k8s.io poller, or the
// informers' lists and watches (which have no refresh source of their own).
func kubeSourceOf(api string) string {
	switch {
	case strings.HasSuffix(api, " version"):
		return APIServerSource
	case strings.HasSuffix(api, "metrics"):
		return MetricsSource
	}
	return InformerSource
}

// countSandboxRequests counts the sandbox's in-memory API calls as the real
// clients' transport counts HTTP requests, so vigil_source_api_requests_total
// shows on the sandbox what the exporter would cost a real API server.
func countSandboxRequests(kube kubernetes.Interface, metrics metricsclient.Interface, count func(api string)) {
	type reactors interface {
		PrependReactor(verb, resource string, fn k8stesting.ReactionFunc)
		PrependWatchReactor(resource string, fn k8stesting.WatchReactionFunc)
	}
	counter := func(a k8stesting.Action) (bool, k8sruntime.Object, error) {
		count(a.GetVerb() + " " + sandboxResource(a))
		return false, nil, nil // let the object tracker answer
	}
	watchCounter := func(a k8stesting.Action) (bool, watch.Interface, error) {
		count("watch " + sandboxResource(a))
		return false, nil, nil
	}
	for _, c := range []any{kube, metrics} {
		if r, ok := c.(reactors); ok {
			r.PrependReactor("*", "*", counter)
			r.PrependWatchReactor("*", watchCounter)
		}
	}
	if d, ok := kube.Discovery().(interface {
		PrependReactor(verb, resource string, fn k8stesting.ReactionFunc)
	}); ok {
		d.PrependReactor("get", "version", func(a k8stesting.Action) (bool, k8sruntime.Object, error) {
			count("get version")
			return false, nil, nil
		})
	}
}

// sandboxResource names resources as kube.APIName does for real requests.
func sandboxResource(a k8stesting.Action) string {
	r := a.GetResource()
	if r.Group == "metrics.k8s.io" {
		return strings.TrimSuffix(r.Resource, "s") + "metrics"
	}
	return r.Resource
}
