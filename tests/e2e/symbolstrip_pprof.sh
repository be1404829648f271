#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# symbolstrip_pprof.sh PROFCOL CORPUS_DIR: the `symbolstrip` processor end to
# end, judged by the reference pprof reader (`go tool pprof`, Debian
# golang-go). Owned by the symbolstrip processor work.
#
# A real Go CPU profile is recorded here (bench/go/cpuprof, built into the
# scratch directory, whose binary stays there), and the corpus Go profile
# parca__profile-with-labels.pb.gz is used as well. Each goes through
# `profcol run`: a once-run file receiver -> symbolstrip (mode drop, keep
# '^runtime\.') -> the file exporter writing a pprof directory. Then:
#   - the run exits 0 and logs the mode once;
#   - `go tool pprof -raw` and `-top` (with -symbolize=none: what the file
#     says, not what pprof can look up) succeed on the output;
#   - the same number of samples as the input; every location still has its
#     address, and the mappings (ranges, offsets, paths, build ids) are the
#     input's, without the [FN][FL][LN][IN] flags;
#   - no function name but runtime.* anywhere (the input had others); -top
#     names frames without one by their binary ([cpuprof]) or <unknown>;
#   - the recorded profile, symbolised locally from its binary
#     (-symbolize=local), shows main.* names again: the addresses and
#     mappings left are enough to symbolise later.
set -eu

PROFCOL=$1
CORPUS=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
E2E_STDERR=$T/stderr
HERE=$(cd "$(dirname "$0")" && pwd)

if ! command -v go >/dev/null 2>&1; then
    bad "'go' is not installed (scripts/setup.sh installs golang-go)"
    finish || exit 1
fi
export HOME="$T" GOCACHE="$T/gocache" PPROF_TMPDIR="$T" TZ=UTC GO111MODULE=off GOFLAGS=

# config NAME: file receiver over $T/NAME.in -> symbolstrip -> pprof files
# in $T/NAME.out.
config() {
    cat >"$T/$1.yaml" <<EOF
receivers:
  file:
    include: ["$T/$1.in/*"]
    once: true
processors:
  symbolstrip:
    mode: drop
    keep: ['^runtime\.']
exporters:
  file:
    path: $T/$1.out
    format: pprof
    create_directory: true
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    profiles: {receivers: [file], processors: [symbolstrip], exporters: [file]}
EOF
}

# section NAME FILE: one section (Samples, Locations, Mappings) of -raw output.
section() {
    awk -v s="$1" '/^[A-Z][a-z]+:?$/ { on = ($0 == s || $0 == s ":"); next } on' "$2"
}

# names RAW: the function names of a -raw listing's locations, one a line
# (location lines "N: 0xADDR [M=k] [[F]] name file:line s=..", inlined
# frames on the lines below them "name file:line s=..").
names() {
    section Locations "$1" | awk '{
        i = 1
        if ($1 ~ /^[0-9]+:$/) {
            i = 3
        }
        while (i <= NF && ($i ~ /^M=[0-9]+$/ || $i ~ /^\[/)) {
            i++
        }
        if (i <= NF) {
            print $i
        }
    }'
}

# mappings RAW: the mapping lines of a -raw listing without ids and flags.
mappings() {
    section Mappings "$1" | sed -e 's/^[0-9]*: //' -e 's/ *\(\[[A-Z][A-Z]\]\)*$//' | sort -u
}

# check NAME INPUT: runs the pipeline on INPUT and checks its output.
check() {
    name=$1
    input=$2
    mkdir -p "$T/$name.in"
    cp "$input" "$T/$name.in/"
    config "$name"
    rc=0
    "$PROFCOL" run --config "$T/$name.yaml" 2>"$T/stderr" || rc=$?
    if [ "$rc" -eq 0 ]; then ok; else bad "$name: profcol run exited $rc"; return 0; fi
    if [ "$(grep -c 'symbolstrip\] mode drop: ' "$T/stderr")" -eq 1 ]; then
        ok
    else
        bad "$name: the mode is not logged once at start"
    fi
    set -- "$T/$name.out"/*.pb.gz
    if [ -f "$1" ]; then ok; else bad "$name: no pprof file written"; return 0; fi

    go tool pprof -raw -symbolize=none "$input" >"$T/in.raw" 2>/dev/null
    if go tool pprof -raw -symbolize=none "$@" >"$T/out.raw" 2>"$T/out.err"; then
        ok
    else
        bad "$name: go tool pprof -raw failed: $(head -c 300 "$T/out.err")"
        return 0
    fi
    if go tool pprof -top -symbolize=none "$@" >"$T/out.top" 2>"$T/out.err"; then
        ok
    else
        bad "$name: go tool pprof -top failed: $(head -c 300 "$T/out.err")"
    fi

    want=$(samples "$T/$name.in"/*)
    got=$(samples "$@")
    if [ "$got" -eq "$want" ] && [ "$got" -gt 0 ]; then
        ok
    else
        bad "$name: $got samples, expected $want"
    fi
    # every location keeps an address; the mappings are the input's
    n_loc=$(section Locations "$T/out.raw" | grep -c '^ *[0-9]*: ' || true)
    n_addr=$(section Locations "$T/out.raw" | grep -c '^ *[0-9]*: 0x[0-9a-f]*[1-9a-f][0-9a-f]* ' ||
        true)
    if [ "$n_loc" -gt 0 ] && [ "$n_addr" -gt 0 ]; then ok; else bad "$name: no addresses left"; fi
    mappings "$T/in.raw" >"$T/in.maps"
    mappings "$T/out.raw" >"$T/out.maps"
    if [ -s "$T/out.maps" ] && [ -z "$(comm -13 "$T/in.maps" "$T/out.maps")" ]; then
        ok
    else
        bad "$name: mappings changed: $(comm -3 "$T/in.maps" "$T/out.maps" | head -5)"
    fi
    if section Mappings "$T/out.raw" | grep -q '\[FN\]\|\[FL\]\|\[LN\]\|\[IN\]'; then
        bad "$name: a mapping still says it has symbols"
    else
        ok
    fi
    # names: the input had others, the output has runtime.* alone
    if names "$T/in.raw" | grep -qv '^runtime\.'; then ok; else bad "$name: nothing to strip"; fi
    if names "$T/out.raw" | grep -q '^runtime\.'; then ok; else bad "$name: runtime.* gone"; fi
    other=$(names "$T/out.raw" | grep -v '^runtime\.' | sort -u | head -5)
    if [ -z "$other" ]; then ok; else bad "$name: -raw shows other names: $other"; fi
    other=$(awk 'on { print $6 } /^ *flat  flat%/ { on = 1 }' "$T/out.top" |
        grep -v '^runtime\.' | grep -v '^\[.*\]$' | grep -v '^<unknown>$' | head -5)
    if [ -z "$other" ]; then ok; else bad "$name: -top shows other names: $other"; fi
    echo "$name: $want samples, $n_loc locations ($n_addr with an address)," \
        "$(names "$T/in.raw" | sort -u | wc -l) -> $(names "$T/out.raw" | sort -u | wc -l)" \
        "function names"
}

# ---- a Go profile recorded now -------------------------------------------------
if (cd "$HERE/../../bench/go/cpuprof" && go build -o "$T/cpuprof" .) >"$T/go.out" 2>&1 &&
    "$T/cpuprof" -d 1s -o "$T/go-cpu.pb.gz" >>"$T/go.out" 2>&1 && [ -s "$T/go-cpu.pb.gz" ]; then
    ok
    check recorded "$T/go-cpu.pb.gz"
    # symbolised later, by address, from the binary still on disk
    if go tool pprof -raw -symbolize=local "$T/recorded.out"/*.pb.gz >"$T/local.raw" 2>/dev/null &&
        names "$T/local.raw" | grep -q '^main\.'; then
        ok
    else
        bad "recorded: local symbolisation does not bring main.* back"
    fi
else
    bad "could not record a Go CPU profile: $(cat "$T/go.out")"
fi

# ---- the corpus Go profile (build ids, several mappings) -----------------------
check parca "$CORPUS/parca__profile-with-labels.pb.gz"

finish
