#!/bin/sh
# Drawing a large run costs little memory: bars are recorded compactly and
# the trace is written an event at a time. 100,000 tasks with
# --timeline-svg and --trace peak within a few times the memory of the
# same run drawing nothing (a DOM of the trace took twenty times as much).
. "$(dirname "$0")/lib.sh"

[ -x /usr/bin/time ] || { echo "SKIP: needs GNU time"; exit 77; }
# Under AddressSanitizer freed memory waits in a quarantine (256 MiB):
# keep it small, or it would count as what drawing holds.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
export ASAN_OPTIONS
awk 'BEGIN { print "workers: 1000"; print "tasks:";
    for (i = 0; i < 100000; i++) print "  - delay: 0.001" }' > "$tmp/big.yaml"
peak() { # peak RSS in KiB of the command
	/usr/bin/time -f %M -o "$tmp/rss" "$@" || fail "$*: exit $?"
	tail -1 "$tmp/rss"
}
plain=$(peak "$ASYNCDEMO" -q -c "$tmp/big.yaml")
drawn=$(peak "$ASYNCDEMO" -q --timeline-svg "$tmp/big.svg" --trace "$tmp/big.json" -c "$tmp/big.yaml")
expect "every task is in the trace" \
    "$(jqf '[.traceEvents[] | select(.ph == "X" and .cat == "delay")] | length' "$tmp/big.json")" 100000
awk -v a="$plain" -v b="$drawn" 'BEGIN { exit !(b < 4 * a) }' ||
    fail "drawing 100,000 tasks peaked at $drawn KiB, against $plain KiB drawing nothing"
pass "100,000 tasks: $drawn KiB drawn, $plain KiB not"
