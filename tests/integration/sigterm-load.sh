#!/bin/sh
# SIGTERM at a random moment of a loaded run (url tasks against a server
# that fails 10% at random and answers after up to 0.2 s): every results
# line is whole JSON, no task is there twice, every answer the server sent
# is a finished task with that status, run_done is written, the pidfile is
# gone and the exit status is 1 if a task failed, else 0. make check runs
# 2,000 tasks on 200 workers; tests/stress/run sets LOAD_TASKS=10000 and
# LOAD_WORKERS=500.
. "$(dirname "$0")/lib.sh"

tasks=${LOAD_TASKS:-2000}
workers=${LOAD_WORKERS:-200}
command -v python3 > /dev/null || fail "python3 is needed for the flaky server"

cleanup_hooks="$cleanup_hooks kill_daemon"

# A random whole number from 0 to 65535.
random16() {
	od -An -N2 -tu2 /dev/urandom | tr -d ' '
}

# The results reached the target, or the run ended before.
target_or_gone() {
	lines_at_least "$tmp/results.jsonl" "$target" || ! kill -0 "$pid"
}

# stop_at_random MODE: a loaded run, SIGTERM once a random share (5% to
# 60%) of its tasks finished; the exit status in $rc. Fails (1) when the run
# ended before the signal, as on a machine so busy that this shell did not
# get to send it in time; a crash ends the test.
stop_at_random() {
	start_flaky --fail 0.1 --delay 0.2
	flaky_tasks "$tasks" "$workers" 0 > "$tmp/load.yaml"
	target=$((tasks / 20 + $(random16) * (tasks * 11 / 20) / 65536))
	rm -f "$tmp/results.jsonl"
	"$ASYNCDEMO" -j -m $1 -p "$tmp/d.pid" -o "$tmp/results.jsonl" \
	    -c "$tmp/load.yaml" > "$tmp/out.jsonl" 2> "$tmp/err" &
	pid=$!
	wait_for 60 target_or_gone || fail "$1: $target results never came"
	kill -TERM $pid 2>/dev/null
	wait $pid
	rc=$?
	pid=
	stop_flaky
	[ $rc -le 1 ] || fail "$1: exit $rc: $(tail -3 "$tmp/err")"
	[ "$(wc -l < "$tmp/results.jsonl")" -lt "$tasks" ]
}

for mode in async threads; do
	try=1
	until stop_at_random $mode; do
		[ $try -ge 3 ] && fail "$mode: three runs ended before the stop"
		pass "NOTE: $mode: the run ended before the stop came; again"
		try=$((try + 1))
	done

	r="$tmp/results.jsonl"
	n=$(wc -l < "$r")
	[ "$(tail -c 1 "$r" | od -An -c | tr -d ' ')" = '\n' ] ||
	    fail "$mode: the last line is not whole"
	expect "$mode: every line is JSON" "$(jq -c . "$r" | wc -l)" "$n"
	expect "$mode: no task twice" \
	    "$(jqf -s '[.[].task] | (unique | length) == length' "$r")" true
	# Every answer sent is a finished (not cancelled) task with its status.
	sed -n 's|^/t/\([0-9]*\) \([0-9]*\)$|\1 \2|p' "$tmp/flaky.log" | sort > "$tmp/server"
	jqf -r 'select(.cancelled | not) | "\(.task) \(.status)"' "$r" | sort > "$tmp/client"
	answered=$(wc -l < "$tmp/server")
	missing=$(comm -23 "$tmp/server" "$tmp/client" | wc -l)
	[ "$missing" -eq 0 ] ||
	    fail "$mode: $missing answers not in the results: $(comm -23 "$tmp/server" "$tmp/client" | head -3)"
	expect "$mode: no finished task the server did not answer" \
	    "$(comm -13 "$tmp/server" "$tmp/client" | wc -l)" 0
	expect "$mode: run_done counts the results" \
	    "$(jqf -c 'select(.event == "run_done") | .ok + .failed' "$tmp/out.jsonl")" "$n"
	[ ! -e "$tmp/d.pid" ] || fail "$mode: the pidfile is left"
	failed=$(jqf -s 'map(select(.ok | not)) | length' "$r")
	expect "$mode: exit status" "$rc" "$([ "$failed" -gt 0 ] && echo 1 || echo 0)"
	cancelled=$(jqf -s 'map(select(.cancelled)) | length' "$r")
	pass "$mode: SIGTERM after $target of $tasks results: $n results ($failed failed, $cancelled cancelled), $answered answers all present, pidfile gone, exit $rc"
done
