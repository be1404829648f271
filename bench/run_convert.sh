#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/run_convert.sh [BUILD_DIR]: the pprof -> OTLP conversion benchmark,
# run from the repository root after building (BUILD_DIR defaults to build).
# It builds the Go helpers under bench/go/ in a temporary GOPATH (Debian's
# golang-go and golang-github-google-pprof-dev), records a ~3 s Go CPU
# profile, then times on google-pprof__large.cpu and that profile (falling
# back to parca__profile-with-labels.pb.gz if it cannot be made):
#   - bench_convert: our conversion, the zlib + protobuf-c floor and R;
#   - bench/go/pprofbench: Go's profile.Parse + Write of the same files.
# The final table gives our µs, Go's µs, the speed-up (target >= 3x) and R
# (target <= 1.3). Numbers are printed as measured.
set -eu

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${PCOL_CORPUS_DIR:-$ROOT/../shared/corpus}
BENCH="$BUILD/bench/bench_convert"
PPROF_PKG=/usr/share/gocode/src/github.com/google/pprof/profile

if [ ! -x "$BENCH" ]; then
    echo "run_convert.sh: $BENCH not found; build first (cmake --build $BUILD)" >&2
    exit 1
fi
if ! command -v go >/dev/null 2>&1 || [ ! -d "$PPROF_PKG" ]; then
    echo "run_convert.sh: needs golang-go and golang-github-google-pprof-dev" \
        "(scripts/setup.sh)" >&2
    exit 1
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
export HOME="$T" GOCACHE="$T/gocache" GO111MODULE=off GOPATH="/usr/share/gocode:$T/gopath"

(cd "$ROOT/bench/go/cpuprof" && go build -o "$T/cpuprof" .)
(cd "$ROOT/bench/go/pprofbench" && go build -o "$T/pprofbench" .)

second="$T/go-cpu-3s.pb.gz"
if ! "$T/cpuprof" -d 3s -o "$second" || [ ! -s "$second" ]; then
    echo "run_convert.sh: could not record a Go CPU profile; using the parca corpus file" >&2
    second="$CORPUS/parca__profile-with-labels.pb.gz"
fi
files="$CORPUS/google-pprof__large.cpu $second"

echo "== profcol (bench_convert)"
# shellcheck disable=SC2086
"$BENCH" $files | tee "$T/c.out"
echo
echo "== Go $(go env GOVERSION) github.com/google/pprof/profile (pprofbench)"
# shellcheck disable=SC2086
"$T/pprofbench" $files | tee "$T/go.out"
echo

awk '
    $1 == "RESULT" { ours[$2] = $5; floor[$2] = $6; r[$2] = $8; order[++n] = $2 }
    $1 == "GO" { gow[$2] = $5; gou[$2] = $7 }
    END {
        printf "%-26s %10s %10s %5s %11s %8s %11s %8s\n", "file", "ours us", "floor us",
            "R", "Go P+W us", "speed-up", "Go P+WU us", "vs P+WU"
        for (i = 1; i <= n; i++) {
            f = order[i]
            up = gow[f] / ours[f]
            printf "%-26s %10.1f %10.1f %5.2f %11.1f %7.2fx %11.1f %7.2fx  R %s, speed-up %s\n",
                f, ours[f], floor[f], r[f], gow[f], up, gou[f], gou[f] / ours[f],
                (r[f] <= 1.3 ? "PASS" : "MISS"), (up >= 3 ? "PASS" : "MISS")
        }
        print ""
        print "ours = pprof gz -> OTLP bytes; floor = zlib inflate + protobuf-c unpack;"
        print "Go P+W = profile.Parse + Write (gzip); Go P+WU = Parse + WriteUncompressed."
        print "Targets: R = ours/floor <= 1.3; speed-up = Go P+W / ours >= 3x."
    }' "$T/c.out" "$T/go.out"
