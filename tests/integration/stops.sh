#!/bin/bash
# A stop is bounded in every mode. In sync and cooperative modes a task
# holds the loop's own thread, in threads mode a worker's: SIGTERM still
# reaches a blocking delay, a FIFO with no writer, /dev/zero and a fetch
# from a server that never answers. Each gets shutdown_timeout, then ends
# as cancelled; a second SIGTERM cancels at once. Finished results are
# written, run_done too, and the exit status is 1.
. "$(dirname "$0")/lib.sh"

cleanup_hooks="$cleanup_hooks kill_daemon"
start_hostile
mkfifo "$tmp/fifo"

now() { date +%s.%N; }
# secs_since T: seconds from T to now.
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
started() { grep -q "\"event\":\"task_start\".*\"task\":$1," "$tmp/out.jsonl"; }

# stop MODE GRACE TASK SIGNALS: a run of "delay: 0.01" and TASK (task 2),
# stopped with SIGNALS SIGTERMs once TASK started. The exit status in $rc,
# the seconds from the last signal to the exit in $took.
stop() {
	printf 'workers: 1\nshutdown_timeout: %s\ntasks:\n  - delay: 0.01\n  - %s\n  - delay: 0.01\n' \
	    "$2" "$3" > "$tmp/stop.yaml"
	rm -f "$tmp/results.jsonl" "$tmp/out.jsonl" "$tmp/err"
	"$ASYNCDEMO" -j -m "$1" -o "$tmp/results.jsonl" -c "$tmp/stop.yaml" \
	    > "$tmp/out.jsonl" 2> "$tmp/err" &
	pid=$!
	wait_for 30 started 2 || fail "$1 $3: task 2 never started: $(cat "$tmp/err")"
	kill -TERM $pid
	if [ "$4" = 2 ]; then
		wait_for 10 grep -q 'Terminated: stopping' "$tmp/err" ||
		    fail "$1 $3: the first SIGTERM was not seen"
		kill -TERM $pid
	fi
	t=$(now)
	wait_child 60 $pid ||
	    fail "$1 $3: still running 60 s after SIGTERM: $(cat "$tmp/stuck")"
	took=$(secs_since "$t")
	pid=
}
# check WHAT: exit 1, task 1 ok, task 2 cancelled, task 3 never ran.
check() {
	expect "$1: exit 1" "$rc" 1
	expect "$1: the results" "$(jqf -s -c 'map([.task, .ok, (.cancelled // false)])' "$tmp/results.jsonl")" \
	    "[[1,true,false],[2,false,true]]"
	expect "$1: run_done" "$(jqf -c 'select(.event == "run_done") | [.ok, .failed]' "$tmp/out.jsonl")" "[1,1]"
}
# within WHAT LIMIT: it stopped less than LIMIT seconds after the signal.
within() {
	awk -v t="$took" -v l="$2" 'BEGIN { exit !(t < l) }' ||
	    fail "$1: took $took s after the signal (limit $2 s)"
	pass "$1: stopped $took s after the signal"
}

for m in sync cooperative threads async; do
	# The grace is 1 s; the delay would take 60 s.
	stop $m 1s "delay: 60" 1
	check "$m, delay 60, SIGTERM"
	within "$m, delay 60, SIGTERM" 30
	# A second signal does not wait for the 60 s grace.
	stop $m 60s "delay: 60" 2
	check "$m, delay 60, two SIGTERMs"
	within "$m, delay 60, two SIGTERMs" 30
	stop $m 0.5s "file: $tmp/fifo" 1
	check "$m, a FIFO with no writer"
	within "$m, a FIFO with no writer" 30
	stop $m 0.5s "file: /dev/zero" 1
	check "$m, /dev/zero"
	within "$m, /dev/zero" 30
	stop $m 0.5s "url: http://127.0.0.1:$hport/silent" 1
	check "$m, a server that never answers"
	within "$m, a server that never answers" 30
done

# A stop between two runs of a short interval starts no other: every run
# that started ends with run_done (a tick in the signal's loop turn once
# began a run after the stop, and left its tasks unfinished). 5 stops: the
# fault showed in about 1 stop in 8; tests/stress/stop-often makes 300.
printf 'interval: 0.001\ntasks:\n  - delay: 0\n' > "$tmp/often.yaml"
i=0
while [ $i -lt 5 ]; do
	"$ASYNCDEMO" -j -c "$tmp/often.yaml" > "$tmp/often.jsonl" 2> "$tmp/err" &
	pid=$!
	wait_for 30 grep -q '"event":"run_done","run":3,' "$tmp/often.jsonl" ||
	    fail "interval 0.001: no third run: $(cat "$tmp/err")"
	kill -TERM $pid
	wait_child 30 $pid ||
	    fail "interval 0.001: SIGTERM did not stop it: $(tail -3 "$tmp/err"; cat "$tmp/stuck"; tail -2 "$tmp/often.jsonl")"
	pid=
	s=$(grep -c '"event":"run_start"' "$tmp/often.jsonl")
	d=$(grep -c '"event":"run_done"' "$tmp/often.jsonl")
	[ "$s" = "$d" ] ||
	    fail "a stop between runs: $s runs started, $d ended: $(tail -3 "$tmp/often.jsonl")"
	i=$((i + 1))
done
pass "a stop between runs starts no other (5 stops, every run ended)"
