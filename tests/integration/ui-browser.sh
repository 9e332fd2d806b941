#!/bin/bash
# The live view in a real browser: headless Chromium loads the page while
# a run goes (?once: the page stops listening when the run is done, so
# that the browser's virtual time can end) and the DOM it dumps then
# holds one bar per task, with data-task and data-worker, and the blocked
# span of a blocking task. Skipped (77) only when chromium is absent:
# scripts/install-deps installs it.
. "$(dirname "$0")/lib.sh"

chromium=$(command -v chromium || command -v chromium-browser) ||
    { echo "SKIP: no chromium (scripts/install-deps installs it)"; exit 77; }

kill_ui() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; true; }
cleanup_hooks="$cleanup_hooks kill_ui"
cat > "$tmp/t.yaml" <<'EOF'
name: browser
workers: [One, Two]
tasks:
  - delay: 3.0
  - factorial: 40
  - delay: 0.4
    blocking: true
  - delay: 0.2
  - factorial: 50
EOF
"$ASYNCDEMO" -q --ui 127.0.0.1:0 -c "$tmp/t.yaml" > "$tmp/out" 2> "$tmp/err" &
pid=$!
wait_listening "$tmp/out" "$tmp/err" "asyncdemo --ui"
url=$(sed -n '1s/^listening on \(http:[^ ]*\/\)$/\1/p' "$tmp/out")

# browse: the DOM after the run is done (a deadline, not a wait: the dump
# comes as soon as the page stops listening).
browse() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
	    --disable-dev-shm-usage --no-first-run --user-data-dir="$tmp/profile" \
	    --dump-dom --virtual-time-budget=10000 "$url?once" \
	    > "$tmp/dom.html" 2> "$tmp/chromium.err" ||
	    fail "chromium: $(tail -5 "$tmp/chromium.err")"
}

# bars RUN: "TASK WORKER" of each bar of run RUN, sorted.
bars() {
	grep -o '<div class="bar[^"]*" data-task="[0-9]*" data-worker="[^"]*" data-run="'"$1"'"' "$tmp/dom.html" |
	    sed 's/.*data-task="\([0-9]*\)" data-worker="\([^"]*\)".*/\1 \2/' | sort -n
}

curl -s -o /dev/null -X POST "${url}run?mode=async" || fail "POST /run"
wait_for 30 curl -sf -o "$tmp/status" "${url}status" ||
    fail "no status"
browse
expect "bars of the run the browser joined" "$(bars 1 | cut -d' ' -f1 | tr '\n' ' ')" "1 2 3 4 5 "
expect "bar 1 on worker One" "$(bars 1 | sed -n 1p)" "1 One"
grep -q 'class="blocked"' "$tmp/dom.html" || fail "no blocked span for the blocking delay"
pass "the blocking delay's loop_blocked span is drawn"
for m in sync cooperative threads async; do
	grep -q "data-mode=\"$m\"" "$tmp/dom.html" || fail "no $m button"
done
pass "four mode buttons"

# A page loaded between runs draws the last run whole.
wait_for 30 sh -c "curl -s '${url}status' | grep -q '\"state\":\"idle\"'" || fail "run 1 did not end"
browse
expect "bars of the last run" "$(bars 1 | wc -l)" 5
