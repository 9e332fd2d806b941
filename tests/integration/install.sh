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
find_one man1/asyncdemo.1 > /dev/null
find_one man5/asyncdemo.yaml.5 > /dev/null
ex=$(dirname "$(find_one asyncdemo/examples/example_7.yaml)")
find_one asyncdemo/examples/textfile1.txt > /dev/null
find_one asyncdemo/examples/offline/example_6.yaml > /dev/null
conf=$(find_one asyncdemo/asyncdemo.yaml)
unit=$(find_one systemd/system/asyncdemo.service)
pass "everything installed"
grep -q "^ExecStart=${bin#$dest} -c ${conf#$dest} " "$unit" ||
    fail "unit paths: $(grep ExecStart "$unit")"
pass "the unit names the installed paths"

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
