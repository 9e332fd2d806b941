#!/bin/sh
# Hostile servers (loopback only): each misbehaviour is a failed task with a
# precise error within its timeout, in every mode, and a daemon that meets
# them again and again holds no more file descriptors than after its first run.
. "$(dirname "$0")/lib.sh"

command -v python3 > /dev/null || fail "python3 is needed for the hostile server"
start_server

python3 "$top_srcdir/tests/integration/hostile_server.py" \
    > "$tmp/hostile.out" 2> "$tmp/hostile.err" &
hostile_pid=$!
stop_hostile() {
	kill "$hostile_pid" 2>/dev/null
	wait "$hostile_pid" 2>/dev/null
}
cleanup_hooks="$cleanup_hooks stop_hostile kill_daemon"
wait_listening "$tmp/hostile.out" "$tmp/hostile.err" "hostile server"
hostile="http://127.0.0.1:$(sed -n 's/^listening on //p' "$tmp/hostile.out")"
tls="https://${base_url#http://}"	# TLS to the plain demo server

# Path, then the error each must give (an extended regex over the message).
cases="ok|-
reset|^(connection closed early: transfer closed with [0-9]+ bytes remaining to read|connection reset)$
stall|^timed out after 2 s$
drip|^timed out after 2 s$
headers|^(malformed response: Too large response headers.*|timed out after 2 s)$
garbage|^malformed response: .*HTTP/0\.9.*$
silent|^timed out after 2 s$
chunked|^malformed response: Illegal or missing hexadecimal sequence in chunked-encoding$
redirect|^too many redirects \(more than 10\)$
tls|^TLS error: .*(wrong version number|packet length too long|record layer failure).*$"

{
	echo "workers: 10"
	echo "defaults:"
	echo "  timeout: 2s"
	echo "tasks:"
	echo "$cases" | while IFS='|' read -r path re; do
		if [ "$path" = tls ]; then
			echo "  - url: $tls/"
		else
			echo "  - url: $hostile/$path"
		fi
	done
} > "$tmp/hostile.yaml"

for m in async sync cooperative threads; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/hostile.yaml" > "$tmp/$m.jsonl" 2> "$tmp/$m.err"
	expect "$m: exit 1 when fetches fail" "$?" 1
	n=0
	echo "$cases" | while IFS='|' read -r path re; do
		n=$((n + 1))
		got=$(jqf -r "select(.event == \"task_done\" and .task == $n) | \"\(.ok)|\(.elapsed)|\(.error // \"-\")\"" "$tmp/$m.jsonl")
		ok=${got%%|*} rest=${got#*|}
		elapsed=${rest%%|*} msg=${rest#*|}
		# Within three times the 2 s timeout: the slow cases would
		# take 60 s (silent, stall) or 100 s (drip) without it.
		awk -v e="$elapsed" 'BEGIN { exit !(e != "" && e < 6.0) }' ||
		    fail "$m $path: took '$elapsed' s, timeout is 2 s"
		if [ "$path" = ok ]; then
			expect "$m $path: the control fetch works" "$ok" true
			continue
		fi
		[ "$ok" = false ] || fail "$m $path: not a failed task: $got"
		if echo "$msg" | grep -Eq "$re"; then
			pass "$m $path: '$msg' in $elapsed s"
		else
			fail "$m $path: error '$msg' does not match /$re/"
		fi
	done || exit 1
done

# No descriptor leak: a daemon meets every misbehaviour run after run; its
# open descriptors, idle between runs, stay where they were after the first
# run. Slow cases get a short timeout. The blocking modes, one fetch at a
# time, get two of each fast case (about 0.5 s, where 40 fetches took 2 s)
# so that a run ends well within the 2 s interval and leaves the daemon
# idle before the next.
fd_file() { # fd_file TASKS [SLOW PATHS]
	echo "workers: 40"
	echo "defaults:"
	echo "  timeout: 300ms"
	echo "tasks:"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for p in reset headers garbage chunked redirect ok ${2:-}; do
			echo "  - url: $hostile/$p"
		done
		echo "  - url: $tls/"
	done | head -$1
}
fd_file 40 "stall silent drip" > "$tmp/fd-slow.yaml"
fd_file 14 > "$tmp/fd-fast.yaml"

# Whether the daemon wrote EVENT for run N on its stdout.
event() {
	grep -q "\"event\":\"$1\",\"run\":$2," "$tmp/fd.out"
}
# The fewest descriptors the daemon holds over half a second after run
# $1's run_done, before run $1+1's run_start: it is idle then, though under
# load the last threads or connections may take a moment to close. A count
# is kept only if the next run had not started after it was taken: none
# (empty) when a run overran the interval and the next followed at once.
idle_fds() {
	least=
	i=0
	while [ $i -lt 10 ]; do
		n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
		event run_start $(($1 + 1)) && break
		kill -0 "$pid" 2>/dev/null || break
		[ -z "$least" ] || [ "$n" -lt "$least" ] && least=$n
		sleep 0.05
		i=$((i + 1))
	done
	echo "$least"
}
# The tasks of run $1 (of $2) with no result yet.
missing() {
	jq -r "select(.run == $1) | .task" "$tmp/fd.jsonl" 2>/dev/null |
	    awk -v n="$2" '{ seen[$1] = 1 } END { for (i = 1; i <= n; i++) if (!seen[i]) printf "%d ", i }'
}

# Runs go on, one every 2 s, until the daemon was seen idle after two runs
# five apart (runs 1 and 6 unless a run overran), then SIGTERM; on a
# loaded machine that may take more runs, up to 40.
for m in async threads sync cooperative; do
	case $m in
	async | threads) f=fd-slow.yaml n=40 ;;
	*) f=fd-fast.yaml n=14 ;;
	esac
	rm -f "$tmp/fd.jsonl" "$tmp/fd.out"
	"$ASYNCDEMO" -j -m $m -c "$tmp/$f" --interval 2s \
	    -o "$tmp/fd.jsonl" > "$tmp/fd.out" 2> "$tmp/fd.err" &
	pid=$!
	first= last= first_run= last_run=
	r=1
	while :; do
		# A run takes about 0.3 s (its timeouts); 30 s is a deadline.
		wait_for 30 event run_done $r || {
			kill $pid
			fail "$m: run $r did not finish in 30 s: no result for tasks $(missing $r $n)of $f"
		}
		k=$(idle_fds $r)
		if [ -n "$k" ] && [ -z "$first" ]; then
			first=$k first_run=$r
		elif [ -n "$k" ] && [ $((r - first_run)) -ge 5 ]; then
			last=$k last_run=$r
			break
		fi
		[ $r -lt 40 ] || {
			kill $pid
			fail "$m: 40 runs and not idle after two of them five apart (first: ${first_run:-none}): they overran the 2 s interval"
		}
		r=$((r + 1))
	done
	kill -TERM $pid
	wait $pid
	expect "$m: the daemon ends with 1 (failed tasks) after SIGTERM" "$?" 1
	pid=
	fetches=$(wc -l < "$tmp/fd.jsonl")
	[ "$last" -le $((first + 4)) ] ||
	    fail "$m: $first descriptors after run $first_run, $last after run $last_run"
	pass "$m: $fetches hostile fetches, descriptors $first after run $first_run, $last after run $last_run"
done
