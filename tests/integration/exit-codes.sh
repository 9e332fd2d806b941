#!/bin/sh
# Exit statuses of sysexits.h, and the messages that come with them.
. "$(dirname "$0")/lib.sh"

status() {
	"$ASYNCDEMO" "$@" > "$tmp/out" 2> "$tmp/err"
	echo $?
}

printf 'tasks:\n  - delay: 0\n' > "$tmp/ok.yaml"
expect "all ok exits 0" "$(status -q -c "$tmp/ok.yaml")" 0

printf 'tasks:\n  - file: missing.txt\n  - delay: 0\n' > "$tmp/fail.yaml"
expect "a failed task exits 1" "$(status -c "$tmp/fail.yaml")" 1
grep -q 'task 1  file missing.txt' "$tmp/out" ||
    fail "failed task line missing: $(cat "$tmp/out")"
grep -q 'FAILED.*missing.txt: No such file or directory' "$tmp/out" ||
    fail "error not shown: $(cat "$tmp/out")"
grep -q '(1 ok, 1 failed)' "$tmp/out" || fail "run went on after a failure"
pass "a failed task does not stop the run"

expect "no task file is a usage error" "$(status)" 64
grep -q 'no task file: use -c FILE' "$tmp/err" || fail "usage message"
expect "an unknown option is a usage error" "$(status --bogus)" 64
expect "a bad --mode is a usage error" \
    "$(status -m fast -c "$tmp/ok.yaml")" 64
grep -q "^asyncdemo: --mode: expected sync, cooperative, threads or async, got 'fast'" \
    "$tmp/err" || fail "mode message: $(cat "$tmp/err")"
expect "a bad --workers is a usage error" \
    "$(status -w 0 -c "$tmp/ok.yaml")" 64
expect "a bad --shard is a usage error" \
    "$(status --shard 3/3 -c "$tmp/ok.yaml")" 64

expect "a missing file exits 66" "$(status -c "$tmp/nope.yaml")" 66
grep -q "nope.yaml: No such file or directory" "$tmp/err" ||
    fail "missing file message"
expect "a directory exits 66" "$(status -c "$tmp")" 66

printf 'mode: async\ntaks:\n  - delay: 1\n' > "$tmp/typo.yaml"
expect "an invalid file exits 78" "$(status -c "$tmp/typo.yaml")" 78
expect "the message names file, line and column" "$(cat "$tmp/err")" \
    "$tmp/typo.yaml:2:1: unknown key 'taks' (did you mean 'tasks'?)"
expect "nothing ran" "$(cat "$tmp/out")" ""
expect "-n on an invalid file exits 78" "$(status -n -c "$tmp/typo.yaml")" 78

printf 'tasks:\n  - delay: 1\n    timeout: 5s\n  - factorial: x\n' > "$tmp/two.yaml"
expect "every error is listed" "$(status -c "$tmp/two.yaml"; cat "$tmp/err")" \
"78
$tmp/two.yaml:3:14: timeout: does not apply to a delay task (only to url, file, tcp and exec tasks)
$tmp/two.yaml:4:16: factorial: invalid number 'x': not a whole number (expected 0 to 1000000)"

expect "-V exits 0" "$(status -V)" 0
grep -q '^asyncdemo [0-9]' "$tmp/out" || fail "version line"
expect "-h exits 0" "$(status -h)" 0
for opt in --mode --workers --json --results --quiet --verbose --check --shard --serve; do
	grep -q -- "$opt" "$tmp/out" || fail "-h does not list $opt"
done
pass "-h lists the options"
