#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# otlp_exporter.sh PROFCOL CORPUS_DIR: the `otlp` and `otlp_http` exporters
# end to end against real peers. grpc_server.py (Debian's python3-grpcio,
# run with /usr/bin/python3) is the gRPC server, and in --http mode a
# standard-library OTLP/HTTP server; both save every accepted request, and
# the saved bytes must convert back (`profcol convert`) to the samples of
# the corpus files sent (`go tool pprof -raw` counts them). Checked:
#   - gRPC with gzip and without compression, headers from ${env:...}, the
#     otlp-profiles-development-version header;
#   - UNAVAILABLE on the first calls is retried and nothing is lost;
#     RESOURCE_EXHAUSTED is retried only with RetryInfo; INVALID_ARGUMENT
#     is dropped once and counted in /metrics (send_failed);
#   - a server that is down at first gets the data once it comes up;
#   - TLS with the server's CA, refused with a wrong CA, mTLS;
#   - otlp_http: protobuf and JSON, 503 + Retry-After honoured, 400 dropped,
#     partial success logged, not retried, its rejected profiles counted as
#     send_failed;
#   - the sidecar -> gateway chain: two profcol processes, the sidecar's
#     pprof receiver feeding otlp (zstd) and otlp_http (JSON) exporters into
#     the gateway's otlp receiver, whose file exporter must hold both copies
#     after both stop.
# Owned by the OTLP exporter work.
set -eu

PROFCOL=$1
CORPUS=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
SERVER="$(cd "$(dirname "$0")" && pwd)/grpc_server.py"
PY=/usr/bin/python3
E2E_STDERR=$T/stderr

if ! "$PY" -c 'import grpc' 2>/dev/null; then
    bad "/usr/bin/python3 has no grpc module (Debian python3-grpcio; scripts/setup.sh)"
    finish || exit 1
fi
for tool in go curl openssl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        bad "'$tool' is not installed (scripts/setup.sh installs it)"
        finish || exit 1
    fi
done
export HOME="$T" GOCACHE="$T/gocache" PPROF_TMPDIR="$T" TZ=UTC

INPUTS="google-pprof__sample.cpu parca__two-stacks.pb.gz parca__profile-with-labels.pb.gz
pprof_all_fields.pb.gz"
N_INPUTS=$(echo "$INPUTS" | wc -w)
INCLUDE=
for f in $INPUTS; do
    INCLUDE="$INCLUDE${INCLUDE:+, }\"$CORPUS/$f\""
done
ONE="$CORPUS/google-pprof__sample.cpu"

# received DIR: the samples of every request saved in DIR, converted back.
received() {
    total=0
    for f in "$1"/req-*.binpb "$1"/req-*.json; do
        [ -e "$f" ] || continue
        rm -f "$T"/back*.pb.gz
        "$PROFCOL" convert "$f" "$T/back.pb.gz" 2>>"$T/stderr" || return 1
        total=$((total + $(samples "$T"/back*.pb.gz)))
    done
    echo "$total"
}

# equal WHAT GOT WANT
equal() {
    if [ "$2" = "$3" ]; then
        ok
    else
        bad "$1: got '$2', expected '$3'"
    fi
}

# metric WHAT SERIES: waits (5 s at most) until /metrics of the running
# profcol has the line SERIES (a regular expression), then checks it.
metric() {
    _url="http://127.0.0.1:$(port_of telemetry metrics)/metrics"
    _n=50
    while ! curl -s "$_url" | grep -q "$2" && [ "$_n" -gt 0 ]; do
        sleep 0.1
        _n=$((_n - 1))
    done
    check "$1" sh -c "curl -s '$_url' | grep -q '$2'"
}

# once_config FILE EXPORTER_LINE...: the corpus inputs read once by a file
# receiver, into an exporter configured by the given YAML lines (indented
# under `exporters:`).
once_config() {
    _cfg=$1
    shift
    {
        echo "receivers:"
        echo "  file: {include: [$INCLUDE], once: true}"
        echo "exporters:"
        for line in "$@"; do
            echo "  $line"
        done
        echo "service:"
        echo "  shutdown_timeout: 10s"
        echo "  telemetry: {metrics: {level: none}}"
        echo "  pipelines:"
        echo "    profiles: {receivers: [file], exporters: [$EXPORTER]}"
    } >"$_cfg"
}

# run_once WHAT EXPORTER_LINE...: runs that once-config; it must exit 0.
run_once() {
    _what=$1
    shift
    once_config "$T/once.yaml" "$@"
    _rc=0
    "$PROFCOL" run --config "$T/once.yaml" 2>"$T/stderr" || _rc=$?
    if [ "$_rc" -eq 0 ]; then
        ok
    else
        bad "$_what: profcol exited $_rc"
    fi
}

expected=$(samples $(for f in $INPUTS; do echo "$CORPUS/$f"; done))
one_expected=$(samples "$ONE")
RETRY="retry_on_failure: {initial_interval: 50ms, max_interval: 200ms}"

# ---- gRPC: gzip (the default), headers from the environment -------------------------
EXPORTER=otlp
start_server plain
E2E_TENANT=acme run_once "gRPC, gzip" "otlp:" "  endpoint: 127.0.0.1:$SPORT" \
    "  tls: {insecure: true}" "  headers: {x-tenant: \"\${env:E2E_TENANT}\"}"
stop_server
equal "gRPC gzip: accepted calls (one per file)" "$(calls "$T/plain" ok)" "$N_INPUTS"
equal "gRPC gzip: samples received" "$(received "$T/plain")" "$expected"
check "gRPC: header from \${env:...} sent" grep -qx 'x-tenant: acme' "$T/plain/req-1.meta"
check "gRPC: otlp-profiles-development-version: 1 sent" \
    grep -qx 'otlp-profiles-development-version: 1' "$T/plain/req-1.meta"

# ---- gRPC: no compression, http:// endpoint means plain text -------------------------
EXPORTER=otlp_grpc
start_server nocomp
run_once "otlp_grpc, http:// endpoint, no compression" "otlp_grpc:" \
    "  endpoint: http://127.0.0.1:$SPORT" "  compression: none"
stop_server
equal "gRPC none: samples received" "$(received "$T/nocomp")" "$expected"

# ---- gRPC: retryable failures ------------------------------------------------------------
EXPORTER=otlp
start_server retry --fail-first 2
run_once "UNAVAILABLE twice" "otlp:" "  endpoint: 127.0.0.1:$SPORT" "  tls: {insecure: true}" \
    "  $RETRY"
stop_server
equal "UNAVAILABLE: failed calls" "$(calls "$T/retry" UNAVAILABLE)" 2
equal "UNAVAILABLE: retried until every file was accepted" "$(calls "$T/retry" ok)" "$N_INPUTS"
equal "UNAVAILABLE: nothing lost" "$(received "$T/retry")" "$expected"

start_server exhausted --fail-first 1 --status RESOURCE_EXHAUSTED --retry-info-ms 300
run_once "RESOURCE_EXHAUSTED with RetryInfo" "otlp:" "  endpoint: 127.0.0.1:$SPORT" \
    "  tls: {insecure: true}" "  $RETRY"
stop_server
equal "RESOURCE_EXHAUSTED + RetryInfo: retried, nothing lost" "$(received "$T/exhausted")" \
    "$expected"

start_server exhausted2 --status RESOURCE_EXHAUSTED
run_once "RESOURCE_EXHAUSTED without RetryInfo" "otlp:" "  endpoint: 127.0.0.1:$SPORT" \
    "  tls: {insecure: true}" "  $RETRY"
stop_server
equal "RESOURCE_EXHAUSTED alone is permanent: one call per file" "$(calls "$T/exhausted2")" \
    "$N_INPUTS"
check "the drop is logged with the status" grep -q 'RESOURCE_EXHAUSTED' "$T/stderr"

# ---- a running service: INVALID_ARGUMENT is counted; the server comes back later ----
# service_config FILE ENDPOINT: pprof receiver -> otlp exporter, with metrics.
service_config() {
    cat >"$1" <<EOF
receivers:
  pprof: {endpoint: 127.0.0.1:0}
exporters:
  otlp:
    endpoint: $2
    tls: {insecure: true}
    $RETRY
service:
  shutdown_timeout: 5s
  telemetry: {metrics: {address: 127.0.0.1:0}}
  pipelines:
    profiles: {receivers: [pprof], exporters: [otlp]}
EOF
}

start_server invalid --status INVALID_ARGUMENT
service_config "$T/svc.yaml" "127.0.0.1:$SPORT"
start_profcol "$PROFCOL" "$T/svc.yaml"
E2E_STDERR=$PCOL_LOG
check "POST /v1/pprof" curl -sf --data-binary "@$ONE" \
    "http://127.0.0.1:$(port_of receiver pprof)/v1/pprof"
wait_calls "$T/invalid" 1 || true
metric "INVALID_ARGUMENT: the batch's 2 profiles counted as send_failed" \
    '^profcol_exporter_send_failed_profiles_total{exporter="otlp"} 2$'
sleep 0.3
equal "INVALID_ARGUMENT: not retried" "$(calls "$T/invalid")" 1
stop_profcol
equal "service exit status" "$PCOL_EXIT" 0
stop_server

FREE=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
service_config "$T/svc.yaml" "127.0.0.1:$FREE"
start_profcol "$PROFCOL" "$T/svc.yaml"
E2E_STDERR=$PCOL_LOG
check "POST /v1/pprof while the server is down" curl -sf --data-binary "@$ONE" \
    "http://127.0.0.1:$(port_of receiver pprof)/v1/pprof"
sleep 1.5
start_server later --port "$FREE"
check "the server that came back got the batch" wait_calls "$T/later" 1
stop_profcol
equal "service exit status" "$PCOL_EXIT" 0
stop_server
equal "comeback: samples received" "$(received "$T/later")" "$one_expected"
E2E_STDERR=$T/stderr

# ---- TLS ----------------------------------------------------------------------------------
# ca NAME: a CA key and self-signed certificate in $T/NAME.{key,pem}.
ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$T/$1.key" -out "$T/$1.pem" 2>/dev/null
}
# leaf NAME CA: a certificate for 127.0.0.1 / localhost signed by CA.
leaf() {
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$T/$1.key" \
        -out "$T/$1.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$T/$1.ext"
    openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" -CAcreateserial \
        -days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
ca testca
ca otherca
leaf server testca
leaf client testca

start_server tls --tls "$T/server.pem" "$T/server.key"
run_once "TLS with the server's CA" "otlp:" "  endpoint: 127.0.0.1:$SPORT" \
    "  tls: {ca_file: $T/testca.pem}"
equal "TLS: samples received" "$(received "$T/tls")" "$expected"
run_once "TLS with a wrong CA" "otlp:" "  endpoint: 127.0.0.1:$SPORT" \
    "  tls: {ca_file: $T/otherca.pem}" "  retry_on_failure: {enabled: false}"
check "wrong CA: the certificate is refused" grep -qi 'certificate verify failed' "$T/stderr"
equal "wrong CA: nothing more arrived" "$(calls "$T/tls")" "$N_INPUTS"
stop_server

start_server mtls --tls "$T/server.pem" "$T/server.key" --client-ca "$T/testca.pem"
run_once "mTLS with a client certificate" "otlp:" "  endpoint: localhost:$SPORT" \
    "  tls: {ca_file: $T/testca.pem, cert_file: $T/client.pem, key_file: $T/client.key}"
equal "mTLS: samples received" "$(received "$T/mtls")" "$expected"
run_once "mTLS without a client certificate" "otlp:" "  endpoint: localhost:$SPORT" \
    "  tls: {ca_file: $T/testca.pem}" "  retry_on_failure: {enabled: false}"
check "mTLS without a certificate: dropped" grep -q 'dropped a batch' "$T/stderr"
equal "mTLS without a certificate: nothing more arrived" "$(calls "$T/mtls")" "$N_INPUTS"
stop_server

# ---- otlp_http ---------------------------------------------------------------------------
EXPORTER=otlp_http
start_server http503 --http --fail-first 1 --status 503 --retry-after 1
t0=$(date +%s%N)
run_once "otlp_http, 503 + Retry-After" "otlp_http:" "  endpoint: http://127.0.0.1:$SPORT" \
    "  compression: none" "  sending_queue: {num_consumers: 1}" "  $RETRY"
t1=$(date +%s%N)
stop_server
equal "503: retried until every file was accepted" "$(calls "$T/http503" ok)" "$N_INPUTS"
equal "503: nothing lost" "$(received "$T/http503")" "$expected"
check "503: Retry-After (1 s) was honoured over the 50 ms backoff" \
    [ $(((t1 - t0) / 1000000)) -ge 1000 ]

start_server httpjson --http --partial 3
run_once "otlp_http, JSON, gzip" "otlp_http:" \
    "  endpoint: http://127.0.0.1:$SPORT/prefix/" "  encoding: json"
stop_server
check "JSON: posted to the endpoint's path + /v1development/profiles" \
    grep -qx ':path: /prefix/v1development/profiles' "$T/httpjson/req-1.meta"
check "JSON: sent as application/json" \
    grep -qx 'content-type: application/json' "$T/httpjson/req-1.meta"
check "JSON: gzip-compressed" grep -qx 'content-encoding: gzip' "$T/httpjson/req-1.meta"
equal "JSON: samples received" "$(received "$T/httpjson")" "$expected"
check "partial success: logged" grep -q 'only in part: 3 profiles rejected' "$T/stderr"
equal "partial success: not retried" "$(calls "$T/httpjson")" "$N_INPUTS"

start_server httppartial --http --partial 2
cat >"$T/partial.yaml" <<EOF
receivers:
  pprof: {endpoint: 127.0.0.1:0}
exporters:
  otlp_http: {endpoint: "http://127.0.0.1:$SPORT"}
service:
  telemetry: {metrics: {address: 127.0.0.1:0}}
  pipelines:
    profiles: {receivers: [pprof], exporters: [otlp_http]}
EOF
start_profcol "$PROFCOL" "$T/partial.yaml"
E2E_STDERR=$PCOL_LOG
check "POST /v1/pprof" curl -sf --data-binary "@$ONE" \
    "http://127.0.0.1:$(port_of receiver pprof)/v1/pprof"
metric "partial success: the request counts as sent" \
    '^profcol_exporter_sent_profiles_total{exporter="otlp_http"} 2$'
metric "partial success: the 2 rejected profiles count as send_failed" \
    '^profcol_exporter_send_failed_profiles_total{exporter="otlp_http"} 2$'
stop_profcol
equal "service exit status" "$PCOL_EXIT" 0
stop_server
E2E_STDERR=$T/stderr

start_server http400 --http --status 400
run_once "otlp_http, 400" "otlp_http:" "  endpoint: http://127.0.0.1:$SPORT" "  $RETRY"
stop_server
equal "400: permanent, one call per file" "$(calls "$T/http400")" "$N_INPUTS"
check "400: logged with the server's message" grep -q 'HTTP 400: the test server says no' \
    "$T/stderr"

# ---- the sidecar -> gateway chain -------------------------------------------------------------
cat >"$T/gateway.yaml" <<EOF
receivers:
  otlp:
    protocols:
      grpc: {endpoint: 127.0.0.1:0}
      http: {endpoint: 127.0.0.1:0}
exporters:
  file: {path: $T/gateway.jsonl}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    profiles: {receivers: [otlp], exporters: [file]}
EOF
start_profcol "$PROFCOL" "$T/gateway.yaml"
GW_PID=$PCOL_PID
GW_LOG=$PCOL_LOG
gw_grpc=$(awk '$1 == "receiver" && $2 == "otlp" && $3 == "grpc" { print $4 }' "$PCOL_READY")
gw_http=$(awk '$1 == "receiver" && $2 == "otlp" && $3 == "http" { print $4 }' "$PCOL_READY")
cat >"$T/sidecar.yaml" <<EOF
receivers:
  pprof: {endpoint: 127.0.0.1:0}
exporters:
  otlp:
    endpoint: $gw_grpc
    tls: {insecure: true}
    compression: zstd
  otlp_http:
    endpoint: http://$gw_http
    encoding: json
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    profiles: {receivers: [pprof], exporters: [otlp, otlp_http]}
EOF
start_profcol "$PROFCOL" "$T/sidecar.yaml"
E2E_STDERR=$PCOL_LOG
check "sidecar: POST /v1/pprof" curl -sf --data-binary "@$ONE" \
    "http://127.0.0.1:$(port_of receiver pprof)/v1/pprof"
stop_profcol
equal "sidecar exit status" "$PCOL_EXIT" 0
PCOL_PID=$GW_PID
E2E_STDERR=$GW_LOG
stop_profcol
equal "gateway exit status" "$PCOL_EXIT" 0
equal "gateway: one request from each exporter" "$(wc -l <"$T/gateway.jsonl" | tr -d ' ')" 2
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s\n' "$line" >"$T/chain-$n.json"
    rm -f "$T"/back*.pb.gz
    "$PROFCOL" convert "$T/chain-$n.json" "$T/back.pb.gz" 2>>"$T/stderr" || true
    equal "gateway request $n: samples" "$(samples "$T"/back*.pb.gz)" "$one_expected"
done <"$T/gateway.jsonl"

finish
