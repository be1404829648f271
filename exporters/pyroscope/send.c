/* SPDX-License-Identifier: Apache-2.0 */
/*
 * send.c: send() of the `pyroscope` exporter: the requests of one export
 * attempt and what their answers mean.
 *
 *   ingest  the payload's requests (ingest.c's framing) go one after
 *           another on the exporter's HTTP client. The exporter helper's
 *           progress counter keeps, across the attempts of an export, how
 *           many requests were answered (low 31 bits) and whether any was
 *           accepted (top bit), so a retry starts at the first request not
 *           yet answered. A refused request (a permanent status) does not
 *           stop the others: once a request of the export was accepted, the
 *           refused requests' profiles are counted as send_failed
 *           (pcol_export_rejected) and the attempt ends OK; refusals before
 *           the first acceptance are held back and counted then, so that an
 *           export whose every request is refused ends as one permanent
 *           failure, counted once by the helper.
 *   push    the payload is the body of the one Push request.
 *
 * Answer classes are response.c's: accepted, retry (with Retry-After as the
 * helper's hint) or permanent. No answer at all (connect failure, reset,
 * timeout) is retried; an answer too big to be Pyroscope's is permanent.
 * The attempt's requests share the exporter's `timeout`: each gets what is
 * left of it.
 *
 * Ownership: one heap `struct call` per attempt, freed just before
 * pcol_export_done(); the payload stays the exporter helper's; request
 * paths and header arrays live for the pcol_http_client_request() call.
 */
#include "pyroscope_exporter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROGRESS_DONE 0x7fffffffu     /* ingest: requests answered (accepted or refused) */
#define PROGRESS_ACCEPTED 0x80000000u /* ingest: some request of the export was accepted */
#define MAX_FIXED_HEADERS 5

/* One attempt of one export. */
struct call {
    struct pcol__pyroexp *x;
    struct pcol_export *exp;
    uint64_t deadline_ms; /* uv_now() by which the attempt must end; 0: none */
    char detail[256];     /* ingest: why the last request was refused */
};

static void end(struct call *c, enum pcol_export_result result, uint64_t retry_after_ms,
                const char *detail)
{
    struct pcol_export *exp = c->exp;

    free(c);
    pcol_export_done(exp, result, retry_after_ms, detail);
}

/* The exporter's own headers (protocol, tenant, credentials) followed by
 * the configured ones not named like one of them. A heap array the caller
 * frees; the strings stay borrowed. */
static struct pcol_http_header *headers(const struct pcol__pyroexp *x,
                                        struct pcol_http_header *fixed, size_t n_fixed, size_t *n)
{
    struct pcol_http_header *h;
    size_t i, j;

    if (x->tenant_id) {
        fixed[n_fixed].name = "X-Scope-OrgID";
        fixed[n_fixed++].value = x->tenant_id;
    }
    if (x->authorization) {
        fixed[n_fixed].name = "Authorization";
        fixed[n_fixed++].value = x->authorization;
    }
    h = pcol_xmalloc((n_fixed + x->headers.n) * sizeof(*h));
    memcpy(h, fixed, n_fixed * sizeof(*h));
    *n = n_fixed;
    for (i = 0; i < x->headers.n; i++) {
        for (j = 0; j < n_fixed && strcasecmp(fixed[j].name, x->headers.v[i].key); j++) {
        }
        if (j == n_fixed) {
            h[*n].name = x->headers.v[i].key;
            h[(*n)++].value = x->headers.v[i].value;
        }
    }
    return h;
}

/* Starts one request of the attempt; false when it could not start (the
 * attempt is then over and `c` freed). */
static bool request(struct call *c, const char *path, const uint8_t *body, size_t len,
                    struct pcol_http_header *fixed, size_t n_fixed, pcol_http_client_cb cb)
{
    struct pcol__pyroexp *x = c->x;
    struct pcol_http_client_req req = {
        .host = x->target.host,
        .port = x->target.port,
        .tls = x->peer.tls,
        .method = "POST",
        .path = path,
        .body = body,
        .body_len = len,
    };
    struct pcol_http_header *h = headers(x, fixed, n_fixed, &req.n_headers);
    struct pcol_err err = {{0}};
    int rc;

    if (c->deadline_ms) {
        uint64_t now = uv_now(pcol_loop(x->inst));

        if (now >= c->deadline_ms) {
            free(h);
            end(c, PCOL_EXPORT_RETRYABLE, 0, "timed out");
            return false;
        }
        req.timeout_ms = c->deadline_ms - now;
    }
    req.headers = h;
    rc = x->peer.client ? pcol_http_client_request(x->peer.client, &req, cb, c, &err)
                        : pcol_err_set(&err, PCOL_EIO, "the exporter is stopping");
    free(h);
    if (rc != 0) {
        end(c, rc == PCOL_EINVAL ? PCOL_EXPORT_PERMANENT : PCOL_EXPORT_RETRYABLE, 0, err.msg);
        return false;
    }
    return true;
}

/* An answer that is not a delivery: retry, or (returns true) permanent
 * with its detail in c->detail. A retry ends the attempt. */
static bool not_delivered(struct call *c, const struct pcol_http_client_resp *resp)
{
    if (resp->error) {
        /* No usable answer: the connection, the timeout, or a response
         * too big to be Pyroscope's (which will not get better). */
        if (resp->error == PCOL_ERANGE) {
            snprintf(c->detail, sizeof(c->detail), "%s", resp->error_msg);
            return true;
        }
        end(c, PCOL_EXPORT_RETRYABLE, 0, resp->error_msg);
        return false;
    }
    pcol__pyroexp_error_detail(resp, c->detail, sizeof(c->detail));
    if (pcol__pyroexp_classify(resp->status) == PCOL__PYROEXP_RETRY) {
        const char *ra = pcol_http_client_header(resp->headers, resp->n_headers, "retry-after");
        char detail[sizeof(c->detail)];

        memcpy(detail, c->detail, sizeof(detail));
        end(c, PCOL_EXPORT_RETRYABLE, pcol_http_retry_after_ms(ra, time(NULL)), detail);
        return false;
    }
    return true;
}

static void push_answered(void *data, const struct pcol_http_client_resp *resp)
{
    struct call *c = data;
    char detail[sizeof(c->detail)];

    if (!resp->error && pcol__pyroexp_classify(resp->status) == PCOL__PYROEXP_ACCEPTED) {
        end(c, PCOL_EXPORT_OK, 0, NULL);
    } else if (not_delivered(c, resp)) {
        memcpy(detail, c->detail, sizeof(detail));
        end(c, PCOL_EXPORT_PERMANENT, 0, detail);
    }
}

static void push_send(struct call *c, const struct pcol_buf *payload)
{
    struct pcol__pyroexp *x = c->x;
    struct pcol_http_header fixed[MAX_FIXED_HEADERS] = {
        {"Content-Type", "application/proto"},
        {"Connect-Protocol-Version", "1"},
    };
    size_t n_fixed = 2;
    char *path;

    if (x->compression == PCOL__PYROEXP_GZIP) {
        fixed[n_fixed].name = "Content-Encoding";
        fixed[n_fixed++].value = "gzip";
    }
    path = pcol_xmalloc(strlen(x->target.prefix) + sizeof(PCOL__PYROEXP_PUSH_PATH));
    strcpy(path, x->target.prefix);
    strcat(path, PCOL__PYROEXP_PUSH_PATH);
    request(c, path, payload->p, payload->len, fixed, n_fixed, push_answered);
    free(path);
}

static void ingest_next(struct call *c);

static void ingest_answered(void *data, const struct pcol_http_client_resp *resp)
{
    struct call *c = data;
    const struct pcol_buf *payload = pcol_export_payload(c->exp);
    uint32_t *progress = pcol_export_progress(c->exp);
    uint32_t done = *progress & PROGRESS_DONE,
             n = pcol__pyroexp_ingest_count(payload->p, payload->len);
    struct pcol__pyroexp_frame f = {0};
    uint32_t i;

    if (!resp->error && pcol__pyroexp_classify(resp->status) == PCOL__PYROEXP_ACCEPTED) {
        /* Refusals before the first acceptance were held back in case the
         * whole export would end as one permanent failure: count them now. */
        for (i = 0; !(*progress & PROGRESS_ACCEPTED) && i < done; i++) {
            if (pcol__pyroexp_ingest_frame(payload->p, payload->len, i, &f)) {
                pcol_export_rejected(c->exp, f.profiles);
            }
        }
        *progress = (done + 1) | PROGRESS_ACCEPTED;
        ingest_next(c);
        return;
    }
    if (!not_delivered(c, resp)) {
        return;
    }
    if (n > 1) {
        pcol_log(c->x->inst, c->x->refusal_logged ? PCOL_LOG_DEBUG : PCOL_LOG_WARN,
                 "request %u of %u refused (%s); its profiles are dropped, the rest is still "
                 "sent%s",
                 done + 1, n, c->detail,
                 c->x->refusal_logged ? "" : "; further refusals are logged at debug level");
        c->x->refusal_logged = true;
    }
    if ((*progress & PROGRESS_ACCEPTED) &&
        pcol__pyroexp_ingest_frame(payload->p, payload->len, done, &f)) {
        pcol_export_rejected(c->exp, f.profiles);
    }
    *progress = (done + 1) | (*progress & PROGRESS_ACCEPTED);
    ingest_next(c);
}

/* Sends the next request of the export, or ends the attempt. */
static void ingest_next(struct call *c)
{
    const struct pcol_buf *payload = pcol_export_payload(c->exp);
    uint32_t progress = *pcol_export_progress(c->exp);
    uint32_t done = progress & PROGRESS_DONE,
             n = pcol__pyroexp_ingest_count(payload->p, payload->len);
    struct pcol_http_header fixed[MAX_FIXED_HEADERS] = {
        {"Content-Type", "application/octet-stream"},
    };
    struct pcol__pyroexp_frame f;
    struct pcol_buf path = {0};
    char detail[sizeof(c->detail)];

    if (done >= n) {
        if (n == 0 || (progress & PROGRESS_ACCEPTED)) {
            end(c, PCOL_EXPORT_OK, 0, NULL);
        } else {
            memcpy(detail, c->detail, sizeof(detail));
            end(c, PCOL_EXPORT_PERMANENT, 0, detail);
        }
        return;
    }
    if (!pcol__pyroexp_ingest_frame(payload->p, payload->len, done, &f)) {
        end(c, PCOL_EXPORT_PERMANENT, 0, "malformed payload");
        return;
    }
    pcol_buf_puts(&path, c->x->target.prefix);
    pcol_buf_puts(&path, PCOL__PYROEXP_INGEST_PATH "?");
    pcol_buf_append(&path, f.query, f.query_len);
    pcol_buf_putc(&path, '\0');
    request(c, (const char *)path.p, f.body, f.body_len, fixed, 1, ingest_answered);
    pcol_buf_free(&path);
}

int pcol__pyroexp_send(struct pcol_instance *inst, struct pcol_export *exp)
{
    struct pcol__pyroexp *x = pcol_ctx(inst);
    const struct pcol_buf *payload = pcol_export_payload(exp);
    uint64_t timeout = pcol_export_timeout_ms(exp);
    struct call *c = pcol_xcalloc(1, sizeof(*c));

    c->x = x;
    c->exp = exp;
    c->deadline_ms = timeout ? uv_now(pcol_loop(inst)) + timeout : 0;
    if (x->protocol == PCOL__PYROEXP_INGEST) {
        ingest_next(c);
    } else if (payload->len == 0) {
        end(c, PCOL_EXPORT_OK, 0, NULL);
    } else {
        push_send(c, payload);
    }
    return 0;
}
