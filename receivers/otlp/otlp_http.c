/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_http.c: OTLP/HTTP for the `otlp` receiver.
 *
 *   POST /v1development/profiles (and the older /v1experimental/profiles)
 *   Content-Type application/x-protobuf or application/json (else 415),
 *   Content-Encoding gzip, zstd or none (else 415).
 *
 * Answers in the request's format: 200 with an ExportProfilesServiceResponse
 * (partial_success when profiles without samples were dropped); errors as a
 * google.rpc.Status {code, message}: 400 bad data or version header, 401
 * with WWW-Authenticate, 413 over max_request_body_size (on the wire or
 * after decompression) or the pipeline's memory_limit, 503 with Retry-After
 * when the pipeline is over its budget. Errors the HTTP server makes itself
 * (404, 405, 408, 413 on the wire, 431) have no request format to follow and
 * are JSON.
 *
 * Ownership: see otlp_receiver.h; response bodies are handed to the server.
 */
#include "otlp_receiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROTOBUF_TYPE "application/x-protobuf"
#define JSON_TYPE "application/json"

/* google.rpc.Code of an HTTP status, as the OTLP/HTTP Status body carries
 * it (the inverse of the gRPC-to-HTTP mapping). */
static int rpc_code(int status)
{
    switch (status) {
    case 400:
    case 415: return 3;  /* INVALID_ARGUMENT */
    case 401: return 16; /* UNAUTHENTICATED */
    case 403: return 7;  /* PERMISSION_DENIED */
    case 404: return 5;  /* NOT_FOUND */
    case 405: return 12; /* UNIMPLEMENTED */
    case 408: return 4;  /* DEADLINE_EXCEEDED */
    case 413:
    case 429:
    case 431: return 8;                     /* RESOURCE_EXHAUSTED */
    case 503: return 14;                    /* UNAVAILABLE */
    default: return status >= 500 ? 13 : 2; /* INTERNAL, UNKNOWN */
    }
}

static void json_status(struct pcol_buf *out, int status, const char *message)
{
    pcol_buf_printf(out, "{\"code\":%d,\"message\":", rpc_code(status));
    pcol_buf_json_string(out, message);
    pcol_buf_putc(out, '}');
}

static void put_varint(struct pcol_buf *out, uint64_t v)
{
    while (v >= 0x80) {
        pcol_buf_putc(out, (char)(v | 0x80));
        v >>= 7;
    }
    pcol_buf_putc(out, (char)v);
}

/* google.rpc.Status: code = 1 (int32), message = 2 (string). */
static void protobuf_status(struct pcol_buf *out, int status, const char *message)
{
    size_t n = strlen(message);

    pcol_buf_putc(out, 0x08);
    put_varint(out, (uint64_t)rpc_code(status));
    if (n) {
        pcol_buf_putc(out, 0x12);
        put_varint(out, n);
        pcol_buf_append(out, message, n);
    }
}

void pcol__otlprcv_http_error_body(void *data, int status, const char *message,
                                   struct pcol_buf *body, const char **content_type)
{
    /* Handlers answer with bodies of their own, so this sees only errors
     * the server makes: count them as refusals. */
    if (status != 404) {
        pcol_receiver_refused(data, pcol__otlprcv_status_reason(status), 0, message);
    }
    json_status(body, status, message);
    *content_type = JSON_TYPE;
}

/* ---- answers ------------------------------------------------------------------------ */

static void respond_buf(struct pcol_http_request *req, int status, const char *type,
                        struct pcol_buf *body)
{
    if (body->len == 0) {
        pcol_http_respond(req, status, type, NULL, 0);
        return;
    }
    pcol_http_respond_take(req, status, type, body->p, body->len, free);
}

static void http_fail(struct pcol__otlprcv_job *j, int status, const char *message)
{
    struct pcol__otlprcv *rcv = pcol_ctx(j->inst);
    struct pcol_buf body = {NULL, 0, 0};
    char challenge[64];

    if (status == 503) {
        pcol_http_response_header(j->req, "Retry-After", PCOL__OTLPRCV_RETRY_AFTER);
    } else if (status == 401 && rcv->auth_scheme) {
        snprintf(challenge, sizeof(challenge), "%s realm=\"profcol\"", rcv->auth_scheme);
        pcol_http_response_header(j->req, "WWW-Authenticate", challenge);
    }
    if (j->format == PCOL__OTLPRCV_JSON) {
        json_status(&body, status, message);
    } else {
        protobuf_status(&body, status, message);
    }
    respond_buf(j->req, status, j->format == PCOL__OTLPRCV_JSON ? JSON_TYPE : PROTOBUF_TYPE, &body);
}

static void http_ok(struct pcol__otlprcv_job *j, uint64_t rejected, const char *message)
{
    struct pcol_buf body = {NULL, 0, 0};

    if (j->format == PCOL__OTLPRCV_PROTOBUF) {
        pcol__otlprcv_response(&body, rejected, message);
        respond_buf(j->req, 200, PROTOBUF_TYPE, &body);
        return;
    }
    if (rejected) {
        pcol_buf_printf(&body, "{\"partialSuccess\":{\"rejectedProfiles\":\"%llu\",",
                        (unsigned long long)rejected);
        pcol_buf_puts(&body, "\"errorMessage\":");
        pcol_buf_json_string(&body, message);
        pcol_buf_puts(&body, "}}");
    } else {
        pcol_buf_puts(&body, "{}");
    }
    respond_buf(j->req, 200, JSON_TYPE, &body);
}

static const struct pcol__otlprcv_ops http_ops = {http_ok, http_fail};

/* ---- requests ------------------------------------------------------------------------- */

/* Whether the media type of Content-Type `value` (parameters ignored) is
 * `type`. */
static bool media_type_is(const char *value, const char *type)
{
    size_t n = strlen(type);

    if (!value || strncasecmp(value, type, n) != 0) {
        return false;
    }
    value += n;
    value += strspn(value, " \t");
    return *value == '\0' || *value == ';';
}

static int prepare(struct pcol__otlprcv_job *j)
{
    const char *type = pcol_http_header(j->req, "content-type");
    const char *enc = pcol_http_header(j->req, "content-encoding");
    int e = enc ? pcol_encoding_parse(enc) : PCOL_ENC_IDENTITY;

    if (!media_type_is(type, PROTOBUF_TYPE) && j->format != PCOL__OTLPRCV_JSON) {
        pcol_err_set(&j->err, PCOL_ENOTSUP,
                     "Content-Type %.60s is not supported (use " PROTOBUF_TYPE " or " JSON_TYPE ")",
                     type ? type : "(none)");
        return pcol__otlprcv_refuse(j, 415, "bad_request");
    }
    if (e < 0) {
        pcol_err_set(&j->err, PCOL_ENOTSUP,
                     "Content-Encoding %.40s is not supported (use gzip or zstd)", enc);
        return pcol__otlprcv_refuse(j, 415, "bad_request");
    }
    j->encoding = (enum pcol_encoding)e;
    return 0;
}

static void on_export(struct pcol_http_request *req, void *data)
{
    struct pcol_instance *inst = data;
    struct pcol__otlprcv *rcv = pcol_ctx(inst);
    struct pcol__otlprcv_job *j = pcol__otlprcv_job_new(inst, req, &http_ops);

    /* Known before anything can fail, so that errors come in the request's
     * own format. */
    j->format = media_type_is(pcol_http_header(req, "content-type"), JSON_TYPE)
                    ? PCOL__OTLPRCV_JSON
                    : PCOL__OTLPRCV_PROTOBUF;
    j->max_plain = (size_t)rcv->protocols.http.max_request_body_size;
    if (pcol__otlprcv_check_request(j) == 0) {
        prepare(j);
    }
    pcol__otlprcv_job_run(j);
}

void pcol__otlprcv_http_routes(struct pcol_instance *inst, struct pcol_http_server *srv)
{
    pcol_http_route(srv, "POST", "/v1development/profiles", on_export, inst, 0);
    pcol_http_route(srv, "POST", "/v1experimental/profiles", on_export, inst, 0);
}
