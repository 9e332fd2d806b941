#!/bin/sh
# Out of memory in GMP (a million-factorial under ulimit -v): not GMP's
# abort (134, "GNU MP: Cannot allocate memory", nothing written), but a
# message, the tasks that finished written to stdout and the results
# file, and exit 70. The limit is set just above what a run that only
# waits needs, measured here the same way.
. "$(dirname "$0")/lib.sh"

cleanup_hooks="$cleanup_hooks kill_daemon"
printf 'tasks:\n  - delay: 1\n' > "$tmp/wait.yaml"
cat > "$tmp/oom.yaml" <<YAML
tasks:
  - delay: 0.01
  - factorial: 10
  - factorial: 1000000
  - delay: 0.01
YAML

# The address space of a run like the one below while it waits, in KiB.
"$ASYNCDEMO" -j -m sync -o "$tmp/wait.jsonl" -c "$tmp/wait.yaml" > "$tmp/wait.out" &
pid=$!
# The delay under way: libraries mapped, the run set up, the size settled.
wait_for 30 grep -q '"event":"task_start"' "$tmp/wait.out" ||
    fail "the waiting run never started its task"
size=$(awk '/^VmSize/ { print $2 }' "/proc/$pid/status")
[ -n "$size" ] || fail "no VmSize in /proc/$pid/status"
wait $pid
pid=
if [ "$size" -gt 1000000 ]; then
	pass "SKIP: $size KiB of address space (a sanitizer's shadow): ulimit -v cannot starve GMP"
	exit 0
fi

# 8 MiB more than that: enough for everything but 1,000,000! (5.5 million
# digits; GMP's product and its temporaries need tens of MiB).
( ulimit -v $((size + 8192)) &&
    exec "$ASYNCDEMO" -j -m sync -o "$tmp/results.jsonl" -c "$tmp/oom.yaml" \
    > "$tmp/out.jsonl" 2> "$tmp/err" )
expect "out of memory: exit 70" "$?" 70
grep -q '^asyncdemo: out of memory: GNU MP could not allocate [0-9]* bytes; stopping with what finished written$' "$tmp/err" ||
    fail "out of memory: the message: $(cat "$tmp/err")"
expect "the finished tasks are in the results file" \
    "$(jqf -s -c 'map([.task, .ok])' "$tmp/results.jsonl")" "[[1,true],[2,true]]"
expect "and on stdout" \
    "$(jqf -s -c 'map(select(.event == "task_done") | [.task, .ok])' "$tmp/out.jsonl")" "[[1,true],[2,true]]"
pass "out of memory in GMP: '$(cat "$tmp/err")'"
