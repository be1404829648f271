#!/bin/sh
# profcol's first job: profile a real Go program for two seconds, convert the
# pprof to OTLP/JSON and back with `profcol convert`, and show that the Go
# reference tool reads the result. Run after the build (see README); the Go
# profile is left in ./profile.pb.gz for the README's quick start.
set -eu
cd "$(dirname "$0")/.."
PROFCOL=${PROFCOL:-build/profcol}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export HOME="$T" GOCACHE="$T/gocache" GOFLAGS=-mod=mod GO111MODULE=off

echo "== profiling a Go program for 2s (runtime/pprof)"
(cd bench/go/cpuprof && go build -o "$T/cpuprof" .)
"$T/cpuprof" -d 2s -o "$T/cpu.pb.gz"
ls -l "$T/cpu.pb.gz" | awk '{print "   pprof:", $5, "bytes"}'

echo "== pprof -> OTLP/JSON"
"$PROFCOL" convert "$T/cpu.pb.gz" "$T/cpu.json"
ls -l "$T/cpu.json" | awk '{print "   OTLP/JSON:", $5, "bytes"}'
head -c 300 "$T/cpu.json"; echo " ..."

echo "== OTLP/JSON -> pprof"
"$PROFCOL" convert "$T/cpu.json" "$T/back.pb.gz"

echo "== go tool pprof -top on the round-tripped profile"
PPROF_TMPDIR="$T" go tool pprof -top -nodecount=10 "$T/back.pb.gz" 2>/dev/null
cp "$T/cpu.pb.gz" ./profile.pb.gz
echo "== the Go profile is in ./profile.pb.gz"
