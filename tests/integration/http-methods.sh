#!/bin/sh
# /status and /metrics: any method but GET and HEAD gets 405 and
# "Allow: GET, HEAD", with a body (up to 64 KiB) or without; HEAD gets the headers of a
# GET (its Content-Length) and no body, so that the next response on a
# kept-alive connection is whole. --serve closes a connection that says
# nothing (after 10 s, as --status does). --status on an address that
# does not resolve cannot start: 75.
. "$(dirname "$0")/lib.sh"

cleanup_hooks="$cleanup_hooks kill_daemon"
printf 'interval: 0.2\ntasks:\n  - delay: 0.01\n' > "$tmp/d.yaml"
"$ASYNCDEMO" -q --status 127.0.0.1:0 -c "$tmp/d.yaml" 2> "$tmp/err" &
pid=$!
port_of() { sed -n 's|.*status endpoint on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/err"; }
wait_for 10 grep -q 'status endpoint on' "$tmp/err" || fail "no status endpoint: $(cat "$tmp/err")"
port=$(port_of)

# code_allow METHOD PATH [BODY]: "CODE ALLOW" of the answer.
code_allow() {
	if [ $# -gt 2 ]; then set -- "$1" "$2" --data-binary "$3"; fi
	m=$1 p=$2
	shift 2
	curl -s -D "$tmp/h" -o /dev/null -w '%{http_code}' -X "$m" "$@" \
	    "http://127.0.0.1:$port$p"
	printf ' %s' "$(sed -n 's/^Allow: *\(.*\)\r$/\1/p' "$tmp/h")"
}
body=$(head -c 20000 /dev/zero | tr '\0' x)
for p in /status /metrics; do
	expect "POST $p with a body" "$(code_allow POST $p '{"run": true}')" "405 GET, HEAD"
	expect "POST $p with 20 kB" "$(code_allow POST $p "$body")" "405 GET, HEAD"
	expect "POST $p without a body" "$(code_allow POST $p)" "405 GET, HEAD"
	expect "PUT $p with a body" "$(code_allow PUT $p x=1)" "405 GET, HEAD"
	expect "DELETE $p" "$(code_allow DELETE $p)" "405 GET, HEAD"
done

# A body over 64 KiB is not read into memory: 413 (libevent 2.1 answers it
# before any handler sees the request).
big=$(head -c 70000 /dev/zero | tr '\0' x)
expect "POST /status with 70 kB" "$(code_allow POST /status "$big" | cut -d' ' -f1)" 413

# HEAD, then GET on the same connection: both whole.
python3 - "$port" > "$tmp/keepalive.out" <<'PY' || fail "HEAD then GET: $(cat "$tmp/keepalive.out")"
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"HEAD /status HTTP/1.1\r\nHost: t\r\n\r\n"
          b"GET /status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, rest = data.split(b"\r\n\r\n", 1)
assert head.startswith(b"HTTP/1.1 200"), head
length = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
          if l.lower().startswith(b"content-length:")]
assert length and length[0] > 0, "HEAD has no Content-Length: %r" % head
assert rest.startswith(b"HTTP/1.1 200"), "HEAD sent a body: %r" % rest[:80]
head2, body2 = rest.split(b"\r\n\r\n", 1)
obj = json.loads(body2)
assert abs(len(body2) - length[0]) < 16, (len(body2), length[0])
print("HEAD length %d, GET body %d, run %d" % (length[0], len(body2), obj["run"]))
PY
pass "HEAD then GET on one connection: $(cat "$tmp/keepalive.out")"
kill -TERM $pid
wait $pid
pid=

# --serve: a connection that sends nothing is closed after 10 s.
start_server
sport=${base_url##*:}
python3 - "$sport" > "$tmp/idle.out" <<'PY' || fail "--serve idle: $(cat "$tmp/idle.out")"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=40)
t = time.monotonic()
assert s.recv(1) == b"", "the server sent something"
print("closed after %.1f s" % (time.monotonic() - t))
PY
pass "--serve closes an idle connection: $(cat "$tmp/idle.out")"

"$ASYNCDEMO" -q --status nonexistent.invalid:80 -c "$tmp/d.yaml" 2> "$tmp/inv.err"
expect "--status on a name that does not resolve: 75" "$?" 75
"$ASYNCDEMO" -q --status nonsense -c "$tmp/d.yaml" 2> /dev/null
expect "--status that is not ADDR:PORT: 64" "$?" 64
