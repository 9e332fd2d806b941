#!/usr/bin/env python3
"""Check contrib/kubernetes/asyncdemo-job.yaml offline, as far as a file can be.

k8s_manifest.py FILE [TASKS_OUT]: every document of FILE is YAML with the
fields the Kubernetes API requires of its kind (a v1 ConfigMap, a batch/v1
Job), and the Job keeps the rules the API server enforces when it validates
one (pkg/apis/batch/validation): a restartPolicy of Never or OnFailure,
completions for an Indexed Job, backoffLimitPerIndex only when Indexed,
podFailurePolicy only with Never, exit-code rules naming a container of the
pod, In/NotIn with sorted, unique, non-empty values and no 0 for In, and so
on. Also what this file promises beyond the API: the pods read the
ConfigMap of the same file, and completions equals the SHARDS the command
uses. With TASKS_OUT, writes the ConfigMap's task file there (for
asyncdemo -n). Prints one line per problem; exit 1 when there is one.
"""
import re
import sys

import yaml

problems = []


def bad(where, what):
    problems.append("%s: %s" % (where, what))


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
C_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
# The API server's limits for Indexed Jobs.
MAX_INDEXED = 100000


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def need(obj, key, where, kind=None):
    """obj[key], which must be there (and of the given type)."""
    if not isinstance(obj, dict) or key not in obj or obj[key] is None:
        bad(where, "%s is required" % key)
        return None
    v = obj[key]
    if kind is not None and not isinstance(v, kind):
        bad("%s.%s" % (where, key), "must be a %s" % kind.__name__)
        return None
    return v


def dns_label(v, where):
    if not isinstance(v, str) or len(v) > 63 or not DNS_LABEL.match(v):
        bad(where, "%r is not a DNS-1123 label" % (v,))


def metadata(doc, where, max_len=253):
    md = need(doc, "metadata", where, dict)
    if md is None:
        return None
    name = need(md, "name", where + ".metadata", str)
    if name is not None and (len(name) > max_len or
                             not DNS_SUBDOMAIN.match(name)):
        bad(where + ".metadata.name",
            "%r is not a DNS-1123 subdomain of at most %d characters" %
            (name, max_len))
    return name


def non_negative(spec, key, where):
    v = spec.get(key)
    if v is None:
        return None
    if not is_int(v) or v < 0:
        bad("%s.%s" % (where, key), "must be an integer >= 0")
        return None
    return v


def check_configmap(doc, where):
    name = metadata(doc, where)
    data = doc.get("data", {})
    if not isinstance(data, dict):
        bad(where + ".data", "must be a map")
        return name, {}
    for k, v in data.items():
        if not isinstance(k, str) or not CONFIGMAP_KEY.match(k) or len(k) > 253:
            bad(where + ".data", "%r is not a valid key" % (k,))
        if not isinstance(v, str):
            bad("%s.data.%s" % (where, k), "must be a string")
    return name, data


def check_pod_spec(ps, where, volumes_seen):
    containers = need(ps, "containers", where, list)
    names = []
    if containers is not None and not containers:
        bad(where + ".containers", "must have at least one container")
    for i, c in enumerate(containers or []):
        cw = "%s.containers[%d]" % (where, i)
        if not isinstance(c, dict):
            bad(cw, "must be a map")
            continue
        n = need(c, "name", cw, str)
        if n is not None:
            dns_label(n, cw + ".name")
            if n in names:
                bad(cw + ".name", "%r is used twice" % n)
            names.append(n)
        image = need(c, "image", cw, str)
        if image is not None and not image.strip():
            bad(cw + ".image", "must not be empty")
        for j, e in enumerate(c.get("env") or []):
            ew = "%s.env[%d]" % (cw, j)
            en = need(e, "name", ew, str)
            if en is not None and not C_IDENTIFIER.match(en):
                bad(ew + ".name", "%r is not a valid variable name" % en)
            if "value" in e and not isinstance(e["value"], str):
                bad(ew + ".value", "must be a string (quote it)")
        for j, m in enumerate(c.get("volumeMounts") or []):
            mw = "%s.volumeMounts[%d]" % (cw, j)
            mn = need(m, "name", mw, str)
            need(m, "mountPath", mw, str)
            if mn is not None and mn not in volumes_seen:
                bad(mw + ".name", "no volume named %r" % mn)
    for key in ("command", "args"):
        for c in containers or []:
            v = c.get(key) if isinstance(c, dict) else None
            if v is not None and (not isinstance(v, list) or
                                  not all(isinstance(x, str) for x in v)):
                bad(where + ".containers", "%s must be a list of strings" % key)
    return names


def check_job(doc, where, configmaps):
    name = metadata(doc, where, max_len=63)  # the job-name label's limit
    spec = need(doc, "spec", where, dict)
    if spec is None:
        return
    sw = where + ".spec"
    completions = non_negative(spec, "completions", sw)
    parallelism = non_negative(spec, "parallelism", sw)
    non_negative(spec, "backoffLimit", sw)
    per_index = non_negative(spec, "backoffLimitPerIndex", sw)
    max_failed = non_negative(spec, "maxFailedIndexes", sw)
    mode = spec.get("completionMode", "NonIndexed")
    if mode not in ("NonIndexed", "Indexed"):
        bad(sw + ".completionMode", "must be NonIndexed or Indexed")
    if mode == "Indexed":
        if completions is None:
            bad(sw + ".completions", "is required when completionMode is Indexed")
        elif completions > MAX_INDEXED:
            bad(sw + ".completions", "must be at most %d when Indexed" % MAX_INDEXED)
        if parallelism is not None and parallelism > MAX_INDEXED:
            bad(sw + ".parallelism", "must be at most %d when Indexed" % MAX_INDEXED)
    if per_index is not None and mode != "Indexed":
        bad(sw + ".backoffLimitPerIndex", "needs completionMode Indexed")
    if max_failed is not None:
        if per_index is None:
            bad(sw + ".maxFailedIndexes", "needs backoffLimitPerIndex")
        if completions is not None and max_failed > completions:
            bad(sw + ".maxFailedIndexes", "must be at most completions")

    template = need(spec, "template", sw, dict)
    ps = need(template, "spec", sw + ".template", dict) if template else None
    if ps is None:
        return
    pw = sw + ".template.spec"
    volumes = {}
    for i, v in enumerate(ps.get("volumes") or []):
        vw = "%s.volumes[%d]" % (pw, i)
        vn = need(v, "name", vw, str)
        if vn is None:
            continue
        dns_label(vn, vw + ".name")
        if vn in volumes:
            bad(vw + ".name", "%r is used twice" % vn)
        sources = [k for k in v if k != "name"]
        if len(sources) != 1:
            bad(vw, "must have exactly one source, has %s" % (sources or "none"))
        volumes[vn] = v
    containers = check_pod_spec(ps, pw, volumes)
    init = [c.get("name") for c in ps.get("initContainers") or []
            if isinstance(c, dict)]

    restart = ps.get("restartPolicy")
    if restart not in ("Never", "OnFailure"):
        bad(pw + ".restartPolicy",
            "must be Never or OnFailure for a Job (is %r)" % (restart,))

    pfp = spec.get("podFailurePolicy")
    if pfp is not None:
        fw = sw + ".podFailurePolicy"
        if restart != "Never":
            bad(pw + ".restartPolicy", "must be Never with a podFailurePolicy")
        rules = need(pfp, "rules", fw, list)
        if rules is not None and len(rules) > 20:
            bad(fw + ".rules", "at most 20 rules")
        for i, r in enumerate(rules or []):
            rw = "%s.rules[%d]" % (fw, i)
            if not isinstance(r, dict):
                bad(rw, "must be a map")
                continue
            action = need(r, "action", rw, str)
            if action is not None and action not in (
                    "FailJob", "FailIndex", "Ignore", "Count"):
                bad(rw + ".action", "%r is not FailJob, FailIndex, Ignore or Count"
                    % action)
            if action == "FailIndex" and per_index is None:
                bad(rw + ".action", "FailIndex needs backoffLimitPerIndex")
            codes, conds = r.get("onExitCodes"), r.get("onPodConditions")
            if (codes is None) == (conds is None):
                bad(rw, "needs exactly one of onExitCodes and onPodConditions")
            if codes is not None:
                cw = rw + ".onExitCodes"
                cn = codes.get("containerName")
                if cn is not None and cn not in containers + init:
                    bad(cw + ".containerName", "%r is not a container of the pod"
                        % cn)
                op = need(codes, "operator", cw, str)
                if op is not None and op not in ("In", "NotIn"):
                    bad(cw + ".operator", "must be In or NotIn")
                vals = need(codes, "values", cw, list)
                if vals is not None:
                    if not vals:
                        bad(cw + ".values", "must not be empty")
                    elif len(vals) > 255:
                        bad(cw + ".values", "at most 255 values")
                    if not all(is_int(x) for x in vals):
                        bad(cw + ".values", "must be integers")
                    elif vals != sorted(set(vals)):
                        bad(cw + ".values", "must be sorted and unique")
                    elif op == "In" and 0 in vals:
                        bad(cw + ".values", "0 cannot be used with In")
            if conds is not None:
                if not isinstance(conds, list) or not conds:
                    bad(rw + ".onPodConditions", "must be a non-empty list")
                for j, c in enumerate(conds or []):
                    ow = "%s.onPodConditions[%d]" % (rw, j)
                    need(c, "type", ow, str)
                    if c.get("status", "True") not in ("True", "False", "Unknown"):
                        bad(ow + ".status", "must be True, False or Unknown")

    # What this file promises beyond the API.
    for vn, v in volumes.items():
        cm = v.get("configMap")
        if cm is not None and cm.get("name") not in configmaps:
            bad("%s.volumes.%s" % (pw, vn),
                "ConfigMap %r is not in this file" % cm.get("name"))
    if mode == "Indexed":
        for c in ps.get("containers") or []:
            env = {e.get("name"): e.get("value") for e in c.get("env") or []}
            script = " ".join(c.get("command") or []) + " " + \
                " ".join(c.get("args") or [])
            if "--shard" not in script:
                bad(pw, "container %r does not run --shard" % c.get("name"))
            elif "JOB_COMPLETION_INDEX" not in script:
                bad(pw, "container %r does not shard by JOB_COMPLETION_INDEX"
                    % c.get("name"))
            if "SHARDS" in env and str(env["SHARDS"]) != str(completions):
                bad(pw, "SHARDS is %s but completions is %s"
                    % (env["SHARDS"], completions))


def main():
    path = sys.argv[1]
    try:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        print("%s: not YAML: %s" % (path, e))
        return 1
    configmaps = {}
    kinds = []
    for n, doc in enumerate(docs):
        where = "document %d" % (n + 1)
        if not isinstance(doc, dict):
            bad(where, "is not a map")
            continue
        api, kind = doc.get("apiVersion"), doc.get("kind")
        kinds.append(kind)
        where = "%s (%s)" % (where, kind)
        if kind == "ConfigMap" and api == "v1":
            name, data = check_configmap(doc, where)
            configmaps[name] = data
        elif kind == "Job" and api == "batch/v1":
            pass
        else:
            bad(where, "expected a v1 ConfigMap or a batch/v1 Job, got %s %s"
                % (api, kind))
    for n, doc in enumerate(docs):
        if isinstance(doc, dict) and doc.get("kind") == "Job" and \
                doc.get("apiVersion") == "batch/v1":
            check_job(doc, "document %d (Job)" % (n + 1), configmaps)
    if sorted(k for k in kinds if k) != ["ConfigMap", "Job"]:
        bad(path, "expected one ConfigMap and one Job, got %s" % kinds)
    if len(sys.argv) > 2:
        tasks = [d.get("tasks.yaml") for d in configmaps.values()]
        if len(tasks) != 1 or tasks[0] is None:
            bad(path, "no ConfigMap with a tasks.yaml")
        else:
            with open(sys.argv[2], "w") as f:
                f.write(tasks[0])
    for p in problems:
        print("%s: %s" % (path, p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
