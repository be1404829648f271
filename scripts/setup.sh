#!/bin/sh
# Installs every Debian package profcol's build, tests and benchmarks need.
# Idempotent: packages already present are left alone; `apt-get update` runs once.
set -eu

PKGS="build-essential cmake pkg-config git ca-certificates
libuv1-dev libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler libssl-dev libyaml-dev
zlib1g-dev libdeflate-dev libzstd-dev node-llhttp
libcmocka-dev golang-go golang-github-google-pprof-dev
python3 python3-grpcio curl nghttp2-client nghttp2-server openssl zstd clang-format"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
