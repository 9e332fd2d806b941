# Shared by the integration tests: a scratch folder, failure, JSON checks.
# Each test sets ASYNCDEMO (the binary) and top_srcdir through make check.

set -u
: "${ASYNCDEMO:=$(cd "$(dirname "$0")/../.." && pwd)/src/asyncdemo}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export NO_COLOR=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncdemo-test.XXXXXX")
cleanup_hooks=""
cleanup() {
	for h in $cleanup_hooks; do "$h"; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass() {
	echo "ok: $*"
}

# Example N from conf/ with every delay divided by ten.
scaled_example() {
	sed -E 's/delay: ([0-9]+)\.0/delay: 0.\1/' \
	    "$top_srcdir/conf/example_$1.yaml" > "$tmp/example_$1.yaml"
	echo "$tmp/example_$1.yaml"
}

# jq over a JSON Lines file. Inside $(...) a failure cannot end the test,
# so it also prints a line that no expectation matches.
jqf() {
	jq -r "$@" || { echo "(jq failed)"; fail "jq $*"; }
}

# Assert two strings are equal.
expect() {
	[ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
	pass "$1"
}

# Wait up to 5 s for a server's "listening on" line in OUT.
wait_listening() {
	i=0
	while ! grep -q '^listening on' "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "$3 did not start: $(cat "$2")"
		sleep 0.05
	done
}

# A free loopback port, from the demo server's own choice.
start_server() {
	"$ASYNCDEMO" --serve 127.0.0.1:0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
	server_pid=$!
	cleanup_hooks="$cleanup_hooks stop_server"
	wait_listening "$tmp/serve.out" "$tmp/serve.err" "demo server"
	base_url=$(sed -n 's/^listening on \(http:[^ ]*\)\/$/\1/p' "$tmp/serve.out" | head -1)
}

stop_server() {
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
}
