#!/usr/bin/env bash
# Installs the real components the tests run against, once per machine.
#
#   scripts/install-tools.sh [prometheus|terraform|moto|envtest|lint|promtool3|aws-provider|all]
#
# - prometheus: Debian's prometheus, promtool, prometheus-alertmanager, amtool.
# - terraform: the terraform >= 1.7 on PATH, else OpenTofu built from the Go
#               module proxy and linked as $VIGIL_TOOLS_DIR/bin/terraform.
# - moto:       moto_server (AWS emulator), with pip where it is missing.
# - envtest:    kube-apiserver and etcd, built from the Go module proxy in the
#               separate module tools/envtest, cached under
#               $VIGIL_TOOLS_DIR/envtest-<version>/ (default ~/.cache/vigil/tools).
#               The build goes to <dir>.tmp and is moved into place only when
#               complete, so a half build is never used. A second run is a no-op.
# - lint:       staticcheck and govulncheck (tools/staticcheck, tools/govulncheck)
#               and the offline vulnerability database govulncheck reads, built
#               by golang.org/x/vulndb's cmd/indexdb from that module's
#               data/osv (tools/vulndb); each cached under its versioned dir.
# - promtool3:  promtool 3.x from the prometheus module (tools/promtool), so
#               the rules are checked and tested on the Prometheus users run as
#               well as on Debian's 2.42; built with -tags remove_all_sd
#               (no service discovery plugins: rules need none).
# - aws-provider: the real hashicorp/aws Terraform provider (VERSION
#               6.47.1) built from the main-branch pseudo-version the
#               separate module tools/terraform-provider-aws pins (tagged releases
#               answer 403 on the module proxy), with only the resource types
#               terraform/aws uses registered (tools/terraform-provider-aws/trim),
#               laid out as a Terraform filesystem mirror under
#               $VIGIL_TOOLS_DIR/terraform-provider-aws-<module version>-<trim hash>/
#               (the terraform/aws tests and internal/provision point at it).
#               See docs/benchmarks.md for its cold build; a second run is a no-op.
#
# Go: every build here uses the patched toolchain the Makefile names
# (GOTOOLCHAIN, default go1.27.3, fetched from the module proxy once).
#
# Prints nothing but progress on stderr; exits non-zero on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${VIGIL_TOOLS_DIR:-$HOME/.cache/vigil/tools}"
KUBE_VERSION="v1.37.1"
ENVTEST_DIR="$TOOLS_DIR/envtest-$KUBE_VERSION"

log() { echo "install-tools: $(date -u +%H:%M:%S) $*" >&2; }

# The patched Go (see the Makefile). These machines set GOTOOLCHAIN=local, so
# name it explicitly; the Makefile passes its own value down.
if [ -z "${GOTOOLCHAIN:-}" ] || [ "${GOTOOLCHAIN}" = "local" ] || [ "${GOTOOLCHAIN}" = "auto" ]; then
	export GOTOOLCHAIN=go1.27.3
fi

install_prometheus() {
	if command -v prometheus >/dev/null && command -v promtool >/dev/null &&
		command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null; then
		return 0
	fi
	log "installing prometheus and alertmanager from Debian"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		prometheus prometheus-alertmanager >&2
	# Debian's packages start services on some systems; the tests run their own.
	$sudo systemctl stop prometheus prometheus-alertmanager prometheus-node-exporter >/dev/null 2>&1 || true
}

# apt_install PACKAGE...: Debian packages, with sudo unless root.
apt_install() {
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

# install_browser: Chromium from Debian (about 100 MB of packages, a minute);
# apt itself is the cache: a second run finds it installed and does nothing.
install_browser() {
	if command -v chromium >/dev/null; then
		return 0
	fi
	log "installing chromium from Debian"
	apt_install chromium
}

TOFU_VERSION="v1.12.6"
TOFU_DIR="$TOOLS_DIR/opentofu-$TOFU_VERSION"
BIN_DIR="$TOOLS_DIR/bin" # the Makefile puts this first on PATH

# terraform_ok: a terraform >= 1.7 (mock_provider, override_resource) on PATH.
terraform_ok() {
	local v
	v="$(terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\).*/\1/p')"
	[ -n "$v" ] || return 1
	local major minor
	major="${v%%.*}"
	minor="${v#*.}"
	minor="${minor%%.*}"
	[ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 7 ]; }
}

# install_terraform uses the terraform on PATH; only where there is none (or
# an old one) it builds OpenTofu from the Go module proxy (a module of its own
# that pins OpenTofu's hcl fork; about 18 minutes and 1.9 GB of RAM cold on 2
# cores), and links it as $BIN_DIR/terraform.
install_terraform() {
	if PATH="$BIN_DIR:$PATH" terraform_ok; then
		return 0
	fi
	if [ ! -x "$TOFU_DIR/tofu" ]; then
		log "no terraform >= 1.7 on PATH: building OpenTofu $TOFU_VERSION into $TOFU_DIR (about 18 min cold)"
		local tmp="$TOFU_DIR.tmp"
		rm -rf "$tmp"
		mkdir -p "$tmp/src"
		cat >"$tmp/src/go.mod" <<MOD
module vigil.local/tofu-build

go 1.26.6

godebug (
	tlsmlkem=0
	winsymlink=0
)

replace github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828
MOD
		(
			cd "$tmp/src"
			GOFLAGS=-mod=mod go get -tool "github.com/opentofu/opentofu/cmd/tofu@$TOFU_VERSION"
			go build -trimpath -ldflags='-s -w -X github.com/opentofu/opentofu/version.dev=no' -o "$tmp/tofu" github.com/opentofu/opentofu/cmd/tofu
		)
		rm -rf "$tmp/src" "$TOFU_DIR"
		mv "$tmp" "$TOFU_DIR"
	fi
	mkdir -p "$BIN_DIR"
	ln -sf "$TOFU_DIR/tofu" "$BIN_DIR/terraform"
	log "terraform is OpenTofu at $BIN_DIR/terraform"
}

# install_moto: moto_server is AWS's emulator for the tests; preinstalled on
# these machines, installed with pip elsewhere.
install_moto() {
	if command -v moto_server >/dev/null; then
		return 0
	fi
	log "installing moto_server with pip"
	python3 -m pip install --quiet 'moto[server]' >&2
}

install_envtest() {
	if [ -x "$ENVTEST_DIR/kube-apiserver" ] && [ -x "$ENVTEST_DIR/etcd" ]; then
		return 0
	fi
	log "building kube-apiserver and etcd $KUBE_VERSION into $ENVTEST_DIR (about 13 min cold)"
	local tmp="$ENVTEST_DIR.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	local ver="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
	ver="$ver -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
	ver="$ver -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
	(
		cd "$ROOT/tools/envtest"
		GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w $ver" -o "$tmp/" \
			k8s.io/kubernetes/cmd/kube-apiserver go.etcd.io/etcd/server/v3
	)
	mv "$tmp/server" "$tmp/etcd"
	rm -rf "$ENVTEST_DIR"
	mv "$tmp" "$ENVTEST_DIR"
	log "envtest binaries ready in $ENVTEST_DIR"
}

# build_tool DIR MODULE_DIR PKG... builds the packages of a tools module into
# DIR (through DIR.tmp, moved into place when complete).
build_tool() {
	local dir="$1" moddir="$2"
	shift 2
	local tmp="$dir.tmp"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	(
		cd "$ROOT/$moddir"
		# readonly: a tool build never re-resolves its pinned go.mod and go.sum.
		GOFLAGS=-mod=readonly go build -trimpath -ldflags='-s -w' -o "$tmp/" "$@"
	)
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

# module_version MODULE_DIR MODULE: the version a tools module requires, so
# each tool's version is written once, in its go.mod, and names its cache.
module_version() {
	sed -n "s|^[[:space:]]*$2 \(v[^ ]*\).*|\1|p" "$ROOT/$1/go.mod" | head -n 1
}
STATICCHECK_VERSION="$(module_version tools/staticcheck honnef.co/go/tools)"
GOVULNCHECK_VERSION="$(module_version tools/govulncheck golang.org/x/vuln)"
# Bump it (`go get golang.org/x/vulndb@latest` in tools/vulndb) at least every
# 60 days, or the scan fails as out of date.
VULNDB_VERSION="$(module_version tools/vulndb golang.org/x/vulndb)"
PROMTOOL_VERSION="$(module_version tools/promtool github.com/prometheus/prometheus)"
AWS_PROVIDER_MODULE_VERSION="$(module_version tools/terraform-provider-aws github.com/hashicorp/terraform-provider-aws)"
# The provider's own VERSION file at that commit; terraform/aws pins it.
AWS_PROVIDER_VERSION="6.47.1"

install_lint() {
	local sc="$TOOLS_DIR/staticcheck-$STATICCHECK_VERSION"
	if [ ! -x "$sc/staticcheck" ]; then
		log "building staticcheck $STATICCHECK_VERSION into $sc"
		build_tool "$sc" tools/staticcheck honnef.co/go/tools/cmd/staticcheck
	fi
	local gv="$TOOLS_DIR/govulncheck-$GOVULNCHECK_VERSION"
	if [ ! -x "$gv/govulncheck" ]; then
		log "building govulncheck $GOVULNCHECK_VERSION into $gv"
		build_tool "$gv" tools/govulncheck golang.org/x/vuln/cmd/govulncheck
	fi
	local db="$TOOLS_DIR/vulndb-$VULNDB_VERSION"
	if [ ! -f "$db/db/index/db.json" ]; then
		log "building the offline vulnerability database golang.org/x/vulndb@$VULNDB_VERSION into $db"
		build_tool "$db.bin" tools/vulndb golang.org/x/vulndb/cmd/indexdb
		local dl src when
		dl="$(cd "$ROOT/tools/vulndb" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION")"
		src="$(echo "$dl" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
		when="$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$(echo "$dl" | sed -n 's/.*"Info": "\(.*\)".*/\1/p')")"
		[ -d "$src/data/osv" ] && [ -n "$when" ] || { log "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv"; exit 1; }
		rm -rf "$db.tmp"
		mkdir -p "$db.tmp"
		"$db.bin/indexdb" -vulns "$src/data/osv" -out "$db.tmp/db"
		# The repository's OSV files carry no modification time (it is set
		# when vuln.go.dev publishes them), so indexdb writes the zero time.
		# The data is as old as the vulndb commit: record that, so
		# govulncheck prints it and the scan can refuse a stale database.
		printf '{"modified":"%s"}\n' "$when" >"$db.tmp/db/index/db.json"
		rm -rf "$db" "$db.bin"
		mv "$db.tmp" "$db"
	fi
	mkdir -p "$BIN_DIR"
	ln -sfn "$sc/staticcheck" "$BIN_DIR/staticcheck"
	ln -sfn "$gv/govulncheck" "$BIN_DIR/govulncheck"
	ln -sfn "$db/db" "$TOOLS_DIR/vulndb"
}

install_promtool3() {
	# remove_all_sd: Prometheus's own build tag that leaves out its service
	# discovery plugins (AWS, Azure, GCE and the rest; Kubernetes stays, as
	# promtool imports it itself): promtool3 only checks and tests rules
	# here. Half the cold build (docs/benchmarks.md).
	local dir="$TOOLS_DIR/promtool-$PROMTOOL_VERSION-nosd"
	if [ ! -x "$dir/promtool" ]; then
		log "building promtool 3.x (prometheus $PROMTOOL_VERSION, -tags remove_all_sd) into $dir"
		build_tool "$dir" tools/promtool -tags remove_all_sd github.com/prometheus/prometheus/cmd/promtool
	fi
	mkdir -p "$BIN_DIR"
	ln -sfn "$dir/promtool" "$BIN_DIR/promtool3"
}

# AWS_PROVIDER_DIR is the mirror of this build: keyed by the module version
# and by everything else the build reads from the repository (the module's
# go.mod and go.sum, the trim program, the types it keeps), so a change to
# any of them builds again. internal/testenv asks for it with aws-provider-dir.
AWS_PROVIDER_DIR="$TOOLS_DIR/terraform-provider-aws-$AWS_PROVIDER_MODULE_VERSION-$(cd "$ROOT/tools/terraform-provider-aws" && cat go.mod go.sum trim/*.go resources.txt | sha256sum | cut -c1-12)"

# install_aws_provider builds the provider into the filesystem-mirror layout
# terraform reads (registry.terraform.io/hashicorp/aws/<version>/linux_amd64/),
# from a copy of its source that registers only the resource types
# terraform/aws uses and compiles only their services
# (tools/terraform-provider-aws/trim and resources.txt; the other ~260
# services and their AWS SDK clients were most of a 37-minute build, and the
# unused WAFv2 rule resources most of an 8 MB schema every terraform command
# loads).
install_aws_provider() {
	local dir="$AWS_PROVIDER_DIR"
	local rel="registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/$(go env GOOS)_$(go env GOARCH)"
	local bin="terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5"
	if [ -x "$dir/$rel/$bin" ]; then
		return 0
	fi
	# Two runs at once (make test in two clones, or a test beside make tools)
	# would each wipe the other's half-built mirror: the second waits for the
	# first, then finds the provider built.
	mkdir -p "$TOOLS_DIR"
	exec 9>"$dir.lock"
	if ! flock -n 9; then
		log "another run is building hashicorp/aws; waiting for it"
		flock 9
	fi
	if [ -x "$dir/$rel/$bin" ]; then
		return 0
	fi
	# terraform/aws/.terraform.lock.hcl holds this build's h1: hash, so the
	# binary must come out the same on every machine: the module versions
	# (go.sum), the Go toolchain (GOTOOLCHAIN above), -trimpath (no local
	# paths), a relative replace directive and the settings below are pinned
	# here, not taken from the caller's environment. The provider links with
	# cgo (net, os/user), so the C toolchain counts too: the lock's hash is of
	# a build with Debian 12's gcc 12.2.0 and glibc 2.36. Without a C compiler
	# go would quietly build without cgo, another binary: stop instead.
	if ! command -v gcc >/dev/null; then
		log "hashicorp/aws links with cgo and this machine has no gcc: install it (apt-get install gcc; the hash in terraform/aws/.terraform.lock.hcl is of a build with Debian 12's gcc 12.2.0)"
		exit 1
	fi
	log "building hashicorp/aws $AWS_PROVIDER_VERSION ($AWS_PROVIDER_MODULE_VERSION, the types terraform/aws uses) into $dir with $(gcc --version | head -n 1)"
	local tmp="$dir.tmp" src
	rm -rf "$tmp"
	mkdir -p "$tmp/$rel" "$tmp/build"
	src="$(cd "$ROOT/tools/terraform-provider-aws" && GOFLAGS=-mod=readonly go mod download -json github.com/hashicorp/terraform-provider-aws | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
	[ -d "$src" ] || { log "go mod download gave no source directory for github.com/hashicorp/terraform-provider-aws"; exit 1; }
	# go build will not -overlay files in GOMODCACHE: trim a copy, and build
	# it through a replace directive in a copy of the tools module.
	cp -r "$src" "$tmp/build/provider"
	chmod -R u+w "$tmp/build/provider"
	cp "$ROOT/tools/terraform-provider-aws/go.mod" "$ROOT/tools/terraform-provider-aws/go.sum" "$tmp/build/"
	(cd "$ROOT/tools/terraform-provider-aws" && GOFLAGS=-mod=readonly go run ./trim -module "$tmp/build/provider" -types resources.txt)
	(
		cd "$tmp/build"
		go mod edit -replace github.com/hashicorp/terraform-provider-aws=./provider
		CGO_ENABLED=1 CC=gcc CGO_CFLAGS="-O2 -g" CGO_CPPFLAGS="" CGO_LDFLAGS="-O2 -g" GOAMD64=v1 GOEXPERIMENT="" \
			GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false \
			-ldflags="-s -w -X github.com/hashicorp/terraform-provider-aws/version.ProviderVersion=$AWS_PROVIDER_VERSION" \
			-o "$tmp/$rel/$bin" github.com/hashicorp/terraform-provider-aws
	)
	rm -rf "$tmp/build" "$dir"
	mv "$tmp" "$dir"
	log "hashicorp/aws provider mirror ready in $dir"
	check_aws_provider_lock "$dir" "$rel" "$bin"
}

# check_aws_provider_lock compares the build's h1: hash (terraform's dirhash:
# the SHA-256 of "<sha256>  <file>\n" over the package directory's one file)
# with terraform/aws/.terraform.lock.hcl, so a build that differs (the
# provider links with cgo: another C toolchain may change it) is named here
# instead of failing terraform init later.
check_aws_provider_lock() {
	local mirror="$1" rel="$2" bin="$3" lock="$ROOT/terraform/aws/.terraform.lock.hcl" h1
	h1="h1:$(printf '%s  %s\n' "$(sha256sum "$mirror/$rel/$bin" | cut -d' ' -f1)" "$bin" | openssl dgst -sha256 -binary | base64)"
	if grep -qF "\"$h1\"" "$lock"; then
		log "hashicorp/aws build matches terraform/aws/.terraform.lock.hcl ($h1)"
	else
		log "WARNING: this hashicorp/aws build ($h1, $(gcc --version | head -n 1)) is not in terraform/aws/.terraform.lock.hcl (a build with Debian 12's gcc 12.2.0 and glibc 2.36): terraform init will refuse it. Add it: cd terraform/aws && terraform providers lock -fs-mirror=$mirror -platform=linux_amd64 hashicorp/aws (see terraform/aws/README.md, Provider), and commit the lock file"
	fi
}

case "${1:-all}" in
prometheus) install_prometheus ;;
browser) install_browser ;;
terraform) install_terraform ;;
moto) install_moto ;;
envtest) install_envtest ;;
envtest-dir) echo "$ENVTEST_DIR" ;;
lint) install_lint ;;
promtool3) install_promtool3 ;;
aws-provider) install_aws_provider ;;
aws-provider-dir) echo "$AWS_PROVIDER_DIR" ;;
all)
	install_prometheus
	install_browser
	install_terraform
	install_moto
	install_envtest
	install_lint
	install_promtool3
	install_aws_provider
	;;
*)
	echo "usage: $0 [prometheus|browser|terraform|moto|envtest|envtest-dir|lint|promtool3|aws-provider|aws-provider-dir|all]" >&2
	exit 2
	;;
esac
