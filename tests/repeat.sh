#!/bin/sh
# Run make check N times in a row, to catch a test that fails only now
# and then (a timing it guessed, a race in the program):
#
#   sh tests/repeat.sh N [BUILDDIR]
#
# BUILDDIR is the configured build folder (default: the current one); the
# script may be run from anywhere. MAKE is the make to use (default make),
# MAKEFLAGS pass as usual (e.g. MAKEFLAGS=-j2); from a Makefile rule, give
# MAKE='$(MAKE)' so that the jobserver carries on. Each run's output goes to
# BUILDDIR/repeat.out. It stops at the first run that fails and keeps that
# run's test-suite.log as BUILDDIR/test-suite-run-K.log (K its number).
# The last line says how many passed: "repeat: 20 of 20 passed". Exit 0
# when all passed, 1 when one failed, 64 on a usage error.
set -u

usage() {
	echo "usage: sh tests/repeat.sh N [BUILDDIR]" >&2
	exit 64
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
n=$1
case $n in
'' | *[!0-9]*) usage ;;
esac
[ "$n" -ge 1 ] || usage
dir=${2:-.}
[ -f "$dir/Makefile" ] || {
	echo "repeat: $dir has no Makefile: give the build folder" >&2
	exit 64
}
dir=$(cd "$dir" && pwd)
make=${MAKE:-make}

k=1
while [ "$k" -le "$n" ]; do
	start=$(date +%s)
	"$make" -C "$dir" check > "$dir/repeat.out" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	if [ "$rc" -ne 0 ]; then
		log="$dir/test-suite-run-$k.log"
		if [ -f "$dir/test-suite.log" ]; then
			cp "$dir/test-suite.log" "$log"
		else
			cp "$dir/repeat.out" "$log"
		fi
		grep -E '^(FAIL|ERROR|XPASS):' "$dir/repeat.out" | sed 's/^/repeat:   /'
		echo "repeat: run $k failed after $took s (make exit $rc); its log is $log"
		echo "repeat: $((k - 1)) of $n passed"
		exit 1
	fi
	echo "repeat: run $k passed in $took s"
	k=$((k + 1))
done
echo "repeat: $n of $n passed"
exit 0
