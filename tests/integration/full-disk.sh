#!/bin/sh
# A results file or a log file that cannot be written: a clear error that
# names the file and the errno, the results that did fit are whole lines,
# and the run goes on to report its outcome on stdout. Lost results exit
# 74 (EX_IOERR); a log file that cannot be written does not. The full disk is a 64 KiB tmpfs when we may mount one (root, in a
# private mount namespace), else /dev/full.
. "$(dirname "$0")/lib.sh"

{
	echo "workers: 4"
	echo "tasks:"
	i=0
	while [ $i -lt 1000 ]; do
		echo "  - factorial: 20"
		i=$((i + 1))
	done
} > "$tmp/many.yaml"

# outcome FILE: the run_done counts on stdout.
outcome() {
	jqf -c 'select(.event == "run_done") | [.ok, .failed]' "$1"
}

# A results file on /dev/full: every write fails with ENOSPC.
"$ASYNCDEMO" -j -o /dev/full -c "$tmp/many.yaml" > "$tmp/devfull.jsonl" 2> "$tmp/devfull.err"
expect "results on /dev/full: exit 74, every task ran" "$?" 74
expect "results on /dev/full: outcome on stdout" "$(outcome "$tmp/devfull.jsonl")" "[1000,0]"
grep -q '^asyncdemo: /dev/full: cannot write: No space left on device: lines are lost until it can be written again$' "$tmp/devfull.err" ||
    fail "no clear error: $(cat "$tmp/devfull.err")"
grep -q '^asyncdemo: /dev/full: 1000 lines were not written$' "$tmp/devfull.err" ||
    fail "lost results not counted: $(cat "$tmp/devfull.err")"
expect "results on /dev/full: the error once" "$(grep -c 'cannot write' "$tmp/devfull.err")" 1
pass "results on /dev/full: '$(head -1 "$tmp/devfull.err")'"

# The log file on /dev/full: one error on stderr, the run completes.
"$ASYNCDEMO" -q -l /dev/full --status 127.0.0.1:0 -o "$tmp/r.jsonl" \
    -c "$tmp/many.yaml" 2> "$tmp/logfull.err"
expect "log on /dev/full: exit 0" "$?" 0
expect "log on /dev/full: every result written" "$(wc -l < "$tmp/r.jsonl")" 1000
grep -q '^asyncdemo: cannot write log file /dev/full: No space left on device$' "$tmp/logfull.err" ||
    fail "log on /dev/full: no clear error: $(cat "$tmp/logfull.err")"
pass "log on /dev/full: '$(grep 'log file' "$tmp/logfull.err")'"

# A log file that cannot be opened at the start: nothing runs (75).
"$ASYNCDEMO" -q -l "$tmp/no/such/dir/log" -c "$tmp/many.yaml" 2> "$tmp/nolog.err"
expect "log file that cannot be opened: exit 75" "$?" 75
grep -q "^asyncdemo: cannot open log file $tmp/no/such/dir/log: No such file or directory\$" "$tmp/nolog.err" ||
    fail "no clear error: $(cat "$tmp/nolog.err")"
pass "log file that cannot be opened: '$(cat "$tmp/nolog.err")'"

# A real full disk: a 64 KiB tmpfs in a mount namespace of our own.
if [ "$(id -u)" -ne 0 ] || ! command -v unshare > /dev/null ||
    ! unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$tmp'" 2> /dev/null; then
	pass "SKIP the 64 KiB tmpfs: mounting needs root and unshare -m; /dev/full stood in"
	exit 0
fi
mkdir "$tmp/mnt"
cat > "$tmp/full.sh" <<EOF
mount -t tmpfs -o size=64k tmpfs "$tmp/mnt" || exit 99
"$ASYNCDEMO" -j -o "$tmp/mnt/results.jsonl" -c "$tmp/many.yaml" \
    > "$tmp/full.jsonl" 2> "$tmp/full.err"
echo \$? > "$tmp/full.rc"
cp "$tmp/mnt/results.jsonl" "$tmp/kept.jsonl"
# A log file on the same full disk.
"$ASYNCDEMO" -q -l "$tmp/mnt/log" --status 127.0.0.1:0 -c "$tmp/many.yaml" \
    2> "$tmp/fulllog.err"
echo \$? > "$tmp/fulllog.rc"
EOF
unshare -m sh "$tmp/full.sh" || fail "the tmpfs run: $?"
expect "results on a full tmpfs: exit 74" "$(cat "$tmp/full.rc")" 74
expect "results on a full tmpfs: outcome on stdout" "$(outcome "$tmp/full.jsonl")" "[1000,0]"
grep -q "^asyncdemo: $tmp/mnt/results.jsonl: cannot write: No space left on device: lines are lost until it can be written again\$" "$tmp/full.err" ||
    fail "no clear error: $(cat "$tmp/full.err")"
kept=$(wc -l < "$tmp/kept.jsonl")
grep -q "^asyncdemo: $tmp/mnt/results.jsonl: $((1000 - kept)) lines were not written\$" "$tmp/full.err" ||
    fail "lost results not counted ($kept kept): $(cat "$tmp/full.err")"
[ "$kept" -gt 0 ] && [ "$kept" -lt 1000 ] || fail "$kept results kept: the disk was not filled"
expect "results on a full tmpfs: every kept line is JSON" "$(jq -c . "$tmp/kept.jsonl" | wc -l)" "$kept"
[ "$(tail -c 1 "$tmp/kept.jsonl" | od -An -c | tr -d ' ')" = '\n' ] ||
    fail "the last kept line is not whole"
pass "results on a full tmpfs: $kept whole lines kept, $((1000 - kept)) counted as lost, outcome [1000,0]"
expect "log on a full tmpfs: exit 0" "$(cat "$tmp/fulllog.rc")" 0
grep -q "^asyncdemo: cannot write log file $tmp/mnt/log: No space left on device\$" "$tmp/fulllog.err" ||
    fail "log on a full tmpfs: no clear error: $(cat "$tmp/fulllog.err")"
pass "log on a full tmpfs: the error once, the run completes"
