#!/bin/sh
# Each run opens its own connections, reused within the run: a listener
# that takes one connection and then closes its listening socket serves
# both fetches of run 1 over it, and fails run 2's, in every mode.
. "$(dirname "$0")/lib.sh"

once_pid=
stop_once() { [ -n "$once_pid" ] && kill "$once_pid" 2>/dev/null; wait "$once_pid" 2>/dev/null; return 0; }
cleanup_hooks="$cleanup_hooks stop_once"
for mode in async sync cooperative threads; do
	python3 "$top_srcdir/tests/integration/echo_server.py" --once \
	    > "$tmp/once.out" 2> "$tmp/once.err" &
	once_pid=$!
	wait_listening "$tmp/once.out" "$tmp/once.err" "one-connection server"
	url=$(sed -n 's/^listening on //p' "$tmp/once.out")
	printf 'mode: %s\nworkers: 1\ninterval: 0.2\ndefaults: {retries: 0}\ntasks:\n  - url: %sa\n  - url: %sb\n' \
	    "$mode" "$url" "$url" > "$tmp/f.yaml"
	"$ASYNCDEMO" -q -o "$tmp/$mode.jsonl" --runs 2 -c "$tmp/f.yaml" 2> "$tmp/$mode.err"
	expect "$mode: run 2 failed, exit 1" "$?" 1
	expect "$mode: run 1 ok over one connection, run 2 refused" \
	    "$(jqf -r 'select(.event == "task_done") | "\(.run) \(.ok) \(.error // "")"' "$tmp/$mode.jsonl" | tr '\n' ';')" \
	    "1 true ;1 true ;2 false connection refused;2 false connection refused;"
	stop_once
	once_pid=
done
