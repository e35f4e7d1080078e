package testenv

import (
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// APIServer starts a real kube-apiserver and etcd for the test and stops them
// when it ends. Only the API server runs: no scheduler, controllers or
// kubelets, so tests write object status themselves with UpdateStatus.
//
// Each call starts its own control plane (4 to 7 s); share one per package
// through TestMain or a sync.Once where several tests need it.
func APIServer(t testing.TB, crdPaths ...string) *rest.Config {
	t.Helper()
	env := &envtest.Environment{
		BinaryAssetsDirectory: KubeAssetsDir(t),
		CRDDirectoryPaths:     crdPaths,
		ErrorIfCRDPathMissing: len(crdPaths) > 0,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stopping envtest control plane: %v", err)
		}
	})
	return cfg
}

// SharedAPIServer is one control plane shared by every test of a package that
// calls it; RunShared stops it after the package's tests. Tests sharing it must use their own namespaces or object names.
func SharedAPIServer(t testing.TB) *rest.Config {
	t.Helper()
	dir := KubeAssetsDir(t)
	shared.once.Do(func() {
		shared.env = &envtest.Environment{BinaryAssetsDirectory: dir}
		shared.cfg, shared.err = shared.env.Start()
	})
	if shared.err != nil {
		t.Fatalf("starting shared envtest control plane: %v", shared.err)
	}
	return rest.CopyConfig(shared.cfg)
}

var shared struct {
	once sync.Once
	env  *envtest.Environment
	cfg  *rest.Config
	err  error
}

// RunShared runs the package's tests and then stops the control plane that
// SharedAPIServer started, if any. Call it from TestMain:
// os.Exit(testenv.RunShared(m)).
func RunShared(m interface{ Run() int }) int {
	code := m.Run()
	if shared.env != nil && shared.cfg != nil {
		_ = shared.env.Stop()
	}
	return code
}
