#!/bin/bash
# contrib/slurm/asyncdemo-array.sbatch on a real Slurm: a one-node cluster
# on this machine (munged, slurmctld and slurmd as root, no systemd, all in
# a scratch folder, on free ports), a task file of 100,000 tasks run as a
# job array of 4 shards, and every task's result present exactly once, in
# the shard (i - 1) mod 4. Then a broken task file: the array is
# cancelled and sbatch --wait reports 78.
#
# Not part of make check (it installs Debian's slurm-wlm and munge when
# they are missing, and needs root): make check-scale-out runs it, CI only
# with CI_SCALE_OUT=1. Exit 77 (skipped) when it cannot run here.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$here/../integration/lib.sh"
set -e
# lib.sh cleans up on exit; a signal ends the test (and so cleans up) at
# once, also while it waits for sbatch, which runs in the background.
trap 'exit 130' INT
trap 'exit 143' TERM
top_srcdir=$(cd "$top_srcdir" && pwd)
sbatch_script=$top_srcdir/contrib/slurm/asyncdemo-array.sbatch
TASKS=${SCALE_OUT_TASKS:-100000}
SHARDS=${SCALE_OUT_SHARDS:-4}

skip() {
	echo "SKIP: $*"
	exit 77
}

t_start=$(date +%s.%N)
# Seconds since the test started, one decimal.
since() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

[ "$(id -u)" -eq 0 ] || skip "needs root (to start munged, slurmctld and slurmd, and to install them)"
[ -x "$ASYNCDEMO" ] || fail "no asyncdemo at $ASYNCDEMO"
command -v python3 > /dev/null || skip "needs python3"

# Debian's packages, only when missing. Another apt-get may hold the lock
# for a while: wait for it rather than fail.
need=
for c in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client \
    munged:munge mungekey:munge; do
	command -v "${c%%:*}" > /dev/null || need="$need slurm-wlm munge"
done
if [ -n "$need" ]; then
	command -v apt-get > /dev/null || skip "no Slurm and no apt-get to install it"
	echo "installing slurm-wlm and munge"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q -o DPkg::Lock::Timeout=600 update > "$tmp/apt.log" 2>&1 ||
	    { cat "$tmp/apt.log"; fail "apt-get update"; }
	apt-get -q -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
	    install slurm-wlm munge > "$tmp/apt.log" 2>&1 ||
	    { cat "$tmp/apt.log"; fail "apt-get install slurm-wlm munge"; }
fi
echo "$(slurmctld -V), $(munged -V 2>&1 | head -1)"

# munged refuses a socket in a folder that not everyone can search.
chmod 755 "$tmp"
mkdir -m 755 "$tmp/run"
mkdir -m 700 "$tmp/munge"
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/work"

# Every daemon this test starts carries this mark in its environment, and
# so do their children (slurmstepd) and the jobs (sbatch passes its
# environment on), so that the cleanup finds them all by pid, and nothing
# else. This shell does not carry it.
mark="ASYNCDEMO_SLURM_TEST=$tmp"

daemon_pids=
stop_cluster() {
	[ -n "$daemon_pids" ] || return 0
	if [ -n "${SLURM_CONF:-}" ]; then
		scancel --full --user=root > /dev/null 2>&1 || true
		wait_for 30 no_jobs || echo "jobs still there after 30 s" >&2
	fi
	# slurmd, slurmctld, then munged (the others need it to stop).
	for p in $daemon_pids; do
		kill -TERM "$p" 2> /dev/null || continue
		wait_for 30 not_running "$p" || kill -KILL "$p" 2> /dev/null || true
		wait "$p" 2> /dev/null || true
	done
	daemon_pids=
	# slurmstepd and a job's processes outlive slurmd: kill whatever is
	# left with our mark.
	left=$(ours)
	if [ -n "$left" ]; then
		echo "killing what was left: $left" >&2
		# shellcheck disable=SC2086
		kill -KILL $left 2> /dev/null || true
	fi
}
cleanup_hooks="$cleanup_hooks stop_cluster"

not_running() {
	! kill -0 "$1" 2> /dev/null
}

no_jobs() {
	[ -z "$(squeue -h -o %i 2> /dev/null)" ]
}

# The pids of live processes with our mark.
ours() {
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}
		p=${p%/environ}
		tr '\0' '\n' 2> /dev/null < "$e" | grep -qxF "$mark" && echo "$p"
	done | tr '\n' ' '
}

# Two free ports on the loopback.
read -r ctld_port slurmd_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

# munge: a key of our own, a socket in the scratch folder.
mungekey --create --keyfile="$tmp/munge/munge.key"
env "$mark" munged -F --socket="$tmp/run/munge.socket" \
    --key-file="$tmp/munge/munge.key" --pid-file="$tmp/run/munged.pid" \
    --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/munged.seed" \
    > "$tmp/log/munged.out" 2>&1 &
daemon_pids="$! $daemon_pids"
wait_for 30 test -S "$tmp/run/munge.socket" ||
    fail "munged did not start: $(cat "$tmp/log/munged.out")"

node=$(hostname -s)
cpus=$(nproc)
mem=$(free -m | awk '/^Mem:/ { print int($2 * 0.9) }')
cat > "$tmp/slurm.conf" << EOF
ClusterName=asyncdemo-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/run/munge.socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"

env "$mark" slurmctld -D -f "$SLURM_CONF" > "$tmp/log/slurmctld.out" 2>&1 &
daemon_pids="$! $daemon_pids"
env "$mark" slurmd -D -N "$node" -f "$SLURM_CONF" > "$tmp/log/slurmd.out" 2>&1 &
daemon_pids="$! $daemon_pids"

node_idle() {
	[ "$(sinfo -h -N -n "$node" -o %t 2> /dev/null)" = idle ]
}
if ! wait_for 60 node_idle; then
	sinfo -N -l || true
	tail -n 20 "$tmp"/log/*.log "$tmp"/log/*.out >&2 || true
	fail "the node is not idle after 60 s"
fi
pass "a one-node cluster: $node, $cpus CPUs, idle after $(since "$t_start") s"

# The task file: mostly delays of 0 and 1 ms, some factorials, and every
# 997th task reads a file that is not there (a failed task is a result
# too; 997 is odd, so every shard has some).
python3 - "$TASKS" > "$tmp/work/tasks.yaml" << 'EOF'
import sys
n = int(sys.argv[1])
out = ["name: scale-out", "workers: 100", "tasks:"]
for i in range(1, n + 1):
    if i % 997 == 0:
        out.append("  - file: /nonexistent/asyncdemo-%d" % i)
    elif i % 10 == 3:
        out.append("  - factorial: 20")
    elif i % 10 == 7:
        out.append("  - delay: 0.001")
    else:
        out.append("  - delay: 0")
print("\n".join(out))
EOF

# sbatch_wait SECONDS OUT ARGS...: sbatch --wait --parsable ARGS, its job
# id to OUT and its errors to $tmp/sbatch.err, in the background so that a
# signal ends the test at once; its exit status in rc.
sbatch_wait() {
	_sw_t=$1
	_sw_out=$2
	shift 2
	set +e
	env "$mark" ASYNCDEMO="$ASYNCDEMO" timeout "$_sw_t" sbatch --wait \
	    --parsable "$@" > "$_sw_out" 2> "$tmp/sbatch.err" &
	wait $!
	rc=$?
	set -e
}

cd "$tmp/work"
t_run=$(date +%s.%N)
sbatch_wait 900 "$tmp/sbatch.out" --array=0-$((SHARDS - 1)) \
    --output="$tmp/log/shard-%A_%a.log" "$sbatch_script" tasks.yaml results
run_s=$(since "$t_run")
jobid=$(head -n 1 "$tmp/sbatch.out")
if [ "$rc" -ne 0 ]; then
	cat "$tmp/sbatch.err" "$tmp"/log/shard-*.log >&2 || true
	fail "sbatch --wait --array=0-$((SHARDS - 1)): exit $rc"
fi
pass "sbatch --array=0-$((SHARDS - 1)) --wait: job $jobid, exit 0, $run_s s"

# Each array task as Slurm saw it (kept for MinJobAge, 300 s).
scontrol -o show job "$jobid" | awk '{
	for (f = 1; f <= NF; f++) {
		split($f, kv, "=")
		v[kv[1]] = substr($f, length(kv[1]) + 2)
	}
	print "  array task " v["ArrayTaskId"] ": " v["JobState"] ", run time " \
	    v["RunTime"] ", exit " v["ExitCode"]
}' | sort

t_check=$(date +%s.%N)
python3 - "$TASKS" "$SHARDS" results << 'EOF' || fail "the results"
import datetime, json, sys
n, shards, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
seen = {}
bad = []
for k in range(shards):
    lines = 0
    ts = []
    with open("%s/shard-%d.jsonl" % (folder, k)) as f:
        for line in f:
            lines += 1
            r = json.loads(line)
            ts.append(datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ"))
            i = r["task"]
            if i in seen:
                bad.append("task %d in shard-%d and shard-%d" % (i, seen[i], k))
            seen[i] = k
            if (i - 1) % shards != k:
                bad.append("task %d in shard-%d" % (i, k))
            if r.get("shard") != "%d/%d" % (k, shards):
                bad.append("task %d: shard %r" % (i, r.get("shard")))
            kind = ("file" if i % 997 == 0 else "factorial" if i % 10 == 3
                    else "delay")
            if r["kind"] != kind or r["ok"] != (kind != "file"):
                bad.append("task %d: %s ok=%s" % (i, r["kind"], r["ok"]))
    want = len(range(k, n, shards))
    if lines != want:
        bad.append("shard-%d.jsonl: %d lines, not %d" % (k, lines, want))
    span = (max(ts) - min(ts)).total_seconds() if ts else 0
    print("  shard-%d.jsonl: %d results, %d failed (as planned), "
          "first to last in %.2f s" % (
              k, lines, sum(1 for i in range(k + 1, n + 1, shards)
                            if i % 997 == 0), span))
missing = [i for i in range(1, n + 1) if i not in seen]
if missing:
    bad.append("%d tasks missing, the first %s" % (len(missing), missing[:5]))
for b in bad[:20]:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
pass "every one of the $TASKS tasks exactly once, in shard (i - 1) mod $SHARDS, checked in $(since "$t_check") s"

# docs/SCALING.md's merge job: after the array, with jq.
if command -v jq > /dev/null; then
	sbatch_wait 300 /dev/null --dependency=afterok:"$jobid" \
	    --output="$tmp/log/merge-%j.log" \
	    --wrap 'cat results/shard-*.jsonl | jq -s "sort_by(.task)" > all.json'
	[ "$rc" -eq 0 ] ||
	    { cat "$tmp/sbatch.err" "$tmp"/log/merge-*.log >&2; fail "the merge job: exit $rc"; }
	expect "a merge job (afterok) sorts all $TASKS results" \
	    "$(jq -c --argjson t "$TASKS" '[.[].task] == [range(1; $t + 1)]' all.json)" true
fi

# docs/SCALING.md's other merge job: asyncdemo --merge after the array.
# Every task once, the planned failures counted; its exit status, and so
# the job's, is 1, as a run's with a failed task is.
failed=$((TASKS / 997))
sbatch_wait 300 /dev/null --dependency=afterok:"$jobid" \
    --output="$tmp/log/amerge-%j.log" \
    --wrap "'$ASYNCDEMO' --merge -c tasks.yaml results/shard-*.jsonl > merge.out 2>&1"
[ "$rc" -eq 1 ] || { cat "$tmp/sbatch.err" merge.out >&2; fail "the asyncdemo --merge job: exit $rc, expected 1 (failed tasks)"; }
grep -q "^Summary: $TASKS tasks, $((TASKS - failed)) ok, $failed failed" merge.out ||
    { cat merge.out >&2; fail "asyncdemo --merge: not the summary of $TASKS tasks"; }
! grep -q -e "missing" -e "times:" merge.out ||
    { cat merge.out >&2; fail "asyncdemo --merge: tasks missing or twice"; }
pass "an asyncdemo --merge job (afterok): $TASKS tasks, $failed failed, none missing or twice, exit 1"

# A broken task file: the first shard to read it cancels the array, and
# sbatch --wait reports its 78.
printf 'tasks: [\n' > broken.yaml
sbatch_wait 300 /dev/null --array=0-$((SHARDS - 1)) \
    --output="$tmp/log/broken-%A_%a.log" "$sbatch_script" broken.yaml broken
[ "$rc" -eq 78 ] ||
    { cat "$tmp/sbatch.err" "$tmp"/log/broken-*.log >&2; fail "a broken task file: sbatch exit $rc, not 78"; }
grep -q 'cancelling array job' "$tmp"/log/broken-*.log ||
    fail "a broken task file: no shard cancelled the array"
pass "a broken task file: the array cancelled, sbatch --wait exit 78"

stop_cluster
left=$(ours)
[ -z "$left" ] || fail "processes left behind: $left"
pass "the cluster stopped, nothing left behind"
echo "scale-out: $TASKS tasks, $SHARDS shards, job array $run_s s, total $(since "$t_start") s"
