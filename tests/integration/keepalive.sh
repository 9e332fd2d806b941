#!/bin/sh
# Connections are reused within a run, never from one run to the next: in
# each mode, the two fetches of a run share a connection, and each of the
# three runs opens its own. The server answers each request with the
# client's port, so the previews tell. In async mode, workers share
# connections in pools of 128, and a pool keeps as many as it has workers:
# 300 workers never open more than 300, and no connection serves two pools.
. "$(dirname "$0")/lib.sh"

cat > "$tmp/peer.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = ("port %d" % self.client_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(http.server.ThreadingHTTPServer):
    request_queue_size = 1024   # 300 workers connect at once
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print("listening on http://127.0.0.1:%d/" % s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$tmp/peer.py" > "$tmp/peer.out" 2> "$tmp/peer.err" &
peer_pid=$!
stop_peer() { kill "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null; }
cleanup_hooks="$cleanup_hooks stop_peer"
wait_listening "$tmp/peer.out" "$tmp/peer.err" "peer server"
peer=$(sed -n 's/^listening on \(http:[^ ]*\)\/$/\1/p' "$tmp/peer.out")

for mode in async sync cooperative threads; do
	printf 'name: k\nmode: %s\nworkers: 1\ninterval: 0.2\ntasks:\n  - url: %s/a\n  - url: %s/b\n' \
	    "$mode" "$peer" "$peer" > "$tmp/k.yaml"
	rm -f "$tmp/k.jsonl"
	"$ASYNCDEMO" -q -o "$tmp/k.jsonl" --runs 3 -c "$tmp/k.yaml" || fail "$mode: runs failed"
	expect "$mode: six fetches, all ok" \
	    "$(jqf -s '[.[] | select(.event == "task_done" and .ok)] | length' "$tmp/k.jsonl")" 6
	expect "$mode: one connection a run" \
	    "$(jqf -s -c '[.[] | select(.event == "task_done")] | group_by(.run) | map([.[].preview] | unique | length)' "$tmp/k.jsonl")" \
	    "[1,1,1]"
	expect "$mode: three runs, three connections" \
	    "$(jqf -s '[.[] | select(.event == "task_done") | .preview] | unique | length' "$tmp/k.jsonl")" 3
done

# 900 fetches over 300 workers: pools of 128, 128 and 44 workers
{
	printf 'name: pools\nmode: async\nworkers: 300\ndefaults: {preview: 20}\ntasks:\n'
	awk -v u="$peer" 'BEGIN { for (i = 0; i < 900; i++) print "  - url: " u "/p" }'
} > "$tmp/pools.yaml"
rm -f "$tmp/pools.jsonl"
"$ASYNCDEMO" -q -o "$tmp/pools.jsonl" -c "$tmp/pools.yaml" || fail "pools: the run failed"
expect "pools: 900 fetches, all ok" \
    "$(jqf -s '[.[] | select(.ok)] | length' "$tmp/pools.jsonl")" 900
conns=$(jqf -s '[.[].preview] | unique | length' "$tmp/pools.jsonl")
[ "$conns" -ge 3 ] && [ "$conns" -le 300 ] ||
	fail "pools: $conns connections for 300 workers (a pool keeps one a worker)"
expect "pools: no connection serves two pools of workers" \
    "$(jqf -s '[group_by(.preview)[] | [.[].worker | tonumber - 1 | . / 128 | floor] | unique | length] | max' "$tmp/pools.jsonl")" 1
pass "pools: 900 fetches by 300 workers over $conns connections"
