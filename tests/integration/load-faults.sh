#!/bin/sh
# Load with faults, nothing lost: many url tasks on many workers (async)
# against a loopback server that fails 10% of its requests at random. Every
# task is in the results file exactly once, with the status the server gave
# it; the failed count is the server's count of 500s. make check runs 2,000
# tasks on 200 workers; tests/stress/run sets LOAD_TASKS=10000 and
# LOAD_WORKERS=500.
. "$(dirname "$0")/lib.sh"

tasks=${LOAD_TASKS:-2000}
workers=${LOAD_WORKERS:-200}
command -v python3 > /dev/null || fail "python3 is needed for the flaky server"

start_flaky --fail 0.1
flaky_tasks "$tasks" "$workers" 0 > "$tmp/load.yaml"

start=$(date +%s.%N)
"$ASYNCDEMO" -j -m async -o "$tmp/results.jsonl" -c "$tmp/load.yaml" \
    > "$tmp/out.jsonl" 2> "$tmp/err"
rc=$?
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
stop_flaky
expect "exit 1: some tasks failed" "$rc" 1

# Every line whole JSON, every task once.
n=$(wc -l < "$tmp/results.jsonl")
expect "one result line per task" "$n" "$tasks"
expect "every line is JSON" "$(jq -c . "$tmp/results.jsonl" | wc -l)" "$tasks"
expect "every task exactly once" \
    "$(jqf -s '[.[].task] | (unique | length) == length and min == 1 and max == '"$tasks" "$tmp/results.jsonl")" true

# The outcome of each task is what the server answered it.
sed -n 's|^/t/\([0-9]*\) \([0-9]*\)$|\1 \2|p' "$tmp/flaky.log" | sort > "$tmp/server"
jqf -r '"\(.task) \(.status)"' "$tmp/results.jsonl" | sort > "$tmp/client"
expect "the server answered each task once" "$(wc -l < "$tmp/server")" "$tasks"
cmp -s "$tmp/server" "$tmp/client" ||
    fail "statuses differ: $(diff "$tmp/server" "$tmp/client" | head -5)"
pass "each task's status is the one the server sent"
expect "ok exactly when the server said 200" \
    "$(jqf -s 'map(select(.ok != (.status == 200))) | length' "$tmp/results.jsonl")" 0

s500=$(grep -c ' 500$' "$tmp/server")
failed=$(jqf -s 'map(select(.ok | not)) | length' "$tmp/results.jsonl")
expect "failed results = the server's 500s" "$failed" "$s500"
expect "run_done counts" \
    "$(jqf -c 'select(.event == "run_done") | [.ok, .failed]' "$tmp/out.jsonl")" \
    "[$((tasks - s500)),$s500]"
# 10% at random: far outside 4% to 16% is a broken server, not bad luck.
awk -v f="$s500" -v n="$tasks" 'BEGIN { exit !(f > n * 0.04 && f < n * 0.16) }' ||
    fail "the server failed $s500 of $tasks: not about 10%"
pass "$tasks tasks, $workers workers: $s500 failed at random (server and results agree), $took s"

# With retries: a task's attempts are the server's answers to its path, and
# its outcome is the last of them.
start_flaky --fail 0.1
flaky_tasks "$tasks" "$workers" 2 > "$tmp/retry.yaml"
"$ASYNCDEMO" -q -m async -o "$tmp/retry.jsonl" -c "$tmp/retry.yaml" 2> "$tmp/retry.err"
rc=$?
stop_flaky
awk '{ sub("^/t/", "", $1); n[$1]++; last[$1] = $2 }
    END { for (t in n) print t, n[t], last[t] }' "$tmp/flaky.log" | sort > "$tmp/server"
jqf -r '"\(.task) \(.attempt) \(.status)"' "$tmp/retry.jsonl" | sort > "$tmp/client"
expect "retries: every task once" "$(wc -l < "$tmp/client")" "$tasks"
cmp -s "$tmp/server" "$tmp/client" ||
    fail "attempts differ: $(diff "$tmp/server" "$tmp/client" | head -5)"
retried=$(awk '$2 > 1' "$tmp/client" | wc -l)
failed=$(awk '$3 != 200' "$tmp/client" | wc -l)
expect "retries: exit status" "$rc" "$([ "$failed" -gt 0 ] && echo 1 || echo 0)"
pass "retries: $retried tasks retried, $failed failed three times; attempts and outcomes match the server's log"
