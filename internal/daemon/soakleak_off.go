//go:build !soakleak

package daemon

// afterReload does nothing; a binary built with -tags soakleak leaks here
// (soakleak_on.go), to prove `make soak` catches a leak.
func afterReload() {}
