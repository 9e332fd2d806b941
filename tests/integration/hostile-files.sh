#!/bin/sh
# Hostile task files: each gives a clear error (78) or a correct -n, within
# bounded time and memory. Files are generated in the scratch folder.
. "$(dirname "$0")/lib.sh"

command -v python3 > /dev/null || fail "python3 is needed to generate the files"
max_kib=300000	# peak RSS allowed for any case
# AddressSanitizer's shadow memory and redzones take several times more.
ldd "$ASYNCDEMO" 2>/dev/null | grep -q libasan && max_kib=1500000
# CPU seconds (user + system) allowed for any case: a blow-up shows there
# whatever the load, which only stretches the wall time.
max_s=15
ldd "$ASYNCDEMO" 2>/dev/null | grep -q libasan && max_s=45

gen() {
	python3 -c "$1" > "$tmp/$2" || fail "generating $2"
}

# Check FILE: run -n on it, expect STATUS and a stderr line matching RE
# (or, for -, nothing on stderr).
check() {
	name=$1 file=$2 status=$3 re=$4
	/usr/bin/time -f '%U %S %M' -o "$tmp/time" \
	    "$ASYNCDEMO" -n -c "$tmp/$file" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	read -r user sys kib <<-EOT ||
	$(tail -1 "$tmp/time")
	EOT
	    fail "$name: no timing ($(cat "$tmp/time"))"
	[ "$rc" = "$status" ] ||
	    fail "$name: exit $rc, expected $status: $(head -c 300 "$tmp/err")"
	if [ "$re" = - ]; then
		[ ! -s "$tmp/err" ] || fail "$name: stderr: $(head -c 300 "$tmp/err")"
	else
		grep -Eq "$re" "$tmp/err" ||
		    fail "$name: no '$re' in: $(head -c 300 "$tmp/err")"
	fi
	secs=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	awk -v s="$secs" -v m="$max_s" 'BEGIN { exit !(s < m) }' ||
	    fail "$name: took $secs s of CPU"
	[ "$kib" -lt "$max_kib" ] || fail "$name: peak RSS $kib KiB"
	pass "$name: exit $rc in $secs s of CPU, $kib KiB"
}

head -c 10485760 /dev/urandom > "$tmp/random.yaml"
check "10 MB of random bytes" random.yaml 78 \
    '^.*random\.yaml:[0-9]+:[0-9]+: .*(UTF-8|YAML syntax error|expected)'

gen 'print("[" * 100000 + "]" * 100000)' nest.yaml
check "100,000 levels of [" nest.yaml 78 \
    'nest\.yaml:1:101: lists and mappings nest more than 100 deep'

gen 'print("tasks: " + "{a: " * 100000 + "1" + "}" * 100000)' nestmap.yaml
check "100,000 levels of {a:" nestmap.yaml 78 'nest more than 100 deep'

gen 'print("tasks:\n  - " + "{<<: " * 100000 + "{delay: 1}" + "}" * 100000)' \
    merge.yaml
check "100,000 nested merge keys" merge.yaml 78 'nest more than 100 deep'

gen 'print("tasks:\n  - file: " + "a" * 1048576)' scalar.yaml
check "a 1 MB scalar" scalar.yaml 0 -
expect "the 1 MB path is planned" "$(grep -c "file $(printf 'a%.0s' 1 2 3 4 5 6 7 8)" "$tmp/out")" 1

gen 'print("name: \"" + "\\u00e9" * 524288 + "\"\ntasks:\n  - delay: 0")' \
    name.yaml
check "a 1 MB quoted name" name.yaml 0 -

gen '
print("x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]")
for i in range(1, 10):
    print("x-a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 9)))
print("tasks:\n  - delay: 0")' laughs.yaml
check "billion laughs" laughs.yaml 78 \
    'laughs\.yaml:[0-9]+:[0-9]+: aliases expand to more than 1000000 nodes'

gen 'print("x-s: &s \"" + "z" * 1048576 + "\"\nx-b: [" + ", ".join(["*s"] * 200000) + "]\ntasks:\n  - delay: 0")' \
    bigalias.yaml
check "a 1 MB scalar aliased 200,000 times" bigalias.yaml 78 \
    'aliases expand to more than 64 MiB of text'

gen 'print("x-a: " + "".join("&a%d [" % i for i in range(90)) + ", ".join(["x"] * 100000) + "]" * 90 + "\ntasks:\n  - delay: 0")' \
    nestanchor.yaml
check "90 nested anchors around 100,000 nodes" nestanchor.yaml 78 \
    'anchored nodes hold more than 1000000 nodes'

gen '
print("tasks:")
for i in range(100000): print("  - &t%d {delay: 0}" % i)
for i in range(100000): print("  - *t%d" % i)' anchors.yaml
check "100,000 anchors and their aliases" anchors.yaml 0 -
expect "200,000 tasks planned" "$(tail -1 "$tmp/out" | awk '{ print $1 }')" 200000

gen '
import sys
sys.stdout.write("workers: 4\ntasks:\n" + "  - delay: 0\n" * 1000000)' million.yaml
check "1,000,000 tasks" million.yaml 0 -
expect "1,000,000 tasks planned" "$(grep -c '^ *[0-9]*  delay 0$' "$tmp/out")" 1000000
expect "the last is task 1000000" "$(tail -1 "$tmp/out" | awk '{ print $1 }')" 1000000

# Found by the fuzzer: a key of the mapping's own overrides one that a merge
# brought (the task name leaked; a second url was "a task has one kind";
# tasks from a merge were kept before the file's own).
cat > "$tmp/merge.yaml" <<'YAML'
x-t: &t {url: "http://a.example/", name: base}
x-base: &b
  tasks:
    - delay: 1
    - delay: 2
<<: *b
tasks:
  - <<: *t
    name: mine
  - <<: *t
    url: http://b.example/
YAML
check "keys override merged keys" merge.yaml 0 -
expect "the file's own tasks replace the merged ones" \
    "$(sed -n 's/^ *\([0-9]\)  url \([^ ]*\) *(\(.*\))$/\1 \2 \3/p' "$tmp/out" | tr '\n' ';')" \
    "1 http://a.example/ mine;2 http://b.example/ base;"
