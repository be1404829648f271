#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# go_pprof.sh PROFCOL CORPUS_DIR: the reference pprof implementation (`go tool
# pprof`, Debian golang-go) must read what profcol writes, and see the same
# profile as in the original. Owned by the CLI (core/main.c) work.
#
# Every corpus pprof file goes pprof -> OTLP -> pprof through profcol; both
# OTLP corpus files go OTLP -> pprof. `go tool pprof -raw` must exit 0 on the
# result, which is then compared with the original's -raw output after this
# normalisation (the `normalise` awk program below):
#   - numeric ids are meaningless across encoders, so every sample's location
#     ids are replaced by the text of those locations, and each location's
#     M=<id> by the text of that mapping (minus its id); location and mapping
#     lists are not compared on their own, so unused entries (which a
#     converter need not keep) do not matter;
#   - each sample becomes one line "S <values> @ <loc> ; <loc> ... | <labels>",
#     runs of blanks are squeezed, and all lines are sorted, so sample order
#     does not matter but every value, frame, line number, mapping field,
#     label and header line (Comment, PeriodType, Period, Time, Duration, the
#     sample-type line with its [dflt] marker) does.
# The OTLP files have no pprof original: their normalised output is compared
# with the text expected from the OTLP content (written out below).
set -eu

PROFCOL=$1
CORPUS=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v go >/dev/null 2>&1; then
    bad "'go' is not installed (scripts/setup.sh installs golang-go)"
    finish || exit 1
fi
export HOME="$T" GOCACHE="$T/gocache" PPROF_TMPDIR="$T" TZ=UTC

normalise() {
    awk '
    function squeeze(s) {
        gsub(/[ \t]+/, " ", s)
        sub(/^ /, "", s)
        sub(/ $/, "", s)
        return s
    }
    function location(id,    s, m) {
        if (!(id in loc)) {
            return "?" id
        }
        s = loc[id]
        if (match(s, /M=[0-9]+/)) {
            m = substr(s, RSTART + 2, RLENGTH - 2)
            s = substr(s, 1, RSTART - 1) "M=[" map[m] "]" substr(s, RSTART + RLENGTH)
        }
        return s
    }
    /^Samples:$/ { sec = 1; typeline = 1; next }
    /^Locations$/ { sec = 2; next }
    /^Mappings$/ { sec = 3; next }
    sec == 0 { print "H " squeeze($0); next }
    sec == 1 && typeline { print "T " squeeze($0); typeline = 0; next }
    sec == 1 && /^                [^ ]/ { sample[ns] = sample[ns] " | " squeeze($0); next }
    sec == 1 { sample[++ns] = $0; next }
    sec == 2 && /^ *[0-9]+: / {
        cur = $1
        sub(/:$/, "", cur)
        s = $0
        sub(/^ *[0-9]+: /, "", s)
        loc[cur] = squeeze(s)
        next
    }
    sec == 2 { loc[cur] = loc[cur] " + " squeeze($0); next }
    sec == 3 {
        id = $1
        sub(/:$/, "", id)
        s = $0
        sub(/^[0-9]+: /, "", s)
        map[id] = squeeze(s)
    }
    END {
        for (i = 1; i <= ns; i++) {
            s = sample[i]
            labels = ""
            p = index(s, " | ")
            if (p) {
                labels = substr(s, p)
                s = substr(s, 1, p - 1)
            }
            p = index(s, ": ")
            out = "S " squeeze(substr(s, 1, p - 1)) " @"
            n = split(substr(s, p + 2), ids, " ")
            for (j = 1; j <= n; j++) {
                out = out (j > 1 ? " ;" : "") " " location(ids[j])
            }
            print out labels
        }
    }' "$1" | LC_ALL=C sort
}

# raw FILE OUT: go tool pprof -raw FILE > OUT; returns its exit status.
raw() {
    go tool pprof -raw "$1" >"$2" 2>"$2.err"
}

# norm_samples NORMALISED: the sample lines of a normalised -raw listing.
norm_samples() {
    grep -c '^S ' "$1" || true
}

# check NAME PPROF EXPECTED_NORMALISED [no-comments]: go reads PPROF and sees
# EXPECTED (ignoring Comment lines with no-comments).
check() {
    name=$1
    if ! raw "$2" "$T/ours.raw"; then
        bad "$name: go tool pprof -raw failed on our output: $(head -c 300 "$T/ours.raw.err")"
        return 0
    fi
    ok
    if [ "${4:-}" = no-comments ]; then
        normalise "$T/ours.raw" | grep -v '^H Comment: ' >"$T/ours.norm" || true
    else
        normalise "$T/ours.raw" >"$T/ours.norm"
    fi
    want_type=$(grep '^T ' "$3" || true)
    got_type=$(grep '^T ' "$T/ours.norm" || true)
    if [ "$want_type" = "$got_type" ]; then
        ok
    else
        bad "$name: sample types '$got_type', expected '$want_type'"
    fi
    if [ "$(norm_samples "$3")" -eq "$(norm_samples "$T/ours.norm")" ]; then
        ok
    else
        bad "$name: $(norm_samples "$T/ours.norm") samples, expected $(norm_samples "$3")"
    fi
    if diff "$3" "$T/ours.norm" >"$T/diff"; then
        ok
    else
        bad "$name: -raw differs after normalisation (< expected, > ours):"
        head -20 "$T/diff" >&2
    fi
}

# ---- corpus pprof files: pprof -> OTLP -> pprof, compared with the original
for f in "$CORPUS"/*; do
    n=${f##*/}
    case $n in
        *.legacy | *.textproto | *.md | otlp_*) continue ;;
    esac
    if ! raw "$f" "$T/orig.raw"; then
        bad "$n: go tool pprof cannot read the original"
        continue
    fi
    normalise "$T/orig.raw" >"$T/orig.norm"
    if ! "$PROFCOL" convert "$f" "$T/$n.binpb" 2>"$T/err" ||
        ! "$PROFCOL" convert "$T/$n.binpb" "$T/$n.pb.gz" 2>>"$T/err"; then
        bad "$n: profcol convert failed: $(cat "$T/err")"
        continue
    fi
    check "$n" "$T/$n.pb.gz" "$T/orig.norm"
done

# What -raw must print for pprof_all_fields.pb.gz, whatever else matches.
if raw "$T/pprof_all_fields.pb.gz.pb.gz" "$T/all.raw"; then
    for want in '^PeriodType: cpu nanoseconds$' '^Period: 10000000$' '^Time: ' \
        '^Duration: 10s$' '^Samples:$' 'thread_name:\[worker-1\]' \
        'allocation_size:\[4096 bytes\]' '^Locations$' '^Mappings$' \
        ' \[FN\]\[FL\]\[LN\]\[IN\]$' 'cpu/nanoseconds\[dflt\]'; do
        if grep -q "$want" "$T/all.raw"; then
            ok
        else
            bad "pprof_all_fields: -raw output lacks /$want/"
        fi
    done
fi

# ---- OTLP corpus files: OTLP -> pprof, compared with the text their OTLP
# content means. Comment lines are ignored: what a converter keeps of OTel-only
# data (resource attributes) in pprof comments is its own business. Two things
# in the expected text are not in the OTLP files: `go tool pprof` gives a
# profile without mappings one fake empty mapping (M=[0x0/0x0/0x0]), and the
# pprof codec writes a sample's Link as the labels trace_id and span_id.
m0='M=[0x0/0x0/0x0]'
link='span_id:[ff01020304050607] trace_id:[1122aabbccddeeff0000000000000000]'
cat >"$T/simple_cpu.want" <<EOF
H Duration: 1s
H Period: 50000000
H PeriodType: cpu nanoseconds
H Time: 2009-02-13 23:31:30 +0000 UTC
S 2 @ 0x0 $m0 baz baz.go:40 s=0() ; 0x0 $m0 main main.go:10 s=0()
S 3 @ 0x0 $m0 bar bar.go:30 s=0() ; 0x0 $m0 foo foo.go:20 s=0() ; 0x0 $m0 main main.go:10 s=0()
T samples/count
EOF
cat >"$T/resource_link.want" <<EOF
H Duration: 1s
H Period: 50000000
H PeriodType: cpu nanoseconds
H Time: 2033-05-18 03:33:20 +0000 UTC
S 3 @ 0x0 $m0 handleRequest server.go:45 s=0()
S 5 @ 0x0 $m0 db.Query db.go:112 s=0() ; 0x0 $m0 handleRequest server.go:45 s=0() | $link
T samples/count
EOF
for otlp in simple_cpu resource_link; do
    for ext in binpb json; do
        n=otlp_spec_$otlp.$ext
        if ! "$PROFCOL" convert "$CORPUS/$n" "$T/$n.pb.gz" 2>"$T/err"; then
            bad "$n: profcol convert failed: $(cat "$T/err")"
            continue
        fi
        check "$n" "$T/$n.pb.gz" "$T/$otlp.want" no-comments
    done
done

finish
