#!/bin/bash
# exec tasks: exit statuses and expect, a list without a shell, output
# (a megabyte does not block the child), env and cwd; a timeout kills the
# whole process group, SIGTERM ignored or not, grandchildren too, in every
# mode; a stop leaves nothing running; async mode runs commands at once.
. "$(dirname "$0")/lib.sh"

cleanup_hooks="$cleanup_hooks kill_daemon kill_marked"

# Each long command sleeps 600.<this shell's pid><two digits>: a mark no
# other process has. The pattern's [0] keeps grep from finding itself.
m=$$
marked() { grep -lasE "60[0]\\.$m$1" /proc/[0-9]*/cmdline; }
alive() { [ -n "$(marked "$1")" ]; }
gone_all() { ! alive '[0-9][0-9]'; }
kill_marked() {
	for f in $(marked '[0-9][0-9]'); do
		f=${f#/proc/}
		kill -KILL "${f%/cmdline}" 2>/dev/null
	done
	return 0
}
# task_done's FIELDS (a jq expression) of task N in FILE.
field() { jqf -c "select(.event == \"task_done\" and .task == $2) | $3" "$1"; }
# at_least X Y / below X Y: numbers compared, for elapsed times.
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# Results, in every mode.
mkdir "$tmp/sub"
cat > "$tmp/results.yaml" <<YAML
workers: 2
tasks:
  - exec: "exit 3"
  - exec: "exit 3"
    expect: {status: [1, 3]}
  - exec: [printf, '%s', hello]
  - exec: [nosuch-asyncdemo-command, x]
  - exec: "nosuch-asyncdemo-command"
  - exec: 'echo "\$FOO \$ASYNCDEMO_TEST_KEPT" in "\$(pwd -P)"; echo err >&2'
    env: {FOO: bar}
    cwd: sub
  - exec: "kill -9 \$\$\$\$"
  - exec: "head -c 1048576 /dev/zero | tr '\\\\0' a"
    preview: 10
  - exec: "printf ' h\\\\303\\\\251llo \\\\n\\\\n w\\\\366rld '"
  - exec: "echo up"
    expect: {body: up, body_regex: '^u[p]', max_time: 60s}
  - exec: "echo down"
    expect: {body: up}
  - exec: "echo down"
    expect: {body_regex: 'u[p]'}
  - exec: "exit 4"
    expect: {status: [1, 2, 3]}
  - exec: "sleep 600.${m}01 & echo started"
  - exec: "sleep 0.3"
    expect: {max_time: 100ms}
YAML
export FOO=outer ASYNCDEMO_TEST_KEPT=kept
sub=$(cd "$tmp/sub" && pwd -P)
for mode in sync cooperative threads async; do
	out="$tmp/results-$mode.jsonl"
	timeout 60 "$ASYNCDEMO" -j -m $mode -c "$tmp/results.yaml" > "$out" 2> "$tmp/err"
	expect "$mode: exit 1, tasks failed" "$?" 1
	expect "$mode: exit 3" "$(field "$out" 1 '[.ok, .result, .error]')" \
	    '[false,3,"exit status 3, expected 0"]'
	expect "$mode: exit 3 expected" "$(field "$out" 2 '[.ok, .result, .error]')" \
	    '[true,3,null]'
	expect "$mode: a list without a shell" "$(field "$out" 3 '[.ok, .result, .output, .signal]')" \
	    '[true,0,"hello",null]'
	expect "$mode: no such command (list)" "$(field "$out" 4 '[.ok, .result, .error]')" \
	    "[false,null,\"cannot run 'nosuch-asyncdemo-command': No such file or directory\"]"
	expect "$mode: no such command (shell)" "$(field "$out" 5 '[.ok, .result, .error]')" \
	    '[false,127,"exit status 127 (command not found?)"]'
	expect "$mode: env and cwd" "$(field "$out" 6 '[.ok, .output]')" \
	    "[true,\"bar kept in $sub err\"]"
	expect "$mode: killed by a signal" "$(field "$out" 7 '[.ok, .result, .signal, .error]')" \
	    '[false,null,9,"killed by signal 9 (SIGKILL)"]'
	expect "$mode: a megabyte of output" "$(field "$out" 8 '[.ok, .result, .bytes, .output]')" \
	    '[true,0,1048576,"aaaaaaaaaa"]'
	expect "$mode: output as a preview" "$(field "$out" 9 '.output')" \
	    'héllo w�rld'
	expect "$mode: expect body and regex" "$(field "$out" 10 '[.ok, .error]')" '[true,null]'
	expect "$mode: expect body" "$(field "$out" 11 '[.ok, .error]')" \
	    "[false,\"output does not contain 'up'\"]"
	expect "$mode: expect regex" "$(field "$out" 12 '[.ok, .error]')" \
	    "[false,\"output does not match 'u[p]'\"]"
	expect "$mode: expect status" "$(field "$out" 13 '.error')" \
	    'exit status 4, expected 1, 2 or 3'
	expect "$mode: left in the background" "$(field "$out" 14 '[.ok, .output]')" \
	    '[true,"started"]'
	field "$out" 15 '.error' | grep -qx 'took 0\.[3-9][0-9] s, over max_time 0\.1 s\|took [1-9][0-9.]* s, over max_time 0\.1 s' ||
	    fail "$mode: max_time: $(field "$out" 15 '[.ok, .error]')"
	pass "$mode: expect max_time"
	wait_for 10 gone_all || fail "$mode: left running: $(marked '[0-9][0-9]')"
	pass "$mode: nothing left running"
done
"$ASYNCDEMO" -c "$tmp/results.yaml" > "$tmp/results.txt" 2>&1
grep -q 'exec printf %s hello .* ok .* exit 0, "hello"$' "$tmp/results.txt" ||
    fail "text outcome: $(grep hello "$tmp/results.txt")"
pass "text outcome"

# A timeout: SIGTERM to the group, SIGKILL 2 s later. Task 1 ignores
# SIGTERM, task 2 is a grandchild that ignores it, task 3 ends with it.
n=0
for mode in sync cooperative threads async; do
	n=$((n + 1))
	cat > "$tmp/timeout.yaml" <<YAML
workers: 3
tasks:
  - exec: "trap '' TERM; sleep 600.${m}1$n"
    timeout: 1s
  - exec: "sh -c 'trap \"\" TERM; sleep 600.${m}2$n & wait'"
    timeout: 1s
  - exec: "sleep 600.${m}3$n"
    timeout: 1s
YAML
	out="$tmp/timeout-$mode.jsonl"
	# timeout(1) ends a run whose command was never killed (124).
	timeout 60 "$ASYNCDEMO" -j -m $mode -c "$tmp/timeout.yaml" > "$out" 2> "$tmp/err"
	expect "$mode timeout: exit 1" "$?" 1
	for t in 1 2 3; do
		expect "$mode timeout: task $t" "$(field "$out" $t '[.ok, .error]')" \
		    '[false,"timed out after 1 s"]'
		e=$(field "$out" $t .elapsed)
		# 1 s, 2 s of grace, and a margin for a loaded machine.
		below "$e" 6 || fail "$mode timeout: task $t took $e s"
	done
	expect "$mode timeout: SIGTERM ignored, SIGKILL" "$(field "$out" 1 .signal)" 9
	at_least "$(field "$out" 1 .elapsed)" 2.9 ||
	    fail "$mode timeout: SIGKILL before the 2 s of grace"
	expect "$mode timeout: SIGTERM" "$(field "$out" 3 .signal)" 15
	wait_for 5 gone_all || fail "$mode timeout: left running: $(marked '[0-9][0-9]')"
	pass "$mode timeout: the process groups are gone"
done

# A stop (SIGTERM, shutdown_timeout 0.5 s) kills what runs, grandchildren
# ignoring SIGTERM too, and the daemon exits. In sync and cooperative
# modes only task 1 starts.
for mode in sync cooperative threads async; do
	n=$((n + 1))
	cat > "$tmp/stop.yaml" <<YAML
workers: 2
shutdown_timeout: 0.5s
tasks:
  - exec: "sh -c 'trap \"\" TERM; sleep 600.${m}4$n & wait'"
  - exec: "trap '' TERM; sleep 600.${m}5$n"
YAML
	out="$tmp/stop-$mode.jsonl"
	"$ASYNCDEMO" -j -m $mode -c "$tmp/stop.yaml" > "$out" 2> "$tmp/err" &
	pid=$!
	wait_for 30 alive 4$n || fail "$mode stop: task 1 never started"
	case $mode in threads | async)
		wait_for 30 alive 5$n || fail "$mode stop: task 2 never started" ;;
	esac
	kill -TERM $pid
	wait_child 30 $pid || fail "$mode stop: still running 30 s after SIGTERM"
	pid=
	expect "$mode stop: exit 1" "$rc" 1
	expect "$mode stop: cancelled" "$(field "$out" 1 '[.ok, .cancelled, .result]')" \
	    '[false,true,null]'
	wait_for 5 gone_all || fail "$mode stop: left running: $(marked '[0-9][0-9]')"
	pass "$mode stop: nothing left running"
done

# Two one-second commands on two workers: at once in async and threads
# modes, one after the other in sync and cooperative modes.
printf 'workers: 2\ntasks:\n  - exec: sleep 1\n  - exec: [sleep, 1]\n' > "$tmp/two.yaml"
for mode in sync cooperative threads async; do
	"$ASYNCDEMO" -j -m $mode -c "$tmp/two.yaml" > "$tmp/two.jsonl" ||
	    fail "$mode: two sleeps failed"
	e=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/two.jsonl")
	case $mode in
	sync | cooperative)
		at_least "$e" 2 || fail "$mode: two sleeps took $e s, overlapping"
		pass "$mode: two sleeps one after the other ($e s)" ;;
	*)
		below "$e" 1.9 || fail "$mode: two sleeps took $e s, not at once"
		pass "$mode: two sleeps at once ($e s)" ;;
	esac
done
