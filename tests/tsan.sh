#!/bin/sh
# ThreadSanitizer: the unit tests with threads (runs, factorials and their
# pool, fetches), tests/integration/stops.sh, threads-mode runs with
# shutdown_timeout: 0 stopped by SIGTERM while every worker is busy, and
# exec and tcp checks on worker threads. Any report fails. Run in a build
# folder configured with CC=clang --enable-tsan: sh ../tests/tsan.sh (or
# make check-tsan).
set -u
top_builddir=${abs_top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
ASYNCDEMO=${ASYNCDEMO:-$top_builddir/src/asyncdemo}
export top_srcdir abs_top_builddir=$top_builddir ASYNCDEMO NO_COLOR=1
# Suppressions are only for the libraries, which are not instrumented.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66"
TSAN_OPTIONS="$TSAN_OPTIONS suppressions=$top_srcdir/tests/tsan.supp"
export TSAN_OPTIONS

if ! nm "$ASYNCDEMO" 2>/dev/null | grep -q __tsan_init; then
	echo "$ASYNCDEMO is not built with ThreadSanitizer (--enable-tsan)" >&2
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncdemo-tsan.XXXXXX")
pid=
trap '[ -z "$pid" ] || kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*" >&2
	failed=1
}

for t in test_run test_factorial test_fetch; do
	if "$top_builddir/tests/unit/$t" > "$tmp/$t.out" 2>&1; then
		echo "ok: tests/unit/$t"
	else
		cat "$tmp/$t.out" >&2
		fail "tests/unit/$t"
	fi
done

if bash "$top_srcdir/tests/integration/stops.sh" > "$tmp/stops.out" 2>&1; then
	echo "ok: tests/integration/stops.sh"
else
	cat "$tmp/stops.out" >&2
	fail "tests/integration/stops.sh"
fi

# Four busy threads (factorials, blocking delays, a file) and tasks still
# queued: SIGTERM with no grace cancels them at once, exit 1, no report.
{
	printf 'mode: threads\nworkers: 4\nshutdown_timeout: 0\ntasks:\n'
	i=0
	while [ $i -lt 20 ]; do
		printf '  - factorial: 300000\n  - delay: 0.002\n'
		printf '  - delay: 30\n  - file: /dev/zero\n  - delay: 0.001\n'
		i=$((i + 1))
	done
} > "$tmp/stop.yaml"
for round in 1 2 3 4 5; do
	"$ASYNCDEMO" -j -c "$tmp/stop.yaml" > "$tmp/out.jsonl" 2> "$tmp/err" &
	pid=$!
	i=0
	while [ $i -lt 300 ] && [ "$(grep -c '"event":"task_start"' \
	    "$tmp/out.jsonl")" -lt $((round + 3)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -TERM $pid
	wait $pid
	rc=$?
	pid=
	if [ $rc -ne 1 ] || grep -q ThreadSanitizer "$tmp/err"; then
		cat "$tmp/err" >&2
		fail "threads, shutdown_timeout 0, SIGTERM (round $round): exit $rc"
	else
		echo "ok: threads, shutdown_timeout 0, SIGTERM (round $round)"
	fi
done

# Checks on worker threads: commands (spawned, read, reaped on each
# thread) and tcp checks (a refused port, so the run exits 1).
{
	printf 'mode: threads\nworkers: 4\ntasks:\n'
	i=0
	while [ $i -lt 10 ]; do
		printf '  - exec: "echo hi; echo err >&2"\n  - exec: [true]\n'
		printf '  - tcp: 127.0.0.1:1\n'
		i=$((i + 1))
	done
} > "$tmp/checks.yaml"
"$ASYNCDEMO" -j -c "$tmp/checks.yaml" > "$tmp/out.jsonl" 2> "$tmp/err"
rc=$?
ok=$(grep -c '"ok":true' "$tmp/out.jsonl")
if [ $rc -ne 1 ] || [ "$ok" -ne 20 ] || grep -q ThreadSanitizer "$tmp/err"; then
	cat "$tmp/err" >&2
	fail "threads, exec and tcp checks: exit $rc, $ok ok"
else
	echo "ok: threads, exec and tcp checks"
fi

exit $failed
