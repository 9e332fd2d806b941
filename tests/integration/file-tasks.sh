#!/bin/sh
# file tasks: lines and bytes, failures, FIFOs, relative paths, big files.
. "$(dirname "$0")/lib.sh"

mkdir "$tmp/data" "$tmp/elsewhere"
printf 'a\nb\nc\n' > "$tmp/data/newline.txt"
printf 'a\nb\nc' > "$tmp/data/nonewline.txt"
: > "$tmp/data/empty.txt"
printf 'a\r\nb\r\n' > "$tmp/data/crlf.txt"
mkdir "$tmp/data/dir"
mkfifo "$tmp/data/fifo"
cat > "$tmp/data/files.yaml" <<YAML
workers: 2
tasks:
  - file: newline.txt
  - file: nonewline.txt
  - file: empty.txt
  - file: crlf.txt
  - file: missing.txt
  - file: dir
  - file: fifo
  - file: $tmp/data/newline.txt
YAML

# A writer that is slow: the FIFO is read as the data comes. In sync mode
# the read waits for its writer, as open() and read() do.
for m in async sync; do
	( sleep 0.3; printf 'x\ny\n'; sleep 0.3; printf 'z\n' ) > "$tmp/data/fifo" &
	( cd "$tmp/elsewhere" && "$ASYNCDEMO" -j -m $m -c ../data/files.yaml ) > "$tmp/$m.jsonl"
	expect "$m: exit 1 with failed files" "$?" 1
	r() { jqf -r "select(.event == \"task_done\" and .task == $1) | \"\(.ok) \(.lines // \"-\") \(.bytes // \"-\") \(.error // \"-\")\"" "$tmp/$m.jsonl"; }
	expect "$m: trailing newline" "$(r 1)" "true 3 6 -"
	expect "$m: no trailing newline" "$(r 2)" "true 3 5 -"
	expect "$m: empty file" "$(r 3)" "true 0 0 -"
	expect "$m: CRLF" "$(r 4)" "true 2 6 -"
	expect "$m: missing" "$(r 5)" "false 0 0 missing.txt: No such file or directory"
	expect "$m: directory" "$(r 6)" "false 0 0 dir: is a directory"
	expect "$m: absolute path" "$(r 8)" "true 3 6 -"
	expect "$m: a FIFO with a slow writer" "$(r 7)" "true 3 6 -"
	wait
done

# A big file read in async mode holds back no timer: while it is read,
# delays on the other worker keep finishing. A read that blocked the loop
# would let none finish before it ends. The read is 2048 chunks of 128 KiB,
# one a loop turn: some 40 ms here, and at least a few ms on any machine,
# so delays of 1 ms (one after another on one worker) finish there by the
# dozen; 3 is the margin for a much faster machine, and a loaded one only
# stretches the read and the delays alike.
yes "$(printf '%099d' 0)" | head -c 268435456 > "$tmp/data/big.txt"
{
	echo "workers: 2"
	echo "tasks:"
	echo "  - file: big.txt"
	i=0; while [ $i -lt 200 ]; do echo "  - delay: 0.001"; i=$((i + 1)); done
} > "$tmp/data/big.yaml"
"$ASYNCDEMO" -j -c "$tmp/data/big.yaml" > "$tmp/big.jsonl" || fail "big run"
expect "big file lines" "$(jqf 'select(.event == "task_done" and .task == 1) | .lines' "$tmp/big.jsonl")" 2684355
during=$(jqf -s '(map(select(.event == "task_done")) | map(.task) | index(1)) as $stop |
    map(select(.event == "task_done"))[0:$stop] | length' "$tmp/big.jsonl")
read=$(jqf 'select(.event == "task_done" and .task == 1) | .elapsed' "$tmp/big.jsonl")
late=$(jqf -s 'map(select(.event == "task_done" and .kind == "delay") | .elapsed) | max' "$tmp/big.jsonl")
echo "reading 256 MiB took $read s; $during delays of 1 ms finished meanwhile; the slowest took $late s"
[ "$during" -ge 3 ] || fail "only $during delays finished while the file was read"
pass "delays keep running beside a big read"
