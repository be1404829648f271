/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pyroscope.c: the `pyroscope` exporter: sends profiles to Grafana
 * Pyroscope (or anything that speaks its ingestion APIs, e.g. profcol's
 * own pprof receiver for /ingest). Its option table, endpoint parsing,
 * validation and lifecycle; send() is send.c, the encoders ingest.c and
 * push.c, the label mapping labels.c, the reading of answers response.c.
 *
 * Every batch is turned into pprof with the OTLP -> pprof converter (one
 * gzip pprof per resource, scope and set of profiles whose samples line
 * up; docs/conversion.md), then sent by `protocol`:
 *   ingest (default)  one POST {prefix}/ingest?name=app{tags}&from=&until=
 *                     &format=pprof&spyName= per pprof, the body the gzip
 *                     pprof (application/octet-stream). An export's
 *                     requests go one after another; the exporter helper's
 *                     progress counter remembers how many are done, so a
 *                     retry sends only the rest.
 *   push              one POST {prefix}/push.v1.PusherService/Push (Connect
 *                     unary, application/proto, Connect-Protocol-Version:
 *                     1) carrying every pprof of the export as a series.
 *                     Pyroscope stores series one by one, so a push that
 *                     failed (and is retried) may have been stored in part.
 *
 * Headers: X-Scope-OrgID from tenant_id; Authorization Basic from
 * basic_auth (values, or environment variables named by the *_env options
 * and read at start) or Bearer from bearer_token(_env); then `headers`
 * (the exporter's own headers win over configured ones of the same name).
 *
 * Answers: 2xx delivered; 429 and 5xx retried (Retry-After honoured, as
 * seconds or an HTTP date); every other status permanent: the export's
 * profiles are dropped and counted as send_failed, logged with the
 * server's JSON message. No answer (connect failure, reset, timeout) is
 * retried. With ingest, a refused request of an export of several does not
 * stop the others: its profiles count as send_failed (logged, the first at
 * warning level), the rest is still sent; when every request of an export
 * is refused, the whole export is a permanent failure.
 *
 * What Pyroscope itself checks (and this exporter does not): profile time
 * within now-1h..now+10m, at most 30 labels per series, 4 MiB per
 * decompressed profile, no '-' in sample type names, valid pprof label
 * keys. Those profiles are refused (400/422) and counted as send_failed.
 *
 * Ownership: the core owns the instance and this context. init() parses
 * the endpoint and builds the Authorization value; start() makes the TLS
 * context and the HTTP client; stop() closes the client (the helper has
 * drained by then); destroy() frees the rest.
 */
#include "pyroscope_exporter.h"
#include "url.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const protocol_names[] = {"ingest", "push", NULL};
static const char *const compression_names[] = {"none", "gzip", NULL};

#define BASIC(f)                                                                                   \
    offsetof(struct pcol__pyroexp, basic_auth.f) - offsetof(struct pcol__pyroexp, basic_auth)
#define LABELS(f) offsetof(struct pcol__pyroexp, labels.f) - offsetof(struct pcol__pyroexp, labels)

static const struct pcol_option basic_auth_options[] = {
    {"username", PCOL_OPT_STRING, BASIC(username), NULL, "1", NULL, NULL, 0, NULL, 0,
     "User name (Grafana Cloud: the stack's user ID)."},
    {"password", PCOL_OPT_STRING, BASIC(password), NULL, NULL, NULL, NULL, PCOL_OPT_SECRET, NULL, 0,
     "Password or access token; write \"${env:VAR}\" to keep it out of the file."},
    {"username_env", PCOL_OPT_STRING, BASIC(username_env), NULL, "1", NULL, NULL, 0, NULL, 0,
     "Name of an environment variable holding the user name, read at start (instead of "
     "username)."},
    {"password_env", PCOL_OPT_STRING, BASIC(password_env), NULL, "1", NULL, NULL, 0, NULL, 0,
     "Name of an environment variable holding the password, read at start (instead of "
     "password)."},
    {0},
};

static const struct pcol_option labels_options[] = {
    {"include", PCOL_OPT_REGEX_LIST, LABELS(include), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "Resource attribute keys that become labels (regular expressions, unanchored: write "
     "^key$ for one key); empty: every attribute."},
    {"exclude", PCOL_OPT_REGEX_LIST, LABELS(exclude), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "Resource attribute keys that never become labels, even when included."},
    {0},
};

static const struct pcol_option pyro_options[] = {
    {"endpoint", PCOL_OPT_STRING, offsetof(struct pcol__pyroexp, endpoint), NULL, "1", NULL, NULL,
     PCOL_OPT_REQUIRED, NULL, 0,
     "Base URL of the Pyroscope server, http(s)://host[:port][/prefix], e.g. "
     "http://pyroscope:4040 (the port defaults to 80 / 443); requests go to prefix + /ingest "
     "or prefix + /push.v1.PusherService/Push."},
    {"protocol", PCOL_OPT_ENUM, offsetof(struct pcol__pyroexp, protocol), "ingest", NULL, NULL,
     protocol_names, 0, NULL, 0,
     "ingest: one POST /ingest?name=app{tags}... per pprof (every Pyroscope version, and "
     "profcol's pprof receiver); push: one Connect Push request per export, a series per "
     "pprof (Pyroscope 1.x and 2.x)."},
    {"tenant_id", PCOL_OPT_STRING, offsetof(struct pcol__pyroexp, tenant_id), NULL, "1", "150",
     NULL, 0, NULL, 0,
     "Tenant sent as X-Scope-OrgID (multi-tenant Pyroscope): A-Z a-z 0-9 and ! - _ . * ' ( )."},
    {"basic_auth", PCOL_OPT_SECTION, offsetof(struct pcol__pyroexp, basic_auth), NULL, NULL, NULL,
     NULL, 0, basic_auth_options, 0,
     "HTTP Basic authentication (Grafana Cloud): username and password, each given as a value "
     "or as the name of an environment variable."},
    {"bearer_token", PCOL_OPT_STRING, offsetof(struct pcol__pyroexp, bearer_token), NULL, "1", NULL,
     NULL, PCOL_OPT_SECRET, NULL, 0,
     "Token sent as Authorization: Bearer (instead of basic_auth)."},
    {"bearer_token_env", PCOL_OPT_STRING, offsetof(struct pcol__pyroexp, bearer_token_env), NULL,
     "1", NULL, NULL, 0, NULL, 0,
     "Name of an environment variable holding the bearer token, read at start."},
    {"headers", PCOL_OPT_STRING_MAP, offsetof(struct pcol__pyroexp, headers), NULL, NULL, NULL,
     NULL, 0, NULL, 0, "Extra request headers, e.g. x-team: \"${env:TEAM}\"."},
    {"labels", PCOL_OPT_SECTION, offsetof(struct pcol__pyroexp, labels), NULL, NULL, NULL, NULL, 0,
     labels_options, 0,
     "Which resource attributes become Pyroscope labels (/ingest tags); service.name always "
     "becomes the app name / service_name, or unknown_service when missing. Values are "
     "sent as text; for /ingest ',' and '}' are removed (the name syntax cannot escape them). "
     "Pyroscope refuses series with more than 30 labels."},
    {"spy_name", PCOL_OPT_STRING, offsetof(struct pcol__pyroexp, spy_name), "profcol", NULL, NULL,
     NULL, 0, NULL, 0,
     "Sent as spyName (ingest) or the pyroscope_spy label (push); \"\" leaves it out."},
    {"sanitize_label_names", PCOL_OPT_BOOL, offsetof(struct pcol__pyroexp, sanitize_label_names),
     "true", NULL, NULL, NULL, 0, NULL, 0,
     "Make label names Prometheus-style (A-Z a-z 0-9 _, so k8s.pod.name becomes k8s_pod_name), "
     "which every Pyroscope version accepts and queries; false keeps dots (and, with push, any "
     "UTF-8), which Pyroscope 2 stores but shows only to clients that ask for UTF-8 names."},
    {"compression", PCOL_OPT_ENUM, offsetof(struct pcol__pyroexp, compression), "none", NULL, NULL,
     compression_names, 0, NULL, 0,
     "push only: gzip the whole request body (the profiles in it are gzip already); /ingest "
     "bodies are always a gzip pprof."},
    {"tls", PCOL_OPT_SECTION, offsetof(struct pcol__pyroexp, tls), NULL, NULL, NULL, NULL, 0,
     pcol_tls_client_options, 0, "TLS to the server, used for https:// endpoints."},
    PCOL_EXPORT_OPTIONS(struct pcol__pyroexp, helper),
    {0},
};

/* ---- endpoint ------------------------------------------------------------------------ */

void pcol__pyroexp_target_free(struct pcol__pyroexp_target *t)
{
    free(t->host);
    free(t->prefix);
    memset(t, 0, sizeof(*t));
}

int pcol__pyroexp_target_parse(const char *endpoint, struct pcol__pyroexp_target *t,
                               struct pcol_err *err)
{
    struct pcol_url u;
    size_t n;
    int rc;

    memset(t, 0, sizeof(*t));
    rc = pcol_url_parse(endpoint, false, &u, err);
    if (rc == 0 && strchr(u.path, '?')) {
        pcol_url_free(&u);
        rc = pcol_err_set(err, PCOL_EINVAL, "a query or fragment is not allowed");
    }
    if (rc != 0) {
        return pcol_err_wrap(err, rc, "endpoint \"%.80s\"", endpoint);
    }
    n = strlen(u.path);
    while (n && u.path[n - 1] == '/') {
        u.path[--n] = '\0';
    }
    t->host = u.host;
    t->port = u.port;
    t->tls = u.tls;
    t->prefix = u.path;
    return 0;
}

/* ---- validate ---------------------------------------------------------------------------- */

static bool tenant_ok(const char *s)
{
    const char *p;

    if (!strcmp(s, ".") || !strcmp(s, "..")) {
        return false;
    }
    for (p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("!-_.*'()", *p))) {
            return false;
        }
    }
    return true;
}

static void validate(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *d)
{
    const struct pcol__pyroexp *x = ctx;
    const struct pcol_cfg_node *basic = pcol_cfg_get(node, "basic_auth");
    bool user = x->basic_auth.username || x->basic_auth.username_env;
    bool pass = x->basic_auth.password || x->basic_auth.password_env;
    struct pcol__pyroexp_target t;
    struct pcol_err err = {{0}};
    size_t i;

    if (x->endpoint && pcol__pyroexp_target_parse(x->endpoint, &t, &err) != 0) {
        pcol_diag_add(d, pcol_cfg_get(node, "endpoint"), "%s", err.msg);
    } else if (x->endpoint) {
        pcol__pyroexp_target_free(&t);
    }
    if (x->tenant_id && !tenant_ok(x->tenant_id)) {
        pcol_diag_add(d, pcol_cfg_get(node, "tenant_id"),
                      "tenant_id: use A-Z a-z 0-9 and ! - _ . * ' ( ) only (not \".\" or \"..\")");
    }
    if (x->basic_auth.username && x->basic_auth.username_env) {
        pcol_diag_add(d, basic, "basic_auth: give username or username_env, not both");
    }
    if (x->basic_auth.password && x->basic_auth.password_env) {
        pcol_diag_add(d, basic, "basic_auth: give password or password_env, not both");
    }
    if (user != pass) {
        pcol_diag_add(d, basic, "basic_auth needs both a username and a password");
    }
    if (x->bearer_token && x->bearer_token_env) {
        pcol_diag_add(d, pcol_cfg_get(node, "bearer_token_env"),
                      "give bearer_token or bearer_token_env, not both");
    }
    if ((user || pass) && (x->bearer_token || x->bearer_token_env)) {
        pcol_diag_add(d, basic, "give either basic_auth or a bearer token, not both");
    }
    if (x->compression != PCOL__PYROEXP_NONE && x->protocol == PCOL__PYROEXP_INGEST) {
        pcol_diag_add(d, pcol_cfg_get(node, "compression"),
                      "compression applies to protocol push; /ingest bodies are gzip pprof "
                      "already");
    }
    for (i = 0; i < x->headers.n; i++) {
        const struct pcol_str_pair *h = &x->headers.v[i];
        if (!*h->key || strpbrk(h->key, ":\r\n \t") || strpbrk(h->value, "\r\n")) {
            pcol_diag_add(d, pcol_cfg_get(node, "headers"),
                          "header \"%.60s\": names need letters, digits or '-', values no line "
                          "breaks",
                          h->key);
        }
    }
    pcol_tls_validate(&x->tls, false, pcol_cfg_get(node, "tls"), d);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

/* A value given directly, or read from the environment variable `env`. */
static const char *credential(struct pcol_instance *inst, const char *value, const char *env)
{
    const char *v;

    if (!env) {
        return value;
    }
    v = getenv(env);
    if (!v || !*v) {
        pcol_log(inst, PCOL_LOG_ERROR, "the environment variable %s is not set", env);
        return NULL;
    }
    return v;
}

static int make_authorization(struct pcol_instance *inst, struct pcol__pyroexp *x)
{
    const char *user, *pass, *token;
    size_t n;
    char *plain;

    if (x->bearer_token || x->bearer_token_env) {
        token = credential(inst, x->bearer_token, x->bearer_token_env);
        if (!token) {
            return PCOL_EINVAL;
        }
        n = strlen(token) + 8;
        x->authorization = pcol_xmalloc(n);
        snprintf(x->authorization, n, "Bearer %s", token);
        return 0;
    }
    if (!x->basic_auth.username && !x->basic_auth.username_env) {
        return 0;
    }
    user = credential(inst, x->basic_auth.username, x->basic_auth.username_env);
    pass = credential(inst, x->basic_auth.password, x->basic_auth.password_env);
    if (!user || !pass) {
        return PCOL_EINVAL;
    }
    n = strlen(user) + strlen(pass) + 1;
    plain = pcol_xmalloc(n + 1);
    snprintf(plain, n + 1, "%s:%s", user, pass);
    x->authorization = pcol_xmalloc(6 + 4 * ((n + 2) / 3) + 1);
    memcpy(x->authorization, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)x->authorization + 6, (const unsigned char *)plain, (int)n);
    memset(plain, 0, n);
    free(plain);
    return 0;
}

static int init(struct pcol_instance *inst)
{
    struct pcol__pyroexp *x = pcol_ctx(inst);
    struct pcol_err err = {{0}};
    int rc;

    x->inst = inst;
    rc = pcol__pyroexp_target_parse(x->endpoint, &x->target, &err);
    if (rc != 0) {
        pcol_log(inst, PCOL_LOG_ERROR, "%s", err.msg);
        return rc;
    }
    rc = make_authorization(inst, x);
    if (rc != 0) {
        /* No destroy() follows a failed init. */
        pcol__pyroexp_target_free(&x->target);
    }
    return rc;
}

static int start(struct pcol_instance *inst)
{
    static const char *const alpn[] = {"http/1.1", NULL};
    struct pcol__pyroexp *x = pcol_ctx(inst);
    struct pcol_http_client_opts opts = {
        .max_response_bytes = PCOL__PYROEXP_MAX_RESPONSE,
    };

    if (pcol_http_peer_start(&x->peer, inst, x->target.tls, &x->tls, alpn, opts) != 0) {
        return PCOL_EINVAL;
    }
    pcol_log(
        inst, PCOL_LOG_INFO,
        strchr(x->target.host, ':') ? "sending to %s://[%s]:%u%s%s" : "sending to %s://%s:%u%s%s",
        x->target.tls ? "https" : "http", x->target.host, x->target.port, x->target.prefix,
        x->protocol == PCOL__PYROEXP_PUSH ? PCOL__PYROEXP_PUSH_PATH : PCOL__PYROEXP_INGEST_PATH);
    return 0;
}

static void stop(struct pcol_instance *inst, pcol_stop_cb done)
{
    struct pcol__pyroexp *x = pcol_ctx(inst);

    pcol_http_peer_stop(&x->peer, inst, done);
}

static void destroy(struct pcol_instance *inst)
{
    struct pcol__pyroexp *x = pcol_ctx(inst);

    pcol_http_peer_destroy(&x->peer);
    pcol__pyroexp_target_free(&x->target);
    if (x->authorization) {
        memset(x->authorization, 0, strlen(x->authorization));
        free(x->authorization);
        x->authorization = NULL;
    }
}

/* ---- encode ---------------------------------------------------------------------------- */

/* Pure: may run on a worker thread; reads only the options and `b`. */
static int pyro_encode(struct pcol_instance *inst, const struct pcol_batch *b, struct pcol_buf *out)
{
    const struct pcol__pyroexp *x = pcol_ctx(inst);

    if (x->protocol == PCOL__PYROEXP_PUSH) {
        return pcol__pyroexp_push_encode(x, b, out);
    }
    return pcol__pyroexp_ingest_encode(x, b, out);
}

const struct pcol_component_def pcol_exporter_pyroscope = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_EXPORTER,
    .name = "pyroscope",
    .summary = "Sends profiles to Grafana Pyroscope as pprof, over its /ingest or Push API.",
    .options = pyro_options,
    .ctx_size = sizeof(struct pcol__pyroexp),
    .validate = validate,
    .init = init,
    .start = start,
    .stop = stop,
    .destroy = destroy,
    .encode = pyro_encode,
    .send = pcol__pyroexp_send,
    .settings_offset = offsetof(struct pcol__pyroexp, helper),
};
