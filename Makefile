# Vigil. `make run` starts the exporter (the sandbox when no CONFIG is given);
# `make test` installs what the tests need and runs every test.
GO        ?= go
# The patched Go every build and test uses: fetched once from the module proxy
# as a toolchain. These machines export GOTOOLCHAIN=local, so set it here
# rather than rely on go.mod's toolchain line; scripts/install-tools.sh and
# .ci/run name it too.
VIGIL_GO  ?= go1.27.3
export GOTOOLCHAIN := $(VIGIL_GO)
CONFIG    ?=
LISTEN    ?= :9477
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/prometheus/common/version.Version=$(VERSION) \
             -X github.com/prometheus/common/version.Revision=$(shell git rev-parse --short HEAD 2>/dev/null) \
             -X github.com/prometheus/common/version.Branch=main
# make test's go test: the build's flags, each test binary's flags
# (scripts/go-test.sh keeps the linked binaries between runs; -test.timeout
# is 45m unless given), e.g.
# `make test-main TEST_RUN_FLAGS='-test.count=1 -test.run=TestDrift -test.v'`.
TEST_BUILD_FLAGS ?= -race
TEST_RUN_FLAGS   ?= -test.count=1 -test.timeout=45m
ifneq ($(TEST_FLAGS)$(MODULE_TEST_FLAGS),)
$(error TEST_FLAGS and MODULE_TEST_FLAGS are gone: set TEST_BUILD_FLAGS (go test -c's, e.g. -race) and TEST_RUN_FLAGS (the test binaries', e.g. -test.run=TestDrift -test.v))
endif
export TEST_BUILD_FLAGS TEST_RUN_FLAGS TEST_P
# Where they are kept (about 4 GB), one directory per module.
TEST_BIN_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vigil/testbin
# -trimpath for every go command make runs: without it the build cache keys
# the main module's packages by their directory, so a fresh clone (as CI
# makes) recompiles, vets and links them all again even with a warm cache.
# override: `make GOFLAGS=-v test` adds to it rather than dropping -trimpath.
override GOFLAGS := $(strip $(GOFLAGS) -trimpath)
export GOFLAGS
# Tools the installer builds (OpenTofu where no terraform exists) come first.
TOOLS_DIR ?= $(or $(VIGIL_TOOLS_DIR),$(HOME)/.cache/vigil/tools)
export PATH := $(TOOLS_DIR)/bin:$(PATH)

.PHONY: all build run test tools tools-prometheus tools-envtest tools-lint lint generate fuzz soak bench clean image

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/vigil-exporter ./cmd/exporter
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/provision ./cmd/provision

## image: the container image, built offline (no registry pull) by tools/image
## with go-containerregistry: static binaries, CA certificates, non-root user
## 65532. Writes bin/vigil-image.oci.tar (an OCI layout) and prints its digest.
image:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS) -s -w' -o $(BIN)/image/vigil-exporter ./cmd/exporter
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS) -s -w' -o $(BIN)/image/provision ./cmd/provision
	cd tools/image && $(GO) run . -bin ../../$(BIN)/image -out ../../$(BIN)/vigil-image.oci.tar \
		-version $(VERSION) -revision $$(git rev-parse HEAD 2>/dev/null)

## run: build and start the exporter; CONFIG=path/to/vigil.yml for a real cluster.
run:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/vigil-exporter ./cmd/exporter
	$(BIN)/vigil-exporter --web.listen-address=$(LISTEN) $(if $(CONFIG),--config.file=$(CONFIG),--sandbox)

## demo: build and start the exporter on the sandbox, a real Prometheus with
## the shipped alerts/*.yml and a real Alertmanager, all on loopback; prints
## their URLs; Ctrl-C stops all three (scripts/demo.sh).
.PHONY: demo tools-browser
demo: tools-prometheus
	scripts/demo.sh

## tools: install the real components the tests run against (cached; a second run is a no-op).
tools:
	scripts/install-tools.sh all
tools-prometheus:
	scripts/install-tools.sh prometheus
tools-envtest:
	scripts/install-tools.sh envtest
tools-browser:
	scripts/install-tools.sh browser
tools-lint:
	scripts/install-tools.sh lint
	scripts/install-tools.sh promtool3
## tools-aws-provider: the real hashicorp/aws Terraform provider, only the types terraform/aws uses (about 10 min cold; terraform/aws, test/awsstack).
.PHONY: tools-aws-provider
tools-aws-provider:
	scripts/install-tools.sh aws-provider

## test: install the tools, run the static checks (lint) and every test (Go,
## promtool 2.42 and 3.x, amtool, terraform, envtest, end to end).
## The four modules' tests run side by side (make -j, each one's output
## printed whole when it ends), and scripts/go-test.sh runs TEST_P packages
## at a time (go test's test binaries, kept between runs):
## most packages spend their time waiting on kube-apiserver, terraform, moto
## or Prometheus, not on the CPU (docs/benchmarks.md, "make test's time").
## lint runs beside the main module's tests rather than before them: its
## staticcheck and govulncheck, after a change, would otherwise hold every
## test back (the sandbox check it leaves to test-main, which runs that test). The other modules' tests build statically as lint
## does, so they start when lint has compiled what they need
## (LINT_FIRST, set only here), not compile it a second time alongside it.
TEST_P ?= 4
test: tools
	$(MAKE) --no-print-directory -j5 --output-sync=target LINT_FIRST=lint lint test-main test-helm test-image test-browser

.PHONY: test-main test-helm test-image test-browser
test-helm test-image test-browser: $(LINT_FIRST)
# scripts/go-test.sh starts packages in the order given (./... is alphabetical): the
# longest ones first, so that none of them starts last and runs alone while
# the rest of the machine idles (docs/benchmarks.md, "make test's time").
SLOW_PKGS := ./test/awsstack ./terraform/aws ./test/e2e ./internal/daemon ./collectors/billing
test-main:
	GO=$(GO) TEST_BIN=$(TEST_BIN_DIR)/main scripts/go-test.sh $(SLOW_PKGS) ./...
# The other modules hold test code only, and build as lint does
# (CGO_ENABLED=0, no -race), so a cold machine compiles Helm, its own
# Kubernetes versions and chromedp once, for lint, not a second time
# race-instrumented for the tests. test/helm calls internal/shard and
# internal/config one call at a time (their own tests in test-main run under
# -race); test/browser runs the exporter as a binary of its own.
test-helm:
	cd test/helm && CGO_ENABLED=0 GO=$(GO) TEST_BUILD_FLAGS= TEST_BIN=$(TEST_BIN_DIR)/helm ../../scripts/go-test.sh ./...
# The image: builds the static binaries, loads the OCI archive, runs
# --version. Without -race: the builder is one goroutine, and gzip of the
# 190 MB of binaries under the race detector took 7 min instead of 1.
test-image:
	cd tools/image && GO=$(GO) TEST_BUILD_FLAGS= TEST_BIN=$(TEST_BIN_DIR)/image ../../scripts/go-test.sh ./...
test-browser:
	cd test/browser && CGO_ENABLED=0 GO=$(GO) TEST_BUILD_FLAGS= TEST_BIN=$(TEST_BIN_DIR)/browser ../../scripts/go-test.sh ./...

## lint: gofmt, go vet and staticcheck (also of test/browser), govulncheck (offline database, allow-list
## scripts/vulncheck-allow.yml), promtool 2.42 and 3.x check rules, and check
## metrics on a sandbox scrape. Every finding fails.
# lint builds what it checks as make image does, statically (nothing in
# Vigil uses cgo; only -race needs it): on a cold machine the image test's
# go build then finds every package compiled instead of compiling them all
# once more (a cold make test's image test timed out at 30 minutes).
lint: export CGO_ENABLED := 0
lint: tools-prometheus tools-lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...
	cd test/browser && $(GO) vet ./... && staticcheck ./...
	cd test/helm && $(GO) vet ./... && staticcheck ./...
	cd tools/image && $(GO) vet ./... && staticcheck ./...
	cd tools/terraform-provider-aws && $(GO) vet ./trim && staticcheck ./trim
	@# The separate modules replace the main module with ../..: a dependency
	@# the main module gains or moves leaves their go.mod/go.sum out of step
	@# ("updates to go.mod needed"). Say so here, with the fix.
	@for m in test/helm test/browser tools/image; do \
		if ! diff=$$(cd $$m && $(GO) mod tidy -diff 2>&1); then \
			echo "$$diff"; echo "$$m/go.mod or go.sum is out of step with its imports or the main module's dependencies: run (cd $$m && go mod tidy) and commit $$m/go.mod and $$m/go.sum"; exit 1; \
		fi; \
	done
	$(GO) run ./internal/vulnscan -db $(TOOLS_DIR)/vulndb ./...
	promtool check rules alerts/*.yml
	promtool3 check rules alerts/*.yml
	@# In make test (LINT_FIRST set), test-main runs the same test under
	@# -race in internal/daemon's package: running it here as well would
	@# link a second, static internal/daemon test binary on every run.
	$(if $(LINT_FIRST),@echo "sandbox metrics check: run by test-main (internal/daemon's TestSandboxScrapePassesPromtoolCheckMetrics)",scripts/check-sandbox-metrics.sh)

## generate: regenerate the committed dashboards, docs/metrics.md, deploy/ and
## charts/vigil/files, and the chart's golden test/helm/testdata/default.golden.yaml.
generate:
	$(GO) run ./dashboards/gen
	$(GO) run ./internal/catalogue/gen
	$(GO) run ./deploy/gen
	cd test/helm && $(GO) test -count=1 -run '^TestDefaultsGolden$$' . -update

## fuzz: run every Go fuzz target for FUZZTIME each (default 60s), one at a
## time; `make test` replays their committed seed corpora (testdata/fuzz).
FUZZTIME ?= 60s
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## soak: run the exporter on the sandbox for SOAK_DURATION (default 10m) with
## every HTTP upstream flapping, a scrape a second and a reload every 30 s;
## fails when goroutines, heap or open fds keep growing (test/soak). Not part
## of `make test`. SOAK_LEAK=1 builds a leaking exporter to watch it fail.
SOAK_DURATION ?= 10m
soak:
	SOAK_DURATION=$(SOAK_DURATION) SOAK_LEAK=$(SOAK_LEAK) SOAK_RELOAD_EVERY=$(SOAK_RELOAD_EVERY) \
		$(GO) test -tags soak -run TestSoak -count=1 -v -timeout 4h ./test/soak/

## bench: the benchmarks recorded in docs/benchmarks.md.
bench: tools
	$(GO) test -run '^$$' -bench BenchmarkRenderAPIServer -benchmem -benchtime 50x -timeout 60m ./collectors/cluster/
	$(GO) test -run '^$$' -bench BenchmarkShards -benchtime 20x -timeout 120m ./collectors/cluster/
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 200x ./internal/daemon/
	$(GO) test -run '^$$' -bench BenchmarkSecretsMemory -benchtime 1x -timeout 30m ./collectors/expiry/
	$(GO) test -run '^$$' -bench BenchmarkPageOverLargeScrape -benchmem -benchtime 20x ./internal/statuspage/

clean:
	rm -rf $(BIN)
