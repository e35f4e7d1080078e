package shard_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vigil-monitoring/vigil/internal/shard"
	"github.com/vigil-monitoring/vigil/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunShared(m)) }

// TestAutoReadsTheStatefulSet: against a real API server, pod vigil-2 of a
// three-replica StatefulSet is shard 2 of 3; an ordinal past the replicas
// (a scale-down in progress) and a missing StatefulSet are errors that say
// what to do.
func TestAutoReadsTheStatefulSet(t *testing.T) {
	kube, err := kubernetes.NewForConfig(testenv.SharedAPIServer(t))
	require.NoError(t, err)
	ctx := context.Background()
	ns := fmt.Sprintf("autoshard-%06d", rand.IntN(1e6))
	_, err = kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	three := int32(3)
	labels := map[string]string{"app.kubernetes.io/name": "vigil"}
	_, err = kube.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "vigil"},
		Spec: appsv1.StatefulSetSpec{Replicas: &three, ServiceName: "vigil", Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "vigil", Image: "vigil"}}}}}}, metav1.CreateOptions{})
	require.NoError(t, err)

	s, err := shard.Auto(ctx, kube, ns, "vigil-2")
	require.NoError(t, err)
	assert.Equal(t, shard.Shard{Index: 2, Total: 3}, s)

	_, err = shard.Auto(ctx, kube, ns, "vigil-3")
	assert.ErrorContains(t, err, "has ordinal 3 but StatefulSet vigil has 3 replicas")

	_, err = shard.Auto(ctx, kube, ns, "other-0")
	assert.ErrorContains(t, err, "reading StatefulSet "+ns+"/other")
	assert.ErrorContains(t, err, "grant get on statefulsets")
}
