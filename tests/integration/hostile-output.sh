#!/bin/bash
# Output never blocks the loop, and lost output is an error (74). A reader
# that stops reading stdout (or a results FIFO) leaves /status answering
# and the runs going, lines beyond 16 MiB are dropped and counted, and
# SIGTERM still stops the daemon; a second one cuts the last drain short.
# A reader that goes away (| head -1) ends the run; stdout on /dev/full or
# closed exits 74 with a message, and a closed stdout is not taken by the
# log file.
. "$(dirname "$0")/lib.sh"

cleanup_hooks="$cleanup_hooks kill_daemon stop_readers"
stop_readers() {
	for p in ${reader:-} ${sleeper:-}; do kill "$p" 2>/dev/null; done
	return 0
}

# Runs with two 77,000-digit factorials: 16 MiB of JSON in about 100 runs.
cat > "$tmp/big.yaml" <<YAML
workers: 2
tasks:
  - factorial: 20000
  - factorial: 20001
  - delay: 0.001
YAML

# A free loopback port, from the demo server's own choice.
start_server
port=${base_url##*:}
stop_server

# start_stalled WHAT: the daemon, its stdout into a pipe nobody reads; its
# pid in $pid, its exit status in $tmp/rc when it ends.
start_stalled() {
	rm -f "$tmp/rc" "$tmp/pid"
	( sh -c 'echo $$ > "$1/pid"; shift; exec "$@"' sh "$tmp" "$ASYNCDEMO" -j \
	    --interval 0.01 --status "127.0.0.1:$port" -c "$tmp/big.yaml" \
	    2> "$tmp/err"; echo $? > "$tmp/rc" ) | sleep 600 &
	sleeper=$!
	wait_for 10 test -s "$tmp/pid" || fail "$1: the daemon did not start"
	pid=$(cat "$tmp/pid")
}
run_of() { # the run number /status gives, within 2 s
	curl -s -m 2 "http://127.0.0.1:$port/status" | jq -r .run
}
grew() { [ "$(run_of)" -gt "$1" ] 2>/dev/null; }

start_stalled "stalled stdout"
wait_for 60 grep -q 'stdout: the reader is not keeping up' "$tmp/err" ||
    fail "no drop was said: $(tail -3 "$tmp/err")"
r=$(run_of)
[ -n "$r" ] && [ "$r" -gt 0 ] || fail "/status does not answer while stdout is stalled"
wait_for 30 grew "$r" || fail "the runs stopped while stdout is stalled (run $r)"
pass "a stalled stdout: /status answers and the runs go on (run $r, then $(run_of))"
kill -TERM "$pid"
wait_for 30 test -s "$tmp/rc" || fail "SIGTERM did not stop it: $(tail -3 "$tmp/err")"
expect "a stalled stdout: exit 74" "$(cat "$tmp/rc")" 74
grep -q '^asyncdemo: stdout: [0-9]* lines were not written$' "$tmp/err" ||
    fail "the lost lines were not counted: $(grep -v longer "$tmp/err" | tail -3)"
grep -q '^asyncdemo: [0-9]* lines of output could not be written: exit 74$' "$tmp/err" ||
    fail "no final word: $(tail -2 "$tmp/err")"
pass "a stalled stdout: '$(grep 'lines were not written' "$tmp/err")'"
kill "$sleeper"

# A second SIGTERM ends the drain at the end at once (it would wait 5 s).
start_stalled "second signal"
wait_for 60 grep -q 'stdout: the reader is not keeping up' "$tmp/err" ||
    fail "second signal: no drop was said"
kill -TERM "$pid"
wait_for 10 grep -q 'Terminated: stopping' "$tmp/err" || fail "second signal: no stop"
t0=$(date +%s.%N)
kill -TERM "$pid"
wait_for 30 test -s "$tmp/rc" || fail "two SIGTERMs did not stop it"
t1=$(date +%s.%N)
expect "a second SIGTERM: exit 74" "$(cat "$tmp/rc")" 74
# The drain would wait 5 s for the reader; the signal ends it at once.
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 4) }' ||
    fail "a second SIGTERM: it took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s to stop"
pass "two SIGTERMs stop a daemon whose stdout is stalled, at once"
kill "$sleeper"

# The same with stderr in the stalled pipe too (2>&1): diagnostics never
# block either.
rm -f "$tmp/rc" "$tmp/pid"
( sh -c 'echo $$ > "$1/pid"; shift; exec "$@"' sh "$tmp" "$ASYNCDEMO" -j \
    --interval 0.01 --status "127.0.0.1:$port" -c "$tmp/big.yaml" 2>&1;
    echo $? > "$tmp/rc" ) | sleep 600 &
sleeper=$!
wait_for 10 test -s "$tmp/pid" || fail "2>&1: the daemon did not start"
pid=$(cat "$tmp/pid")
wait_for 30 grew 20 ||
    fail "2>&1: /status does not answer, or the runs stopped (run $(run_of))"
r=$(run_of)
wait_for 30 grew "$r" || fail "2>&1: the runs stopped"
kill -TERM "$pid"
wait_for 30 test -s "$tmp/rc" || fail "2>&1: SIGTERM did not stop it"
expect "stdout and stderr stalled: exit 74" "$(cat "$tmp/rc")" 74
kill "$sleeper"
pass "stdout and stderr in one stalled pipe: /status answers (run $r), SIGTERM stops"

# A reader that is slow but reads: everything reaches it, even what waits
# when the run ends (the last drain waits while the reader takes some).
awk 'BEGIN { print "tasks:"; for (i = 0; i < 60; i++) print "  - factorial: " 20000 + i }' > "$tmp/slow.yaml"
# (--block-threshold 0: on a loaded machine a factorial's turn may hold
# the loop long enough for a loop_blocked line, which is not counted.)
( "$ASYNCDEMO" -j --block-threshold 0 -c "$tmp/slow.yaml"; echo $? > "$tmp/slow.rc" ) |
    python3 -c '
import sys, time
n = 0
while True:
    b = sys.stdin.buffer.read1(65536)
    if not b:
        break
    n += b.count(b"\n")
    time.sleep(0.1)
print(n)' > "$tmp/slow.lines"
expect "a slow reader: exit 0" "$(cat "$tmp/slow.rc")" 0
expect "a slow reader gets every line" "$(cat "$tmp/slow.lines")" 124

# -o on a FIFO whose reader opened it and never reads.
mkfifo "$tmp/results.fifo"
python3 -c 'import sys, time; f = open(sys.argv[1], "rb"); time.sleep(600)' \
    "$tmp/results.fifo" &
reader=$!
"$ASYNCDEMO" -q -o "$tmp/results.fifo" --interval 0.01 --status "127.0.0.1:$port" \
    -c "$tmp/big.yaml" 2> "$tmp/fifo.err" &
pid=$!
wait_for 60 grep -q 'results.fifo: the reader is not keeping up' "$tmp/fifo.err" ||
    fail "results FIFO: no drop was said: $(tail -3 "$tmp/fifo.err")"
r=$(run_of)
wait_for 30 grew "$r" || fail "results FIFO: the runs stopped"
kill -TERM "$pid"
wait_child 30 "$pid" ||
    fail "results FIFO: SIGTERM did not stop it: $(cat "$tmp/stuck")"
[ "$rc" = 74 ] ||
    fail "a stalled results FIFO: exit $rc, not 74: $(tail -20 "$tmp/fifo.err")"
pid=
kill "$reader"
reader=
pass "a stalled results FIFO: /status answers, the runs go on, SIGTERM stops"

# A reader that goes away: the run ends instead of going on forever.
printf 'interval: 0.05\ntasks:\n  - delay: 0.01\n' > "$tmp/forever.yaml"
( "$ASYNCDEMO" -c "$tmp/forever.yaml" 2> "$tmp/head.err"; echo $? > "$tmp/head.rc" ) |
    head -1 > "$tmp/head.out"
wait_for 30 test -s "$tmp/head.rc" || fail "| head -1: it goes on"
expect "| head -1: exit 74" "$(cat "$tmp/head.rc")" 74
grep -q 'stdout closed by its reader: stopping' "$tmp/head.err" ||
    fail "| head -1: no word: $(cat "$tmp/head.err")"
pass "| head -1: the run stops, and says why"

printf 'tasks:\n  - delay: 0.01\n  - factorial: 10\n' > "$tmp/two.yaml"
"$ASYNCDEMO" -c "$tmp/two.yaml" > /dev/full 2> "$tmp/full.err"
expect "stdout on /dev/full: exit 74" "$?" 74
grep -q '^asyncdemo: stdout: cannot write: No space left on device' "$tmp/full.err" ||
    fail "stdout on /dev/full: $(cat "$tmp/full.err")"
pass "stdout on /dev/full: '$(head -1 "$tmp/full.err")'"

"$ASYNCDEMO" -c "$tmp/two.yaml" -l "$tmp/closed.log" >&- 2> "$tmp/closed.err"
expect "stdout closed: exit 74" "$?" 74
grep -q 'stdout: it was closed when asyncdemo started' "$tmp/closed.err" ||
    fail "stdout closed: $(cat "$tmp/closed.err")"
grep -q 'Worker\|Total elapsed' "$tmp/closed.log" &&
    fail "the report landed in the log file: $(cat "$tmp/closed.log")"
pass "stdout closed: exit 74, and the log file holds no report"
"$ASYNCDEMO" -q -c "$tmp/two.yaml" >&-
expect "stdout closed with -q: nothing is lost, exit 0" "$?" 0
"$ASYNCDEMO" -n -c "$tmp/two.yaml" > /dev/full 2> /dev/null
expect "-n on /dev/full: exit 74" "$?" 74

# -d with stdout closed: stdout is /dev/null by design then, nothing lost.
printf 'tasks:\n  - delay: 0.01\n' > "$tmp/d.yaml"
"$ASYNCDEMO" -d -p "$tmp/d.pid" -l "$tmp/d.log" -c "$tmp/d.yaml" >&- 2> "$tmp/d.err" ||
    fail "-d with stdout closed: $(cat "$tmp/d.err")"
wait_for 20 test ! -e "$tmp/d.pid" || fail "-d with stdout closed: still running"
grep -q 'could not be written\|was closed when' "$tmp/d.log" &&
    fail "-d with stdout closed: output said lost: $(cat "$tmp/d.log")"
pass "-d with stdout closed: nothing said lost"
