#!/bin/sh
# Control characters from pages, task files and the command line never
# reach a terminal raw: text output, -n, the summary, the SVG and the
# diagnostics show them escaped (\x1b), a newline in a worker name cannot
# forge a line (names must be printable UTF-8), and -w takes only valid
# UTF-8.
. "$(dirname "$0")/lib.sh"

start_hostile
port=$hport
esc=$(printf '\033')
bel=$(printf '\007')
csi=$(printf '\302\233')

# raw FILE: does FILE hold ESC, BEL or the one-character CSI (U+009B)?
raw() { grep -q "$esc\|$bel\|$csi" "$1"; }

cat > "$tmp/e.yaml" <<YAML
description: "two lines,\nthe second \e[31mred"
tasks:
  - url: http://127.0.0.1:$port/escape
    preview: 200
  - file: "\e[2Jgone.txt"
YAML
"$ASYNCDEMO" -v --timeline-svg "$tmp/e.svg" -c "$tmp/e.yaml" > "$tmp/e.out" 2> "$tmp/e.err"
expect "a missing file fails the run" "$?" 1
raw "$tmp/e.out" && fail "raw control characters in the text output: $(od -c "$tmp/e.out" | grep -m3 '033\|007')"
grep -qF 'HTTP 200, ' "$tmp/e.out" || fail "the page was not fetched: $(cat "$tmp/e.out")"
grep -qF '\x1b]0;pwned-title\x07\x1b[2J' "$tmp/e.out" ||
    fail "the page's escapes are not shown escaped: $(grep HTTP "$tmp/e.out")"
grep -qF '\u009b' "$tmp/e.out" || fail "the one-byte CSI (U+009B) is not shown escaped"
grep -qF 'file \x1b[2Jgone.txt' "$tmp/e.out" || fail "the file's name: $(grep file "$tmp/e.out")"
grep -qF 'FAILED task 2 file \x1b[2Jgone.txt' "$tmp/e.out" ||
    fail "the summary: $(grep FAILED "$tmp/e.out")"
expect "the description keeps its lines, not its escapes" \
    "$(sed -n '2,3p' "$tmp/e.out")" "$(printf 'two lines,\nthe second \\x1b[31mred')"
pass "text output: control characters shown escaped"
python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$tmp/e.svg" ||
    fail "the SVG is not XML"
raw "$tmp/e.svg" && fail "raw control characters in the SVG"
pass "the SVG is XML, its control characters escaped"

"$ASYNCDEMO" -j -c "$tmp/e.yaml" > "$tmp/e.jsonl" 2> /dev/null
raw "$tmp/e.jsonl" && fail "raw control characters in JSON Lines: $(grep -c . "$tmp/e.jsonl")"
expect "JSON Lines: the page's text, escaped as JSON, whole" \
    "$(jqf -r 'select(.event == "task_done" and .task == 1) | .preview' "$tmp/e.jsonl" | od -An -c | tr -s ' ' | head -c 40)" \
    "$(printf '<html><title>\033]0;pwned' | od -An -c | tr -s ' ' | head -c 40)"
pass "JSON Lines: no raw control characters, the text still whole"

"$ASYNCDEMO" -n -c "$tmp/e.yaml" > "$tmp/plan.out" 2>&1
raw "$tmp/plan.out" && fail "raw control characters in -n: $(cat "$tmp/plan.out")"
grep -qF 'file \x1b[2Jgone.txt' "$tmp/plan.out" || fail "-n: $(cat "$tmp/plan.out")"
pass "-n: control characters shown escaped"

# A key that is not one, in the diagnostics: escaped too.
printf '"\\e]0;t\\a": 1\ntasks:\n  - delay: 1\n' > "$tmp/key.yaml"
"$ASYNCDEMO" -n -c "$tmp/key.yaml" > /dev/null 2> "$tmp/key.err"
expect "an unknown key: 78" "$?" 78
raw "$tmp/key.err" && fail "raw control characters on stderr: $(od -c "$tmp/key.err" | head -3)"
grep -qF "key.yaml:1:1: unknown key '\\x1b]0;t\\x07'" "$tmp/key.err" ||
    fail "an unknown key: $(cat "$tmp/key.err")"
pass "diagnostics: '$(cat "$tmp/key.err")'"

# Names cannot forge a line: a worker, a task or the run named with a
# newline or an escape is refused (78), with the character named.
printf 'workers: ["One\\nWorker Z finished as there are no more tasks"]\ntasks:\n  - delay: 0.01\n' > "$tmp/w.yaml"
"$ASYNCDEMO" -c "$tmp/w.yaml" > "$tmp/w.out" 2> "$tmp/w.err"
expect "a newline in a worker name: 78" "$?" 78
grep -qF "w.yaml:1:11: workers: 'One\\x0aWorker Z finished as there are no more tasks' holds a control character (\\x0a)" "$tmp/w.err" ||
    fail "a newline in a worker name: $(cat "$tmp/w.err")"
printf 'tasks:\n  - delay: 0.01\n    name: "a\\e[2J"\n' > "$tmp/n.yaml"
"$ASYNCDEMO" -c "$tmp/n.yaml" > /dev/null 2> "$tmp/n.err"
expect "an escape in a task name: 78" "$?" 78
grep -qF "n.yaml:3:11: name: 'a\\x1b[2J' holds a control character (\\x1b)" "$tmp/n.err" ||
    fail "an escape in a task name: $(cat "$tmp/n.err")"
pass "names with control characters are refused"

printf 'tasks:\n  - delay: 0.01\n' > "$tmp/ok.yaml"
"$ASYNCDEMO" -w "$(printf 'A\377')" -c "$tmp/ok.yaml" > /dev/null 2> "$tmp/utf.err"
expect "-w with invalid UTF-8: 64" "$?" 64
grep -qF "asyncdemo: --workers: worker name 'A\\xff' is not valid UTF-8" "$tmp/utf.err" ||
    fail "-w with invalid UTF-8: $(cat "$tmp/utf.err")"
"$ASYNCDEMO" -w "$(printf 'One,Tw\033o')" -c "$tmp/ok.yaml" > /dev/null 2> "$tmp/wesc.err"
expect "-w with an escape: 64" "$?" 64
"$ASYNCDEMO" -j -w "Zoë,Ünal" -c "$tmp/ok.yaml" > "$tmp/utf8.jsonl" ||
    fail "-w with UTF-8 names: $?"
expect "-w with UTF-8 names" "$(jqf -r 'select(.event == "worker_start") | .worker' "$tmp/utf8.jsonl" | tr '\n' ' ')" "Zoë Ünal "
