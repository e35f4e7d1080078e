// Package shard splits one cluster's objects across exporter replicas, the
// way kube-state-metrics does: each replica keeps the objects whose UID
// hashes (FNV-1a, 64 bit) to its index modulo the shard count, so every
// object belongs to exactly one shard and a replica's memory falls with the
// count. Cluster-wide facts (nodes, the API server probe) and every cloud
// collector run on shard 0 only, so no series is exported twice.
//
// The API server cannot filter by UID (no field selector on metadata.uid,
// and a label selector needs labels the objects do not carry), so each shard
// still receives every object on its list and watch, and drops the others'
// before its informers' stores see them (collectors/cluster/listwatch.go):
// a shard holds no trace of another's objects, not even their key.
package shard

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Shard is this replica's place: Index in [0, Total). The zero value is
// "not sharded" (one shard holding everything).
type Shard struct {
	Index, Total int
}

// Sharded reports whether objects are split at all.
func (s Shard) Sharded() bool { return s.Total > 1 }

// Primary reports whether this replica runs what is not split (nodes, the
// API server probe, every cloud collector): shard 0, or the only one.
func (s Shard) Primary() bool { return s.Index == 0 }

// Owns reports whether the object with this UID belongs to this shard.
func (s Shard) Owns(uid string) bool {
	if !s.Sharded() {
		return true
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(uid)) // a hash.Hash never fails to write
	return h.Sum64()%uint64(s.Total) == uint64(s.Index)
}

// Label is the value of the shard label on the self-metrics.
func (s Shard) Label() string { return strconv.Itoa(s.Index) }

// Validate checks flags given by hand (--shard, --total-shards).
func (s Shard) Validate() error {
	switch {
	case s.Total < 1:
		return fmt.Errorf("--total-shards=%d: must be at least 1", s.Total)
	case s.Index < 0 || s.Index >= s.Total:
		return fmt.Errorf("--shard=%d: must be between 0 and --total-shards-1 (%d)", s.Index, s.Total-1)
	}
	return nil
}

// Ordinal reads a StatefulSet pod's ordinal from its name (vigil-2 → 2, in
// StatefulSet vigil).
func Ordinal(pod string) (statefulSet string, ordinal int, err error) {
	i := strings.LastIndexByte(pod, '-')
	if i <= 0 {
		return "", 0, fmt.Errorf("pod name %q has no -<ordinal> suffix: --auto-shard needs the exporter to run in a StatefulSet", pod)
	}
	digits := pod[i+1:]
	n, err := strconv.Atoi(digits)
	if err != nil || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", 0, fmt.Errorf("pod name %q does not end in -<ordinal>: --auto-shard needs the exporter to run in a StatefulSet", pod)
	}
	return pod[:i], n, nil
}

// Auto works out the shard of pod (in namespace) from its StatefulSet: the
// index is the pod's ordinal, the total the StatefulSet's spec.replicas,
// read once at start. Scaling the StatefulSet does not restart its pods, so
// the daemon also watches the replicas (WatchTotal) and stops to re-shard.
func Auto(ctx context.Context, kube kubernetes.Interface, namespace, pod string) (Shard, error) {
	name, ordinal, err := Ordinal(pod)
	if err != nil {
		return Shard{}, err
	}
	total, err := replicas(ctx, kube, namespace, name)
	if err != nil {
		return Shard{}, err
	}
	s := Shard{Index: ordinal, Total: total}
	if ordinal >= total {
		return Shard{}, fmt.Errorf("pod %s/%s has ordinal %d but StatefulSet %s has %d replicas: it is being scaled down; it will stop", namespace, pod, ordinal, name, total)
	}
	return s, nil
}

func replicas(ctx context.Context, kube kubernetes.Interface, namespace, name string) (int, error) {
	sts, err := kube.AppsV1().StatefulSets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("--auto-shard: reading StatefulSet %s/%s (grant get on statefulsets in its namespace, deploy/components/sharded and the chart's sharding mode do): %w", namespace, name, err)
	}
	if sts.Spec.Replicas == nil {
		return 1, nil
	}
	return int(*sts.Spec.Replicas), nil
}

// Flags are the daemon's sharding flags.
type Flags struct {
	Index, Total      int    // --shard, --total-shards
	Auto              bool   // --auto-shard
	Pod, PodNamespace string // --pod, --pod-namespace (the downward API's POD_NAME, POD_NAMESPACE)
}

// Resolve turns the flags into the replica's shard: given by hand, or,
// with --auto-shard, from the pod's StatefulSet through the in-cluster
// connection (or $KUBECONFIG outside a cluster).
func (f Flags) Resolve(ctx context.Context) (Shard, error) {
	if !f.Auto {
		s := Shard{Index: f.Index, Total: f.Total}
		return s, s.Validate()
	}
	if f.Index != 0 || f.Total != 1 {
		return Shard{}, errors.New("--auto-shard excludes --shard and --total-shards: pass one or the other")
	}
	if f.Pod == "" || f.PodNamespace == "" {
		return Shard{}, errors.New("--auto-shard needs --pod and --pod-namespace (set POD_NAME and POD_NAMESPACE from the downward API, as deploy/components/sharded and the chart's sharding mode do)")
	}
	kube, err := f.client()
	if err != nil {
		return Shard{}, err
	}
	return Auto(ctx, kube, f.PodNamespace, f.Pod)
}

// WatchTotal watches the StatefulSet of the pod (--auto-shard) and returns
// its replica count once it differs from total: running replicas read the
// count only at start, so after a scale each must restart to take its new
// share (the daemon stops; the kubelet starts it again). It returns ctx's
// error when ctx ends first, and an error when RBAC refuses the watch (the
// Role lacks watch): then scaling needs a rollout restart by hand. Other
// refusals (the API server restarting, overloaded, unreachable) are
// waited out with a backoff up to 30 s.
func (f Flags) WatchTotal(ctx context.Context, total int) (int, error) {
	name, _, err := Ordinal(f.Pod)
	if err != nil {
		return 0, err
	}
	kube, err := f.client()
	if err != nil {
		return 0, err
	}
	return watchReplicas(ctx, kube, f.PodNamespace, name, total)
}

// retryDelay is the first wait before watching the StatefulSet again after
// the API server refused or ended a watch without an event; it doubles up
// to maxRetryDelay and starts over after an event.
var retryDelay = time.Second

const maxRetryDelay = 30 * time.Second

func watchReplicas(ctx context.Context, kube kubernetes.Interface, namespace, name string, total int) (int, error) {
	delay := retryDelay
	for ctx.Err() == nil {
		w, err := kube.AppsV1().StatefulSets(namespace).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if apierrors.IsForbidden(err) {
			return 0, fmt.Errorf("watching StatefulSet %s/%s (grant watch on it, as deploy/components/sharded does): %w", namespace, name, err)
		}
		events := 0
		if err == nil {
			for ev := range w.ResultChan() {
				events++
				sts, ok := ev.Object.(*appsv1.StatefulSet)
				if !ok || ev.Type == watch.Deleted {
					continue
				}
				n := 1
				if sts.Spec.Replicas != nil {
					n = int(*sts.Spec.Replicas)
				}
				if n != total {
					w.Stop()
					return n, nil
				}
			}
		}
		// The server ends watches now and then: watch again (the first
		// event is the current state, so no change is missed). A refusal
		// other than RBAC's (the API server restarting or overloaded, the
		// connection refused) is waited out, never given up: a replica
		// that stopped watching would keep its old shard count after a
		// scale, beside shards on the new one (objects exported twice or
		// by none).
		if events > 0 {
			delay = retryDelay
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRetryDelay)
	}
	return 0, ctx.Err()
}

func (f Flags) client() (kubernetes.Interface, error) {
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("--auto-shard: connecting to the API server: %w", err)
	}
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("--auto-shard: building the client: %w", err)
	}
	return kube, nil
}
