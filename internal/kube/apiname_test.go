package kube_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vigil-monitoring/vigil/internal/kube"
)

func TestAPIName(t *testing.T) {
	for _, c := range []struct{ method, url, want string }{
		{"GET", "/version", "get version"},
		{"GET", "/api/v1/pods?limit=500", "list pods"},
		{"GET", "/api/v1/pods?allowWatchBookmarks=true&resourceVersion=12&watch=true", "watch pods"},
		{"GET", "/api/v1/namespaces/shop/pods?watch=1", "watch pods"},
		{"GET", "/api/v1/namespaces/shop/pods/web-1", "get pods"},
		{"GET", "/api/v1/nodes", "list nodes"},
		{"GET", "/apis/apps/v1/namespaces/shop/deployments", "list deployments"},
		{"GET", "/apis/autoscaling/v2/horizontalpodautoscalers?watch=true", "watch horizontalpodautoscalers"},
		{"GET", "/apis/metrics.k8s.io/v1beta1/nodes", "list nodemetrics"},
		{"GET", "/apis/metrics.k8s.io/v1beta1/pods", "list podmetrics"},
		{"GET", "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods", "list podmetrics"},
		{"GET", "/apis", "get discovery"},
		{"GET", "/apis/apps/v1", "get discovery"},
		{"PUT", "/api/v1/namespaces/shop/pods/web-1/status", "put pods"},
		{"GET", "/some/secret-looking/path", "get other"},
	} {
		r := httptest.NewRequest(c.method, c.url, nil)
		assert.Equal(t, c.want, kube.APIName(r), "%s %s", c.method, c.url)
	}
}
