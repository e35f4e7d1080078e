package shard

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestWatchReplicasReturnsOnAScale: against a real API server, the watch
// of a three-replica StatefulSet stays quiet while nothing changes the
// count (an unrelated update, another StatefulSet scaled), and returns 5
// once it is scaled to 5.
func TestWatchReplicasReturnsOnAScale(t *testing.T) {
	kube, err := kubernetes.NewForConfig(testenv.SharedAPIServer(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := fmt.Sprintf("watchshard-%06d", rand.IntN(1e6))
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mk := func(name string) *appsv1.StatefulSet {
		three := int32(3)
		labels := map[string]string{"app": name}
		s, err := kube.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.StatefulSetSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	vigil, other := mk("vigil"), mk("other")
	got := make(chan int, 1)
	go func() {
		n, err := watchReplicas(ctx, kube, ns, "vigil", 3)
		if err != nil {
			t.Error(err)
		}
		got <- n
	}()
	five := int32(5)
	other.Spec.Replicas = &five
	if _, err := kube.AppsV1().StatefulSets(ns).Update(ctx, other, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	vigil.Labels = map[string]string{"touched": "yes"}
	if vigil, err = kube.AppsV1().StatefulSets(ns).Update(ctx, vigil, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		t.Fatalf("returned %d before any scale of vigil", n)
	case <-time.After(2 * time.Second): // no wall-clock assertion: quiet so far is all it says
	}
	vigil.Spec.Replicas = &five
	if _, err := kube.AppsV1().StatefulSets(ns).Update(ctx, vigil, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != 5 {
		t.Fatalf("returned %d, want 5", n)
	}
}

// A watch the API server refuses for a while (a control-plane upgrade, an
// overloaded server: 503, a connection refused) is tried again, not given
// up: given up, the replica would never see a later scale and would keep
// the old shard count beside shards on the new one (objects exported twice
// or by none). Only a refusal by RBAC ends it, with the error that the
// daemon logs.
func TestWatchReplicasOutlivesAnUnavailableAPIServer(t *testing.T) {
	defer func(d time.Duration) { retryDelay = d }(retryDelay)
	retryDelay = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	five := int32(5)
	kube := fake.NewClientset()
	refusals := 0
	kube.PrependWatchReactor("statefulsets", func(k8stesting.Action) (bool, watch.Interface, error) {
		if refusals < 3 {
			refusals++
			return true, nil, apierrors.NewServiceUnavailable("etcd leader changed")
		}
		// The first event of a watch without a resourceVersion: the
		// StatefulSet as it is, scaled to 5 meanwhile.
		w := watch.NewFakeWithChanSize(1, false)
		w.Add(&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "vigil", Namespace: "vigil"},
			Spec: appsv1.StatefulSetSpec{Replicas: &five}})
		return true, w, nil
	})
	n, err := watchReplicas(ctx, kube, "vigil", "vigil", 3)
	if err != nil || n != 5 {
		t.Fatalf("watchReplicas after %d refusals = %d, %v; want 5 (the StatefulSet's replicas)", refusals, n, err)
	}

	forbidden := fake.NewClientset()
	forbidden.PrependWatchReactor("statefulsets", func(k8stesting.Action) (bool, watch.Interface, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "statefulsets"}, "vigil", errors.New("no RBAC"))
	})
	if _, err := watchReplicas(ctx, forbidden, "vigil", "vigil", 3); err == nil || !strings.Contains(err.Error(), "grant watch") {
		t.Fatalf("watchReplicas refused by RBAC = %v, want the error naming the missing grant", err)
	}
}
