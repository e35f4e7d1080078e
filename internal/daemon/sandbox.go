package daemon

import (
	"strings"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	k8stesting "k8s.io/client-go/testing"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"
)

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
