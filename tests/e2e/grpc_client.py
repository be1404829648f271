# SPDX-License-Identifier: Apache-2.0
"""grpc_client.py: one OTLP profiles Export call made by the real gRPC
implementation (Debian python3-grpcio; run it with /usr/bin/python3), for the
otlp receiver's e2e test. The request is sent as raw bytes through a generic
unary call, so no generated Python code is needed.

    grpc_client.py TARGET [--file F | --zeros N | --text S] [--compression gzip]
                   [--metadata KEY=VALUE]... [--ca PEM] [--expect CODE] [--timeout S]

--ca makes the call over TLS, trusting only the CAs in PEM.

Prints "CODE rejected=N message=..." for OK (the response's partial_success)
or "CODE: details" otherwise, and exits 0 when the status is the expected one
(OK by default), 1 when not. Owned by the otlp receiver work.
"""
import argparse
import sys

import grpc

METHOD = "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def partial_success(resp):
    """(rejected_profiles, error_message) of an ExportProfilesServiceResponse."""
    rejected, message = 0, ""
    i = 0
    while i < len(resp):
        key, i = varint(resp, i)
        if key != 0x0A:  # only field 1 (partial_success) is expected
            raise ValueError("unexpected field key %d in the response" % key)
        n, i = varint(resp, i)
        inner, i = resp[i:i + n], i + n
        j = 0
        while j < len(inner):
            k, j = varint(inner, j)
            if k == 0x08:
                rejected, j = varint(inner, j)
            elif k == 0x12:
                m, j = varint(inner, j)
                message, j = inner[j:j + m].decode(), j + m
            else:
                raise ValueError("unexpected field key %d in partial_success" % k)
    return rejected, message


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--file")
    src.add_argument("--zeros", type=int)
    src.add_argument("--text")
    ap.add_argument("--compression", choices=["none", "gzip"], default="none")
    ap.add_argument("--metadata", action="append", default=[])
    ap.add_argument("--ca")
    ap.add_argument("--expect", default="OK")
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()

    if a.file:
        with open(a.file, "rb") as f:
            body = f.read()
    elif a.zeros is not None:
        body = bytes(a.zeros)
    else:
        body = (a.text or "").encode()
    metadata = [tuple(m.split("=", 1)) for m in a.metadata]
    compression = grpc.Compression.NoCompression
    if a.compression == "gzip":
        compression = grpc.Compression.Gzip

    if a.ca:
        with open(a.ca, "rb") as f:
            channel = grpc.secure_channel(a.target, grpc.ssl_channel_credentials(f.read()))
    else:
        channel = grpc.insecure_channel(a.target)
    with channel:
        export = channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
        try:
            resp = export(body, timeout=a.timeout, metadata=metadata, compression=compression)
            rejected, message = partial_success(resp)
            code = "OK"
            print("OK rejected=%d message=%s" % (rejected, message))
        except grpc.RpcError as e:
            code = e.code().name
            print("%s: %s" % (code, e.details()))
    return 0 if code == a.expect else 1


if __name__ == "__main__":
    sys.exit(main())
