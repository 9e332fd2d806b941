#!/bin/sh
# Timelines from real runs: the chart, --compare, the SVG and the trace.
. "$(dirname "$0")/lib.sh"

f=$(scaled_example 4)

# --timeline: a row per worker with its bars, a CPU row, an axis.
"$ASYNCDEMO" --timeline -c "$f" > "$tmp/chart.txt" || fail "--timeline exit $?"
sed -n '/^Timeline of example_4: async mode, 2 workers/,$p' "$tmp/chart.txt" \
    > "$tmp/rows.txt"
[ -s "$tmp/rows.txt" ] || fail "no chart: $(cat "$tmp/chart.txt")"
grep -Eq '^One +\| *\[1 delay-+' "$tmp/rows.txt" || fail "row One: $(cat "$tmp/rows.txt")"
grep -Eq '^Two +\|.*\[4 delay-+' "$tmp/rows.txt" || fail "row Two: $(cat "$tmp/rows.txt")"
grep -Eq '^CPU +\|' "$tmp/rows.txt" || fail "no CPU row"
# The tick step follows the run's length (0.1 s for the ideal 0.5 s run,
# 0.2 s once a loaded machine stretches it past 0.875 s): any step will do.
grep -Eq '^ +0s +0\.[125]s' "$tmp/rows.txt" || fail "no axis"
sed '/^Summary/,$d' "$tmp/rows.txt" | awk 'length > 80 { exit 1 }' ||
    fail "a chart line is wider than 80"
pass "--timeline draws a row per worker, the CPU row and the axis"
grep -q '^Summary: 6 tasks, 6 ok, 0 failed; overlap [12]\.[0-9]*x' "$tmp/chart.txt" ||
    fail "summary: $(grep Summary "$tmp/chart.txt")"
expect "the total line stays last" "$(tail -1 "$tmp/chart.txt" | sed 's/[0-9.]* seconds/X seconds/')" \
    "Total elapsed time: X seconds (6 ok, 0 failed)"

# --compare: all four modes, and async beats sync.
"$ASYNCDEMO" --compare -c "$f" > "$tmp/compare.txt" 2> "$tmp/compare.err" ||
    fail "--compare exit $?"
sed -n '/^Comparison of example_4/,$p' "$tmp/compare.txt" > "$tmp/table.txt"
expect "--compare lists the four modes" \
    "$(awk 'NR > 2 { printf "%s ", $1 }' "$tmp/table.txt")" \
    "sync cooperative threads async "
sync=$(awk '$1 == "sync" { print $2 }' "$tmp/table.txt")
async=$(awk '$1 == "async" { print $2 }' "$tmp/table.txt")
# The delays sum to 1.0 s, what sync takes at least; async overlaps two
# (about 0.5 s). Under 0.9 s proves the overlap with 0.4 s of room for a
# loaded machine (sync's own time would add its noise to the bound).
awk -v a="$async" -v s="$sync" 'BEGIN { exit !(s >= 1.0 && a > 0 && a < 0.9) }' ||
    fail "async took $async s against sync's $sync s (1.0 s of delays)"
pass "async beats sync ($async s against $sync s)"
[ -s "$tmp/compare.err" ] && fail "--compare warned: $(cat "$tmp/compare.err")"
pass "--compare says nothing on stderr"

# --timeline-svg and --trace, quiet: well-formed files with every task.
"$ASYNCDEMO" -q --compare --timeline-svg "$tmp/t.svg" --trace "$tmp/t.json" \
    -c "$f" > "$tmp/quiet.out" || fail "files exit $?"
# -q keeps the one answer asked for, the table, and nothing else.
grep -q '^Comparison of ' "$tmp/quiet.out" || fail "-q --compare: no table: $(cat "$tmp/quiet.out")"
grep -v '^Comparison of \|^  mode \|^  \(sync\|cooperative\|threads\|async\) \|^$' "$tmp/quiet.out" | grep -q . &&
    fail "-q --compare printed more than the table: $(cat "$tmp/quiet.out")"
if command -v xmllint > /dev/null; then
	xmllint --noout "$tmp/t.svg" || fail "the SVG is not XML"
fi
head -2 "$tmp/t.svg" | grep -q '<svg xmlns="http://www.w3.org/2000/svg"' ||
    fail "not an SVG"
grep -q '<script' "$tmp/t.svg" && fail "the SVG has a script"
expect "the SVG has a bar per task in each mode" \
    "$(grep -c '<g class="task">' "$tmp/t.svg")" 24
expect "the SVG has an axis per mode" \
    "$(grep -c '<g class="axis"' "$tmp/t.svg")" 4
expect "the trace has an X event per task" \
    "$(jqf '[.traceEvents[] | select(.ph == "X" and .cat != "cpu")] | length' "$tmp/t.json")" 24
expect "the trace names the workers and the loop" \
    "$(jqf '[.traceEvents[] | select(.name == "thread_name" and .pid == 4) | .args.name] | join(",")' "$tmp/t.json")" \
    "event loop,worker One,worker Two"
# At least its 0.3 s (durations in microseconds), and not the whole run.
expect "task 3 ran 0.3 s on Two's track" \
    "$(jqf '.traceEvents[] | select(.pid == 4 and .args.task == 3) | "\(.tid) \(.dur >= 300000 and .dur < 1000000)"' "$tmp/t.json")" \
    "2 true"

# The loop-blocked detector names the task that held the loop: a
# factorial whose slices are a million multiplications each, all on the
# loop's thread as in asyncio. -v adds how many ready tasks waited.
cat > "$tmp/block.yaml" <<'YAML'
mode: async
workers: 2
tasks:
  - delay: 0.2
  - factorial: 500000
    yield_every: 1000000
YAML
"$ASYNCDEMO" -v --block-threshold 1ms -c "$tmp/block.yaml" > "$tmp/block.out" \
    2> "$tmp/block.err" || fail "blocking run exit $?"
grep -Eq '^asyncdemo: event loop blocked [0-9.]+ s by task 2 \(factorial 500000\); [01] ready tasks? waited$' \
    "$tmp/block.err" || fail "no blocked warning: $(cat "$tmp/block.err")"
pass "a factorial that holds the loop is named, with -v the tasks that waited"
"$ASYNCDEMO" --block-threshold 1ms -c "$tmp/block.yaml" > /dev/null \
    2> "$tmp/block.err" || fail "blocking run exit $?"
grep -Eq '^asyncdemo: event loop blocked [0-9.]+ s by task 2 \(factorial 500000\)$' \
    "$tmp/block.err" || fail "not said without -v: $(cat "$tmp/block.err")"
pass "without -v it is said too"
"$ASYNCDEMO" --block-threshold 0 -c "$tmp/block.yaml" > /dev/null \
    2> "$tmp/block.err" || fail "blocking run exit $?"
[ -s "$tmp/block.err" ] && fail "warned with threshold 0: $(cat "$tmp/block.err")"
pass "--block-threshold 0 turns it off"
"$ASYNCDEMO" --block-threshold 1x -c "$tmp/block.yaml" > /dev/null 2>&1
expect "a bad threshold is a usage error" "$?" 64
