/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp.c: the `otlp` receiver: OTLP Profiles over gRPC (ProfilesService/
 * Export, default port 4317) and over HTTP (POST /v1development/profiles,
 * protobuf or JSON, default port 4318), as the collector's otlp receiver.
 *
 * A transport is on only when its section is present (`grpc:` or
 * `grpc: {}` takes the defaults), as in the collector. Every request goes
 * through the same job: credentials (optional bearer token or basic auth),
 * the otlp-profiles-development-version header (absent or "1"), the memory
 * budget, decompression with the size limit applied to the result, decoding,
 * then profiles without samples are dropped and reported as rejected in a
 * partial success, and the rest is submitted. Bodies over 64 KiB are
 * decompressed and decoded on the thread pool. Each transport may run TLS
 * (`tls:` with a cert_file; ALPN picks h2 or http/1.1; SIGHUP re-reads the
 * files through core/tls).
 *
 * Ownership: see otlp_receiver.h. The context owns auth_credentials.
 */
#include "otlp_receiver.h"

#include "codec_otlp.h"
#include "grpc.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Bodies up to this size decode on the loop thread: a thread-pool round
 * trip costs more than decoding them. */
#define INLINE_MAX (64 * 1024)

#define VERSION_HEADER "otlp-profiles-development-version"

static const struct pcol_option grpc_options[] = {
    {"endpoint", PCOL_OPT_ENDPOINT, offsetof(struct pcol__otlprcv_grpc, endpoint), "0.0.0.0:4317",
     NULL, NULL, NULL, 0, NULL, 0, "Address to listen on for OTLP/gRPC (port 0 picks one)."},
    {"max_recv_msg_size_mib", PCOL_OPT_UINT,
     offsetof(struct pcol__otlprcv_grpc, max_recv_msg_size_mib), "4", "1", "2048", NULL, 0, NULL, 0,
     "Largest Export message in MiB, after decompression; larger ones get RESOURCE_EXHAUSTED."},
    {"max_concurrent_streams", PCOL_OPT_UINT,
     offsetof(struct pcol__otlprcv_grpc, max_concurrent_streams), "100", "1", "10000", NULL, 0,
     NULL, 0, "HTTP/2 streams (concurrent calls) one client connection may open."},
    {"tls", PCOL_OPT_SECTION, offsetof(struct pcol__otlprcv_grpc, tls), NULL, NULL, NULL, NULL, 0,
     pcol_tls_server_options, 0, "TLS (h2 by ALPN); on when cert_file is set."},
    {0},
};

static const struct pcol_option http_options[] = {
    {"endpoint", PCOL_OPT_ENDPOINT, offsetof(struct pcol__otlprcv_http, endpoint), "0.0.0.0:4318",
     NULL, NULL, NULL, 0, NULL, 0, "Address to listen on for OTLP/HTTP (port 0 picks one)."},
    {"max_request_body_size", PCOL_OPT_SIZE,
     offsetof(struct pcol__otlprcv_http, max_request_body_size), "64MiB", "1KiB", NULL, NULL, 0,
     NULL, 0,
     "Largest request body, on the wire and again after decompression (the OTLP "
     "specification's recommended 64 MiB); larger ones get 413."},
    {"tls", PCOL_OPT_SECTION, offsetof(struct pcol__otlprcv_http, tls), NULL, NULL, NULL, NULL, 0,
     pcol_tls_server_options, 0, "TLS (HTTP/2 or HTTP/1.1 by ALPN); on when cert_file is set."},
    {0},
};

/* Rows of the protocols section are relative to that section. */
#define P(field)                                                                                   \
    (offsetof(struct pcol__otlprcv, protocols.field) - offsetof(struct pcol__otlprcv, protocols))

static const struct pcol_option protocol_options[] = {
    {"grpc", PCOL_OPT_SECTION, P(grpc), NULL, NULL, NULL, NULL, PCOL_OPT_PRESENCE, grpc_options, 0,
     "OTLP/gRPC ProfilesService/Export; on when the section is present (`grpc:` alone takes "
     "the defaults).",
     P(grpc_on)},
    {"http", PCOL_OPT_SECTION, P(http), NULL, NULL, NULL, NULL, PCOL_OPT_PRESENCE, http_options, 0,
     "OTLP/HTTP POST /v1development/profiles (protobuf or JSON); on when the section is "
     "present.",
     P(http_on)},
    {0},
};

static const struct pcol_option basic_options[] = {
    {"username", PCOL_OPT_STRING, offsetof(struct pcol__otlprcv_basic, username), NULL, "1", NULL,
     NULL, 0, NULL, 0, "User name that requests must present with HTTP basic authentication."},
    {"password", PCOL_OPT_STRING, offsetof(struct pcol__otlprcv_basic, password), NULL, NULL, NULL,
     NULL, PCOL_OPT_SECRET, NULL, 0, "Its password (typically ${env:NAME})."},
    {0},
};

static const struct pcol_option auth_options[] = {
    {"bearer_token", PCOL_OPT_STRING, offsetof(struct pcol__otlprcv_auth, bearer_token), NULL, "1",
     NULL, NULL, PCOL_OPT_SECRET, NULL, 0,
     "Token that requests must present as `Authorization: Bearer <token>` (typically "
     "${env:NAME})."},
    {"basic", PCOL_OPT_SECTION, offsetof(struct pcol__otlprcv_auth, basic), NULL, NULL, NULL, NULL,
     0, basic_options, 0, "HTTP basic authentication instead of a bearer token."},
    {0},
};

static const struct pcol_option options[] = {
    {"protocols", PCOL_OPT_SECTION, offsetof(struct pcol__otlprcv, protocols), NULL, NULL, NULL,
     NULL, 0, protocol_options, 0, "The transports to serve; at least one is needed."},
    {"auth", PCOL_OPT_SECTION, offsetof(struct pcol__otlprcv, auth), NULL, NULL, NULL, NULL, 0,
     auth_options, 0,
     "Credentials every request must carry; without them it gets 401 / UNAUTHENTICATED. Off "
     "unless a bearer token or basic user is set."},
    {0},
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- requests ------------------------------------------------------------------------ */

struct pcol__otlprcv_job *pcol__otlprcv_job_new(struct pcol_instance *inst,
                                                struct pcol_http_request *req,
                                                const struct pcol__otlprcv_ops *ops)
{
    struct pcol__otlprcv_job *j = pcol_xcalloc(1, sizeof(*j));

    j->inst = inst;
    j->req = req;
    j->ops = ops;
    return j;
}

int pcol__otlprcv_refuse(struct pcol__otlprcv_job *j, int status, const char *reason)
{
    j->status = status;
    j->reason = reason;
    return PCOL_EINVAL;
}

const char *pcol__otlprcv_status_reason(int status)
{
    switch (status) {
    case 401: return "unauthenticated";
    case 408: return "timeout";
    case 413:
    case 431: return "too_large";
    default: return "bad_request";
    }
}

/* Compares without an early exit, so the time taken does not tell how much
 * of a secret a guess got right. */
static bool same_secret(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = alen != blen;
    size_t i;

    for (i = 0; i < alen && i < blen; i++) {
        diff |= (unsigned char)(a[i] ^ b[i]);
    }
    return diff == 0;
}

static bool authorized(const struct pcol__otlprcv *rcv, const char *value)
{
    size_t scheme_len = strlen(rcv->auth_scheme);

    if (!value || strncasecmp(value, rcv->auth_scheme, scheme_len) != 0 ||
        (value[scheme_len] != ' ' && value[scheme_len] != '\t')) {
        return false;
    }
    value += scheme_len;
    value += strspn(value, " \t");
    return same_secret(value, strlen(value), rcv->auth_credentials, strlen(rcv->auth_credentials));
}

int pcol__otlprcv_check_request(struct pcol__otlprcv_job *j)
{
    const struct pcol__otlprcv *rcv = pcol_ctx(j->inst);
    const char *version;

    if (rcv->auth_scheme && !authorized(rcv, pcol_http_header(j->req, "authorization"))) {
        pcol_err_set(&j->err, PCOL_EINVAL, "%s",
                     pcol_http_header(j->req, "authorization")
                         ? "the Authorization credentials are wrong"
                         : "the request has no Authorization header");
        return pcol__otlprcv_refuse(j, 401, "unauthenticated");
    }
    version = pcol_http_header(j->req, VERSION_HEADER);
    if (version && strcmp(version, "1") != 0) {
        pcol_err_set(&j->err, PCOL_ENOTSUP,
                     "unsupported " VERSION_HEADER " \"%.20s\" (this server supports 1)", version);
        return pcol__otlprcv_refuse(j, 400, "bad_request");
    }
    return 0;
}

/* ---- decoding (thread pool for large bodies: touches only the job) -------------------- */

/* Removes profiles with neither samples nor an original payload (they carry
 * nothing to store, and the collector's receiver passes none on), then
 * scopes and resources left empty. Returns how many profiles went. */
static uint64_t drop_empty_profiles(struct pcol_batch *b)
{
    uint64_t dropped = 0;
    uint32_t r, s, p, nr = 0;

    for (r = 0; r < b->n_resources; r++) {
        struct pcol_resource *res = &b->resources[r];
        uint32_t ns = 0;
        for (s = 0; s < res->n_scopes; s++) {
            struct pcol_scope *sc = &res->scopes[s];
            uint32_t np = 0;
            for (p = 0; p < sc->n_profiles; p++) {
                const struct pcol_profile *pr = &sc->profiles[p];
                if (pr->n_samples == 0 && pr->original_payload_len == 0) {
                    dropped++;
                    continue;
                }
                sc->profiles[np++] = *pr;
            }
            sc->n_profiles = np;
            if (np) {
                res->scopes[ns++] = *sc;
            }
        }
        res->n_scopes = ns;
        if (ns) {
            b->resources[nr++] = *res;
        }
    }
    b->n_resources = nr;
    return dropped;
}

static int decode_message(struct pcol__otlprcv_job *j, const uint8_t *p, size_t n)
{
    int rc;

    if (j->format == PCOL__OTLPRCV_JSON) {
        rc = pcol_otlp_json_decode(j->b, (const char *)p, n, &j->err);
    } else {
        rc = pcol_otlp_decode(j->b, p, n, &j->err);
    }
    if (rc != 0) {
        return pcol__otlprcv_refuse(j, 400, "undecodable");
    }
    j->rejected = drop_empty_profiles(j->b);
    return 0;
}

/* Points *p at the message: the body, its gRPC frame's content, or its
 * decompressed form in `plain`. */
static int unwrap(struct pcol__otlprcv_job *j, struct pcol_buf *plain, const uint8_t **p, size_t *n)
{
    int rc;

    if (j->grpc) {
        rc = pcol_grpc_unframe(j->body, j->len, j->encoding, j->max_plain, p, n, plain, &j->err);
    } else if (j->encoding != PCOL_ENC_IDENTITY) {
        rc = pcol_decompress(j->encoding, j->body, j->len, j->max_plain, plain, &j->err);
        if (rc != 0) {
            pcol_err_wrap(&j->err, rc, "Content-Encoding %s", pcol_encoding_name(j->encoding));
        }
        *p = plain->p;
        *n = plain->len;
    } else {
        *p = j->body;
        *n = j->len;
        rc = *n > j->max_plain
                 ? pcol_err_set(&j->err, PCOL_ERANGE, "the body is %zu bytes, more than %zu", *n,
                                j->max_plain)
                 : 0;
    }
    if (rc == PCOL_ERANGE) {
        return pcol__otlprcv_refuse(j, 413, "too_large");
    }
    return rc != 0 ? pcol__otlprcv_refuse(j, 400, "undecodable") : 0;
}

static void job_decode(void *data)
{
    struct pcol__otlprcv_job *j = data;
    struct pcol_buf plain = {NULL, 0, 0};
    const uint8_t *p = NULL;
    size_t n = 0;

    if (unwrap(j, &plain, &p, &n) == 0) {
        decode_message(j, p, n);
    }
    pcol_buf_free(&plain);
    free(j->body);
    j->body = NULL;
}

/* ---- jobs (loop thread) ------------------------------------------------------------------ */

static void job_free(struct pcol__otlprcv_job *j)
{
    free(j->body);
    pcol_batch_release(j->b);
    free(j);
}

static void job_fail(struct pcol__otlprcv_job *j)
{
    char detail[PCOL_ERR_MAX + 160];

    snprintf(detail, sizeof(detail), "%.100s from %s: %s", j->req->path, j->req->remote,
             j->err.msg);
    pcol_receiver_refused(j->inst, j->reason, 0, detail);
    j->ops->fail(j, j->status, j->err.msg);
}

static void job_succeed(struct pcol__otlprcv_job *j)
{
    char message[120];

    if (j->rejected == 0) {
        j->ops->ok(j, 0, NULL);
        return;
    }
    pcol_receiver_refused(j->inst, "no_samples", j->rejected, NULL);
    snprintf(message, sizeof(message), "%llu profile%s had no samples and %s dropped",
             (unsigned long long)j->rejected, j->rejected == 1 ? "" : "s",
             j->rejected == 1 ? "was" : "were");
    j->ops->ok(j, j->rejected, message);
}

static void job_done(void *data, int status)
{
    struct pcol__otlprcv_job *j = data;

    if (status != 0 && !j->status) {
        pcol_err_set(&j->err, PCOL_EIO, "the collector is stopping; retry later");
        pcol__otlprcv_refuse(j, 503, "stopping");
    }
    if (!j->status && j->has_deadline && uv_now(pcol_loop(j->inst)) >= j->deadline_ms) {
        /* The client has given up and will retry: submitting now would
         * only make a duplicate. */
        pcol_err_set(&j->err, PCOL_EBUSY,
                     "the request's grpc-timeout passed before it was "
                     "processed");
        pcol__otlprcv_refuse(j, 408, "deadline_exceeded");
    }
    if (j->status) {
        job_fail(j);
    } else if (!j->b->n_resources) {
        job_succeed(j);
    } else {
        j->b->received_unix_nano = now_ns();
        status = pcol_submit(j->inst, j->b);
        j->b = NULL;
        if (status == PCOL_EBUSY) {
            j->ops->fail(j, 503, "the pipeline is over its memory limit; retry later");
        } else if (status == PCOL_ERANGE) {
            j->ops->fail(j, 413, "the request is larger than the pipeline's memory_limit");
        } else {
            job_succeed(j);
        }
    }
    job_free(j);
}

static int check_budget(struct pcol__otlprcv_job *j)
{
    if (!pcol_receiver_fits(j->inst, j->req->body_len)) {
        pcol_err_set(&j->err, PCOL_ERANGE, "the body is larger than the pipeline's memory_limit");
        return pcol__otlprcv_refuse(j, 413, "too_large");
    }
    if (!pcol_receiver_has_room(j->inst, j->req->body_len)) {
        pcol_err_set(&j->err, PCOL_EBUSY, "the pipeline is over its memory limit; retry later");
        return pcol__otlprcv_refuse(j, 503, "memory_limit");
    }
    return 0;
}

void pcol__otlprcv_job_run(struct pcol__otlprcv_job *j)
{
    if (j->status || check_budget(j) != 0) {
        job_done(j, 0);
        return;
    }
    j->body = pcol_http_request_take_body(j->req, &j->len);
    j->b = pcol_batch_create(0);
    if (j->len > INLINE_MAX && pcol_work(j->inst, job_decode, job_done, j) == 0) {
        return;
    }
    job_decode(j);
    job_done(j, 0);
}

/* ---- shared encoders ---------------------------------------------------------------- */

/* The generated protobuf-c names, shortened. */
#define PB(n) Opentelemetry__Proto__Collector__Profiles__V1development__##n
#define PB_INIT(n) OPENTELEMETRY__PROTO__COLLECTOR__PROFILES__V1DEVELOPMENT__##n##__INIT
#define PB_FN(n) opentelemetry__proto__collector__profiles__v1development__##n

void pcol__otlprcv_response(struct pcol_buf *out, uint64_t rejected, const char *message)
{
    PB(ExportProfilesServiceResponse) resp = PB_INIT(EXPORT_PROFILES_SERVICE_RESPONSE);
    PB(ExportProfilesPartialSuccess) ps = PB_INIT(EXPORT_PROFILES_PARTIAL_SUCCESS);

    if (rejected) {
        ps.rejected_profiles = (int64_t)rejected;
        ps.error_message = (char *)message;
        resp.partial_success = &ps;
    }
    pcol_buf_reserve(out, PB_FN(export_profiles_service_response__get_packed_size)(&resp));
    out->len += PB_FN(export_profiles_service_response__pack)(&resp, out->p + out->len);
}

static char *base64(const char *s)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), i, o = 0;
    char *out = pcol_xmalloc((n + 2) / 3 * 4 + 1);

    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        v |= i + 1 < n ? (uint32_t)(unsigned char)s[i + 1] << 8 : 0;
        v |= i + 2 < n ? (uint32_t)(unsigned char)s[i + 2] : 0;
        out[o++] = digits[v >> 18];
        out[o++] = digits[(v >> 12) & 63];
        out[o++] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? digits[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

/* Which protocols are on comes from the option engine (PCOL_OPT_PRESENCE). */
static void otlp_validate(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *diag)
{
    const struct pcol__otlprcv *rcv = ctx;
    const struct pcol_cfg_node *protocols = pcol_cfg_get(node, "protocols");
    const struct pcol_cfg_node *basic = pcol_cfg_get(pcol_cfg_get(node, "auth"), "basic");

    if (rcv->protocols.grpc_on) {
        pcol_tls_validate(&rcv->protocols.grpc.tls, true,
                          pcol_cfg_get(pcol_cfg_get(protocols, "grpc"), "tls"), diag);
    }
    if (rcv->protocols.http_on) {
        pcol_tls_validate(&rcv->protocols.http.tls, true,
                          pcol_cfg_get(pcol_cfg_get(protocols, "http"), "tls"), diag);
    }
    if (!rcv->protocols.grpc_on && !rcv->protocols.http_on) {
        pcol_diag_add(diag, protocols ? protocols : node,
                      "enable at least one protocol: add protocols.grpc or protocols.http "
                      "(`grpc:` alone takes the defaults)");
    }
    if (rcv->auth.bearer_token && rcv->auth.basic.username) {
        pcol_diag_add(diag, basic, "auth: set bearer_token or basic, not both");
    }
    if (!rcv->auth.basic.username != !rcv->auth.basic.password) {
        pcol_diag_add(diag, basic, "auth.basic needs both username and password");
    }
}

static int otlp_init(struct pcol_instance *inst)
{
    struct pcol__otlprcv *rcv = pcol_ctx(inst);
    char *pair;
    size_t n;

    if (rcv->auth.bearer_token) {
        rcv->auth_scheme = "Bearer";
        rcv->auth_credentials = pcol_xstrdup(rcv->auth.bearer_token);
    } else if (rcv->auth.basic.username) {
        n = strlen(rcv->auth.basic.username) + strlen(rcv->auth.basic.password) + 2;
        pair = pcol_xmalloc(n);
        snprintf(pair, n, "%s:%s", rcv->auth.basic.username, rcv->auth.basic.password);
        rcv->auth_scheme = "Basic";
        rcv->auth_credentials = base64(pair);
        free(pair);
    }
    return 0;
}

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

/* Creates, routes and binds one server; NULL after logging why. */
static struct pcol_http_server *
serve(struct pcol_instance *inst, const char *what, const struct pcol_endpoint *ep,
      const struct pcol_tls_settings *tls, struct pcol_http_server_opts *o,
      void (*routes)(struct pcol_instance *, struct pcol_http_server *))
{
    struct pcol_err err = {{0}};
    struct pcol_http_server *srv;
    const char *host = *ep->host ? ep->host : "0.0.0.0";
    char addr[300];

    o->log = http_log;
    o->log_data = inst;
    o->tls = NULL;
    if (pcol_tls_server_enabled(tls)) {
        o->tls = pcol_tls_ctx_create_server(tls, pcol_http_server_alpn, &err);
        if (!o->tls) {
            pcol_log(inst, PCOL_LOG_ERROR, "protocols.%s.tls: %s", what, err.msg);
            return NULL;
        }
    }
    srv = pcol_http_server_create(pcol_loop(inst), o);
    pcol_tls_ctx_unref(o->tls); /* the server holds its own reference */
    if (!srv) {
        pcol_log(inst, PCOL_LOG_ERROR, "cannot create the %s server", what);
        return NULL;
    }
    routes(inst, srv);
    if (pcol_http_server_listen(srv, ep->host, ep->port, &err) != 0) {
        /* The message names the host and port. */
        pcol_log(inst, PCOL_LOG_ERROR, "protocols.%s.endpoint: %s", what, err.msg);
        pcol_http_server_close(srv, NULL, NULL);
        return NULL;
    }
    snprintf(addr, sizeof(addr), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
             pcol_http_server_port(srv));
    pcol_receiver_listening(inst, what, addr);
    return srv;
}

static int otlp_start(struct pcol_instance *inst)
{
    struct pcol__otlprcv *rcv = pcol_ctx(inst);
    struct pcol_http_server_opts o = {0};

    o.error_body = pcol__otlprcv_http_error_body;
    o.error_body_data = inst;
    if (rcv->protocols.grpc_on) {
        o.max_concurrent_streams = (unsigned)rcv->protocols.grpc.max_concurrent_streams;
        rcv->grpc_srv = serve(inst, "grpc", &rcv->protocols.grpc.endpoint, &rcv->protocols.grpc.tls,
                              &o, pcol__otlprcv_grpc_routes);
        if (!rcv->grpc_srv) {
            return PCOL_EIO;
        }
    }
    if (rcv->protocols.http_on) {
        o.max_concurrent_streams = 0;
        o.max_body_bytes = (size_t)rcv->protocols.http.max_request_body_size;
        rcv->http_srv = serve(inst, "http", &rcv->protocols.http.endpoint, &rcv->protocols.http.tls,
                              &o, pcol__otlprcv_http_routes);
        if (!rcv->http_srv) {
            /* stop() is only called for started instances. */
            if (rcv->grpc_srv) {
                pcol_http_server_close(rcv->grpc_srv, NULL, NULL);
                rcv->grpc_srv = NULL;
            }
            return PCOL_EIO;
        }
    }
    return 0;
}

static void on_server_closed(void *data)
{
    struct pcol_instance *inst = data;
    struct pcol__otlprcv *rcv = pcol_ctx(inst);

    if (--rcv->open_servers == 0) {
        rcv->stop_done(inst);
    }
}

static void otlp_stop(struct pcol_instance *inst, pcol_stop_cb done)
{
    struct pcol__otlprcv *rcv = pcol_ctx(inst);
    struct pcol_http_server **srvs[] = {&rcv->grpc_srv, &rcv->http_srv};
    size_t i;

    rcv->stop_done = done;
    rcv->open_servers = 1; /* held until every close is started */
    for (i = 0; i < PCOL_ARRAY_SIZE(srvs); i++) {
        if (*srvs[i]) {
            rcv->open_servers++;
            pcol_http_server_close(*srvs[i], on_server_closed, inst);
            *srvs[i] = NULL;
        }
    }
    on_server_closed(inst);
}

static void otlp_destroy(struct pcol_instance *inst)
{
    struct pcol__otlprcv *rcv = pcol_ctx(inst);

    free(rcv->auth_credentials);
}

const struct pcol_component_def pcol_receiver_otlp = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_RECEIVER,
    .name = "otlp",
    .summary = "Receives OTLP profiles over gRPC (ProfilesService/Export) and HTTP "
               "(POST /v1development/profiles, protobuf or JSON)",
    .options = options,
    .ctx_size = sizeof(struct pcol__otlprcv),
    .validate = otlp_validate,
    .init = otlp_init,
    .start = otlp_start,
    .stop = otlp_stop,
    .destroy = otlp_destroy,
};
