// This module exists only to build Vigil's container image offline
// (`make image`) with go-containerregistry, kept out of the main module's
// dependencies.
module github.com/vigil-monitoring/vigil/tools/image

go 1.26.7

toolchain go1.27.3

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	golang.org/x/sync v0.22.0 // indirect
)
