package cluster

import (
	"context"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// The events envtest does not produce on demand: a watch's ERROR and
// BOOKMARK events (which name no object of ours) pass, DELETED follows the
// object's owner like ADDED and MODIFIED, and a list keeps its ListMeta.
// The owner and namespace paths themselves are held against a real API
// server by TestShardStoresHoldOnlyTheirObjects.
func TestFilterPassesWhatTheReflectorNeeds(t *testing.T) {
	pod := func(uid string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: uid, Namespace: "ns", UID: types.UID(uid)}}
	}
	keep := func(o metav1.Object) bool { return strings.HasPrefix(string(o.GetUID()), "ours") }

	list := &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next-page"},
		Items: []corev1.Pod{*pod("ours-1"), *pod("theirs-1"), *pod("ours-2")}}
	fake := watch.NewFake()
	lw := filterListWatch(&cache.ListWatch{
		ListWithContextFunc:  func(context.Context, metav1.ListOptions) (runtime.Object, error) { return list, nil },
		WatchFuncWithContext: func(context.Context, metav1.ListOptions) (watch.Interface, error) { return fake, nil },
	}, keep)

	got, err := lw.ListWithContext(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	pods := got.(*corev1.PodList)
	assert.Equal(t, metav1.ListMeta{ResourceVersion: "42", Continue: "next-page"}, pods.ListMeta)
	var names []string
	for _, p := range pods.Items {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"ours-1", "ours-2"}, names)

	w, err := lw.WatchWithContext(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	bookmark := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "43"}}
	status := &metav1.Status{Status: metav1.StatusFailure, Code: 410, Reason: metav1.StatusReasonExpired}
	go func() {
		fake.Add(pod("theirs-2"))
		fake.Add(pod("ours-3"))
		fake.Modify(pod("theirs-1"))
		fake.Modify(pod("ours-1"))
		fake.Delete(pod("theirs-1"))
		fake.Action(watch.Bookmark, bookmark)
		fake.Delete(pod("ours-2"))
		fake.Error(status)
		fake.Stop()
	}()
	var events []string
	for e := range w.ResultChan() {
		name := "status"
		if p, ok := e.Object.(*corev1.Pod); ok {
			name = p.Name
		}
		events = append(events, string(e.Type)+" "+name)
	}
	assert.Equal(t, []string{"ADDED ours-3", "MODIFIED ours-1", "BOOKMARK ", "DELETED ours-2", "ERROR status"}, events)
}

// A watch stopped while an event is in flight (the reflector has stopped
// reading) does not leave watch.Filter's goroutine blocked.
func TestStoppedWatchLeavesNoGoroutine(t *testing.T) {
	fake := watch.NewFake()
	lw := filterListWatch(&cache.ListWatch{
		WatchFuncWithContext: func(context.Context, metav1.ListOptions) (watch.Interface, error) { return fake, nil },
	}, func(metav1.Object) bool { return true })
	w, err := lw.WatchWithContext(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	fake.Add(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "in-flight"}}) // read by the filter, never by us
	w.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for filterGoroutines() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.Zero(t, filterGoroutines(), "watch.Filter's goroutine still runs after Stop")
}

func filterGoroutines() int {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	return strings.Count(b.String(), "watch.(*filteredWatch).loop")
}
