#!/usr/bin/env bash
# go test for make test, with the linked test binaries kept between runs.
#
# `go test` links every package's test binary again on each run and keeps
# none (golang/go#49267, proposal golang/go#77349): with -race and Vigil's
# dependencies that was about 250 CPU-seconds of every warm make test
# (docs/benchmarks.md, "make test's time"). `go test -c -o DIR/` links a
# binary only when DIR holds none with the same build ID (the hash of
# everything it is built from), so this keeps the binaries in one cache
# directory, builds them there, and runs each in its package directory as
# go test would: its environment plus PWD and the toolchain's bin first on
# PATH, -test.paniconexit0, one line per passing package, the whole output
# of a failing one. A binary is only ever reused when go itself finds it up
# to date. Two make tests at once (two clones) take turns: the directory is
# locked from the build to the last test.
#
# usage: scripts/go-test.sh PACKAGES...   (go list patterns, in the order
# to start them)
# environment:
#   GO                 the go command (default go)
#   TEST_BUILD_FLAGS   flags of the build (default -race)
#   TEST_RUN_FLAGS     flags of each test binary (default
#                      -test.count=1 -test.timeout=45m)
#   TEST_P             how many packages run at once (default 4)
#   TEST_BIN           where the binaries are kept (default
#                      $XDG_CACHE_HOME/vigil/testbin, about 4 GB)
set -euo pipefail

GO=${GO:-go}
TEST_BUILD_FLAGS=${TEST_BUILD_FLAGS--race}
TEST_RUN_FLAGS=${TEST_RUN_FLAGS:--test.count=1 -test.timeout=45m}
TEST_P=${TEST_P:-4}
TEST_BIN=${TEST_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/testbin}

if [ $# -eq 0 ]; then
	echo "usage: $0 PACKAGES..." >&2
	exit 2
fi
mkdir -p "$TEST_BIN"
TEST_BIN=$(cd "$TEST_BIN" && pwd)
exec 8>"$TEST_BIN/.lock"
if ! flock -n 8; then
	echo "waiting for another make test, which uses the test binaries in $TEST_BIN" >&2
	flock 8
fi
GOROOT_BIN=$("$GO" env GOROOT)/bin

# One line per package: import path, directory, and whether it has tests.
# go list keeps the order of its arguments and lists each package once.
list=$("$GO" list -f '{{.ImportPath}} {{.Dir}} {{if or .TestGoFiles .XTestGoFiles}}test{{else}}none{{end}}' "$@")

# `go test -c -o DIR/` names each binary after the package's last path
# element and refuses two of one name in one call: packages are spread over
# as few calls as their names allow (batch N holds the Nth package of a
# name).
declare -A seen=()
declare -a batches=()
plan=""
while read -r pkg dir kind; do
	base=${pkg##*/}
	if [ "$kind" = none ]; then
		plan+="$pkg $dir -"$'\n'
		continue
	fi
	n=${seen[$base]:-0}
	seen[$base]=$((n + 1))
	batches[n]+=" $pkg"
	plan+="$pkg $dir $TEST_BIN/$n/$base.test"$'\n'
done <<<"$list"

build_failed=0
for n in "${!batches[@]}"; do
	mkdir -p "$TEST_BIN/$n"
	# shellcheck disable=SC2086 # flags and packages are word lists
	if "$GO" test $TEST_BUILD_FLAGS -c -o "$TEST_BIN/$n/" ${batches[n]}; then
		continue
	fi
	build_failed=1
	# Which packages failed is not in go's exit status, and each one's
	# binary of an earlier run is still there: build them one by one (the
	# others are up to date) and remove what does not build, so that no
	# old binary runs in its place.
	for pkg in ${batches[n]}; do
		out="$TEST_BIN/$n/${pkg##*/}.test"
		# shellcheck disable=SC2086
		"$GO" test $TEST_BUILD_FLAGS -c -o "$out" "$pkg" >/dev/null 2>&1 || rm -f "$out"
	done
done

# run_one PKG DIR BINARY: run one package's tests, print its result whole.
run_one() {
	local pkg=$1 dir=$2 bin=$3 log rc=0 start elapsed
	if [ "$bin" = - ]; then
		printf '?   \t%s\t[no test files]\n' "$pkg"
		return 0
	fi
	if [ ! -x "$bin" ]; then
		printf 'FAIL\t%s [build failed]\n' "$pkg"
		return 1
	fi
	log=$(mktemp)
	start=$(date +%s%N)
	# shellcheck disable=SC2086 # TEST_RUN_FLAGS is a word list
	(cd "$dir" && PWD=$dir PATH="$GOROOT_BIN:$PATH" "$bin" -test.paniconexit0 $TEST_RUN_FLAGS) >"$log" 2>&1 || rc=$?
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	{
		flock 9
		if [ $rc -eq 0 ]; then
			printf 'ok  \t%s\t%d.%03ds\n' "$pkg" $((elapsed / 1000)) $((elapsed % 1000))
		else
			cat "$log"
			printf 'FAIL\t%s\t%d.%03ds\n' "$pkg" $((elapsed / 1000)) $((elapsed % 1000))
		fi
	} 9>>"$TEST_BIN/.print.lock"
	rm -f "$log"
	return $rc
}
export -f run_one
export GOROOT_BIN TEST_RUN_FLAGS TEST_BIN

# xargs exits 123 when any run_one failed.
run_failed=0
# 8>&-: the lock stays this script's, never a process a test leaves behind.
printf '%s' "$plan" | xargs -P "$TEST_P" -L 1 bash -c 'run_one "$@"' _ 8>&- || run_failed=1

if [ $build_failed -ne 0 ] || [ $run_failed -ne 0 ]; then
	echo FAIL
	exit 1
fi
