#!/bin/sh
# conf/checks.yaml, the shipped operator's example, runs whole against the
# demo server in every mode: every check ok, each named check up in
# /metrics, and the token it sends in no output.
. "$(dirname "$0")/lib.sh"

start_server
cleanup_hooks="$cleanup_hooks kill_daemon"
DEMO=${base_url#http://}
DEMO=${DEMO%/}
API_TOKEN=tok3n-$$-secret
export DEMO API_TOKEN
ex="$top_srcdir/conf/checks.yaml"

for m in sync cooperative threads async; do
	"$ASYNCDEMO" -j -m $m --runs 1 -o "$tmp/r-$m.jsonl" -c "$ex" \
	    > "$tmp/out-$m.jsonl" 2> "$tmp/err-$m" ||
	    fail "$m: exit $?: $(cat "$tmp/err-$m"; jq -c 'select(.ok == false)' "$tmp/out-$m.jsonl")"
	expect "$m: every check ok" \
	    "$(jqf 'select(.event == "task_done") | "\(.task) \(.kind) \(.ok)"' "$tmp/out-$m.jsonl" | sort -n | tr '\n' ' ')" \
	    "1 url true 2 url true 3 url true 4 tcp true 5 tcp true 6 exec true 7 exec true "
done

# The api check sent its token (the echo shows it came), and the run's
# outputs never show it.
"$ASYNCDEMO" --runs 1 -c "$ex" > "$tmp/text" 2>&1 || fail "text run: $(cat "$tmp/text")"
"$ASYNCDEMO" -n -c "$ex" > "$tmp/dry" 2>&1 || fail "-n: $(cat "$tmp/dry")"
for f in "$tmp"/out-* "$tmp"/r-* "$tmp"/err-* "$tmp/text" "$tmp/dry"; do
	if grep -q "$API_TOKEN" "$f"; then
		fail "the token shows in $(basename "$f"): $(grep "$API_TOKEN" "$f" | head -2)"
	fi
done
pass "the token is in no output"

# Each named check has its series in /metrics, up.
"$ASYNCDEMO" -q --interval 1h --status 127.0.0.1:0 -c "$ex" 2> "$tmp/err" &
pid=$!
wait_for 10 grep -q 'status endpoint on' "$tmp/err" ||
    fail "no status endpoint: $(cat "$tmp/err")"
port=$(sed -n 's|.*status endpoint on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/err")
ups() {
	curl -sf "http://127.0.0.1:$port/metrics" |
	    grep '^asyncdemo_task_up{' | sort > "$tmp/ups"
	[ "$(wc -l < "$tmp/ups")" -eq 7 ]
}
wait_for 30 ups || fail "not 7 up series: $(cat "$tmp/ups")"
expect "every named check up" "$(cat "$tmp/ups")" "$(printf '%s\n' \
    'asyncdemo_task_up{name="api",kind="url"} 1' \
    'asyncdemo_task_up{name="demo port",kind="tcp"} 1' \
    'asyncdemo_task_up{name="demo speaks HTTP",kind="tcp"} 1' \
    'asyncdemo_task_up{name="home page",kind="url"} 1' \
    'asyncdemo_task_up{name="hostname readable",kind="exec"} 1' \
    'asyncdemo_task_up{name="load",kind="exec"} 1' \
    'asyncdemo_task_up{name="maintenance page",kind="url"} 1')"
kill -TERM $pid

# A server that repeats the request (here /echo, whole in a long preview)
# shows the token as ***, and a preview cut inside it shows no part of it.
echo_run() {
	printf 'tasks:\n  - url: %s/echo\n    headers: {Authorization: "Bearer ${API_TOKEN}"}\n    preview: %s\n' \
	    "$base_url" "$1" > "$tmp/echo.yaml"
	"$ASYNCDEMO" -j -c "$tmp/echo.yaml" > "$tmp/echo.jsonl" 2>&1 ||
	    fail "echo run: $(cat "$tmp/echo.jsonl")"
	grep -q "tok3n" "$tmp/echo.jsonl" &&
	    fail "the echoed token shows: $(grep -o '.\{30\}tok3n.\{10\}' "$tmp/echo.jsonl")"
	jqf 'select(.event == "task_done") | .preview' "$tmp/echo.jsonl"
}
full=$(echo_run 2000)
expect "the echoed header, masked" \
    "$(printf '%s' "$full" | grep -o '"Authorization":"[^"]*"')" '"Authorization":"***"'
# Cut 10 characters into "Bearer tok3n-…".
before=${full%%\"Authorization\":\"*}
part=$(echo_run $((${#before} + 17 + 10)))
expect "a preview cut inside the token ends in ***" \
    "${part#"$before"}" '"Authorization":"***'
