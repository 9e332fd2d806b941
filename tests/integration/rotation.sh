#!/bin/sh
# SIGUSR1 reopens the log file and the results file at the paths given,
# made absolute before -d leaves the folder: after a rotation (mv, then
# SIGUSR1) new lines go to new files where they were, old files stop
# growing, and nothing lands in /. Then the same with logrotate and the
# snippet make install ships.
. "$(dirname "$0")/lib.sh"

kill_pidfile() {
	[ -f "$tmp/work/d.pid" ] && kill "$(cat "$tmp/work/d.pid")" 2>/dev/null
	return 0
}
cleanup_hooks="$cleanup_hooks kill_pidfile"
lines() { cat "$@" 2>/dev/null | wc -l; }
more_than() { [ "$(lines "$1")" -gt "$2" ]; }

mkdir "$tmp/work"
cd "$tmp/work" || fail "cd"
printf 'interval: 0.1\ntasks:\n  - delay: 0.01\n' > f.yaml
[ -e /rel$$.log ] && fail "/rel$$.log exists already: cannot tell"
"$ASYNCDEMO" -d -p d.pid -l rel$$.log -o res.jsonl -c f.yaml 2> start.err ||
    fail "detach: $(cat start.err)"
wait_for 10 test -s d.pid || fail "no pidfile"
pid=$(cat d.pid)
wait_for 20 more_than res.jsonl 1 || fail "no results"

mv res.jsonl res.1
mv rel$$.log rel$$.log.1
kill -USR1 "$pid"
wait_for 20 more_than res.jsonl 1 || fail "no new results file after SIGUSR1"
old=$(lines res.1)
now=$(lines res.jsonl)
wait_for 20 more_than res.jsonl $((now + 2)) || fail "the new results file does not grow"
expect "the old results file no longer grows" "$(lines res.1)" "$old"
kill -HUP "$pid"
wait_for 20 grep -q 'reloaded' rel$$.log || fail "the reload was not logged in the new log file"
grep -q 'reloaded' rel$$.log.1 && fail "the reload was logged in the rotated log file"
[ -e /rel$$.log ] && fail "a reopen created /rel$$.log"
pass "SIGUSR1 after mv: new results and log files at the relative paths given"

# logrotate with the snippet that make install ships, our paths in it.
rot=${abs_top_builddir:-}/etc/asyncdemo
lr=$(command -v logrotate || ls /usr/sbin/logrotate 2>/dev/null)
if [ -z "$lr" ] || [ ! -f "$rot" ]; then
	pass "SKIP logrotate: $([ -z "$lr" ] && echo "not installed" || echo "no $rot")"
else
	sed -e "s|^/var/log/asyncdemo/asyncdemo.log /var/lib/asyncdemo/results.jsonl {|$tmp/work/rel$$.log $tmp/work/res.jsonl {|" \
	    -e "s|systemctl kill .*|kill -USR1 $pid|" "$rot" > lr.conf
	grep -q "^$tmp/work/rel$$.log" lr.conf || fail "the snippet's paths: $(cat "$rot")"
	now=$(lines res.jsonl)
	"$lr" -f -s lr.state lr.conf > lr.out 2>&1 || fail "logrotate: $(cat lr.out)"
	[ -s res.jsonl.1 ] || fail "logrotate did not rotate: $(ls)"
	wait_for 20 more_than res.jsonl 2 || fail "no new results after logrotate"
	old=$(lines res.jsonl.1)
	now=$(lines res.jsonl)
	wait_for 20 more_than res.jsonl $((now + 2)) || fail "the results file does not grow after logrotate"
	expect "logrotate: the rotated results file no longer grows" "$(lines res.jsonl.1)" "$old"
	pass "logrotate with the shipped snippet rotates the log and results files"
fi

kill -TERM "$pid"
wait_for 20 gone "$pid" || fail "no stop"
total=$(cat res.1 res.jsonl* | wc -l)
expect "every results line is whole JSON" "$(cat res.1 res.jsonl* | jq -c . | wc -l)" "$total"
