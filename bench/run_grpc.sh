#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/run_grpc.sh [BUILD_DIR]: OTLP/gRPC receiver throughput, run from the
# repository root after building. h2load (Debian nghttp2-client) sends
# gRPC-framed ExportProfilesServiceRequests of about 1 KB (a corpus profile)
# and about 170 KB (a Go CPU profile recorded here) to profcol's `otlp`
# receiver on a decode-and-drop pipeline (`nop` exporter), then the same
# bodies to nghttpd (nghttp2-server), the HTTP/2 ceiling, in the same run.
# The server is pinned to core 0 and h2load (one thread) to core 1.
# Prints requests/s, the ratio to nghttpd, and the targets: >= 50k small and
# >= 1,000 large decoded requests/s per core.
set -eu

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${PCOL_CORPUS_DIR:-$ROOT/../shared/corpus}
PROFCOL="$BUILD/profcol"
EXPORT=/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export
N_SMALL=${N_SMALL:-200000}
N_LARGE=${N_LARGE:-10000}

for tool in h2load nghttpd nghttp go taskset; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "run_grpc.sh: needs $tool (scripts/setup.sh installs it)" >&2
        exit 1
    }
done
[ -x "$PROFCOL" ] || { echo "run_grpc.sh: $PROFCOL not found; build first" >&2; exit 1; }

T=$(mktemp -d)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT

# frame IN OUT: the 5-byte gRPC prefix (uncompressed, big-endian length) + IN.
frame() {
    n=$(stat -c %s "$1")
    printf "\\000\\$(printf %03o $((n >> 24 & 255)))\\$(printf %03o $((n >> 16 & 255)))" >"$2"
    printf "\\$(printf %03o $((n >> 8 & 255)))\\$(printf %03o $((n & 255)))" >>"$2"
    cat "$1" >>"$2"
}

echo "== request bodies"
"$PROFCOL" convert "$CORPUS/parca__single-stack.pb.gz" "$T/small.binpb"
export HOME="$T" GOCACHE="$T/gocache" GO111MODULE=off
(cd "$ROOT/bench/go/cpuprof" && go build -o "$T/cpuprof" .)
"$T/cpuprof" -d "${LARGE_SECONDS:-20s}" -o "$T/large.pb.gz"
"$PROFCOL" convert "$T/large.pb.gz" "$T/large.binpb"
frame "$T/small.binpb" "$T/small.grpc"
frame "$T/large.binpb" "$T/large.grpc"
echo "small: $(stat -c %s "$T/small.binpb") bytes; large: $(stat -c %s "$T/large.binpb") bytes"

cat >"$T/bench.yaml" <<EOF
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
        max_recv_msg_size_mib: 16
exporters:
  nop:
service:
  telemetry:
    metrics: {address: "127.0.0.1:0"}
    logs: {level: warn}
  pipelines:
    profiles:
      memory_limit: 1GiB
      receivers: [otlp]
      exporters: [nop]
EOF
taskset -c 0 "$PROFCOL" --config "$T/bench.yaml" --ready-file "$T/ready" 2>"$T/profcol.log" &
PIDS="$PIDS $!"
PCOL_PID=$!
n=100
while [ ! -e "$T/ready" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
PORT=$(awk '$1 == "receiver" { n = split($4, a, ":"); print a[n]; exit }' "$T/ready")
MPORT=$(awk '$1 == "telemetry" { n = split($4, a, ":"); print a[n]; exit }' "$T/ready")

mkdir "$T/www" && : >"$T/www/ok"
NPORT=$((20000 + $$ % 20000))
taskset -c 0 nghttpd --no-tls -d "$T/www" "$NPORT" >/dev/null 2>&1 &
PIDS="$PIDS $!"
sleep 0.5

# A real request first: the answer must carry grpc-status 0.
nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' -d "$T/small.grpc" \
    "http://127.0.0.1:$PORT$EXPORT" 2>&1 | grep -q 'grpc-status: 0' || {
    echo "run_grpc.sh: the receiver did not answer grpc-status 0" >&2
    exit 1
}

# load URL BODY N: requests/s reported by h2load (all must succeed).
load() {
    out=$(taskset -c 1 h2load -t1 -c 4 -m 10 -n "$3" -d "$2" \
        -H 'content-type: application/grpc' -H 'te: trailers' "$1" 2>&1)
    echo "$out" | grep -q "$3 succeeded, 0 failed" || {
        echo "run_grpc.sh: h2load reported failures against $1:" >&2
        echo "$out" | grep -E "requests:|status codes" >&2
        exit 1
    }
    echo "$out" | awk '/finished in/ { for (i = 1; i <= NF; i++) if ($i == "req/s,") print $(i - 1) }'
}

accepted() {
    curl -s "http://127.0.0.1:$MPORT/metrics" |
        awk '/^profcol_receiver_accepted_profiles_total/ { print $2 }'
}

echo "== h2load -t1 -c 4 -m 10 (server on core 0, client on core 1)"
before=$(accepted)
ours_small=$(load "http://127.0.0.1:$PORT$EXPORT" "$T/small.grpc" "$N_SMALL")
ours_large=$(load "http://127.0.0.1:$PORT$EXPORT" "$T/large.grpc" "$N_LARGE")
after=$(accepted)
ng_small=$(load "http://127.0.0.1:$NPORT/ok" "$T/small.grpc" "$N_SMALL")
ng_large=$(load "http://127.0.0.1:$NPORT/ok" "$T/large.grpc" "$N_LARGE")
rss=$(awk '/VmHWM/ { print $2 " " $3 }' "/proc/$PCOL_PID/status")
# Every request is decoded: the receiver counts the profiles it accepted.
decoded=$((after - before))

awk -v os="$ours_small" -v ol="$ours_large" -v ns="$ng_small" -v nl="$ng_large" \
    -v d="$decoded" -v reqs=$((N_SMALL + N_LARGE)) -v rss="$rss" 'BEGIN {
    printf "\n%-28s %12s %12s %8s %10s\n", "request", "profcol", "nghttpd", "ratio", "target"
    printf "%-28s %12.0f %12.0f %7.2fx %10s %s\n", "~1 KB Export (decoded)", os, ns, os / ns,
        ">= 50000", (os >= 50000 ? "PASS" : "MISS")
    printf "%-28s %12.0f %12.0f %7.2fx %10s %s\n", "~170 KB Export (decoded)", ol, nl, ol / nl,
        ">= 1000", (ol >= 1000 ? "PASS" : "MISS")
    printf "\nprofiles decoded and accepted: %d (from %d requests); profcol peak RSS %s\n", d, reqs, rss
}'
