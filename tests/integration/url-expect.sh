#!/bin/sh
# url checks: expect (status, body, body_regex, max_time) against the demo
# server, and method, headers and body against echo_server.py, in each
# mode (async through the multi, the others through the easy interface).
# Every failed expectation says what it saw, as DESIGN.md's examples do.
. "$(dirname "$0")/lib.sh"

start_server
python3 "$top_srcdir/tests/integration/echo_server.py" \
    > "$tmp/echo.out" 2> "$tmp/echo.err" &
echo_pid=$!
stop_echo() { kill "$echo_pid" 2>/dev/null; wait "$echo_pid" 2>/dev/null; }
cleanup_hooks="$cleanup_hooks stop_echo"
wait_listening "$tmp/echo.out" "$tmp/echo.err" "echo server"
echo=$(sed -n 's/^listening on \(http:[^ ]*\)\/$/\1/p' "$tmp/echo.out")

cat > "$tmp/e.yaml" <<YAML
workers: 4
defaults: {retries: 0, preview: 2000}
tasks:
  - url: $base_url/status/503
    expect: {status: [200, 204]}
  - url: $base_url/status/503
    expect: {status: 5xx}
  - url: $base_url/status/204
    expect: {status: [200, 204]}
  - url: $base_url/status/404
    expect: {status: [200, 3xx]}
  - url: $base_url/
    expect: {body: '<html'}
  - url: $base_url/
    expect: {body: 'not on the page, not at all, not anywhere in it'}
  - url: $base_url/
    expect: {body_regex: '<(h1|title)>'}
  - url: $base_url/
    expect: {body_regex: '^[0-9]+$'}
  - url: $base_url/delay/1
    expect: {max_time: 0.5s}
  - url: $base_url/
    expect: {max_time: 10s}
  - url: $echo/echo
    body: 'x=1&y=2'
    headers: {X-Check: yes please, Content-Type: application/x-www-form-urlencoded}
  - url: $echo/echo
    method: PUT
    body: '{"ping": 1}'
    expect: {body: '"method": "PUT"'}
  - url: $echo/echo
    method: HEAD
    expect: {status: 200}
  - url: $echo/echo
    method: DELETE
  - url: $echo/echo
    method: POST
YAML

# error_of N FILE: task N's error, or "ok".
error_of() {
	jqf -r "select(.event == \"task_done\" and .task == $1) | if .ok then \"ok\" else .error end" "$2"
}
# echo_of N FILE JQ: JQ over what the echo server got for task N.
echo_of() {
	jqf -r "select(.event == \"task_done\" and .task == $1) | .preview | fromjson | $3" "$2"
}

for mode in async sync cooperative threads; do
	"$ASYNCDEMO" -m "$mode" -j -c "$tmp/e.yaml" > "$tmp/$mode.jsonl" 2> "$tmp/$mode.err"
	expect "$mode: failed checks, exit 1" "$?" 1
	f=$tmp/$mode.jsonl
	expect "$mode: a status not in the list" "$(error_of 1 "$f")" "status 503, expected 200 or 204"
	expect "$mode: a class" "$(error_of 2 "$f")" ok
	expect "$mode: a code in the list" "$(error_of 3 "$f")" ok
	expect "$mode: a code or a class" "$(error_of 4 "$f")" "status 404, expected 200 or 3xx"
	expect "$mode: body contains" "$(error_of 5 "$f")" ok
	expect "$mode: body does not contain" "$(error_of 6 "$f")" \
	    "body does not contain 'not on the page, not at all, not anywher…'"
	expect "$mode: body_regex matches" "$(error_of 7 "$f")" ok
	expect "$mode: body_regex does not" "$(error_of 8 "$f")" "body does not match '^[0-9]+\$'"
	error_of 9 "$f" | grep -Eq '^took 1\.[0-9]{2} s, over max_time 0\.5 s$' ||
	    fail "$mode: max_time: $(error_of 9 "$f")"
	pass "$mode: over max_time"
	expect "$mode: within max_time" "$(error_of 10 "$f")" ok
	expect "$mode: a body alone is a POST" "$(echo_of 11 "$f" '[.method, .body, .headers["X-Check"]] | join(" ")')" \
	    "POST x=1&y=2 yes please"
	expect "$mode: PUT with a body" "$(echo_of 12 "$f" '[.method, .body] | join(" ")')" 'PUT {"ping": 1}'
	expect "$mode: HEAD, no body" \
	    "$(jqf -r 'select(.event == "task_done" and .task == 13) | [.ok, .status, .bytes] | join(" ")' "$f")" \
	    "true 200 0"
	expect "$mode: DELETE" "$(echo_of 14 "$f" .method)" DELETE
	expect "$mode: POST without a body" "$(echo_of 15 "$f" '[.method, .headers["Content-Length"]] | join(" ")')" "POST 0"
	expect "$mode: timings of every url task" \
	    "$(jqf -s -c '[.[] | select(.event == "task_done") | .timings | keys_unsorted] | unique' "$f")" \
	    '[["dns","connect","tls","ttfb","total"]]'
	expect "$mode: http has no tls time, total covers ttfb" \
	    "$(jqf -s -c '[.[] | select(.event == "task_done") | .timings | .tls == null and .total >= .ttfb and .ttfb >= .connect] | unique' "$f")" \
	    '[true]'
	expect "$mode: no cert_expires for http" \
	    "$(jqf -s '[.[] | select(has("cert_expires"))] | length' "$f")" 0
done

# Retries: a status that is not expected and worth it (503) is retried, a
# body that does not match is not.
cat > "$tmp/r.yaml" <<YAML
defaults: {retries: 2, retry_delay: 10ms}
tasks:
  - url: $base_url/status/503
    expect: {status: 200}
  - url: $base_url/
    expect: {body: 'nowhere to be found'}
YAML
"$ASYNCDEMO" -j -c "$tmp/r.yaml" > "$tmp/r.jsonl" 2> "$tmp/r.err"
expect "503 retried, a body mismatch not" \
    "$(jqf -s -c '[.[] | select(.event == "task_done") | .attempt]' "$tmp/r.jsonl")" "[3,1]"

# -v shows the timings on a task's line.
printf 'tasks:\n  - url: %s/\n' "$base_url" > "$tmp/v.yaml"
"$ASYNCDEMO" -v -c "$tmp/v.yaml" > "$tmp/v.out" 2>&1 || fail "-v: $(cat "$tmp/v.out")"
grep -Eq 'HTTP 200, [0-9]+ bytes: .* \(dns [0-9.]+, connect [0-9.]+, ttfb [0-9.]+, total [0-9.]+ ms\)$' "$tmp/v.out" ||
    fail "-v shows no timings: $(cat "$tmp/v.out")"
pass "-v shows the timings"
"$ASYNCDEMO" -c "$tmp/v.yaml" > "$tmp/q.out" 2>&1
! grep -q 'ttfb' "$tmp/q.out" || fail "timings without -v: $(cat "$tmp/q.out")"
pass "no timings without -v"
