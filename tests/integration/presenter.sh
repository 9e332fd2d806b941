#!/bin/sh
# The presenter's controls: --time-scale runs the talk's examples faster
# and says so; --time-axis puts pictures of separate runs on one scale;
# every SVG bar is a visible, labelled rect with data-task and data-worker;
# the text chart has a legend.
. "$(dirname "$0")/lib.sh"

ex="$top_srcdir/conf/example"

# run_done's elapsed in a JSON Lines file.
elapsed() {
	jqf 'select(.event == "run_done") | .elapsed' "$1"
}

# --time-scale 0.1: the delays are a tenth. Examples 1-3 take 1.0 s of
# delays one after another, example 4 overlaps them in 0.5 s: each is
# bounded below by its delays and above by far less than its unscaled
# time (10 s, 5 s), however loaded the machine.
for n in 1 2 3 4; do
	"$ASYNCDEMO" -j --time-scale 0.1 -c "$ex"_$n.yaml > "$tmp/s$n.jsonl" ||
	    fail "example_$n --time-scale 0.1: exit $?"
	t=$(elapsed "$tmp/s$n.jsonl")
	if [ $n = 4 ]; then lo=0.4 hi=2.5; else lo=0.9 hi=4; fi
	awk -v t="$t" -v lo=$lo -v hi=$hi 'BEGIN { exit !(t > lo && t < hi) }' ||
	    fail "example_$n with --time-scale 0.1 took $t s (expected $lo to $hi s)"
	pass "example_$n with --time-scale 0.1: $t s"
done
awk -v a="$(elapsed "$tmp/s4.jsonl")" -v s="$(elapsed "$tmp/s1.jsonl")" \
    'BEGIN { exit !(a < s) }' || fail "scaled, async is not faster than sync"
expect "the delays are scaled (task 1 of example 4 is delay 4.0)" \
    "$(jqf 'select(.event == "task_done" and .task == 1) | [.arg, .result] | @csv' "$tmp/s4.jsonl")" \
    "0.4,0.4"
expect "run_start has time_scale" \
    "$(jqf 'select(.event == "run_start") | .time_scale' "$tmp/s4.jsonl")" 0.1

# Not given, or 1: no time_scale, nothing said.
printf 'tasks:\n  - delay: 0.05\n' > "$tmp/short.yaml"
"$ASYNCDEMO" -j -c "$tmp/short.yaml" > "$tmp/plain.jsonl" || fail "plain exit $?"
expect "run_start has no time_scale without the option" \
    "$(jqf 'select(.event == "run_start") | has("time_scale")' "$tmp/plain.jsonl")" false
"$ASYNCDEMO" --time-scale 1 -c "$tmp/short.yaml" > "$tmp/one.txt" || fail "scale 1 exit $?"
grep -q 'time scale' "$tmp/one.txt" && fail "--time-scale 1 said: $(head -1 "$tmp/one.txt")"
pass "--time-scale 1 says nothing"

# The text header says it, and so does -n (with the scaled delays).
"$ASYNCDEMO" --time-scale 0.1 -c "$ex"_4.yaml > "$tmp/s4.txt" || fail "text exit $?"
expect "the header says the scale" "$(head -1 "$tmp/s4.txt")" \
    "Running example_4: 6 tasks, async mode, 2 workers (One, Two), time scale 0.1"
"$ASYNCDEMO" -n --time-scale 0.1 -c "$ex"_4.yaml > "$tmp/plan.txt" || fail "-n exit $?"
grep -q '^time scale: 0.1' "$tmp/plan.txt" || fail "-n: $(cat "$tmp/plan.txt")"
grep -Eq '^ +1  delay 0\.4$' "$tmp/plan.txt" || fail "-n delays: $(cat "$tmp/plan.txt")"
pass "-n says the scale and shows the scaled delays"

# Bad values: 64, with what was expected.
for v in 0 -1 abc 0.1s 1e9 nan ''; do
	"$ASYNCDEMO" --time-scale "$v" -c "$ex"_4.yaml > "$tmp/bad.out" 2> "$tmp/bad.err"
	expect "--time-scale '$v' exits 64" $? 64
	grep -q "^asyncdemo: --time-scale: expected a factor greater than 0" "$tmp/bad.err" ||
	    fail "--time-scale '$v': $(cat "$tmp/bad.err")"
	[ -s "$tmp/bad.out" ] && fail "--time-scale '$v' ran: $(cat "$tmp/bad.out")"
done
for v in 0 -2 x 5q; do
	"$ASYNCDEMO" --time-axis "$v" -c "$ex"_4.yaml > "$tmp/bad.out" 2> "$tmp/bad.err"
	expect "--time-axis '$v' exits 64" $? 64
	grep -q "^asyncdemo: --time-axis: expected a duration greater than 0" "$tmp/bad.err" ||
	    fail "--time-axis '$v': $(cat "$tmp/bad.err")"
done

# A reload is scaled as the first load was.
printf 'tasks:\n  - delay: 2.0\n' > "$tmp/reload.yaml"
"$ASYNCDEMO" -j --time-scale 0.1 --interval 200ms -c "$tmp/reload.yaml" \
    > "$tmp/reload.jsonl" 2> "$tmp/reload.err" &
pid=$!
cleanup_hooks="$cleanup_hooks kill_daemon"
wait_for 30 grep -q '"event":"run_done"' "$tmp/reload.jsonl" || fail "no first run"
printf 'tasks:\n  - delay: 3.0\n' > "$tmp/reload.yaml"
kill -HUP $pid
wait_for 30 grep -q 'reloaded' "$tmp/reload.err" || fail "no reload: $(cat "$tmp/reload.err")"
wait_for 30 sh -c "jq -r 'select(.event == \"task_done\") | .arg' '$tmp/reload.jsonl' | grep -qx 0.3" ||
    fail "reloaded delays: $(jq -c 'select(.event == "task_done") | .arg' "$tmp/reload.jsonl" | tr '\n' ' ')"
kill -TERM $pid
wait $pid
pid=
expect "before the reload, delay 2.0 ran as 0.2" \
    "$(jqf 'select(.event == "task_done") | .arg' "$tmp/reload.jsonl" | head -1)" 0.2
pass "a reloaded file is scaled too"

# The SVG's bars, as "task worker x width" lines, and its attributes.
bars() {
	python3 - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
print('axis', root.get('data-time-axis'), root.get('data-px-per-second'),
      root.get('width'))
labels = {}
for t in root.iter(ns + 'text'):
    if 'label' in (t.get('class') or '').split():
        labels.setdefault(t.get('data-task'), []).append(t.text or '')
for r in root.iter(ns + 'rect'):
    if r.get('class') == 'bar':
        print('bar', r.get('data-task'), r.get('data-worker'), r.get('x'),
              r.get('width'), '|'.join(labels.get(r.get('data-task'), [])))
EOF
}

# --time-axis: a sync run (1.0 s) and an async run (0.5 s) drawn in two
# pictures on a 1.5 s axis share a scale, and async is drawn about half
# as long; without it each picture stretches its run to the full width.
for m in sync async; do
	"$ASYNCDEMO" -q -m $m --time-scale 0.1 --time-axis 1.5 -c "$ex"_4.yaml \
	    --timeline-svg "$tmp/$m.svg" -j > /dev/null || fail "$m svg exit $?"
	"$ASYNCDEMO" -m $m --time-scale 0.1 -c "$ex"_4.yaml -j \
	    --timeline-svg "$tmp/$m-free.svg" > "$tmp/$m.jsonl" || fail "$m free svg exit $?"
	bars "$tmp/$m.svg" > "$tmp/$m.bars" || fail "$m.svg is not XML"
	bars "$tmp/$m-free.svg" > "$tmp/$m-free.bars" || fail "$m-free.svg is not XML"
done
expect "both pictures have the fixed axis and width" \
    "$(head -1 "$tmp/sync.bars")" "$(head -1 "$tmp/async.bars")"
expect "the axis is 1.5 s" "$(awk 'NR == 1 { print $2 }' "$tmp/sync.bars")" 1.5
# From the first bar's left to the last bar's right, in pixels.
px() {
	awk '$1 == "bar" && $4 + $5 > end { end = $4 + $5 }
	    $1 == "bar" && (min == "" || $4 < min) { min = $4 }
	    END { printf "%.1f\n", end - min }' "$1"
}
s=$(px "$tmp/sync.bars") a=$(px "$tmp/async.bars")
sf=$(px "$tmp/sync-free.bars") af=$(px "$tmp/async-free.bars")
awk -v s="$s" -v a="$a" 'BEGIN { exit !(s > 0 && a / s > 0.3 && a / s < 0.8) }' ||
    fail "on one axis async is drawn $a px long against sync's $s px"
pass "on one axis async is drawn $a px long, sync $s px"
awk -v s="$sf" -v a="$af" 'BEGIN { exit !(s > 0 && a / s > 0.9 && a / s < 1.1) }' ||
    fail "without --time-axis the runs are drawn $af px and $sf px long"
pass "without --time-axis each picture fills its width"
# The bars' scale is the axis's: sync's bars span its run.
awk -v s="$s" -v pps="$(awk 'NR == 1 { print $3 }' "$tmp/sync.bars")" \
    -v e="$(elapsed "$tmp/sync.jsonl")" \
    'BEGIN { exit !(s / pps > 0.9 && s / pps < e + 0.5) }' ||
    fail "sync drawn $s px long at $pps px per second"

# Every bar: data-task, data-worker, at least 6 px, a label.
awk '$1 == "bar" && ($2 == "None" || $3 == "None" || $5 < 6 || NF < 6) { print; bad = 1 } END { exit bad }' \
    "$tmp/sync.bars" "$tmp/async.bars" || fail "a bar without data or label, or thinner than 6 px"
expect "a bar per task" "$(grep -c '^bar' "$tmp/async.bars")" 6
expect "the bars' workers" "$(awk '$1 == "bar" { print $2 ":" $3 }' "$tmp/async.bars" | sort | tr '\n' ' ')" \
    "1:One 2:Two 3:Two 4:Two 5:One 6:One "
grep -q '^bar 2 Two .*factorial 40$' "$tmp/async.bars" || fail "factorial label: $(cat "$tmp/async.bars")"
grep -q '^bar 1 One .*delay 0.4$' "$tmp/async.bars" || fail "delay label: $(cat "$tmp/async.bars")"
pass "every bar has data-task, data-worker, 6 px or more and a label"

# A run longer than the axis is clipped, and says so.
"$ASYNCDEMO" -q --time-scale 0.1 --time-axis 0.2 -c "$ex"_4.yaml \
    --timeline-svg "$tmp/clip.svg" || fail "clipped svg exit $?"
grep -q 'clipped at the 0.2 s time axis: the run took 0\.[0-9]* s' "$tmp/clip.svg" ||
    fail "the clipped SVG does not say so"
bars "$tmp/clip.svg" | awk 'NR == 1 { right = 150 + $2 * $3 } $1 == "bar" && $4 + $5 > right + 0.1 { exit 1 }' ||
    fail "a clipped bar goes past the axis"
pass "a run longer than --time-axis is clipped and says so"

# Url bars say the host, never the user or password; a demo page stands
# in for a site; file bars the file's name.
start_server
host_port=${base_url#http://}
cp "$top_srcdir/conf/textfile1.txt" "$tmp/notes.txt"
cat > "$tmp/mixed.yaml" <<EOF
mode: sync
workers: [Alice, Bob]
tasks:
  - url: http://user:s3cr3tpw@$host_port/delay/0.3
  - url: http://$host_port/page/weather
  - file: notes.txt
  - delay: 0.3
  - factorial: 50
  - delay: 0.3
  - url: http://$host_port/status/500
EOF
"$ASYNCDEMO" --timeline --time-axis 3 --timeline-svg "$tmp/mixed.svg" \
    -c "$tmp/mixed.yaml" > "$tmp/mixed.txt" 2>&1
expect "the run with a failed url exits 1" $? 1
grep -q 's3cr3tpw' "$tmp/mixed.svg" "$tmp/mixed.txt" && fail "the password is in an output"
bars "$tmp/mixed.svg" > "$tmp/mixed.bars" || fail "mixed.svg is not XML"
grep -q '^bar 1 Alice .*127\.0\.0\.1$' "$tmp/mixed.bars" || fail "url label: $(cat "$tmp/mixed.bars")"
grep -q '^bar 2 Alice .*weather$' "$tmp/mixed.bars" || fail "stand-in label: $(cat "$tmp/mixed.bars")"
grep -q '^bar 3 Alice .*notes\.txt$' "$tmp/mixed.bars" || fail "file label: $(cat "$tmp/mixed.bars")"
grep -q '^bar 5 Alice .*factorial 50$' "$tmp/mixed.bars" || fail "factorial label: $(cat "$tmp/mixed.bars")"
grep -q '^bar 7 Alice .*127\.0\.0\.1$' "$tmp/mixed.bars" || fail "failed url label: $(cat "$tmp/mixed.bars")"
awk '$1 == "bar" && $5 < 6 { exit 1 }' "$tmp/mixed.bars" || fail "a bar thinner than 6 px"
pass "url bars say the host, file bars the name, factorials their argument"

# The text chart's legend: what its characters mean.
grep -q '^Legend: \[3 delay--\] task 3 from start to end, | a task shorter than a column$' \
    "$tmp/mixed.txt" || fail "no legend: $(cat "$tmp/mixed.txt")"
grep -q '^ *\[6 url---! a task that failed$' "$tmp/mixed.txt" || fail "no failed in the legend"
grep -q "^ *CPU busy: ' ' under 5%, \. under 30%, - under 60%, = under 85%, # more$" \
    "$tmp/mixed.txt" || fail "no CPU in the legend"
pass "the text chart has its legend"
