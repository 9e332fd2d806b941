#!/bin/bash
# /metrics has, for each named task, asyncdemo_task_up,
# asyncdemo_task_last_duration_seconds and
# asyncdemo_task_last_run_timestamp_seconds by name and kind, once it has
# finished; unnamed tasks add none; label values are escaped. The series
# live across runs, and a reload drops those of names no longer listed.
. "$(dirname "$0")/lib.sh"

start_server
cleanup_hooks="$cleanup_hooks kill_daemon"
cat > "$tmp/d.yaml" <<YAML
interval: 0.2
tasks:
  - url: $base_url/status/200
    name: api
  - url: $base_url/status/500
    name: 'bad"one\\x'
  - delay: 0.01
  - url: $base_url/status/200
  - delay: 0.01
    name: twice
  - delay: 0.02
    name: twice
YAML
"$ASYNCDEMO" -q --status 127.0.0.1:0 -c "$tmp/d.yaml" 2> "$tmp/err" &
pid=$!
wait_for 10 grep -q 'status endpoint on' "$tmp/err" ||
    fail "no status endpoint: $(cat "$tmp/err")"
port=$(sed -n 's|.*status endpoint on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/err")

# metrics_have PATTERN: /metrics, fetched into $tmp/m, has a line matching.
metrics_have() {
	curl -sf "http://127.0.0.1:$port/metrics" -o "$tmp/m" &&
	    grep -Eq "$1" "$tmp/m"
}
# The second run has begun, so the first run's tasks have all finished.
wait_for 30 metrics_have '^asyncdemo_runs_total [1-9]' ||
    fail "no run finished: $(cat "$tmp/err")"
metrics_have . || fail "no metrics"
up() { grep '^asyncdemo_task_up{' "$tmp/m"; }
# Two tasks of one name and kind share a series.
expect "one up series per name and kind" "$(up | sort)" \
    "$(printf '%s\n' 'asyncdemo_task_up{name="api",kind="url"} 1' \
        'asyncdemo_task_up{name="bad\"one\\x",kind="url"} 0' \
        'asyncdemo_task_up{name="twice",kind="delay"} 1')"
num='[0-9]+\.[0-9]+'
for n in '"api"' '"bad\\"one\\\\x"'; do
	for m in last_duration_seconds last_run_timestamp_seconds; do
		grep -Eq "^asyncdemo_task_$m\{name=$n,kind=\"url\"\} $num\$" "$tmp/m" ||
		    fail "no $m for $n: $(grep task_ "$tmp/m")"
	done
done
pass "durations and timestamps for both"
for m in up last_duration_seconds last_run_timestamp_seconds; do
	grep -q "^# TYPE asyncdemo_task_$m gauge\$" "$tmp/m" || fail "no TYPE for $m"
	grep -q "^# HELP asyncdemo_task_$m " "$tmp/m" || fail "no HELP for $m"
done
expect "unnamed tasks add no series" \
    "$(grep -Ec '^asyncdemo_task_(up|last_[a-z_]*)\{' "$tmp/m")" 9
t=$(sed -n 's/^asyncdemo_task_last_run_timestamp_seconds{name="api",kind="url"} //p' "$tmp/m")
now=$(date +%s)
awk -v t="$t" -v n="$now" 'BEGIN { exit !(t > n - 3600 && t < n + 60) }' ||
    fail "timestamp $t is not unix time near $now"
pass "the timestamp is unix time"
if command -v promtool > /dev/null; then
	promtool check metrics < "$tmp/m" || fail "promtool: $(promtool check metrics < "$tmp/m" 2>&1)"
	pass "promtool check metrics"
fi

# Kept across runs: a later run still shows them.
wait_for 30 metrics_have '^asyncdemo_runs_total ([3-9]|[1-9][0-9]+)$' ||
    fail "no third run"
expect "kept across runs" "$(up | wc -l)" 3

# A reload with api alone: the other names' series go, api's stays.
cat > "$tmp/d.yaml" <<YAML
interval: 0.2
tasks:
  - url: $base_url/status/200
    name: api
YAML
kill -HUP "$pid"
wait_for 30 grep -q 'reloaded' "$tmp/err" || fail "no reload: $(cat "$tmp/err")"
gone_series() {
	metrics_have '^asyncdemo_runs_total' && ! grep -Eq 'bad|twice' "$tmp/m"
}
wait_for 30 gone_series || fail "the dropped name's series stayed: $(up)"
expect "the listed name stays" "$(up)" 'asyncdemo_task_up{name="api",kind="url"} 1'

kill -TERM "$pid"
wait_child 30 "$pid" || fail "the daemon did not stop: $(cat "$tmp/stuck")"
pid=
# 1: a task failed (bad"one). Anything else, a sanitizer's leak report
# among them, is a fault.
expect "exit after SIGTERM" "$rc" 1
