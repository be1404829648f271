/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_http.c: encode() and send() of the `otlp_http` exporter: one POST
 * per export over HTTP/1.1 (plain or TLS), the body an
 * ExportProfilesServiceRequest as protobuf or OTLP/JSON, compressed as
 * configured. The answer is classified by OTLP's rules: 2xx delivered (a
 * partial success is logged, not retried); 429, 502, 503 and 504
 * retryable, with Retry-After (seconds or an HTTP date) as the helper's
 * retry hint; every other status permanent, logged with the message of
 * the google.rpc.Status the server sent. No answer (connect failure,
 * reset, timeout) is retryable.
 *
 * Ownership: one heap `struct call` per request, freed by its callback;
 * the payload stays the exporter helper's.
 */
#include "otlp_exporter.h"

#include "codec_otlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct call {
    struct pcol__otlpexp *x;
    struct pcol_export *exp;
};

/* Pure: may run on a worker thread; reads only the options and `b`. */
int pcol__otlpexp_http_encode(struct pcol_instance *inst, const struct pcol_batch *b,
                              struct pcol_buf *out)
{
    const struct pcol__otlpexp *x = pcol_ctx(inst);
    enum pcol_encoding enc = pcol__otlpexp_encoding(x);
    struct pcol_buf raw = {0};
    struct pcol_buf *dst = enc == PCOL_ENC_IDENTITY ? out : &raw;

    if (x->encoding == PCOL__OTLPEXP_JSON) {
        pcol_otlp_json_encode(b, dst);
    } else {
        pcol_otlp_encode(b, dst);
    }
    if (dst == &raw) {
        pcol_compress(enc, 0, raw.p, raw.len, out);
        pcol_buf_free(&raw);
    }
    return 0;
}

static bool is_json(const struct pcol_http_client_resp *resp)
{
    const char *ct = pcol_http_client_header(resp->headers, resp->n_headers, "content-type");

    return ct && !strncasecmp(ct, "application/json", 16);
}

static bool is_protobuf(const struct pcol_http_client_resp *resp)
{
    const char *ct = pcol_http_client_header(resp->headers, resp->n_headers, "content-type");

    return ct && (!strncasecmp(ct, "application/x-protobuf", 22) ||
                  !strncasecmp(ct, "application/protobuf", 20));
}

/* What an error answer says: its google.rpc.Status message, else the
 * start of a text body. */
static void error_text(const struct pcol_http_client_resp *resp, char *out, size_t cap)
{
    size_t i, n = resp->body_len < cap - 1 ? resp->body_len : cap - 1;

    if (is_json(resp) || is_protobuf(resp)) {
        pcol__otlpexp_status_message(resp->body, resp->body_len, is_json(resp), out, cap);
        return;
    }
    for (i = 0; i < n; i++) {
        uint8_t c = resp->body[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    while (i > 0 && out[i - 1] == ' ') {
        i--;
    }
    out[i] = '\0';
}

static bool retryable_status(int status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

static void answered(void *data, const struct pcol_http_client_resp *resp)
{
    struct call *call = data;
    struct pcol__otlpexp *x = call->x;
    struct pcol_export *exp = call->exp;
    char text[160], detail[200];
    uint64_t rejected;

    free(call);
    if (resp->error) {
        pcol__otlpexp_transport_failed(exp, resp->error, resp->error_msg);
        return;
    }
    if (resp->status >= 200 && resp->status < 300) {
        if (pcol__otlpexp_partial_success(resp->body, resp->body_len, is_json(resp), &rejected,
                                          text, sizeof(text))) {
            pcol__otlpexp_partial(x, exp, rejected, text);
        }
        pcol_export_done(exp, PCOL_EXPORT_OK, 0, NULL);
        return;
    }
    error_text(resp, text, sizeof(text));
    snprintf(detail, sizeof(detail), "HTTP %d%s%s", resp->status, text[0] ? ": " : "", text);
    if (retryable_status(resp->status)) {
        const char *ra = pcol_http_client_header(resp->headers, resp->n_headers, "retry-after");
        pcol_export_done(exp, PCOL_EXPORT_RETRYABLE, pcol_http_retry_after_ms(ra, time(NULL)),
                         detail);
        return;
    }
    pcol_export_done(exp, PCOL_EXPORT_PERMANENT, 0, detail);
}

int pcol__otlpexp_http_send(struct pcol_instance *inst, struct pcol_export *exp)
{
    struct pcol__otlpexp *x = pcol_ctx(inst);
    const struct pcol_buf *payload = pcol_export_payload(exp);
    enum pcol_encoding enc = pcol__otlpexp_encoding(x);
    struct pcol_http_header fixed[3] = {
        {"Content-Type",
         x->encoding == PCOL__OTLPEXP_JSON ? "application/json" : "application/x-protobuf"},
        {PCOL__OTLPEXP_VERSION_HEADER, PCOL__OTLPEXP_VERSION},
    };
    struct pcol_http_client_req req = {
        .host = x->target.host,
        .port = x->target.port,
        .tls = x->peer.tls,
        .method = "POST",
        .path = x->target.path,
        .body = payload->p,
        .body_len = payload->len,
        .timeout_ms = pcol_export_timeout_ms(exp),
    };
    struct call *call = pcol_xmalloc(sizeof(*call));
    struct pcol_http_header *headers;
    struct pcol_err err = {{0}};
    size_t n_fixed = 2;
    int rc;

    if (enc != PCOL_ENC_IDENTITY) {
        fixed[n_fixed].name = "Content-Encoding";
        fixed[n_fixed++].value = pcol_encoding_name(enc);
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
