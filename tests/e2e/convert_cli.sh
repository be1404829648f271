#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# convert_cli.sh PROFCOL CORPUS_DIR: end-to-end tests of `profcol convert` on
# the real corpus: round trips through every format, format detection,
# stdin/stdout, compression, exit codes and one-line errors, and that a
# failure leaves no file behind. Owned by the CLI (core/main.c) work.
set -eu

PROFCOL=$1
CORPUS=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
E2E_STDERR=$T/err

# run ARGS...: runs profcol with stdout in $T/out, stderr in $T/err and the exit
# status in $rc.
run() {
    rc=0
    "$PROFCOL" "$@" >"$T/out" 2>"$T/err" || rc=$?
}

# expect RC WHAT ARGS...: runs profcol and checks its exit status.
expect() {
    want=$1
    what=$2
    shift 2
    run "$@"
    if [ "$rc" -eq "$want" ]; then
        ok
        return 0
    fi
    bad "$what: exit $rc, expected $want"
    return 1
}

# expect_one_line WHAT PATTERN...: stderr is one line holding every pattern.
expect_one_line() {
    what=$1
    shift
    lines=$(wc -l <"$T/err")
    if [ "$lines" -ne 1 ]; then
        bad "$what: $lines stderr lines, expected 1"
        return 0
    fi
    for pat in "$@"; do
        if ! grep -qiF -- "$pat" "$T/err"; then
            bad "$what: stderr lacks '$pat'"
            return 0
        fi
    done
    ok
}

# magic FILE: the first two bytes as hex, e.g. "1f8b".
magic() {
    od -An -tx1 -N2 "$1" | tr -d ' \n'
}

is_gzip() {
    if [ "$(magic "$1")" = "1f8b" ]; then
        ok
    else
        bad "$2: $1 is not gzip (starts with $(magic "$1"))"
    fi
}

pprof_files() {
    for f in "$CORPUS"/*; do
        case ${f##*/} in
            *.legacy | *.textproto | *.md | otlp_*) ;;
            *) echo "$f" ;;
        esac
    done
}

# ---- every pprof file through OTLP and OTLP/JSON and back (detected formats)
for f in $(pprof_files); do
    n=${f##*/}
    expect 0 "$n -> otlp" convert "$f" "$T/$n.binpb" &&
        expect 0 "$n -> otlp -> pprof" convert "$T/$n.binpb" "$T/$n.rt.pb.gz" &&
        is_gzip "$T/$n.rt.pb.gz" "$n -> otlp -> pprof"
    expect 0 "$n -> otlp-json" convert "$f" "$T/$n.json" &&
        expect 0 "$n -> otlp-json -> pprof" convert "$T/$n.json" "$T/$n.rtj.pprof" &&
        is_gzip "$T/$n.rtj.pprof" "$n -> otlp-json -> pprof"
done

# ---- the OTLP corpus files, protobuf and JSON, to pprof
for f in "$CORPUS"/otlp_*.binpb "$CORPUS"/otlp_*.json; do
    n=${f##*/}
    expect 0 "$n -> pprof" convert "$f" "$T/$n.pb.gz" && is_gzip "$T/$n.pb.gz" "$n -> pprof"
done

# ---- detection goes by content, not by a misleading name; --from overrides
cp "$CORPUS/google-pprof__sample.cpu" "$T/misnamed.json"
expect 0 "pprof named .json" convert "$T/misnamed.json" "$T/misnamed.binpb"
cp "$CORPUS/otlp_spec_simple_cpu.json" "$T/misnamed.pb.gz"
expect 0 "OTLP/JSON named .pb.gz" convert "$T/misnamed.pb.gz" "$T/misnamed2.pprof"
cp "$CORPUS/otlp_spec_simple_cpu.binpb" "$T/noext"
expect 0 "OTLP without extension" convert "$T/noext" "$T/noext.pb.gz"
expect 0 "--from pprof" convert --from pprof "$CORPUS/parca__two-stacks.pb.gz" "$T/from.otlp"
expect 0 "--from=otlp_json" convert --from=otlp_json "$CORPUS/otlp_spec_simple_cpu.json" \
    "$T/from.pb"
gzip -c "$CORPUS/otlp_spec_resource_link.binpb" >"$T/gz.binpb.gz"
expect 0 "gzip OTLP" convert "$T/gz.binpb.gz" "$T/gz.pb.gz"
gzip -c "$CORPUS/otlp_spec_resource_link.json" >"$T/gz.json.gz"
expect 0 "gzip OTLP/JSON" convert "$T/gz.json.gz" "$T/gzj.pb.gz"
if command -v zstd >/dev/null 2>&1; then
    zstd -q -c "$CORPUS/otlp_spec_simple_cpu.binpb" >"$T/z.binpb.zst"
    expect 0 "zstd OTLP" convert "$T/z.binpb.zst" "$T/z.pb.gz"
fi

# ---- stdin and stdout
f="$CORPUS/parca__profile-with-labels.pb.gz"
expect 0 "file -> otlp" convert "$f" "$T/labels.binpb"
rc=0
"$PROFCOL" convert --to otlp - - <"$f" >"$T/stdout.binpb" 2>"$T/err" || rc=$?
if [ "$rc" -eq 0 ] && cmp -s "$T/labels.binpb" "$T/stdout.binpb"; then
    ok
else
    bad "stdin -> stdout otlp: exit $rc or output differs from the file conversion"
fi
rc=0
"$PROFCOL" convert --to pprof - - <"$T/stdout.binpb" >"$T/stdout.pb.gz" 2>"$T/err" || rc=$?
if [ "$rc" -eq 0 ]; then
    ok
    is_gzip "$T/stdout.pb.gz" "stdin otlp -> stdout pprof"
else
    bad "stdin otlp -> stdout pprof: exit $rc"
fi
expect 2 "stdout without --to" convert "$f" - && expect_one_line "stdout without --to" "--to"

# ---- compression of pprof output
expect 0 "--no-compress" convert --no-compress "$T/labels.binpb" "$T/raw.pb.gz"
if [ "$(magic "$T/raw.pb.gz")" != "1f8b" ] && [ -s "$T/raw.pb.gz" ]; then
    ok
else
    bad "--no-compress wrote gzip or nothing"
fi
expect 0 "gzip pprof" convert "$T/labels.binpb" "$T/gz.pb.gz"
expect 0 "raw pprof back to otlp" convert "$T/raw.pb.gz" "$T/raw.binpb"
expect 0 "gzip pprof back to otlp" convert "$T/gz.pb.gz" "$T/gz.binpb"
if cmp -s "$T/raw.binpb" "$T/gz.binpb"; then
    ok
else
    bad "raw pprof -> otlp differs from gzip pprof -> otlp"
fi

# ---- bad input: exit 2, one line naming the file and the reason
legacy="$CORPUS/google-pprof__gobench.cpu.legacy"
expect 2 "legacy pprof" convert "$legacy" "$T/legacy.binpb" &&
    expect_one_line "legacy pprof" "profcol: convert: $legacy:" "legacy"

head -c 600 "$CORPUS/google-pprof__large.cpu" >"$T/trunc.pb.gz"
expect 2 "truncated gzip" convert "$T/trunc.pb.gz" "$T/trunc.binpb" &&
    expect_one_line "truncated gzip" "$T/trunc.pb.gz:"
gzip -dc "$CORPUS/google-pprof__sample.cpu" | head -c 1500 >"$T/trunc.pb"
expect 2 "truncated protobuf" convert --from pprof "$T/trunc.pb" "$T/trunc2.binpb" &&
    expect_one_line "truncated protobuf" "$T/trunc.pb:"
head -c 150 "$CORPUS/otlp_spec_simple_cpu.binpb" >"$T/trunc.binpb"
expect 2 "truncated OTLP" convert "$T/trunc.binpb" "$T/trunc3.pb.gz" &&
    expect_one_line "truncated OTLP" "$T/trunc.binpb:"

expect 2 "nonexistent input" convert "$T/nope.pb.gz" "$T/nope.binpb" &&
    expect_one_line "nonexistent input" "$T/nope.pb.gz:"
expect 2 "--max-size" convert --max-size 1KiB "$CORPUS/google-pprof__sample.cpu" "$T/m.binpb" &&
    expect_one_line "--max-size" "google-pprof__sample.cpu:"
expect 0 "--max-size 64MiB" convert --max-size 64MiB "$CORPUS/google-pprof__sample.cpu" \
    "$T/m.binpb"

# ---- usage errors: exit 2, one line with the usage
expect 2 "unknown --to" convert --to xml "$f" "$T/u.xml" &&
    expect_one_line "unknown --to" "xml" "usage: profcol convert"
expect 2 "unknown output extension" convert "$f" "$T/u.xml" &&
    expect_one_line "unknown output extension" "--to" "usage:"
expect 2 "unknown option" convert --bogus "$f" "$T/u.binpb" &&
    expect_one_line "unknown option" "--bogus" "usage:"
expect 2 "missing operand" convert "$f" && expect_one_line "missing operand" "usage:"
expect 2 "bad --max-size" convert --max-size 12XB "$f" "$T/u.binpb" &&
    expect_one_line "bad --max-size" "12XB" "usage:"
expect 2 "unknown command" frobnicate
expect 0 "--version" --version
expect 0 "--help" --help
expect 0 "help convert" help convert
expect 0 "convert --help" convert --help

# ---- failures leave nothing behind
mkdir "$T/clean"
expect 2 "failed conversion" convert "$T/trunc.pb.gz" "$T/clean/out.binpb"
mkdir "$T/clean/busy.pb.gz"
expect 1 "rename onto a directory" convert "$f" "$T/clean/busy.pb.gz" &&
    expect_one_line "rename onto a directory" "busy.pb.gz:"
if [ "$(ls -A "$T/clean")" = "busy.pb.gz" ] && [ -z "$(ls -A "$T/clean/busy.pb.gz")" ]; then
    ok
else
    bad "files left behind after failures: $(ls -A "$T/clean")"
fi
expect 1 "missing output directory" convert "$f" "$T/nodir/out.binpb"
if [ -w /dev/full ]; then
    rc=0
    "$PROFCOL" convert --to otlp "$f" - >/dev/full 2>"$T/err" || rc=$?
    if [ "$rc" -eq 1 ]; then
        ok
        expect_one_line "stdout write error" "<stdout>:"
    else
        bad "write to /dev/full: exit $rc, expected 1"
    fi
fi

# ---- OTLP that needs several pprof files; dropped OTel-only data warns once
cat >"$T/two.json" <<'EOF'
{"resourceProfiles":[
 {"scopeProfiles":[{"profiles":[{"sampleType":{"typeStrindex":1,"unitStrindex":2},
  "samples":[{"stackIndex":1,"values":["3"]}],"timeUnixNano":"1000000000"}]}]},
 {"scopeProfiles":[{"profiles":[{"sampleType":{"typeStrindex":3,"unitStrindex":4},
  "samples":[{"stackIndex":1,"values":["7"]}],"timeUnixNano":"2000000000"}]}]}],
 "dictionary":{"mappingTable":[{}],"locationTable":[{},{"lines":[{"functionIndex":1}]}],
  "functionTable":[{},{"nameStrindex":5}],"linkTable":[{}],"attributeTable":[{}],
  "stringTable":["","samples","count","cpu","nanoseconds","main"],
  "stackTable":[{},{"locationIndices":[1]}]}}
EOF
mkdir "$T/split"
expect 0 "two resources -> pprof" convert "$T/two.json" "$T/split/out.pb.gz" &&
    expect_one_line "two resources -> pprof" "$T/split/out.2.pb.gz"
if [ "$(ls "$T/split" | tr '\n' ' ')" = "out.2.pb.gz out.pb.gz " ]; then
    ok
    is_gzip "$T/split/out.2.pb.gz" "second pprof"
else
    bad "split output files: $(ls -A "$T/split" | tr '\n' ' ')"
fi
expect 2 "two resources -> stdout" convert --to pprof "$T/two.json" - &&
    expect_one_line "two resources -> stdout" "separate pprof"

sed 's/"values":\["3"\]/"values":["3"],"timestampsUnixNano":["1000000001"]/' "$T/two.json" |
    sed 's/"values":\["7"\]/"values":["7"],"timestampsUnixNano":["2000000001"]/' \
        >"$T/ts.json"
expect 0 "timestamps -> pprof" convert "$T/ts.json" "$T/ts.pb.gz"
if [ "$(grep -c warning "$T/err")" -eq 1 ]; then
    ok
else
    bad "timestamps -> pprof: expected exactly one warning line"
fi

# original_payload: pprof -> OTLP keeps the input bytes; back with --use-original
# they come out byte for byte, without it the profile is re-encoded.
for f in parca__fgprof.pb.gz pprof_all_fields.pb.gz; do
    expect 0 "$f keep-original" convert --keep-original "$CORPUS/$f" "$T/orig.binpb"
    expect 0 "$f use-original" convert --use-original "$T/orig.binpb" "$T/orig.pb.gz"
    if cmp -s "$T/orig.pb.gz" "$CORPUS/$f"; then ok; else bad "$f: --use-original not byte-exact"; fi
    expect 0 "$f re-encode" convert "$T/orig.binpb" "$T/reenc.pb.gz"
    if cmp -s "$T/reenc.pb.gz" "$CORPUS/$f"; then bad "$f: expected a re-encoded pprof"; else ok; fi
done

finish
