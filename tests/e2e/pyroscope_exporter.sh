#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# pyroscope_exporter.sh PROFCOL CORPUS_DIR: the `pyroscope` exporter end to
# end, on loopback only:
#   (a) profcol A (file receiver, once) -> pyroscope exporter (ingest) ->
#       profcol B's own pprof receiver (/ingest) -> file exporter: every
#       resource arrives with the same sample count and value sums per
#       sample type as the input, service.name and the tags (names
#       sanitised, ',' and '}' stripped) arrive as resource attributes, and
#       the spy name as pyroscope.spy;
#   (b) a recording HTTP server (Python standard library, in this script)
#       saves every request: /ingest with a path prefix, exactly the query
#       keys name/from/until/format/spyName, X-Scope-OrgID, Basic auth from
#       environment variables, Bearer from an environment variable, a
#       custom header from ${env:...}, bodies that `go tool pprof -raw`
#       reads with the input's samples; HTTPS verified with tls.ca_file
#       (and refused with a wrong CA); Push with Connect headers and a
#       gzip'd body whose PushRequest (decoded here with a small protobuf
#       reader) has the labels and raw profiles with the input's samples;
#   (c) 503 twice then 200: delivered once, Retry-After honoured; a 503 in
#       the middle of an export of two pprofs resends only the second; 422:
#       one request, no retry, counted in
#       profcol_exporter_send_failed_profiles_total and logged with the
#       server's JSON message; a refusal inside an export of two still
#       delivers the other.
# Owned by the pyroscope exporter work.
set -eu

PROFCOL=$1
CORPUS=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
# The recording server (written below) for lib.sh's start_server:
#   start_server NAME STATUSES [RETRY_AFTER [CERT KEY]] answers with the
#   comma-separated STATUSES in turn and logs every call.
SERVER="$T/pyro.py"
SERVER_MODE=serve
E2E_STDERR=$T/stderr

for tool in "$PY" go curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        bad "'$tool' is not installed (scripts/setup.sh installs it)"
        finish || exit 1
    fi
done
export HOME="$T" GOCACHE="$T/gocache" PPROF_TMPDIR="$T" TZ=UTC

# equal WHAT GOT WANT
equal() {
    if [ "$2" = "$3" ]; then
        ok
    else
        bad "$1: got '$2', expected '$3'"
    fi
}

# ---- the Python side: a recording server and readers --------------------------------
cat >"$T/pyro.py" <<'EOF'
import base64, gzip, json, os, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer


def serve(portfile, outdir, statuses, retry_after="", cert=None, key=None):
    """Records every request as req-N.meta (request line, then lowercase
    headers) and req-N.body; answers with the next of `statuses` (the last
    one repeats) and logs "N STATUS" to calls.log."""
    os.makedirs(outdir, exist_ok=True)
    plan = [int(s) for s in statuses.split(",")]
    state = {"n": 0}

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            state["n"] += 1
            n = state["n"]
            status = plan[min(n, len(plan)) - 1]
            with open("%s/req-%d.meta" % (outdir, n), "w") as f:
                f.write("%s %s\n" % (self.command, self.path))
                for k, v in self.headers.items():
                    f.write("%s: %s\n" % (k.lower(), v))
            with open("%s/req-%d.body" % (outdir, n), "wb") as f:
                f.write(body)
            # Logged before answering: the client may stop right after.
            with open("%s/calls.log" % outdir, "a") as f:
                f.write("%d %d\n" % (n, status))
            if status == 200:
                push = self.path.endswith("/Push")
                self.send_response(200)
                if push:
                    self.send_header("Content-Type", "application/proto")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                out = json.dumps({"code": "unknown" if status == 422 else "unavailable",
                                  "message": "the test server says %d" % status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if retry_after and status in (429, 503):
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

    srv = HTTPServer(("127.0.0.1", 0), H)
    if cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def sums(paths):
    """Per resource and sample type of OTLP/JSON files (one request per
    line): "service type/unit samples=N sum=N", sorted."""
    out = []
    for path in paths:
        for line in open(path):
            if not line.strip():
                continue
            req = json.loads(line)
            st = req.get("dictionary", {}).get("stringTable", [""])
            for rp in req.get("resourceProfiles", []):
                svc = "unknown_service"
                for a in rp.get("resource", {}).get("attributes", []):
                    key = st[a["keyStrindex"]] if "keyStrindex" in a else a.get("key")
                    v = a.get("value", {})
                    if key == "service.name":
                        svc = st[v["stringValueStrindex"]] if "stringValueStrindex" in v \
                            else v.get("stringValue", "")
                for sp in rp.get("scopeProfiles", []):
                    for p in sp.get("profiles", []):
                        t = p.get("sampleType", {})
                        name = "%s/%s" % (st[t.get("typeStrindex", 0)], st[t.get("unitStrindex", 0)])
                        ss = p.get("samples", [])
                        total = sum(int(v) for s in ss for v in s.get("values", []))
                        out.append("%s %s samples=%d sum=%d" % (svc, name, len(ss), total))
    print("\n".join(sorted(out)))


def attrs(path):
    """Every resource attribute as "key=value", sorted, unique."""
    out = set()
    for line in open(path):
        if not line.strip():
            continue
        req = json.loads(line)
        st = req.get("dictionary", {}).get("stringTable", [""])
        for rp in req.get("resourceProfiles", []):
            for a in rp.get("resource", {}).get("attributes", []):
                key = st[a["keyStrindex"]] if "keyStrindex" in a else a.get("key")
                v = a.get("value", {})
                if "stringValueStrindex" in v:
                    val = st[v["stringValueStrindex"]]
                else:
                    val = next(iter(v.values()), "") if v else ""
                out.add("%s=%s" % (key, val))
    print("\n".join(sorted(out)))


def add_attrs(src, dst):
    """Gives the first resource of an OTLP/JSON file service.name and
    attributes whose keys and values need mapping."""
    d = json.load(open(src))
    d["resourceProfiles"][0]["resource"] = {"attributes": [
        {"key": "service.name", "value": {"stringValue": "shop"}},
        {"key": "k8s.pod.name", "value": {"stringValue": "shop-1"}},
        {"key": "weird key", "value": {"stringValue": "v,1}"}},
        {"key": "replicas", "value": {"intValue": "3"}},
    ]}
    json.dump(d, open(dst, "w"))


def query(meta):
    """The query of a recorded request: its keys (sorted, comma separated),
    then key=value lines."""
    path = open(meta).readline().split(" ", 1)[1].strip()
    q = urllib.parse.urlsplit(path).query
    pairs = urllib.parse.parse_qsl(q, keep_blank_values=True)
    print(",".join(sorted(k for k, _ in pairs)))
    for k, v in pairs:
        print("%s=%s" % (k, v))


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(field number, bytes) of a message whose fields are all
    length-delimited, as PushRequest's are."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        if key & 7 != 2:
            raise ValueError("wire type %d" % (key & 7))
        n, i = varint(b, i)
        yield key >> 3, b[i:i + n]
        i += n


def push(body, outdir):
    """Decodes a PushRequest (gzip'd when it starts so): one line per series
    with its sorted labels and sample IDs; each raw profile saved as
    raw-S-K.pb.gz."""
    data = open(body, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    for s, (f, series) in enumerate(fields(data), 1):
        assert f == 1
        labels, ids = [], []
        for g, part in fields(series):
            if g == 1:
                kv = dict(fields(part))
                labels.append("%s=%s" % (kv.get(1, b"").decode(), kv.get(2, b"").decode()))
            elif g == 2:
                sample = dict(fields(part))
                ids.append(sample.get(2, b"").decode())
                with open("%s/raw-%d-%d.pb.gz" % (outdir, s, len(ids)), "wb") as out:
                    out.write(sample.get(1, b""))
        print("series %d %s ids=%s" % (s, " ".join(labels), ",".join(ids)))


cmd = sys.argv[1]
if cmd == "serve":
    serve(*sys.argv[2:])
elif cmd == "sums":
    sums(sys.argv[2:])
elif cmd == "attrs":
    attrs(sys.argv[2])
elif cmd == "add_attrs":
    add_attrs(sys.argv[2], sys.argv[3])
elif cmd == "query":
    query(sys.argv[2])
elif cmd == "push":
    push(sys.argv[2], sys.argv[3])
elif cmd == "b64":
    print(base64.b64encode(sys.argv[2].encode()).decode())
EOF

pyro() {
    "$PY" "$T/pyro.py" "$@"
}

# run_once WHAT INPUTS EXPORTER_YAML [EXTRA_QUEUE_YAML]: a file receiver reads
# INPUTS (a YAML list body) once into the pyroscope exporter configured by
# EXPORTER_YAML (a flow mapping body); profcol must exit 0.
run_once() {
    cat >"$T/once.yaml" <<EOF
receivers:
  file: {include: [$2], once: true}
exporters:
  pyroscope: {$3}
service:
  shutdown_timeout: 10s
  telemetry: {metrics: {level: none}}
  pipelines:
    profiles: {receivers: [file], exporters: [pyroscope]}
EOF
    _rc=0
    "$PROFCOL" run --config "$T/once.yaml" 2>"$T/stderr" || _rc=$?
    if [ "$_rc" -eq 0 ]; then
        ok
    else
        bad "$1: profcol exited $_rc"
    fi
}

# ---- inputs ------------------------------------------------------------------------------
# shop.json: google-pprof__sample.cpu as OTLP/JSON with resource attributes
# (service.name shop, k8s.pod.name, "weird key" with ',' and '}', an int).
"$PROFCOL" convert "$CORPUS/google-pprof__sample.cpu" "$T/plain.json" 2>"$T/stderr"
pyro add_attrs "$T/plain.json" "$T/shop.json"
HEAP="$CORPUS/parca__alloc_objects.pb.gz"
OTHERS="parca__two-stacks.pb.gz parca__profile-with-labels.pb.gz pprof_all_fields.pb.gz"
INCLUDE="\"$T/shop.json\", \"$HEAP\""
for f in $OTHERS; do
    INCLUDE="$INCLUDE, \"$CORPUS/$f\""
done
# What was sent, as OTLP/JSON, for the sums.
"$PROFCOL" convert "$HEAP" "$T/in-heap.json" 2>>"$T/stderr"
IN_JSON="$T/shop.json $T/in-heap.json"
for f in $OTHERS; do
    "$PROFCOL" convert "$CORPUS/$f" "$T/in-$f.json" 2>>"$T/stderr"
    IN_JSON="$IN_JSON $T/in-$f.json"
done
# shellcheck disable=SC2086
pyro sums $IN_JSON >"$T/want.sums"
shop_samples=$(samples "$CORPUS/google-pprof__sample.cpu")
heap_samples=$(samples "$HEAP")
RETRY="retry_on_failure: {initial_interval: 50ms, max_interval: 200ms}"

# ---- (a) through profcol's own pprof receiver ------------------------------------------
cat >"$T/b.yaml" <<EOF
receivers:
  pprof: {endpoint: 127.0.0.1:0}
exporters:
  file: {path: $T/b.jsonl}
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    profiles: {receivers: [pprof], exporters: [file]}
EOF
start_profcol "$PROFCOL" "$T/b.yaml"
run_once "A -> B over /ingest" "$INCLUDE" "endpoint: \"http://127.0.0.1:$(port_of receiver pprof)\""
E2E_STDERR=$PCOL_LOG
stop_profcol
equal "B exit status" "$PCOL_EXIT" 0
E2E_STDERR=$T/stderr
pyro sums "$T/b.jsonl" >"$T/got.sums"
if cmp -s "$T/want.sums" "$T/got.sums"; then
    ok
else
    bad "round trip: samples and value sums per service and type differ"
    diff "$T/want.sums" "$T/got.sums" >&2 || true
fi
check "round trip: 5 files, 4 of them without service.name" \
    [ "$(grep -c '^unknown_service ' "$T/got.sums")" -ge 4 ]
pyro attrs "$T/b.jsonl" >"$T/b.attrs"
for want in service.name=shop service.name=unknown_service k8s_pod_name=shop-1 weird_key=v1 \
    replicas=3 pyroscope.spy=profcol; do
    check "round trip: resource attribute $want arrived" grep -qx "$want" "$T/b.attrs"
done

# ---- (b) the requests, recorded: /ingest -------------------------------------------------
start_server ingest 200
E2E_USER=alice E2E_PASS='s3cret:x' E2E_TEAM=blue run_once "ingest, recorded" \
    "\"$T/shop.json\", \"$HEAP\"" \
    "endpoint: \"http://127.0.0.1:$SPORT/pyro/\", tenant_id: acme,
    basic_auth: {username_env: E2E_USER, password_env: E2E_PASS},
    headers: {x-team: \"\${env:E2E_TEAM}\"}"
stop_server
D=$T/ingest
equal "ingest: one request per file" "$(calls "$D")" 2
basic=$(pyro b64 'alice:s3cret:x')
for n in 1 2; do
    m="$D/req-$n.meta"
    check "ingest $n: POST to the prefix + /ingest" grep -q '^POST /pyro/ingest?' "$m"
    pyro query "$m" >"$T/q$n"
    equal "ingest $n: query keys" "$(head -1 "$T/q$n")" "format,from,name,spyName,until"
    check "ingest $n: format=pprof" grep -qx 'format=pprof' "$T/q$n"
    check "ingest $n: spyName=profcol" grep -qx 'spyName=profcol' "$T/q$n"
    from=$(sed -n 's/^from=//p' "$T/q$n")
    until=$(sed -n 's/^until=//p' "$T/q$n")
    check "ingest $n: from and until are Unix seconds, until >= from" \
        sh -c "[ ${#from} -eq 10 ] && [ $until -ge $from ]"
    check "ingest $n: X-Scope-OrgID" grep -qx 'x-scope-orgid: acme' "$m"
    check "ingest $n: Basic auth from the environment" grep -qx "authorization: Basic $basic" "$m"
    check "ingest $n: custom header from \${env:...}" grep -qx 'x-team: blue' "$m"
    check "ingest $n: Content-Type" grep -qx 'content-type: application/octet-stream' "$m"
    check "ingest $n: no Content-Encoding" sh -c "! grep -q '^content-encoding' '$m'"
    cp "$D/req-$n.body" "$T/body$n.pb.gz"
done
shop_req=$(grep -l 'name=shop{' "$T/q1" "$T/q2" | head -1)
heap_req=$(grep -l 'name=unknown_service$' "$T/q1" "$T/q2" | head -1)
check "ingest: name=shop{k8s_pod_name=shop-1,replicas=3,weird_key=v1}" \
    grep -qx 'name=shop{k8s_pod_name=shop-1,replicas=3,weird_key=v1}' "${shop_req:-/dev/null}"
check "ingest: a resource without service.name is unknown_service, without tags" \
    [ -n "$heap_req" ]
check "ingest: name percent-encoded on the wire" \
    grep -q 'name=shop%7Bk8s_pod_name%3Dshop-1%2Creplicas%3D3%2Cweird_key%3Dv1%7D' \
    "$D/req-1.meta" "$D/req-2.meta"
shop_n=$(echo "$shop_req" | sed 's/.*q//')
heap_n=$(echo "$heap_req" | sed 's/.*q//')
equal "ingest: the shop body is a gzip pprof with the input's samples" \
    "$(samples "$T/body${shop_n:-0}.pb.gz")" "$shop_samples"
equal "ingest: the heap body is a gzip pprof with the input's samples" \
    "$(samples "$T/body${heap_n:-0}.pb.gz")" "$heap_samples"

# Bearer token from the environment.
start_server bearer 200
E2E_TOKEN=tok-123 run_once "ingest, bearer" "\"$HEAP\"" \
    "endpoint: \"http://127.0.0.1:$SPORT\", bearer_token_env: E2E_TOKEN"
stop_server
check "bearer: POST /ingest without a prefix" grep -q '^POST /ingest?' "$T/bearer/req-1.meta"
check "bearer: Authorization: Bearer from the environment" \
    grep -qx 'authorization: Bearer tok-123' "$T/bearer/req-1.meta"

# ---- (b) the requests, recorded: Push ------------------------------------------------------
start_server push 200
run_once "push, recorded" "\"$T/shop.json\", \"$HEAP\"" \
    "endpoint: \"http://127.0.0.1:$SPORT/pyro\", protocol: push, compression: gzip,
    sending_queue: {batch: {min_size: 1000000, flush_timeout: 500ms}}"
stop_server
D=$T/push
equal "push: one request for the batched export" "$(calls "$D")" 1
m="$D/req-1.meta"
check "push: POST to the prefix + /push.v1.PusherService/Push" \
    grep -qx 'POST /pyro/push.v1.PusherService/Push' "$m"
check "push: Content-Type application/proto" grep -qx 'content-type: application/proto' "$m"
check "push: Connect-Protocol-Version: 1" grep -qx 'connect-protocol-version: 1' "$m"
check "push: gzip body" grep -qx 'content-encoding: gzip' "$m"
mkdir -p "$T/raw"
pyro push "$D/req-1.body" "$T/raw" >"$T/push.series" 2>>"$T/stderr" || bad "push: undecodable"
equal "push: two series" "$(wc -l <"$T/push.series" | tr -d ' ')" 2
shop_s=$(grep 'service_name=shop ' "$T/push.series" || true)
heap_s=$(grep 'service_name=unknown_service ' "$T/push.series" || true)
for want in __name__=process_cpu __delta__=false pyroscope_spy=profcol k8s_pod_name=shop-1 \
    weird_key=v,1} replicas=3; do
    check "push: the shop series has $want" sh -c "echo '$shop_s' | grep -q ' $want '"
done
check "push: the heap series is memory" sh -c "echo '$heap_s' | grep -q ' __name__=memory '"
check "push: labels sorted" sh -c "echo '$shop_s' | grep -q \
    '__delta__=false __name__=process_cpu k8s_pod_name=shop-1 pyroscope_spy=profcol replicas=3 service_name=shop weird_key=v,1} ids='"
check "push: UUID v4 sample IDs" sh -c \
    "[ \$(grep -cE 'ids=[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' '$T/push.series') -eq 2 ]"
shop_i=$(echo "$shop_s" | awk '{ print $2 }')
heap_i=$(echo "$heap_s" | awk '{ print $2 }')
equal "push: the shop raw profile has the input's samples" \
    "$(samples "$T/raw/raw-${shop_i:-0}-1.pb.gz")" "$shop_samples"
equal "push: the heap raw profile has the input's samples" \
    "$(samples "$T/raw/raw-${heap_i:-0}-1.pb.gz")" "$heap_samples"

# ---- (b) HTTPS: the server's certificate verified with tls.ca_file ---------------------
if command -v openssl >/dev/null 2>&1; then
    for name in server other; do
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$name" \
            -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/$name.key" -out "$T/$name.pem" \
            2>/dev/null
    done
    start_server tls 200 "" "$T/server.pem" "$T/server.key"
    run_once "https with the server's CA" "\"$HEAP\"" \
        "endpoint: \"https://127.0.0.1:$SPORT\", tls: {ca_file: \"$T/server.pem\"}"
    equal "https: the request arrived" "$(calls "$T/tls" 200)" 1
    run_once "https with a wrong CA" "\"$HEAP\"" \
        "endpoint: \"https://127.0.0.1:$SPORT\", tls: {ca_file: \"$T/other.pem\"},
        retry_on_failure: {enabled: false}"
    check "wrong CA: refused" grep -qi 'certificate verify failed' "$T/stderr"
    equal "wrong CA: nothing more arrived" "$(calls "$T/tls")" 1
    stop_server
else
    bad "openssl is not installed (scripts/setup.sh installs it)"
fi

# ---- (c) answers ------------------------------------------------------------------------------
start_server r503 503,503,200 1
t0=$(date +%s%N)
run_once "503 twice, then 200" "\"$HEAP\"" \
    "endpoint: \"http://127.0.0.1:$SPORT\", $RETRY"
t1=$(date +%s%N)
stop_server
equal "503: three requests" "$(calls "$T/r503")" 3
equal "503: delivered once" "$(calls "$T/r503" 200)" 1
check "503: the retries carried the same request" cmp "$T/r503/req-1.body" "$T/r503/req-3.body"
check "503: Retry-After (1 s) honoured over the 50 ms backoff, twice" \
    [ $(((t1 - t0) / 1000000)) -ge 2000 ]

# An export of two pprofs (batched): the second gets a 503, the retry
# sends only the second.
start_server resume 200,503,200
run_once "503 in the middle of an export" "\"$T/shop.json\", \"$HEAP\"" \
    "endpoint: \"http://127.0.0.1:$SPORT\", $RETRY,
    sending_queue: {batch: {min_size: 1000000, flush_timeout: 500ms}}"
stop_server
equal "resume: three requests" "$(calls "$T/resume")" 3
check "resume: the retry resent the refused request" \
    cmp "$T/resume/req-2.body" "$T/resume/req-3.body"
check "resume: not the accepted one" sh -c "! cmp -s '$T/resume/req-1.body' '$T/resume/req-3.body'"

# A refusal inside an export of two: the other is still delivered.
start_server partial 422,200
run_once "422 in an export of two" "\"$T/shop.json\", \"$HEAP\"" \
    "endpoint: \"http://127.0.0.1:$SPORT\", $RETRY,
    sending_queue: {batch: {min_size: 1000000, flush_timeout: 500ms}}"
stop_server
equal "partial: both requests sent once" "$(calls "$T/partial")" 2
check "partial: the refusal logged with the server's message" \
    grep -q 'request 1 of 2 refused (HTTP 422 (unknown): the test server says 422)' "$T/stderr"

# 422 in a running service: one request, counted, logged.
start_server r422 422
cat >"$T/svc.yaml" <<EOF
receivers:
  pprof: {endpoint: 127.0.0.1:0}
exporters:
  pyroscope:
    endpoint: http://127.0.0.1:$SPORT
    $RETRY
service:
  shutdown_timeout: 5s
  telemetry: {metrics: {address: 127.0.0.1:0}}
  pipelines:
    profiles: {receivers: [pprof], exporters: [pyroscope]}
EOF
start_profcol "$PROFCOL" "$T/svc.yaml"
E2E_STDERR=$PCOL_LOG
check "POST /v1/pprof" curl -sf --data-binary "@$CORPUS/google-pprof__sample.cpu" \
    "http://127.0.0.1:$(port_of receiver pprof)/v1/pprof"
wait_calls "$T/r422" 1 || true
url="http://127.0.0.1:$(port_of telemetry metrics)/metrics"
n=50
while ! curl -s "$url" | grep -q '^profcol_exporter_send_failed_profiles_total{exporter="pyroscope"} [1-9]' &&
    [ "$n" -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
check "422: the batch's profiles counted as send_failed" sh -c \
    "curl -s '$url' | grep -q '^profcol_exporter_send_failed_profiles_total{exporter=\"pyroscope\"} 2$'"
sleep 0.5
equal "422: not retried" "$(calls "$T/r422")" 1
check "422: logged with the server's JSON message" \
    grep -q 'HTTP 422 (unknown): the test server says 422' "$PCOL_LOG"
stop_profcol
equal "service exit status" "$PCOL_EXIT" 0
stop_server
E2E_STDERR=$T/stderr

finish
