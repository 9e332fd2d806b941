#!/bin/bash
# tcp tasks: connect (result: seconds to connect), a refused port, IPv6
# loopback, send with expect against the demo server, a listener that
# never answers (bounded by timeout, and overlapping in async mode), in
# every mode; a stop ends a waiting check as cancelled.
. "$(dirname "$0")/lib.sh"

cleanup_hooks="$cleanup_hooks kill_daemon stop_silent"
start_server
port=${base_url##*:}

# A listener that accepts and never answers nor closes: HOST, its port
# printed as "listening on PORT".
cat > "$tmp/silent.py" <<'PY'
import socket, sys
host = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, 0))
s.listen(64)
print("listening on %d" % s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
PY
silent_pids=""
# silent HOST NAME: start one; its port in $silent_port.
silent() {
	python3 "$tmp/silent.py" "$1" > "$tmp/$2.out" 2> "$tmp/$2.err" &
	silent_pids="$silent_pids $!"
	wait_listening "$tmp/$2.out" "$tmp/$2.err" "silent listener on $1"
	silent_port=$(sed -n 's/^listening on //p' "$tmp/$2.out")
}
stop_silent() {
	for p in $silent_pids; do kill "$p" 2>/dev/null; done
	return 0
}
# free_port HOST: a port nothing listens on (bound, then closed).
free_port() {
	python3 -c 'import socket, sys
h = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET)
s.bind((h, 0)); print(s.getsockname()[1]); s.close()' "$1"
}

silent 127.0.0.1 silent4
quiet=$silent_port
closed=$(free_port 127.0.0.1)

# IPv6 loopback, where this machine has it.
v6=no
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	v6=yes
	silent ::1 silent6
	quiet6=$silent_port
	closed6=$(free_port ::1)
fi

{
	echo "workers: 2"
	echo "defaults:"
	echo "  timeout: 1s"
	echo "tasks:"
	echo "  - tcp: 127.0.0.1:$port"
	echo "  - tcp: 127.0.0.1:$closed"
	echo "  - tcp: 127.0.0.1:$port"
	echo '    send: "GET / HTTP/1.0\r\n\r\n"'
	echo '    expect: {body: "200 OK", max_time: 30s}'
	echo "  - tcp: 127.0.0.1:$port"
	echo '    send: "GET / HTTP/1.0\r\n\r\n"'
	echo '    expect: {body: nope}'
	echo "  - tcp: 127.0.0.1:$quiet"
	echo '    send: "hello\n"'
	echo '    expect: {body: "+OK"}'
	echo "  - tcp: 127.0.0.1:$port"
	echo '    send: "GET / HTTP/1.0\r\n\r\n"'
	echo '    expect: {body_regex: "^HTTP/1\\.[01] 2[0-9][0-9] "}'
	echo "  - tcp: 127.0.0.1:$port"
	echo '    send: "GET / HTTP/1.0\r\n\r\n"'
	echo '    expect: {body_regex: "^HTTP/1\\.[01] 5"}'
	echo "  - tcp: 127.0.0.1:$port"
	echo '    expect: {max_time: 0.000001}'
	if [ $v6 = yes ]; then
		echo "  - tcp: \"[::1]:$quiet6\""
		echo "  - tcp: \"[::1]:$closed6\""
	fi
} > "$tmp/tcp.yaml"

# r N: ok, result's type, error (or -) of task N.
r() {
	jqf -r "select(.event == \"task_done\" and .task == $1) |
	    \"\(.ok) \(.result | type) \(.error // \"-\")\"" "$tmp/$m.jsonl"
}
field() {
	jqf -r "select(.event == \"task_done\" and .task == $1) | .$2" "$tmp/$m.jsonl"
}
for m in sync cooperative threads async; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/tcp.yaml" > "$tmp/$m.jsonl" 2> "$tmp/$m.err"
	expect "$m: exit 1 with failed checks" "$?" 1
	expect "$m: connected" "$(r 1)" "true number -"
	expect "$m: arg as written" "$(field 1 arg)" "127.0.0.1:$port"
	expect "$m: no answer field without send" "$(field 1 answer)" null
	expect "$m: refused" "$(r 2)" "false null connection refused"
	expect "$m: send, expect body" "$(r 3)" "true number -"
	expect "$m: the answer's start" \
	    "$(field 3 answer | cut -c1-15)" "HTTP/1.0 200 OK"
	[ "$(field 3 bytes)" -gt 100 ] || fail "$m: bytes $(field 3 bytes)"
	# What was seen: the answer's first 50 characters, then a mark.
	case $(r 4) in
	"false null answer does not contain 'nope' (got 'HTTP/1.0 200 OK "*"…')")
		pass "$m: a body the answer lacks" ;;
	*) fail "$m: a body the answer lacks: got '$(r 4)'" ;;
	esac
	expect "$m: a silent listener" "$(r 5)" \
	    "false null answer does not contain '+OK' within 1 s (got nothing)"
	el=$(field 5 elapsed)
	awk -v e="$el" 'BEGIN { exit !(e >= 0.9 && e < 10) }' ||
	    fail "$m: the silent listener's check took $el s, not about 1 s"
	pass "$m: the timeout bounds it ($el s)"
	expect "$m: body_regex matches" "$(r 6)" "true number -"
	case $(r 7) in
	"false null answer does not match '^HTTP/1\\.[01] 5' (got 'HTTP/1.0 200 OK "*"…')")
		pass "$m: body_regex does not match" ;;
	*) fail "$m: body_regex does not match: got '$(r 7)'" ;;
	esac
	err=$(field 8 error)
	case $err in
	"took "*" s, over max_time 1e-06 s") pass "$m: over max_time: $err" ;;
	*) fail "$m: over max_time: got '$err'" ;;
	esac
	if [ $v6 = yes ]; then
		expect "$m: [::1] connected" "$(r 9)" "true number -"
		expect "$m: [::1] refused" "$(r 10)" "false null connection refused"
	fi
done
[ $v6 = yes ] || echo "skipped: no IPv6 loopback here"

# The text report says how long connecting took, and the answer's start.
"$ASYNCDEMO" -c "$tmp/tcp.yaml" > "$tmp/text.out" 2>&1
grep -q "task  *1  tcp 127.0.0.1:$port .* ok .* connected in [0-9]\.[0-9][0-9][0-9] s$" "$tmp/text.out" ||
    fail "text outcome: $(grep 'task  *1 ' "$tmp/text.out")"
grep -q "task  *3  .* connected in [0-9.]* s: HTTP/1.0 200 OK" "$tmp/text.out" ||
    fail "text outcome with send: $(grep 'task  *3 ' "$tmp/text.out")"
pass "text outcome"

# body_regex's $ is the answer's end: it matches once the server closes,
# not where the answer only pauses.
printf 'tasks:\n  - tcp: 127.0.0.1:%s\n    send: "GET /lines/3 HTTP/1.0\\r\\n\\r\\n"\n    expect: {body_regex: "line 3\\n$"}\n' \
    "$port" > "$tmp/end.yaml"
for m in sync async; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/end.yaml" > "$tmp/$m.jsonl" 2> "$tmp/$m.err"
	expect "$m: \$ at the answer's end" "$(r 1)" "true number -"
done

# A name that does not resolve fails the check (an offline machine's
# resolver may also just not answer: then the timeout ends it).
printf 'tasks:\n  - tcp: nosuch.invalid:80\n    timeout: 5s\n' > "$tmp/unresolved.yaml"
for m in sync async; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/unresolved.yaml" > "$tmp/$m.jsonl" 2> "$tmp/$m.err"
	expect "$m: an unresolved name fails" "$?" 1
	err=$(field 1 error)
	case $err in
	"cannot resolve 'nosuch.invalid': "?*|"timed out after 5 s") pass "$m: $err" ;;
	*) fail "$m: unresolved: got '$err'" ;;
	esac
done

# Async mode waits for two silent listeners at once: 1 s, not 2.
printf 'workers: 2\ndefaults:\n  timeout: 1s\ntasks:\n' > "$tmp/two.yaml"
for i in 1 2; do
	printf '  - tcp: 127.0.0.1:%s\n    send: "PING\\r\\n"\n    expect: {body: PONG}\n' \
	    "$quiet" >> "$tmp/two.yaml"
done
run_elapsed() {
	jqf -r 'select(.event == "run_done") | .elapsed' "$tmp/$1.jsonl"
}
for m in async sync; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/two.yaml" > "$tmp/$m.jsonl" 2> "$tmp/$m.err"
	expect "$m: two silent checks fail" "$?" 1
	expect "$m: both by their timeout" "$(jqf -r 'select(.event == "task_done") | .error' "$tmp/$m.jsonl" | sort -u)" \
	    "answer does not contain 'PONG' within 1 s (got nothing)"
done
a=$(run_elapsed async)
s=$(run_elapsed sync)
awk -v e="$a" 'BEGIN { exit !(e >= 0.9 && e < 1.9) }' ||
    fail "async: two 1 s checks took $a s together, not about 1 s"
awk -v e="$s" 'BEGIN { exit !(e >= 1.9) }' ||
    fail "sync: two 1 s checks took $s s, less than one after the other"
pass "two silent checks: async $a s, sync $s s"

# A stop ends a check that waits for an answer, in each mode: cancelled,
# its socket closed (the sanitizer build checks nothing leaks).
printf 'shutdown_timeout: 0.1s\ntasks:\n  - tcp: 127.0.0.1:%s\n    send: "x"\n    expect: {body: y}\n    timeout: 60s\n' \
    "$quiet" > "$tmp/stop.yaml"
started() { grep -q '"event":"task_start"' "$tmp/stop.jsonl"; }
for m in sync cooperative threads async; do
	"$ASYNCDEMO" -j -m $m -c "$tmp/stop.yaml" > "$tmp/stop.jsonl" 2> "$tmp/stop.err" &
	pid=$!
	wait_for 30 started || fail "$m: the check never started: $(cat "$tmp/stop.err")"
	kill -TERM $pid
	wait_child 30 $pid || fail "$m: still running 30 s after SIGTERM: $(cat "$tmp/stuck")"
	pid=
	expect "$m: exit 1 after a stop" "$rc" 1
	expect "$m: the check was cancelled" \
	    "$(jqf -r 'select(.event == "task_done") | "\(.cancelled) \(.error)"' "$tmp/stop.jsonl")" \
	    "true stopped before it finished"
done
