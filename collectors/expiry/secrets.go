package expiry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

// KubernetesSecrets opts in to reading Secrets of type kubernetes.io/tls,
// per listed namespace. Kubernetes RBAC cannot limit reading Secrets by
// type: the Role this needs lets Vigil read every Secret of those
// namespaces (database passwords included), so it is granted per namespace
// (a Role and RoleBinding each), never cluster-wide. Vigil asks the API
// server for TLS Secrets only (a field selector on type) and keeps only the
// certificates' dates and names, never a Secret's data.
type KubernetesSecrets struct {
	Namespaces []string `yaml:"namespaces"`
	// Kubeconfig and Context reach the cluster; empty: the in-cluster
	// service account, or outside a cluster KUBECONFIG then ~/.kube/config.
	Kubeconfig string `yaml:"kubeconfig"`
	Context    string `yaml:"context"`
}

// tlsSecretSelector is the server-side filter: the API server sends only
// TLS Secrets, so Helm release Secrets (up to 1 MiB each) never reach Vigil.
var tlsSecretSelector = fields.OneTermEqualSelector("type", string(corev1.SecretTypeTLS)).String()

// secretCerts is what the informer's store keeps of a TLS Secret: its key
// and the facts of its certificates. *metav1.ObjectMeta gives the store the
// accessors it needs; only name, namespace and resourceVersion are set.
type secretCerts struct {
	metav1.ObjectMeta
	Certs []CertFact
	// Problem says why a key did not parse ("" when all did), for logs.
	Problem string
}

// transformSecret replaces a Secret by its facts before the store keeps it,
// so the Secret's data is garbage as soon as the informer has seen it. It
// is idempotent, as client-go asks.
func transformSecret(obj any) (any, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return obj, nil // already transformed, or a tombstone
	}
	out := &secretCerts{ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, ResourceVersion: s.ResourceVersion}}
	if s.Type != corev1.SecretTypeTLS {
		return out, nil // the field selector already keeps these away
	}
	loc := s.Namespace + "/" + s.Name
	for _, key := range []string{corev1.TLSCertKey, "ca.crt"} {
		data := s.Data[key]
		if len(data) == 0 {
			continue
		}
		certs, err := certFacts("secret", loc, key, data)
		if err != nil {
			out.Problem = fmt.Sprintf("%s: %v", key, err)
			continue
		}
		out.Certs = append(out.Certs, certs...)
	}
	return out, nil
}

// secretWatcher runs one informer per listed namespace.
type secretWatcher struct {
	informers []cache.SharedIndexInformer
	log       *slog.Logger
	sawError  atomic.Bool
	stop      context.CancelFunc
	once      sync.Once
}

func kubeConfig(k *KubernetesSecrets) (*rest.Config, error) {
	if k.Kubeconfig == "" && k.Context == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return rest.InClusterConfig()
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("expiry.kubernetes_secrets: no cluster to read Secrets from (%v); set kubeconfig, or run Vigil in the cluster", err)
	}
	return cfg, nil
}

func newSecretWatcher(k *KubernetesSecrets, rc *rest.Config, logger *slog.Logger) (*secretWatcher, error) {
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "vigil-expiry"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("expiry.kubernetes_secrets: %w", err)
	}
	w := &secretWatcher{log: logger}
	for _, ns := range k.Namespaces {
		lw := cache.NewFilteredListWatchFromClient(client.CoreV1().RESTClient(), "secrets", ns,
			func(o *metav1.ListOptions) { o.FieldSelector = tlsSecretSelector })
		// Resync 0: nothing here needs a periodic replay of the cache.
		inf := cache.NewSharedIndexInformer(lw, &corev1.Secret{}, 0, cache.Indexers{})
		if err := inf.SetTransform(transformSecret); err != nil {
			return nil, err
		}
		ns := ns
		if err := inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			// The error names the resource and status (forbidden), not data.
			// Logged before ready() may say so: once ready, the reason the
			// namespace's certificates are absent is already in the log.
			logger.Warn("cannot list or watch TLS Secrets; grant Vigil a Role that reads secrets in this namespace (see examples/vigil.yml)", "namespace", ns, "err", err)
			w.sawError.Store(true)
		}); err != nil {
			return nil, err
		}
		w.informers = append(w.informers, inf)
	}
	return w, nil
}

func (w *secretWatcher) start(ctx context.Context) {
	ctx, w.stop = context.WithCancel(ctx)
	for _, inf := range w.informers {
		go inf.RunWithContext(ctx)
	}
}

// ready: every informer synced, or one cannot list (logged; its
// namespace's certificates are then absent rather than blocking /-/ready).
func (w *secretWatcher) ready() bool {
	if w.sawError.Load() {
		return true
	}
	for _, inf := range w.informers {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

func (w *secretWatcher) certs() []CertFact {
	var out []CertFact
	for _, inf := range w.informers {
		items := inf.GetStore().List()
		sort.Slice(items, func(i, j int) bool {
			return items[i].(*secretCerts).Name < items[j].(*secretCerts).Name
		})
		for _, o := range items {
			if s, ok := o.(*secretCerts); ok {
				out = append(out, s.Certs...)
			}
		}
	}
	return out
}

func (w *secretWatcher) close() {
	w.once.Do(func() {
		if w.stop != nil {
			w.stop()
		}
	})
}
