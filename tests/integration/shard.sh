#!/bin/sh
# --shard K/N: N shards together run every task exactly once.
. "$(dirname "$0")/lib.sh"

{
	echo "workers: 3"
	echo "tasks:"
	i=0; while [ $i -lt 20 ]; do echo "  - factorial: $i"; i=$((i + 1)); done
} > "$tmp/many.yaml"
for k in 0 1 2; do
	"$ASYNCDEMO" -q --shard $k/3 -o "$tmp/shard-$k.jsonl" -c "$tmp/many.yaml" ||
	    fail "shard $k/3"
	expect "shard $k/3 runs tasks i with (i - 1) mod 3 = $k" \
	    "$(jqf -s -c "map(select(((.task - 1) % 3) != $k)) | length" "$tmp/shard-$k.jsonl")" 0
	expect "shard $k/3 is named in its results" \
	    "$(jqf -s -c 'map(.shard) | unique' "$tmp/shard-$k.jsonl")" "[\"$k/3\"]"
done
expect "the shards together ran each task once" \
    "$(cat "$tmp"/shard-*.jsonl | jqf -s -c 'map(.task) | sort == [range(1; 21)]')" true
