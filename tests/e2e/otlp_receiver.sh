#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# otlp_receiver.sh PROFCOL CORPUS_DIR PLUGIN: the otlp receiver against the
# real binary. OTLP/HTTP with curl: protobuf (the OTLP corpus files and pprof
# corpus files converted by `profcol convert`) and JSON, gzip and zstd
# Content-Encoding, HTTP/2 cleartext, partial success for profiles without
# samples, and the refusals (400 with a google.rpc.Status body in the
# request's format, 401 + WWW-Authenticate, 405, 413 on the wire and after
# decompression, 415, the version header, 503 + Retry-After when the
# pipeline's budget is full, filled through the PLUGIN processor's hold
# mode). OTLP/gRPC with the real grpcio client (grpc_client.py, Debian
# python3-grpcio under /usr/bin/python3): identity and gzip, partial success,
# INVALID_ARGUMENT, RESOURCE_EXHAUSTED over max_recv_msg_size_mib (on the
# wire and after decompression), UNAUTHENTICATED, UNAVAILABLE, and the server
# still serving after each. Then SIGTERM: exit 0, and the file exporter has
# exactly the profiles and samples of every accepted request; the metrics
# counted the refusals by reason. Owned by the otlp receiver work.
set -eu

PROFCOL=$1
CORPUS=$2
PLUGIN=$3
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"

for tool in curl python3 gzip zstd openssl; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 0; }
done
GRPC_PY=/usr/bin/python3
if ! "$GRPC_PY" -c "import grpc" 2>/dev/null; then
    echo "SKIP: python3-grpcio is not installed for $GRPC_PY"
    exit 0
fi

# post WHAT STATUS BODY_PATTERN CURL_ARGS...: one request; the answer must
# have STATUS and hold BODY_PATTERN, or be empty when the pattern is "".
# The response headers are left in $T/headers.
post() {
    _what=$1
    _want=$2
    _pat=$3
    shift 3
    _code=$(curl -s -D "$T/headers" -o "$T/answer" -w '%{http_code}' "$@") || _code=000
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

# rpc WHAT EXPECTED_OUTPUT_PREFIX TARGET ARGS...: one gRPC Export call; its
# output line ("OK rejected=0 message=" or "CODE: details") must start with
# the prefix.
rpc() {
    _what=$1
    _want=$2
    shift 2
    _out=$("$GRPC_PY" "$HERE/grpc_client.py" "$@" 2>&1 | tail -n 1) || true
    case "$_out" in
    "$_want"*) ok ;;
    *) bad "$_what: got '$_out', expected '$_want...'" ;;
    esac
}

# summary FILE: "profiles=N samples=N" for each request (line) of an
# OTLP/JSON file.
summary() {
    python3 - "$1" <<'EOF'
import json, sys

for line in open(sys.argv[1]):
    if not line.strip():
        continue
    req = json.loads(line)
    profiles = [p for rp in req.get("resourceProfiles", [])
                for sp in rp.get("scopeProfiles", []) for p in sp.get("profiles", [])]
    samples = sum(len(p.get("samples", [])) for p in profiles)
    print("profiles=%d samples=%d" % (len(profiles), samples))
EOF
}

# accepted FILE: the exporter must end up with FILE's profiles and samples
# (as `profcol convert` reads them) once more.
accepted() {
    if "$PROFCOL" convert "$1" "$T/conv.json" 2>"$T/conv.err"; then
        summary "$T/conv.json" >>"$T/expected"
    else
        bad "convert $1: $(cat "$T/conv.err")"
    fi
}

# ---- inputs ----------------------------------------------------------------------------------
SIMPLE="$CORPUS/otlp_spec_simple_cpu.binpb"
LINK_JSON="$CORPUS/otlp_spec_resource_link.json"
"$PROFCOL" convert "$CORPUS/google-pprof__large.cpu" "$T/large.binpb"
"$PROFCOL" convert "$CORPUS/parca__profile-with-labels.pb.gz" "$T/labels.binpb"
"$PROFCOL" convert "$CORPUS/parca__alloc_objects.pb.gz" "$T/alloc.binpb"
"$PROFCOL" convert "$CORPUS/pprof_all_fields.pb.gz" "$T/all.json"
gzip -c "$T/labels.binpb" >"$T/labels.binpb.gz"
zstd -q -c "$T/alloc.binpb" >"$T/alloc.binpb.zst"
gzip -c "$LINK_JSON" >"$T/link.json.gz"
head -c 200000 /dev/zero | gzip -c >"$T/zeros.gz"
# The simple CPU example plus a profile without samples in the same scope:
# accepted with a partial success that rejects one profile.
python3 - "$CORPUS/otlp_spec_simple_cpu.json" "$T/partial.json" <<'EOF'
import copy, json, sys

req = json.load(open(sys.argv[1]))
profiles = req["resourceProfiles"][0]["scopeProfiles"][0]["profiles"]
empty = copy.deepcopy(profiles[0])
empty.pop("samples", None)
profiles.append(empty)
json.dump(req, open(sys.argv[2], "w"))
EOF
"$PROFCOL" convert "$T/partial.json" "$T/partial.binpb"
# TLS: a CA, the server's certificate for 127.0.0.1 signed by it, and
# another CA that signed nothing here.
mkcert() { # mkcert NAME SUBJECT [SIGNING_CA]: NAME.key and NAME.pem
    openssl req -new -newkey rsa:2048 -nodes -subj "$2" -keyout "$T/$1.key" -out "$T/$1.csr" \
        2>/dev/null
    if [ -n "${3:-}" ]; then
        printf 'subjectAltName=IP:127.0.0.1\n' >"$T/$1.ext"
        openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" -CAkey "$T/$3.key" -CAcreateserial \
            -days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
    else
        openssl x509 -req -in "$T/$1.csr" -signkey "$T/$1.key" -days 2 \
            -extfile /dev/stdin -out "$T/$1.pem" 2>/dev/null <<'EXT'
basicConstraints=critical,CA:true
keyUsage=critical,keyCertSign
EXT
    fi
}
mkcert ca "/CN=profcol test CA"
mkcert other "/CN=another CA"
mkcert server "/CN=127.0.0.1" ca

# ---- start -----------------------------------------------------------------------------------
export OTLP_TEST_TOKEN="s3cret-token"
export OTLP_TEST_PASSWORD="pa:ss word"
cat >"$T/config.yaml" <<EOF
plugins: ["$PLUGIN"]
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
      http:
        endpoint: 127.0.0.1:0
  otlp/small:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
        max_recv_msg_size_mib: 1
      http:
        endpoint: 127.0.0.1:0
        max_request_body_size: 100KiB
  otlp/auth:
    auth:
      bearer_token: \${env:OTLP_TEST_TOKEN}
    protocols:
      grpc: {endpoint: "127.0.0.1:0"}
      http: {endpoint: "127.0.0.1:0"}
  otlp/basic:
    auth:
      basic:
        username: profiler
        password: \${env:OTLP_TEST_PASSWORD}
    protocols:
      http:
        endpoint: 127.0.0.1:0
  otlp/tls:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
        tls: {cert_file: "$T/server.pem", key_file: "$T/server.key"}
      http:
        endpoint: 127.0.0.1:0
        tls: {cert_file: "$T/server.pem", key_file: "$T/server.key"}
  otlp/held:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
      http:
        endpoint: 127.0.0.1:0
processors:
  test_tag:
    value: held
    hold: true
exporters:
  file:
    path: $T/out.jsonl
  file/held:
    path: $T/held.jsonl
service:
  telemetry:
    metrics:
      address: 127.0.0.1:0
  pipelines:
    profiles:
      receivers: [otlp, otlp/small, otlp/auth, otlp/basic, otlp/tls]
      exporters: [file]
    profiles/held:
      memory_limit: 1MiB
      receivers: [otlp/held]
      processors: [test_tag]
      exporters: [file/held]
EOF
start_profcol "$PROFCOL" "$T/config.yaml"
E2E_STDERR=$PCOL_LOG
# addr ID PROTOCOL: host:port of one listener, from the ready file.
addr() {
    awk -v i="$1" -v p="$2" '$1 == "receiver" && $2 == i && $3 == p { print $4; exit }' \
        "$PCOL_READY"
}
check "the ready file names both listeners" \
    sh -c "grep -q '^receiver otlp grpc 127.0.0.1:[0-9]*$' '$PCOL_READY' &&
           grep -q '^receiver otlp http 127.0.0.1:[0-9]*$' '$PCOL_READY'"
check "a protocol without a section is not served" \
    sh -c "! grep -q '^receiver otlp/basic grpc' '$PCOL_READY'"
URL="http://$(addr otlp http)/v1development/profiles"
SMALL="http://$(addr otlp/small http)/v1development/profiles"
AUTH="http://$(addr otlp/auth http)/v1development/profiles"
BASIC="http://$(addr otlp/basic http)/v1development/profiles"
HELD="http://$(addr otlp/held http)/v1development/profiles"
GRPC=$(addr otlp grpc)
METRICS="http://127.0.0.1:$(port_of telemetry metrics)/metrics"
PB="Content-Type: application/x-protobuf"
JS="Content-Type: application/json"
: >"$T/expected"

# ---- OTLP/HTTP accepted ----------------------------------------------------------------------
post "protobuf -> 200, empty response" 200 "" -H "$PB" --data-binary "@$SIMPLE" "$URL"
accepted "$SIMPLE"
check "protobuf answer is protobuf" grep -qi "^content-type: application/x-protobuf" "$T/headers"
post "JSON -> 200 {}" 200 "{}" -H "$JS" --data-binary "@$LINK_JSON" "$URL"
accepted "$LINK_JSON"
check "JSON answer is JSON" grep -qi "^content-type: application/json" "$T/headers"
post "JSON with charset, every pprof field -> 200" 200 "{}" \
    -H "Content-Type: application/json; charset=utf-8" --data-binary "@$T/all.json" "$URL"
accepted "$T/all.json"
post "large protobuf (thread pool) -> 200" 200 "" -H "$PB" --data-binary "@$T/large.binpb" "$URL"
accepted "$T/large.binpb"
post "Content-Encoding gzip -> 200" 200 "" -H "$PB" -H "Content-Encoding: gzip" \
    --data-binary "@$T/labels.binpb.gz" "$URL"
accepted "$T/labels.binpb"
post "Content-Encoding zstd -> 200" 200 "" -H "$PB" -H "Content-Encoding: zstd" \
    --data-binary "@$T/alloc.binpb.zst" "$URL"
accepted "$T/alloc.binpb"
post "gzip JSON -> 200" 200 "{}" -H "$JS" -H "Content-Encoding: gzip" \
    --data-binary "@$T/link.json.gz" "$URL"
accepted "$LINK_JSON"
post "HTTP/2 cleartext (prior knowledge) -> 200" 200 "" --http2-prior-knowledge -H "$PB" \
    --data-binary "@$SIMPLE" "$URL"
accepted "$SIMPLE"
check "the HTTP/2 answer came over HTTP/2" grep -q "^HTTP/2 200" "$T/headers"
post "the older /v1experimental/profiles path -> 200" 200 "" -H "$PB" \
    --data-binary "@$SIMPLE" "${URL%/v1development/profiles}/v1experimental/profiles"
accepted "$SIMPLE"
post "version header 1 -> 200" 200 "" -H "$PB" -H "otlp-profiles-development-version: 1" \
    --data-binary "@$SIMPLE" "$URL"
accepted "$SIMPLE"
post "empty protobuf request -> 200" 200 "" -H "$PB" --data-binary "" "$URL"
PARTIAL='{"partialSuccess":{"rejectedProfiles":"1",'
PARTIAL=$PARTIAL'"errorMessage":"1 profile had no samples and was dropped"}}'
post "a profile without samples -> 200, partial success" 200 "$PARTIAL" \
    -H "$JS" --data-binary "@$T/partial.json" "$URL"
accepted "$SIMPLE"

# ---- OTLP/HTTP refused -----------------------------------------------------------------------
post "garbage protobuf -> 400, protobuf Status" 400 "ExportProfilesServiceRequest" \
    -H "$PB" --data-binary "this is not a profile" "$URL"
check "the protobuf Status has code 3 (INVALID_ARGUMENT)" \
    [ "$(head -c 2 "$T/answer" | od -An -tx1 | tr -d ' ')" = "0803" ]
post "garbage JSON -> 400, JSON Status" 400 '{"code":3,"message":"JSON 1:1' \
    -H "$JS" --data-binary "this is not a profile" "$URL"
post "corrupt gzip -> 400" 400 '"message":"Content-Encoding gzip: ' -H "$JS" \
    -H "Content-Encoding: gzip" --data-binary "@$LINK_JSON" "$URL"
post "version header 2 -> 400" 400 \
    '{"code":3,"message":"unsupported otlp-profiles-development-version \"2\"' \
    -H "$JS" -H "otlp-profiles-development-version: 2" --data-binary "@$LINK_JSON" "$URL"
post "text/plain -> 415" 415 "Content-Type text/plain is not supported" \
    -H "Content-Type: text/plain" --data-binary "@$SIMPLE" "$URL"
post "Content-Encoding br -> 415" 415 '{"code":3,"message":"Content-Encoding br is not supported' \
    -H "$JS" -H "Content-Encoding: br" --data-binary "@$LINK_JSON" "$URL"
post "GET -> 405" 405 '{"code":12,' "$URL"
post "unknown path -> 404" 404 '{"code":5,' -H "$PB" --data-binary "@$SIMPLE" "${URL}x"
post "body over max_request_body_size -> 413" 413 '{"code":8,' -H "Expect:" -H "$PB" \
    --data-binary "@$T/large.binpb" "$SMALL"
post "over max_request_body_size after decompression -> 413" 413 \
    '{"code":8,"message":"Content-Encoding gzip: ' -H "$JS" -H "Content-Encoding: gzip" \
    --data-binary "@$T/zeros.gz" "$SMALL"
post "a small request on the small endpoint -> 200" 200 "" -H "$PB" --data-binary "@$SIMPLE" \
    "$SMALL"
accepted "$SIMPLE"

# ---- authentication --------------------------------------------------------------------------
post "no credentials -> 401" 401 '{"code":16,"message":"the request has no Authorization header"}' \
    -H "$JS" --data-binary "@$LINK_JSON" "$AUTH"
check "401 carries WWW-Authenticate: Bearer" \
    grep -qi '^www-authenticate: Bearer realm="profcol"' "$T/headers"
post "a wrong token -> 401" 401 "the Authorization credentials are wrong" -H "$PB" \
    -H "Authorization: Bearer s3cret-tokem" --data-binary "@$SIMPLE" "$AUTH"
post "the token from the environment -> 200" 200 "" -H "$PB" \
    -H "Authorization: bearer $OTLP_TEST_TOKEN" --data-binary "@$SIMPLE" "$AUTH"
accepted "$SIMPLE"
post "basic: no credentials -> 401" 401 '{"code":16,' -H "$JS" --data-binary "@$LINK_JSON" \
    "$BASIC"
check "401 carries WWW-Authenticate: Basic" grep -qi '^www-authenticate: Basic' "$T/headers"
post "basic: a wrong password -> 401" 401 "the Authorization credentials are wrong" \
    -u "profiler:pa:ss" -H "$PB" --data-binary "@$SIMPLE" "$BASIC"
post "basic: user and password -> 200" 200 "" -u "profiler:$OTLP_TEST_PASSWORD" -H "$PB" \
    --data-binary "@$SIMPLE" "$BASIC"
accepted "$SIMPLE"

# ---- OTLP/gRPC -------------------------------------------------------------------------------
rpc "gRPC Export -> OK" "OK rejected=0 message=" "$GRPC" --file "$SIMPLE"
accepted "$SIMPLE"
rpc "gRPC gzip, large (thread pool) -> OK" "OK rejected=0" "$GRPC" --file "$T/large.binpb" \
    --compression gzip
accepted "$T/large.binpb"
rpc "gRPC: a profile without samples -> OK, partial success" \
    "OK rejected=1 message=1 profile had no samples and was dropped" "$GRPC" \
    --file "$T/partial.binpb"
accepted "$SIMPLE"
rpc "gRPC garbage -> INVALID_ARGUMENT" "INVALID_ARGUMENT: " "$GRPC" --text "not a profile"
rpc "gRPC version 2 -> INVALID_ARGUMENT" \
    "INVALID_ARGUMENT: unsupported otlp-profiles-development-version" "$GRPC" \
    --file "$SIMPLE" --metadata "otlp-profiles-development-version=2"
rpc "gRPC over max_recv_msg_size_mib -> RESOURCE_EXHAUSTED" "RESOURCE_EXHAUSTED" \
    "$(addr otlp/small grpc)" --zeros 1100000
rpc "gRPC over the limit after decompression -> RESOURCE_EXHAUSTED" "RESOURCE_EXHAUSTED" \
    "$(addr otlp/small grpc)" --zeros 2000000 --compression gzip
rpc "gRPC: the small endpoint still serves" "OK rejected=0" "$(addr otlp/small grpc)" \
    --file "$SIMPLE"
accepted "$SIMPLE"
rpc "gRPC without credentials -> UNAUTHENTICATED" "UNAUTHENTICATED" "$(addr otlp/auth grpc)" \
    --file "$SIMPLE"
rpc "gRPC with the bearer token -> OK" "OK rejected=0" "$(addr otlp/auth grpc)" \
    --file "$SIMPLE" --metadata "authorization=Bearer $OTLP_TEST_TOKEN"
accepted "$SIMPLE"
printf '\000\000\000\000\000' >"$T/empty.frame"
curl -s --http2-prior-knowledge -D "$T/headers" -o /dev/null -H "Content-Type: application/grpc" \
    -H "grpc-encoding: br" --data-binary "@$T/empty.frame" \
    "http://$GRPC/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export" ||
    true
check "gRPC grpc-encoding br -> UNIMPLEMENTED with grpc-accept-encoding" \
    sh -c "grep -q '^grpc-status: 12' '$T/headers' && grep -q '^grpc-accept-encoding: ' '$T/headers'"
post "HTTP/1.1 to the gRPC endpoint -> 415" 415 "this endpoint serves gRPC" -H "$PB" \
    --data-binary "@$SIMPLE" \
    "http://$GRPC/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"
rpc "gRPC: still serving after the refusals" "OK rejected=0" "$GRPC" --file "$SIMPLE"
accepted "$SIMPLE"

# ---- TLS -------------------------------------------------------------------------------------
TLS_URL="https://$(addr otlp/tls http)/v1development/profiles"
post "HTTPS, the right CA -> 200 over h2 (ALPN)" 200 "" --cacert "$T/ca.pem" -H "$PB" \
    --data-binary "@$SIMPLE" "$TLS_URL"
accepted "$SIMPLE"
check "ALPN chose HTTP/2" grep -q "^HTTP/2 200" "$T/headers"
post "HTTPS as HTTP/1.1 -> 200" 200 "" --http1.1 --cacert "$T/ca.pem" -H "$PB" \
    --data-binary "@$SIMPLE" "$TLS_URL"
accepted "$SIMPLE"
post "HTTPS, another CA -> the client refuses the server" 000 "" --cacert "$T/other.pem" \
    -H "$PB" --data-binary "@$SIMPLE" "$TLS_URL"
post "cleartext to the TLS endpoint -> no answer" 000 "" -H "$PB" --data-binary "@$SIMPLE" \
    "http://$(addr otlp/tls http)/v1development/profiles"
rpc "gRPC over TLS -> OK" "OK rejected=0" "$(addr otlp/tls grpc)" --ca "$T/ca.pem" \
    --file "$SIMPLE"
accepted "$SIMPLE"
rpc "gRPC over TLS, another CA -> UNAVAILABLE" "UNAVAILABLE" "$(addr otlp/tls grpc)" \
    --ca "$T/other.pem" --file "$SIMPLE" --timeout 3
rpc "gRPC over TLS: still serving" "OK rejected=0" "$(addr otlp/tls grpc)" --ca "$T/ca.pem" \
    --file "$T/labels.binpb" --compression gzip
accepted "$T/labels.binpb"

# ---- backpressure: the held pipeline's 1 MiB budget fills up ---------------------------------
n=0
code=200
while [ "$n" -lt 300 ] && [ "$code" = 200 ]; do
    n=$((n + 1))
    code=$(curl -s -D "$T/headers" -o "$T/answer" -w '%{http_code}' -H "$PB" \
        --data-binary "@$SIMPLE" "$HELD") || code=000
done
check "held batches fill the budget, then 503 (after $n requests)" [ "$code" = 503 ]
check "503 carries Retry-After" grep -qi "^retry-after: 5" "$T/headers"
check "503 body is a protobuf Status with code 14" \
    [ "$(head -c 2 "$T/answer" | od -An -tx1 | tr -d ' ')" = "080e" ]
rpc "gRPC on a full pipeline -> UNAVAILABLE" "UNAVAILABLE: the pipeline is over its memory" \
    "$(addr otlp/held grpc)" --file "$SIMPLE"

# ---- grpc-timeout: a call whose deadline passed is answered DEADLINE_EXCEEDED and not
# submitted (its client retries it); a live deadline changes nothing. A timeout below one
# millisecond has passed by the time the call is handled.
python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"\0" + struct.pack(">I", len(d)) + d)' "$SIMPLE" "$T/simple.grpc"
export_url="http://$GRPC/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"
nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' -H 'grpc-timeout: 1n' \
    -d "$T/simple.grpc" "$export_url" >"$T/deadline.out" 2>&1 || true
check "an expired grpc-timeout -> DEADLINE_EXCEEDED" grep -aq "grpc-status: 4" "$T/deadline.out"
nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' -H 'grpc-timeout: 10S' \
    -d "$T/simple.grpc" "$export_url" >"$T/deadline.out" 2>&1 || true
check "a live grpc-timeout -> OK" grep -aq "grpc-status: 0" "$T/deadline.out"
accepted "$SIMPLE"

# ---- metrics, stop, and what was exported ----------------------------------------------------
curl -s "$METRICS" >"$T/metrics" || bad "GET /metrics"
metric() { # metric LABELS: the value of profcol_receiver_refused_profiles_total{LABELS}
    sed -n "s#^profcol_receiver_refused_profiles_total{$1} ##p" "$T/metrics"
}
check "refused undecodable counted (4)" [ "$(metric 'receiver="otlp",reason="undecodable"')" = 4 ]
check "refused no_samples counted (2)" [ "$(metric 'receiver="otlp",reason="no_samples"')" = 2 ]
check "refused deadline_exceeded counted (1)" \
    [ "$(metric 'receiver="otlp",reason="deadline_exceeded"')" = 1 ]
check "refused too_large counted on otlp/small" \
    [ "$(metric 'receiver="otlp/small",reason="too_large"')" -ge 2 ]
check "refused unauthenticated counted on otlp/auth (3)" \
    [ "$(metric 'receiver="otlp/auth",reason="unauthenticated"')" = 3 ]
check "refused memory_limit counted on otlp/held" \
    [ "$(metric 'receiver="otlp/held",reason="memory_limit"')" -ge 1 ]

stop_profcol TERM
check "SIGTERM: exit 0" [ "$PCOL_EXIT" -eq 0 ]
check "no leaked handles" sh -c "! grep -q 'left open' '$PCOL_LOG'"
summary "$T/out.jsonl" | sort >"$T/got" || bad "the exporter output is not OTLP/JSON"
sort "$T/expected" >"$T/want"
if cmp -s "$T/got" "$T/want"; then
    ok
else
    bad "the exporter output differs from the accepted requests (profiles and samples):"
    diff "$T/want" "$T/got" | head -20 >&2 || true
fi
held=$(summary "$T/held.jsonl" | wc -l)
check "the held batches were flushed at stop ($held)" [ "$held" -ge 1 ]
finish
