#!/bin/sh
# The daemon: intervals, pidfile, detach, reload, graceful stop, status.
. "$(dirname "$0")/lib.sh"

kill_pidfile() {
	[ -f "$tmp/d.pid" ] && kill "$(cat "$tmp/d.pid")" 2>/dev/null
	return 0
}
cleanup_hooks="kill_pidfile kill_daemon"

# --runs with an interval: run counts up, starts are an interval apart.
printf 'interval: 0.3\ntasks:\n  - delay: 0.05\n  - factorial: 10\n' > "$tmp/iv.yaml"
"$ASYNCDEMO" -j --runs 3 -c "$tmp/iv.yaml" > "$tmp/iv.jsonl" || fail "runs exit"
expect "three runs" "$(jqf -s -c 'map(select(.event == "run_start") | .run)' "$tmp/iv.jsonl")" "[1,2,3]"
expect "run in every event" "$(jqf -s -c 'map(.run) | unique' "$tmp/iv.jsonl")" "[1,2,3]"
e=$(jqf -s 'map(select(.event == "run_done")) | length' "$tmp/iv.jsonl")
expect "each run done" "$e" 3
# --interval overrides; a run longer than the interval is followed at once.
printf 'tasks:\n  - delay: 0.3\n' > "$tmp/long.yaml"
"$ASYNCDEMO" -q --interval 0.1 --runs 2 -c "$tmp/long.yaml" 2> "$tmp/long.err" ||
    fail "overrun exit"
grep -q 'longer than the interval' "$tmp/long.err" || fail "no overrun warning: $(cat "$tmp/long.err")"
pass "an overrun is followed at once, with a warning"

# Detach with a pidfile; a second instance is refused with 75.
cat > "$tmp/d.yaml" <<YAML
interval: 0.2
shutdown_timeout: 0.2
tasks:
  - delay: 0.05
YAML
# A free loopback port: the one the demo server was given, once it is gone.
start_server
port=${base_url##*:}
stop_server
"$ASYNCDEMO" -d -p "$tmp/d.pid" -l "$tmp/d.log" -o "$tmp/d.jsonl" \
    --status "127.0.0.1:$port" -c "$tmp/d.yaml" || fail "detach exit $?"
wait_for 30 test -s "$tmp/d.pid" || fail "no pidfile"
pid=$(cat "$tmp/d.pid")
kill -0 "$pid" || fail "daemon not running"
pass "detached as pid $pid"
"$ASYNCDEMO" -p "$tmp/d.pid" -c "$tmp/d.yaml" 2> "$tmp/second.err"
expect "a second instance exits 75" "$?" 75
grep -q "held by running process $pid" "$tmp/second.err" ||
    fail "second instance message: $(cat "$tmp/second.err")"
pass "the second instance names the running pid"

# The status endpoint. It answers from the start; the metrics are
# asserted once a delay has finished (the counter may well be 0 before).
wait_for 30 curl -sf "http://127.0.0.1:$port/status" -o "$tmp/status.json" ||
    fail "no status endpoint"
expect "status fields" "$(jqf -c '[.name, .mode, (.state | test("idle|running")), (.run >= 1), (.counts | keys), (.workers | length)]' "$tmp/status.json")" \
    '["d","async",true,true,["done","failed","in_flight","ok","queued","total"],1]'
delay_counted() {
	curl -sf "http://127.0.0.1:$port/metrics" -o "$tmp/metrics" &&
	    grep -q '^asyncdemo_tasks_total{kind="delay",outcome="ok"} [1-9]' "$tmp/metrics"
}
wait_for 30 delay_counted || fail "metrics: $(head -5 "$tmp/metrics")"
grep -q '^asyncdemo_task_duration_seconds_bucket{kind="delay",le="+Inf"}' "$tmp/metrics" ||
    fail "no histogram"
grep -q '^asyncdemo_runs_total [1-9]' "$tmp/metrics" || fail "no runs counter"
pass "metrics"
expect "POST is refused" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/status")" 405
expect "unknown path" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")" 404

# SIGHUP with a bad file: the error with file:line:col, the old list runs on.
printf 'interval: 0.2\ntasks:\n  - delay: soon\n' > "$tmp/d.yaml"
kill -HUP "$pid"
wait_for 30 grep -q "d.yaml:3:12: delay: invalid duration 'soon'" "$tmp/d.log" ||
    fail "bad reload not logged: $(cat "$tmp/d.log")"
grep -q 'keeping the running task list' "$tmp/d.log" || fail "no keep message"
n=$(wc -l < "$tmp/d.jsonl")
more_than() { [ "$(wc -l < "$tmp/d.jsonl")" -gt "$1" ]; }
wait_for 30 more_than $((n + 1)) || fail "runs stopped after a bad reload"
pass "a bad reload keeps the running list"

# SIGHUP with a good file: it applies from the next run.
printf 'interval: 0.2\ntasks:\n  - factorial: 20\n' > "$tmp/d.yaml"
kill -HUP "$pid"
wait_for 30 grep -q 'reloaded' "$tmp/d.log" || fail "good reload not logged"
wait_for 30 grep -q '"kind":"factorial"' "$tmp/d.jsonl" || fail "new list never ran"
pass "a good reload applies"

# SIGTERM: the pidfile goes, every results line is whole JSON.
kill -TERM "$pid"
wait_for 30 test ! -e "$tmp/d.pid" || fail "pidfile left after SIGTERM"
wait_for 30 sh -c "! kill -0 $pid" || fail "daemon still running"
jq -c . "$tmp/d.jsonl" > /dev/null || fail "a results line is not JSON"
pass "SIGTERM stops cleanly ($(wc -l < "$tmp/d.jsonl") results)"

# SIGTERM in the middle of a run: finished results kept, the rest cancelled.
cat > "$tmp/mid.yaml" <<YAML
workers: 2
shutdown_timeout: 0.3
tasks:
  - delay: 0.1
  - delay: 0.1
  - delay: 5
  - delay: 5
  - delay: 5
YAML
"$ASYNCDEMO" -j -o "$tmp/mid-results.jsonl" -c "$tmp/mid.yaml" > "$tmp/mid.jsonl" 2> "$tmp/mid.err" &
pid=$!
# The middle of the run is a state, not a time: tasks 1 and 2 are in the
# results file, and 3 and 4 have started (so 5 has not).
mid_run() {
	lines_at_least "$tmp/mid-results.jsonl" 2 &&
	    [ "$(grep -Ec '"event":"task_start",.*"task":[34],' "$tmp/mid.jsonl")" -eq 2 ]
}
wait_for 30 mid_run || fail "the run never reached tasks 3 and 4: $(cat "$tmp/mid.jsonl")"
kill -TERM $pid
wait $pid
expect "exit after SIGTERM" "$?" 1
pid=
expect "finished and cancelled" \
    "$(jqf -s -c 'map(select(.event == "task_done")) | sort_by(.task) | map([.task, .ok, (.cancelled // false)])' "$tmp/mid-results.jsonl")" \
    "[[1,true,false],[2,true,false],[3,false,true],[4,false,true]]"
expect "run_done written" "$(jqf -c 'select(.event == "run_done") | [.ok, .failed]' "$tmp/mid.jsonl")" "[2,2]"

# The soft limit on descriptors rises to the hard one (url workers need them).
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -gt 256 ]; then
	# The limits are read once the run has started (its task_start line
	# is out), which is after the set-up that raises them; the delay is
	# long so that the process is surely there to be read, and ended then.
	printf 'shutdown_timeout: 0\ntasks:\n  - delay: 60\n' > "$tmp/nofile.yaml"
	(ulimit -Sn 256; exec "$ASYNCDEMO" -j -c "$tmp/nofile.yaml" > "$tmp/nofile.jsonl" 2> /dev/null) &
	pid=$!
	wait_for 30 grep -q '"event":"task_start"' "$tmp/nofile.jsonl" ||
	    fail "the nofile run did not start: $(cat "$tmp/nofile.jsonl")"
	soft=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
	kill -TERM "$pid"
	wait "$pid"
	pid=
	expect "soft descriptor limit raised to the hard one" "$soft" "$hard"
fi
