#!/bin/sh
# A check's secrets never leave: a URL's password and the values of
# Authorization, Proxy-Authorization and Cookie headers are sent (the
# server checks them) but appear in no output: text (-v), -j, the -o
# results file, -n, --trace, the -l log, /status and /metrics, errors
# included. (secrets.sh covers the URL's password in --timeline-svg.)
. "$(dirname "$0")/lib.sh"

python3 "$top_srcdir/tests/integration/echo_server.py" \
    > "$tmp/echo.out" 2> "$tmp/echo.err" &
echo_pid=$!
stop_echo() { kill "$echo_pid" 2>/dev/null; wait "$echo_pid" 2>/dev/null; }
cleanup_hooks="$cleanup_hooks stop_echo kill_daemon"
wait_listening "$tmp/echo.out" "$tmp/echo.err" "echo server"
port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/echo.out")

cat > "$tmp/s.yaml" <<YAML
workers: 3
defaults: {retries: 0}
tasks:
  - url: http://user:s3cretPASS@127.0.0.1:$port/auth
    name: basic
  - url: http://127.0.0.1:$port/auth
    headers:
      Authorization: Bearer s3cretTOKEN
      Cookie: session=s3cretCOOKIE
      proxy-authorization: Basic s3cretPROXY
      X-Seen: visible
  - url: http://user:s3cretPASS@127.0.0.1:$port/auth
    headers: {Authorization: Bearer s3cretTOKEN}
    expect: {body: 'never there', status: [200, 201]}
  - url: http://user:s3cretPASS@127.0.0.1:1/refused
    headers: {Authorization: Bearer s3cretTOKEN}
  - url: http://127.0.0.1:$port/auth
    method: POST
    body: 'no secret here'
YAML
"$ASYNCDEMO" -v -o "$tmp/results.jsonl" --trace "$tmp/trace.json" \
    -l "$tmp/log" -c "$tmp/s.yaml" > "$tmp/text.out" 2> "$tmp/text.err"
expect "failed checks: exit 1" "$?" 1
"$ASYNCDEMO" -j -c "$tmp/s.yaml" > "$tmp/json.out" 2> "$tmp/json.err"
"$ASYNCDEMO" -n -c "$tmp/s.yaml" > "$tmp/plan.out" 2> "$tmp/plan.err" || fail "-n: $(cat "$tmp/plan.err")"
expect "the secrets were sent" \
    "$(jqf -r 'select(.event == "task_done") | "\(.task) \(.status) \(.error // "ok")"' "$tmp/results.jsonl" | sort | tr '\n' ';')" \
    "1 200 ok;2 200 ok;3 200 body does not contain 'never there';4 0 connection refused;5 401 HTTP 401;"
grep -q "\[GET, Authorization: \*\*\*, Cookie: \*\*\*, proxy-authorization: \*\*\*, X-Seen: visible\]" "$tmp/plan.out" ||
    fail "-n does not show the headers masked: $(cat "$tmp/plan.out")"
pass "-n shows headers, secret values as ***"

# /status and /metrics while a task with secrets runs.
cat > "$tmp/d.yaml" <<YAML
interval: 0.2
tasks:
  - url: http://user:s3cretPASS@127.0.0.1:$port/slow
    name: slow
    headers: {Authorization: Bearer s3cretTOKEN, Cookie: a=s3cretCOOKIE}
YAML
"$ASYNCDEMO" -q --status 127.0.0.1:0 -l "$tmp/dlog" -c "$tmp/d.yaml" 2> "$tmp/d.err" &
pid=$!
wait_for 10 grep -q 'status endpoint on' "$tmp/d.err" || fail "no status endpoint: $(cat "$tmp/d.err")"
sport=$(sed -n 's|.*status endpoint on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/d.err")
running() {
	curl -s "http://127.0.0.1:$sport/status" > "$tmp/status.json" &&
	    grep -q '"state":"busy"' "$tmp/status.json"
}
wait_for 20 running || fail "/status never showed the task running: $(cat "$tmp/status.json")"
pass "/status while the task runs"
curl -s "http://127.0.0.1:$sport/metrics" > "$tmp/metrics.txt" || fail "/metrics"
kill -TERM "$pid"
wait "$pid"
pid=

for f in text.out text.err results.jsonl trace.json log json.out json.err \
    plan.out plan.err status.json metrics.txt dlog d.err; do
	[ -s "$tmp/$f" ] || [ "${f%.err}" != "$f" ] || [ "${f%log}" != "$f" ] || fail "$f is empty"
	if grep -l s3cret "$tmp/$f"; then
		fail "a secret is in $f: $(grep s3cret "$tmp/$f" | head -3)"
	fi
done
pass "no output holds a secret"
