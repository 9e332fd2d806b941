#!/bin/sh
# url over TLS with throw-away certificates made here: a self-signed one
# fails without ca_file (a clear TLS error), passes with it and with
# insecure; a client certificate the server asks for; cert_days against a
# certificate of 3 days; cert_expires is the certificate's end.
. "$(dirname "$0")/lib.sh"

command -v openssl > /dev/null || fail "openssl is needed"
# cert NAME DAYS: $tmp/NAME.pem and $tmp/NAME.key for 127.0.0.1.
cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days "$2" -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 \
	    -keyout "$tmp/$1.key" -out "$tmp/$1.pem" 2> "$tmp/openssl.err" ||
	    fail "openssl req: $(cat "$tmp/openssl.err")"
}
cert long 30
cert short 3
cert client 30

servers=""
stop_servers() { for p in $servers; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
cleanup_hooks="$cleanup_hooks stop_servers"
# serve NAME ARGS...: echo_server.py with ARGS, its URL in $url.
serve() {
	name=$1
	shift
	python3 "$top_srcdir/tests/integration/echo_server.py" "$@" \
	    > "$tmp/$name.out" 2> "$tmp/$name.err" &
	servers="$servers $!"
	wait_listening "$tmp/$name.out" "$tmp/$name.err" "$name server"
	url=$(sed -n 's/^listening on //p' "$tmp/$name.out")
}
serve long --tls "$tmp/long.pem" "$tmp/long.key"
long=$url
serve short --tls "$tmp/short.pem" "$tmp/short.key"
short=$url
serve mtls --tls "$tmp/long.pem" "$tmp/long.key" --client-ca "$tmp/client.pem"
mtls=$url

cat > "$tmp/t.yaml" <<YAML
workers: 3
defaults: {retries: 0}
tasks:
  - url: ${long}a
  - url: ${long}b
    ca_file: long.pem
    expect: {cert_days: 14, body: '"path": "/b"'}
  - url: ${long}c
    insecure: true
  - url: ${short}d
    ca_file: short.pem
    expect: {cert_days: 14}
  - url: ${short}e
    ca_file: short.pem
    expect: {cert_days: 2}
  - url: ${mtls}f
    ca_file: long.pem
  - url: ${mtls}g
    ca_file: long.pem
    client_cert: client.pem
    client_key: client.key
  - url: ${long}h
    ca_file: short.pem
YAML
# error_of N: task N's error, or "ok".
error_of() {
	jqf -r "select(.event == \"task_done\" and .task == $1) | if .ok then \"ok\" else .error end" "$f"
}
# end_of NAME: the certificate's notAfter as RFC 3339.
end_of() {
	date -u -d "$(openssl x509 -enddate -noout -in "$tmp/$1.pem" | sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%SZ
}
for mode in async sync cooperative threads; do
	f=$tmp/$mode.jsonl
	"$ASYNCDEMO" -m "$mode" -j -c "$tmp/t.yaml" > "$f" 2> "$tmp/$mode.err"
	expect "$mode: failed checks, exit 1" "$?" 1
	case $(error_of 1) in
	"TLS error: "*"self-signed certificate"*) pass "$mode: self-signed without ca_file: $(error_of 1)" ;;
	*) fail "$mode: self-signed without ca_file: $(error_of 1)" ;;
	esac
	expect "$mode: with ca_file and cert_days 14 of 30" "$(error_of 2)" ok
	expect "$mode: insecure" "$(error_of 3)" ok
	expect "$mode: cert_days 14 of 3" "$(error_of 4)" "certificate expires in 2 days (< 14)"
	expect "$mode: cert_days 2 of 3" "$(error_of 5)" ok
	# TLS 1.3: the server's alert comes after the handshake; when the
	# request is still unread it closes with a reset that may come first.
	case $(error_of 6) in
	"TLS error: "* | "connection reset") pass "$mode: no client certificate: $(error_of 6)" ;;
	*) fail "$mode: no client certificate: $(error_of 6)" ;;
	esac
	expect "$mode: a client certificate" "$(error_of 7)" ok
	case $(error_of 8) in
	"TLS error: "*) pass "$mode: the wrong CA: $(error_of 8)" ;;
	*) fail "$mode: the wrong CA: $(error_of 8)" ;;
	esac
	expect "$mode: cert_expires of the 30-day certificate" \
	    "$(jqf -r 'select(.event == "task_done" and .task == 2) | .cert_expires' "$f")" "$(end_of long)"
	expect "$mode: cert_expires of the 3-day certificate" \
	    "$(jqf -r 'select(.event == "task_done" and .task == 4) | .cert_expires' "$f")" "$(end_of short)"
	expect "$mode: cert_expires null without a handshake" \
	    "$(jqf -r 'select(.event == "task_done" and .task == 1) | .cert_expires' "$f")" null
	expect "$mode: a tls time over https" \
	    "$(jqf -r 'select(.event == "task_done" and .task == 2) | .timings.tls >= .timings.connect' "$f")" true
done

# A second fetch over the same connection still knows the certificate.
printf 'workers: 1\ntasks:\n  - url: %sx\n    ca_file: long.pem\n  - url: %sy\n    ca_file: long.pem\n    expect: {cert_days: 14}\n' \
    "$long" "$long" > "$tmp/two.yaml"
"$ASYNCDEMO" -j -c "$tmp/two.yaml" > "$tmp/two.jsonl" 2> "$tmp/two.err" || fail "two: $(cat "$tmp/two.err")"
expect "a reused connection: cert_expires" \
    "$(jqf -r 'select(.event == "task_done") | .cert_expires' "$tmp/two.jsonl" | sort -u)" "$(end_of long)"
