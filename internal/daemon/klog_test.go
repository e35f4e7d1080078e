package daemon_test

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/klog/v2"

	"github.com/vigil-monitoring/vigil/internal/daemon"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestClientGoLogsReachTheNewestDaemon: client-go's klog lines go to the
// daemon's logger with component=client-go; a second daemon built while
// the first one's client-go goroutines still log (the tests' case: one
// process, several daemons) takes them over without a data race (go test
// -race fails this test when daemon.New sets klog's globals each time).
func TestClientGoLogsReachTheNewestDaemon(t *testing.T) {
	newDaemon := func() *testenv.SyncBuffer {
		logs := &testenv.SyncBuffer{}
		_, err := daemon.New(daemon.Options{Sandbox: true, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		require.NoError(t, err)
		return logs
	}
	first := newDaemon()
	klog.Background().WithValues("resource", "pods").Info("watch started")
	require.Contains(t, first.String(), "component=client-go")
	require.Contains(t, first.String(), "resource=pods")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the first daemon's informers, still logging
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				klog.Background().V(0).Info("still watching")
			}
		}
	}()
	second := newDaemon()
	close(stop)
	wg.Wait()

	klog.Background().Info("reflector resynced")
	require.Contains(t, second.String(), "reflector resynced")
	require.NotContains(t, first.String(), "reflector resynced")
}
