#!/bin/sh
# The task file is read safely: it must be a regular file (a FIFO or
# /dev/stdin is refused with 66 at start, and at a reload the running list
# stays), and SIGHUP reads it off the loop's thread, so that a large file
# does not hold /status or the runs while it is parsed.
. "$(dirname "$0")/lib.sh"

cleanup_hooks="$cleanup_hooks kill_daemon"
mkfifo "$tmp/fifo.yaml"
timeout 20 "$ASYNCDEMO" -n -c "$tmp/fifo.yaml" 2> "$tmp/fifo.err"
expect "a FIFO as the task file: 66" "$?" 66
grep -q "fifo.yaml: not a regular file (a task file must be one)" "$tmp/fifo.err" ||
    fail "a FIFO: $(cat "$tmp/fifo.err")"
echo "tasks: [{delay: 1}]" | timeout 20 "$ASYNCDEMO" -n -c /dev/stdin 2> /dev/null
expect "a pipe on /dev/stdin as the task file: 66" "$?" 66

printf 'interval: 0.1\nshutdown_timeout: 0.2\ntasks:\n  - delay: 0.01\n' > "$tmp/d.yaml"
"$ASYNCDEMO" -q --status 127.0.0.1:0 -l "$tmp/d.log" -c "$tmp/d.yaml" 2> "$tmp/err" &
pid=$!
wait_for 10 grep -q 'status endpoint on' "$tmp/err" || fail "no status endpoint: $(cat "$tmp/err")"
port=$(sed -n 's|.*status endpoint on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/err")
run_of() { curl -s -m 2 "http://127.0.0.1:$port/status" | jq -r .run; }
grew() { [ "$(run_of)" -gt "$1" ] 2>/dev/null; }

# The task file becomes a FIFO nobody writes to.
mv "$tmp/fifo.yaml" "$tmp/d.yaml"
kill -HUP $pid
wait_for 20 grep -q 'reload of .*d.yaml failed: keeping the running task list' "$tmp/d.log" ||
    fail "a FIFO reload: $(cat "$tmp/d.log")"
grep -q 'd.yaml: not a regular file' "$tmp/d.log" || fail "a FIFO reload: no reason given"
r=$(run_of)
[ -n "$r" ] || fail "/status does not answer after a FIFO reload"
wait_for 20 grew "$r" || fail "the runs stopped after a FIFO reload"
pass "a reload of a FIFO is refused; /status answers and the runs go on"

# A 40 MB task file, invalid on its last line: read whole, then refused.
rm "$tmp/d.yaml"
awk 'BEGIN { print "interval: 0.1"; print "tasks:";
    for (i = 0; i < 2400000; i++) print "  - delay: 0.001";
    print "  - delay: never" }' > "$tmp/d.yaml"
python3 - "$port" "$tmp/d.log" "$pid" > "$tmp/lat.out" <<'PY' || fail "the big reload: $(cat "$tmp/lat.out")"
import os, signal, sys, time, urllib.request
port, log, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
def done():
    with open(log) as f:
        return "reload of" in f.read().split("SIGHUP-MARK")[-1]
with open(log, "a") as f:
    f.write("SIGHUP-MARK\n")
t0 = time.monotonic()
os.kill(pid, signal.SIGHUP)
worst = 0
n = 0
while not done():
    t = time.monotonic()
    urllib.request.urlopen("http://127.0.0.1:%s/status" % port, timeout=30).read()
    worst = max(worst, time.monotonic() - t)
    n += 1
    assert time.monotonic() - t0 < 120, "no end of the reload in 120 s"
    time.sleep(0.01)
took = time.monotonic() - t0
print("reload %.2f s, %d answers from /status meanwhile, the slowest %.3f s"
      % (took, n, worst))
# A reload on the loop would hold every answer for the whole parse.
assert n >= 5 and worst < took / 3, "the reload held /status"
PY
pass "a 40 MB reload: $(cat "$tmp/lat.out")"
kill -TERM $pid
wait $pid
pid=
