#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tls.sh PROFCOL CORPUS_DIR: the pprof receiver over HTTPS, with certificates
# made here by the openssl CLI (two unrelated CAs; server and client
# certificates from each). curl trusting the CA gets through (HTTP/1.1 and
# HTTP/2 by ALPN, by name and by IP); without the CA, with the other CA, or
# in plain HTTP it is refused and the server keeps serving. Under mTLS a
# client certificate from the CA gets through; none, one from the other CA,
# or TLS 1.2 against min_version 1.3 are refused. `profcol validate` and the
# start report bad tls settings with the file named. SIGHUP re-reads the
# certificates: with a broken config (the old listeners stay) `openssl
# s_client` sees the replaced certificate on the same port, a broken
# certificate keeps the one loaded, and a good reload serves the files too.
# Owned by the TLS work (core/tls.c).
set -eu

PROFCOL=$1
CORPUS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"

for tool in curl openssl; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 0; }
done

check() { # check WHAT COMMAND...: counts COMMAND's success
    _what=$1
    shift
    if "$@"; then ok; else bad "$_what"; fi
}

# ---- certificates ------------------------------------------------------------------------
ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$T/$1.key" -out "$T/$1.crt" -subj "/CN=$1" 2>/dev/null
}
leaf() { # leaf NAME CA CN EXTENSION
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$3" 2>/dev/null
    echo "$4" >"$T/$1.ext"
    openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.crt" -CAkey "$T/$2.key" -CAcreateserial \
        -days 2 -out "$T/$1.crt" -extfile "$T/$1.ext" 2>/dev/null
}
SAN=subjectAltName=DNS:localhost,IP:127.0.0.1
ca ca1
ca ca2
leaf server ca1 localhost "$SAN"
leaf renewed ca1 renewed.localhost "$SAN"
leaf client ca1 client extendedKeyUsage=clientAuth
leaf client2 ca2 client extendedKeyUsage=clientAuth
use_cert() { # use_cert NAME: what the live.* files the config names hold
    cp "$T/$1.crt" "$T/live.crt"
    cp "$T/$1.key" "$T/live.key"
}
use_cert server

# ---- config errors -----------------------------------------------------------------------
cat >"$T/bad.yaml" <<EOF
receivers:
  pprof:
    endpoint: 127.0.0.1:0
    tls:
      key_file: $T/server.key
exporters:
  file:
    path: $T/bad.jsonl
service:
  pipelines:
    profiles:
      receivers: [pprof]
      exporters: [file]
EOF
if "$PROFCOL" validate --config "$T/bad.yaml" >"$T/validate.out" 2>&1; then
    bad "validate accepts a key_file without cert_file"
else
    check "validate: key_file without cert_file, at the tls section" \
        grep -q "bad.yaml:5:7: error: tls: cert_file and key_file must be given together" \
        "$T/validate.out"
fi
sed -e "s|key_file: .*|cert_file: $T/missing.crt\n      key_file: $T/server.key|" \
    "$T/bad.yaml" >"$T/missing.yaml"
if "$PROFCOL" --config "$T/missing.yaml" >"$T/missing.out" 2>&1; then
    bad "a missing cert_file does not stop the start"
else
    check "a missing cert_file is named in the log" \
        grep -q "cannot load cert_file $T/missing.crt: No such file or directory" \
        "$T/missing.out"
fi

# ---- start ------------------------------------------------------------------------------
cat >"$T/config.yaml" <<EOF
receivers:
  pprof/tls:
    endpoint: 127.0.0.1:0
    tls:
      cert_file: $T/live.crt
      key_file: $T/live.key
  pprof/mtls:
    endpoint: 127.0.0.1:0
    tls:
      cert_file: $T/server.crt
      key_file: $T/server.key
      client_ca_file: $T/ca1.crt
      min_version: 1.3
exporters:
  file:
    path: $T/out.jsonl
service:
  pipelines:
    profiles:
      receivers: [pprof/tls, pprof/mtls]
      exporters: [file]
EOF
start_profcol "$PROFCOL" "$T/config.yaml"
E2E_STDERR=$PCOL_LOG
check "the ready file says https" \
    grep -q "^receiver pprof/tls https 127.0.0.1:[0-9][0-9]*$" "$PCOL_READY"
PORT=$(port_of receiver pprof/tls)
MPORT=$(port_of receiver pprof/mtls)
PROFILE="$CORPUS/parca__single-stack.pb.gz"

# post WHAT WANT CURL_ARGS...: WANT is "STATUS HTTP_VERSION" of a success, or
# "refused" for a request that must fail in TLS (no HTTP status at all).
post() {
    _what=$1
    _want=$2
    shift 2
    _got=$(curl -s -o "$T/answer" -w '%{http_code} %{http_version}' --max-time 10 \
        --data-binary "@$PROFILE" "$@") || true
    case "$_want:$_got" in
    "refused:000 "* | "$_want:$_want") ok ;;
    *) bad "$_what: got '$_got', expected '$_want'" ;;
    esac
}

post "HTTPS by name, HTTP/1.1" "204 1.1" --cacert "$T/ca1.crt" --http1.1 \
    "https://localhost:$PORT/v1/pprof"
post "HTTPS by IP, HTTP/1.1" "204 1.1" --cacert "$T/ca1.crt" --http1.1 \
    "https://127.0.0.1:$PORT/v1/pprof"
post "HTTPS, HTTP/2 by ALPN" "204 2" --cacert "$T/ca1.crt" --http2 \
    "https://localhost:$PORT/v1/pprof"
post "no CA: refused" refused "https://localhost:$PORT/v1/pprof"
post "another CA: refused" refused --cacert "$T/ca2.crt" "https://localhost:$PORT/v1/pprof"
post "plain HTTP to the TLS port: refused" refused "http://127.0.0.1:$PORT/v1/pprof"
post "still serving after the failures" "204 1.1" --cacert "$T/ca1.crt" --http1.1 \
    "https://localhost:$PORT/v1/pprof"
check "the first TLS failure is logged as a warning" \
    grep -q "warn .*TLS handshake failed: .*(further TLS failures: debug level)" "$PCOL_LOG"
check "later TLS failures are not warnings" \
    [ "$(grep -c 'warn .*TLS handshake failed' "$PCOL_LOG")" -eq 1 ]

MTLS="https://localhost:$MPORT/v1/pprof"
post "mTLS with a client certificate" "204 2" --cacert "$T/ca1.crt" \
    --cert "$T/client.crt" --key "$T/client.key" "$MTLS"
post "mTLS without a client certificate: refused" refused --cacert "$T/ca1.crt" "$MTLS"
post "mTLS with a certificate from another CA: refused" refused --cacert "$T/ca1.crt" \
    --cert "$T/client2.crt" --key "$T/client2.key" "$MTLS"
post "TLS 1.2 against min_version 1.3: refused" refused --cacert "$T/ca1.crt" \
    --cert "$T/client.crt" --key "$T/client.key" --tls-max 1.2 "$MTLS"

# ---- SIGHUP -----------------------------------------------------------------------------
# served_cn PORT: the CN of the certificate the server presents now.
served_cn() {
    openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
        openssl x509 -noout -subject 2>/dev/null | sed 's/.*CN *= *//'
}
# refused_reloads N: waits (5 s at most) until N reloads were refused.
refused_reloads() {
    _n=50
    while [ "$(grep -c "keeping the old one" "$PCOL_LOG" || true)" -lt "$1" ] &&
        [ "$_n" -gt 0 ]; do
        sleep 0.1
        _n=$((_n - 1))
    done
    [ "$_n" -gt 0 ]
}
check "before SIGHUP: the first certificate" [ "$(served_cn "$PORT")" = localhost ]

# A broken config keeps the old listeners, whose certificates are re-read.
cp "$T/config.yaml" "$T/config.good.yaml"
echo "receivers: [broken" >"$T/config.yaml"
use_cert renewed
kill -HUP "$PCOL_PID"
check "the broken config is refused" refused_reloads 1
check "SIGHUP with a broken config: the replaced certificate, same port" \
    [ "$(served_cn "$PORT")" = renewed.localhost ]
post "HTTPS with the replaced certificate" "204 1.1" --cacert "$T/ca1.crt" --http1.1 \
    "https://localhost:$PORT/v1/pprof"

echo "not a certificate" >"$T/live.crt"
kill -HUP "$PCOL_PID"
refused_reloads 2 || true
check "a broken certificate is logged and not used" \
    grep -q "cannot load cert_file $T/live.crt: .*keeping the certificates loaded before" \
    "$PCOL_LOG"
check "after a broken certificate: the one loaded before" \
    [ "$(served_cn "$PORT")" = renewed.localhost ]

# A good reload builds new listeners from the files.
use_cert server
cp "$T/config.good.yaml" "$T/config.yaml"
rm -f "$PCOL_READY"
kill -HUP "$PCOL_PID"
check "a good reload rewrites the ready file" wait_for_file "$PCOL_READY"
PORT=$(port_of receiver pprof/tls)
check "after a good reload: the certificate in the files" [ "$(served_cn "$PORT")" = localhost ]
post "HTTPS after the reload" "204 1.1" --cacert "$T/ca1.crt" --http1.1 \
    "https://localhost:$PORT/v1/pprof"

stop_profcol TERM
check "SIGTERM: exit 0" [ "$PCOL_EXIT" -eq 0 ]
check "every accepted profile was exported" [ "$(wc -l <"$T/out.jsonl")" -eq 7 ]
finish
