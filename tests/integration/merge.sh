#!/bin/sh
# --merge: shards' results files read back as the whole run, checked for
# tasks missing or there twice, summed up and drawn.
. "$(dirname "$0")/lib.sh"

ex4="$top_srcdir/conf/example_4.yaml"
run4() {
	"$ASYNCDEMO" -q --time-scale 0.05 -c "$ex4" "$@"
}

# Example 4 as three shards, one file each, and once whole.
for k in 0 1 2; do
	run4 --shard $k/3 -o "$tmp/shard-$k.jsonl" || fail "shard $k/3: exit $?"
done
run4 -o "$tmp/whole.jsonl" || fail "the unsharded run: exit $?"
shards="$tmp/shard-0.jsonl $tmp/shard-1.jsonl $tmp/shard-2.jsonl"

# The text summary: the counts of the unsharded run, and the files.
"$ASYNCDEMO" --merge $shards > "$tmp/out" 2> "$tmp/err" ||
    fail "merge: exit $?: $(cat "$tmp/err")"
grep -q '^Run 1 merged from 3 files: ' "$tmp/out" || fail "no header: $(cat "$tmp/out")"
expect "the merge counts what the whole run did" \
    "$(sed -n 's/^Summary: \([^;]*\);.*/\1/p' "$tmp/out")" \
    "$(jqf -s -r '"\(length) tasks, \(map(select(.ok)) | length) ok, \(map(select(.ok | not)) | length) failed"' "$tmp/whole.jsonl")"
grep -Eq '^  delay +4  p50 ' "$tmp/out" || fail "no delay line: $(cat "$tmp/out")"
grep -Eq '^  factorial +2  p50 ' "$tmp/out" || fail "no factorial line"
grep -q '^  slowest: 1 delay 0.2 ' "$tmp/out" || fail "slowest: $(grep slowest "$tmp/out")"
grep -q 'tasks after 6, the highest seen, cannot be checked without -c' "$tmp/out" ||
    fail "no word on what cannot be checked"
for k in 0 1 2; do
	grep -Eq "^  $tmp/shard-$k.jsonl +2 +2 +0 .* shard-$k:(One|Two) \(" "$tmp/out" ||
	    fail "file $k's line: $(sed -n '/^Files/,$p' "$tmp/out")"
done
[ ! -s "$tmp/err" ] || fail "stderr: $(cat "$tmp/err")"
pass "the merge of three shards counts the whole run's tasks, each file compared"

# -q: nothing on stdout, the same status.
"$ASYNCDEMO" -q --merge $shards > "$tmp/out" || fail "-q merge: exit $?"
[ ! -s "$tmp/out" ] || fail "-q printed: $(cat "$tmp/out")"
pass "-q silences the merge"

# -j: one JSON object.
"$ASYNCDEMO" -j --merge -c "$ex4" $shards > "$tmp/merge.json" || fail "-j: exit $?"
expect "-j is one JSON object with the counts" "$(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
r = o["runs"][0]
print(o["tasks"], o["ok"], o["failed"], o["complete"], o["expected"],
      r["kinds"]["delay"]["count"], sorted(r["kinds"]["delay"]),
      [f["tasks"] for f in o["files"]], r["slowest"][0]["task"])
' "$tmp/merge.json")" \
    "6 6 0 True 6 4 ['count', 'failed', 'max', 'p50', 'p90', 'p95', 'p99'] [2, 2, 2] 1"

grep -q '"arg":0.2,' "$tmp/merge.json" || fail "-j numbers not as the results': $(cat "$tmp/merge.json")"
pass "-j prints the merge as one JSON object, numbers as the results file's"

# A line there twice: both places named, exit 1.
cp "$tmp/shard-0.jsonl" "$tmp/twice.jsonl"
head -1 "$tmp/shard-1.jsonl" >> "$tmp/twice.jsonl"
task=$(head -1 "$tmp/shard-1.jsonl" | jqf .task)
"$ASYNCDEMO" -q --merge "$tmp/twice.jsonl" "$tmp/shard-1.jsonl" "$tmp/shard-2.jsonl" \
    2> "$tmp/err"
expect "a task there twice: exit 1" "$?" 1
grep -qx "asyncdemo: run 1: task $task is there 2 times: $tmp/twice.jsonl:3, $tmp/shard-1.jsonl:1" \
    "$tmp/err" || fail "task twice: $(cat "$tmp/err")"
pass "a task there twice is named with both places"

# A line dropped: the task is named missing, exit 1.
sed 1d "$tmp/shard-2.jsonl" > "$tmp/short.jsonl"
task=$(head -1 "$tmp/shard-2.jsonl" | jqf .task)
"$ASYNCDEMO" -q --merge -c "$ex4" "$tmp/shard-0.jsonl" "$tmp/shard-1.jsonl" \
    "$tmp/short.jsonl" 2> "$tmp/err"
expect "a task missing: exit 1" "$?" 1
grep -qx "asyncdemo: run 1: 1 task missing: $task" "$tmp/err" ||
    fail "missing: $(cat "$tmp/err")"
grep -q "^asyncdemo: run 1: task $task missing: delay [0-9.]* ($ex4:[0-9]*)" "$tmp/err" ||
    fail "the missing task not named: $(cat "$tmp/err")"
pass "a missing task is named, with its line in the task file"

# The last task missing: only -c can tell.
jqf -c 'select(.task != 6)' "$tmp/whole.jsonl" > "$tmp/no6.jsonl"
"$ASYNCDEMO" -q --merge "$tmp/no6.jsonl" 2> "$tmp/err" ||
    fail "without -c the last task cannot be missed: exit $?: $(cat "$tmp/err")"
"$ASYNCDEMO" -q --merge -c "$ex4" "$tmp/no6.jsonl" 2> "$tmp/err"
expect "the last task missing, with -c: exit 1" "$?" 1
grep -qx "asyncdemo: run 1: 1 task missing: 6" "$tmp/err" || fail "last: $(cat "$tmp/err")"
pass "with -c the missing last task is caught"

# A task that failed is a result: exit 1, nothing missing.
jqf -c 'if .task == 2 then .ok = false | .error = "broken" else . end' \
    "$tmp/whole.jsonl" > "$tmp/failed.jsonl"
"$ASYNCDEMO" --merge -c "$ex4" "$tmp/failed.jsonl" > "$tmp/out" 2> "$tmp/err"
expect "a failed task: exit 1" "$?" 1
grep -q '^Summary: 6 tasks, 5 ok, 1 failed' "$tmp/out" || fail "failed: $(cat "$tmp/out")"
grep -q '^  FAILED task 2 factorial 40 .*: broken$' "$tmp/out" || fail "not listed: $(cat "$tmp/out")"
[ ! -s "$tmp/err" ] || fail "a failed task is not a problem: $(cat "$tmp/err")"
pass "a failed task is counted as failed, not missing"

# A line that is not JSON: 78 with file:line:column.
{ head -1 "$tmp/shard-0.jsonl"; echo '{"event": "task_done", oops}'; } > "$tmp/bad.jsonl"
"$ASYNCDEMO" -q --merge "$tmp/bad.jsonl" 2> "$tmp/err"
expect "a line that is not JSON: exit 78" "$?" 78
grep -q "^$tmp/bad.jsonl:2:[0-9]*: not JSON: " "$tmp/err" || fail "bad: $(cat "$tmp/err")"
# A task_done without its task number: 78 with file:line.
head -1 "$tmp/shard-0.jsonl" | jqf -c 'del(.task)' > "$tmp/notask.jsonl"
"$ASYNCDEMO" -q --merge "$tmp/notask.jsonl" 2> "$tmp/err"
expect "a task_done without task: exit 78" "$?" 78
expect "its message" "$(cat "$tmp/err")" "$tmp/notask.jsonl:1: 'task' is missing"
pass "lines that are not task results are errors at their file:line"

# A last line cut short (a shard stopped while writing): said, skipped.
cp "$tmp/whole.jsonl" "$tmp/cut.jsonl"
printf '{"ts":"2026-01-01T00:00:00.000000Z","event":"task_do' >> "$tmp/cut.jsonl"
"$ASYNCDEMO" -q --merge "$tmp/cut.jsonl" 2> "$tmp/err" || fail "cut: exit $?"
expect "a cut last line is a warning" "$(cat "$tmp/err")" \
    "asyncdemo: $tmp/cut.jsonl:7: skipped: the last line is cut short (no newline at the end of the file)"

# An empty file, or one of blank lines: no results, a problem (exit 1).
: > "$tmp/empty.jsonl"
printf '\n\r\n' > "$tmp/blank.jsonl"
for f in empty blank; do
	"$ASYNCDEMO" -q --merge "$tmp/$f.jsonl" 2> "$tmp/err"
	expect "$f file: exit 1" "$?" 1
	expect "$f file: said" "$(cat "$tmp/err")" \
	    "asyncdemo: no task results in the file"
done
pass "an empty file is said to have no results, no sanitizer report"

# Runs no file has are said as ranges, in no time nor room, whatever
# the highest run number (4294967295 was four billion empty runs).
jqf -c '.run = 3' "$tmp/whole.jsonl" > "$tmp/run3.jsonl"
jqf -c '.run = 4294967295' "$tmp/whole.jsonl" > "$tmp/runmax.jsonl"
timeout 20 "$ASYNCDEMO" --merge -c "$ex4" "$tmp/whole.jsonl" "$tmp/run3.jsonl" \
    "$tmp/runmax.jsonl" > "$tmp/out" 2> "$tmp/err"
expect "runs missing: exit 1" "$?" 1
expect "runs missing: said as ranges" "$(cat "$tmp/err")" \
    "asyncdemo: no task results for runs 2, 4-4294967294"
expect "runs missing: the runs seen are printed" \
    "$(grep -c '^Run [0-9]* merged from 3 files' "$tmp/out")" 3
pass "runs that no file has are said as ranges"

# The same file twice, by one name or two: a usage error, not each of
# its tasks said twice at one place.
ln -s "$tmp/shard-1.jsonl" "$tmp/link.jsonl"
"$ASYNCDEMO" -q --merge "$tmp/shard-0.jsonl" "$tmp/shard-1.jsonl" "$tmp/link.jsonl" 2> "$tmp/err"
expect "the same file twice: exit 64" "$?" 64
expect "the same file twice: said" "$(cat "$tmp/err")" \
    "asyncdemo: --merge: $tmp/shard-1.jsonl and $tmp/link.jsonl are the same file"
pass "a file given twice is a usage error"

# A file name with a control character: its workers' rows show it escaped.
esc="$tmp/$(printf 'x\033[2Jy').jsonl"
cp "$tmp/shard-0.jsonl" "$esc"
"$ASYNCDEMO" --merge --timeline "$esc" "$tmp/shard-1.jsonl" > "$tmp/out" 2>&1
if grep -q "$(printf '\033')" "$tmp/out"; then fail "a raw escape: $(cat -v "$tmp/out")"; fi
grep -Fq 'x\x1b[2Jy:One' "$tmp/out" || fail "no escaped row: $(cat -v "$tmp/out")"
pass "a file name's control characters are escaped in its workers' names"

# A file that is not there: 66.
"$ASYNCDEMO" -q --merge "$tmp/shard-0.jsonl" "$tmp/none.jsonl" 2> "$tmp/err"
expect "a missing file: exit 66" "$?" 66
grep -q "none.jsonl: No such file or directory" "$tmp/err" || fail "66: $(cat "$tmp/err")"

# Options that run something: usage errors.
for opt in "--ui 127.0.0.1:0" "--serve 127.0.0.1:0" "--status 127.0.0.1:0" \
    "--interval 1s" "-d" "--shard 0/2" "-m sync" "-w 2" "--compare"; do
	"$ASYNCDEMO" --merge $opt "$tmp/shard-0.jsonl" 2> "$tmp/err"
	expect "--merge with $opt: exit 64" "$?" 64
	grep -q "^asyncdemo: --merge reads results and runs nothing: ${opt%% *} does not go with it" \
	    "$tmp/err" || fail "$opt: $(cat "$tmp/err")"
done
"$ASYNCDEMO" --merge 2> "$tmp/err"
expect "--merge without a file: exit 64" "$?" 64

# The pictures: every shard's workers on rows of their own.
"$ASYNCDEMO" -q --merge -c "$ex4" $shards --timeline-svg "$tmp/merge.svg" \
    --trace "$tmp/trace.json" || fail "pictures: exit $?"
for k in 0 1 2; do
	for w in One Two; do
		grep -q ">shard-$k:$w</text>" "$tmp/merge.svg" || fail "no row shard-$k:$w"
	done
done
expect "the SVG has a bar per task" \
    "$(grep -o 'data-task="[0-9]*"' "$tmp/merge.svg" | sort -u | wc -l)" 6
grep -q '>example_4: 3 files merged, 6 workers, ' "$tmp/merge.svg" || fail "SVG title"
python3 -m json.tool "$tmp/trace.json" > /dev/null || fail "the trace is not JSON"
expect "the trace has the six tasks on six workers' tracks" "$(python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
tasks = sorted(e["args"]["task"] for e in ev if e.get("cat") in ("delay", "factorial"))
names = sorted(e["args"]["name"] for e in ev if e["name"] == "thread_name" and e["tid"] > 0)
print(tasks, len(names), min(e["ts"] for e in ev if e["ph"] == "X"))
' "$tmp/trace.json")" "[1, 2, 3, 4, 5, 6] 6 0"
pass "--timeline-svg and --trace draw every shard's workers"

# --timeline: the text chart says the files, not a mode.
"$ASYNCDEMO" --merge --timeline $shards > "$tmp/out" || fail "--timeline: exit $?"
grep -q '^Timeline of merged, run 1: 3 files merged, 6 workers, ' "$tmp/out" ||
    fail "chart: $(cat "$tmp/out")"
grep -Eq '^shard-2:Two +\|' "$tmp/out" || fail "no row shard-2:Two: $(cat "$tmp/out")"
pass "--timeline charts the merged run, a row per shard's worker"
