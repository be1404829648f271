#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# file_receiver.sh PROFCOL CORPUS_DIR: the `file` receiver end to end, as CI
# uses it: `profcol run` with a once-run file receiver over a directory must
# exit 0 having exported every file, exit 2 when a file is bad (one error
# line naming it, the good files still exported), and exit 0 with a warning
# when nothing matches. Also: exclude, max_file_size, a forced format, the
# polling mode (new files are read, seen ones are not, SIGTERM stops it
# cleanly), and configs/ci.yaml and configs/sidecar.yaml (validated; ci.yaml
# also run). Inputs are corpus copies in the scratch directory. Owned by the
# file receiver work.
set -eu

PROFCOL=$1
CORPUS=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
E2E_STDERR=$T/stderr
CONFIGS=$(cd "$(dirname "$0")/../../configs" && pwd)

GOOD="google-pprof__sample.cpu parca__two-stacks.pb.gz parca__alloc_objects.pb.gz
google-pprof__large.cpu otlp_spec_simple_cpu.json otlp_spec_resource_link.binpb"
N_GOOD=$(echo "$GOOD" | wc -w)
mkdir -p "$T/good" "$T/bad"
for f in $GOOD; do
    cp "$CORPUS/$f" "$T/good/"
    cp "$CORPUS/$f" "$T/bad/"
done
cp "$CORPUS/google-pprof__gobench.cpu.legacy" "$T/bad/"
head -c 2000 "$CORPUS/parca__alloc_objects.pb.gz" >"$T/bad/truncated.pb.gz"

# config FILE RECEIVER-SETTING...: the file receiver with these settings
# (one YAML line each) into an OTLP/JSON file exporter writing $T/out.jsonl.
config() {
    cfg=$1
    shift
    {
        echo "receivers:"
        echo "  file:"
        for line in "$@"; do
            echo "    $line"
        done
        echo "exporters:"
        echo "  file: {path: $T/out.jsonl}"
        echo "service:"
        echo "  telemetry: {metrics: {level: none}}"
        echo "  pipelines:"
        echo "    profiles: {receivers: [file], exporters: [file]}"
    } >"$cfg"
}

# run WANT WHAT SETTING...: a run with that receiver config must exit WANT.
run() {
    want=$1
    what=$2
    shift 2
    config "$T/config.yaml" "$@"
    rm -f "$T/out.jsonl"
    rc=0
    "$PROFCOL" run --config "$T/config.yaml" 2>"$T/stderr" || rc=$?
    if [ "$rc" -eq "$want" ]; then
        ok
        return 0
    fi
    bad "$what: exit $rc, expected $want"
    return 1
}

# exported WHAT N: the exporter wrote N profiles files (lines).
exported() {
    n=0
    [ -f "$T/out.jsonl" ] && n=$(wc -l <"$T/out.jsonl")
    if [ "$n" -eq "$2" ]; then ok; else bad "$1: $n files exported, expected $2"; fi
}

# error_lines WHAT FILE N: the log has N error lines naming FILE.
error_lines() {
    n=$(grep -c " error .*$2: " "$T/stderr" || true)
    if [ "$n" -eq "$3" ]; then ok; else bad "$1: $n error lines name $2, expected $3"; fi
}

# ---- a directory of good files: exit 0, every file exported ---------------------
if run 0 "good files" "include: [\"$T/good/*\"]" "once: true"; then
    exported "good files" "$N_GOOD"
    if grep -q " error " "$T/stderr"; then bad "good files: error lines logged"; else ok; fi
fi

# ---- one legacy and one truncated file among them: exit 2, the rest exported -------------
if run 2 "bad files" "include: [\"$T/bad/*\"]" "once: true"; then
    exported "bad files" "$N_GOOD"
    error_lines "bad files" "$T/bad/google-pprof__gobench.cpu.legacy" 1
    error_lines "bad files" "$T/bad/truncated.pb.gz" 1
    n=$(grep -c " error " "$T/stderr" || true)
    if [ "$n" -eq 2 ]; then ok; else bad "bad files: $n error lines, expected 2"; fi
fi

# ---- no match at all: exit 0 with a warning ----------------------------------------------
if run 0 "no match" "include: [\"$T/nothing/*.pb.gz\"]" "once: true"; then
    if grep -q " warn .*no file matches" "$T/stderr"; then ok; else bad "no match: no warning"; fi
fi

# ---- exclude: by file name and by path ----------------------------------------------------
if run 0 "exclude" "include: [\"$T/bad/*\"]" "once: true" \
    "exclude: [\"*.legacy\", \"$T/bad/trunc*\"]"; then
    exported "exclude" "$N_GOOD"
fi

# ---- max_file_size: the two files over 64 KiB are refused ---------------------------------
if run 2 "max_file_size" "include: [\"$T/good/*\"]" "once: true" "max_file_size: 64KiB"; then
    exported "max_file_size" $((N_GOOD - 2))
    error_lines "max_file_size" "$T/good/google-pprof__large.cpu" 1
fi

# ---- a forced format refuses the others ----------------------------------------------------
if run 2 "format" "include: [\"$T/good/*\"]" "once: true" "format: otlp_json"; then
    exported "format" 1
fi

# ---- polling: new files are read, seen ones are not; SIGTERM stops cleanly ------------------
# wait_lines N: waits up to 20 s for the output to hold N lines.
wait_lines() {
    i=0
    while [ $i -lt 200 ]; do
        if [ -f "$T/out.jsonl" ] && [ "$(wc -l <"$T/out.jsonl")" -ge "$1" ]; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
mkdir -p "$T/poll"
cp "$CORPUS/parca__two-stacks.pb.gz" "$T/poll/a.pb.gz"
config "$T/config.yaml" "include: [\"$T/poll/*.pb.gz\"]" "poll_interval: 100ms"
rm -f "$T/out.jsonl"
"$PROFCOL" run --config "$T/config.yaml" 2>"$T/stderr" &
pid=$!
if wait_lines 1; then ok; else bad "poll: the first file was not read"; fi
cp "$CORPUS/parca__fgprof.pb.gz" "$T/poll/.b.tmp"
mv "$T/poll/.b.tmp" "$T/poll/b.pb.gz"
if wait_lines 2; then ok; else bad "poll: a new file was not read"; fi
sleep 0.5
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "poll: exit $rc after SIGTERM, expected 0"; fi
exported "poll (seen files are not read again)" 2

# ---- the example configs ----------------------------------------------------------------------
for c in ci sidecar; do
    if "$PROFCOL" validate --config "$CONFIGS/$c.yaml" >"$T/stdout" 2>"$T/stderr"; then
        ok
    else
        bad "configs/$c.yaml does not validate"
    fi
done
rc=0
PROFILES_IN=$T/bad PROFILES_OUT=$T/ci-out "$PROFCOL" run --config "$CONFIGS/ci.yaml" \
    2>"$T/stderr" || rc=$?
# ci.yaml reads *.pb.gz, *.pprof, *.binpb and *.json: of the bad directory
# that is two good pprof files, the two OTLP files and the truncated file.
n=$(ls "$T/ci-out" 2>/dev/null | wc -l)
if [ "$rc" -eq 2 ] && [ "$n" -eq 4 ]; then
    ok
else
    bad "configs/ci.yaml: exit $rc and $n pprof files, expected 2 and 4"
fi

finish
