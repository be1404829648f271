#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# service.sh PROFCOL CORPUS PLUGIN PLUGIN_BADABI: the pipeline service as a
# user sees it: config diagnostics, external plugins (and a wrong-ABI one
# refused), the telemetry endpoints, backpressure (503 + Retry-After),
# graceful stop (exit 0, queued data written), SIGHUP reload (a bad config
# keeps the old one running), finite runs, and JSON logs.
set -eu
. "$(dirname "$0")/lib.sh"

PROFCOL=$1
CORPUS=$2
PLUGIN=$3
PLUGIN_BADABI=$4
PROFILE="$CORPUS/google-pprof__sample.cpu"

check() { # check WHAT COMMAND...: counts COMMAND's success
    _what=$1
    shift
    if "$@"; then ok; else bad "$_what"; fi
}

# ---- diagnostics: every problem at once, with file:line:col -------------------
cat >"$T/bad.yaml" <<'EOF'
receivers:
  pprof:
    endpiont: 127.0.0.1:0
exporters:
  file:
    path: x.jsonl
    format: otlp_jsn
service:
  pipelines:
    profiles:
      receivers: [pprof]
      exporters: [file, nope]
EOF
rc=0
"$PROFCOL" validate --config "$T/bad.yaml" 2>"$T/diag" || rc=$?
check "validate exits 2 on a bad config" [ "$rc" -eq 2 ]
check "unknown key with line:col and a suggestion" \
    grep -q "bad.yaml:3:5: error: .*endpiont.*did you mean \"endpoint\"" "$T/diag"
check "bad enum lists the choices" grep -q "bad.yaml:7:13: error: .*otlp_jsn" "$T/diag"
check "unknown exporter reference" grep -q "bad.yaml:12:.*nope" "$T/diag"

# ---- plugins --------------------------------------------------------------------
cat >"$T/plugin.yaml" <<EOF
plugins: ["$PLUGIN"]
receivers:
  file:
    include: ["$PROFILE"]
    once: true
processors:
  test_tag:
    value: from-plugin
exporters:
  file:
    path: $T/plugin-out.jsonl
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    profiles:
      receivers: [file]
      processors: [test_tag]
      exporters: [file]
EOF
rc=0
"$PROFCOL" --config "$T/plugin.yaml" 2>"$T/plugin.log" || rc=$?
check "a finite run with a plugin processor exits 0" [ "$rc" -eq 0 ]
check "the plugin processor tagged the output" grep -q "from-plugin" "$T/plugin-out.jsonl"
sed "s#$PLUGIN#$PLUGIN_BADABI#" "$T/plugin.yaml" >"$T/badabi.yaml"
rc=0
"$PROFCOL" validate --config "$T/badabi.yaml" 2>"$T/badabi.diag" || rc=$?
check "a plugin built for another ABI is refused" [ "$rc" -eq 2 ]
check "the refusal names the ABI" grep -q "ABI 999" "$T/badabi.diag"
check "profcol components lists plugin types" sh -c \
    "'$PROFCOL' components | grep -q pprof"

# ---- a running service: telemetry, backpressure, graceful stop ------------------
# pprof/held feeds a pipeline whose plugin processor holds every batch until
# stop, so its 1 MiB budget fills up and the receiver must answer 503.
cat >"$T/run.yaml" <<EOF
plugins: ["$PLUGIN"]
receivers:
  pprof:
    endpoint: 127.0.0.1:0
  pprof/held:
    endpoint: 127.0.0.1:0
processors:
  test_tag:
    value: held
    hold: true
exporters:
  file:
    path: $T/run-out.jsonl
service:
  shutdown_timeout: 5s
  telemetry:
    metrics:
      address: 127.0.0.1:0
  pipelines:
    profiles:
      receivers: [pprof]
      exporters: [file]
    profiles/held:
      memory_limit: 1MiB
      receivers: [pprof/held]
      processors: [test_tag]
      exporters: [file]
EOF
start_profcol "$PROFCOL" "$T/run.yaml" --log-format json
port=$(port_of receiver pprof)
held=$(port_of receiver pprof/held)
mport=$(port_of telemetry metrics)
check "healthz" sh -c "curl -sf http://127.0.0.1:$mport/healthz | grep -q ok"
check "readyz" sh -c "curl -sf http://127.0.0.1:$mport/readyz | grep -q ready"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$PROFILE" \
    "http://127.0.0.1:$port/v1/pprof")
check "POST /v1/pprof -> 204" [ "$code" = 204 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$CORPUS/google-pprof__large.cpu" \
    "http://127.0.0.1:$held/v1/pprof")
check "a profile larger than the whole budget -> 413, not 503 ($code)" [ "$code" = 413 ]
accepted=0
n=0
while [ "$n" -lt 300 ]; do
    n=$((n + 1))
    curl -s -D "$T/hdr" -o /dev/null --data-binary "@$PROFILE" "http://127.0.0.1:$held/v1/pprof"
    if grep -q "^HTTP/1.1 204" "$T/hdr"; then
        accepted=$((accepted + 1))
    else
        break
    fi
done
check "held batches fill the budget, then 503 ($accepted accepted)" \
    grep -q "^HTTP/1.1 503" "$T/hdr"
check "503 carries Retry-After" grep -qi "^retry-after:" "$T/hdr"
check "some profiles were accepted before the budget filled" [ "$accepted" -gt 0 ]
curl -s "http://127.0.0.1:$mport/metrics" >"$T/metrics"
check "accepted profiles counted" \
    grep -q '^profcol_receiver_accepted_profiles_total{receiver="pprof"} 2$' "$T/metrics"
check "refused profiles counted by reason" \
    grep -q 'profcol_receiver_refused_profiles_total{receiver="pprof/held",reason="memory_limit"} [1-9]' \
    "$T/metrics"
check "the budget gauge shows the held bytes" \
    grep -q 'profcol_pipeline_memory_bytes{pipeline="profiles/held"} [1-9]' "$T/metrics"
check "logs are JSON lines" sh -c "grep -q '^{\"ts\":\"' '$PCOL_LOG'"

# ---- SIGHUP: a bad config is refused and the old one keeps serving -----------------
cp "$T/run.yaml" "$T/run.good.yaml"
echo "receivers: [broken" >"$T/run.yaml"
kill -HUP "$PCOL_PID"
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$PROFILE" \
    "http://127.0.0.1:$port/v1/pprof")
check "after a bad reload the old pipeline still serves" [ "$code" = 204 ]
check "the bad reload is logged" grep -q "keeping the old one" "$PCOL_LOG"
# A good reload: new listeners (port 0 again), a new ready file.
cp "$T/run.good.yaml" "$T/run.yaml"
rm -f "$PCOL_READY"
kill -HUP "$PCOL_PID"
check "a good reload rewrites the ready file" wait_for_file "$PCOL_READY"
port=$(port_of receiver pprof)
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$PROFILE" \
    "http://127.0.0.1:$port/v1/pprof")
check "after a good reload the new pipeline serves" [ "$code" = 204 ]

stop_profcol TERM
check "SIGTERM: exit 0" [ "$PCOL_EXIT" -eq 0 ]
lines=$(wc -l <"$T/run-out.jsonl")
want=$((3 + accepted))
check "every accepted profile was written before exit, held ones too ($lines of $want)" \
    [ "$lines" -eq "$want" ]
check "no leaked handles" sh -c "! grep -q 'left open' '$PCOL_LOG'"

# ---- the default command and config ------------------------------------------------
check "validate the built-in default config" "$PROFCOL" validate
finish
