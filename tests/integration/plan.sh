#!/bin/sh
# -n checks the file and prints the plan, running nothing.
. "$(dirname "$0")/lib.sh"

cat > "$tmp/plan.yaml" <<YAML
name: plan
mode: cooperative
workers: [One, Two]
tasks:
  - delay: 100
  - factorial: 40
  - url: http://127.0.0.1:9/
    name: nothing there
  - file: notes.txt
YAML
start=$(date +%s)
"$ASYNCDEMO" -n -c "$tmp/plan.yaml" > "$tmp/out" || fail "-n exit $?"
# Running the tasks would take the 100 s delay; half of it leaves any
# loaded machine room to check the file.
[ $(( $(date +%s) - start )) -lt 50 ] || fail "-n ran the tasks"
expect "plan" "$(cat "$tmp/out")" "$tmp/plan.yaml: valid
name: plan
mode: cooperative
workers: 2 (One, Two)
tasks: 4
  1  delay 100
  2  factorial 40
  3  url http://127.0.0.1:9/  (nothing there)
  4  file notes.txt"
"$ASYNCDEMO" -n -m sync -w 4 -c "$tmp/plan.yaml" > "$tmp/out2"
grep -q '^mode: sync$' "$tmp/out2" && grep -q '^workers: 4$' "$tmp/out2" ||
    fail "-n shows overrides: $(cat "$tmp/out2")"
pass "-n applies -m and -w"
for n in 1 2 3 4 8; do
	"$ASYNCDEMO" -n -c "$top_srcdir/conf/example_$n.yaml" > /dev/null ||
	    fail "example_$n is not valid"
done
pass "the shipped examples are valid"
