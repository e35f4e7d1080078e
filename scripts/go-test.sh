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
# go test would: its environment plus PWD, GOROOT and the toolchain's bin
# first on PATH, -test.paniconexit0, -test.timeout (45m unless given) under
# a watchdog that sends SIGQUIT a minute after it, one line per passing
# package, the whole output of a failing one (of every one with -test.v).
# A binary is only ever reused when go itself finds it up to date. Two make
# tests at once (two clones) take turns: the directory is locked from the
# build to the last test.
#
# Unlike go test, a process a test leaves running is not reported (go test
# fails a package whose leftover child still holds its output). Needs bash
# 4, GNU date and xargs, flock and timeout (Debian's coreutils, util-linux).
#
# usage: scripts/go-test.sh PACKAGES...   (go list patterns, in the order
# to start them)
# environment:
#   GO                 the go command (default go)
#   TEST_BUILD_FLAGS   flags of the build (default -race)
#   TEST_RUN_FLAGS     flags of each test binary (default -test.count=1)
#   TEST_P             how many packages build and run at once (default 4)
#   TEST_BIN           where the binaries are kept (default
#                      $XDG_CACHE_HOME/vigil/testbin/MODULE; make test's
#                      take about 4 GB). Binaries of removed packages stay
#                      until the directory is deleted.
set -euo pipefail

# Each package's run, when xargs calls this script back: PKG DIR BINARY.
if [ "${1:-}" = --run-one ]; then
	shift
	pkg=$1 dir=$2 bin=$3
	log=$(mktemp)
	rc=0
	verbose=0
	case " $TEST_RUN_FLAGS " in *" -test.v"* | *" -test.bench"*) verbose=1 ;; esac
	timeout=45m
	for f in $TEST_RUN_FLAGS; do
		case $f in -test.timeout=*) timeout=${f#-test.timeout=} ;; esac
	done
	start=$(date +%s%N)
	if [ "$bin" = - ]; then
		printf '?   \t%s\t[no test files]\n' "$pkg" >"$log"
	elif [ ! -x "$bin" ]; then
		printf 'FAIL\t%s [build failed]\n' "$pkg" >"$log"
		rc=1
	else
		# go test's watchdog: SIGQUIT (a stack dump) a minute after the
		# binary's own timeout, SIGKILL a minute after that. Go durations
		# of h, m and s (45m, 1h30m); anything else, or 0 (no timeout),
		# gets no watchdog, as under go test.
		secs=0 rest=$timeout
		while [[ $rest =~ ^([0-9]+)([hms])(.*)$ ]]; do
			case ${BASH_REMATCH[2]} in h) secs=$((secs + BASH_REMATCH[1] * 3600)) ;; m) secs=$((secs + BASH_REMATCH[1] * 60)) ;; s) secs=$((secs + BASH_REMATCH[1])) ;; esac
			rest=${BASH_REMATCH[3]}
		done
		watchdog=0
		[ -n "$rest" ] || [ $secs -eq 0 ] || watchdog=$((secs + 60))s
		# shellcheck disable=SC2086 # TEST_RUN_FLAGS is a word list
		(cd "$dir" && exec env -u GOTEST_GOROOT_BIN -u GOTEST_BIN PWD="$dir" GOROOT="${GOTEST_GOROOT_BIN%/bin}" PATH="$GOTEST_GOROOT_BIN:$PATH" \
			timeout -s QUIT -k 1m "$watchdog" "$bin" -test.paniconexit0 -test.timeout="$timeout" $TEST_RUN_FLAGS) >"$log" 2>&1 || rc=$?
	fi
	elapsed=$((($(date +%s%N) - start) / 1000000))
	{
		flock 9
		if [ "$bin" = - ]; then
			cat "$log"
		elif [ $rc -eq 0 ]; then
			[ $verbose -eq 0 ] || cat "$log"
			printf 'ok  \t%s\t%d.%03ds\n' "$pkg" $((elapsed / 1000)) $((elapsed % 1000))
		else
			cat "$log"
			[ $rc -eq 1 ] || printf '(exit status %d%s)\n' "$rc" "$([ $rc -eq 124 ] && echo ": timed out, killed by the watchdog")"
			[ ! -x "$bin" ] || printf 'FAIL\t%s\t%d.%03ds\n' "$pkg" $((elapsed / 1000)) $((elapsed % 1000))
		fi
	} 9>>"$GOTEST_BIN/.print.lock"
	rm -f "$log"
	# Never 255: xargs stops starting packages when one exits 255 (as
	# klog.Fatal does).
	[ $rc -eq 0 ] || exit 1
	exit 0
fi

GO=${GO:-go}
TEST_BUILD_FLAGS=${TEST_BUILD_FLAGS--race}
TEST_RUN_FLAGS=${TEST_RUN_FLAGS:--test.count=1}
TEST_P=${TEST_P:-4}
TEST_BIN=${TEST_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/testbin/$("$GO" list -m | tr / _)}

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
# go's work directory on the binaries' file system, so a binary is renamed
# into place, never copied: a copy cut short (Ctrl-C, a CI timeout) would
# keep its build ID and pass as up to date ever after.
mkdir -p "$TEST_BIN/.tmp"
export GOTMPDIR="$TEST_BIN/.tmp"

# One line per package: import path, directory, and whether it has tests
# under the build's flags (-race and -tags choose test files too). go list
# keeps the order of its arguments and lists each package once.
# shellcheck disable=SC2086 # TEST_BUILD_FLAGS is a word list
list=$("$GO" list $TEST_BUILD_FLAGS -f '{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\t"}}{{if or .TestGoFiles .XTestGoFiles}}test{{else}}none{{end}}' "$@")

# `go test -c -o DIR/` names each binary after the package's last path
# element (the one before a /vN suffix) and refuses two of one name in one
# call: packages are spread over batches, batch N holding the Nth package
# of a name in the main module's sorted package list, so that a package's
# binary has the same path whatever packages a run names.
binary_name() {
	local pkg=$1 base=${1##*/}
	if [[ $base =~ ^v[0-9]+$ && $pkg == */*/* ]]; then
		base=${pkg%/*}
		base=${base##*/}
	fi
	printf '%s' "$base"
}
declare -A count=() batch_of=()
# shellcheck disable=SC2086
while read -r pkg; do
	base=$(binary_name "$pkg")
	batch_of[$pkg]=${count[$base]:-0}
	count[$base]=$((${count[$base]:-0} + 1))
done < <("$GO" list $TEST_BUILD_FLAGS -f '{{.ImportPath}}' "$("$GO" list -m)/..." | LC_ALL=C sort)
declare -a batches=()
plan=()
while IFS=$'\t' read -r pkg dir kind; do
	if [ "$kind" = none ]; then
		plan+=("$pkg" "$dir" -)
		continue
	fi
	n=${batch_of[$pkg]:-0}
	batches[n]+=" $pkg"
	plan+=("$pkg" "$dir" "$TEST_BIN/$n/$(binary_name "$pkg").test")
done <<<"$list"

build_failed=0
for n in "${!batches[@]}"; do
	mkdir -p "$TEST_BIN/$n"
	# shellcheck disable=SC2086 # flags and packages are word lists
	if "$GO" test $TEST_BUILD_FLAGS -p "$TEST_P" -c -o "$TEST_BIN/$n/" ${batches[n]}; then
		continue
	fi
	build_failed=1
	# Which packages failed is not in go's exit status, and each one's
	# binary of an earlier run is still there: build them one by one (the
	# others are up to date) and remove what does not build, so that no
	# old binary runs in its place.
	for pkg in ${batches[n]}; do
		for i in $(seq 0 3 $((${#plan[@]} - 1))); do
			[ "${plan[i]}" = "$pkg" ] || continue
			# shellcheck disable=SC2086
			"$GO" test $TEST_BUILD_FLAGS -c -o "${plan[i + 2]}" "$pkg" >/dev/null 2>&1 || rm -f "${plan[i + 2]}"
		done
	done
done

export GOTEST_GOROOT_BIN GOTEST_BIN="$TEST_BIN" TEST_RUN_FLAGS
GOTEST_GOROOT_BIN=$("$GO" env GOROOT)/bin
# xargs exits 123 when any package failed. 8>&-: the lock stays this
# script's, never a process a test leaves behind.
run_failed=0
printf '%s\0' "${plan[@]}" | xargs -0 -P "$TEST_P" -n 3 "$0" --run-one 8>&- || run_failed=1

if [ $build_failed -ne 0 ] || [ $run_failed -ne 0 ]; then
	echo FAIL
	exit 1
fi
