#!/bin/bash
# The story matches the run: each mode's own explanation under -m and
# --compare, mode names in any case, --compare -q, what a stop signal
# says, a stable threads order, outputs checked before any task runs,
# the offline hint, and files that block (and time out) as reads do.
. "$(dirname "$0")/lib.sh"

cat > "$tmp/talk.yaml" <<'YAML'
description: THE FILE'S OWN STORY, written for async mode.
mode: async
workers: [One, Two]
tasks:
  - delay: 0.1
  - factorial: 20
  - delay: 0.1
YAML

# The first lines of a text run: the header, then the explanation.
story() {
	"$ASYNCDEMO" "$@" -c "$tmp/talk.yaml" > "$tmp/story.out" 2> "$tmp/story.err" ||
	    fail "asyncdemo $*: $(cat "$tmp/story.err")"
}

story
expect "the file's mode prints the file's description" \
    "$(sed -n 2p "$tmp/story.out")" "THE FILE'S OWN STORY, written for async mode."
for m in sync cooperative threads; do
	story -m $m
	grep -q "THE FILE'S OWN STORY" "$tmp/story.out" &&
	    fail "-m $m prints the file's description: $(head -3 "$tmp/story.out")"
	expect "-m $m: the header says $m" "$(sed -n '1s/.*, \([a-z]*\) mode,.*/\1/p' "$tmp/story.out")" $m
done
story -m sync
grep -q '^Synchronous: one task after another' "$tmp/story.out" || fail "sync story: $(head -4 "$tmp/story.out")"
grep -q 'finds the queue empty' "$tmp/story.out" || fail "sync story: $(head -4 "$tmp/story.out")"
story -m cooperative
grep -q '^Cooperative: the workers take turns' "$tmp/story.out" || fail "cooperative story: $(head -4 "$tmp/story.out")"
grep -q 'blocks while it runs' "$tmp/story.out" ||
    fail "cooperative story: $(head -4 "$tmp/story.out")"
story -m threads
grep -q '^Threads: each worker is a thread' "$tmp/story.out" || fail "threads story: $(head -4 "$tmp/story.out")"
grep -q 'uses several cores' "$tmp/story.out" || fail "threads story: $(head -4 "$tmp/story.out")"
pass "-m prints the mode's own explanation"

# async, when the file says sync: the async story, not the file's.
sed 's/^mode: async/mode: sync/' "$tmp/talk.yaml" > "$tmp/talk-sync.yaml"
"$ASYNCDEMO" -m async -c "$tmp/talk-sync.yaml" > "$tmp/story.out" || fail "-m async"
grep -q '^Async: one thread' "$tmp/story.out" || fail "async story: $(head -4 "$tmp/story.out")"
grep -q "CPU work (factorial) does not" "$tmp/story.out" || fail "async story: $(head -4 "$tmp/story.out")"
grep -q "THE FILE'S OWN STORY" "$tmp/story.out" && fail "-m async printed the sync file's description"
pass "-m async prints the async explanation"

# --compare: each run's explanation is its mode's; the file's own mode
# gets the file's description.
story --compare
expect "--compare: four runs" "$(grep -c '^Running talk' "$tmp/story.out")" 4
expect "--compare: the file's description once, under async" \
    "$(grep -B1 "THE FILE'S OWN STORY" "$tmp/story.out" | sed -n '1s/.*, \([a-z]*\) mode,.*/\1/p')" async
expect "--compare: the other modes' own" \
    "$(grep -c '^Synchronous: \|^Cooperative: \|^Threads: ' "$tmp/story.out")" 3
grep -q '^Async: one thread' "$tmp/story.out" && fail "--compare: the async run has the built-in story, not the file's"
pass "--compare: each run tells its own mode's story"

# JSON carries the mode, not the story.
"$ASYNCDEMO" -j -m sync -c "$tmp/talk.yaml" > "$tmp/story.jsonl" || fail "-j -m sync"
expect "JSON: run_start says the mode run" \
    "$(jqf -c 'select(.event == "run_start") | .mode' "$tmp/story.jsonl")" sync

# Mode names in any case, in the file and on the command line.
sed 's/^mode: async/mode: Async/' "$tmp/talk.yaml" > "$tmp/Async.yaml"
"$ASYNCDEMO" -j -c "$tmp/Async.yaml" > "$tmp/case.jsonl" 2> "$tmp/case.err" || fail "mode: Async: $(cat "$tmp/case.err")"
expect "mode: Async is async" "$(jqf -c 'select(.event == "run_start") | .mode' "$tmp/case.jsonl")" async
"$ASYNCDEMO" -j -m THREADS -c "$tmp/talk.yaml" > "$tmp/case.jsonl" || fail "-m THREADS"
expect "-m THREADS is threads" "$(jqf -c 'select(.event == "run_start") | .mode' "$tmp/case.jsonl")" threads
sed 's/^mode: async/mode: Asnyc/' "$tmp/talk.yaml" > "$tmp/Asnyc.yaml"
"$ASYNCDEMO" -c "$tmp/Asnyc.yaml" > /dev/null 2> "$tmp/case.err"
expect "mode: Asnyc exits 78" "$?" 78
expect "mode: Asnyc names file:line:col and suggests async" "$(cat "$tmp/case.err")" \
    "$tmp/Asnyc.yaml:2:7: mode: unknown mode 'Asnyc' (did you mean 'async'?)"
"$ASYNCDEMO" -m Asink -c "$tmp/talk.yaml" > /dev/null 2> "$tmp/case.err"
expect "-m Asink exits 64" "$?" 64
expect "-m Asink suggests async" "$(cat "$tmp/case.err")" \
    "asyncdemo: --mode: unknown mode 'Asink' (did you mean 'async'?)"

# --compare -q: the table alone.
"$ASYNCDEMO" --compare -q -c "$tmp/talk.yaml" > "$tmp/q.out" 2> "$tmp/q.err" || fail "--compare -q: $(cat "$tmp/q.err")"
grep -q '^Comparison of talk: 3 tasks, 2 workers' "$tmp/q.out" || fail "--compare -q: no table: $(cat "$tmp/q.out")"
expect "--compare -q: a row per mode" "$(awk '$1 ~ /^(sync|cooperative|threads|async)$/ { print $1 }' "$tmp/q.out" | tr '\n' ' ')" \
    "sync cooperative threads async "
grep -q 'Running\|Worker\|task 1\|Total elapsed' "$tmp/q.out" && fail "--compare -q printed more than the table: $(cat "$tmp/q.out")"
pass "--compare -q prints the table and nothing else"
"$ASYNCDEMO" -q -c "$tmp/talk.yaml" > "$tmp/q.out" || fail "-q"
expect "-q alone prints nothing" "$(cat "$tmp/q.out")" ""

# A first stop signal says that a second stops at once; a second does.
printf 'workers: 2\ntasks:\n  - delay: 60\n  - delay: 60\n' > "$tmp/long.yaml"
for m in async sync; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/long.yaml" > "$tmp/int.jsonl" 2> "$tmp/int.err" &
	pid=$!
	cleanup_hooks="$cleanup_hooks kill_daemon"
	wait_for 30 grep -q '"event":"task_start"' "$tmp/int.jsonl" || fail "$m: no task started"
	kill -INT $pid
	wait_for 30 grep -q 'Interrupt: stopping' "$tmp/int.err" || fail "$m: no stop message: $(cat "$tmp/int.err")"
	expect "$m: the first SIGINT says a second stops now" "$(grep 'Interrupt: stopping' "$tmp/int.err")" \
	    "asyncdemo: Interrupt: stopping; running tasks get 10 s (again to stop now)"
	gone $pid && fail "$m: the first SIGINT ended the run at once"
	kill -INT $pid
	wait_child 30 $pid ||
	    fail "$m: a second SIGINT did not stop it: $(cat "$tmp/stuck")"
	pid=
	expect "$m: the cancelled task is recorded" \
	    "$(jqf -c 'select(.event == "task_done" and .task == 1) | .cancelled' "$tmp/int.jsonl")" true
done

# threads: worker i takes task i, run after run.
printf 'mode: threads\nworkers: [One, Two, Three]\ntasks:\n  - delay: 0.01\n  - delay: 0.01\n  - delay: 0.01\n  - factorial: 10\n' > "$tmp/order.yaml"
i=0
while [ $i -lt 20 ]; do
	"$ASYNCDEMO" -j -c "$tmp/order.yaml" > "$tmp/order.jsonl" || fail "threads run $i"
	got=$(jqf -r 'select(.event == "task_start" and .task <= 3) | "\(.task)=\(.worker)"' "$tmp/order.jsonl" | sort | tr '\n' ' ')
	expect "threads run $i: worker order" "$got" "1=One 2=Two 3=Three " > /dev/null
	i=$((i + 1))
done
pass "threads: the same worker takes the same first task in 20 runs"

# Outputs that cannot be written: 75 before any task runs, the path named.
mkdir "$tmp/adir"
echo "keep me" > "$tmp/old.svg"
for opt in --timeline-svg --trace -o -l; do
	for path in "$tmp/no/such/dir/out" "$tmp/adir"; do
		"$ASYNCDEMO" -j $opt "$path" -c "$tmp/talk.yaml" > "$tmp/out.jsonl" 2> "$tmp/out.err"
		expect "$opt $path: exit 75" "$?" 75
		grep -q "$path" "$tmp/out.err" || fail "$opt $path: the message does not name it: $(cat "$tmp/out.err")"
		grep -q '"task_start"' "$tmp/out.jsonl" && fail "$opt $path: a task ran"
	done
done
pass "unwritable outputs stop with 75 before any task runs"
"$ASYNCDEMO" -q --timeline-svg "$tmp/old.svg" --trace "$tmp/no/trace.json" -c "$tmp/talk.yaml" 2> /dev/null
expect "a bad --trace stops with 75" "$?" 75
expect "an existing picture is kept when the run does not start" "$(cat "$tmp/old.svg")" "keep me"
"$ASYNCDEMO" -q --timeline-svg "$tmp/old.svg" -c "$tmp/talk.yaml" || fail "--timeline-svg old.svg"
grep -q '<svg' "$tmp/old.svg" || fail "the picture was not written over the old file"
"$ASYNCDEMO" -q --timeline-svg "$tmp/made.svg" --trace "$tmp/adir" -c "$tmp/talk.yaml" 2> /dev/null
expect "a directory for --trace stops with 75" "$?" 75
[ -e "$tmp/made.svg" ] && fail "the check of a new path left a file"
pass "a picture that can be written is written at the end"

# No host resolves: one hint, naming conf/offline/ and --serve. .invalid
# never resolves (RFC 2606). In sync mode the fetch after a failed one
# works (a failed libcurl handle is not reused).
start_server
cat > "$tmp/offline.yaml" <<YAML
workers: 2
tasks:
  - url: http://nowhere.invalid/
  - url: $base_url/
  - url: http://also.nowhere.invalid/
  - url: $base_url/bytes/100
YAML
for m in sync async; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/offline.yaml" > "$tmp/off.jsonl" 2> "$tmp/off.err"
	expect "$m: a failed url exits 1" "$?" 1
	expect "$m: the unresolved fail, the others work" \
	    "$(jqf -r 'select(.event == "task_done") | "\(.task) \(.ok)"' "$tmp/off.jsonl" | sort | tr '\n' ' ')" \
	    "1 false 2 true 3 false 4 true "
	expect "$m: one hint" "$(grep -c 'hint:' "$tmp/off.err")" 1
	grep 'hint:' "$tmp/off.err" | grep -q 'no host could be resolved.*conf/offline/.*asyncdemo --serve 127.0.0.1:8000' ||
	    fail "$m: the hint: $(cat "$tmp/off.err")"
done
"$ASYNCDEMO" -q -c "$tmp/talk.yaml" 2> "$tmp/off.err" || fail "a run with no url"
grep -q 'hint:' "$tmp/off.err" && fail "a hint with no url failing"
pass "the offline hint comes once, only when a host did not resolve"

# A FIFO blocks a blocking mode's worker until its writer comes: the
# read has the writer's lines. async: the other task finishes first.
mkfifo "$tmp/fifo"
printf 'workers: 2\ntasks:\n  - file: %s\n    timeout: 60s\n  - delay: 0.05\n' "$tmp/fifo" > "$tmp/fifo.yaml"
for m in sync cooperative threads async; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/fifo.yaml" > "$tmp/fifo.jsonl" 2> "$tmp/fifo.err" &
	pid=$!
	wait_for 30 grep -q '"event":"task_start".*"task":1' "$tmp/fifo.jsonl" || fail "$m: the file task did not start"
	case $m in
	sync | cooperative) ;;
	*) wait_for 30 grep -q '"event":"task_done".*"task":2' "$tmp/fifo.jsonl" ||
	    fail "$m: the FIFO held back the other task" ;;
	esac
	grep -q '"event":"task_done".*"task":1' "$tmp/fifo.jsonl" && fail "$m: the read did not wait for its writer"
	timeout 30 sh -c 'printf "a\nb\nc\n" > "$1"' sh "$tmp/fifo" || fail "$m: nobody read the FIFO"
	wait $pid || fail "$m: exit $?: $(cat "$tmp/fifo.err")"
	pid=
	expect "$m: the FIFO's lines" "$(jqf -r 'select(.event == "task_done" and .task == 1) | "\(.ok) \(.lines)"' "$tmp/fifo.jsonl")" "true 3"
	case $m in
	sync | cooperative)
		expect "$m: the delay starts after the read" \
		    "$(jqf -r 'select(.task == 1 or .task == 2) | "\(.event)\(.task)"' "$tmp/fifo.jsonl" | tr '\n' ' ')" \
		    "task_start1 task_done1 task_start2 task_done2 " ;;
	esac
done
pass "FIFOs block as reads do in sync, cooperative and threads, not in async"

# timeout on a file task, in every mode: a FIFO with no writer fails.
printf 'workers: 2\ntasks:\n  - file: %s\n    timeout: 0.3s\n  - delay: 0.05\n' "$tmp/fifo" > "$tmp/fifo-t.yaml"
for m in sync cooperative threads async; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/fifo-t.yaml" > "$tmp/fifo.jsonl" 2> "$tmp/fifo.err"
	expect "$m: a timed-out file exits 1" "$?" 1
	expect "$m: the timeout's error" \
	    "$(jqf -r 'select(.event == "task_done" and .task == 1) | "\(.ok) \(.error)"' "$tmp/fifo.jsonl")" \
	    "false $tmp/fifo: timed out after 0.3 s"
	el=$(jqf -r 'select(.event == "task_done" and .task == 1) | .elapsed' "$tmp/fifo.jsonl")
	awk -v e="$el" 'BEGIN { exit !(e >= 0.29 && e < 20) }' || fail "$m: timed out after $el s"
	expect "$m: the other task ran" "$(jqf -r 'select(.event == "task_done" and .task == 2) | .ok' "$tmp/fifo.jsonl")" true
done
printf 'defaults:\n  timeout: 0.2s\ntasks:\n  - file: %s\n' "$tmp/fifo" > "$tmp/fifo-d.yaml"
"$ASYNCDEMO" -j -c "$tmp/fifo-d.yaml" > "$tmp/fifo.jsonl"
expect "defaults' timeout fits files" "$(jqf -r 'select(.event == "task_done") | .error' "$tmp/fifo.jsonl")" \
    "$tmp/fifo: timed out after 0.2 s"
pass "timeout fits file tasks in every mode"
