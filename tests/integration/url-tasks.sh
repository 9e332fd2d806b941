#!/bin/sh
# url tasks against the demo server on a loopback port chosen by the kernel.
. "$(dirname "$0")/lib.sh"
start_server

# Eight fetches of 0.3 s with two workers: async overlaps them.
{
	echo "workers: [One, Two]"
	echo "tasks:"
	for i in 1 2 3 4 5 6 7 8; do echo "  - url: $base_url/delay/0.3"; done
} > "$tmp/eight.yaml"
"$ASYNCDEMO" -j -m cooperative -c "$tmp/eight.yaml" > "$tmp/coop.jsonl" ||
    fail "cooperative run failed: $(cat "$tmp/coop.jsonl")"
"$ASYNCDEMO" -j -m async -c "$tmp/eight.yaml" > "$tmp/async.jsonl" ||
    fail "async run failed"
ec=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/coop.jsonl")
ea=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/async.jsonl")
echo "8 x /delay/0.3, 2 workers: cooperative $ec s, async $ea s"
# Cooperative fetches one at a time: at least 8 x 0.3 = 2.4 s. Async on
# two workers: about 1.2 s. Any run without overlap takes the 2.4 s, so
# async under 0.75 of that proves the overlap and leaves 0.6 s (half the
# ideal) for a loaded machine; cooperative's own time, a second run, would
# only add its noise to the bound.
awk -v c="$ec" 'BEGIN { exit !(c >= 2.4) }' ||
    fail "cooperative $ec s is less than the 2.4 s of its fetches"
awk -v a="$ea" 'BEGIN { exit !(a >= 1.2 && a < 0.75 * 2.4) }' ||
    fail "async $ea s is not less than 0.75 of the 2.4 s of its fetches"
pass "async fetches overlap"
expect "every fetch ok with status 200" \
    "$(jqf -s -c 'map(select(.event == "task_done") | [.ok, .status, .result, .attempt]) | unique' "$tmp/async.jsonl")" \
    '[[true,200,200,1]]'

# Fifty workers, fifty fetches of 0.5 s: about 0.5 s in all.
{
	echo "workers: 50"
	echo "tasks:"
	i=0; while [ $i -lt 50 ]; do echo "  - url: $base_url/delay/0.5"; i=$((i + 1)); done
} > "$tmp/fifty.yaml"
"$ASYNCDEMO" -j -c "$tmp/fifty.yaml" > "$tmp/fifty.jsonl" || fail "fifty run failed"
e=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/fifty.jsonl")
# One at a time would take 25 s, ten at a time 2.5 s: under 2.5 s, more
# than ten were in flight together, with 2 s (four times the ideal) for
# fifty connections on a loaded machine.
awk -v e="$e" 'BEGIN { exit !(e >= 0.5 && e < 2.5) }' ||
    fail "50 workers x /delay/0.5 took $e s"
pass "50 concurrent fetches in $e s"

# Failures are tasks that fail, with a clear error; the run goes on.
cat > "$tmp/faults.yaml" <<YAML
workers: 3
defaults:
  timeout: 1s
  preview: 12
tasks:
  - url: $base_url/status/404
  - url: $base_url/status/500
  - url: $base_url/redirect/3
  - url: $base_url/redirect-loop
  - url: http://127.0.0.1:1/
  - url: $base_url/stall
  - url: $base_url/bytes/100
  - delay: 0
YAML
"$ASYNCDEMO" -j -c "$tmp/faults.yaml" > "$tmp/faults.jsonl"
expect "exit 1 when a fetch fails" "$?" 1
# The stall never ends by itself (the demo server holds it): the run ends
# because of the 1 s timeout. 10 s leaves room for a loaded machine.
e=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/faults.jsonl")
awk -v e="$e" 'BEGIN { exit !(e >= 1 && e < 10) }' || fail "the faults took $e s"
err() { jqf -r "select(.event == \"task_done\" and .task == $1) | \"\(.ok) \(.error // \"-\")\"" "$tmp/faults.jsonl"; }
expect "404 fails" "$(err 1)" "false HTTP 404"
expect "500 fails" "$(err 2)" "false HTTP 500"
expect "a redirect chain is followed" "$(err 3)" "true -"
expect "a redirect loop is refused" "$(err 4)" "false too many redirects (more than 10)"
expect "a refused port fails" "$(err 5)" "false connection refused"
expect "a stalled body times out" "$(err 6)" "false timed out after 1 s"
expect "the preview is cut to 12 characters" \
    "$(jqf -r 'select(.event == "task_done" and .task == 7) | "\(.bytes) \(.preview | length)"' "$tmp/faults.jsonl")" "100 12"
expect "the run went on" "$(jqf -c 'select(.event == "run_done") | [.ok, .failed]' "$tmp/faults.jsonl")" "[3,5]"

# Retries: each failed attempt is an event, the last attempt decides.
cat > "$tmp/retry.yaml" <<YAML
tasks:
  - url: $base_url/status/503?retry_after=0
    retries: 2
    retry_delay: 10ms
  - url: $base_url/status/404
    retries: 3
YAML
"$ASYNCDEMO" -j -c "$tmp/retry.yaml" > "$tmp/retry.jsonl"
expect "a 503 is retried twice" \
    "$(jqf -s -c 'map(select(.event == "task_retry" and .task == 1) | .attempt)' "$tmp/retry.jsonl")" "[1,2]"
expect "the last attempt decides" \
    "$(jqf -c 'select(.event == "task_done" and .task == 1) | [.ok, .attempt, .status]' "$tmp/retry.jsonl")" "[false,3,503]"
expect "a 404 is not worth a retry" \
    "$(jqf -c 'select(.event == "task_done" and .task == 2) | .attempt' "$tmp/retry.jsonl")" "1"

# rate: at most 20 starts a second, whatever the workers.
{
	echo "workers: 10"
	echo "rate: 20/s"
	echo "tasks:"
	for i in 1 2 3 4 5 6 7 8 9 10 11; do echo "  - url: $base_url/"; done
} > "$tmp/rate.yaml"
"$ASYNCDEMO" -j -c "$tmp/rate.yaml" > "$tmp/rate.jsonl" || fail "rate run"
e=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/rate.jsonl")
# 0.5 s for ten intervals of 0.05 s; under 2 s (four times), the pace is
# not much slower than asked, with room for a loaded machine.
awk -v e="$e" 'BEGIN { exit !(e >= 0.45 && e < 2) }' ||
    fail "11 starts at 20/s took $e s, expected about 0.5"
pass "rate paces the starts ($e s)"

# A 50 MB body is streamed: peak memory stays small.
printf 'tasks:\n  - url: %s/bytes/52428800\n' "$base_url" > "$tmp/big.yaml"
/usr/bin/time -f '%M' -o "$tmp/rss" "$ASYNCDEMO" -j -c "$tmp/big.yaml" > "$tmp/big.jsonl" ||
    fail "big body run failed"
expect "50 MB counted" "$(jqf 'select(.event == "task_done") | .bytes' "$tmp/big.jsonl")" 52428800
rss=$(tail -1 "$tmp/rss")
[ "$rss" -lt 40000 ] || fail "peak RSS $rss KiB for a 50 MB body"
pass "peak RSS $rss KiB for a 50 MB body"

# The blocking modes fetch too.
for m in sync cooperative threads; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/faults.yaml" > "$tmp/$m.jsonl"
	expect "$m mode: same outcomes" \
	    "$(jqf -s -c 'map(select(.event == "task_done")) | sort_by(.task) | map(.ok)' "$tmp/$m.jsonl")" \
	    "[false,false,true,false,false,false,true,true]"
done
