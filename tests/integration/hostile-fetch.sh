#!/bin/sh
# Fetches a server cannot abuse: a gzip bomb (2 GiB of zeros in 2 MiB)
# stops at max_bytes with a clear error, and its decoding gives the loop
# back, so that delays beside it stay on time; Retry-After: 999999999 is
# capped at retry_max_delay; an international host name is converted, not
# refused as malformed.
. "$(dirname "$0")/lib.sh"

start_hostile
port=$hport

{
	echo "workers: 2"
	echo "tasks:"
	echo "  - url: http://127.0.0.1:$port/gzip-bomb?mib=2048"
	echo "    max_bytes: 256MiB"
	i=0; while [ $i -lt 40 ]; do echo "  - delay: 0.05"; i=$((i + 1)); done
} > "$tmp/bomb.yaml"
"$ASYNCDEMO" -j -c "$tmp/bomb.yaml" > "$tmp/bomb.jsonl" 2> "$tmp/bomb.err"
expect "a gzip bomb fails the run" "$?" 1
expect "a gzip bomb stops at max_bytes" \
    "$(jqf -r 'select(.event == "task_done" and .task == 1) | "\(.ok) \(.bytes) \(.error)"' "$tmp/bomb.jsonl")" \
    "false 268435456 the body is over max_bytes (268435456 bytes once decoded)"
# Undivided, decoding holds the loop for most of the time the fetch takes:
# a delay beside it is late by nearly that much. In slices of 5 ms the
# worst delay is late by a small part of it (a third, for a busy machine).
late=$(jqf -s '[.[] | select(.event == "task_done" and .kind == "delay") | .elapsed - 0.05] | max' "$tmp/bomb.jsonl")
took=$(jqf 'select(.event == "task_done" and .task == 1) | .elapsed' "$tmp/bomb.jsonl")
awk -v l="$late" -v t="$took" 'BEGIN { exit !(l < t / 3) }' ||
    fail "a delay beside the bomb was $late s late, of the bomb's $took s"
pass "delays beside the bomb: at most $late s late, while it took $took s"

# Retry-After: 999999999 waits retry_max_delay (0.2 s here), not 31 years.
start_server
cat > "$tmp/retry.yaml" <<YAML
tasks:
  - url: $base_url/status/503?retry_after=999999999
    retries: 1
    retry_max_delay: 0.2s
YAML
"$ASYNCDEMO" -j -c "$tmp/retry.yaml" > "$tmp/retry.jsonl" 2> "$tmp/retry.err"
expect "Retry-After capped: the task fails after its retry" "$?" 1
expect "Retry-After capped at retry_max_delay" \
    "$(jqf -c 'select(.event == "task_retry") | .retry_in' "$tmp/retry.jsonl")" 0.2
printf 'tasks:\n  - url: %s/status/503?retry_after=999999999\n    retries: 1\n' "$base_url" > "$tmp/retry60.yaml"
"$ASYNCDEMO" -n -c "$tmp/retry60.yaml" > /dev/null || fail "retry60: invalid"
"$ASYNCDEMO" -j -c "$tmp/retry60.yaml" > "$tmp/retry60.jsonl" 2> "$tmp/retry60.err" &
rpid=$!
wait_for 20 grep -q task_retry "$tmp/retry60.jsonl" || fail "no retry"
kill -TERM $rpid
wait $rpid
expect "the default retry_max_delay is 60 s" \
    "$(jqf -c 'select(.event == "task_retry") | .retry_in' "$tmp/retry60.jsonl")" 60

# An international name goes out as punycode (and does not resolve here).
printf 'tasks:\n  - url: http://bücher.invalid:%s/\n    timeout: 10s\n' "$port" > "$tmp/idn.yaml"
LC_ALL=C "$ASYNCDEMO" -j -c "$tmp/idn.yaml" > "$tmp/idn.jsonl" 2>&1
err=$(jqf -r 'select(.event == "task_done") | .error' "$tmp/idn.jsonl")
case $err in
*malformed*) fail "an international host name: $err" ;;
*xn--bcher-kva.invalid*|*"could not resolve"*) pass "an international host name: $err" ;;
*) fail "an international host name: $err" ;;
esac
