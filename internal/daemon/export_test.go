package daemon

import (
	"k8s.io/client-go/kubernetes"
	metricsclient "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/vigil-monitoring/vigil/collectors/cluster"
)

// SetSandboxClients replaces the sandbox's clients for a test and returns a
// function restoring them.
func SetSandboxClients(f func() (kubernetes.Interface, metricsclient.Interface)) (restore func()) {
	old := cluster.SandboxClients
	cluster.SandboxClients = f
	return func() { cluster.SandboxClients = old }
}

// CurrentProvider returns the running configuration's built provider.
func (d *Daemon) CurrentProvider(section string) any {
	return d.current.Load().providers[section]
}
