#!/usr/bin/env bash
# Installs the real components the tests run against, once per machine.
#
#   scripts/install-tools.sh [prometheus|terraform|moto|envtest|all]
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
#
# Prints nothing but progress on stderr; exits non-zero on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${VIGIL_TOOLS_DIR:-$HOME/.cache/vigil/tools}"
KUBE_VERSION="v1.37.1"
ENVTEST_DIR="$TOOLS_DIR/envtest-$KUBE_VERSION"

log() { echo "install-tools: $*" >&2; }

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

case "${1:-all}" in
prometheus) install_prometheus ;;
terraform) install_terraform ;;
moto) install_moto ;;
envtest) install_envtest ;;
envtest-dir) echo "$ENVTEST_DIR" ;;
all)
	install_prometheus
	install_terraform
	install_moto
	install_envtest
	;;
*)
	echo "usage: $0 [prometheus|terraform|moto|envtest|envtest-dir|all]" >&2
	exit 2
	;;
esac
