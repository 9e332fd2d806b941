#!/bin/sh
# libcurl is loaded on first use: runs and -n without a url never map it;
# a url task does, and so does -n of a list with urls (libcurl's own parser
# checks them). The dynamic loader's own log (LD_DEBUG=files) tells.
. "$(dirname "$0")/lib.sh"

loads_curl() {
	LD_DEBUG=files "$@" > /dev/null 2> "$tmp/ld.log"
	grep -c 'file=libcurl' "$tmp/ld.log"
}

[ "$(LD_DEBUG=files "$ASYNCDEMO" -V 2>&1 | grep -c 'file=libc\.so')" -gt 0 ] ||
	fail "LD_DEBUG=files says nothing here: cannot tell what is loaded"

expect "-n on example_4 (no urls) loads no libcurl" \
    "$(loads_curl "$ASYNCDEMO" -n -c "$top_srcdir/conf/example_4.yaml")" 0
[ "$(loads_curl "$ASYNCDEMO" -n -c "$top_srcdir/conf/example_7.yaml")" -ge 1 ] ||
	fail "-n on example_7 did not check its URLs with libcurl"
pass "-n on example_7 (seven urls) loads libcurl to check them"

printf 'name: d\nmode: async\nworkers: 2\ntasks:\n  - delay: 0.01\n  - factorial: 20\n' > "$tmp/d.yaml"
expect "a run of delays and factorials loads no libcurl" \
    "$(loads_curl "$ASYNCDEMO" -q -c "$tmp/d.yaml")" 0

start_server
printf 'name: u\nmode: %s\nworkers: 1\ntasks:\n  - url: %s/\n' async "$base_url" > "$tmp/u.yaml"
n=$(loads_curl "$ASYNCDEMO" -j -c "$tmp/u.yaml")
[ "$n" -ge 1 ] || fail "a url task did not load libcurl"
pass "a url task loads libcurl"
"$ASYNCDEMO" -j -c "$tmp/u.yaml" > "$tmp/u.jsonl" || fail "url run failed"
expect "and the fetch works (async)" \
    "$(jqf -s '[.[] | select(.event == "task_done")][0].result' "$tmp/u.jsonl")" 200

printf 'name: u\nmode: threads\nworkers: 3\ntasks:\n  - url: %s/\n  - url: %s/\n  - url: %s/\n' \
    "$base_url" "$base_url" "$base_url" > "$tmp/t.yaml"
"$ASYNCDEMO" -j -c "$tmp/t.yaml" > "$tmp/t.jsonl" || fail "threads url run failed"
expect "three threads load it once and all fetch" \
    "$(jqf -s '[.[] | select(.event == "task_done" and .result == 200)] | length' "$tmp/t.jsonl")" 3

# Without a libcurl to load, a task list with url tasks cannot start (75)
# and says why; -n and a list without urls do not need it.
ASYNCDEMO_LIBCURL=libnot-there.so.9 "$ASYNCDEMO" -q -c "$tmp/u.yaml" 2> "$tmp/nocurl.err"
expect "no libcurl: exit 75" "$?" 75
grep -q "u.yaml:5: url tasks need libcurl: libnot-there.so.9" "$tmp/nocurl.err" ||
	fail "no libcurl: message was: $(cat "$tmp/nocurl.err")"
pass "no libcurl: the file, the first url task's line and the library named"
ASYNCDEMO_LIBCURL=libnot-there.so.9 "$ASYNCDEMO" -n -c "$tmp/u.yaml" > /dev/null
expect "no libcurl: -n still plans" "$?" 0
ASYNCDEMO_LIBCURL=libnot-there.so.9 "$ASYNCDEMO" -q -c "$tmp/d.yaml"
expect "no libcurl: delays and factorials still run" "$?" 0
ASYNCDEMO_LIBCURL=libc.so.6 "$ASYNCDEMO" -q -c "$tmp/u.yaml" 2> "$tmp/notcurl.err"
expect "a library that is not libcurl: exit 75" "$?" 75
grep -q "u.yaml:5: url tasks need libcurl: libc.so.6 has no curl_easy_cleanup" "$tmp/notcurl.err" ||
	fail "not libcurl: message was: $(cat "$tmp/notcurl.err")"
pass "a library that is not libcurl: the missing function named"
