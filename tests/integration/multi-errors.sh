#!/bin/sh
# A failing curl_multi_* call is said and fails the fetches it concerns,
# never the daemon: run against a libcurl whose multi calls fail on demand.
. "$(dirname "$0")/lib.sh"

shim="$abs_top_builddir/tests/integration/curl-shim.so"
[ -e "$shim" ] || fail "no $shim: make check builds it"
start_server
cat > "$tmp/urls.yaml" <<YAML
mode: async
workers: 2
tasks:
  - url: $base_url/bytes/100
  - url: $base_url/bytes/200
  - url: $base_url/bytes/300
  - url: $base_url/bytes/400
YAML

# run CALL: the run's exit status, its JSON Lines and its stderr in $tmp.
run() {
	CURL_SHIM=$1 ASYNCDEMO_LIBCURL=$shim "$ASYNCDEMO" -j \
	    -c "$tmp/urls.yaml" > "$tmp/$1.jsonl" 2> "$tmp/$1.err"
}

run add_handle
expect "curl_multi_add_handle failing fails the run" "$?" 1
expect "the fetches it refused fail, the others run" \
    "$(jqf -s -c '[.[] | select(.event == "task_done") | .ok] | sort' "$tmp/add_handle.jsonl")" \
    '[false,false,true,true]'
grep -q '^asyncdemo: curl_multi_add_handle: Out of memory$' \
    "$tmp/add_handle.err" || fail "not said: $(cat "$tmp/add_handle.err")"
jqf -s -e '[.[] | select(.event == "task_done" and .ok == false) | .error] | all(. == "curl: curl_multi_add_handle: Out of memory")' \
    "$tmp/add_handle.jsonl" > /dev/null || fail "errors: $(cat "$tmp/add_handle.jsonl")"
pass "each failed fetch says curl_multi_add_handle's error"

run socket_action
expect "curl_multi_socket_action failing fails the run" "$?" 1
grep -q '^asyncdemo: curl_multi_socket_action: Internal error$' \
    "$tmp/socket_action.err" ||
    fail "not said: $(cat "$tmp/socket_action.err")"
expect "every task still ends" \
    "$(jqf -s '[.[] | select(.event == "task_done")] | length' "$tmp/socket_action.jsonl")" 4

run assign
expect "curl_multi_assign failing fails the run" "$?" 1
grep -q '^asyncdemo: curl_multi_assign: ' "$tmp/assign.err" ||
    fail "not said: $(cat "$tmp/assign.err")"
expect "every fetch fails, none hangs" \
    "$(jqf -s -c '[.[] | select(.event == "task_done") | .ok] | unique' "$tmp/assign.jsonl")" \
    '[false]'

run remove_handle
expect "curl_multi_remove_handle failing loses no fetch" "$?" 0
grep -q '^asyncdemo: curl_multi_remove_handle: ' "$tmp/remove_handle.err" ||
    fail "not said: $(cat "$tmp/remove_handle.err")"
pass "curl_multi_remove_handle failing is said"
