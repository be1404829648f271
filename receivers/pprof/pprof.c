/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pprof.c: the `pprof` receiver: profiles pushed over HTTP by profilers,
 * and pulled from Go programs' net/http/pprof endpoints (`scrape:`).
 *
 *   POST /ingest, /pyroscope/ingest (and //ingest, which the Node SDK sends
 *        with a trailing-slash address): Grafana Pyroscope's legacy ingest
 *        API, as the Go, Node, Java (pprof only) and old Python/Ruby/.NET
 *        SDKs and curl users speak it. Query `name=app{k=v,...}` (required),
 *        `from`, `until`, `format`, `sampleRate`, `spyName`; the body is a
 *        pprof (raw or gzip), a multipart form with a `profile` part, or
 *        folded / lines text. Success is exactly 200 with an empty body (the
 *        Go SDK wants nothing else); errors are Connect-style JSON
 *        {"code":"invalid_argument","message":"..."}: 400 bad query, 413 too
 *        big, 422 undecodable, 503 + Retry-After over the memory budget.
 *   POST /v1/pprof: the body is one pprof, raw or gzip, optionally with
 *        Content-Encoding: gzip; 204 on success, text/plain errors.
 *
 * Resource attributes added to /ingest profiles: `service.name` (the app
 * name, without the profile-type suffix for text formats), every tag as a
 * string attribute under its own key, and `pyroscope.spy` (spyName) when
 * given. A pprof without a time (0 or before 1971) gets `from` as its time
 * and `until - from` as its duration; text profiles always do.
 *
 * A `tls:` section with a cert_file turns the endpoint into HTTPS (h2 or
 * http/1.1 by ALPN; client certificates with client_ca_file).
 *
 * Errors the HTTP server makes itself (404, 405, 413, 431, ...) use the same
 * JSON shape on every path, since the error body is per server.
 *
 * Bodies over 64 KiB are decoded on the thread pool: the job owns the body
 * and a fresh batch there, and the loop thread submits and answers after.
 *
 * Scraping (scrape.c, scrape_options.c): with `scrape.targets`, the
 * receiver also pulls profiles from Go programs' net/http/pprof handlers,
 * every target x profile once per `scrape.interval` (cpu with
 * ?seconds=N), and submits them with resource attributes `service.name`
 * (the target's service_name, default "unspecified"), its labels, and
 * `profcol.scrape.url` (the target's url). Profiles pass on as Go serves
 * them (allocs, mutex and block are cumulative; no deltas are computed).
 * Metrics by receiver, target and profile: profcol_scrape_profiles_total,
 * profcol_scrape_skipped_total (a tick found the previous scrape still
 * running) and profcol_scrape_failures_total{reason} (connection, timeout,
 * http_<status>, too_large, undecodable, memory_limit); each failure reason
 * is logged once per target. The listener runs as well, whatever the
 * scraper does.
 *
 * Ownership: the instance context owns the HTTP server until stop() has
 * closed it, and the scraper from start() until destroy(). A job owns its
 * query values, body and batch; pcol_submit() takes the batch. The request
 * belongs to the server; a job answers it exactly once.
 */
#include "codec_pprof.h"
#include "component.h"
#include "compress.h"
#include "http_server.h"
#include "ingest.h"
#include "scrape.h"
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Bodies up to this size decode on the loop thread: a thread-pool round
 * trip costs more than decoding them. */
#define INLINE_MAX (64 * 1024)
#define RETRY_AFTER "5"

struct pprof_rcv {
    /* options */
    struct pcol_endpoint endpoint;
    uint64_t max_body;
    uint64_t max_decompressed;
    struct pcol_tls_settings tls;
    struct pcol_pprof_scrape_settings scrape;
    /* state */
    struct pcol_http_server *srv;
    struct pcol_pprof_scraper *scraper;
    unsigned stopping; /* the server and the scraper still closing */
    pcol_stop_cb stop_done;
    bool own_error; /* the error body being built is the handler's, not the server's */
};

static const struct pcol_option options[] = {
    {"endpoint", PCOL_OPT_ENDPOINT, offsetof(struct pprof_rcv, endpoint), "0.0.0.0:4040", NULL,
     NULL, NULL, 0, NULL, 0,
     "Address to listen on for Pyroscope /ingest and /v1/pprof uploads (port 0 picks one)."},
    {"max_request_body_size", PCOL_OPT_SIZE, offsetof(struct pprof_rcv, max_body), "256MiB", "1KiB",
     NULL, NULL, 0, NULL, 0,
     "Largest request body accepted, before decompression; larger ones get 413."},
    {"max_decompressed_size", PCOL_OPT_SIZE, offsetof(struct pprof_rcv, max_decompressed), "64MiB",
     "1KiB", NULL, NULL, 0, NULL, 0,
     "Largest profile after gzip decompression (guards against gzip bombs); larger ones get "
     "413."},
    {"tls", PCOL_OPT_SECTION, offsetof(struct pprof_rcv, tls), NULL, NULL, NULL, NULL, 0,
     pcol_tls_server_options, 0, "HTTPS on the endpoint; plain HTTP unless cert_file is set."},
    {"scrape", PCOL_OPT_SECTION, offsetof(struct pprof_rcv, scrape), NULL, NULL, NULL, NULL, 0,
     pcol_pprof_scrape_options, 0,
     "Pull profiles from Go programs' net/http/pprof endpoints as well (off without "
     "targets)."},
    {0},
};

enum route {
    ROUTE_INGEST,
    ROUTE_PPROF,
};

struct job {
    struct pcol_instance *inst;
    struct pcol_http_request *req;
    enum route route;
    /* what to decode, set on the loop thread */
    enum pcol_pyro_format format;
    bool gunzip;
    size_t max_decompressed;
    char boundary[PCOL_MULTIPART_MAX_BOUNDARY + 1];
    struct pcol_pyro_name name;
    size_t service_len;
    char *spy;
    struct pcol_pyro_sample_type text_type;
    uint64_t from, until;
    uint8_t *body;
    size_t len;
    /* the outcome */
    struct pcol_batch *b;
    int status;         /* HTTP status of a refusal, 0 when decoding worked */
    const char *reason; /* the refusal's metric reason */
    struct pcol_err err;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Marks the job refused; the message is already in j->err. */
static int refuse(struct job *j, int status, const char *reason)
{
    j->status = status;
    j->reason = reason;
    return PCOL_EINVAL;
}

static int decode_failed(struct job *j, int rc)
{
    if (rc == PCOL_ERANGE) {
        return refuse(j, 413, "too_large");
    }
    return refuse(j, j->route == ROUTE_INGEST ? 422 : 400, "undecodable");
}

/* ---- responses ------------------------------------------------------------------ */

/* Connect's code for an HTTP status, as Pyroscope's error bodies carry it. */
static const char *connect_code(int status)
{
    switch (status) {
    case 400: return "invalid_argument";
    case 401: return "unauthenticated";
    case 403: return "permission_denied";
    case 404: return "not_found";
    case 405:
    case 501: return "unimplemented";
    case 408:
    case 504: return "deadline_exceeded";
    case 413:
    case 429:
    case 431: return "resource_exhausted";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "unknown";
    }
}

/* The server's error bodies. Errors it makes itself (body too large, wrong
 * method, bad HTTP) never reach a handler, so they are counted here. */
static void error_body(void *data, int status, const char *message, struct pcol_buf *body,
                       const char **content_type)
{
    struct pcol_instance *inst = data;
    struct pprof_rcv *rcv = pcol_ctx(inst);

    if (!rcv->own_error && status != 404) {
        pcol_receiver_refused(inst,
                              status == 413 || status == 431 ? "too_large"
                              : status == 408                ? "timeout"
                                                             : "bad_request",
                              0, message);
    }
    pcol_buf_printf(body, "{\"code\":\"%s\",\"message\":", connect_code(status));
    pcol_buf_json_string(body, message);
    pcol_buf_putc(body, '}');
    *content_type = "application/json";
}

static void respond_error(struct job *j, int status, const char *msg)
{
    struct pprof_rcv *rcv = pcol_ctx(j->inst);
    char text[PCOL_ERR_MAX + 2];
    int n;

    if (status == 503) {
        pcol_http_response_header(j->req, "Retry-After", RETRY_AFTER);
    }
    if (j->route == ROUTE_PPROF) {
        n = snprintf(text, sizeof(text), "%s\n", msg);
        pcol_http_respond(j->req, status, "text/plain; charset=utf-8", text,
                          n < (int)sizeof(text) ? (size_t)n : sizeof(text) - 1);
        return;
    }
    rcv->own_error = true;
    pcol_http_respond_error(j->req, status, msg);
    rcv->own_error = false;
}

static void respond_ok(struct job *j)
{
    pcol_http_respond(j->req, j->route == ROUTE_INGEST ? 200 : 204, NULL, NULL, 0);
}

/* ---- decoding (thread pool for large bodies: touches only the job) --------------- */

static int decode_pprof(struct job *j, const uint8_t *p, size_t n)
{
    struct pcol_pprof_decode_opts o = {0};
    int rc;

    if (n == 0 && j->route == ROUTE_INGEST) {
        return 0; /* Pyroscope accepts an empty profile and stores nothing */
    }
    o.max_decompressed = j->max_decompressed;
    rc = pcol_pprof_decode(j->b, p, n, &o, &j->err);
    return rc != 0 ? decode_failed(j, rc) : 0;
}

/* The sample_type_config part must be JSON; its display names only rename
 * Pyroscope series, so nothing else of it is kept. */
static int check_sample_type_config(struct job *j, const struct pcol_multipart_part *cfg)
{
    struct pcol_buf plain = {NULL, 0, 0};
    const uint8_t *p = cfg->data;
    size_t n = cfg->len;
    int rc = 0;

    if (pcol_is_gzip(p, n)) {
        rc = pcol_decompress(PCOL_ENC_GZIP, p, n, j->max_decompressed, &plain, &j->err);
        p = plain.p;
        n = plain.len;
    }
    if (rc == 0) {
        rc = pcol_json_check(p, n, &j->err);
    }
    pcol_buf_free(&plain);
    if (rc != 0) {
        pcol_err_wrap(&j->err, rc, "multipart part sample_type_config");
        return decode_failed(j, rc);
    }
    return 0;
}

static int decode_multipart(struct job *j, const uint8_t *p, size_t n)
{
    const struct pcol_multipart_part *part;
    struct pcol_multipart m;
    int rc = pcol_multipart_parse(p, n, j->boundary, &m, &j->err);

    if (rc != 0) {
        return decode_failed(j, rc);
    }
    part = pcol_multipart_find(&m, "prev_profile");
    if (part && part->len) {
        pcol_err_set(&j->err, PCOL_EINVAL,
                     "unsupported client version. Please update github.com/grafana/pyroscope-go "
                     "to the latest version");
        rc = refuse(j, 422, "bad_request");
    }
    part = pcol_multipart_find(&m, "sample_type_config");
    if (rc == 0 && part && part->len) {
        rc = check_sample_type_config(j, part);
    }
    part = pcol_multipart_find(&m, "profile");
    if (rc == 0 && part) {
        rc = decode_pprof(j, part->data, part->len);
    }
    pcol_multipart_free(&m);
    return rc;
}

static void job_decode(void *data)
{
    struct job *j = data;
    struct pcol_buf plain = {NULL, 0, 0};
    const uint8_t *p = j->body;
    size_t n = j->len;
    int rc = 0;

    if (j->gunzip) {
        rc = pcol_decompress(PCOL_ENC_GZIP, p, n, j->max_decompressed, &plain, &j->err);
        if (rc != 0) {
            pcol_err_wrap(&j->err, rc, "Content-Encoding gzip");
            decode_failed(j, rc);
        }
        p = plain.p;
        n = plain.len;
    }
    if (rc == 0) {
        switch (j->format) {
        case PCOL_PYRO_MULTIPART: rc = decode_multipart(j, p, n); break;
        case PCOL_PYRO_FOLDED:
        case PCOL_PYRO_LINES:
            rc = pcol_pyro_parse_text(j->b, j->format == PCOL_PYRO_LINES, p, n, &j->text_type,
                                      &j->err);
            rc = rc != 0 ? decode_failed(j, rc) : 0;
            break;
        default: rc = decode_pprof(j, p, n); break;
        }
    }
    if (rc == 0 && j->route == ROUTE_INGEST) {
        pcol_pyro_label(j->b, 0, j->name.app, j->service_len, &j->name, j->spy);
        pcol_pyro_fill_times(j->b, 0, j->from, j->until);
    }
    pcol_buf_free(&plain);
    free(j->body);
    j->body = NULL;
}

/* ---- jobs (loop thread) ------------------------------------------------------------ */

static void job_free(struct job *j)
{
    pcol_pyro_name_free(&j->name);
    free(j->spy);
    free(j->body);
    pcol_batch_release(j->b);
    free(j);
}

static void job_done(void *data, int status)
{
    struct job *j = data;
    char detail[PCOL_ERR_MAX + 160];

    if (status != 0 && !j->status) {
        pcol_err_set(&j->err, PCOL_EIO, "the collector is stopping; retry later");
        refuse(j, 503, "stopping");
    }
    if (j->status) {
        snprintf(detail, sizeof(detail), "%.100s from %s: %s", j->req->path, j->req->remote,
                 j->err.msg);
        pcol_receiver_refused(j->inst, j->reason, 0, detail);
        respond_error(j, j->status, j->err.msg);
    } else if (!j->b || !j->b->n_resources) {
        respond_ok(j);
    } else {
        j->b->received_unix_nano = now_ns();
        status = pcol_submit(j->inst, j->b);
        j->b = NULL;
        if (status == PCOL_EBUSY) {
            respond_error(j, 503, "the pipeline is over its memory limit; retry later");
        } else if (status == PCOL_ERANGE) {
            respond_error(j, 413, "the profile is larger than the pipeline's memory_limit");
        } else {
            respond_ok(j);
        }
    }
    job_free(j);
}

/* Copies the decoded query parameter `name` to *out (heap), NULL when absent. */
static int query_param(struct job *j, const char *name, char **out)
{
    size_t size = strlen(j->req->query) + 1;
    int rc;

    *out = pcol_xmalloc(size);
    rc = pcol_http_query_get(j->req, name, *out, size);
    if (rc >= 0) {
        return 0;
    }
    free(*out);
    *out = NULL;
    if (rc == PCOL_ENOENT) {
        return 0;
    }
    pcol_err_set(&j->err, rc, "query parameter %s: bad percent-encoding", name);
    return refuse(j, 400, "bad_request");
}

static int parse_time_param(struct job *j, const char *what, const char *s, uint64_t now,
                            uint64_t *out)
{
    int rc;

    *out = now;
    if (!s || !*s) {
        return 0;
    }
    rc = pcol_pyro_parse_time(s, now, out, &j->err);
    if (rc != 0) {
        pcol_err_wrap(&j->err, rc, "%s", what);
        return refuse(j, 400, "bad_request");
    }
    return 0;
}

/* The /ingest query parameters read as text (spyName is kept in the job). */
enum { Q_NAME, Q_FORMAT, Q_FROM, Q_UNTIL, Q_RATE, N_QUERY };

/* Reads what the /ingest query and headers say about the body; the
 * parameters' text goes to q[N_QUERY] (heap, freed by the caller). */
static int ingest_prepare(struct job *j, char **q)
{
    static const char *const params[N_QUERY] = {"name", "format", "from", "until", "sampleRate"};
    const char *ctype = pcol_http_header(j->req, "content-type");
    const char *enc = pcol_http_header(j->req, "content-encoding");
    const char *unsupported, *suffix;
    uint64_t now = now_ns();
    int rc = query_param(j, "spyName", &j->spy);
    size_t i;

    for (i = 0; i < N_QUERY && rc == 0; i++) {
        rc = query_param(j, params[i], &q[i]);
    }
    if (rc != 0) {
        return rc;
    }
    if (!q[Q_NAME]) {
        pcol_err_set(&j->err, PCOL_EINVAL, "name: service name is required");
        return refuse(j, 400, "bad_request");
    }
    if (pcol_pyro_parse_name(q[Q_NAME], &j->name, &j->err) != 0) {
        return refuse(j, 400, "bad_request");
    }
    j->service_len = strlen(j->name.app);
    j->format = pcol_pyro_select_format(q[Q_FORMAT], ctype, &unsupported);
    if (j->format == PCOL_PYRO_UNSUPPORTED) {
        pcol_err_set(&j->err, PCOL_ENOTSUP,
                     "format %s is not supported by profcol (send pprof, folded or lines)",
                     unsupported);
        return refuse(j, 400, "bad_request");
    }
    if (j->format == PCOL_PYRO_FOLDED || j->format == PCOL_PYRO_LINES) {
        suffix = pcol_pyro_app_suffix(j->name.app, &j->service_len);
        if (pcol_pyro_text_sample_type(suffix, pcol_pyro_sample_rate(q[Q_RATE]), &j->text_type,
                                       &j->err) != 0) {
            return refuse(j, 400, "bad_request");
        }
    }
    if (j->service_len == 0) {
        pcol_err_set(&j->err, PCOL_EINVAL, "name: service name is required");
        return refuse(j, 400, "bad_request");
    }
    if (j->format == PCOL_PYRO_MULTIPART &&
        pcol_multipart_boundary(ctype, j->boundary, &j->err) != 0) {
        return refuse(j, 400, "bad_request");
    }
    if ((rc = parse_time_param(j, "from", q[Q_FROM], now, &j->from)) != 0 ||
        (rc = parse_time_param(j, "until", q[Q_UNTIL], now, &j->until)) != 0) {
        return rc;
    }
    /* Pyroscope ignores Content-Encoding (old Rust SDKs send it with a
     * gzip body); honouring it only for gzip bytes keeps both working. */
    j->gunzip = enc && strcasecmp(enc, "gzip") == 0 && pcol_is_gzip(j->req->body, j->req->body_len);
    return 0;
}

static int pprof_prepare(struct job *j)
{
    const char *enc = pcol_http_header(j->req, "content-encoding");

    j->format = PCOL_PYRO_PPROF;
    if (!enc || !*enc || strcasecmp(enc, "identity") == 0) {
        return 0;
    }
    if (strcasecmp(enc, "gzip") != 0) {
        pcol_err_set(&j->err, PCOL_ENOTSUP, "Content-Encoding %.40s is not supported (use gzip)",
                     enc);
        return refuse(j, 415, "bad_request");
    }
    j->gunzip = true;
    return 0;
}

static int check_body(struct job *j)
{
    if (j->req->body_len == 0 && j->route == ROUTE_PPROF) {
        pcol_err_set(&j->err, PCOL_EINVAL, "the body is empty; expected a pprof profile");
        return refuse(j, 400, "bad_request");
    }
    if (!pcol_receiver_fits(j->inst, j->req->body_len)) {
        pcol_err_set(&j->err, PCOL_ERANGE, "the body is larger than the pipeline's memory_limit");
        return refuse(j, 413, "too_large");
    }
    if (!pcol_receiver_has_room(j->inst, j->req->body_len)) {
        pcol_err_set(&j->err, PCOL_EBUSY, "the pipeline is over its memory limit; retry later");
        return refuse(j, 503, "memory_limit");
    }
    return 0;
}

static void job_run(struct pcol_instance *inst, struct pcol_http_request *req, enum route route)
{
    struct pprof_rcv *rcv = pcol_ctx(inst);
    struct job *j = pcol_xcalloc(1, sizeof(*j));
    char *q[N_QUERY] = {NULL};
    size_t i;
    int rc;

    j->inst = inst;
    j->req = req;
    j->route = route;
    j->max_decompressed = (size_t)rcv->max_decompressed;
    rc = route == ROUTE_INGEST ? ingest_prepare(j, q) : pprof_prepare(j);
    for (i = 0; i < PCOL_ARRAY_SIZE(q); i++) {
        free(q[i]);
    }
    if (rc == 0) {
        rc = check_body(j);
    }
    if (rc != 0 || req->body_len == 0) {
        job_done(j, 0);
        return;
    }
    j->body = pcol_http_request_take_body(req, &j->len);
    j->b = pcol_batch_create(0);
    if (j->len > INLINE_MAX && pcol_work(inst, job_decode, job_done, j) == 0) {
        return;
    }
    job_decode(j);
    job_done(j, 0);
}

static void on_ingest(struct pcol_http_request *req, void *data)
{
    job_run(data, req, ROUTE_INGEST);
}

static void on_pprof(struct pcol_http_request *req, void *data)
{
    job_run(data, req, ROUTE_PPROF);
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void http_log(void *data, enum pcol_http_log_level level, const char *msg)
{
    static const enum pcol_log_level to_log[] = {
        [PCOL_HTTP_LOG_DEBUG] = PCOL_LOG_DEBUG,
        [PCOL_HTTP_LOG_INFO] = PCOL_LOG_INFO,
        [PCOL_HTTP_LOG_WARN] = PCOL_LOG_WARN,
        [PCOL_HTTP_LOG_ERROR] = PCOL_LOG_ERROR,
    };

    pcol_log(data, to_log[level], "http: %s", msg);
}

static void format_addr(const char *host, int port, char *out, size_t size)
{
    host = *host ? host : "0.0.0.0";
    snprintf(out, size, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

static int pprof_start(struct pcol_instance *inst)
{
    static const char *const ingest_paths[] = {"/ingest", "/pyroscope/ingest", "//ingest"};
    struct pprof_rcv *rcv = pcol_ctx(inst);
    struct pcol_http_server_opts o = {0};
    struct pcol_err err = {{0}};
    char addr[300];
    size_t i;
    int rc;

    rc =
        pcol_pprof_scraper_create(inst, &rcv->scrape, (size_t)rcv->max_decompressed, &rcv->scraper);
    if (rc != 0) {
        return rc;
    }
    o.max_body_bytes = (size_t)rcv->max_body;
    o.log = http_log;
    o.log_data = inst;
    o.error_body = error_body;
    o.error_body_data = inst;
    if (pcol_tls_server_enabled(&rcv->tls)) {
        o.tls = pcol_tls_ctx_create_server(&rcv->tls, pcol_http_server_alpn, &err);
        if (!o.tls) {
            pcol_log(inst, PCOL_LOG_ERROR, "%s", err.msg);
            return PCOL_EINVAL;
        }
    }
    rcv->srv = pcol_http_server_create(pcol_loop(inst), &o);
    pcol_tls_ctx_unref(o.tls); /* the server took its own reference */
    if (!rcv->srv) {
        pcol_log(inst, PCOL_LOG_ERROR, "cannot create the HTTP server");
        return PCOL_EIO;
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(ingest_paths); i++) {
        pcol_http_route(rcv->srv, "POST", ingest_paths[i], on_ingest, inst, 0);
    }
    pcol_http_route(rcv->srv, "POST", "/v1/pprof", on_pprof, inst, 0);
    rc = pcol_http_server_listen(rcv->srv, rcv->endpoint.host, rcv->endpoint.port, &err);
    if (rc != 0) {
        /* The message names the host and port. */
        pcol_log(inst, PCOL_LOG_ERROR, "endpoint: %s", err.msg);
        pcol_http_server_close(rcv->srv, NULL, NULL);
        rcv->srv = NULL;
        return rc;
    }
    format_addr(rcv->endpoint.host, pcol_http_server_port(rcv->srv), addr, sizeof(addr));
    pcol_receiver_listening(inst, pcol_tls_server_enabled(&rcv->tls) ? "https" : "http", addr);
    if (rcv->scraper) {
        pcol_pprof_scraper_run(rcv->scraper);
    }
    return 0;
}

static void one_closed(struct pcol_instance *inst)
{
    struct pprof_rcv *rcv = pcol_ctx(inst);

    if (--rcv->stopping == 0) {
        rcv->stop_done(inst);
    }
}

static void on_server_closed(void *data)
{
    struct pcol_instance *inst = data;
    struct pprof_rcv *rcv = pcol_ctx(inst);

    rcv->srv = NULL;
    one_closed(inst);
}

static void on_scraper_stopped(void *data)
{
    one_closed(data);
}

static void pprof_validate(const void *ctx, const struct pcol_cfg_node *node,
                           struct pcol_diag *diag)
{
    const struct pprof_rcv *rcv = ctx;

    pcol_tls_validate(&rcv->tls, true, pcol_cfg_get(node, "tls"), diag);
    pcol_pprof_scrape_validate(&rcv->scrape, pcol_cfg_get(node, "scrape"), diag);
}

static void pprof_stop(struct pcol_instance *inst, pcol_stop_cb done)
{
    struct pprof_rcv *rcv = pcol_ctx(inst);

    rcv->stop_done = done;
    rcv->stopping = 1; /* held until both are under way */
    if (rcv->scraper) {
        rcv->stopping++;
        pcol_pprof_scraper_stop(rcv->scraper, on_scraper_stopped, inst);
    }
    if (rcv->srv) {
        rcv->stopping++;
        pcol_http_server_close(rcv->srv, on_server_closed, inst);
    }
    one_closed(inst);
}

static void pprof_destroy(struct pcol_instance *inst)
{
    struct pprof_rcv *rcv = pcol_ctx(inst);

    pcol_pprof_scraper_free(rcv->scraper);
    rcv->scraper = NULL;
}

const struct pcol_component_def pcol_receiver_pprof = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_RECEIVER,
    .name = "pprof",
    .summary = "Receives pprof and text profiles over HTTP: Pyroscope's /ingest API (Go, Node, "
               "... SDKs) and POST /v1/pprof; scrapes Go net/http/pprof endpoints",
    .options = options,
    .ctx_size = sizeof(struct pprof_rcv),
    .validate = pprof_validate,
    .start = pprof_start,
    .stop = pprof_stop,
    .destroy = pprof_destroy,
};
