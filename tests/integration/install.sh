#!/bin/sh
# make install DESTDIR=...: binary, man pages, examples, config, unit; then
# an installed example runs from /, and make uninstall removes it all.
. "$(dirname "$0")/lib.sh"

[ -n "${abs_top_builddir:-}" ] || { echo "SKIP: needs make check"; exit 77; }
dest="$tmp/root"
make -s -C "$abs_top_builddir" install DESTDIR="$dest" > "$tmp/install.log" 2>&1 ||
    fail "make install: $(tail -5 "$tmp/install.log")"

# Where configure put each thing, found by name under DESTDIR.
find_one() {
	f=$(find "$dest" -path "*/$1" | head -1)
	[ -n "$f" ] || fail "not installed: $1"
	echo "$f"
}
bin=$(find_one bin/asyncdemo)
man1=$(find_one man1/asyncdemo.1)
man5=$(find_one man5/asyncdemo.yaml.5)
man7=$(find_one man7/asyncdemo-examples.7)
ex=$(dirname "$(find_one asyncdemo/examples/example_7.yaml)")
find_one asyncdemo/examples/example_8.yaml > /dev/null
find_one asyncdemo/examples/textfile1.txt > /dev/null
find_one asyncdemo/examples/offline/example_6.yaml > /dev/null
conf=$(find_one etc/asyncdemo/asyncdemo.yaml)
unit=$(find_one systemd/system/asyncdemo.service)
rot=$(find_one logrotate.d/asyncdemo)
pass "everything installed"
grep -q "^ExecStart=${bin#$dest} -c ${conf#$dest} " "$unit" ||
    fail "unit paths: $(grep ExecStart "$unit")"
pass "the unit names the installed paths"
grep -q "^ExecStart=.* --status 127\.0\.0\.1:[0-9]*\( \|\$\)" "$unit" ||
    fail "the unit has no --status on loopback: $(grep ExecStart "$unit")"
pass "the unit serves /status on loopback"
# The hardening, as systemd rates it (offline: needs systemd 250 or later).
if systemd-analyze security --offline=true "$unit" > "$tmp/sa.out" 2>&1; then
	score=$(sed -n 's/.*Overall exposure level for asyncdemo.service: \([0-9.]*\).*/\1/p' "$tmp/sa.out")
	awk -v s="$score" 'BEGIN { exit !(s != "" && s < 2.5) }' ||
	    fail "systemd-analyze security: '$score', not below 2.5: $(grep '✗' "$tmp/sa.out")"
	pass "systemd-analyze security rates the unit $score"
fi

# The man pages name the paths configure was given, not /usr/local
# (distcheck installs with a prefix of its own).
prefix=$(sed -n 's/^prefix = //p' "$abs_top_builddir/Makefile")
case "${ex#$dest}" in "$prefix"/*) ;; *) fail "examples at ${ex#$dest}, not under the prefix $prefix" ;; esac
grep -q "^\.It Pa $prefix/" "$man1" || fail "asyncdemo.1 names no path under the prefix $prefix"
for page in "$man1" "$man5" "$man7"; do
	grep -q "^\.Pa ${ex#$dest}" "$page" || grep -q "^\.It Pa ${ex#$dest}/" "$page" ||
	    fail "$(basename "$page") does not name the examples at ${ex#$dest}"
	! grep -q '@[a-z]*dir@' "$page" || fail "$(basename "$page") keeps a placeholder: $(grep '@[a-z]*dir@' "$page")"
done
grep -q "^\.It Pa ${conf#$dest}\$" "$man1" || fail "asyncdemo.1 does not name ${conf#$dest}"
grep -q "^\.It Pa ${unit#$dest}\$" "$man1" || fail "asyncdemo.1 does not name ${unit#$dest}"
if [ "${ex#$dest}" != /usr/local/share/asyncdemo/examples ]; then
	! grep -q /usr/local "$man1" "$man5" "$man7" || fail "a man page names /usr/local: $(grep -n /usr/local "$man1" "$man5" "$man7")"
fi
pass "the man pages name the configured paths"

# logrotate rotates the files the unit writes, and tells it with SIGUSR1.
for opt in -o -l; do
	f=$(sed -n "s/^ExecStart=.* $opt \([^ ]*\).*/\1/p" "$unit")
	[ -n "$f" ] || fail "the unit has no $opt file: $(grep ExecStart "$unit")"
	grep -q "^$f \|^[^#]* $f {" "$rot" || fail "logrotate does not rotate $f: $(cat "$rot")"
done
grep -q 'signal=USR1 asyncdemo.service' "$rot" || fail "logrotate sends no SIGUSR1"
if command -v logrotate > /dev/null; then
	logrotate -d -s "$tmp/lr.state" "$rot" > "$tmp/lr.out" 2>&1 ||
	    fail "logrotate -d: $(cat "$tmp/lr.out")"
	pass "logrotate -d takes the installed snippet"
fi
pass "the logrotate snippet covers the unit's log and results file"

# An edited configuration survives make install and make uninstall.
echo "# edited by the operator" >> "$conf"
make -s -C "$abs_top_builddir" install DESTDIR="$dest" > "$tmp/install2.log" 2>&1 ||
    fail "make install again: $(tail -5 "$tmp/install2.log")"
expect "make install keeps an edited configuration" "$(tail -1 "$conf")" "# edited by the operator"
grep -q "kept .*asyncdemo.yaml as it was edited" "$tmp/install2.log" ||
    fail "make install did not say it kept it: $(cat "$tmp/install2.log")"
ex_conf=$(find_one asyncdemo/examples/asyncdemo.yaml)
cmp -s "$ex_conf" "$top_srcdir/etc/asyncdemo.yaml" || fail "the shipped configuration is not among the examples"
make -s -C "$abs_top_builddir" uninstall DESTDIR="$dest" > "$tmp/uninstall1.log" 2>&1 ||
    fail "make uninstall"
expect "make uninstall leaves an edited configuration" "$(find "$dest" -type f | sed "s|$dest||")" "${conf#$dest}"
rm "$conf"
make -s -C "$abs_top_builddir" install DESTDIR="$dest" > "$tmp/install3.log" 2>&1 ||
    fail "make install a third time"
cmp -s "$conf" "$top_srcdir/etc/asyncdemo.yaml" || fail "a missing configuration is not installed"
pass "a configuration that is not there is installed"

# The installed example 7 reads its text files from any folder.
sed -e 's|url: .*|delay: 0.01|' "$ex/example_7.yaml" > "$ex/local7.yaml"
( cd / && "$bin" -j -c "$ex/local7.yaml" ) > "$tmp/ex7.jsonl" ||
    fail "installed example failed: $(cat "$tmp/ex7.jsonl")"
expect "files read from /" "$(jqf -s -c 'map(select(.event == "task_done" and .kind == "file") | .ok)' "$tmp/ex7.jsonl")" "[true,true]"
rm "$ex/local7.yaml"
"$bin" -n -c "$conf" > /dev/null || fail "the default configuration is invalid"
pass "the default configuration is valid"

make -s -C "$abs_top_builddir" uninstall DESTDIR="$dest" > "$tmp/uninstall.log" 2>&1 ||
    fail "make uninstall"
left=$(find "$dest" -type f | sed "s|$dest||")
expect "uninstall leaves no file" "$left" ""
