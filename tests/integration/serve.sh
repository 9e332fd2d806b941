#!/bin/sh
# The demo server (--serve): each endpoint answers as documented on a port
# of its own choosing, a busy port exits 75, a bad address 64, SIGTERM 0.
. "$(dirname "$0")/lib.sh"

command -v curl > /dev/null 2>&1 || { echo "SKIP: curl not found"; exit 77; }

server_pid=
stop_serve() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2> /dev/null
		wait "$server_pid" 2> /dev/null
	fi
}
cleanup_hooks="stop_serve"

ok() {
	pass "$@"
}

gone() {
	! kill -0 "$1" 2> /dev/null
}

# Waits for PID to exit and sets rc to its status. Each use is of a
# process that exits at once (a busy port, a bad address, SIGTERM): 30 s
# is a deadline for a loaded machine, not an expected time.
finish() {
	if ! wait_for 30 gone "$1"; then
		kill "$1" 2> /dev/null
		wait "$1" 2> /dev/null
		fail "$2: still running after 30 s"
	fi
	wait "$1"
	rc=$?
}

# Runs asyncdemo with ARGS until it exits; sets rc.
run() {
	"$ASYNCDEMO" "$@" > "$tmp/run.out" 2> "$tmp/run.err" &
	finish $! "asyncdemo $*"
}

# GETs PATH into $tmp/body; prints what curl's -w FORMAT says.
get() {
	curl -s --max-time 10 -o "$tmp/body" -w "$2" "$base$1" ||
	    fail "curl $1 failed"
}

"$ASYNCDEMO" --serve 127.0.0.1:0 > "$tmp/out" 2> "$tmp/err" &
server_pid=$!
listening_or_gone() {
	grep -q '^listening on ' "$tmp/out" || gone "$server_pid"
}
wait_for 30 listening_or_gone || fail "no 'listening on' line within 30 s"
grep -q '^listening on ' "$tmp/out" ||
    fail "server exited before listening: $(cat "$tmp/err")"
line=$(head -n 1 "$tmp/out")
port=$(echo "$line" |
    sed -n 's|^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)/$|\1|p')
[ -n "$port" ] && [ "$port" -gt 0 ] || fail "bad first line: '$line'"
base="http://127.0.0.1:$port"
ok "listening on port $port"

got=$(get / '%{http_code} %{content_type}')
[ "$got" = "200 text/html; charset=utf-8" ] || fail "/: got '$got'"
grep -q '<html' "$tmp/body" || fail "/: no HTML in the body"
ok "/ is a 200 HTML page"

got=$(get /bytes/1000 '%{http_code}')
size=$(wc -c < "$tmp/body" | tr -d ' ')
[ "$got" = 200 ] && [ "$size" = 1000 ] ||
    fail "/bytes/1000: status $got, $size bytes"
ok "/bytes/1000 is exactly 1000 bytes"

get /lines/3 '%{http_code}' > /dev/null
printf 'line 1\nline 2\nline 3\n' > "$tmp/expected"
cmp -s "$tmp/body" "$tmp/expected" ||
    fail "/lines/3: got '$(cat "$tmp/body")'"
ok "/lines/3 is 3 lines"

got=$(get /status/404 '%{http_code}')
[ "$got" = 404 ] || fail "/status/404: got $got"
ok "/status/404 is a 404"

curl -s --max-time 10 -D "$tmp/headers" -o /dev/null \
    "$base/status/503?retry_after=2" || fail "curl /status/503 failed"
tr -d '\r' < "$tmp/headers" > "$tmp/h"
head -n 1 "$tmp/h" | grep -q '^HTTP/1\.1 503 ' ||
    fail "/status/503: got '$(head -n 1 "$tmp/h")'"
grep -qi '^Retry-After: 2$' "$tmp/h" || fail "/status/503: no Retry-After: 2"
grep -qi '^Server: asyncdemo/' "$tmp/h" || fail "/status/503: no Server header"
ok "/status/503?retry_after=2 has Retry-After: 2 and Server"

got=$(curl -s --max-time 10 -L -o /dev/null \
    -w '%{http_code} %{num_redirects}' "$base/redirect/3")
[ "$got" = "200 3" ] || fail "/redirect/3: got '$got', wanted '200 3'"
ok "/redirect/3 ends at 200 after 3 redirects"

curl -s --max-time 10 -L --max-redirs 5 -o /dev/null "$base/redirect-loop"
rc=$?
[ "$rc" = 47 ] || fail "/redirect-loop: curl exited $rc, wanted 47"
ok "/redirect-loop is refused by curl"

# At least the 0.3 s asked; under 2 s (over six times) is not some other
# wait, with room for a loaded machine.
got=$(get /delay/0.3 '%{http_code} %{time_total}')
echo "$got" | awk '{ exit !($1 == 200 && $2 >= 0.25 && $2 <= 2) }' ||
    fail "/delay/0.3: got '$got' (status seconds)"
ok "/delay/0.3 answers after ${got#* } s"

got=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --data x "$base/")
[ "$got" = 405 ] || fail "POST /: got $got"
ok "POST is a 405"

# /echo, any method: what it got, as JSON. jq sees the body decoded.
got=$(curl -s --max-time 10 -X POST -H 'Content-Type: application/json' \
    -H 'X-Token: a"b\c' -H 'x-token: two' --data-binary '{"ping": "a\"b"}' \
    "$base/echo?x=1") || fail "curl POST /echo failed"
expect "POST /echo" "$(printf "%s\n" "$got" | jqf -c '[.method, .path, .headers["Content-Type"], .headers["X-Token"], .body, .bytes]')" \
    '["POST","/echo?x=1","application/json","a\"b\\c, two","{\"ping\": \"a\\\"b\"}",16]'
for m in GET PUT PATCH DELETE OPTIONS; do
	got=$(curl -s --max-time 10 -X "$m" --data-binary 'x=1' "$base/echo" |
	    jqf -c '[.method, .body]')
	expect "$m /echo" "$got" "[\"$m\",\"x=1\"]"
done
printf 'a\000b\377c\n' > "$tmp/binary"
got=$(curl -s --max-time 10 --data-binary @"$tmp/binary" "$base/echo" |
    jqf -c '[.body, .bytes]')
# jq prints U+FFFD as it is, in UTF-8.
expect "a NUL and a byte that is not UTF-8" "$got" \
    "$(printf '["a\\u0000b\357\277\275c\\n",6]')"
got=$(curl -s --max-time 10 -I -o /dev/null -w '%{http_code} %{content_type}' "$base/echo")
expect "HEAD /echo" "$got" "200 application/json"
head -c 65536 /dev/zero | tr '\0' x > "$tmp/64k"
got=$(curl -s --max-time 10 --data-binary @"$tmp/64k" "$base/echo" | jqf '.bytes')
expect "a 64 KiB body is echoed" "$got" 65536
echo x >> "$tmp/64k"
got=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --data-binary @"$tmp/64k" "$base/echo")
expect "a larger body is 413" "$got" 413
got=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
    --data-binary @"$tmp/64k" "$base/echo")
expect "a larger chunked body is 413" "$got" 413

got=$(get '/page/weather?scale=0.01' '%{http_code}')
start=$(head -n 1 "$tmp/body" | cut -c 1-15)
[ "$got" = 200 ] && [ "$start" = '<!DOCTYPE html>' ] ||
    fail "/page/weather: status $got, starts with '$start'"
ok "/page/weather?scale=0.01 starts with the doctype"

got=$(get /no/such/path '%{http_code}')
[ "$got" = 404 ] || fail "/no/such/path: got $got"
ok "an unknown path is a 404"

run --serve "127.0.0.1:$port"
[ "$rc" = 75 ] || fail "a busy port: exit $rc, wanted 75"
grep -q 'cannot listen on' "$tmp/run.err" ||
    fail "a busy port: stderr was '$(cat "$tmp/run.err")'"
ok "a busy port exits 75"

run --serve nonsense
[ "$rc" = 64 ] || fail "--serve nonsense: exit $rc, wanted 64"
[ -s "$tmp/run.err" ] || fail "--serve nonsense: nothing on stderr"
ok "--serve nonsense exits 64"

kill -TERM "$server_pid"
finish "$server_pid" "the server after SIGTERM"
server_pid=
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc, wanted 0: $(cat "$tmp/err")"
ok "SIGTERM stops the server with 0"
exit 0
