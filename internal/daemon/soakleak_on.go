//go:build soakleak

package daemon

// afterReload leaks one goroutine per reload. Only a binary built with
// -tags soakleak has it: `make soak SOAK_LEAK=1` builds one to prove the
// soak fails on a leak (test/soak). Never in a release build.
func afterReload() {
	go func() { select {} }()
}
