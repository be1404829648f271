#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# pprof_scrape.sh PROFCOL CORPUS_DIR: the pprof receiver's scraper against a
# real Go program serving net/http/pprof (go-pprof-server/, built here with
# the local Go toolchain, stdlib only). profcol scrapes it every 2 s (CPU
# profiles of 1 s) for cpu, allocs, goroutine, mutex and block, together
# with a second target on a closed port, and a second receiver whose path
# override for goroutine answers Go's own 404. Checked: every profile type
# reaches the file exporter (OTLP/JSON) with its sample types, non-empty
# CPU samples, service.name, the target's labels and profcol.scrape.url as
# resource attributes; /metrics counts the closed port's failures
# (reason connection) and the 404 (reason http_404) while the good target
# keeps delivering; each failure is logged once per target and reason; a
# SIGTERM stops everything at once. Then `profcol validate` refuses an
# unknown profile name and seconds >= interval with file:line:col.
# Owned by the pprof receiver work (scraping).
set -eu

PROFCOL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"

for tool in go curl python3; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 0; }
done

# ---- the Go program -----------------------------------------------------------------------
mkdir -p "$T/go"
if ! (cd "$T/go" && HOME="$T/go" GOPATH="$T/go/path" GOCACHE="$T/go/cache" GO111MODULE=off \
    GOFLAGS= go build -o "$T/go/server" "$HERE/go-pprof-server/main.go") >"$T/go.out" 2>&1; then
    bad "building go-pprof-server: $(cat "$T/go.out")"
    finish
fi
"$T/go/server" -port-file "$T/go/port" -lifetime 120s 2>"$T/go/server.log" &
GO_PID=$!
trap 'kill "$GO_PID" 2>/dev/null || true; rm -rf "$T"' EXIT
wait_for_file "$T/go/port" || { bad "go-pprof-server did not start: $(cat "$T/go/server.log")"; finish; }
GOOD="http://127.0.0.1:$(cat "$T/go/port")"
# A port nothing listens on: bound, read, closed.
DEAD="http://127.0.0.1:$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')"

# ---- profcol scraping it ------------------------------------------------------------------
cat >"$T/config.yaml" <<EOF
receivers:
  pprof:
    endpoint: 127.0.0.1:0
    scrape:
      interval: 2s
      seconds: 1s
      timeout: 5s
      profiles: [cpu, allocs, goroutine, mutex, block]
      targets:
        - url: $GOOD
          service_name: go-pprof-server
          labels: {env: e2e, team: profiling}
        - url: $DEAD
          service_name: dead-target
  pprof/paths:
    endpoint: 127.0.0.1:0
    scrape:
      interval: 2s
      profiles: [goroutine]
      paths: {goroutine: /debug/pprof/no-such-profile}
      targets:
        - url: $GOOD/
          service_name: not-found
exporters:
  file:
    path: $T/out.jsonl
service:
  telemetry:
    metrics:
      address: 127.0.0.1:0
  pipelines:
    profiles:
      receivers: [pprof, pprof/paths]
      exporters: [file]
EOF
start_profcol "$PROFCOL" "$T/config.yaml"
E2E_STDERR=$PCOL_LOG
METRICS="http://127.0.0.1:$(port_of telemetry metrics)/metrics"

# types FILE: one line per resource profile of an OTLP/JSON file:
# "<service.name> <type>/<unit> samples=N values=N attrs=k=v,k=v".
types() {
    python3 - "$1" <<'PYEOF'
import json, sys

for line in open(sys.argv[1]):
    if not line.strip():
        continue
    try:
        req = json.loads(line)
    except ValueError:
        continue  # a line still being written
    strings = req.get("dictionary", {}).get("stringTable", [""])
    for rp in req.get("resourceProfiles", []):
        attrs = {}
        for a in rp.get("resource", {}).get("attributes", []):
            attrs[strings[a.get("keyStrindex", 0)]] = strings[
                a.get("value", {}).get("stringValueStrindex", 0)]
        for sp in rp.get("scopeProfiles", []):
            prof = "-"
            for a in sp.get("scope", {}).get("attributes", []):
                if strings[a.get("keyStrindex", 0)] == "pyroscope.profile.name":
                    prof = strings[a.get("value", {}).get("stringValueStrindex", 0)]
            for p in sp.get("profiles", []):
                st = p.get("sampleType", {})
                samples = p.get("samples", [])
                values = sum(int(v) for s in samples for v in s.get("values", []))
                print("%s %s/%s samples=%d values=%d attrs=%s profile=%s" % (
                    attrs.get("service.name", "-"), strings[st.get("typeStrindex", 0)],
                    strings[st.get("unitStrindex", 0)], len(samples), values,
                    ",".join("%s=%s" % kv for kv in sorted(attrs.items())), prof))
PYEOF
}

WANT="samples/count cpu/nanoseconds alloc_objects/count alloc_space/bytes inuse_space/bytes"
WANT="$WANT goroutine/count contentions/count delay/nanoseconds"
missing() { # missing: the wanted sample types of go-pprof-server not exported yet
    [ -f "$T/out.jsonl" ] || { echo "$WANT"; return; }
    types "$T/out.jsonl" >"$T/types" 2>/dev/null || true
    for _t in $WANT; do
        grep -q "^go-pprof-server $_t " "$T/types" || printf '%s ' "$_t"
    done
}
n=0
while [ -n "$(missing)" ] && [ "$n" -lt 300 ]; do
    sleep 0.1
    n=$((n + 1))
done
left=$(missing)
check "every profile type arrived within 30 s (missing: $left)" [ -z "$left" ]
check "CPU samples were taken (the burning goroutine)" \
    sh -c "grep '^go-pprof-server cpu/nanoseconds ' '$T/types' | grep -qv ' values=0 '"
check "allocations were sampled" \
    sh -c "grep '^go-pprof-server alloc_space/bytes ' '$T/types' | grep -qv ' values=0 '"
check "mutex contention was recorded" \
    sh -c "grep '^go-pprof-server contentions/count ' '$T/types' | grep -qv ' samples=0 '"
check "block and mutex profiles say which they are (scope pyroscope.profile.name)" \
    sh -c "grep '^go-pprof-server contentions/count .* profile=block\$' '$T/types' >/dev/null &&
        grep '^go-pprof-server contentions/count .* profile=mutex\$' '$T/types' >/dev/null"
check "goroutines were counted" \
    sh -c "grep '^go-pprof-server goroutine/count ' '$T/types' | grep -qv ' values=0 '"
attrs="env=e2e,profcol.scrape.url=$GOOD,service.name=go-pprof-server,team=profiling"
check "resource attributes: service.name, the labels and profcol.scrape.url" \
    sh -c "! grep '^go-pprof-server ' '$T/types' | grep -qv ' attrs=$attrs profile='"
check "nothing from the dead target or the 404 path" \
    sh -c "! grep -q '^dead-target \|^not-found ' '$T/types'"

# ---- metrics: failures counted while the good target keeps delivering ---------------------
metric() { # metric NAME LABELS: its value in $T/metrics, 0 when absent
    _v=$(sed -n "s#^$1{$2} ##p" "$T/metrics")
    echo "${_v:-0}"
}
good_labels() { # good_labels PROFILE
    echo "receiver=\"pprof\",target=\"$GOOD\",profile=\"$1\""
}
curl -s "$METRICS" >"$T/metrics" || bad "GET /metrics"
before=$(metric profcol_scrape_profiles_total "$(good_labels goroutine)")
dead_before=$(metric profcol_scrape_failures_total \
    "receiver=\"pprof\",target=\"$DEAD\",profile=\"goroutine\",reason=\"connection\"")
check "the closed port's failures are counted (connection: $dead_before)" [ "$dead_before" -ge 1 ]
nf=$(metric profcol_scrape_failures_total \
    "receiver=\"pprof/paths\",target=\"$GOOD/\",profile=\"goroutine\",reason=\"http_404\"")
check "the path override's 404 is counted (http_404: $nf)" [ "$nf" -ge 1 ]
for p in cpu allocs mutex block; do
    v=$(metric profcol_scrape_profiles_total "$(good_labels $p)")
    check "profcol_scrape_profiles_total counts $p ($v)" [ "$v" -ge 1 ]
    v=$(metric profcol_scrape_failures_total "$(good_labels $p),reason=\"connection\"")
    check "no failures of the good target ($p: $v)" [ "$v" = 0 ]
done
sleep 4.5
curl -s "$METRICS" >"$T/metrics" || bad "GET /metrics"
after=$(metric profcol_scrape_profiles_total "$(good_labels goroutine)")
dead_after=$(metric profcol_scrape_failures_total \
    "receiver=\"pprof\",target=\"$DEAD\",profile=\"goroutine\",reason=\"connection\"")
check "the good target keeps delivering (goroutine scrapes $before -> $after)" \
    [ "$after" -ge $((before + 2)) ]
check "the dead target keeps failing, once per interval ($dead_before -> $dead_after)" \
    [ "$dead_after" -ge $((dead_before + 2)) -a "$dead_after" -le $((dead_before + 4)) ]
accepted=$(metric profcol_receiver_accepted_profiles_total 'receiver="pprof"')
check "the receiver's accepted_profiles_total counts the scraped profiles ($accepted)" \
    [ "$accepted" -ge 8 ]

# ---- logs and stop ---------------------------------------------------------------------
logged=$(grep -c "scraping $DEAD .* failed (connection)" "$PCOL_LOG" || true)
check "the dead target's failure is logged once, not per tick or profile ($logged)" \
    [ "$logged" -eq 1 ]
check "the 404 is logged with Go's answer" \
    grep -q "scraping $GOOD/ (goroutine: GET /debug/pprof/no-such-profile) failed (http_404): HTTP 404 \"Unknown profile\"" "$PCOL_LOG"
start=$(date +%s)
stop_profcol TERM
took=$(($(date +%s) - start))
check "SIGTERM: exit 0" [ "$PCOL_EXIT" -eq 0 ]
check "SIGTERM: stopped at once, CPU scrapes in flight cancelled (${took}s)" [ "$took" -le 3 ]
check "no leaked handles" sh -c "! grep -q 'left open' '$PCOL_LOG'"
check "no sanitizer reports (ASan builds)" \
    sh -c "! grep -q 'Sanitizer\|runtime error' '$PCOL_LOG'"
E2E_STDERR=

# ---- profcol validate ---------------------------------------------------------------------
cat >"$T/bad.yaml" <<EOF
receivers:
  pprof:
    scrape:
      interval: 10s
      seconds: 10s
      profiles: [cpu, cpux, goroutine]
      paths: {alocs: /x}
      targets:
        - url: ftp://127.0.0.1:6060
exporters:
  file: {path: $T/never.jsonl}
service:
  pipelines:
    profiles: {receivers: [pprof], exporters: [file]}
EOF
rc=0
"$PROFCOL" validate --config "$T/bad.yaml" >"$T/validate.out" 2>&1 || rc=$?
check "validate refuses the bad scrape config" [ "$rc" -ne 0 ]
check "an unknown profile name, at its position, with a suggestion" \
    grep -q "bad.yaml:6:23: error: unknown profile \"cpux\"; did you mean \"cpu\"?" "$T/validate.out"
check "an unknown profile in paths, at its key" \
    grep -q "bad.yaml:7:15: error: unknown profile \"alocs\"" "$T/validate.out"
check "seconds >= interval, at seconds" \
    grep -q "bad.yaml:5:16: error: seconds (10s) must be shorter than interval (10s)" \
    "$T/validate.out"
check "a URL that is not http(s), at url" \
    grep -q "bad.yaml:9:16: error: url \"ftp://127.0.0.1:6060\": start with http:// or https://" \
    "$T/validate.out"
if [ "$failed" -ne 0 ]; then
    sed 's/^/    validate: /' "$T/validate.out" >&2
fi
finish
