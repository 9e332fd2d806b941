#!/bin/sh
# make install DESTDIR=...: binary, man pages, examples, config, unit; then
# an installed example runs from /, and make uninstall removes it all.
. "$(dirname "$0")/lib.sh"

[ -n "${abs_top_builddir:-}" ] || { echo "SKIP: needs make check"; exit 77; }
dest="$tmp/root"
make -s -C "$abs_top_builddir" install DESTDIR="$dest" prefix=/usr/local \
    sysconfdir=/usr/local/etc > "$tmp/install.log" 2>&1 ||
    fail "make install: $(tail -5 "$tmp/install.log")"
for f in bin/asyncdemo share/man/man1/asyncdemo.1 share/man/man5/asyncdemo.yaml.5 \
    share/asyncdemo/examples/example_4.yaml share/asyncdemo/examples/example_7.yaml \
    share/asyncdemo/examples/textfile1.txt share/asyncdemo/examples/offline/example_6.yaml \
    etc/asyncdemo/asyncdemo.yaml lib/systemd/system/asyncdemo.service; do
	[ -e "$dest/usr/local/$f" ] || fail "not installed: $f"
done
pass "everything installed"
grep -q '^ExecStart=/usr/local/bin/asyncdemo -c /usr/local/etc/asyncdemo/asyncdemo.yaml' \
    "$dest/usr/local/lib/systemd/system/asyncdemo.service" || fail "unit paths"
pass "the unit names the installed paths"

# The installed example 7 reads its text files from any folder.
ex="$dest/usr/local/share/asyncdemo/examples"
sed -e 's|url: .*|delay: 0.01|' "$ex/example_7.yaml" > "$ex/local7.yaml"
( cd / && "$dest/usr/local/bin/asyncdemo" -j -c "$ex/local7.yaml" ) > "$tmp/ex7.jsonl" ||
    fail "installed example failed: $(cat "$tmp/ex7.jsonl")"
expect "files read from /" "$(jqf -s -c 'map(select(.event == "task_done" and .kind == "file") | .ok)' "$tmp/ex7.jsonl")" "[true,true]"
rm "$ex/local7.yaml"
"$dest/usr/local/bin/asyncdemo" -n -c "$dest/usr/local/etc/asyncdemo/asyncdemo.yaml" > /dev/null ||
    fail "the default configuration is invalid"
pass "the default configuration is valid"

make -s -C "$abs_top_builddir" uninstall DESTDIR="$dest" prefix=/usr/local \
    sysconfdir=/usr/local/etc > "$tmp/uninstall.log" 2>&1 || fail "make uninstall"
left=$(find "$dest" -type f | sed "s|$dest||")
expect "uninstall leaves no file" "$left" ""
