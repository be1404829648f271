/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tls.c: core/tls.c between two in-memory ends (a pump moves the
 * ciphertext each end sends to the other), and the HTTP server over TLS on
 * 127.0.0.1 with a blocking OpenSSL client in a second thread. Certificates
 * are made once per run with the `openssl` CLI in a scratch directory: two
 * unrelated CAs, a server certificate for localhost/127.0.0.1 from each, a
 * client certificate from each, and an encrypted key.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http_server.h"
#include "tls.h"

static char dir[64];

/* Path of a file in the scratch directory; four calls' results stay valid. */
static const char *file(const char *name)
{
    static char slots[4][128];
    static unsigned next;
    char *p = slots[next++ % 4];

    snprintf(p, sizeof(slots[0]), "%s/%s", dir, name);
    return p;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static const char gen_script[] =
    "set -e\n"
    "ca() {\n"
    "  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \\\n"
    "    -keyout $1.key -out $1.crt -days 2 -subj /CN=$1 2>/dev/null\n"
    "}\n"
    "leaf() { # name ca cn extension\n"
    "  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \\\n"
    "    -keyout $1.key -out $1.csr -subj /CN=$3 2>/dev/null\n"
    "  echo \"$4\" > $1.ext\n"
    "  openssl x509 -req -in $1.csr -CA $2.crt -CAkey $2.key -CAcreateserial \\\n"
    "    -out $1.crt -days 2 -extfile $1.ext 2>/dev/null\n"
    "}\n"
    "ca ca1\n"
    "ca ca2\n"
    "leaf server ca1 localhost subjectAltName=DNS:localhost,IP:127.0.0.1\n"
    "leaf server2 ca2 localhost subjectAltName=DNS:localhost,IP:127.0.0.1\n"
    "leaf client ca1 client extendedKeyUsage=clientAuth\n"
    "leaf client2 ca2 client extendedKeyUsage=clientAuth\n"
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 \\\n"
    "  -pass pass:secret -out encrypted.key 2>/dev/null\n"
    "echo not a certificate > garbage.pem\n";

static int make_certs(void **state)
{
    FILE *f;

    PCOL_UNUSED(state);
    snprintf(dir, sizeof(dir), "/tmp/pcol-test-tls-XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    f = fopen(file("gen.sh"), "w");
    if (!f) {
        return -1;
    }
    fputs(gen_script, f);
    fclose(f);
    return sh("cd %s && sh gen.sh", dir) == 0 ? 0 : -1;
}

static int remove_certs(void **state)
{
    PCOL_UNUSED(state);
    return sh("rm -rf %s", dir) == 0 ? 0 : -1;
}

/* ---- contexts ----------------------------------------------------------------- */

static const char *const alpn_both[] = {"h2", "http/1.1", NULL};
static const char *const alpn_h1[] = {"http/1.1", NULL};

static struct pcol_tls_ctx *server_ctx(const char *name, const char *client_ca, int min_version,
                                       const char *const *alpn)
{
    struct pcol_tls_settings s = {0};
    struct pcol_err err = {{0}};
    char cert[128], key[128], ca[128];
    struct pcol_tls_ctx *ctx;

    snprintf(cert, sizeof(cert), "%s/%s.crt", dir, name);
    snprintf(key, sizeof(key), "%s/%s.key", dir, name);
    s.cert_file = cert;
    s.key_file = key;
    if (client_ca) {
        snprintf(ca, sizeof(ca), "%s/%s.crt", dir, client_ca);
        s.client_ca_file = ca;
    }
    s.min_version = min_version;
    ctx = pcol_tls_ctx_create_server(&s, alpn, &err);
    if (!ctx) {
        fail_msg("server context: %s", err.msg);
    }
    return ctx;
}

/* A client trusting `ca` (NULL: skip verification), with `cert` as its
 * own certificate when not NULL. */
static struct pcol_tls_ctx *client_ctx(const char *ca, const char *cert, const char *const *alpn)
{
    struct pcol_tls_settings s = {0};
    struct pcol_err err = {{0}};
    char ca_path[128], cert_path[128], key_path[128];
    struct pcol_tls_ctx *ctx;

    if (ca) {
        snprintf(ca_path, sizeof(ca_path), "%s/%s.crt", dir, ca);
        s.ca_file = ca_path;
    } else {
        s.insecure_skip_verify = true;
    }
    if (cert) {
        snprintf(cert_path, sizeof(cert_path), "%s/%s.crt", dir, cert);
        snprintf(key_path, sizeof(key_path), "%s/%s.key", dir, cert);
        s.cert_file = cert_path;
        s.key_file = key_path;
    }
    ctx = pcol_tls_ctx_create_client(&s, alpn, &err);
    if (!ctx) {
        fail_msg("client context: %s", err.msg);
    }
    return ctx;
}

/* ---- two connections wired back to back ------------------------------------------ */

struct end {
    struct pcol_tls_conn *c;
    struct pcol_buf out; /* ciphertext it sent, not yet delivered */
    struct pcol_buf in;  /* plaintext it read */
    struct pcol_err err;
    int rc; /* its first error */
};

struct pair {
    struct end srv, cli;
};

static void on_send(void *data, uint8_t *p, size_t len)
{
    struct end *e = data;

    pcol_buf_append(&e->out, p, len);
    free(p);
}

/* Delivers what `from` sent to `to` and reads all `to` can decrypt. */
static bool deliver(struct end *from, struct end *to)
{
    struct pcol_buf wire = from->out;
    uint8_t buf[4096];
    bool moved = false;
    size_t got;

    if (wire.len) {
        from->out = (struct pcol_buf){0};
        if (to->rc == 0) {
            to->rc = pcol_tls_conn_feed(to->c, wire.p, wire.len, &to->err);
        }
        pcol_buf_free(&wire);
        moved = true;
    }
    while (to->rc == 0) {
        to->rc = pcol_tls_conn_read(to->c, buf, sizeof(buf), &got, &to->err);
        if (to->rc != 0 || got == 0) {
            break;
        }
        pcol_buf_append(&to->in, buf, got);
        moved = true;
    }
    return moved;
}

static void pump(struct pair *p)
{
    while (deliver(&p->cli, &p->srv) || deliver(&p->srv, &p->cli)) {
    }
}

/* Connects a client of `cctx` for `host` to a server of `sctx`. */
static void pair_open(struct pair *p, struct pcol_tls_ctx *sctx, struct pcol_tls_ctx *cctx,
                      const char *host)
{
    memset(p, 0, sizeof(*p));
    p->srv.c = pcol_tls_conn_create(sctx, NULL, on_send, &p->srv);
    p->cli.c = pcol_tls_conn_create(cctx, host, on_send, &p->cli);
    p->cli.rc = pcol_tls_conn_handshake(p->cli.c, &p->cli.err);
    pump(p);
}

static void pair_close(struct pair *p)
{
    struct end *ends[] = {&p->srv, &p->cli};
    size_t i;

    for (i = 0; i < 2; i++) {
        pcol_tls_conn_destroy(ends[i]->c);
        pcol_buf_free(&ends[i]->out);
        pcol_buf_free(&ends[i]->in);
    }
}

static bool pair_ok(const struct pair *p)
{
    if (p->srv.rc || p->cli.rc) {
        print_message("server: %d %s\nclient: %d %s\n", p->srv.rc, p->srv.err.msg, p->cli.rc,
                      p->cli.err.msg);
    }
    return p->srv.rc == 0 && p->cli.rc == 0 && pcol_tls_conn_established(p->srv.c) &&
           pcol_tls_conn_established(p->cli.c);
}

/* Whether one end of a pair failed with a reason holding `text`. */
static bool failed_with(const struct end *e, const char *text)
{
    if (e->rc == PCOL_EIO && strstr(e->err.msg, text)) {
        return true;
    }
    print_message("expected a failure with \"%s\", got %d \"%s\"\n", text, e->rc, e->err.msg);
    return false;
}

static bool in_is(const struct end *e, const char *text)
{
    return e->in.len == strlen(text) && memcmp(e->in.p, text, e->in.len) == 0;
}

/* ---- handshakes and data ---------------------------------------------------------- */

static void test_handshake_and_data(void **state)
{
    struct pcol_tls_ctx *sctx = server_ctx("server", NULL, PCOL_TLS_1_2, alpn_both);
    struct pcol_tls_ctx *cctx = client_ctx("ca1", NULL, alpn_both);
    struct pcol_buf big = {0};
    struct pcol_err err = {{0}};
    struct pair p;
    size_t i;

    PCOL_UNUSED(state);
    memset(&p, 0, sizeof(p));
    p.srv.c = pcol_tls_conn_create(sctx, NULL, on_send, &p.srv);
    p.cli.c = pcol_tls_conn_create(cctx, "localhost", on_send, &p.cli);
    /* Written before the handshake: kept and sent once it is done. */
    assert_int_equal(pcol_tls_conn_write(p.cli.c, "early ", 6, &err), 0);
    assert_int_equal(pcol_tls_conn_handshake(p.cli.c, &err), 0);
    assert_false(pcol_tls_conn_established(p.cli.c));
    pump(&p);
    assert_true(pair_ok(&p));
    assert_string_equal(pcol_tls_conn_alpn(p.srv.c), "h2");
    assert_string_equal(pcol_tls_conn_alpn(p.cli.c), "h2");
    assert_true(pcol_tls_conn_peer_verified(p.cli.c));
    assert_false(pcol_tls_conn_peer_verified(p.srv.c)); /* no client certificate asked */
    assert_int_equal(pcol_tls_conn_write(p.cli.c, "hello", 5, &err), 0);
    assert_int_equal(pcol_tls_conn_write(p.srv.c, "world", 5, &err), 0);
    pump(&p);
    assert_true(in_is(&p.srv, "early hello"));
    assert_true(in_is(&p.cli, "world"));

    /* Many records at once, read in pieces smaller than a record. */
    for (i = 0; i < 300000; i++) {
        pcol_buf_putc(&big, (char)('a' + i % 26));
    }
    p.srv.in.len = 0;
    assert_int_equal(pcol_tls_conn_write(p.cli.c, big.p, big.len, &err), 0);
    pump(&p);
    assert_int_equal(p.srv.in.len, big.len);
    assert_memory_equal(p.srv.in.p, big.p, big.len);

    /* close_notify ends the session for the reader. */
    pcol_tls_conn_shutdown(p.cli.c);
    pump(&p);
    assert_int_equal(p.srv.rc, PCOL_ENOENT);
    pcol_buf_free(&big);
    pair_close(&p);
    pcol_tls_ctx_unref(cctx);
    pcol_tls_ctx_unref(sctx);
}

static void check_alpn(const char *const *srv_list, const char *const *cli_list, const char *want)
{
    struct pcol_tls_ctx *sctx = server_ctx("server", NULL, PCOL_TLS_1_2, srv_list);
    struct pcol_tls_ctx *cctx = client_ctx("ca1", NULL, cli_list);
    struct pair p;

    pair_open(&p, sctx, cctx, "localhost");
    assert_true(pair_ok(&p));
    assert_string_equal(pcol_tls_conn_alpn(p.srv.c), want);
    assert_string_equal(pcol_tls_conn_alpn(p.cli.c), want);
    pair_close(&p);
    pcol_tls_ctx_unref(cctx);
    pcol_tls_ctx_unref(sctx);
}

static void test_alpn(void **state)
{
    static const char *const alpn_other[] = {"spdy/3", NULL};
    static const char *const alpn_h1_then_h2[] = {"http/1.1", "h2", NULL};

    PCOL_UNUSED(state);
    check_alpn(alpn_both, alpn_both, "h2");
    check_alpn(alpn_both, alpn_h1_then_h2, "h2"); /* the server prefers h2 */
    check_alpn(alpn_both, alpn_h1, "http/1.1");
    check_alpn(alpn_h1, alpn_both, "http/1.1");
    check_alpn(alpn_both, NULL, "");
    check_alpn(alpn_both, alpn_other, "");
    check_alpn(NULL, alpn_both, "");
}

static void test_server_names(void **state)
{
    struct pcol_tls_ctx *sctx = server_ctx("server", NULL, PCOL_TLS_1_2, NULL);
    struct pcol_tls_ctx *cctx = client_ctx("ca1", NULL, NULL);
    struct pcol_tls_settings s = {0};
    struct pcol_err err = {{0}};
    struct pcol_tls_ctx *override;
    struct pair p;

    PCOL_UNUSED(state);
    pair_open(&p, sctx, cctx, "127.0.0.1");
    assert_true(pair_ok(&p));
    pair_close(&p);
    pair_open(&p, sctx, cctx, "other.example");
    assert_true(failed_with(&p.cli, "certificate verify failed (hostname mismatch)"));
    pair_close(&p);
    pair_open(&p, sctx, cctx, "10.1.2.3");
    assert_true(failed_with(&p.cli, "IP address mismatch"));
    pair_close(&p);

    s.ca_file = file("ca1.crt");
    s.server_name_override = "localhost";
    override = pcol_tls_ctx_create_client(&s, NULL, &err);
    assert_non_null(override);
    pair_open(&p, sctx, override, "other.example");
    assert_true(pair_ok(&p));
    pair_close(&p);
    pcol_tls_ctx_unref(override);
    pcol_tls_ctx_unref(cctx);
    pcol_tls_ctx_unref(sctx);
}

static void test_wrong_ca_refused(void **state)
{
    struct pcol_tls_ctx *sctx = server_ctx("server", NULL, PCOL_TLS_1_2, NULL);
    struct pcol_tls_ctx *wrong = client_ctx("ca2", NULL, NULL);
    struct pcol_tls_ctx *skip = client_ctx(NULL, NULL, NULL);
    struct pcol_err err = {{0}};
    struct pair p;

    PCOL_UNUSED(state);
    pair_open(&p, sctx, wrong, "localhost");
    assert_true(failed_with(&p.cli, "TLS handshake failed: certificate verify failed "
                                    "(unable to get local issuer certificate)"));
    /* The alert told the server why. */
    assert_true(failed_with(&p.srv, "unknown ca"));
    /* A failed connection stays failed. */
    assert_int_equal(pcol_tls_conn_write(p.cli.c, "x", 1, &err), PCOL_EIO);
    assert_false(pcol_tls_conn_established(p.cli.c));
    pair_close(&p);

    pair_open(&p, sctx, skip, "other.example");
    assert_true(pair_ok(&p));
    assert_false(pcol_tls_conn_peer_verified(p.cli.c));
    pair_close(&p);
    pcol_tls_ctx_unref(skip);
    pcol_tls_ctx_unref(wrong);
    pcol_tls_ctx_unref(sctx);
}

static void test_mtls(void **state)
{
    struct pcol_tls_ctx *sctx = server_ctx("server", "ca1", PCOL_TLS_1_2, NULL);
    struct pcol_tls_ctx *anon = client_ctx("ca1", NULL, NULL);
    struct pcol_tls_ctx *good = client_ctx("ca1", "client", NULL);
    struct pcol_tls_ctx *wrong = client_ctx("ca1", "client2", NULL);
    struct pair p;

    PCOL_UNUSED(state);
    pair_open(&p, sctx, good, "localhost");
    assert_true(pair_ok(&p));
    assert_true(pcol_tls_conn_peer_verified(p.srv.c));
    pair_close(&p);

    pair_open(&p, sctx, anon, "localhost");
    assert_true(failed_with(&p.srv, "peer did not return a certificate"));
    assert_true(failed_with(&p.cli, "certificate required"));
    pair_close(&p);

    pair_open(&p, sctx, wrong, "localhost");
    assert_true(failed_with(&p.srv, "certificate verify failed"));
    assert_true(failed_with(&p.cli, "unknown ca"));
    pair_close(&p);
    pcol_tls_ctx_unref(wrong);
    pcol_tls_ctx_unref(good);
    pcol_tls_ctx_unref(anon);
    pcol_tls_ctx_unref(sctx);
}

/* A raw OpenSSL client that speaks TLS 1.2 at most, against `sctx`.
 * Returns whether the server completed the handshake. */
static bool tls12_client_accepted(struct pcol_tls_ctx *sctx, struct end *srv)
{
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
    uint8_t buf[16384];
    int n, round;
    SSL *ssl;

    SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    ssl = SSL_new(cctx);
    BIO_set_mem_eof_return(rbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_connect_state(ssl);
    memset(srv, 0, sizeof(*srv));
    srv->c = pcol_tls_conn_create(sctx, NULL, on_send, srv);
    for (round = 0; round < 10 && srv->rc == 0; round++) {
        SSL_do_handshake(ssl);
        while ((n = BIO_read(wbio, buf, sizeof(buf))) > 0 && srv->rc == 0) {
            srv->rc = pcol_tls_conn_feed(srv->c, buf, (size_t)n, &srv->err);
        }
        BIO_write(rbio, srv->out.p, (int)srv->out.len);
        srv->out.len = 0;
    }
    SSL_free(ssl);
    SSL_CTX_free(cctx);
    ERR_clear_error();
    return srv->rc == 0 && pcol_tls_conn_established(srv->c);
}

static void test_min_version(void **state)
{
    struct pcol_tls_ctx *v12 = server_ctx("server", NULL, PCOL_TLS_1_2, NULL);
    struct pcol_tls_ctx *v13 = server_ctx("server", NULL, PCOL_TLS_1_3, NULL);
    struct end srv;

    PCOL_UNUSED(state);
    assert_true(tls12_client_accepted(v12, &srv));
    pcol_tls_conn_destroy(srv.c);
    pcol_buf_free(&srv.out);
    assert_false(tls12_client_accepted(v13, &srv));
    assert_true(failed_with(&srv, "unsupported protocol"));
    pcol_tls_conn_destroy(srv.c);
    pcol_buf_free(&srv.out);
    pcol_tls_ctx_unref(v13);
    pcol_tls_ctx_unref(v12);
}

static void test_not_tls(void **state)
{
    struct pcol_tls_ctx *sctx = server_ctx("server", NULL, PCOL_TLS_1_2, NULL);
    static const char plain[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    struct end srv = {0};
    uint8_t buf[64];
    size_t got;

    PCOL_UNUSED(state);
    srv.c = pcol_tls_conn_create(sctx, NULL, on_send, &srv);
    assert_int_equal(pcol_tls_conn_feed(srv.c, plain, sizeof(plain) - 1, &srv.err), PCOL_EIO);
    assert_non_null(strstr(srv.err.msg, "TLS handshake failed"));
    assert_int_equal(pcol_tls_conn_read(srv.c, buf, sizeof(buf), &got, &srv.err), PCOL_EIO);
    assert_int_equal(got, 0);
    pcol_tls_conn_destroy(srv.c);
    pcol_buf_free(&srv.out);
    pcol_tls_ctx_unref(sctx);
}

/* ---- reload -------------------------------------------------------------------------- */

static void install(const char *from)
{
    assert_int_equal(
        sh("cp %s/%s.crt %s/live.crt && cp %s/%s.key %s/live.key", dir, from, dir, dir, from, dir),
        0);
}

static void test_reload(void **state)
{
    struct pcol_tls_ctx *sctx, *ca1 = client_ctx("ca1", NULL, NULL);
    struct pcol_tls_ctx *ca2 = client_ctx("ca2", NULL, NULL);
    struct pcol_err err = {{0}};
    struct pair old, p;

    PCOL_UNUSED(state);
    install("server");
    sctx = server_ctx("live", NULL, PCOL_TLS_1_2, NULL);
    pair_open(&old, sctx, ca1, "localhost");
    assert_true(pair_ok(&old));

    /* Replaced files change nothing until the reload. */
    install("server2");
    pair_open(&p, sctx, ca1, "localhost");
    assert_true(pair_ok(&p));
    pair_close(&p);
    assert_int_equal(pcol_tls_ctx_reload(sctx, &err), 0);
    pair_open(&p, sctx, ca1, "localhost");
    assert_true(failed_with(&p.cli, "certificate verify failed"));
    pair_close(&p);
    pair_open(&p, sctx, ca2, "localhost");
    assert_true(pair_ok(&p));
    pair_close(&p);

    /* The connection made before goes on with its certificate. */
    assert_int_equal(pcol_tls_conn_write(old.cli.c, "still", 5, &err), 0);
    pump(&old);
    assert_true(in_is(&old.srv, "still"));
    pair_close(&old);

    /* A failed reload keeps what was loaded. */
    assert_int_equal(sh("cp %s/garbage.pem %s/live.crt", dir, dir), 0);
    assert_int_equal(pcol_tls_ctx_reload(sctx, &err), PCOL_EIO);
    assert_non_null(strstr(err.msg, "cannot load cert_file"));
    assert_non_null(strstr(err.msg, "live.crt"));
    assert_int_equal(pcol_tls_reload_all(), 1);
    pair_open(&p, sctx, ca2, "localhost");
    assert_true(pair_ok(&p));
    pair_close(&p);

    install("server");
    assert_int_equal(pcol_tls_reload_all(), 0);
    pair_open(&p, sctx, ca1, "localhost");
    assert_true(pair_ok(&p));
    pair_close(&p);
    pcol_tls_ctx_unref(sctx);
    pcol_tls_ctx_unref(ca2);
    pcol_tls_ctx_unref(ca1);
}

/* ---- settings and load errors -------------------------------------------------------- */

static void check_server_error(const char *cert, const char *key, const char *client_ca,
                               const char *text)
{
    struct pcol_tls_settings s = {0};
    struct pcol_err err = {{0}};

    s.cert_file = cert;
    s.key_file = key;
    s.client_ca_file = client_ca;
    assert_null(pcol_tls_ctx_create_server(&s, NULL, &err));
    if (!strstr(err.msg, text)) {
        fail_msg("expected \"%s\" in \"%s\"", text, err.msg);
    }
}

static void test_load_errors(void **state)
{
    static const char *const long_alpn[] = {"a-protocol-name-of-forty-bytes-or-so-here",
                                            "and-another-one-that-is-too-long", NULL};
    struct pcol_tls_settings s = {0};
    struct pcol_err err = {{0}};
    char missing[128];

    PCOL_UNUSED(state);
    snprintf(missing, sizeof(missing), "%s/missing.crt", dir);
    check_server_error(missing, file("server.key"), NULL, "missing.crt: No such file or directory");
    check_server_error(file("garbage.pem"), file("server.key"), NULL, "cannot load cert_file");
    check_server_error(file("server.crt"), file("server2.key"), NULL, "cannot load key_file");
    check_server_error(file("server.crt"), file("encrypted.key"), NULL, "encrypted.key");
    check_server_error(file("server.crt"), file("server.key"), file("garbage.pem"),
                       "cannot load client_ca_file");
    check_server_error(NULL, NULL, NULL, "a server needs both cert_file and key_file");

    s.cert_file = file("server.crt");
    s.key_file = file("server.key");
    assert_null(pcol_tls_ctx_create_server(&s, long_alpn, &err));
    assert_non_null(strstr(err.msg, "ALPN"));

    memset(&s, 0, sizeof(s));
    s.insecure = true;
    assert_null(pcol_tls_ctx_create_client(&s, NULL, &err));
    s.insecure = false;
    s.ca_file = missing;
    assert_null(pcol_tls_ctx_create_client(&s, NULL, &err));
    assert_non_null(strstr(err.msg, "cannot load ca_file"));
    s.ca_file = NULL;
    s.cert_file = file("client.crt");
    assert_null(pcol_tls_ctx_create_client(&s, NULL, &err));
    assert_non_null(strstr(err.msg, "together"));
}

static void test_options(void **state)
{
    struct pcol_tls_settings s = {0};
    struct pcol_diag d = {0};

    PCOL_UNUSED(state);
    assert_int_equal(pcol_options_check_table(pcol_tls_server_options, &d), 0);
    assert_int_equal(pcol_options_check_table(pcol_tls_client_options, &d), 0);
    assert_int_equal(d.n, 0);

    assert_false(pcol_tls_server_enabled(&s));
    pcol_tls_validate(&s, true, NULL, &d);
    pcol_tls_validate(&s, false, NULL, &d);
    assert_int_equal(d.n, 0);

    s.cert_file = "c.pem";
    assert_true(pcol_tls_server_enabled(&s));
    pcol_tls_validate(&s, true, NULL, &d);
    assert_true(tu_has_diag(&d, PCOL_DIAG_ERROR, 0, 0, "cert_file and key_file"));
    pcol_diag_free(&d);

    memset(&s, 0, sizeof(s));
    s.client_ca_file = "ca.pem";
    pcol_tls_validate(&s, true, NULL, &d);
    assert_true(tu_has_diag(&d, PCOL_DIAG_ERROR, 0, 0, "client_ca_file needs cert_file"));
    pcol_diag_free(&d);

    memset(&s, 0, sizeof(s));
    s.insecure = true;
    s.ca_file = "ca.pem";
    pcol_tls_validate(&s, false, NULL, &d);
    assert_int_equal(d.errors, 0);
    assert_true(tu_has_diag(&d, PCOL_DIAG_WARNING, 0, 0, "insecure is true"));
    pcol_diag_free(&d);
}

/* ---- the HTTP server over TLS ----------------------------------------------------- */

#define WATCHDOG_MS 20000

struct srv_fx {
    uv_loop_t loop;
    uv_timer_t watchdog;
    uv_async_t client_done;
    struct pcol_http_server *srv;
    int port;
    pthread_t thread;
    struct pcol_buf logs; /* "level message" lines, loop thread only */
    atomic_int handled;
    bool timed_out;
    char failure[256]; /* first failed check of the client thread */
    int idle_fd;       /* a connection left open across the server's close */
};

#define CLIENT_CHECK(fx, cond)                                                                     \
    do {                                                                                           \
        if (!(cond) && !(fx)->failure[0]) {                                                        \
            snprintf((fx)->failure, sizeof((fx)->failure), "line %d: %s", __LINE__, #cond);        \
        }                                                                                          \
    } while (0)

static void fx_log(void *data, enum pcol_http_log_level level, const char *msg)
{
    struct srv_fx *fx = data;

    pcol_buf_printf(&fx->logs, "%d %s\n", (int)level, msg);
}

static void h_echo(struct pcol_http_request *req, void *data)
{
    struct srv_fx *fx = data;
    struct pcol_buf b = {0};

    atomic_fetch_add(&fx->handled, 1);
    pcol_buf_printf(&b, "proto=%d len=%zu\n", (int)req->protocol, req->body_len);
    pcol_buf_append(&b, req->body, req->body_len);
    pcol_http_respond_take(req, 200, "text/plain", b.p, b.len, free);
}

static void on_fx_closed(void *data)
{
    struct srv_fx *fx = data;

    fx->srv = NULL;
    uv_close((uv_handle_t *)&fx->watchdog, NULL);
    uv_close((uv_handle_t *)&fx->client_done, NULL);
}

static void on_client_done(uv_async_t *a)
{
    struct srv_fx *fx = a->data;

    if (fx->srv) {
        pcol_http_server_close(fx->srv, on_fx_closed, fx);
    }
}

static void on_watchdog(uv_timer_t *t)
{
    struct srv_fx *fx = t->data;

    fx->timed_out = true;
    on_client_done(&fx->client_done);
}

/* A blocking TLS connection to the fixture, or NULL when the handshake
 * fails. `ctx` is the client's (trust, ALPN). */
static SSL *client_connect(struct srv_fx *fx, SSL_CTX *ctx, int *fd_out)
{
    struct sockaddr_in sa = {0};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    SSL *ssl;

    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)fx->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return NULL;
    }
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    if (SSL_connect(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        ERR_clear_error();
        return NULL;
    }
    *fd_out = fd;
    return ssl;
}

static void client_close(SSL *ssl, int fd)
{
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
}

/* Reads one response (Content-Length framed) into `out`; its status or -1. */
static int read_response(SSL *ssl, struct pcol_buf *out)
{
    const char *end, *cl;
    size_t head, want;
    char buf[16384];
    int n;

    out->len = 0;
    for (;;) {
        pcol_buf_putc(out, '\0');
        out->len--;
        end = strstr((const char *)out->p, "\r\n\r\n");
        if (end) {
            head = (size_t)(end + 4 - (const char *)out->p);
            cl = strstr((const char *)out->p, "Content-Length:");
            want = head + (cl ? strtoul(cl + 15, NULL, 10) : 0);
            if (out->len >= want) {
                return atoi((const char *)out->p + 9);
            }
        }
        n = SSL_read(ssl, buf, sizeof(buf));
        if (n <= 0) {
            return -1;
        }
        pcol_buf_append(out, buf, (size_t)n);
    }
}

static SSL_CTX *raw_client_ctx(const char *ca, const char *alpn_wire, unsigned alpn_len)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    SSL_CTX_load_verify_locations(ctx, file(ca), NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (alpn_wire) {
        SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)alpn_wire, alpn_len);
    }
    return ctx;
}

static void client_requests(struct srv_fx *fx, SSL_CTX *ctx)
{
    static const char pipelined[] = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
                                    "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";
    struct pcol_buf req = {0}, resp = {0};
    size_t body = 300000, i;
    int fd = -1;
    SSL *ssl = client_connect(fx, ctx, &fd);

    CLIENT_CHECK(fx, ssl != NULL);
    if (!ssl) {
        return;
    }
    pcol_buf_printf(&req, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", body);
    for (i = 0; i < body; i++) {
        pcol_buf_putc(&req, (char)('a' + i % 26));
    }
    /* Twice on one connection: keep-alive under TLS. */
    for (i = 0; i < 2; i++) {
        CLIENT_CHECK(fx, SSL_write(ssl, req.p, (int)req.len) == (int)req.len);
        CLIENT_CHECK(fx, read_response(ssl, &resp) == 200);
        CLIENT_CHECK(fx, strstr((const char *)resp.p, "proto=11 len=300000\n"));
        CLIENT_CHECK(fx, resp.len > body &&
                             memcmp(resp.p + resp.len - body, req.p + req.len - body, body) == 0);
    }
    CLIENT_CHECK(fx,
                 SSL_write(ssl, pipelined, sizeof(pipelined) - 1) == (int)sizeof(pipelined) - 1);
    CLIENT_CHECK(fx, read_response(ssl, &resp) == 200);
    CLIENT_CHECK(fx, read_response(ssl, &resp) == 200);
    client_close(ssl, fd);
    pcol_buf_free(&req);
    pcol_buf_free(&resp);
}

/* Sends plain HTTP to the TLS port: the server must close the connection. */
static void client_plaintext(struct srv_fx *fx)
{
    static const char plain[] = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";
    struct sockaddr_in sa = {0};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char buf[512];
    ssize_t n;

    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)fx->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    CLIENT_CHECK(fx, connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CLIENT_CHECK(fx, write(fd, plain, sizeof(plain) - 1) == (ssize_t)sizeof(plain) - 1);
    /* An alert at most, then the end of the stream (not a timeout). */
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        CLIENT_CHECK(fx, (unsigned char)buf[0] == 0x15);
    }
    CLIENT_CHECK(fx, n == 0);
    close(fd);
}

static void *client_main(void *arg)
{
    struct srv_fx *fx = arg;
    SSL_CTX *h1 = raw_client_ctx("ca1.crt", "\x08http/1.1", 9);
    SSL_CTX *no_alpn = raw_client_ctx("ca1.crt", NULL, 0);
    SSL_CTX *wrong = raw_client_ctx("ca2.crt", NULL, 0);
    int fd = -1;
    SSL *ssl;

    client_requests(fx, h1);
    CLIENT_CHECK(fx, client_connect(fx, wrong, &fd) == NULL);
    CLIENT_CHECK(fx, client_connect(fx, wrong, &fd) == NULL);
    client_plaintext(fx);
    /* No ALPN: the plaintext is sniffed. */
    client_requests(fx, no_alpn);
    /* Left idle for the server's close to end. */
    ssl = client_connect(fx, h1, &fx->idle_fd);
    CLIENT_CHECK(fx, ssl != NULL);
    SSL_free(ssl);
    SSL_CTX_free(wrong);
    SSL_CTX_free(no_alpn);
    SSL_CTX_free(h1);
    ERR_clear_error();
    uv_async_send(&fx->client_done);
    return NULL;
}

/* How many lines of `logs` have `level` and hold `text`. */
static int count_logs(const struct pcol_buf *logs, enum pcol_http_log_level level, const char *text)
{
    char prefix[8];
    const char *line = (const char *)logs->p, *eol;
    int n = 0;

    snprintf(prefix, sizeof(prefix), "%d ", (int)level);
    while (line && *line) {
        eol = strchr(line, '\n');
        if (strncmp(line, prefix, strlen(prefix)) == 0 && strstr(line, text) &&
            (!eol || strstr(line, text) < eol)) {
            n++;
        }
        line = eol ? eol + 1 : NULL;
    }
    return n;
}

static void test_http_server_tls(void **state)
{
    struct pcol_http_server_opts o = {0};
    struct srv_fx fx;
    struct pcol_err err = {{0}};
    char buf[64];

    PCOL_UNUSED(state);
    memset(&fx, 0, sizeof(fx));
    fx.idle_fd = -1;
    assert_int_equal(uv_loop_init(&fx.loop), 0);
    o.log = fx_log;
    o.log_data = &fx;
    o.tls = server_ctx("server", NULL, PCOL_TLS_1_2, pcol_http_server_alpn);
    fx.srv = pcol_http_server_create(&fx.loop, &o);
    pcol_tls_ctx_unref(o.tls); /* the server holds its own reference */
    assert_non_null(fx.srv);
    assert_int_equal(pcol_http_route(fx.srv, NULL, "/echo", h_echo, &fx, 0), 0);
    assert_int_equal(pcol_http_server_listen(fx.srv, "127.0.0.1", 0, &err), 0);
    fx.port = pcol_http_server_port(fx.srv);
    uv_timer_init(&fx.loop, &fx.watchdog);
    fx.watchdog.data = &fx;
    uv_timer_start(&fx.watchdog, on_watchdog, WATCHDOG_MS, 0);
    uv_async_init(&fx.loop, &fx.client_done, on_client_done);
    fx.client_done.data = &fx;
    assert_int_equal(pthread_create(&fx.thread, NULL, client_main, &fx), 0);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    pthread_join(fx.thread, NULL);
    /* The idle connection was closed by the server. */
    assert_true(fx.idle_fd >= 0);
    assert_true(read(fx.idle_fd, buf, sizeof(buf)) >= 0);
    close(fx.idle_fd);
    assert_int_equal(uv_loop_close(&fx.loop), 0);

    pcol_buf_putc(&fx.logs, '\0');
    if (fx.failure[0]) {
        fail_msg("client: %s\nserver log:\n%s", fx.failure, (const char *)fx.logs.p);
    }
    assert_false(fx.timed_out);
    assert_int_equal(atomic_load(&fx.handled), 8);
    /* The first TLS failure is a warning, the next ones debug lines. */
    assert_int_equal(count_logs(&fx.logs, PCOL_HTTP_LOG_WARN, "TLS handshake failed"), 1);
    assert_int_equal(count_logs(&fx.logs, PCOL_HTTP_LOG_WARN, "unknown ca"), 1);
    assert_int_equal(count_logs(&fx.logs, PCOL_HTTP_LOG_DEBUG, "TLS handshake failed"), 2);
    pcol_buf_free(&fx.logs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_data),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_server_names),
        cmocka_unit_test(test_wrong_ca_refused),
        cmocka_unit_test(test_mtls),
        cmocka_unit_test(test_min_version),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_http_server_tls),
    };

    return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
