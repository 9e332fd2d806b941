#!/bin/sh
# 100 SIGHUPs a second while a daemon runs every 0.1 s, the task file
# replaced before each by one of two valid lists or two invalid ones: no
# crash, open descriptors and RSS steady, and the last valid file is the one
# that runs. make check storms for 3 s; tests/stress/run sets
# SIGHUP_SECONDS=60.
. "$(dirname "$0")/lib.sh"

seconds=${SIGHUP_SECONDS:-3}
command -v python3 > /dev/null || fail "python3 is needed for the storm"
cleanup_hooks="$cleanup_hooks kill_daemon"

printf 'tasks:\n  - factorial: 100\n  - delay: 0.05\n' > "$tmp/storm.yaml"
"$ASYNCDEMO" -q --interval 0.1 -p "$tmp/d.pid" -l "$tmp/d.log" \
    -o "$tmp/results.jsonl" -c "$tmp/storm.yaml" 2> "$tmp/d.err" &
pid=$!
# A SIGHUP before the daemon has set up its signal events would end it
# (the default action); the pidfile is written earlier than that. A first
# result means the loop is running, with the events in place.
wait_for 30 lines_at_least "$tmp/results.jsonl" 1 ||
    fail "the daemon did not start: $(cat "$tmp/d.err")"
python3 "$top_srcdir/tests/integration/sighup_storm.py" "$pid" \
    "$tmp/storm.yaml" "$seconds" 100 "$tmp/samples" > "$tmp/storm.out" ||
    fail "the daemon died in the storm: $(tail -3 "$tmp/d.err")"
sent=$(sed -n 's/^sighup_storm: \([0-9]*\) signals.*/\1/p' "$tmp/storm.out")

# The final list applies from a run, and every run after it is that list.
runs_of() { # runs_of ARG: the runs that ran factorial ARG
	jqf -s -c "map(select(.kind == \"factorial\" and .arg == $1) | .run) | unique" "$tmp/results.jsonl"
}
final_runs() {
	[ "$(jqf -s "map(select(.arg == 999) | .run) | unique | length" "$tmp/results.jsonl")" -ge 3 ]
}
wait_for 30 final_runs || fail "the final list did not run: $(tail -3 "$tmp/d.log")"
kill -TERM $pid
wait $pid
rc=$?
pid=
expect "exit 0 after the storm and SIGTERM" "$rc" 0
[ ! -e "$tmp/d.pid" ] || fail "the pidfile is left"

first=$(jqf -s 'map(select(.arg == 999) | .run) | min' "$tmp/results.jsonl")
expect "every run from the first with the final list is the final list" \
    "$(jqf -s -c "map(select(.run >= $first)) | group_by(.run) | map(map(.arg) | sort) | unique" "$tmp/results.jsonl")" \
    "[[0.03,999]]"
a=$(runs_of 101 | jq length)
b=$(runs_of 102 | jq length)
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "the valid lists did not both run ($a, $b runs)"
runs=$(jqf -s 'map(.run) | max' "$tmp/results.jsonl")
reloaded=$(grep -c 'reloaded' "$tmp/d.log")
kept=$(grep -c 'keeping the running task list' "$tmp/d.log")
[ "$kept" -gt 0 ] || fail "no invalid reload was refused"
pass "$sent SIGHUPs in $seconds s: $reloaded reloads, $kept refused, $runs runs ($a of list A, $b of list B), the final list from run $first on"

# Descriptors and RSS: from the sample at 1 s to the last.
awk '$1 >= 1' "$tmp/samples" > "$tmp/steady"
[ -s "$tmp/steady" ] || fail "no samples: $(cat "$tmp/samples")"
read -r _ fd0 rss0 < "$tmp/steady"
fd1=$(awk 'END { print $2 }' "$tmp/steady")
rss1=$(awk 'END { print $3 }' "$tmp/steady")
fdmax=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$tmp/steady")
[ "$fdmax" -le $((fd0 + 2)) ] || fail "descriptors grew: $fd0 at 1 s, $fdmax at most"
# RSS may settle a little (allocator arenas); a leak per reload grows with
# the number of reloads. ASan keeps freed memory in quarantine: more slack.
slack=2048
ldd "$ASYNCDEMO" 2>/dev/null | grep -q libasan && slack=65536
[ "$rss1" -le $((rss0 + slack)) ] ||
    fail "RSS grew from $rss0 KiB at 1 s to $rss1 KiB ($(wc -l < "$tmp/steady") samples)"
pass "descriptors $fd0 at 1 s, $fd1 at the end (at most $fdmax); RSS $rss0 KiB at 1 s, $rss1 KiB at the end"
