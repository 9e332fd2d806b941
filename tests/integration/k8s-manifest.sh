#!/bin/sh
# contrib/kubernetes/asyncdemo-job.yaml: YAML whose ConfigMap and Job have
# the fields Kubernetes requires and keep the rules the API server applies
# to a Job (k8s_manifest.py), and whose task file asyncdemo accepts. Then
# broken copies, each of which the check must refuse with its reason.
# Offline: no cluster, no schema download.
. "$(dirname "$0")/lib.sh"

python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: no PyYAML (python3-yaml)"; exit 77; }
manifest=$top_srcdir/contrib/kubernetes/asyncdemo-job.yaml
check=$top_srcdir/tests/integration/k8s_manifest.py

python3 "$check" "$manifest" "$tmp/tasks.yaml" > "$tmp/out" 2>&1 ||
    fail "the manifest: $(cat "$tmp/out")"
pass "the ConfigMap and the Job keep the Job rules"
"$ASYNCDEMO" -n -c "$tmp/tasks.yaml" > "$tmp/plan" 2>&1 ||
    fail "the ConfigMap's task file: $(cat "$tmp/plan")"
pass "asyncdemo -n accepts the ConfigMap's task file"

# docs/SCALING.md shows the Job as it is in the file.
sed -n '/^apiVersion: batch\/v1$/,$p' "$manifest" > "$tmp/job.yaml"
sed -n '/^apiVersion: batch\/v1$/,/^```$/p' "$top_srcdir/docs/SCALING.md" |
    sed '$d' > "$tmp/doc-job.yaml"
[ -s "$tmp/job.yaml" ] && cmp -s "$tmp/job.yaml" "$tmp/doc-job.yaml" ||
    fail "docs/SCALING.md's Job differs from the file's: $(diff "$tmp/job.yaml" "$tmp/doc-job.yaml")"
pass "docs/SCALING.md shows the file's Job"

# broken NAME EXPECTED PYTHON: the manifest with PYTHON applied to its
# documents (cm, job; spec is job's, pod the pod template's spec, rule(N)
# the podFailurePolicy's rule N) must fail with a line containing EXPECTED.
broken() {
	python3 - "$manifest" "$3" > "$tmp/$1.yaml" <<'EOF' || fail "$1: could not make the copy"
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
cm, job = docs
spec = job["spec"]
pod = spec["template"]["spec"]
rule = lambda n: spec["podFailurePolicy"]["rules"][n]
exec(sys.argv[2])
yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
EOF
	if python3 "$check" "$tmp/$1.yaml" > "$tmp/out" 2>&1; then
		fail "$1: the check passed a broken manifest"
	fi
	grep -qF -- "$2" "$tmp/out" || fail "$1: expected '$2' in: $(cat "$tmp/out")"
	pass "refused: $1 ($2)"
}

broken restart-always "must be Never or OnFailure" 'pod["restartPolicy"] = "Always"'
broken restart-missing "must be Never or OnFailure" 'del pod["restartPolicy"]'
broken onfailure-with-policy "must be Never with a podFailurePolicy" \
    'pod["restartPolicy"] = "OnFailure"'
broken no-completions "completions: is required when completionMode is Indexed" \
    'del spec["completions"]'
broken not-indexed "backoffLimitPerIndex: needs completionMode Indexed" \
    'del spec["completionMode"]'
broken failindex-alone "FailIndex needs backoffLimitPerIndex" \
    'del spec["backoffLimitPerIndex"]; del spec["maxFailedIndexes"]'
broken too-many-failed "maxFailedIndexes: must be at most completions" \
    'spec["maxFailedIndexes"] = 9'
broken other-container "'worker' is not a container of the pod" \
    'rule(0)["onExitCodes"]["containerName"] = "worker"'
broken operator "operator: must be In or NotIn" \
    'rule(0)["onExitCodes"]["operator"] = "Equals"'
broken zero-in "0 cannot be used with In" 'rule(1)["onExitCodes"]["values"] = [0, 1]'
broken no-values "values: must not be empty" 'rule(1)["onExitCodes"]["values"] = []'
broken unsorted "must be sorted and unique" \
    'rule(0)["onExitCodes"]["values"] = [78, 64, 66]'
broken both-ons "needs exactly one of onExitCodes and onPodConditions" \
    'rule(0)["onPodConditions"] = [{"type": "DisruptionTarget"}]'
broken bad-action "is not FailJob, FailIndex, Ignore or Count" \
    'rule(2)["action"] = "Retry"'
broken no-containers "must have at least one container" 'pod["containers"] = []'
broken no-image "image is required" 'del pod["containers"][0]["image"]'
broken no-name "metadata: name is required" 'del job["metadata"]["name"]'
broken bad-name "is not a DNS-1123 subdomain" 'job["metadata"]["name"] = "Asyncdemo_Shards"'
broken kind "expected a v1 ConfigMap or a batch/v1 Job" 'job["apiVersion"] = "batch/v2"'
broken no-job "expected one ConfigMap and one Job" 'docs.pop()'
broken shards "SHARDS is 4 but completions is 8" \
    'pod["containers"][0]["env"][0]["value"] = "4"'
broken env-number "value: must be a string" \
    'pod["containers"][0]["env"][0]["value"] = 8'
broken no-volume "no volume named 'results'" 'pod["volumes"].pop()'
broken other-configmap "ConfigMap 'asyncdemo-tasks' is not in this file" \
    'cm["metadata"]["name"] = "tasks"'

# Not YAML at all.
sed 's/^kind: Job$/kind: [Job/' "$manifest" > "$tmp/not-yaml.yaml"
python3 "$check" "$tmp/not-yaml.yaml" > "$tmp/out" 2>&1 &&
    fail "not-yaml: the check passed a broken manifest"
grep -q "not YAML" "$tmp/out" || fail "not-yaml: $(cat "$tmp/out")"
pass "refused: not-yaml"
