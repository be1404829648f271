#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/run_processors.sh [BUILD_DIR]: what the aggregation and symbolstrip
# processors save, measured with the real binary in one run (from the
# repository root, after building; BUILD_DIR defaults to build).
#
#  - aggregation: N Go CPU profiles of one program, recorded now by
#    bench/go/cpuprof (1 s each, as a sidecar would upload them), go through
#    a once-run file receiver into OTLP protobuf twice: without processors,
#    and through `aggregation` (one window). Printed: profiles, samples and
#    bytes in and out, and the ratio. The same for 10 copies of a corpus
#    profile with thread_id dropped.
#  - symbolstrip: every corpus pprof file written as OTLP protobuf without
#    and with `symbolstrip` (mode drop); printed: bytes before, after, saved.
set -eu

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${PCOL_CORPUS_DIR:-$ROOT/../shared/corpus}
PROFCOL="$BUILD/profcol"
N=${N:-8}

if [ ! -x "$PROFCOL" ]; then
    echo "run_processors.sh: $PROFCOL not found; build first" >&2
    exit 1
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
export HOME="$T" GOCACHE="$T/gocache" GO111MODULE=off

# run IN_DIR OUT PROCESSORS_YAML PIPELINE_PROCESSORS: one once-run pipeline.
run() {
    cat >"$T/cfg.yaml" <<YAML
receivers:
  file: {include: ["$1/*"], once: true}
processors:
$3
exporters:
  file/bin: {path: $2, format: otlp_proto}
  file/json: {path: $2.jsonl}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    profiles: {receivers: [file], processors: [$4], exporters: [file/bin, file/json]}
YAML
    rm -f "$2" "$2.jsonl"
    "$PROFCOL" run --config "$T/cfg.yaml" 2>"$T/log" || {
        cat "$T/log" >&2
        exit 1
    }
}

# count FILE: "profiles samples" of a run's output (its OTLP/JSON twin).
count() {
    /usr/bin/python3 -c '
import json, sys
p = s = 0
for line in sys.stdin.read().splitlines():
    if not line.strip():
        continue
    d = json.loads(line)
    for rp in d.get("resourceProfiles", []):
        for sp in rp.get("scopeProfiles", []):
            for pr in sp.get("profiles", []):
                p += 1
                s += len(pr.get("samples", []))
print(p, s)' <"$1.jsonl"
}

size() { wc -c <"$1" | tr -d ' '; }

NOPROC='  {}'
mkdir -p "$T/go" "$T/copies"
(cd "$ROOT/bench/go/cpuprof" && go build -o "$T/cpuprof" .)
i=0
while [ "$i" -lt "$N" ]; do
    "$T/cpuprof" -d 1s -o "$T/go/p$i.pb.gz"
    i=$((i + 1))
done
i=0
while [ "$i" -lt 10 ]; do
    cp "$CORPUS/parca__profile-with-labels.pb.gz" "$T/copies/c$i.pb.gz"
    i=$((i + 1))
done

echo "== aggregation (one window)"
printf '%-34s %9s %9s %10s   %9s %9s %10s %7s\n' input profiles samples bytes \
    profiles samples bytes ratio
agg() {
    label=$1 dir=$2 yaml=$3
    run "$dir" "$T/plain.bin" "$NOPROC" ""
    run "$dir" "$T/agg.bin" "$yaml" aggregation
    set -- $(count "$T/plain.bin") $(count "$T/agg.bin")
    b1=$(size "$T/plain.bin")
    b2=$(size "$T/agg.bin")
    printf '%-34s %9s %9s %10s   %9s %9s %10s %6.2fx\n' "$label" "$1" "$2" "$b1" "$3" "$4" \
        "$b2" "$(echo "$b1 $b2" | awk '{ print $1 / $2 }')"
}
agg "$N Go CPU profiles (1 s each)" "$T/go" '  aggregation: {window: 1h}'
agg "10 x parca profile-with-labels" "$T/copies" \
    '  aggregation: {window: 1h, drop_sample_attributes: [thread_id]}'

echo
echo "== symbolstrip (mode drop), OTLP protobuf bytes"
printf '%-36s %10s %10s %10s %6s\n' file before after saved saved%
for f in "$CORPUS"/*.pb.gz "$CORPUS"/google-pprof__large.cpu "$CORPUS"/google-pprof__sample.cpu \
    "$T/go/p0.pb.gz"; do
    rm -rf "$T/one"
    mkdir -p "$T/one"
    cp "$f" "$T/one/"
    run "$T/one" "$T/plain.bin" "$NOPROC" ""
    run "$T/one" "$T/strip.bin" '  symbolstrip: {mode: drop}' symbolstrip
    b1=$(size "$T/plain.bin")
    b2=$(size "$T/strip.bin")
    printf '%-36s %10s %10s %10s %5.1f%%\n' "$(basename "$f")" "$b1" "$b2" $((b1 - b2)) \
        "$(echo "$b1 $b2" | awk '{ print 100 * ($1 - $2) / $1 }')"
done
