// Package kube holds what Vigil needs of the Kubernetes API beyond client-go.
package kube

import (
	"net/http"
	"strings"
)

// APIName gives a request to the Kubernetes API a bounded name for
// vigil_source_api_requests_total{api}: verb and resource, never a namespace
// or object name ("list pods", "watch pods", "get version"). metrics.k8s.io
// resources are named apart from the core ones they mirror ("list
// nodemetrics", "list podmetrics"), so the informers' lists and the usage
// polls can be told apart. Use it as the name function of
// source.InstrumentTransport.
func APIName(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	verb := strings.ToLower(r.Method)
	var resource string
	var named bool
	switch {
	case len(parts) >= 1 && (parts[0] == "version" || parts[0] == "readyz" || parts[0] == "livez" || parts[0] == "healthz"):
		return "get " + parts[0]
	case len(parts) >= 3 && parts[0] == "api":
		resource, named = resourceOf(parts[2:])
	case len(parts) >= 4 && parts[0] == "apis":
		resource, named = resourceOf(parts[3:])
		if parts[1] == "metrics.k8s.io" {
			switch resource {
			case "nodes":
				resource = "nodemetrics"
			case "pods":
				resource = "podmetrics"
			}
		}
	case parts[0] == "api" || parts[0] == "apis":
		return verb + " discovery"
	default:
		return verb + " other"
	}
	if verb == "get" {
		switch {
		case r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1":
			verb = "watch"
		case !named:
			verb = "list"
		}
	}
	return verb + " " + resource
}

// resourceOf skips "namespaces/<ns>/" to the resource type; named reports
// whether the path goes on to one object's name.
func resourceOf(p []string) (resource string, named bool) {
	if len(p) >= 3 && p[0] == "namespaces" {
		return p[2], len(p) >= 4
	}
	if len(p) >= 1 {
		return p[0], len(p) >= 2
	}
	return "other", false
}
