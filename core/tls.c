/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls.c: OpenSSL 3 behind tls.h. Each connection is an SSL object between
 * two memory BIOs: what the caller feeds lands in the read BIO, and after
 * every OpenSSL call whatever OpenSSL put in the write BIO is handed to the
 * send callback as one heap block.
 *
 * Ownership: a context owns its SSL_CTX and copies of the settings it needs
 * to rebuild it; a reload builds a new SSL_CTX and drops the old one, which
 * OpenSSL keeps alive for the SSL objects made from it. A connection holds a
 * reference on its context (the ALPN callback reads the context) and owns
 * its SSL object, which owns both BIOs. `live` lists every context that has
 * references, for pcol_tls_reload_all().
 */
#include "tls.h"

#include "buf.h"
#include "log.h"

#include <arpa/inet.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALPN_WIRE_MAX 64
#define REASON_MAX 160

struct pcol_tls_ctx {
    SSL_CTX *ssl_ctx; /* for connections made from now on */
    bool server;
    char *cert_file;
    char *key_file;
    char *ca_file;
    char *client_ca_file;
    char *server_name;
    int min_version;
    bool skip_verify;
    uint8_t alpn[ALPN_WIRE_MAX]; /* ALPN wire format: length-prefixed names */
    unsigned alpn_len;
    bool alpn_h2;
    unsigned refs;
    struct pcol_tls_ctx *prev, *next; /* in `live` */
};

struct pcol_tls_conn {
    struct pcol_tls_ctx *ctx;
    SSL *ssl;
    BIO *rbio; /* ciphertext received, not yet decrypted */
    BIO *wbio; /* ciphertext OpenSSL made, not yet handed to send */
    pcol_tls_send_cb send;
    void *data;
    struct pcol_buf early; /* plaintext written before the handshake finished */
    char alpn[32];
    char why[REASON_MAX + 40]; /* set once the connection failed */
    bool established;
    bool failed;
};

static struct pcol_tls_ctx *live;

/* ---- options ---------------------------------------------------------------- */

static const char *const version_names[] = {"1.2", "1.3", NULL};

#define SETTING(field) offsetof(struct pcol_tls_settings, field)

const struct pcol_option pcol_tls_server_options[] = {
    {"cert_file", PCOL_OPT_STRING, SETTING(cert_file), NULL, "1", NULL, NULL, 0, NULL, 0,
     "PEM certificate (chain) of this server; setting it turns TLS on."},
    {"key_file", PCOL_OPT_STRING, SETTING(key_file), NULL, "1", NULL, NULL, 0, NULL, 0,
     "PEM private key of cert_file (not encrypted)."},
    {"client_ca_file", PCOL_OPT_STRING, SETTING(client_ca_file), NULL, "1", NULL, NULL, 0, NULL, 0,
     "PEM CA certificates; when set, every client must present a certificate they signed "
     "(mTLS)."},
    {"min_version", PCOL_OPT_ENUM, SETTING(min_version), "1.2", NULL, NULL, version_names, 0, NULL,
     0, "Oldest TLS version accepted."},
    {0},
};

const struct pcol_option pcol_tls_client_options[] = {
    {"insecure", PCOL_OPT_BOOL, SETTING(insecure), "false", NULL, NULL, NULL, 0, NULL, 0,
     "Plain text: no TLS at all (HTTP/2 over cleartext for gRPC)."},
    {"ca_file", PCOL_OPT_STRING, SETTING(ca_file), NULL, "1", NULL, NULL, 0, NULL, 0,
     "PEM CA certificates that verify the server; unset: the system's trusted CAs."},
    {"cert_file", PCOL_OPT_STRING, SETTING(cert_file), NULL, "1", NULL, NULL, 0, NULL, 0,
     "PEM client certificate (chain), for servers that require one (mTLS)."},
    {"key_file", PCOL_OPT_STRING, SETTING(key_file), NULL, "1", NULL, NULL, 0, NULL, 0,
     "PEM private key of cert_file (not encrypted)."},
    {"insecure_skip_verify", PCOL_OPT_BOOL, SETTING(insecure_skip_verify), "false", NULL, NULL,
     NULL, 0, NULL, 0, "Use TLS but accept any server certificate and name (tests only)."},
    {"server_name_override", PCOL_OPT_STRING, SETTING(server_name_override), NULL, "1", NULL, NULL,
     0, NULL, 0,
     "Name sent as SNI and checked in the server's certificate instead of the endpoint's host."},
    {"min_version", PCOL_OPT_ENUM, SETTING(min_version), "1.2", NULL, NULL, version_names, 0, NULL,
     0, "Oldest TLS version accepted."},
    {0},
};

bool pcol_tls_server_enabled(const struct pcol_tls_settings *s)
{
    return s->cert_file != NULL;
}

void pcol_tls_validate(const struct pcol_tls_settings *s, bool server,
                       const struct pcol_cfg_node *at, struct pcol_diag *d)
{
    if (!s->cert_file != !s->key_file) {
        pcol_diag_add(d, at, "tls: cert_file and key_file must be given together");
    }
    if (server && s->client_ca_file && !s->cert_file) {
        pcol_diag_add(d, at,
                      "tls: client_ca_file needs cert_file and key_file (without them "
                      "the server speaks plain text)");
    }
    if (!server && s->insecure &&
        (s->ca_file || s->cert_file || s->insecure_skip_verify || s->server_name_override)) {
        pcol_diag_warn(d, at, "tls: insecure is true, so the other tls options are ignored");
    }
}

/* ---- errors ----------------------------------------------------------------- */

/* OpenSSL's reason for the failure just seen, and an empty error queue. The
 * oldest entry is the most precise one (e.g. the errno of a missing file). */
static const char *ssl_reason(char *buf, size_t size)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;

    if (e && ERR_SYSTEM_ERROR(e)) {
        snprintf(buf, size, "%s", strerror(ERR_GET_REASON(e)));
    } else if (r) {
        snprintf(buf, size, "%s", r);
    } else if (e) {
        ERR_error_string_n(e, buf, size);
    } else {
        snprintf(buf, size, "unknown OpenSSL error");
    }
    ERR_clear_error();
    return buf;
}

static int ssl_failed(struct pcol_err *err, const char *what)
{
    char why[REASON_MAX];

    return pcol_err_set(err, PCOL_EIO, "tls: %s: %s", what, ssl_reason(why, sizeof(why)));
}

static int load_failed(struct pcol_err *err, const char *option, const char *path)
{
    char what[PCOL_ERR_MAX];

    snprintf(what, sizeof(what), "cannot load %s %s", option, path);
    return ssl_failed(err, what);
}

/* ---- contexts --------------------------------------------------------------- */

/* An encrypted key must fail to load, not prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *data)
{
    PCOL_UNUSED(buf);
    PCOL_UNUSED(size);
    PCOL_UNUSED(rwflag);
    PCOL_UNUSED(data);
    return -1;
}

static int on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg)
{
    struct pcol_tls_ctx *ctx = arg;

    PCOL_UNUSED(ssl);
    if (ctx->alpn_h2 &&
        nghttp2_select_next_protocol((unsigned char **)out, outlen, in, inlen) == 1) {
        return SSL_TLSEXT_ERR_OK;
    }
    if (SSL_select_next_proto((unsigned char **)out, outlen, ctx->alpn, ctx->alpn_len, in, inlen) ==
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_OK;
    }
    /* No common protocol: go on without ALPN; the server sniffs the bytes. */
    return SSL_TLSEXT_ERR_NOACK;
}

static int load_cert_key(SSL_CTX *sc, const struct pcol_tls_ctx *ctx, struct pcol_err *err)
{
    if (!ctx->cert_file) {
        return 0;
    }
    if (SSL_CTX_use_certificate_chain_file(sc, ctx->cert_file) != 1) {
        return load_failed(err, "cert_file", ctx->cert_file);
    }
    /* Also checks that the key belongs to the certificate. */
    if (SSL_CTX_use_PrivateKey_file(sc, ctx->key_file, SSL_FILETYPE_PEM) != 1) {
        return load_failed(err, "key_file", ctx->key_file);
    }
    return 0;
}

static int server_setup(SSL_CTX *sc, struct pcol_tls_ctx *ctx, struct pcol_err *err)
{
    static const unsigned char session_ctx[] = "profcol";
    STACK_OF(X509_NAME) * names;
    int rc = load_cert_key(sc, ctx, err);

    if (rc != 0) {
        return rc;
    }
    if (ctx->client_ca_file) {
        if (SSL_CTX_load_verify_locations(sc, ctx->client_ca_file, NULL) != 1 ||
            !(names = SSL_load_client_CA_file(ctx->client_ca_file))) {
            return load_failed(err, "client_ca_file", ctx->client_ca_file);
        }
        SSL_CTX_set_client_CA_list(sc, names);
        SSL_CTX_set_verify(sc, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    /* Session resumption with client certificates needs an id context. */
    SSL_CTX_set_session_id_context(sc, session_ctx, sizeof(session_ctx) - 1);
    if (ctx->alpn_len) {
        SSL_CTX_set_alpn_select_cb(sc, on_alpn_select, ctx);
    }
    return 0;
}

static int client_setup(SSL_CTX *sc, struct pcol_tls_ctx *ctx, struct pcol_err *err)
{
    int rc = load_cert_key(sc, ctx, err);

    if (rc != 0) {
        return rc;
    }
    if (ctx->ca_file) {
        if (SSL_CTX_load_verify_locations(sc, ctx->ca_file, NULL) != 1) {
            return load_failed(err, "ca_file", ctx->ca_file);
        }
    } else if (SSL_CTX_set_default_verify_paths(sc) != 1) {
        return ssl_failed(err, "cannot load the system's CA certificates");
    }
    SSL_CTX_set_verify(sc, ctx->skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    /* Unlike the rest of OpenSSL, 0 means success here. */
    if (ctx->alpn_len && SSL_CTX_set_alpn_protos(sc, ctx->alpn, ctx->alpn_len) != 0) {
        return ssl_failed(err, "cannot set the ALPN list");
    }
    return 0;
}

/* A fresh SSL_CTX from the files the context names. */
static int ctx_build(struct pcol_tls_ctx *ctx, SSL_CTX **out, struct pcol_err *err)
{
    SSL_CTX *sc;
    int rc;

    ERR_clear_error();
    sc = SSL_CTX_new(ctx->server ? TLS_server_method() : TLS_client_method());
    if (!sc) {
        return ssl_failed(err, "cannot create an OpenSSL context");
    }
    SSL_CTX_set_min_proto_version(sc, ctx->min_version == PCOL_TLS_1_3 ? TLS1_3_VERSION
                                                                       : TLS1_2_VERSION);
    /* HTTP/2 forbids renegotiation (RFC 9113 9.2.1). */
    SSL_CTX_set_options(sc, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(sc, no_passphrase);
    rc = ctx->server ? server_setup(sc, ctx, err) : client_setup(sc, ctx, err);
    if (rc != 0) {
        SSL_CTX_free(sc);
        return rc;
    }
    *out = sc;
    return 0;
}

static int alpn_encode(struct pcol_tls_ctx *ctx, const char *const *alpn, struct pcol_err *err)
{
    size_t n;

    for (; alpn && *alpn; alpn++) {
        n = strlen(*alpn);
        if (n == 0 || n > 255 || ctx->alpn_len + 1 + n > sizeof(ctx->alpn)) {
            return pcol_err_set(err, PCOL_EINVAL,
                                "tls: ALPN protocol \"%.40s\" is empty, or the "
                                "list is over %d bytes",
                                *alpn, ALPN_WIRE_MAX);
        }
        ctx->alpn[ctx->alpn_len++] = (uint8_t)n;
        memcpy(ctx->alpn + ctx->alpn_len, *alpn, n);
        ctx->alpn_len += (unsigned)n;
        ctx->alpn_h2 = ctx->alpn_h2 || strcmp(*alpn, "h2") == 0;
    }
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? pcol_xstrdup(s) : NULL;
}

static void ctx_free(struct pcol_tls_ctx *ctx)
{
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx->cert_file);
    free(ctx->key_file);
    free(ctx->ca_file);
    free(ctx->client_ca_file);
    free(ctx->server_name);
    free(ctx);
}

static struct pcol_tls_ctx *ctx_create(const struct pcol_tls_settings *s, bool server,
                                       const char *const *alpn, struct pcol_err *err)
{
    struct pcol_tls_ctx *ctx = pcol_xcalloc(1, sizeof(*ctx));

    ctx->server = server;
    ctx->cert_file = dup_or_null(s->cert_file);
    ctx->key_file = dup_or_null(s->key_file);
    ctx->min_version = s->min_version;
    if (server) {
        ctx->client_ca_file = dup_or_null(s->client_ca_file);
    } else {
        ctx->ca_file = dup_or_null(s->ca_file);
        ctx->server_name = dup_or_null(s->server_name_override);
        ctx->skip_verify = s->insecure_skip_verify;
    }
    if (alpn_encode(ctx, alpn, err) != 0 || ctx_build(ctx, &ctx->ssl_ctx, err) != 0) {
        ctx_free(ctx);
        return NULL;
    }
    ctx->refs = 1;
    ctx->next = live;
    if (live) {
        live->prev = ctx;
    }
    live = ctx;
    return ctx;
}

struct pcol_tls_ctx *pcol_tls_ctx_create_server(const struct pcol_tls_settings *s,
                                                const char *const *alpn, struct pcol_err *err)
{
    if (!s->cert_file || !s->key_file) {
        pcol_err_set(err, PCOL_EINVAL, "tls: a server needs both cert_file and key_file");
        return NULL;
    }
    return ctx_create(s, true, alpn, err);
}

struct pcol_tls_ctx *pcol_tls_ctx_create_client(const struct pcol_tls_settings *s,
                                                const char *const *alpn, struct pcol_err *err)
{
    if (s->insecure) {
        pcol_err_set(err, PCOL_EINVAL, "tls: insecure is true, so there is no TLS to set up");
        return NULL;
    }
    if (!s->cert_file != !s->key_file) {
        pcol_err_set(err, PCOL_EINVAL, "tls: cert_file and key_file must be given together");
        return NULL;
    }
    return ctx_create(s, false, alpn, err);
}

struct pcol_tls_ctx *pcol_tls_ctx_ref(struct pcol_tls_ctx *ctx)
{
    ctx->refs++;
    return ctx;
}

void pcol_tls_ctx_unref(struct pcol_tls_ctx *ctx)
{
    if (!ctx || --ctx->refs > 0) {
        return;
    }
    if (ctx->prev) {
        ctx->prev->next = ctx->next;
    } else {
        live = ctx->next;
    }
    if (ctx->next) {
        ctx->next->prev = ctx->prev;
    }
    ctx_free(ctx);
}

int pcol_tls_ctx_reload(struct pcol_tls_ctx *ctx, struct pcol_err *err)
{
    SSL_CTX *sc = NULL;
    int rc = ctx_build(ctx, &sc, err);

    if (rc != 0) {
        return rc;
    }
    SSL_CTX_free(ctx->ssl_ctx);
    ctx->ssl_ctx = sc;
    return 0;
}

unsigned pcol_tls_reload_all(void)
{
    struct pcol_tls_ctx *ctx;
    unsigned failed = 0, done = 0;

    for (ctx = live; ctx; ctx = ctx->next) {
        struct pcol_err err = {{0}};

        if (pcol_tls_ctx_reload(ctx, &err) != 0) {
            pcol_logf(PCOL_LOG_WARN, NULL, "%s; keeping the certificates loaded before", err.msg);
            failed++;
        } else {
            done++;
        }
    }
    if (done) {
        pcol_logf(PCOL_LOG_INFO, NULL, "tls: re-read the certificates of %u TLS context%s", done,
                  done == 1 ? "" : "s");
    }
    return failed;
}

/* ---- connections ------------------------------------------------------------ */

/* Hands what OpenSSL wrote to the send callback, as one block. */
static void conn_flush(struct pcol_tls_conn *c)
{
    size_t n = BIO_ctrl_pending(c->wbio), got = 0;
    uint8_t *p;

    if (n == 0) {
        return;
    }
    p = pcol_xmalloc(n);
    if (BIO_read_ex(c->wbio, p, n, &got) != 1 || got == 0) {
        free(p);
        return;
    }
    c->send(c->data, p, got);
}

static int conn_failed(const struct pcol_tls_conn *c, struct pcol_err *err)
{
    return pcol_err_set(err, PCOL_EIO, "%s", c->why);
}

/* Marks the connection failed with OpenSSL's reason and sends the alert
 * OpenSSL queued, so the peer learns why too. */
static int conn_fail(struct pcol_tls_conn *c, struct pcol_err *err)
{
    long verify = SSL_get_verify_result(c->ssl);
    char why[REASON_MAX];

    ssl_reason(why, sizeof(why));
    snprintf(c->why, sizeof(c->why), "%s: %s%s%s%s",
             c->established ? "TLS failed" : "TLS handshake failed", why,
             verify != X509_V_OK ? " (" : "",
             verify != X509_V_OK ? X509_verify_cert_error_string(verify) : "",
             verify != X509_V_OK ? ")" : "");
    c->failed = true;
    conn_flush(c);
    return conn_failed(c, err);
}

/* SNI carries host names only (RFC 6066), so an IP literal is verified
 * against the certificate's IP addresses and not sent. */
static void conn_set_peer_name(struct pcol_tls_conn *c, const char *name)
{
    unsigned char addr[16];
    bool ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;

    if (!ip) {
        SSL_set_tlsext_host_name(c->ssl, name);
    }
    if (c->ctx->skip_verify) {
        return;
    }
    if (ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name);
    } else {
        SSL_set1_host(c->ssl, name);
    }
}

struct pcol_tls_conn *pcol_tls_conn_create(struct pcol_tls_ctx *ctx, const char *host,
                                           pcol_tls_send_cb send, void *data)
{
    struct pcol_tls_conn *c = pcol_xcalloc(1, sizeof(*c));
    const char *name = ctx->server_name ? ctx->server_name : host;

    c->ctx = pcol_tls_ctx_ref(ctx);
    c->send = send;
    c->data = data;
    c->ssl = SSL_new(ctx->ssl_ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (!c->ssl || !c->rbio || !c->wbio) {
        pcol_fatal("tls: out of memory for a connection");
    }
    /* An empty read BIO means "wait for more", never end of stream. */
    BIO_set_mem_eof_return(c->rbio, -1);
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    if (ctx->server) {
        SSL_set_accept_state(c->ssl);
    } else {
        SSL_set_connect_state(c->ssl);
        if (name && *name) {
            conn_set_peer_name(c, name);
        }
    }
    return c;
}

void pcol_tls_conn_destroy(struct pcol_tls_conn *c)
{
    if (!c) {
        return;
    }
    SSL_free(c->ssl);
    pcol_buf_free(&c->early);
    pcol_tls_ctx_unref(c->ctx);
    free(c);
}

static int conn_write_now(struct pcol_tls_conn *c, const void *p, size_t len, struct pcol_err *err)
{
    size_t n = 0;

    if (len == 0) {
        return 0;
    }
    ERR_clear_error();
    /* Without partial writes, SSL_write_ex takes all of it or fails. */
    if (SSL_write_ex(c->ssl, p, len, &n) != 1) {
        return conn_fail(c, err);
    }
    conn_flush(c);
    return 0;
}

static void conn_established(struct pcol_tls_conn *c)
{
    const unsigned char *proto = NULL;
    unsigned int len = 0;

    c->established = true;
    SSL_get0_alpn_selected(c->ssl, &proto, &len);
    if (proto && len < sizeof(c->alpn)) {
        memcpy(c->alpn, proto, len);
        c->alpn[len] = '\0';
    }
}

int pcol_tls_conn_handshake(struct pcol_tls_conn *c, struct pcol_err *err)
{
    int rc, e;

    if (c->failed) {
        return conn_failed(c, err);
    }
    if (c->established) {
        return 0;
    }
    ERR_clear_error();
    rc = SSL_do_handshake(c->ssl);
    if (rc != 1) {
        e = SSL_get_error(c->ssl, rc);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            return conn_fail(c, err);
        }
        conn_flush(c);
        return 0;
    }
    conn_established(c);
    conn_flush(c);
    rc = conn_write_now(c, c->early.p, c->early.len, err);
    pcol_buf_free(&c->early);
    return rc;
}

int pcol_tls_conn_feed(struct pcol_tls_conn *c, const void *p, size_t len, struct pcol_err *err)
{
    size_t n = 0;

    if (c->failed) {
        return conn_failed(c, err);
    }
    /* A memory BIO grows to take everything. */
    if (len && BIO_write_ex(c->rbio, p, len, &n) != 1) {
        pcol_fatal("tls: out of memory for received bytes");
    }
    return pcol_tls_conn_handshake(c, err);
}

int pcol_tls_conn_read(struct pcol_tls_conn *c, void *buf, size_t cap, size_t *got,
                       struct pcol_err *err)
{
    size_t n = 0;
    int rc, e;

    *got = 0;
    if (!c->established || c->failed) {
        rc = pcol_tls_conn_handshake(c, err);
        if (rc != 0 || !c->established) {
            return rc;
        }
    }
    if (cap == 0) {
        return 0;
    }
    ERR_clear_error();
    rc = SSL_read_ex(c->ssl, buf, cap, &n);
    e = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, rc);
    /* Reading may answer post-handshake messages (key updates). */
    conn_flush(c);
    switch (e) {
    case SSL_ERROR_NONE: *got = n; return 0;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: return 0;
    case SSL_ERROR_ZERO_RETURN: return PCOL_ENOENT;
    default: return conn_fail(c, err);
    }
}

int pcol_tls_conn_write(struct pcol_tls_conn *c, const void *p, size_t len, struct pcol_err *err)
{
    if (c->failed) {
        return conn_failed(c, err);
    }
    if (!c->established) {
        pcol_buf_append(&c->early, p, len);
        return 0;
    }
    return conn_write_now(c, p, len, err);
}

void pcol_tls_conn_shutdown(struct pcol_tls_conn *c)
{
    if (!c->established || c->failed || (SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN)) {
        return;
    }
    ERR_clear_error();
    SSL_shutdown(c->ssl);
    ERR_clear_error();
    conn_flush(c);
}

bool pcol_tls_conn_established(const struct pcol_tls_conn *c)
{
    return c->established && !c->failed;
}

const char *pcol_tls_conn_alpn(const struct pcol_tls_conn *c)
{
    return c->alpn;
}

bool pcol_tls_conn_peer_verified(const struct pcol_tls_conn *c)
{
    X509 *peer;
    bool ok;

    if (!c->established) {
        return false;
    }
    peer = SSL_get1_peer_certificate(c->ssl);
    ok = peer && SSL_get_verify_result(c->ssl) == X509_V_OK;
    X509_free(peer);
    return ok;
}
