#!/usr/bin/env bash
# Installs the real components the tests run against, once per machine.
#
#   scripts/install-tools.sh [prometheus|envtest|all]
#
# - prometheus: Debian's prometheus, promtool, prometheus-alertmanager, amtool.
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
envtest) install_envtest ;;
envtest-dir) echo "$ENVTEST_DIR" ;;
all)
	install_prometheus
	install_envtest
	;;
*)
	echo "usage: $0 [prometheus|envtest|envtest-dir|all]" >&2
	exit 2
	;;
esac
