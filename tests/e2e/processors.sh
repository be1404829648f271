#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# processors.sh PROFCOL CORPUS_DIR: one pipeline through all four processors,
# end to end in the real binary:
#   pprof receiver (/v1/pprof)
#     -> resource     env detector (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES)
#                     and the pprof label thread_name renamed to thread.name
#     -> sampling     a policy drops alloc_objects profiles
#     -> aggregation  one window (flushed at shutdown), thread_id dropped
#     -> symbolstrip  drop, keeping runtime.* names
#     -> file exporter (OTLP/JSON lines)
# Three copies of a Go CPU profile and one heap profile go in. Out must come
# the CPU profile's two sample types merged once each with exactly 3x the
# input's values, the heap profile's three other sample types untouched in
# sum, the detected attributes on the resource, the label renamed, no
# thread_id, no function name but runtime.*, and the policy drop counted
# in /metrics. Owned by the processors work.
set -eu

PROFCOL=$1
CORPUS=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CPU="$CORPUS/parca__profile-with-labels.pb.gz"
HEAP="$CORPUS/parca__alloc_objects.pb.gz"

cat >"$T/config.yaml" <<YAML
receivers:
  pprof:
    endpoint: 127.0.0.1:0
processors:
  resource:
    detectors: [env]
    attributes:
      - {action: insert, key: thread.name, from_attribute: thread_name, target: sample}
      - {action: delete, key: thread_name, target: sample}
  sampling:
    policies:
      - {name: no-alloc-counts, match: {sample_type: alloc_objects}, action: drop}
  aggregation:
    window: 1h
    drop_sample_attributes: [thread_id]
  symbolstrip:
    mode: drop
    keep: ['^runtime\.']
exporters:
  file: {path: $T/out.jsonl}
service:
  telemetry: {metrics: {address: 127.0.0.1:0}}
  pipelines:
    profiles:
      receivers: [pprof]
      processors: [resource, sampling, aggregation, symbolstrip]
      exporters: [file]
YAML

OTEL_SERVICE_NAME=checkout OTEL_RESOURCE_ATTRIBUTES='deployment.environment=e2e,team=core%2Cinfra' \
    start_profcol "$PROFCOL" "$T/config.yaml"
port=$(port_of receiver pprof)
mport=$(port_of telemetry metrics)
for f in "$CPU" "$CPU" "$CPU" "$HEAP"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$f" \
        "http://127.0.0.1:$port/v1/pprof")
    if [ "$code" = 204 ]; then ok; else bad "POST /v1/pprof answered $code"; fi
done
curl -s "http://127.0.0.1:$mport/metrics" >"$T/metrics"
if grep -q 'profcol_processor_dropped_profiles_total{processor="sampling",pipeline="profiles",reason="policy"} 1$' "$T/metrics"; then
    ok
else
    bad "the policy drop is not counted in /metrics"
    grep dropped "$T/metrics" >&2 || true
fi
if [ -s "$T/out.jsonl" ]; then bad "the aggregation window let data out before it ended"; else ok; fi
stop_profcol
if [ "$PCOL_EXIT" = 0 ]; then ok; else bad "profcol exited $PCOL_EXIT"; sed 's/^/    /' "$PCOL_LOG" >&2; fi

# The inputs' sums per sample type, read by profcol's own converter.
"$PROFCOL" convert --to otlp-json "$CPU" "$T/cpu.json"
"$PROFCOL" convert --to otlp-json "$HEAP" "$T/heap.json"

"$PY" - "$T/out.jsonl" "$T/cpu.json" "$T/heap.json" >"$T/check" 2>&1 <<'PY' || true
import json, sys

def strs(d):
    return d["dictionary"]["stringTable"]

def profiles(d):
    st = strs(d)
    for rp in d.get("resourceProfiles", []):
        for sp in rp.get("scopeProfiles", []):
            for p in sp.get("profiles", []):
                yield rp, p, st[p["sampleType"].get("typeStrindex", 0)]

def total(p):
    return sum(int(v) for s in p.get("samples", []) for v in s.get("values", []))

def sums(d):
    out = {}
    for _, p, t in profiles(d):
        out[t] = out.get(t, 0) + total(p)
    return out

lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu, heap = (sums(json.load(open(f))) for f in sys.argv[2:4])
problems = []
got, counts = {}, {}
for d in lines:
    st = strs(d)
    attrs = d["dictionary"].get("attributeTable", [])
    for rp, p, t in profiles(d):
        got[t] = got.get(t, 0) + total(p)
        counts[t] = counts.get(t, 0) + 1
        res = {}
        for a in rp["resource"].get("attributes", []):
            v = a["value"]
            res[a.get("key") or st[a.get("keyStrindex", 0)]] = (
                v.get("stringValue") if "stringValue" in v else st[v.get("stringValueStrindex", 0)])
        for k, v in (("service.name", "checkout"), ("deployment.environment", "e2e"),
                     ("team", "core,infra")):
            if res.get(k) != v:
                problems.append("resource %s = %r, want %r" % (k, res.get(k), v))
        for s in p.get("samples", []):
            for i in s.get("attributeIndices", []):
                key = st[attrs[i].get("keyStrindex", 0)]
                if key in ("thread_name", "thread_id"):
                    problems.append("sample attribute %s survived" % key)
    for f in d["dictionary"].get("functionTable", []):
        name = st[f.get("nameStrindex", 0)]
        if name and not name.startswith("runtime."):
            problems.append("function name %r survived" % name)
            break
    names = [st[a.get("keyStrindex", 0)] for a in attrs]
    if "thread.name" not in names:
        problems.append("no thread.name label")
for t, v in cpu.items():
    if got.get(t) != 3 * v or counts.get(t) != 1:
        problems.append("%s: %s in %s profiles, want %s in one" % (t, got.get(t), counts.get(t), 3 * v))
for t, v in heap.items():
    want = None if t == "alloc_objects" else v
    if got.get(t) != want:
        problems.append("%s: %s, want %s" % (t, got.get(t), want))
print("\n".join(sorted(set(problems))) or "OK")
PY
if [ "$(cat "$T/check")" = OK ]; then
    ok
else
    bad "the output is not what the four processors should make"
    sed 's/^/    /' "$T/check" >&2
fi
finish
