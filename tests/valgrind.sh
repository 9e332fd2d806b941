#!/bin/sh
# Memcheck: every unit test, and real task files in every mode and of every
# task kind, under valgrind. Any memory error or definite/indirect leak fails.
# Run from a build without sanitizers:  sh tests/valgrind.sh  (or make
# check-valgrind). VALGRIND_LOGS=DIR keeps the logs there.
set -u
top_builddir=${abs_top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
ASYNCDEMO=${ASYNCDEMO:-$top_builddir/src/asyncdemo}
export NO_COLOR=1

command -v valgrind > /dev/null || { echo "valgrind not found" >&2; exit 77; }
if nm "$ASYNCDEMO" 2>/dev/null | grep -q __asan_init; then
	echo "$ASYNCDEMO is built with ASan: valgrind needs a plain build" >&2
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncdemo-valgrind.XXXXXX")
logs=${VALGRIND_LOGS:-$tmp/logs}
mkdir -p "$logs"
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

failed=0
ran=0
vg() {
	name=$1
	shift
	ran=$((ran + 1))
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    --show-leak-kinds=definite,indirect --error-exitcode=99 \
	    --track-origins=yes --log-file="$logs/$name.log" "$@" \
	    > "$logs/$name.out" 2>&1
	rc=$?
	if [ $rc -eq 99 ] || [ -s "$logs/$name.log" ]; then
		echo "FAIL: $name (exit $rc)"
		sed 's/^/    /' "$logs/$name.log" | head -60
		failed=$((failed + 1))
	else
		echo "ok: $name (exit $rc)"
	fi
}

# Unit tests (cmocka forks nothing; each is one process). A timing assertion
# can fail under valgrind's slowdown, and cmocka then leaks the test's
# fixture: such a test gets a second try, and the first is reported.
for t in "$top_builddir"/tests/unit/test_*; do
	case $t in *.c | *.o | *.log | *.trs) continue ;; esac
	[ -x "$t" ] || continue
	name=unit-$(basename "$t")
	vg "$name" "$t"
	if [ $rc -ne 0 ] && grep -q 'FAILED' "$logs/$name.out"; then
		echo "    (a test failed under valgrind: $(grep -m1 'ERROR' "$logs/$name.out"); trying again)"
		failed=$((failed - 1))
		vg "$name-again" "$t"
	fi
done

# The demo server, itself under valgrind, stopped with SIGTERM at the end.
valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=99 \
    --log-file="$logs/serve.log" \
    "$ASYNCDEMO" --serve 127.0.0.1:0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
server_pid=$!
i=0
while ! grep -q '^listening on' "$tmp/serve.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 300 ] && { echo "FAIL: demo server did not start"; exit 1; }
	sleep 0.1
done
base=$(sed -n 's/^listening on \(http:[^ ]*\)\/$/\1/p' "$tmp/serve.out" | head -1)

cp "$top_srcdir/conf/textfile1.txt" "$top_srcdir/conf/textfile2.txt" "$tmp/"
cat > "$tmp/all.yaml" <<YAML
workers: [One, Two]
defaults:
  timeout: 5s
  preview: 20
tasks:
  - delay: 0.1
  - factorial: 50
  - factorial: 2000
    yield_every: 3
  - file: textfile1.txt
  - file: missing.txt
  - url: $base/bytes/5000
  - url: $base/delay/0.2
  - url: $base/status/404
  - url: $base/redirect/2
  - url: $base/lines/30
  - url: http://127.0.0.1:1/
  - file: textfile2.txt
  - tcp: ${base#http://}
  - tcp: ${base#http://}
    send: "GET /lines/3 HTTP/1.0\r\n\r\n"
    expect: {body: "200 OK"}
  - tcp: 127.0.0.1:1
  - delay: 0.05
YAML
for m in sync cooperative threads async; do
	vg "run-$m" "$ASYNCDEMO" -q -m $m -c "$tmp/all.yaml" -o "$tmp/$m.jsonl"
	vg "run-$m-json" "$ASYNCDEMO" -j -v -m $m -c "$tmp/all.yaml"
done
vg "run-async-timeline" "$ASYNCDEMO" -q --timeline -c "$tmp/all.yaml" \
    --timeline-svg "$tmp/t.svg" --trace "$tmp/t.json"
vg "run-interval" "$ASYNCDEMO" -q -c "$tmp/all.yaml" --interval 1s --runs 2
vg "plan" "$ASYNCDEMO" -n -c "$tmp/all.yaml"
vg "plan-examples" "$ASYNCDEMO" -n -c "$top_srcdir/conf/example_7.yaml"
printf 'taks:\n  - delay: 1\nworkers: [a, a]\nx: &a [*a]\n' > "$tmp/bad.yaml"
vg "invalid-file" "$ASYNCDEMO" -n -c "$tmp/bad.yaml"
vg "missing-file" "$ASYNCDEMO" -n -c "$tmp/nothing.yaml"
vg "usage" "$ASYNCDEMO" --no-such-option

kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
ran=$((ran + 1))
if [ $rc -eq 99 ] || [ -s "$logs/serve.log" ]; then
	echo "FAIL: serve (exit $rc)"
	sed 's/^/    /' "$logs/serve.log" | head -60
	failed=$((failed + 1))
else
	echo "ok: serve (exit $rc)"
fi

echo "valgrind: $ran runs, $failed with errors or leaks (logs: $logs)"
[ $failed -eq 0 ]
