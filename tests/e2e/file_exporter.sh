#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# file_exporter.sh PROFCOL CORPUS_DIR: the `file` exporter end to end. Each
# run is a real `profcol run` whose file receiver reads the corpus pprof
# files once (straight from CORPUS_DIR) and whose file exporter writes one
# format; the run must exit 0 by itself. What was written is then read back
# independently:
#   - otlp_json: every line converts back to pprof (`profcol convert`);
#   - otlp_proto and zstd: the 4-byte big-endian length framing is split in
#     python3, zstd records are unpacked with the zstd CLI, each record
#     converts back to pprof;
#   - pprof: one valid gzip file per input, readable by `go tool pprof -raw`,
#     with safe names and no temporary file left.
# In every format the sample counts per profile (`go tool pprof -raw`) must
# be those of the inputs. Rotation (max_megabytes, max_backups) and append
# are checked on the OTLP/JSON file. Owned by the file exporter work.
set -eu

PROFCOL=$1
CORPUS=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
E2E_STDERR=$T/stderr

for tool in go python3 zstd gzip; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        bad "'$tool' is not installed (scripts/setup.sh installs it)"
        finish || exit 1
    fi
done
export HOME="$T" GOCACHE="$T/gocache" PPROF_TMPDIR="$T" TZ=UTC

INPUTS="google-pprof__sample.cpu google-pprof__cppbench.cpu_no_samples_type
google-pprof__go.nomappings.crash google-pprof__large.cpu parca__two-stacks.pb.gz
parca__single-stack.pb.gz parca__profile-with-labels.pb.gz parca__alloc_objects.pb.gz
parca__fgprof.pb.gz parca__normal-cpu.stripped.pprof parca__normalizer-profile.pb.gz
pprof_all_fields.pb.gz"
N_INPUTS=$(echo "$INPUTS" | wc -w)
INCLUDE=
for f in $INPUTS; do
    INCLUDE="$INCLUDE${INCLUDE:+, }\"$CORPUS/$f\""
done

# config FILE SETTING...: a once-run of the file receiver over INCLUDE into a
# file exporter with these settings (one YAML line each).
config() {
    cfg=$1
    shift
    {
        echo "receivers:"
        echo "  file: {include: [$INCLUDE], once: true}"
        echo "exporters:"
        echo "  file:"
        for line in "$@"; do
            echo "    $line"
        done
        echo "service:"
        echo "  telemetry: {metrics: {level: none}}"
        echo "  pipelines:"
        echo "    profiles: {receivers: [file], exporters: [file]}"
    } >"$cfg"
}

# run_ok WHAT SETTING...: runs profcol with that exporter config; it must
# exit 0 by itself.
run_ok() {
    what=$1
    shift
    config "$T/config.yaml" "$@"
    rc=0
    "$PROFCOL" run --config "$T/config.yaml" 2>"$T/stderr" || rc=$?
    if [ "$rc" -eq 0 ]; then
        ok
        return 0
    fi
    bad "$what: exit $rc, expected 0"
    return 1
}

# equal WHAT GOT WANT: counts a pass when the numbers are equal.
equal() {
    if [ "$2" -eq "$3" ]; then
        ok
    else
        bad "$1: $2, expected $3"
    fi
}

# to_pprof IN: converts IN back to pprof and prints its sample count.
to_pprof() {
    rm -f "$T"/back*.pb.gz
    "$PROFCOL" convert "$1" "$T/back.pb.gz" 2>>"$T/stderr" || return 1
    samples "$T"/back*.pb.gz
}

# same_counts WHAT FILE: FILE (one count per line) holds the input counts.
same_counts() {
    if sort -n "$1.counts" | cmp -s - "$T/expected"; then
        ok
    else
        bad "$2: sample counts $(sort -n "$1.counts" | tr '\n' ' ')differ from the inputs' \
$(tr '\n' ' ' <"$T/expected")"
    fi
}

# split_records FILE DIR SUFFIX: writes each length-framed record of FILE to
# DIR/N.SUFFIX and prints how many there were; fails on broken framing.
split_records() {
    mkdir -p "$2"
    python3 - "$1" "$2" "$3" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
pos = n = 0
while pos < len(data):
    if len(data) - pos < 4:
        sys.exit("truncated length at byte %d" % pos)
    (size,) = struct.unpack(">I", data[pos:pos + 4])
    pos += 4
    if size == 0 or len(data) - pos < size:
        sys.exit("bad record of %d bytes at byte %d" % (size, pos))
    n += 1
    with open("%s/%d.%s" % (sys.argv[2], n, sys.argv[3]), "wb") as out:
        out.write(data[pos:pos + size])
    pos += size
print(n)
EOF
}

for f in $INPUTS; do
    samples "$CORPUS/$f"
done | sort -n >"$T/expected"

# ---- otlp_json: one request per line, each line converts back -----------------
if run_ok "otlp_json" "path: $T/json/profiles.jsonl" "create_directory: true"; then
    lines=$(wc -l <"$T/json/profiles.jsonl")
    equal "otlp_json: lines" "$lines" "$N_INPUTS"
    : >"$T/json.counts"
    i=0
    while IFS= read -r line; do
        i=$((i + 1))
        printf '%s\n' "$line" >"$T/line.json"
        to_pprof "$T/line.json" >>"$T/json.counts" || bad "otlp_json: line $i does not convert"
    done <"$T/json/profiles.jsonl"
    same_counts "$T/json" "otlp_json"
fi

# ---- otlp_proto: length-framed protobuf records -------------------------------------
if run_ok "otlp_proto" "path: $T/proto.bin" "format: otlp_proto"; then
    if n=$(split_records "$T/proto.bin" "$T/proto" binpb); then
        equal "otlp_proto: records" "$n" "$N_INPUTS"
        : >"$T/proto.counts"
        for r in "$T"/proto/*.binpb; do
            to_pprof "$r" >>"$T/proto.counts" || bad "otlp_proto: $r does not convert"
        done
        same_counts "$T/proto" "otlp_proto"
    else
        bad "otlp_proto: broken framing"
    fi
fi

# ---- zstd: each record is a zstd frame, for both otlp formats ---------------------------
for fmt in otlp_json otlp_proto; do
    ext=json
    [ "$fmt" = otlp_proto ] && ext=binpb
    if run_ok "$fmt zstd" "path: $T/$fmt.zst.bin" "format: $fmt" "compression: zstd"; then
        if n=$(split_records "$T/$fmt.zst.bin" "$T/$fmt.zst" zst); then
            equal "$fmt zstd: records" "$n" "$N_INPUTS"
            : >"$T/$fmt.zst.counts"
            for r in "$T/$fmt.zst"/*.zst; do
                if zstd -qd "$r" -o "${r%.zst}.$ext"; then
                    to_pprof "${r%.zst}.$ext" >>"$T/$fmt.zst.counts" ||
                        bad "$fmt zstd: $r does not convert"
                else
                    bad "$fmt zstd: $r is not a zstd frame"
                fi
            done
            same_counts "$T/$fmt.zst" "$fmt zstd"
        else
            bad "$fmt zstd: broken framing"
        fi
    fi
done

# ---- pprof: one gzip pprof file per profile in a directory --------------------------------
if run_ok "pprof" "path: $T/pprof/out" "format: pprof" "create_directory: true"; then
    n=$(ls "$T/pprof/out" | wc -l)
    equal "pprof: files" "$n" "$N_INPUTS"
    hidden=$(ls -A "$T/pprof/out" | grep '^\.' || true)
    if [ -z "$hidden" ]; then ok; else bad "pprof: left behind: $hidden"; fi
    : >"$T/pprof.counts"
    for f in "$T"/pprof/out/*; do
        name=${f##*/}
        case $name in
            *..* | .*) bad "pprof: unsafe name $name" ;;
            *.pb.gz) ;;
            *) bad "pprof: $name does not end in .pb.gz" ;;
        esac
        if printf '%s\n' "$name" | grep -qv '^[A-Za-z0-9._-]*$'; then
            bad "pprof: $name has characters outside [A-Za-z0-9._-]"
        fi
        gzip -t "$f" 2>/dev/null || bad "pprof: $name is not valid gzip"
        if go tool pprof -raw "$f" >/dev/null 2>&1; then
            samples "$f" >>"$T/pprof.counts"
        else
            bad "pprof: go tool pprof cannot read $name"
        fi
    done
    same_counts "$T/pprof" "pprof"
    if [ -f "$T/pprof/out/unknown_service.cpu.20170929T205759Z.pb.gz" ]; then
        ok
    else
        bad "pprof: no file named after the service, sample type and time of sample.cpu"
    fi
fi

# ---- pprof names from hostile data: a service.name that tries to escape -----------------------
python3 - "$CORPUS/otlp_spec_resource_link.json" "$T/evil.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
table = doc["dictionary"]["stringTable"]
table[table.index("my-service")] = "../../escaped/x y"
json.dump(doc, open(sys.argv[2], "w"))
EOF
INCLUDE="\"$T/evil.json\""
mkdir -p "$T/evil/out"
if run_ok "pprof hostile name" "path: $T/evil/out" "format: pprof"; then
    names=$(ls -A "$T/evil/out")
    case $names in
        _._.__escaped_x_y.samples.*.pb.gz) ok ;;
        *) bad "pprof hostile name: wrote '$names'" ;;
    esac
    if [ -e "$T/escaped" ] || [ -e "$T/evil/escaped" ]; then
        bad "pprof hostile name: a file escaped the directory"
    else
        ok
    fi
fi
INCLUDE=
for f in $INPUTS; do
    INCLUDE="$INCLUDE${INCLUDE:+, }\"$CORPUS/$f\""
done

# ---- rotation: 1 MiB files, every line still there, backups limited -------------------------
stamp='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]-[0-9][0-9]-[0-9][0-9]\.[0-9]\{3\}'
if run_ok "rotation" "path: $T/rot/profiles.jsonl" "create_directory: true" \
    "rotation: {max_megabytes: 1, max_backups: 0}"; then
    files=$(ls "$T/rot" | wc -l)
    if [ "$files" -ge 3 ]; then ok; else bad "rotation: $files files, expected several"; fi
    total=$(cat "$T"/rot/* | wc -l)
    equal "rotation: lines in all files" "$total" "$N_INPUTS"
    for f in "$T"/rot/*; do
        name=${f##*/}
        if [ "$name" != profiles.jsonl ] &&
            ! printf '%s\n' "$name" | grep -q "^profiles-$stamp\.jsonl\$"; then
            bad "rotation: unexpected file $name"
        fi
        # Only a single record bigger than the limit may pass it.
        if [ "$(wc -c <"$f")" -gt 1048576 ] && [ "$(wc -l <"$f")" -gt 1 ]; then
            bad "rotation: $name holds several lines and is over 1 MiB"
        fi
    done
fi
# Two inputs are over 1 MiB as JSON, so in any order there are at least two
# rotations: keeping one backup means one was deleted.
if run_ok "rotation max_backups" "path: $T/rot2/profiles.jsonl" "create_directory: true" \
    "rotation: {max_megabytes: 1, max_backups: 1}"; then
    backups=$(ls "$T/rot2" | grep -c "^profiles-$stamp\.jsonl\$" || true)
    equal "rotation: backups kept" "$backups" 1
    if [ -f "$T/rot2/profiles.jsonl" ]; then ok; else bad "rotation: no current file"; fi
fi

# ---- append keeps what an earlier run wrote; the default empties the file --------------------
run_ok "append 1" "path: $T/app.jsonl" "append: true" &&
    run_ok "append 2" "path: $T/app.jsonl" "append: true" &&
    equal "append: lines" "$(wc -l <"$T/app.jsonl")" $((2 * N_INPUTS))
run_ok "truncate" "path: $T/app.jsonl" &&
    equal "truncate: lines" "$(wc -l <"$T/app.jsonl")" "$N_INPUTS"

# ---- a write error is retryable, is retried, and is logged when given up ----------------------
if [ -w /dev/full ]; then
    run_ok "write error" "path: /dev/full" "append: true" \
        "retry_on_failure: {initial_interval: 10ms, max_elapsed_time: 200ms}" &&
        if grep -q "dropped a batch.*cannot write /dev/full: No space left on device" \
            "$T/stderr"; then ok; else bad "write error: not logged"; fi
fi

# ---- settings that cannot work are config errors ----------------------------------------------
# invalid WHAT MESSAGE SETTING...: `profcol validate` exits 2 and says MESSAGE.
invalid() {
    what=$1
    msg=$2
    shift 2
    config "$T/config.yaml" "$@"
    rc=0
    "$PROFCOL" validate --config "$T/config.yaml" >"$T/stdout" 2>"$T/stderr" || rc=$?
    if [ "$rc" -eq 2 ] && grep -qF "$msg" "$T/stdout" "$T/stderr"; then
        ok
    else
        bad "$what: validate exit $rc, expected 2 and '$msg'"
    fi
}
invalid "rotation without a size" "rotation needs max_megabytes" "path: $T/x.jsonl" \
    "rotation: {max_backups: 3}"
invalid "pprof with zstd" "pprof files are always gzip" "path: $T" "format: pprof" \
    "compression: zstd"
invalid "pprof with rotation" "pprof writes one file per profile" "path: $T" "format: pprof" \
    "rotation: {max_megabytes: 5}"

# ---- a directory that does not exist, without create_directory: cannot start -----------------
config "$T/config.yaml" "path: $T/missing/dir/out.jsonl"
rc=0
"$PROFCOL" run --config "$T/config.yaml" 2>"$T/stderr" || rc=$?
if [ "$rc" -eq 1 ] && grep -q "missing/dir/out.jsonl" "$T/stderr"; then
    ok
else
    bad "missing directory: exit $rc, expected 1 and a line naming the file"
fi

finish
