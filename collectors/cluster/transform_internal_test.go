package cluster

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// The store keys compact objects exactly as it keys API objects, the
// transform passes already compact objects through (client-go may hand
// cached objects back).
func TestTransformKeepsKeysAndIsIdempotent(t *testing.T) {
	c := &Collector{}
	api := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}}}
	out, err := c.transform(api)
	require.NoError(t, err)
	p, ok := out.(*pod)
	require.True(t, ok)
	want, err := cache.MetaNamespaceKeyFunc(api)
	require.NoError(t, err)
	got, err := cache.DeletionHandlingMetaNamespaceKeyFunc(p)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	ns, err := cache.MetaNamespaceIndexFunc(p)
	require.NoError(t, err)
	assert.Equal(t, []string{"shop"}, ns)

	again, err := c.transform(p)
	require.NoError(t, err)
	assert.Same(t, p, again)

	n, err := c.transform(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}})
	require.NoError(t, err)
	key, err := cache.MetaNamespaceKeyFunc(n)
	require.NoError(t, err)
	assert.Equal(t, "n1", key)
}

func TestReasonsOutsideTheAllowlistBecomeOther(t *testing.T) {
	assert.Equal(t, "CrashLoopBackOff", waitingReasons[reasonIndex(waitingReasons, "CrashLoopBackOff")])
	assert.Equal(t, "Other", waitingReasons[reasonIndex(waitingReasons, "made up by a runtime")])
	assert.Equal(t, "OOMKilled", terminatedReasons[reasonIndex(terminatedReasons, "OOMKilled")])
	assert.Equal(t, "Other", terminatedReasons[reasonIndex(terminatedReasons, "")])
}

// The most recent termination wins: state.terminated (the container stays
// terminated: restartPolicy Never, a Job) over lastState.terminated (the one
// before it), and lastState alone once the container runs again.
func TestMostRecentTermination(t *testing.T) {
	older := metav1.Unix(1000, 0)
	newer := metav1.Unix(2000, 0)
	last := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", FinishedAt: older}}
	now := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", FinishedAt: newer}}

	c := compactContainer(&corev1.ContainerStatus{Name: "job", State: now})
	assert.Equal(t, "OOMKilled", terminatedReasons[c.lastReason])
	assert.Equal(t, int64(2000), c.lastFinished)

	c = compactContainer(&corev1.ContainerStatus{Name: "job", State: now, LastTerminationState: last})
	assert.Equal(t, "OOMKilled", terminatedReasons[c.lastReason])
	assert.Equal(t, int64(2000), c.lastFinished)

	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: newer}}
	c = compactContainer(&corev1.ContainerStatus{Name: "app", State: running, LastTerminationState: last, RestartCount: 1})
	assert.Equal(t, "Error", terminatedReasons[c.lastReason])
	assert.Equal(t, int64(1000), c.lastFinished)
}

func TestSingleReplicaOKAnnotation(t *testing.T) {
	assert.True(t, singleReplicaOK(map[string]string{SingleReplicaOKAnnotation: "true"}))
	assert.False(t, singleReplicaOK(map[string]string{SingleReplicaOKAnnotation: "yes"}))
	assert.False(t, singleReplicaOK(nil))
}
