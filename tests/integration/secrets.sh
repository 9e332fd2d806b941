#!/bin/sh
# A URL's password never leaves: it is sent (the server checks it), but
# every output shows it as ***: text, -v, JSON Lines, the results file, the
# trace, the SVG, -n, the errors of a failed fetch and of a bad URL.
. "$(dirname "$0")/lib.sh"

start_hostile
port=$hport

cat > "$tmp/s.yaml" <<YAML
workers: 2
tasks:
  - url: http://user:s3cr3t@127.0.0.1:$port/auth
  - url: http://user:s3cr3t@127.0.0.1:1/refused
  - url: http://127.0.0.1:$port/auth
YAML
"$ASYNCDEMO" -v -o "$tmp/results.jsonl" --trace "$tmp/trace.json" \
    --timeline-svg "$tmp/t.svg" -c "$tmp/s.yaml" > "$tmp/text.out" 2> "$tmp/text.err"
expect "a failed fetch: exit 1" "$?" 1
"$ASYNCDEMO" -j -c "$tmp/s.yaml" > "$tmp/json.out" 2> "$tmp/json.err"
"$ASYNCDEMO" -n -c "$tmp/s.yaml" > "$tmp/plan.out" 2> "$tmp/plan.err"
expect "the password was sent" \
    "$(jqf -c 'select(.event == "task_done") | [.task, .status]' "$tmp/results.jsonl" | sort | tr '\n' ' ')" \
    "[1,200] [2,0] [3,401] "
expect "JSON shows it as ***" \
    "$(jqf -r 'select(.event == "task_done" and .task == 1) | .arg' "$tmp/json.out")" \
    "http://user:***@127.0.0.1:$port/auth"
grep -q "url http://user:\*\*\*@127.0.0.1:$port/auth" "$tmp/text.out" ||
    fail "the text report does not show the URL with ***: $(cat "$tmp/text.out")"
grep -q "http://user:\*\*\*@127.0.0.1:1/refused" "$tmp/plan.out" ||
    fail "-n does not show the URL with ***: $(cat "$tmp/plan.out")"

# A URL libcurl cannot parse: the error shows it with *** too.
printf 'tasks:\n  - url: "http://user:s3cr3t@127.0.0.1:99999/"\n' > "$tmp/bad.yaml"
"$ASYNCDEMO" -n -c "$tmp/bad.yaml" > /dev/null 2> "$tmp/bad.err"
expect "a bad URL: exit 78" "$?" 78
grep -q "bad.yaml:2:10: url: invalid URL 'http://user:\*\*\*@127.0.0.1:99999/'" "$tmp/bad.err" ||
    fail "a bad URL: $(cat "$tmp/bad.err")"

# A password with a "/" in it: no parser takes the URL; its error hides it.
printf 'tasks:\n  - url: "http://user:s3/cr3t@127.0.0.1:1/"\n  - url: "http:///user:s3cr3t@127.0.0.1:1/"\n' > "$tmp/slash.yaml"
"$ASYNCDEMO" -n -c "$tmp/slash.yaml" > /dev/null 2> "$tmp/slash.err"
expect "a password with a slash: exit 78" "$?" 78
grep -q "invalid URL 'http://user:\*\*\*@127.0.0.1:1/'" "$tmp/slash.err" ||
    fail "a password with a slash: $(cat "$tmp/slash.err")"
grep -q 's3/cr3t\|cr3t' "$tmp/slash.err" && fail "the password is in the error: $(cat "$tmp/slash.err")"

for f in text.out text.err results.jsonl trace.json t.svg json.out json.err \
    plan.out plan.err bad.err slash.err; do
	[ -s "$tmp/$f" ] || [ "${f%.err}" != "$f" ] || fail "$f is empty"
	grep -l s3cr3t "$tmp/$f" && fail "the password is in $f: $(grep s3cr3t "$tmp/$f" | head -3)"
done
pass "no output holds the password"
