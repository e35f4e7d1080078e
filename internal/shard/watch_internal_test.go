package shard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

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
