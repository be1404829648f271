#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# pprof_receiver.sh PROFCOL CORPUS_DIR: the pprof receiver against the real
# binary, with requests shaped exactly like the clients that send them: the
# Node SDK 0.6.4 (raw gzip pprof, format=pprof) and 0.6.1 (multipart), a
# pyroscope-go style multipart upload made by a stdlib Go program
# (pyroscope-go-style/), folded and lines text, /v1/pprof raw, gzip and
# Content-Encoding: gzip, and the refusals (400/405/413/415/422 with
# Pyroscope's JSON errors, a gzip bomb, 413 for a body no budget can hold
# (the 503 of a full budget is in service.sh), a taken
# port). Then SIGTERM: the file exporter's OTLP/JSON must hold every accepted
# profile with its resource attributes and the same samples as the corpus
# file converted by `profcol convert`, and /metrics must have counted
# accepted and refused input by reason. Owned by the pprof receiver work.
set -eu

PROFCOL=$1
CORPUS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"

for tool in curl python3 gzip; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 0; }
done

# post WHAT STATUS BODY_PATTERN CURL_ARGS...: one request; the answer must
# have STATUS and hold BODY_PATTERN, or be empty when the pattern is "".
post() {
    _what=$1
    _want=$2
    _pat=$3
    shift 3
    _code=$(curl -s -o "$T/answer" -w '%{http_code}' "$@") || _code=000
    if [ "$_code" != "$_want" ]; then
        bad "$_what: HTTP $_code, expected $_want: $(head -c 300 "$T/answer")"
    elif [ -z "$_pat" ] && [ -s "$T/answer" ]; then
        bad "$_what: expected an empty body, got: $(head -c 300 "$T/answer")"
    elif [ -n "$_pat" ] && ! grep -qF -- "$_pat" "$T/answer"; then
        bad "$_what: the answer lacks '$_pat': $(head -c 300 "$T/answer")"
    else
        ok
    fi
}

# summary FILE: one line per resource of an OTLP/JSON file (one request per
# line): "<service.name|-> profiles=N samples=N values=N time=T duration=D
# attrs=k=v,k=v" with time and duration of its first profile.
summary() {
    python3 - "$1" <<'EOF'
import json, sys

def text(strings, v):
    if "stringValueStrindex" in v:
        return strings[v["stringValueStrindex"]]
    return v.get("stringValue", "")

for line in open(sys.argv[1]):
    if not line.strip():
        continue
    req = json.loads(line)
    strings = req.get("dictionary", {}).get("stringTable", [""])
    for rp in req.get("resourceProfiles", []):
        attrs = {}
        for a in rp.get("resource", {}).get("attributes", []):
            key = strings[a["keyStrindex"]] if "keyStrindex" in a else a.get("key", "")
            attrs[key] = text(strings, a.get("value", {}))
        profiles = [p for sp in rp.get("scopeProfiles", []) for p in sp.get("profiles", [])]
        samples = [s for p in profiles for s in p.get("samples", [])]
        values = sum(int(v) for s in samples for v in s.get("values", []))
        first = profiles[0] if profiles else {}
        print("%s profiles=%d samples=%d values=%d time=%s duration=%s attrs=%s" % (
            attrs.get("service.name", "-"), len(profiles), len(samples), values,
            first.get("timeUnixNano", "0"), first.get("durationNano", "0"),
            ",".join("%s=%s" % kv for kv in sorted(attrs.items()))))
EOF
}

# counts FILE: "profiles=N samples=N values=N" of a corpus file, through
# `profcol convert` (the reference the receiver's output is compared with).
counts() {
    "$PROFCOL" convert "$1" "$T/conv.json" 2>"$T/conv.err"
    summary "$T/conv.json" | awk '{ print $2, $3, $4 }'
}

# ---- start ----------------------------------------------------------------------------
cat >"$T/config.yaml" <<EOF
receivers:
  pprof:
    endpoint: 127.0.0.1:0
    max_decompressed_size: 8MiB
  pprof/small:
    endpoint: 127.0.0.1:0
    max_request_body_size: 1KiB
  pprof/tiny:
    endpoint: 127.0.0.1:0
exporters:
  file:
    path: $T/out.jsonl
service:
  telemetry:
    metrics:
      address: 127.0.0.1:0
  pipelines:
    profiles:
      receivers: [pprof, pprof/small]
      exporters: [file]
    profiles/tiny:
      memory_limit: 1KiB
      receivers: [pprof/tiny]
      exporters: [file]
EOF
start_profcol "$PROFCOL" "$T/config.yaml"
E2E_STDERR=$PCOL_LOG
check "the ready file names the receiver's listener" \
    grep -q "^receiver pprof http 127.0.0.1:[0-9][0-9]*$" "$PCOL_READY"
URL="http://127.0.0.1:$(port_of receiver pprof)"
SMALL="http://127.0.0.1:$(port_of receiver pprof/small)"
TINY="http://127.0.0.1:$(port_of receiver pprof/tiny)"
METRICS="http://127.0.0.1:$(port_of telemetry metrics)/metrics"
gunzip -c "$CORPUS/parca__two-stacks.pb.gz" >"$T/two-stacks.pb"
gzip -c "$T/two-stacks.pb" >"$T/two-stacks.pb.gz"

# ---- accepted -------------------------------------------------------------------------
NODE_NAME="node-test-app%7Botel.scope.name%3Dcom.grafana.pyroscope%2Fnodejs%2C"
NODE_NAME="${NODE_NAME}otel.scope.version%3D0.6.4%2Cprocess.runtime.name%3Dnodejs%2C"
NODE_NAME="${NODE_NAME}process.runtime.version%3D20.20.2%2Cregion%3Dus-east%2Cversion%3D3%7D"
NODE_REST="spyName=nodespy&until=1795234804&sampleRate=17"
# Node SDK 0.6.4: the exact query, headers and gzip body of its wall upload.
post "Node 0.6.4 (format=pprof) -> 200, empty body" 200 "" \
    -H "Content-Type: application/octet-stream" -H "Accept: */*" -H "User-Agent: node" \
    -H "Authorization: Basic dXNlcjpwYXNz" -H "X-Scope-OrgID: tenant-a" \
    -H "Accept-Encoding: gzip, deflate" --data-binary "@$CORPUS/google-pprof__sample.cpu" \
    "$URL/ingest?format=pprof&from=1795234802&name=$NODE_NAME&$NODE_REST"
# Node SDK 0.6.1: the same URL without format, a multipart file part.
post "Node 0.6.1 (multipart) -> 200, empty body" 200 "" \
    -F "profile=@$CORPUS/parca__fgprof.pb.gz;filename=profile;type=application/octet-stream" \
    "$URL/ingest?from=1795234802&name=node-old%7Bregion%3Deu%7D&spyName=nodespy&until=1795234804"
# pyroscope-go: multipart built by Go's mime/multipart, from/until in ns.
if command -v go >/dev/null; then
    mkdir -p "$T/go"
    if (cd "$T/go" && HOME="$T/go" GOPATH="$T/go/path" GOCACHE="$T/go/cache" GO111MODULE=off \
        GOFLAGS= go run "$HERE/pyroscope-go-style/main.go" -server "$URL" -app go-app \
        -profile "$CORPUS/parca__alloc_objects.pb.gz") >"$T/go.out" 2>&1; then
        ok
        go_ran=1
    else
        bad "pyroscope-go style multipart: $(cat "$T/go.out")"
        go_ran=0
    fi
    if (cd "$T/go" && HOME="$T/go" GOPATH="$T/go/path" GOCACHE="$T/go/cache" GO111MODULE=off \
        GOFLAGS= go run "$HERE/pyroscope-go-style/main.go" -server "$URL" -app go-old -prev \
        -want 422 -profile "$CORPUS/parca__two-stacks.pb.gz") >"$T/go.out" 2>&1 &&
        grep -q "unsupported client version" "$T/go.out"; then
        ok
    else
        bad "pyroscope-go with a prev_profile -> 422: $(cat "$T/go.out")"
    fi
else
    echo "note: go is not installed; the pyroscope-go style upload is skipped"
    go_ran=0
fi
post "raw gzip pprof, format=pprof, over the thread pool -> 200" 200 "" \
    --data-binary "@$CORPUS/google-pprof__large.cpu" \
    "$URL/pyroscope/ingest?format=pprof&name=large-app&from=1795234802000&until=1795234812000"
printf 'main;work;leaf 10\nmain;work 5\nmain;work;leaf 2\nno-space-skipped\n' >"$T/folded.txt"
post "folded text -> 200" 200 "" --data-binary "@$T/folded.txt" \
    "$URL/ingest?name=folded-app.cpu%7Bhost%3Dh1%7D&from=1795234802&until=1795234812&sampleRate=100"
printf 'main;a\nmain;a\nmain;b\n' >"$T/lines.txt"
post "lines text -> 200" 200 "" --data-binary "@$T/lines.txt" \
    "$URL/ingest?name=lines-app.alloc_objects&format=lines&from=20260821&until=20260821"
post "empty /ingest body -> 200, nothing stored" 200 "" -X POST \
    "$URL/ingest?name=empty-app&format=pprof"
# The Node SDK appends /ingest to a server address that may end in '/'.
post "//ingest (trailing-slash address) -> 200" 200 "" -X POST "$URL//ingest?name=empty-app"
post "/v1/pprof raw -> 204" 204 "" --data-binary "@$T/two-stacks.pb" "$URL/v1/pprof"
post "/v1/pprof gzip -> 204" 204 "" --data-binary "@$CORPUS/parca__single-stack.pb.gz" \
    "$URL/v1/pprof"
post "/v1/pprof Content-Encoding: gzip -> 204" 204 "" -H "Content-Encoding: gzip" \
    --data-binary "@$T/two-stacks.pb.gz" "$URL/v1/pprof"

# ---- refused ----------------------------------------------------------------------------
post "bad name -> 400 JSON" 400 '{"code":"invalid_argument","message":"name: invalid character' \
    --data-binary "@$CORPUS/google-pprof__sample.cpu" \
    "$URL/ingest?format=pprof&name=my%20app%7Bx-y%3D1%7D"
post "missing name -> 400 JSON" 400 '"message":"name: service name is required"' \
    --data-binary "@$CORPUS/google-pprof__sample.cpu" "$URL/ingest?format=pprof"
post "garbage pprof -> 422 JSON" 422 '{"code":"unknown","message":"not a pprof profile' \
    --data-binary "this is not a profile" "$URL/ingest?format=pprof&name=app"
post "legacy pprof -> 422 JSON" 422 '"message":"legacy text/binary pprof format is not supported' \
    --data-binary "@$CORPUS/google-pprof__gobench.cpu.legacy" "$URL/ingest?format=pprof&name=app"
post "bad sample_type_config -> 422 JSON" 422 \
    '"message":"multipart part sample_type_config: invalid JSON' \
    -F "profile=@$CORPUS/parca__two-stacks.pb.gz;filename=profile.pprof" \
    -F "sample_type_config=@$T/lines.txt;filename=sample_type_config.json" \
    "$URL/ingest?name=app"
post "body over max_request_body_size -> 413 JSON" 413 '{"code":"resource_exhausted"' \
    -H "Expect:" --data-binary "@$CORPUS/google-pprof__sample.cpu" \
    "$SMALL/ingest?format=pprof&name=app"
head -c 10000000 /dev/zero | gzip -c >"$T/bomb.gz"
post "gzip bomb over max_decompressed_size -> 413 JSON" 413 '{"code":"resource_exhausted"' \
    --data-binary "@$T/bomb.gz" "$URL/ingest?format=pprof&name=app"
curl -s -D "$T/h503" -o "$T/answer" --data-binary "@$CORPUS/google-pprof__sample.cpu" \
    "$TINY/ingest?format=pprof&name=app" || true
check "a body larger than the pipeline's whole budget -> 413" grep -q "^HTTP/1.1 413" "$T/h503"
check "413 body is JSON" grep -q '{"code":' "$T/answer"
post "unknown text-format suffix -> 400 JSON" 400 'unknown profile type \"app\"' \
    --data-binary "a;b 1" "$URL/ingest?name=my.app"
post "non-integer folded count -> 422 JSON" 422 '"message":"line 1: the count' \
    --data-binary "a;b x" "$URL/ingest?name=app"
post "format=jfr -> 400 JSON" 400 'format jfr is not supported by profcol' \
    --data-binary "x" "$URL/ingest?name=app&format=jfr"
post "GET /ingest -> 405 JSON" 405 '{"code":"unimplemented"' "$URL/ingest?name=app"
post "/v1/pprof garbage -> 400 text" 400 "not a pprof profile" \
    --data-binary "this is not a profile" "$URL/v1/pprof"
post "/v1/pprof unknown Content-Encoding -> 415" 415 "Content-Encoding br is not supported" \
    -H "Content-Encoding: br" --data-binary "@$T/two-stacks.pb" "$URL/v1/pprof"

# ---- metrics ------------------------------------------------------------------------------
curl -s "$METRICS" >"$T/metrics" || bad "GET /metrics"
metric() { # metric LABELS: the value of profcol_receiver_refused_profiles_total{LABELS}
    sed -n "s#^profcol_receiver_refused_profiles_total{$1} ##p" "$T/metrics"
}
# 400s, the 405, the 415, and the Go client's prev_profile 422
check "refused bad_request counted" \
    [ "$(metric 'receiver="pprof",reason="bad_request"')" = $((6 + go_ran)) ]
check "refused undecodable counted (5)" [ "$(metric 'receiver="pprof",reason="undecodable"')" = 5 ]
check "refused too_large counted on pprof/small (1)" \
    [ "$(metric 'receiver="pprof/small",reason="too_large"')" = 1 ]
check "refused too_large counted on pprof (the gzip bomb)" \
    [ "$(metric 'receiver="pprof",reason="too_large"')" = 1 ]
check "refused too_large counted on pprof/tiny" \
    [ "$(metric 'receiver="pprof/tiny",reason="too_large"')" = 1 ]

# ---- a second instance cannot bind the same endpoint ---------------------------------------
cat >"$T/taken.yaml" <<EOF
receivers:
  pprof:
    endpoint: 127.0.0.1:$(port_of receiver pprof)
exporters:
  file:
    path: $T/taken.jsonl
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    profiles:
      receivers: [pprof]
      exporters: [file]
EOF
rc=0
"$PROFCOL" --config "$T/taken.yaml" 2>"$T/taken.log" || rc=$?
check "an endpoint in use: exit non-zero" [ "$rc" -ne 0 ]
taken="127.0.0.1:$(port_of receiver pprof)"
check "an endpoint in use: the log names it" \
    grep -q "endpoint: cannot listen on $taken: address already in use" "$T/taken.log"

# ---- stop and check what was exported -------------------------------------------------------
stop_profcol TERM
check "SIGTERM: exit 0" [ "$PCOL_EXIT" -eq 0 ]
check "no leaked handles" sh -c "! grep -q 'left open' '$PCOL_LOG'"
summary "$T/out.jsonl" >"$T/summary" || bad "the exporter output is not OTLP/JSON"

# expect SERVICE FILE ATTRS...: the resource of SERVICE has FILE's profiles,
# samples and values, and every attribute k=v in ATTRS.
expect() {
    _svc=$1
    _file=$2
    shift 2
    _line=$(grep "^$_svc " "$T/summary" || true)
    _want=$(counts "$_file")
    case "$_line" in
    "") bad "$_svc: no resource with this service.name in the output"; return 0 ;;
    "$_svc $_want "*) ;;
    *) bad "$_svc: '$_line' does not hold '$_want' of $_file"; return 0 ;;
    esac
    for _a in "$@"; do
        case ",${_line#*attrs=}," in
        *",$_a,"*) ;;
        *) bad "$_svc: attribute $_a missing in '$_line'"; return 0 ;;
        esac
    done
    ok
}
expect node-test-app "$CORPUS/google-pprof__sample.cpu" region=us-east version=3 \
    otel.scope.name=com.grafana.pyroscope/nodejs pyroscope.spy=nodespy
expect node-old "$CORPUS/parca__fgprof.pb.gz" region=eu pyroscope.spy=nodespy
expect large-app "$CORPUS/google-pprof__large.cpu"
if [ "$go_ran" = 1 ]; then
    expect go-app "$CORPUS/parca__alloc_objects.pb.gz" region=eu-west pyroscope.spy=gospy \
        process.runtime.name=go __session_id__=1e0b5c63a9d24f7e
fi
want="folded-app profiles=1 samples=2 values=170000000 time=1795234802000000000"
want="$want duration=10000000000 attrs=host=h1,service.name=folded-app"
check "folded: 2 stacks, 12+5 samples x 10ms, from/until as time and duration" \
    grep -qx "$want" "$T/summary"
check "lines: identical lines counted, YYYYMMDD time" \
    grep -q "^lines-app profiles=1 samples=2 values=3 time=1787270400000000000 " "$T/summary"
check "nothing stored for the empty upload or refused ones" \
    sh -c "! grep -q '^empty-app \|^app \|^my' '$T/summary'"
v1=$(grep -c "^- " "$T/summary" || true)
check "/v1/pprof: three resources without a service name ($v1)" [ "$v1" -eq 3 ]
total=$(awk '{ sub("profiles=", "", $2); n += $2 } END { print n + 0 }' "$T/summary")
accepted=$(sed -n 's/^profcol_receiver_accepted_profiles_total{receiver="pprof"} //p' "$T/metrics")
check "accepted_profiles_total ($accepted) = profiles exported ($total)" [ "$accepted" = "$total" ]
finish
