#!/bin/sh
# Diagnostics never vanish: every line of a many-line message (a reload
# with several errors) gets the log file's time stamp and pid; -d says,
# before it detaches, where diagnostics will go, and where no syslog
# daemon listens on /dev/log (a container) they stay on stderr.
. "$(dirname "$0")/lib.sh"

kill_pidfile() {
	[ -f "$tmp/d.pid" ] && kill "$(cat "$tmp/d.pid")" 2>/dev/null
	return 0
}
cleanup_hooks="$cleanup_hooks kill_pidfile"

printf 'interval: 0.2\ntasks:\n  - delay: 0.01\n' > "$tmp/d.yaml"
"$ASYNCDEMO" -q -p "$tmp/d.pid" -l "$tmp/d.log" -c "$tmp/d.yaml" 2> "$tmp/fg.err" &
pid=$!
wait_for 10 test -s "$tmp/d.pid" || fail "no pidfile"
printf 'interval: 0.2\ntaks: 1\nworkers: 0\ntasks:\n  - delay: soon\n' > "$tmp/d.yaml"
kill -HUP $pid
wait_for 20 grep -q 'keeping the running task list' "$tmp/d.log" ||
    fail "the bad reload was not logged: $(cat "$tmp/d.log")"
errors=$(grep -c 'd.yaml:[0-9]*:[0-9]*: ' "$tmp/d.log")
[ "$errors" -ge 3 ] || fail "expected 3 errors in the log: $(cat "$tmp/d.log")"
prefixed=$(grep -c "^[0-9-]*T[0-9:]*Z asyncdemo\[$pid\]: .*d.yaml:[0-9]*:[0-9]*: " "$tmp/d.log")
expect "each of the $errors error lines has the time stamp and pid" "$prefixed" "$errors"
kill -TERM $pid
wait $pid

# -d without -l: where diagnostics go is said before detaching.
printf 'interval: 0.2\ntasks:\n  - delay: 0.01\n' > "$tmp/d.yaml"
"$ASYNCDEMO" -d -q -p "$tmp/d.pid" -c "$tmp/d.yaml" 2> "$tmp/d.err" ||
    fail "-d: $(cat "$tmp/d.err")"
wait_for 10 test -s "$tmp/d.pid" || fail "-d: no pidfile"
pid=$(cat "$tmp/d.pid")
if grep -q 'detached: diagnostics go to syslog' "$tmp/d.err"; then
	pass "-d with a syslog daemon listening: '$(cat "$tmp/d.err")'"
else
	grep -q '^asyncdemo: detached: no syslog listens on /dev/log, so diagnostics stay on this stderr' "$tmp/d.err" ||
	    fail "-d: where diagnostics go was not said: $(cat "$tmp/d.err")"
	printf 'interval: 0.2\ntasks:\n  - delay: soon\n' > "$tmp/d.yaml"
	kill -HUP "$pid"
	wait_for 20 grep -q "d.yaml:3:12: delay: invalid duration 'soon'" "$tmp/d.err" ||
	    fail "-d without syslog: the reload error was lost: $(cat "$tmp/d.err")"
	pass "-d without syslog: reload errors reach stderr"
fi
kill -TERM "$pid"
wait_for 20 gone "$pid" || fail "-d: no stop"
