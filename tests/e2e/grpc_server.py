#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in OTLP profiles server for the exporter tests.

    /usr/bin/python3 grpc_server.py PORTFILE OUTDIR [--http] [--port P]
        [--fail-first N] [--status S] [--retry-info-ms MS] [--retry-after S]
        [--partial N] [--tls CERT KEY] [--client-ca CA]

By default a real gRPC server (Debian's python3-grpcio, so run it with
/usr/bin/python3) serving ProfilesService/Export through a generic handler
with no (de)serializers, so it sees the raw request bytes; with --http an
OTLP/HTTP server (POST /v1development/profiles, any path accepted) on the
standard library. It binds 127.0.0.1 (port 0 unless --port), writes the
port to PORTFILE once it listens, and serves until SIGTERM.

Every call is numbered from 1 and logged to OUTDIR/calls.log as "N STATUS"
(STATUS "ok" or the failure); the request of an accepted call is saved as
OUTDIR/req-N.binpb (or .json for OTLP/JSON, decompressed either way) with
its headers in OUTDIR/req-N.meta ("name: value" lines; with --http the
first is ":path: PATH").

Failures: --status S fails calls with S (a gRPC status name such as
UNAVAILABLE, or an HTTP status number with --http); with --fail-first N
only the first N calls fail (S defaults to UNAVAILABLE / 503).
--retry-info-ms adds a google.rpc.RetryInfo to gRPC failures,
--retry-after an HTTP Retry-After header. --partial N answers accepted
calls with a partial success rejecting N profiles. --tls serves TLS
(--client-ca requires client certificates signed by CA).
"""
import argparse
import gzip
import http.server
import os
import signal
import threading
from concurrent import futures

SERVICE = "opentelemetry.proto.collector.profiles.v1development.ProfilesService"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def partial_response(rejected):
    """ExportProfilesServiceResponse{partial_success{rejected_profiles, error_message}}."""
    inner = field_varint(1, rejected) + field_bytes(2, b"rejected by the test server")
    return field_bytes(1, inner)


def status_details(code, message, retry_ms):
    """google.rpc.Status{code, message, details: [Any{RetryInfo{retry_delay}}]}."""
    duration = field_varint(1, retry_ms // 1000)
    if retry_ms % 1000:
        duration += field_varint(2, (retry_ms % 1000) * 1000000)
    any_msg = field_bytes(1, b"type.googleapis.com/google.rpc.RetryInfo")
    any_msg += field_bytes(2, field_bytes(1, duration))
    return field_varint(1, code) + field_bytes(2, message.encode()) + field_bytes(3, any_msg)


class Recorder:
    """Numbers calls, decides their fate and writes what they carried."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.calls = 0
        os.makedirs(args.outdir, exist_ok=True)

    def next_call(self):
        with self.lock:
            self.calls += 1
            return self.calls

    def failure(self, n):
        a = self.args
        if a.fail_first is not None:
            if n > a.fail_first:
                return None
            return a.status or ("503" if a.http else "UNAVAILABLE")
        return a.status

    def record(self, n, status, body, ext, meta):
        if status is None:
            with open(os.path.join(self.args.outdir, "req-%d.%s" % (n, ext)), "wb") as f:
                f.write(body)
            with open(os.path.join(self.args.outdir, "req-%d.meta" % n), "w") as f:
                for k, v in meta:
                    f.write("%s: %s\n" % (k.lower(), v))
        with self.lock, open(os.path.join(self.args.outdir, "calls.log"), "a") as f:
            f.write("%d %s\n" % (n, status or "ok"))


def serve_grpc(args, rec):
    import grpc

    def export(request, context):
        n = rec.next_call()
        status = rec.failure(n)
        meta = [(m.key, m.value) for m in context.invocation_metadata()
                if not m.key.endswith("-bin")]
        rec.record(n, status, request, "binpb", meta)
        if status is None:
            return partial_response(args.partial) if args.partial else b""
        code = grpc.StatusCode[status]
        if args.retry_info_ms is not None:
            details = status_details(code.value[0], "come back later", args.retry_info_ms)
            context.set_trailing_metadata((("grpc-status-details-bin", details),))
        context.abort(code, "the test server says " + status)

    handler = grpc.method_handlers_generic_handler(
        SERVICE, {"Export": grpc.unary_unary_rpc_method_handler(export)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=[handler])
    addr = "127.0.0.1:%d" % args.port
    if args.tls:
        cert, key = (open(p, "rb").read() for p in args.tls)
        ca = open(args.client_ca, "rb").read() if args.client_ca else None
        creds = grpc.ssl_server_credentials([(key, cert)], root_certificates=ca,
                                            require_client_auth=ca is not None)
        port = server.add_secure_port(addr, creds)
    else:
        port = server.add_insecure_port(addr)
    server.start()
    return port, lambda: server.stop(0).wait()


class HttpHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    rec = None

    def do_POST(self):
        args = self.rec.args
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding", "") == "gzip":
            body = gzip.decompress(body)
        json = self.headers.get("Content-Type", "").startswith("application/json")
        n = self.rec.next_call()
        status = self.rec.failure(n)
        meta = [(":path", self.path)] + self.headers.items()
        self.rec.record(n, status, body, "json" if json else "binpb", meta)
        if status is None:
            if json:
                out = b"{}"
                if args.partial:
                    out = (b'{"partialSuccess":{"rejectedProfiles":"%d","errorMessage":'
                           b'"rejected by the test server"}}' % args.partial)
            else:
                out = partial_response(args.partial) if args.partial else b""
            self.answer(200, out, json)
            return
        if json:
            out = b'{"code":3,"message":"the test server says no"}'
        else:
            out = field_varint(1, 3) + field_bytes(2, b"the test server says no")
        self.answer(int(status), out, json)

    def answer(self, code, body, json):
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if json else "application/x-protobuf")
        self.send_header("Content-Length", str(len(body)))
        if code != 200 and self.rec.args.retry_after is not None:
            self.send_header("Retry-After", self.rec.args.retry_after)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def serve_http(args, rec):
    HttpHandler.rec = rec
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), HttpHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop():
        server.shutdown()
        server.server_close()

    return server.server_address[1], stop


def main():
    p = argparse.ArgumentParser()
    p.add_argument("portfile")
    p.add_argument("outdir")
    p.add_argument("--http", action="store_true")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fail-first", type=int)
    p.add_argument("--status")
    p.add_argument("--retry-info-ms", type=int)
    p.add_argument("--retry-after")
    p.add_argument("--partial", type=int, default=0)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--client-ca")
    args = p.parse_args()

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    rec = Recorder(args)
    port, stop = (serve_http if args.http else serve_grpc)(args, rec)
    with open(args.portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.portfile + ".tmp", args.portfile)
    while not stopping.wait(0.2):
        pass
    stop()


if __name__ == "__main__":
    main()
