/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_grpc.c: OTLP/gRPC for the `otlp` receiver: the unary call
 * /opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export
 * over HTTP/2 (core/grpc.h does the framing, grpc-encoding and trailers).
 *
 * Statuses: OK with an ExportProfilesServiceResponse (partial_success when
 * profiles without samples were dropped), INVALID_ARGUMENT for bad data or
 * an unsupported otlp-profiles-development-version, UNAUTHENTICATED,
 * RESOURCE_EXHAUSTED over max_recv_msg_size_mib (after decompression) or
 * the pipeline's memory_limit, UNAVAILABLE with RetryInfo when the pipeline
 * is over its budget, UNIMPLEMENTED for a grpc-encoding we cannot decode.
 * A request that is not gRPC over HTTP/2 gets HTTP 415.
 *
 * Ownership: see otlp_receiver.h.
 */
#include "otlp_receiver.h"

#include "grpc.h"

#include <stdlib.h>

#define EXPORT_PATH "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"
#define RETRY_DELAY_MS 5000

static void grpc_fail(struct pcol__otlprcv_job *j, int status, const char *message)
{
    /* The job's 415 is a grpc-encoding we cannot decode: UNIMPLEMENTED in
     * gRPC, whose answer carries the encodings we accept. */
    enum pcol_grpc_status code =
        status == 415 ? PCOL_GRPC_UNIMPLEMENTED : pcol_grpc_status_from_http(status);

    pcol_grpc_respond_status(j->req, code, message, status == 503 ? RETRY_DELAY_MS : 0);
}

static void grpc_ok(struct pcol__otlprcv_job *j, uint64_t rejected, const char *message)
{
    struct pcol_buf body = {NULL, 0, 0};

    pcol__otlprcv_response(&body, rejected, message);
    pcol_grpc_respond(j->req, body.p, body.len);
    pcol_buf_free(&body);
}

static const struct pcol__otlprcv_ops grpc_ops = {grpc_ok, grpc_fail};

static void on_export(struct pcol_http_request *req, void *data)
{
    static const char not_grpc[] = "this endpoint serves gRPC (application/grpc over HTTP/2)\n";
    struct pcol_instance *inst = data;
    struct pcol__otlprcv *rcv = pcol_ctx(inst);
    struct pcol__otlprcv_job *j;
    const char *timeout;
    uint64_t timeout_ns;

    if (req->protocol != PCOL_HTTP_2 || !pcol_grpc_is_request(req)) {
        pcol_receiver_refused(inst, "bad_request", 0, "a request that is not gRPC");
        pcol_http_respond(req, 415, "text/plain", not_grpc, sizeof(not_grpc) - 1);
        return;
    }
    j = pcol__otlprcv_job_new(inst, req, &grpc_ops);
    j->format = PCOL__OTLPRCV_PROTOBUF;
    j->grpc = true;
    j->max_plain = (size_t)rcv->protocols.grpc.max_recv_msg_size_mib << 20;
    timeout = pcol_http_header(req, "grpc-timeout");
    if (timeout && pcol_grpc_timeout_parse(timeout, &timeout_ns) == 0) {
        /* Whole milliseconds: a sub-millisecond timeout has passed already. */
        j->deadline_ms = uv_now(pcol_loop(inst)) + timeout_ns / 1000000;
        j->has_deadline = true;
    }
    if (pcol__otlprcv_check_request(j) == 0 &&
        pcol_grpc_request_encoding(req, &j->encoding, &j->err) != 0) {
        pcol__otlprcv_refuse(j, 415, "bad_request");
    }
    pcol__otlprcv_job_run(j);
}

void pcol__otlprcv_grpc_routes(struct pcol_instance *inst, struct pcol_http_server *srv)
{
    struct pcol__otlprcv *rcv = pcol_ctx(inst);

    /* The frame's prefix comes on top of the message; a body over this gets
     * RESOURCE_EXHAUSTED from the server before it is all read. */
    pcol_http_route(srv, "POST", EXPORT_PATH, on_export, inst,
                    ((size_t)rcv->protocols.grpc.max_recv_msg_size_mib << 20) +
                        PCOL_GRPC_PREFIX_LEN);
}
