// Package soak runs the exporter for a long time under hostile upstreams and
// fails when its goroutines, heap or open file descriptors keep growing.
// It is not part of `make test`: its test has the soak build tag, and `make
// soak` runs it (SOAK_DURATION, default 10m; SOAK_LEAK=1 builds the exporter
// with a goroutine leaked per reload, to see it fail).
package soak
