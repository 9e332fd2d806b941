#!/bin/sh
# Every input the fuzzer or the hostile-file tests once broke the loader
# with: now a clear result (valid, or exit 78 with file:line:col) quickly.
. "$(dirname "$0")/lib.sh"

for f in "$top_srcdir"/tests/fuzz/regressions/*.yaml; do
	name=$(basename "$f")
	start=$(date +%s)
	"$ASYNCDEMO" -n -c "$f" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	[ $(( $(date +%s) - start )) -le 10 ] || fail "$name took too long"
	case $rc in
	0) pass "$name: valid" ;;
	78) grep -q "^$f:[0-9]*:[0-9]*: " "$tmp/err" ||
		fail "$name: no file:line:col message: $(head -1 "$tmp/err")"
	    pass "$name: $(head -1 "$tmp/err" | sed "s|^$f:||")" ;;
	*) fail "$name: exit $rc: $(tail -3 "$tmp/err")" ;;
	esac
done
