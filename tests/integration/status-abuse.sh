#!/bin/sh
# The status endpoint under abuse while runs of delays go on: idle
# connections, clients that send a byte a second, a 1 MB request header.
# The delays stay on time (each within 0.5 s of its length), a normal
# GET /status answers 200 throughout, the big header gets 400, and the
# daemon does not spin. Then the same with the descriptors run out: one
# warning, no busy loop, and /status answers again once the abuse ends.
# make check holds 200 idle connections for 3 s; tests/stress/run sets
# ABUSE_IDLE=1000 and ABUSE_SECONDS=15 (past the 10 s idle timeout).
. "$(dirname "$0")/lib.sh"

idle=${ABUSE_IDLE:-200}
seconds=${ABUSE_SECONDS:-3}
slow=${ABUSE_SLOW:-10}
command -v python3 > /dev/null || fail "python3 is needed for the abuse"
cleanup_hooks="$cleanup_hooks kill_daemon"

# Enough descriptors for the connections, if the hard limit allows.
need=$((idle + slow + 100))
[ "$(ulimit -n)" -ge $need ] || ulimit -n $need 2>/dev/null || {
	idle=$(($(ulimit -n) - slow - 100))
	pass "NOTE: ulimit -n is $(ulimit -n): scaled down to $idle idle connections"
}

cat > "$tmp/delays.yaml" <<YAML
workers: 4
tasks:
  - delay: 0.4
  - delay: 0.2
  - delay: 0.3
  - delay: 0.1
  - delay: 0.4
  - delay: 0.2
  - delay: 0.3
  - delay: 0.1
YAML

# wait_port: the daemon's status port, from its first line, in $port.
status_port() {
	port=$(sed -n 's|.*status endpoint on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/err") &&
	    [ -n "$port" ]
}
wait_port() {
	wait_for 30 status_port || fail "no status endpoint: $(cat "$tmp/err")"
}
# fds_at_least N: the daemon holds N descriptors or more.
fds_at_least() {
	[ "$(ls "/proc/$pid/fd" | wc -l)" -ge "$1" ]
}
# stop_daemon WHAT: SIGTERM, and it exits 0 (no delay fails).
stop_daemon() {
	kill -TERM $pid
	wait $pid
	expect "$1: exit 0 after SIGTERM" "$?" 0
	pid=
}
cpu_ticks() { # utime + stime of the daemon, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$pid/stat"
}
# poll_status SECONDS: GET /status every 0.5 s meanwhile; "code time" lines.
poll_status() {
	n=$(($1 * 2))
	while [ $n -gt 0 ]; do
		curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}\n' \
		    "http://127.0.0.1:$port/status"
		sleep 0.5
		n=$((n - 1))
	done
}
# on_time: every delay finished within 0.5 s of its length.
on_time() {
	late=$(jqf -s '[.[] | select(.event == "task_done") | .elapsed - .arg] | max * 1000 | round / 1000' "$tmp/out.jsonl")
	count=$(jqf -s 'map(select(.event == "task_done" and .ok)) | length' "$tmp/out.jsonl")
	awk -v l="$late" 'BEGIN { exit !(l != "" && l < 0.5) }' ||
	    fail "$1: a delay was $late s late"
	pass "$1: $count delays, the latest $late s after its time"
}

# Abuse with descriptors to spare.
"$ASYNCDEMO" -j --interval 0.5 --status 127.0.0.1:0 -c "$tmp/delays.yaml" \
    > "$tmp/out.jsonl" 2> "$tmp/err" &
pid=$!
wait_port
t0=$(cpu_ticks)
w0=$(date +%s.%N)
python3 "$top_srcdir/tests/integration/status_abuse.py" "$port" "$seconds" \
    "$idle" "$slow" 1 > "$tmp/abuse.out" 2>&1 &
abuse=$!
wait_for 30 grep -q '^abuse:' "$tmp/abuse.out" ||
    fail "the abuse did not start: $(cat "$tmp/abuse.out")"
# The clients are connected (in the listen queue, maybe not yet accepted):
# the daemon accepts them all while the abuse lasts.
wait_for "$seconds" fds_at_least "$idle"
fds=$(ls "/proc/$pid/fd" | wc -l)
poll_status "$seconds" > "$tmp/polls"
wait $abuse || fail "the abuse failed: $(cat "$tmp/abuse.out")"
cpu=$(awk -v t0="$t0" -v t1="$(cpu_ticks)" -v w0="$w0" -v w1="$(date +%s.%N)" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f %.1f", (t1 - t0) / hz, w1 - w0 }')
stop_daemon "abuse"
[ "$fds" -ge "$idle" ] || fail "only $fds descriptors: the connections were not accepted"
bad=$(awk '$1 != 200 || $2 > 1' "$tmp/polls")
[ -z "$bad" ] || fail "GET /status during the abuse: $bad"
pass "$(wc -l < "$tmp/polls") GET /status during the abuse: 200, the slowest $(sort -k2 -n "$tmp/polls" | tail -1 | cut -d' ' -f2) s"
big=$(sed -n 's/^big //p' "$tmp/abuse.out")
# 400, or a reset if the answer and the close beat the rest of the header.
case $big in
"HTTP/1.1 400 Bad Request "* | "sending: "* | "reading: "*)
	awk -v t="${big##* }" 'BEGIN { exit !(t < 2) }' ||
	    fail "1 MB header: answered after $big s"
	pass "1 MB header: $big s"
	;;
*) fail "1 MB header: $big" ;;
esac
on_time "$idle idle, $slow slow connections ($fds descriptors)"
set -- $cpu
awk -v c="$1" -v w="$2" 'BEGIN { exit !(c < w / 2) }' ||
    fail "the daemon used $1 s of CPU in $2 s: busy looping?"
pass "CPU $1 s in $2 s of abuse; $(grep -E '^(idle|slow)' "$tmp/abuse.out" | tr '\n' ' ')"
# Past the idle timeout (10 s) every idle connection has been closed.
if [ "$seconds" -gt 11 ]; then
	expect "idle connections closed after 10 s" \
	    "$(sed -n 's/^idle //p' "$tmp/abuse.out")" "$idle $idle"
fi

# Out of descriptors: the listener pauses, warns once, and comes back.
(
	ulimit -n 64
	exec "$ASYNCDEMO" -j --interval 0.5 --status 127.0.0.1:0 \
	    -c "$tmp/delays.yaml" > "$tmp/out.jsonl" 2> "$tmp/err"
) &
pid=$!
wait_port
t0=$(cpu_ticks)
python3 "$top_srcdir/tests/integration/status_abuse.py" "$port" 3 100 0 0 \
    > "$tmp/abuse.out" 2>&1 || fail "the abuse failed: $(cat "$tmp/abuse.out")"
ticks=$(($(cpu_ticks) - t0))
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/status")
stop_daemon "out of descriptors"
expect "out of descriptors: GET /status after the abuse" "$code" 200
grep -q "^asyncdemo: http://127.0.0.1:$port/: cannot accept connections: Too many open files; trying again every 0.25 s\$" "$tmp/err" ||
    fail "out of descriptors: no warning: $(head -3 "$tmp/err")"
expect "out of descriptors: one warning" "$(grep -c 'cannot accept' "$tmp/err")" 1
[ "$ticks" -lt "$(getconf CLK_TCK)" ] ||
    fail "out of descriptors: $ticks ticks of CPU in 3 s: busy looping"
on_time "out of descriptors ($ticks ticks of CPU in 3 s)"
