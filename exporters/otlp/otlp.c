/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp.c: the `otlp` exporter (OTLP/gRPC; `otlp_grpc` is the same exporter
 * under the collector's newer name) and the `otlp_http` exporter: their
 * option tables, endpoint parsing, validation and lifecycle. Encoding and
 * sending live in otlp_grpc.c and otlp_http.c.
 *
 * Both send what the exporter helper hands them as one request and map
 * the answer to OK / RETRYABLE / PERMANENT (OTLP's rules, see
 * otlp_grpc.c and otlp_http.c); retries, queueing and timeouts are the
 * helper's. Every request carries `otlp-profiles-development-version: 1`:
 * servers that predate that header ignore it, and those that know it read
 * the same revision as when it is missing.
 *
 * Ownership: the core owns the instance and this context. start() makes
 * the TLS context and the HTTP client; stop() closes the client (the
 * helper has drained by then, so nothing is in flight); destroy() frees
 * the rest.
 */
#include "otlp_exporter.h"
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_PATH "/v1development/profiles"
#define GRPC_PATH "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"

static const char *const compression_names[] = {"gzip", "zstd", "none", NULL};
static const char *const encoding_names[] = {"proto", "json", NULL};

#define KEEPALIVE(field)                                                                           \
    offsetof(struct pcol__otlpexp, keepalive.field) - offsetof(struct pcol__otlpexp, keepalive)

static const struct pcol_option keepalive_options[] = {
    {"time", PCOL_OPT_DURATION, KEEPALIVE(time), "0", "0", NULL, NULL, 0, NULL, 0,
     "Send an HTTP/2 PING after this long without a frame from the server (0: never; gRPC "
     "servers refuse PINGs more often than every 5 minutes by default)."},
    {"timeout", PCOL_OPT_DURATION, KEEPALIVE(timeout), "20s", "1ms", NULL, NULL, 0, NULL, 0,
     "Close the connection when a PING is not answered within this time."},
    {"permit_without_stream", PCOL_OPT_BOOL, KEEPALIVE(permit_without_stream), "false", NULL, NULL,
     NULL, 0, NULL, 0, "Also PING while no export is in flight."},
    {0},
};

#define COMMON_OPTIONS(endpoint_flags, endpoint_help)                                              \
    {"endpoint",                                                                                   \
     PCOL_OPT_STRING,                                                                              \
     offsetof(struct pcol__otlpexp, endpoint),                                                     \
     NULL,                                                                                         \
     "1",                                                                                          \
     NULL,                                                                                         \
     NULL,                                                                                         \
     endpoint_flags,                                                                               \
     NULL,                                                                                         \
     0,                                                                                            \
     endpoint_help},                                                                               \
        {"headers",                                                                                \
         PCOL_OPT_STRING_MAP,                                                                      \
         offsetof(struct pcol__otlpexp, headers),                                                  \
         NULL,                                                                                     \
         NULL,                                                                                     \
         NULL,                                                                                     \
         NULL,                                                                                     \
         0,                                                                                        \
         NULL,                                                                                     \
         0,                                                                                        \
         "Extra request headers, e.g. authorization: \"Bearer ${env:TOKEN}\"."},                   \
        {"compression",                                                                            \
         PCOL_OPT_ENUM,                                                                            \
         offsetof(struct pcol__otlpexp, compression),                                              \
         "gzip",                                                                                   \
         NULL,                                                                                     \
         NULL,                                                                                     \
         compression_names,                                                                        \
         0,                                                                                        \
         NULL,                                                                                     \
         0,                                                                                        \
         "Compression of the request body."},                                                      \
    {                                                                                              \
        "tls", PCOL_OPT_SECTION, offsetof(struct pcol__otlpexp, tls), NULL, NULL, NULL, NULL, 0,   \
            pcol_tls_client_options, 0,                                                            \
            "TLS to the server: used for https:// endpoints, and for a gRPC host:port unless "     \
            "insecure: true."                                                                      \
    }

static const struct pcol_option grpc_options[] = {
    COMMON_OPTIONS(PCOL_OPT_REQUIRED,
                   "host:port of the OTLP/gRPC server, e.g. gateway:4317; an https:// prefix "
                   "forces TLS, http:// plain text."),
    {"keepalive", PCOL_OPT_SECTION, offsetof(struct pcol__otlpexp, keepalive), NULL, NULL, NULL,
     NULL, 0, keepalive_options, 0, "HTTP/2 keep-alive PINGs on the connection."},
    PCOL_EXPORT_OPTIONS(struct pcol__otlpexp, helper),
    {0},
};

static const struct pcol_option http_options[] = {
    COMMON_OPTIONS(0, "Base URL of the OTLP/HTTP server, e.g. http://gateway:4318; profiles go "
                      "to its path + /v1development/profiles (needed unless profiles_endpoint "
                      "is given)."),
    {"profiles_endpoint", PCOL_OPT_STRING, offsetof(struct pcol__otlpexp, profiles_endpoint), NULL,
     "1", NULL, NULL, 0, NULL, 0, "Full URL to post profiles to, used as is instead of endpoint."},
    {"encoding", PCOL_OPT_ENUM, offsetof(struct pcol__otlpexp, encoding), "proto", NULL, NULL,
     encoding_names, 0, NULL, 0, "proto: application/x-protobuf; json: OTLP/JSON."},
    PCOL_EXPORT_OPTIONS(struct pcol__otlpexp, helper),
    {0},
};

/* ---- endpoints ---------------------------------------------------------------- */

void pcol__otlpexp_target_free(struct pcol__otlpexp_target *t)
{
    free(t->host);
    free(t->path);
    memset(t, 0, sizeof(*t));
}

/* The path part of an HTTP endpoint, with `suffix` after it (no double '/'). */
static char *join_path(const char *path, const char *suffix)
{
    size_t n = strlen(path);
    struct pcol_buf b = {0};

    while (suffix && n && path[n - 1] == '/') {
        n--;
    }
    pcol_buf_append(&b, path, n);
    if (suffix) {
        pcol_buf_puts(&b, suffix);
    } else if (n == 0) {
        pcol_buf_putc(&b, '/');
    }
    pcol_buf_putc(&b, '\0');
    return (char *)b.p;
}

int pcol__otlpexp_target_parse(const char *endpoint, bool grpc, bool insecure,
                               const char *default_path, struct pcol__otlpexp_target *t,
                               struct pcol_err *err)
{
    struct pcol_url u;
    int rc;

    memset(t, 0, sizeof(*t));
    rc = pcol_url_parse(endpoint, grpc, &u, err);
    if (rc == 0 && grpc && *u.path && strcmp(u.path, "/") != 0) {
        pcol_url_free(&u);
        rc = pcol_err_set(err, PCOL_EINVAL, "a gRPC endpoint takes no path");
    }
    if (rc != 0) {
        return pcol_err_wrap(err, rc, "endpoint \"%.80s\"", endpoint);
    }
    t->host = u.host;
    t->port = u.port;
    t->tls = u.has_scheme ? u.tls : !insecure;
    t->path = grpc ? pcol_xstrdup(GRPC_PATH) : join_path(u.path, default_path);
    free(u.path);
    return 0;
}

/* ---- shared by encode and send --------------------------------------------------- */

enum pcol_encoding pcol__otlpexp_encoding(const struct pcol__otlpexp *x)
{
    switch (x->compression) {
    case PCOL__OTLPEXP_GZIP: return PCOL_ENC_GZIP;
    case PCOL__OTLPEXP_ZSTD: return PCOL_ENC_ZSTD;
    default: return PCOL_ENC_IDENTITY;
    }
}

static bool is_fixed(const struct pcol_http_header *fixed, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!strcasecmp(fixed[i].name, name)) {
            return true;
        }
    }
    return false;
}

/* The protocol's own headers win over configured ones of the same name. */
struct pcol_http_header *pcol__otlpexp_headers(const struct pcol__otlpexp *x,
                                               const struct pcol_http_header *fixed, size_t n_fixed,
                                               size_t *n)
{
    struct pcol_http_header *h = pcol_xmalloc((x->headers.n + n_fixed) * sizeof(*h));
    size_t i;

    memcpy(h, fixed, n_fixed * sizeof(*h));
    *n = n_fixed;
    for (i = 0; i < x->headers.n; i++) {
        if (!is_fixed(fixed, n_fixed, x->headers.v[i].key)) {
            h[*n].name = x->headers.v[i].key;
            h[(*n)++].value = x->headers.v[i].value;
        }
    }
    return h;
}

void pcol__otlpexp_transport_failed(struct pcol_export *exp, int error, const char *msg)
{
    /* A request we cannot even form, or an answer too big to be OTLP, will
     * not get better; a connection or a timeout may. */
    bool permanent = error == PCOL_EINVAL || error == PCOL_ERANGE;

    pcol_export_done(exp, permanent ? PCOL_EXPORT_PERMANENT : PCOL_EXPORT_RETRYABLE, 0, msg);
}

void pcol__otlpexp_partial(struct pcol__otlpexp *x, struct pcol_export *exp, uint64_t rejected,
                           const char *msg)
{
    /* The request counts as sent; the profiles the server turned down are
     * counted as send_failed. */
    pcol_export_rejected(exp, rejected);
    if (x->partial_logged) {
        pcol_log(x->inst, PCOL_LOG_DEBUG, "partial success: %llu profiles rejected: %s",
                 (unsigned long long)rejected, msg);
        return;
    }
    x->partial_logged = true;
    pcol_log(x->inst, PCOL_LOG_WARN,
             "the server accepted a request only in part: %llu "
             "profiles rejected (%s); not retried; further partial successes are logged at "
             "debug level",
             (unsigned long long)rejected, *msg ? msg : "no message");
}

/* ---- validate and lifecycle ---------------------------------------------------------- */

static void check_headers(const struct pcol__otlpexp *x, const struct pcol_cfg_node *node,
                          struct pcol_diag *d)
{
    size_t i;

    for (i = 0; i < x->headers.n; i++) {
        const struct pcol_str_pair *h = &x->headers.v[i];
        if (!*h->key || strpbrk(h->key, ":\r\n \t") || strpbrk(h->value, "\r\n")) {
            pcol_diag_add(d, pcol_cfg_get(node, "headers"),
                          "header \"%.60s\": names need "
                          "letters, digits or '-', values no line breaks",
                          h->key);
        }
    }
}

static void validate(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *d,
                     bool grpc)
{
    const struct pcol__otlpexp *x = ctx;
    struct pcol__otlpexp_target t;
    struct pcol_err err = {{0}};

    if (x->endpoint &&
        pcol__otlpexp_target_parse(x->endpoint, grpc, x->tls.insecure, HTTP_PATH, &t, &err)) {
        pcol_diag_add(d, pcol_cfg_get(node, "endpoint"), "%s", err.msg);
    } else if (x->endpoint) {
        pcol__otlpexp_target_free(&t);
    }
    err.msg[0] = '\0';
    if (x->profiles_endpoint &&
        pcol__otlpexp_target_parse(x->profiles_endpoint, false, false, NULL, &t, &err)) {
        pcol_diag_add(d, pcol_cfg_get(node, "profiles_endpoint"), "%s", err.msg);
    } else if (x->profiles_endpoint) {
        pcol__otlpexp_target_free(&t);
    }
    if (!grpc && !x->endpoint && !x->profiles_endpoint) {
        pcol_diag_add(d, node, "otlp_http needs an endpoint or a profiles_endpoint");
    }
    check_headers(x, node, d);
    pcol_tls_validate(&x->tls, false, pcol_cfg_get(node, "tls"), d);
}

static void grpc_validate(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *d)
{
    validate(ctx, node, d, true);
}

static void http_validate(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *d)
{
    validate(ctx, node, d, false);
}

static int init(struct pcol_instance *inst, bool grpc)
{
    struct pcol__otlpexp *x = pcol_ctx(inst);
    struct pcol_err err = {{0}};
    int rc;

    x->inst = inst;
    x->grpc = grpc;
    if (x->profiles_endpoint) {
        rc = pcol__otlpexp_target_parse(x->profiles_endpoint, false, false, NULL, &x->target, &err);
    } else {
        rc = pcol__otlpexp_target_parse(x->endpoint, grpc, x->tls.insecure, HTTP_PATH, &x->target,
                                        &err);
    }
    if (rc != 0) {
        pcol_log(inst, PCOL_LOG_ERROR, "%s", err.msg);
    }
    return rc;
}

static int grpc_init(struct pcol_instance *inst)
{
    return init(inst, true);
}

static int http_init(struct pcol_instance *inst)
{
    return init(inst, false);
}

static int start(struct pcol_instance *inst)
{
    static const char *const alpn_h2[] = {"h2", NULL};
    static const char *const alpn_h1[] = {"http/1.1", NULL};
    struct pcol__otlpexp *x = pcol_ctx(inst);
    struct pcol_http_client_opts opts = {
        .ping_interval_ms = (uint64_t)x->keepalive.time / 1000000,
        .ping_timeout_ms = (uint64_t)x->keepalive.timeout / 1000000,
        .ping_without_streams = x->keepalive.permit_without_stream,
        .max_response_bytes = PCOL__OTLPEXP_MAX_RESPONSE,
    };

    if (pcol_http_peer_start(&x->peer, inst, x->target.tls, &x->tls, x->grpc ? alpn_h2 : alpn_h1,
                             opts) != 0) {
        return PCOL_EINVAL;
    }
    pcol_log(inst, PCOL_LOG_INFO,
             strchr(x->target.host, ':') ? "sending to %s://[%s]:%u%s" : "sending to %s://%s:%u%s",
             x->target.tls ? "https" : "http", x->target.host, x->target.port,
             x->grpc ? " (gRPC)" : x->target.path);
    return 0;
}

static void stop(struct pcol_instance *inst, pcol_stop_cb done)
{
    struct pcol__otlpexp *x = pcol_ctx(inst);

    pcol_http_peer_stop(&x->peer, inst, done);
}

static void destroy(struct pcol_instance *inst)
{
    struct pcol__otlpexp *x = pcol_ctx(inst);

    pcol_http_peer_destroy(&x->peer);
    pcol__otlpexp_target_free(&x->target);
}

/* ---- the definitions ---------------------------------------------------------------- */

#define GRPC_DEF(type, text)                                                                       \
    {                                                                                              \
        .abi_version = PCOL_ABI_VERSION, .kind = PCOL_EXPORTER, .name = type, .summary = text,     \
        .options = grpc_options, .ctx_size = sizeof(struct pcol__otlpexp),                         \
        .validate = grpc_validate, .init = grpc_init, .start = start, .stop = stop,                \
        .destroy = destroy, .encode = pcol__otlpexp_grpc_encode, .send = pcol__otlpexp_grpc_send,  \
        .settings_offset = offsetof(struct pcol__otlpexp, helper),                                 \
    }

const struct pcol_component_def pcol_exporter_otlp =
    GRPC_DEF("otlp", "Sends profiles to an OTLP/gRPC server (a collector, gateway or backend).");
const struct pcol_component_def pcol_exporter_otlp_grpc =
    GRPC_DEF("otlp_grpc", "The otlp exporter under the collector's newer name.");

const struct pcol_component_def pcol_exporter_otlp_http = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_EXPORTER,
    .name = "otlp_http",
    .summary = "Posts profiles to an OTLP/HTTP server as protobuf or JSON.",
    .options = http_options,
    .ctx_size = sizeof(struct pcol__otlpexp),
    .validate = http_validate,
    .init = http_init,
    .start = start,
    .stop = stop,
    .destroy = destroy,
    .encode = pcol__otlpexp_http_encode,
    .send = pcol__otlpexp_http_send,
    .settings_offset = offsetof(struct pcol__otlpexp, helper),
};
