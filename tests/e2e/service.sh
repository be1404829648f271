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
cat >"$T/run.yaml" <<EOF
receivers:
  pprof:
    endpoint: 127.0.0.1:0
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
    profiles/tiny:
      memory_limit: 1KiB
      receivers: [pprof/tiny]
      exporters: [file]
EOF
# A second receiver feeding only a pipeline with a 1 KiB budget.
sed -i 's#^exporters:#  pprof/tiny:\n    endpoint: 127.0.0.1:0\nexporters:#' "$T/run.yaml"
start_profcol "$PROFCOL" "$T/run.yaml" --log-format json
port=$(port_of receiver pprof)
tiny=$(port_of receiver pprof/tiny)
mport=$(port_of telemetry metrics)
check "healthz" sh -c "curl -sf http://127.0.0.1:$mport/healthz | grep -q ok"
check "readyz" sh -c "curl -sf http://127.0.0.1:$mport/readyz | grep -q ready"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$PROFILE" \
    "http://127.0.0.1:$port/v1/pprof")
check "POST /v1/pprof -> 204" [ "$code" = 204 ]
curl -s -D "$T/h503" -o /dev/null --data-binary "@$PROFILE" "http://127.0.0.1:$tiny/v1/pprof"
check "over the memory budget -> 503" grep -q "^HTTP/1.1 503" "$T/h503"
check "503 carries Retry-After" grep -qi "^retry-after:" "$T/h503"
curl -s "http://127.0.0.1:$mport/metrics" >"$T/metrics"
check "accepted profiles counted" \
    grep -q '^profcol_receiver_accepted_profiles_total{receiver="pprof"} 2$' "$T/metrics"
check "refused profiles counted by reason" \
    grep -q 'profcol_receiver_refused_profiles_total{receiver="pprof/tiny",reason="memory_limit"} [1-9]' \
    "$T/metrics"
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
check "every accepted profile was written before exit ($lines of 3)" [ "$lines" -eq 3 ]
check "no leaked handles" sh -c "! grep -q 'left open' '$PCOL_LOG'"

# ---- the default command and config ------------------------------------------------
check "validate the built-in default config" "$PROFCOL" validate
finish
