#!/bin/sh
# JSON Lines on stdout, the results file, -q and -v.
. "$(dirname "$0")/lib.sh"

cat > "$tmp/mix.yaml" <<YAML
name: mix
workers: [A, B]
tasks:
  - delay: 0.05
  - factorial: 30
  - file: data.txt
  - file: nothere.txt
YAML
printf 'one\ntwo\nthree' > "$tmp/data.txt"

"$ASYNCDEMO" -j -c "$tmp/mix.yaml" -o "$tmp/results.jsonl" > "$tmp/out.jsonl"
expect "exit 1 with a failed task" "$?" 1

# Every line is a JSON object with ts, event and run.
bad=$(jqf -c 'select(((.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z$"))
    and ((.event | type) == "string") and .run == 1) | not)' "$tmp/out.jsonl")
expect "every line has ts, event and run" "$bad" ""
lines=$(wc -l < "$tmp/out.jsonl")
expect "one object a line" "$(jq -c . "$tmp/out.jsonl" | wc -l)" "$lines"
expect "event sequence" "$(jqf -s 'map(.event) | (.[0], .[-1], length)' "$tmp/out.jsonl" | tr '\n' ' ')" \
    "run_start run_done 14 "
expect "run_start fields" "$(jqf -c 'select(.event == "run_start") | [.name, .mode, .workers, .tasks]' "$tmp/out.jsonl")" \
    '["mix","async",2,4]'
expect "factorial result" "$(jqf -c 'select(.event == "task_done" and .kind == "factorial") | [.arg, .result, .digits, .ok]' "$tmp/out.jsonl")" \
    '[30,"265252859812191058636308480000000",33,true]'
expect "delay result" "$(jqf -c 'select(.event == "task_done" and .kind == "delay") | [.arg, .result, .ok, (.elapsed >= 0.05)]' "$tmp/out.jsonl")" \
    '[0.05,0.05,true,true]'
expect "file result" "$(jqf -c 'select(.event == "task_done" and .task == 3) | [.arg, .result, .lines, .bytes]' "$tmp/out.jsonl")" \
    '["data.txt",3,3,13]'
expect "failed file" "$(jqf -c 'select(.event == "task_done" and .task == 4) | [.ok, .result, .error]' "$tmp/out.jsonl")" \
    '[false,null,"nothere.txt: No such file or directory"]'
expect "run_done counts" "$(jqf -c 'select(.event == "run_done") | [.ok, .failed]' "$tmp/out.jsonl")" '[3,1]'

# The results file: one task_done line per task, nothing else.
expect "results lines" "$(jqf -r '.event' "$tmp/results.jsonl" | sort | uniq -c | tr -s ' ')" " 4 task_done"
expect "results tasks" "$(jqf -s -c 'map(.task) | sort' "$tmp/results.jsonl")" '[1,2,3,4]'

# It appends: a second run adds four more lines.
"$ASYNCDEMO" -q -c "$tmp/mix.yaml" -o "$tmp/results.jsonl" > "$tmp/quiet.out"
expect "-q prints nothing" "$(cat "$tmp/quiet.out")" ""
expect "-o appends" "$(wc -l < "$tmp/results.jsonl")" 8

# -v shows task starts; the default does not.
"$ASYNCDEMO" -c "$tmp/mix.yaml" > "$tmp/plain.txt"
"$ASYNCDEMO" -v -c "$tmp/mix.yaml" > "$tmp/verbose.txt"
grep -q 'started$' "$tmp/plain.txt" && fail "starts shown without -v"
expect "-v shows each start" "$(grep -c 'started$' "$tmp/verbose.txt")" 4
grep -q "$(printf '\033')" "$tmp/plain.txt" && fail "colour without a terminal"
pass "no colour when not a terminal"

# -m and -w override the file.
"$ASYNCDEMO" -j -m sync -w 3 -c "$tmp/mix.yaml" > "$tmp/over.jsonl"
expect "-m -w override" "$(jqf -c 'select(.event == "run_start") | [.mode, .workers]' "$tmp/over.jsonl")" '["sync",3]'
expect "-w names workers 1..N" "$(jqf -s -c 'map(select(.event == "worker_start") | .worker)' "$tmp/over.jsonl")" '["1","2","3"]'
"$ASYNCDEMO" -j -w Ann,Bob -c "$tmp/mix.yaml" > "$tmp/names.jsonl"
expect "-w takes names" "$(jqf -s -c 'map(select(.event == "worker_start") | .worker)' "$tmp/names.jsonl")" '["Ann","Bob"]'
