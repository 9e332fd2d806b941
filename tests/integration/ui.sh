#!/bin/bash
# The live view (--ui): GET / is the page, GET /events the events as
# Server-Sent Events (the JSON Lines encoder's own lines; a client that
# comes mid-run first gets the run so far), POST /run starts a run (202,
# 409 while one goes, 400 bad mode or scale, 403 foreign Origin), other
# methods 405 with Allow; /status and /metrics as --status. --status
# serves /events too. stdout goes on as usual.
. "$(dirname "$0")/lib.sh"
[ -n "${KEEP:-}" ] && { trap - EXIT; echo "tmp: $tmp"; }

"$ASYNCDEMO" --ui 127.0.0.1:0 --status 127.0.0.1:0 -c "$top_srcdir/conf/example_4.yaml" \
    > /dev/null 2>&1
expect "--ui with --status" "$?" 64

kill_ui() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; [ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null; true; }
cleanup_hooks="$cleanup_hooks kill_ui"
printf 'name: live\nworkers: 1\ntasks:\n  - delay: 0.2\n  - delay: 2.5\n  - factorial: 20\n' > "$tmp/t.yaml"
"$ASYNCDEMO" -j --ui 127.0.0.1:0 -c "$tmp/t.yaml" > "$tmp/out" 2> "$tmp/err" &
pid=$!
wait_listening "$tmp/out" "$tmp/err" "asyncdemo --ui"
url=$(sed -n '1s/^listening on \(http:[^ ]*\/\)$/\1/p' "$tmp/out")
[ -n "$url" ] || fail "first line: $(head -1 "$tmp/out")"
pass "first stdout line: listening on $url"
origin=${url%/}
# runs_done N: stdout has N run_done lines or more (for wait_for).
jout() { grep '^{' "$tmp/out" | jq -r "$@"; }
runs_done() { [ "$(grep -c '"event":"run_done"' "$tmp/out")" -ge "$1" ]; }

# code METHOD PATH [curl args]: the status code, headers in $tmp/h, body in $tmp/b.
code() {
	m=$1 p=$2
	shift 2
	curl -s -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' -X "$m" "$@" "$url${p#/}"
}
allow() { sed -n 's/^Allow: *\(.*\)\r$/\1/p' "$tmp/h"; }

expect "GET /" "$(code GET /)" 200
grep -qi '^Content-Type: text/html' "$tmp/h" || fail "GET / type: $(cat "$tmp/h")"
for m in sync cooperative threads async; do
	grep -q "data-mode=\"$m\"" "$tmp/b" || fail "no data-mode=$m button"
done
grep -q '"name":"live"' "$tmp/b" || fail "the page has no task list"
if grep -Eiq '(src|href)="?(https?:)?//' "$tmp/b"; then fail "the page loads an outside resource"; fi
pass "the page: four mode buttons, the task list, nothing from outside"
expect "HEAD /" "$(code HEAD / -I)" 200
expect "POST /" "$(code POST /) $(allow)" "405 GET, HEAD"
expect "GET /run" "$(code GET /run) $(allow)" "405 POST"
expect "DELETE /run" "$(code DELETE /run) $(allow)" "405 POST"
expect "POST /events" "$(code POST /events) $(allow)" "405 GET"
expect "PUT /status" "$(code PUT /status) $(allow)" "405 GET, HEAD"
expect "GET /nothing" "$(code GET /nothing)" 404
expect "GET /metrics" "$(code GET /metrics)" 200
expect "idle /status" "$(code GET /status; jq -r .state "$tmp/b")" "200idle"

expect "POST /run without a mode" "$(code POST /run)" 400
expect "POST /run?mode=fast" "$(code POST '/run?mode=fast')" 400
for s in 0 -1 abc 1001; do
	expect "POST /run time_scale=$s" "$(code POST "/run?mode=async&time_scale=$s")" 400
done
expect "POST /run from another origin" \
    "$(code POST '/run?mode=sync' -H 'Origin: http://evil.example')" 403
expect "POST /run from a look-alike origin" \
    "$(code POST '/run?mode=sync' -H "Origin: $origin.evil.example")" 403
[ "$(jq -s 'map(select(.event == "run_start")) | length' < <(tail -n +2 "$tmp/out"))" = 0 ] ||
    fail "a refused request started a run"
pass "refused requests start nothing"

# A run from the page's own origin, in threads mode (the loop stays free
# to answer): one worker, 2.7 s.
expect "POST /run from the page" "$(code POST '/run?mode=threads' -H "Origin: $origin")" 202
expect "202 names the run" "$(jq -r '"\(.run) \(.mode)"' "$tmp/b")" "1 threads"
expect "POST /run while running" "$(code POST '/run?mode=async')" 409
wait_for 30 grep -q '"event":"run_start"' "$tmp/out" || fail "no run_start: $(cat "$tmp/out")"
expect "/status while running" "$(code GET /status --max-time 30; jq -r .state "$tmp/b")" "200running"

# A client that comes mid-run (task 1 done, task 2 going) gets it all.
wait_for 30 grep -q '"event":"task_start".*"task":2' "$tmp/out" || fail "no task 2: $(cat "$tmp/out")"
curl -sN --max-time 60 "${url}events" > "$tmp/sse" &
cpid=$!
wait_for 30 grep -q '"event":"run_done"' "$tmp/sse" || fail "no run_done on /events: $(cat "$tmp/sse")"
kill "$cpid" 2>/dev/null
wait_for 30 grep -q '"event":"run_done"' "$tmp/out" || fail "no run_done on stdout"
sed -n 's/^data: \({.*\)/\1/p' "$tmp/sse" > "$tmp/sse.jsonl"
expect "first event of a late client" "$(head -1 "$tmp/sse.jsonl" | jq -r .event)" run_start
grep -q '"event":"run_start"' "$tmp/out" || fail "stdout: no JSON Lines"
# The very lines stdout got: one encoder.
grep '^{' "$tmp/out" > "$tmp/out.jsonl"
cmp -s "$tmp/sse.jsonl" "$tmp/out.jsonl" || fail "/events differs from -j: $(diff "$tmp/sse.jsonl" "$tmp/out.jsonl")"
pass "a client that came mid-run got every event, as -j prints them"
grep -q '^retry: ' "$tmp/sse" || fail "no retry field"
expect "stream lines are data or blank" "$(grep -cv -e '^data: {' -e '^$' -e '^retry: ' -e '^event: live$' -e '^data: caught up$' "$tmp/sse")" 0
expect "the mark where live events begin" "$(grep -A1 '^event: live' "$tmp/sse" | tr '\n' ' ')" "event: live data: caught up "

# After the run: 202 again, with a time scale; a late client gets it.
expect "POST /run after the run" "$(code POST '/run?mode=async&time_scale=0.1')" 202
expect "second run" "$(jq -r .run "$tmp/b")" 2
wait_for 30 runs_done 2 || fail "no second run_done"
expect "time scale of run 2" "$(jout 'select(.event == "run_start" and .run == 2) | .time_scale')" 0.1
expect "delay scaled" "$(jout 'select(.event == "task_done" and .run == 2 and .task == 2) | .arg')" 0.25
curl -sN --max-time 60 "${url}events" > "$tmp/sse2" &
cpid=$!
wait_for 30 grep -q '"event":"run_done"' "$tmp/sse2" || fail "no last run for a client between runs"
kill "$cpid" 2>/dev/null
expect "a client between runs gets the runs kept" \
    "$(sed -n 's/^data: \({.*\)/\1/p' "$tmp/sse2" | jq -r .run | uniq | tr '\n' ' ')" "1 2 "
# A run without time_scale is back at the loaded scale; sync mode holds
# the loop during each task, and a task's start still reaches a client.
curl -sN --max-time 60 "${url}events" > "$tmp/sse4" &
cpid=$!
wait_for 30 grep -q '"run":2' "$tmp/sse4" || fail "no history"
expect "POST /run, scale as loaded" "$(code POST '/run?mode=sync')" 202
wait_for 30 grep -q '"event":"task_start","run":3.*"task":2' "$tmp/sse4" || fail "no task 2 start"
grep -q '"event":"task_done","run":3.*"task":2' "$tmp/sse4" && fail "task 2's start came with its end"
pass "sync: a task's start reaches the client while the task holds the loop"
kill "$cpid" 2>/dev/null
wait_for 30 runs_done 3 || fail "no third run_done"
expect "run 3 unscaled" "$(jout 'select(.event == "task_done" and .run == 3 and .task == 2) | .arg')" 2.5
expect "runs in /metrics" "$(curl -s "${url}metrics" | sed -n 's/^asyncdemo_runs_total //p')" 3

# A reload between runs: the next run takes the new list, at its scale.
kill -HUP "$pid"
wait_for 30 grep -q 'reloaded' "$tmp/err" || fail "no reload: $(cat "$tmp/err")"
expect "POST /run after a reload" "$(code POST '/run?mode=async&time_scale=0.5')" 202
wait_for 30 runs_done 4 || fail "no fourth run_done"
expect "run 4 at 0.5" "$(jout 'select(.event == "task_done" and .run == 4 and .task == 2) | .arg')" 1.25
expect "POST /run, scale as loaded again" "$(code POST '/run?mode=async')" 202
wait_for 30 runs_done 5 || fail "no fifth run_done"
expect "run 5 unscaled" "$(jout 'select(.event == "task_done" and .run == 5 and .task == 2) | .arg')" 2.5

kill -TERM "$pid"
wait "$pid"
expect "SIGTERM between runs" "$?" 0
pid=

# --status serves /events (read-only: no page, no /run), text on stdout.
printf 'interval: 0.3\ntasks:\n  - delay: 0.05\n' > "$tmp/d.yaml"
"$ASYNCDEMO" --status 127.0.0.1:0 -c "$tmp/d.yaml" > "$tmp/out" 2> "$tmp/err" &
pid=$!
wait_for 30 grep -q 'status endpoint on' "$tmp/err" || fail "no status endpoint: $(cat "$tmp/err")"
url=$(sed -n 's|.*status endpoint on \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$tmp/err")
curl -sN --max-time 60 "${url}events" > "$tmp/sse3" &
cpid=$!
wait_for 30 grep -q '"event":"run_done"' "$tmp/sse3" || fail "--status: no /events"
kill "$cpid" 2>/dev/null
pass "--status serves /events"
expect "--status: POST /run" "$(code POST '/run?mode=sync')" 405
expect "--status: GET /" "$(code GET /)" 404
grep -q 'Total elapsed time' "$tmp/out" || fail "--status: no text output"
pass "text output goes on"
kill -TERM "$pid"
wait "$pid"
pid=
