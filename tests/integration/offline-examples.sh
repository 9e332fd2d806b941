#!/bin/sh
# Examples 5-7 offline: the demo server stands in for the talk's sites.
. "$(dirname "$0")/lib.sh"
start_server

# The shipped offline files, pointed at this server, latency x 0.2.
for n in 5 6 7; do
	sed -e "s|http://127.0.0.1:8000\(/page/[a-z]*\)|$base_url\1?scale=0.2|" \
	    -e "s|\.\./textfile|$top_srcdir/conf/textfile|" \
	    "$top_srcdir/conf/offline/example_$n.yaml" > "$tmp/example_$n.yaml"
	"$ASYNCDEMO" -j -c "$tmp/example_$n.yaml" > "$tmp/ex$n.jsonl" ||
	    fail "offline example_$n: $(grep -m1 '"ok":false' "$tmp/ex$n.jsonl")"
done
e5=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/ex5.jsonl")
e6=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/ex6.jsonl")
e7=$(jqf 'select(.event == "run_done") | .elapsed' "$tmp/ex7.jsonl")
echo "offline: example_5 (cooperative) $e5 s, example_6 (async) $e6 s, example_7 $e7 s"
# Example 5 fetches one page at a time: at least the sum of the pages'
# latencies (0.86 s at this scale). Example 6 overlaps two: about 0.55 s.
# An example 6 that did not overlap would take as long as example 5; 0.9
# of it leaves 0.3 s (more than half the ideal) for a loaded machine,
# and a load that slows example 5 only makes the bound wider.
awk -v a="$e6" -v c="$e5" 'BEGIN { exit !(c >= 0.86 && a < 0.9 * c) }' ||
    fail "example_6 $e6 s is not less than 0.9 of example_5 $e5 s"
pass "async fetches take about half of cooperative ones"
expect "example_5 fetched every page" "$(jqf -s 'map(select(.event == "task_done" and .kind == "url" and .ok)) | length' "$tmp/ex5.jsonl")" 7
expect "example_7 read both files" "$(jqf -s -c 'map(select(.event == "task_done" and .kind == "file") | [.task, .ok])' "$tmp/ex7.jsonl")" "[[2,true],[10,true]]"
expect "pages have their stand-in title" \
    "$(jqf -r 'select(.event == "task_done" and .task == 1) | .preview | test("weather")' "$tmp/ex6.jsonl")" true
