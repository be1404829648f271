/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_grpc.c: encode() and send() of the `otlp` exporter: one unary
 * ProfilesService/Export call per export over HTTP/2 (h2c, or TLS with
 * ALPN h2). The answer is classified by OTLP's rules: OK delivered (a
 * partial success is logged, not retried); CANCELLED, DEADLINE_EXCEEDED,
 * ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS retryable;
 * RESOURCE_EXHAUSTED retryable only with a google.rpc.RetryInfo, whose
 * delay goes to the exporter helper as the retry hint; every other status
 * permanent. No answer (connect failure, reset, timeout) is retryable.
 *
 * Ownership: one heap `struct call` per request, freed by its callback;
 * the payload stays the exporter helper's.
 */
#include "otlp_exporter.h"

#include "codec_otlp.h"
#include "grpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct call {
    struct pcol__otlpexp *x;
    struct pcol_export *exp;
};

/* Pure: may run on a worker thread; reads only the options and `b`. */
int pcol__otlpexp_grpc_encode(struct pcol_instance *inst, const struct pcol_batch *b,
                              struct pcol_buf *out)
{
    const struct pcol__otlpexp *x = pcol_ctx(inst);
    struct pcol_buf msg = {0};
    int rc = 0;

    pcol_otlp_encode(b, &msg);
    if (msg.len > UINT32_MAX) {
        rc = PCOL_ERANGE;
    } else {
        pcol_grpc_frame(pcol__otlpexp_encoding(x), msg.p, msg.len, out);
    }
    pcol_buf_free(&msg);
    return rc;
}

/* A server that said OK in its status whose message we cannot read still
 * took the data. */
static bool status_said_ok(const struct pcol_http_client_resp *resp)
{
    const char *v = pcol_http_client_header(resp->trailers, resp->n_trailers, "grpc-status");

    if (!v) {
        v = pcol_http_client_header(resp->headers, resp->n_headers, "grpc-status");
    }
    return v && !strcmp(v, "0");
}

static void delivered(struct pcol__otlpexp *x, struct pcol_export *exp,
                      const struct pcol_grpc_result *res)
{
    char msg[200];
    uint64_t rejected;

    if (res->msg &&
        pcol__otlpexp_partial_success(res->msg, res->msg_len, false, &rejected, msg, sizeof(msg))) {
        pcol__otlpexp_partial(x, exp, rejected, msg);
    }
    pcol_export_done(exp, PCOL_EXPORT_OK, 0, NULL);
}

static void answered(void *data, const struct pcol_http_client_resp *resp)
{
    struct call *call = data;
    struct pcol__otlpexp *x = call->x;
    struct pcol_export *exp = call->exp;
    struct pcol_grpc_result res;
    struct pcol_buf scratch = {0};
    char detail[PCOL_ERR_MAX + 32];
    bool retry;
    int rc;

    free(call);
    if (resp->error) {
        pcol__otlpexp_transport_failed(exp, resp->error, resp->error_msg);
        return;
    }
    rc = pcol_grpc_parse_response(resp->status, resp->headers, resp->n_headers, resp->trailers,
                                  resp->n_trailers, resp->body, resp->body_len,
                                  PCOL__OTLPEXP_MAX_RESPONSE, &scratch, &res, NULL);
    if (res.status == PCOL_GRPC_OK || (rc != 0 && status_said_ok(resp))) {
        delivered(x, exp, &res);
    } else {
        retry = pcol_grpc_retryable(res.status, res.retry_delay_ms >= 0);
        snprintf(detail, sizeof(detail), "%s: %s", pcol_grpc_status_name(res.status),
                 res.message[0] ? res.message : "no message");
        pcol_export_done(exp, retry ? PCOL_EXPORT_RETRYABLE : PCOL_EXPORT_PERMANENT,
                         retry && res.retry_delay_ms > 0 ? (uint64_t)res.retry_delay_ms : 0,
                         detail);
    }
    pcol_buf_free(&scratch);
}

int pcol__otlpexp_grpc_send(struct pcol_instance *inst, struct pcol_export *exp)
{
    struct pcol__otlpexp *x = pcol_ctx(inst);
    const struct pcol_buf *payload = pcol_export_payload(exp);
    uint64_t timeout_ms = pcol_export_timeout_ms(exp);
    enum pcol_encoding enc = pcol__otlpexp_encoding(x);
    struct pcol_http_header fixed[6] = {
        {"content-type", PCOL_GRPC_CONTENT_TYPE},
        {"te", "trailers"},
        {"grpc-accept-encoding", PCOL_GRPC_ACCEPT_ENCODING},
        {PCOL__OTLPEXP_VERSION_HEADER, PCOL__OTLPEXP_VERSION},
    };
    struct pcol_http_client_req req = {
        .host = x->target.host,
        .port = x->target.port,
        .tls = x->peer.tls,
        .h2 = true,
        .method = "POST",
        .path = x->target.path,
        .body = payload->p,
        .body_len = payload->len,
        .timeout_ms = timeout_ms,
    };
    struct call *call = pcol_xmalloc(sizeof(*call));
    struct pcol_http_header *headers;
    struct pcol_err err = {{0}};
    size_t n_fixed = 4;
    char timeout[16];
    int rc;

    if (enc != PCOL_ENC_IDENTITY) {
        fixed[n_fixed].name = "grpc-encoding";
        fixed[n_fixed++].value = pcol_encoding_name(enc);
    }
    /* The server may stop work the client no longer waits for. */
    if (timeout_ms) {
        pcol_grpc_timeout_format(timeout_ms, timeout);
        fixed[n_fixed].name = "grpc-timeout";
        fixed[n_fixed++].value = timeout;
    }
    headers = pcol__otlpexp_headers(x, fixed, n_fixed, &req.n_headers);
    req.headers = headers;
    call->x = x;
    call->exp = exp;
    rc = pcol_http_client_request(x->peer.client, &req, answered, call, &err);
    free(headers);
    if (rc != 0) {
        free(call);
        pcol__otlpexp_transport_failed(exp, rc, err.msg);
    }
    return 0;
}
