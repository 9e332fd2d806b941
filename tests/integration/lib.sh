# Shared by the integration tests: a scratch folder, failure, JSON checks.
# Each test sets ASYNCDEMO (the binary) and top_srcdir through make check.

set -u
: "${ASYNCDEMO:=$(cd "$(dirname "$0")/../.." && pwd)/src/asyncdemo}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export NO_COLOR=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncdemo-test.XXXXXX")
cleanup_hooks=""
cleanup() {
	for h in $cleanup_hooks; do "$h"; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass() {
	echo "ok: $*"
}

# Example N from conf/ with every delay divided by ten.
scaled_example() {
	sed -E 's/delay: ([0-9]+)\.0/delay: 0.\1/' \
	    "$top_srcdir/conf/example_$1.yaml" > "$tmp/example_$1.yaml"
	echo "$tmp/example_$1.yaml"
}

# jq over a JSON Lines file. Inside $(...) a failure cannot end the test,
# so it also prints a line that no expectation matches.
jqf() {
	jq -r "$@" || { echo "(jq failed)"; fail "jq $*"; }
}

# Assert two strings are equal.
expect() {
	[ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
	pass "$1"
}

# wait_for SECONDS COMMAND...: run COMMAND every 0.05 s until it succeeds;
# 1 if it never did within SECONDS. A test waits for the state it asserts,
# never for a guessed time: SECONDS is a deadline for a machine that is
# loaded, under valgrind or a sanitizer, not an expectation, so make it
# generous (10-30 s). It counts 0.05 s sleeps; COMMAND's own time adds to
# the wait, which only makes the deadline later.
wait_for() {
	_wf_n=$(awk -v s="$1" 'BEGIN { print int(s * 20) + 1 }')
	shift
	while ! "$@" 2>/dev/null; do
		_wf_n=$((_wf_n - 1))
		[ $_wf_n -le 0 ] && return 1
		sleep 0.05
	done
	return 0
}

# lines_at_least FILE N: FILE has N lines or more (for wait_for).
lines_at_least() {
	[ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ]
}

# wait_listening OUT ERR WHAT: wait for a server's "listening on" line in
# OUT (30 s: a Python server can take seconds to start on a loaded machine).
wait_listening() {
	wait_for 30 grep -q '^listening on' "$1" ||
	    fail "$3 did not start: $(cat "$2")"
}

# A free loopback port, from the demo server's own choice.
start_server() {
	"$ASYNCDEMO" --serve 127.0.0.1:0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
	server_pid=$!
	cleanup_hooks="$cleanup_hooks stop_server"
	wait_listening "$tmp/serve.out" "$tmp/serve.err" "demo server"
	base_url=$(sed -n 's/^listening on \(http:[^ ]*\)\/$/\1/p' "$tmp/serve.out" | head -1)
}

stop_server() {
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
}

# The flaky server (flaky_server.py) with ARGS: its URL in $flaky, the
# path and status of each answer in $tmp/flaky.log.
start_flaky() {
	python3 "$top_srcdir/tests/integration/flaky_server.py" \
	    --log "$tmp/flaky.log" "$@" > "$tmp/flaky.out" 2> "$tmp/flaky.err" &
	flaky_pid=$!
	cleanup_hooks="$cleanup_hooks stop_flaky"
	wait_listening "$tmp/flaky.out" "$tmp/flaky.err" "flaky server"
	flaky=$(sed -n 's/^listening on //p' "$tmp/flaky.out")
}

stop_flaky() {
	[ -n "${flaky_pid:-}" ] || return 0
	kill "$flaky_pid" 2>/dev/null
	wait "$flaky_pid" 2>/dev/null
	flaky_pid=
}

# flaky_tasks N WORKERS RETRIES: N url tasks, /t/1 to /t/N on the flaky
# server, for WORKERS workers.
flaky_tasks() {
	echo "workers: $2"
	echo "defaults:"
	echo "  retries: $3"
	echo "  retry_delay: 10ms"
	echo "  timeout: 60s"
	echo "tasks:"
	awk -v n="$1" -v u="$flaky" 'BEGIN { for (i = 1; i <= n; i++) print "  - url: " u "t/" i }'
}

# A daemon a test started, its pid in $pid: killed at the end if left.
kill_daemon() {
	[ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null
	return 0
}

# Is the process gone (reaped or not)?
gone() {
	! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# wait_child SECONDS PID: wait for PID, a child of this shell, to end
# (with the shell's own wait: exact for a child, where polling kill -0
# depends on when the shell reaps it). Its status in $rc. 1 if it was
# still running after SECONDS: then its /proc state is kept in $tmp/stuck
# for the failure message, and it is killed. Needs bash: dash 0.5.12's
# "wait PID" sometimes misses the end of a child while another child (the
# watchdog here) runs, and returns only when that one ends (reproduced
# with sleep alone, see docs/RELIABILITY.md); scripts using it start with
# #!/bin/bash.
wait_child() {
	if [ -z "${BASH_VERSION:-}" ]; then
		echo "wait_child needs bash (dash's wait can miss a child's end)" >&2
		exit 99
	fi
	(
		trap 'kill $_wc_s 2>/dev/null; exit 0' TERM
		sleep "$1" &
		_wc_s=$!
		wait $_wc_s
		grep -E '^(State|SigBlk|SigCgt|SigPnd|ShdPnd|Threads)' \
		    "/proc/$2/status" > "$tmp/stuck" 2>&1
		cat "/proc/$2/wchan" >> "$tmp/stuck" 2>&1
		touch "$tmp/stuck.killed"
		kill -KILL "$2" 2>/dev/null
	) &
	_wc_dog=$!
	rm -f "$tmp/stuck.killed"
	wait "$2"
	rc=$?
	kill -TERM $_wc_dog 2>/dev/null
	wait $_wc_dog 2>/dev/null
	[ ! -e "$tmp/stuck.killed" ]
}

# The hostile server (hostile_server.py): its port in $hport.
start_hostile() {
	python3 "$top_srcdir/tests/integration/hostile_server.py" \
	    > "$tmp/hostile.out" 2> "$tmp/hostile.err" &
	hostile_pid=$!
	cleanup_hooks="$cleanup_hooks stop_hostile"
	wait_listening "$tmp/hostile.out" "$tmp/hostile.err" "hostile server"
	hport=$(sed -n 's/^listening on //p' "$tmp/hostile.out")
}

stop_hostile() {
	[ -n "${hostile_pid:-}" ] && kill "$hostile_pid" 2>/dev/null
	return 0
}
