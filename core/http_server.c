/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_server.c: the listener, connections, protocol sniffing, routing and
 * the protocol-neutral request/response API. Wire formats live in the
 * protocol back-ends (http1.c); this file never parses HTTP.
 *
 * Ownership: the server owns its listener handle, routes and connection
 * structs. A connection struct embeds its libuv handles and is freed when
 * both handles have closed and no handler holds one of its requests
 * (`refs`). The server frees itself after its listener and every
 * connection are gone, then calls the close callback.
 *
 * Under TLS a connection also owns a pcol_tls_conn. Ciphertext is read into
 * one buffer the server shares (tls.c copies it at once), plaintext is
 * pulled into the connection's read buffer only as the back-end consumes
 * it, and back-end writes are encrypted into blocks written in order.
 */
#include "http_server_internal.h"

#include "log.h"
#include "tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RBUF_SIZE (64 * 1024)
#define LINGER_MS 2000
#define LISTEN_BACKLOG 511

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN (sizeof(h2_preface) - 1)

const char *const pcol_http_server_alpn[] = {"h2", "http/1.1", NULL};

struct pcol__http_route {
    char *method; /* NULL: any */
    char *path;
    pcol_http_handler handler;
    void *data;
    size_t max_body;
};

struct pcol_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    struct pcol_http_server_opts opts;
    struct pcol__http_route *routes;
    size_t n_routes;
    struct pcol__http_conn *conns; /* every connection not yet freed */
    unsigned n_open;               /* connections not closing (max_connections) */
    unsigned n_rejected;           /* over-limit handles still closing */
    int port;                      /* -1 until listening */
    bool closing;
    bool listener_closed;
    bool rejecting;  /* logged the limit; quiet until a connection ends */
    bool tls_warned; /* logged a TLS failure; the next ones go to debug */
    char *tls_rbuf;  /* TLS: ciphertext of the read in progress */
    pcol_http_closed_cb done;
    void *done_data;
};

/* One block of ciphertext on its way out. libuv completes writes in order,
 * so the last block of a back-end's write carries that write's callback. */
struct tls_write {
    uv_write_t uv;
    uint8_t *data;
    uv_write_t *user;
    uv_write_cb user_cb;
};

struct pcol__http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown;
    struct pcol_http_server *srv;
    struct pcol__http_conn *prev, *next;
    const struct pcol__http_proto *proto; /* NULL while sniffing */
    void *proto_st;
    struct pcol_tls_conn *tls;  /* NULL: cleartext */
    struct tls_write *tls_last; /* last block written for the write being made */
    bool tls_ready;             /* handshake done, back-end chosen by ALPN */
    char *rbuf;                 /* RBUF_SIZE bytes, reused for every read */
    size_t rlen;                /* bytes received */
    size_t roff;                /* bytes fed to the back-end */
    unsigned refs;              /* open handles + requests held by handlers */
    enum pcol__http_timer timer_kind;
    bool paused;
    bool reading;
    bool closing;
    bool lingering;
    char remote[64];
};

static void server_maybe_done(struct pcol_http_server *srv);

/* ---- logging ---------------------------------------------------------- */

static void server_vlog(const struct pcol_http_server *srv, enum pcol_http_log_level level,
                        const char *prefix, const char *fmt, va_list ap)
{
    static const enum pcol_log_level to_log[] = {
        [PCOL_HTTP_LOG_DEBUG] = PCOL_LOG_DEBUG,
        [PCOL_HTTP_LOG_INFO] = PCOL_LOG_INFO,
        [PCOL_HTTP_LOG_WARN] = PCOL_LOG_WARN,
        [PCOL_HTTP_LOG_ERROR] = PCOL_LOG_ERROR,
    };
    char line[512];
    int n = snprintf(line, sizeof(line), "%s", prefix);

    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (srv->opts.log) {
        srv->opts.log(srv->opts.log_data, level, line);
    } else {
        pcol_logf(to_log[level], "http", "%s", line);
    }
}

static void server_log(const struct pcol_http_server *srv, enum pcol_http_log_level level,
                       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void server_log(const struct pcol_http_server *srv, enum pcol_http_log_level level,
                       const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    server_vlog(srv, level, "", fmt, ap);
    va_end(ap);
}

void pcol__http_conn_log(const struct pcol__http_conn *conn, enum pcol_http_log_level level,
                         const char *fmt, ...)
{
    char prefix[80];
    va_list ap;

    snprintf(prefix, sizeof(prefix), "%s: ", conn->remote);
    va_start(ap, fmt);
    server_vlog(conn->srv, level, prefix, fmt, ap);
    va_end(ap);
}

/* ---- connection lifetime ---------------------------------------------- */

static void conn_free(struct pcol__http_conn *conn)
{
    struct pcol_http_server *srv = conn->srv;

    if (conn->proto) {
        conn->proto->destroy(conn->proto_st);
    }
    pcol_tls_conn_destroy(conn->tls);
    if (conn->prev) {
        conn->prev->next = conn->next;
    } else {
        srv->conns = conn->next;
    }
    if (conn->next) {
        conn->next->prev = conn->prev;
    }
    free(conn->rbuf);
    free(conn);
    server_maybe_done(srv);
}

void pcol__http_conn_hold(struct pcol__http_conn *conn)
{
    conn->refs++;
}

void pcol__http_conn_release(struct pcol__http_conn *conn)
{
    if (--conn->refs == 0) {
        conn_free(conn);
    }
}

static void on_tcp_closed(uv_handle_t *h)
{
    pcol__http_conn_release(PCOL_CONTAINER_OF(h, struct pcol__http_conn, tcp));
}

static void on_timer_closed(uv_handle_t *h)
{
    pcol__http_conn_release(PCOL_CONTAINER_OF(h, struct pcol__http_conn, timer));
}

void pcol__http_conn_close(struct pcol__http_conn *conn)
{
    if (conn->closing) {
        return;
    }
    conn->closing = true;
    conn->srv->n_open--;
    conn->srv->rejecting = false;
    uv_close((uv_handle_t *)&conn->tcp, on_tcp_closed);
    uv_close((uv_handle_t *)&conn->timer, on_timer_closed);
}

bool pcol__http_conn_closing(const struct pcol__http_conn *conn)
{
    return conn->closing;
}

bool pcol__http_conn_may_keep_alive(const struct pcol__http_conn *conn)
{
    return !conn->srv->closing;
}

uv_stream_t *pcol__http_conn_stream(struct pcol__http_conn *conn)
{
    return (uv_stream_t *)&conn->tcp;
}

const char *pcol__http_conn_remote(const struct pcol__http_conn *conn)
{
    return conn->remote;
}

size_t pcol__http_conn_max_header_bytes(const struct pcol__http_conn *conn)
{
    return conn->srv->opts.max_header_bytes;
}

unsigned pcol__http_conn_max_streams(const struct pcol__http_conn *conn)
{
    return conn->srv->opts.max_concurrent_streams ? conn->srv->opts.max_concurrent_streams : 100;
}

uint64_t pcol__http_conn_request_timeout_ms(const struct pcol__http_conn *conn)
{
    return conn->srv->opts.request_timeout_ms;
}

/* ---- TLS writes -------------------------------------------------------- */

static void on_tls_written(uv_write_t *uv, int status)
{
    struct tls_write *w = PCOL_CONTAINER_OF(uv, struct tls_write, uv);
    struct pcol__http_conn *conn = PCOL_CONTAINER_OF(uv->handle, struct pcol__http_conn, tcp);

    free(w->data);
    if (w->user_cb) {
        w->user_cb(w->user, status);
    } else if (status < 0) {
        if (status != UV_ECANCELED) {
            pcol__http_conn_log(conn, PCOL_HTTP_LOG_DEBUG, "write: %s", uv_strerror(status));
        }
        pcol__http_conn_close(conn);
    }
    free(w);
}

/* The connection's TLS send callback: ciphertext goes straight out. */
static void conn_tls_send(void *data, uint8_t *p, size_t len)
{
    struct pcol__http_conn *conn = data;
    uv_buf_t buf = uv_buf_init((char *)p, (unsigned)len);
    struct tls_write *w;
    int rc;

    if (conn->closing) {
        free(p);
        return;
    }
    w = pcol_xcalloc(1, sizeof(*w));
    w->data = p;
    rc = uv_write(&w->uv, (uv_stream_t *)&conn->tcp, &buf, 1, on_tls_written);
    if (rc != 0) {
        pcol__http_conn_log(conn, PCOL_HTTP_LOG_DEBUG, "write: %s", uv_strerror(rc));
        free(p);
        free(w);
        pcol__http_conn_close(conn);
        return;
    }
    conn->tls_last = w;
}

int pcol__http_conn_write(struct pcol__http_conn *conn, uv_write_t *wr, const uv_buf_t bufs[],
                          unsigned n, uv_write_cb cb)
{
    struct pcol_err err = {{0}};
    unsigned i;

    if (!conn->tls) {
        return uv_write(wr, (uv_stream_t *)&conn->tcp, bufs, n, cb);
    }
    conn->tls_last = NULL;
    for (i = 0; i < n; i++) {
        if (pcol_tls_conn_write(conn->tls, bufs[i].base, bufs[i].len, &err) != 0) {
            pcol__http_conn_log(conn, PCOL_HTTP_LOG_DEBUG, "%s", err.msg);
            return UV_EPROTO;
        }
    }
    if (conn->closing) {
        return UV_ECANCELED;
    }
    if (!conn->tls_last) {
        return UV_EINVAL; /* nothing to write, which uv_write refuses too */
    }
    wr->handle = (uv_stream_t *)&conn->tcp;
    conn->tls_last->user = wr;
    conn->tls_last->user_cb = cb;
    return 0;
}

/* ---- timers ----------------------------------------------------------- */

static void on_conn_timer(uv_timer_t *t)
{
    struct pcol__http_conn *conn = PCOL_CONTAINER_OF(t, struct pcol__http_conn, timer);
    enum pcol__http_timer kind = conn->timer_kind;

    conn->timer_kind = PCOL__HTTP_TIMER_NONE;
    if (kind == PCOL__HTTP_TIMER_REQUEST && conn->proto) {
        conn->proto->request_timeout(conn->proto_st);
        return;
    }
    pcol__http_conn_log(conn, PCOL_HTTP_LOG_DEBUG, "%s timeout, closing",
                        kind == PCOL__HTTP_TIMER_LINGER ? "linger" : "idle");
    pcol__http_conn_close(conn);
}

void pcol__http_conn_set_timer(struct pcol__http_conn *conn, enum pcol__http_timer kind)
{
    const struct pcol_http_server_opts *o = &conn->srv->opts;
    uint64_t ms = o->idle_timeout_ms;

    /* A request keeps the deadline set by its first byte, however it trickles in. */
    if (conn->closing || (kind == PCOL__HTTP_TIMER_REQUEST && conn->timer_kind == kind)) {
        return;
    }
    conn->timer_kind = kind;
    if (kind == PCOL__HTTP_TIMER_NONE) {
        uv_timer_stop(&conn->timer);
        return;
    }
    if (kind == PCOL__HTTP_TIMER_REQUEST) {
        ms = o->request_timeout_ms;
    } else if (kind == PCOL__HTTP_TIMER_LINGER && ms > LINGER_MS) {
        ms = LINGER_MS;
    }
    uv_timer_start(&conn->timer, on_conn_timer, ms, 0);
}

/* ---- reading ---------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct pcol__http_conn *conn = PCOL_CONTAINER_OF(h, struct pcol__http_conn, tcp);

    PCOL_UNUSED(hint);
    if (conn->tls) {
        /* Shared: tls.c copies the ciphertext before the next read. */
        *buf = uv_buf_init(conn->srv->tls_rbuf, RBUF_SIZE);
        return;
    }
    *buf = uv_buf_init(conn->rbuf + conn->rlen, (unsigned)(RBUF_SIZE - conn->rlen));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Reads only while the back-end takes bytes, or while draining before close. */
static void conn_update_reading(struct pcol__http_conn *conn)
{
    bool want = conn->lingering || !conn->paused;
    int rc;

    /* uv_close() stops reading by itself. */
    if (conn->closing || want == conn->reading) {
        return;
    }
    if (!want) {
        uv_read_stop((uv_stream_t *)&conn->tcp);
        conn->reading = false;
        return;
    }
    rc = uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read);
    if (rc != 0) {
        pcol__http_conn_log(conn, PCOL_HTTP_LOG_DEBUG, "read: %s", uv_strerror(rc));
        pcol__http_conn_close(conn);
        return;
    }
    conn->reading = true;
}

/* Picks the back-end from the first bytes. False while undecided or closed. */
static bool conn_sniff(struct pcol__http_conn *conn)
{
    size_t n = conn->rlen < H2_PREFACE_LEN ? conn->rlen : H2_PREFACE_LEN;

    if (memcmp(conn->rbuf, h2_preface, n) != 0) {
        conn->proto = &pcol__http1_proto;
        conn->proto_st = conn->proto->create(conn);
        return true;
    }
    if (n == H2_PREFACE_LEN) {
        pcol__http_conn_set_proto(conn, &pcol__http2_proto);
        return true;
    }
    pcol__http_conn_set_timer(conn, PCOL__HTTP_TIMER_REQUEST);
    return false;
}

void pcol__http_conn_set_proto(struct pcol__http_conn *conn, const struct pcol__http_proto *proto)
{
    conn->proto = proto;
    conn->proto_st = proto->create(conn);
}

/* A TLS failure ends the connection after the alert has gone out. */
static void conn_tls_failed(struct pcol__http_conn *conn, const char *why)
{
    struct pcol_http_server *srv = conn->srv;

    /* Scanners and misconfigured clients must not flood the log. */
    pcol__http_conn_log(conn, srv->tls_warned ? PCOL_HTTP_LOG_DEBUG : PCOL_HTTP_LOG_WARN, "%s%s",
                        why, srv->tls_warned ? "" : " (further TLS failures: debug level)");
    srv->tls_warned = true;
    pcol__http_conn_finish(conn);
}

/* Decrypts into the read buffer while it has room; false when nothing came.
 * Pulling only as the back-end consumes keeps its pausing effective. */
static bool conn_tls_pull(struct pcol__http_conn *conn)
{
    struct pcol_err err = {{0}};
    size_t got = 0;
    int rc;

    if (!conn->tls || conn->rlen == RBUF_SIZE) {
        return false;
    }
    rc = pcol_tls_conn_read(conn->tls, conn->rbuf + conn->rlen, RBUF_SIZE - conn->rlen, &got, &err);
    if (rc == PCOL_ENOENT) {
        pcol__http_conn_close(conn); /* close_notify: the client's end of stream */
        return false;
    }
    if (rc != 0) {
        conn_tls_failed(conn, err.msg);
        return false;
    }
    conn->rlen += got;
    return got > 0;
}

static void conn_process(struct pcol__http_conn *conn)
{
    do {
        while (!conn->paused && !conn->closing && !conn->lingering && conn->roff < conn->rlen) {
            if (!conn->proto && !conn_sniff(conn)) {
                break;
            }
            conn->roff +=
                conn->proto->feed(conn->proto_st, conn->rbuf + conn->roff, conn->rlen - conn->roff);
        }
        if (conn->roff == conn->rlen || conn->lingering) {
            conn->roff = conn->rlen = 0;
        }
    } while (!conn->paused && !conn->closing && !conn->lingering && conn_tls_pull(conn));
    conn_update_reading(conn);
}

/* Ciphertext arrived: advance the handshake, then let the plaintext flow. */
static void conn_tls_received(struct pcol__http_conn *conn, size_t n)
{
    struct pcol_err err = {{0}};
    const char *alpn;

    if (pcol_tls_conn_feed(conn->tls, conn->srv->tls_rbuf, n, &err) != 0) {
        conn_tls_failed(conn, err.msg);
        return;
    }
    if (!conn->tls_ready) {
        if (!pcol_tls_conn_established(conn->tls)) {
            pcol__http_conn_set_timer(conn, PCOL__HTTP_TIMER_REQUEST); /* a handshake's deadline */
            return;
        }
        conn->tls_ready = true;
        pcol__http_conn_set_timer(conn, PCOL__HTTP_TIMER_IDLE);
        alpn = pcol_tls_conn_alpn(conn->tls);
        /* Without ALPN the plaintext is sniffed, as on a cleartext connection. */
        if (strcmp(alpn, "h2") == 0) {
            pcol__http_conn_set_proto(conn, &pcol__http2_proto);
        } else if (strcmp(alpn, "http/1.1") == 0) {
            pcol__http_conn_set_proto(conn, &pcol__http1_proto);
        }
    }
    conn_process(conn);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct pcol__http_conn *conn = PCOL_CONTAINER_OF(s, struct pcol__http_conn, tcp);

    PCOL_UNUSED(buf);
    if (nread < 0) {
        if (nread != UV_EOF) {
            pcol__http_conn_log(conn, PCOL_HTTP_LOG_DEBUG, "read: %s", uv_strerror((int)nread));
        }
        pcol__http_conn_close(conn);
        return;
    }
    if (conn->lingering) {
        return; /* draining: the bytes are dropped, rlen stays 0 */
    }
    if (conn->tls) {
        conn_tls_received(conn, (size_t)nread);
        return;
    }
    conn->rlen += (size_t)nread;
    conn_process(conn);
}

void pcol__http_conn_pause(struct pcol__http_conn *conn)
{
    conn->paused = true;
}

void pcol__http_conn_resume(struct pcol__http_conn *conn)
{
    conn->paused = false;
    conn_process(conn);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct pcol__http_conn *conn = PCOL_CONTAINER_OF(req, struct pcol__http_conn, shutdown);

    if (status < 0) {
        pcol__http_conn_close(conn);
    }
}

void pcol__http_conn_finish(struct pcol__http_conn *conn)
{
    if (conn->closing || conn->lingering) {
        return;
    }
    conn->lingering = true;
    conn->roff = conn->rlen = 0;
    if (conn->tls) {
        pcol_tls_conn_shutdown(conn->tls); /* close_notify, written before the FIN */
    }
    if (uv_shutdown(&conn->shutdown, (uv_stream_t *)&conn->tcp, on_shutdown) != 0) {
        pcol__http_conn_close(conn);
        return;
    }
    pcol__http_conn_set_timer(conn, PCOL__HTTP_TIMER_LINGER);
    conn_update_reading(conn);
}

/* ---- accepting -------------------------------------------------------- */

static void format_peer(struct pcol__http_conn *conn)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, ip, sizeof(ip));
            port = ntohs(a->sin6_port);
            snprintf(conn->remote, sizeof(conn->remote), "[%s]:%d", ip, port);
            return;
        }
        uv_ip4_name((const struct sockaddr_in *)&ss, ip, sizeof(ip));
        port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    }
    snprintf(conn->remote, sizeof(conn->remote), "%s:%d", ip, port);
}

static void on_rejected_closed(uv_handle_t *h)
{
    struct pcol_http_server *srv = h->data;

    free(h);
    srv->n_rejected--;
    server_maybe_done(srv);
}

/* Over max_connections: take the socket off the backlog and close it. */
static void reject_connection(struct pcol_http_server *srv)
{
    uv_tcp_t *t = pcol_xmalloc(sizeof(*t));

    uv_tcp_init(srv->loop, t);
    t->data = srv;
    srv->n_rejected++;
    uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)t);
    if (!srv->rejecting) {
        srv->rejecting = true;
        server_log(srv, PCOL_HTTP_LOG_WARN, "max_connections (%u) reached, closing new connections",
                   srv->opts.max_connections);
    }
    uv_close((uv_handle_t *)t, on_rejected_closed);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct pcol_http_server *srv = PCOL_CONTAINER_OF(listener, struct pcol_http_server, listener);
    struct pcol__http_conn *conn;
    int rc;

    if (status < 0) {
        server_log(srv, PCOL_HTTP_LOG_ERROR, "accept: %s", uv_strerror(status));
        return;
    }
    if (srv->n_open >= srv->opts.max_connections) {
        reject_connection(srv);
        return;
    }
    conn = pcol_xcalloc(1, sizeof(*conn));
    conn->srv = srv;
    conn->rbuf = pcol_xmalloc(RBUF_SIZE);
    uv_tcp_init(srv->loop, &conn->tcp);
    uv_timer_init(srv->loop, &conn->timer);
    conn->refs = 2;
    conn->next = srv->conns;
    if (srv->conns) {
        srv->conns->prev = conn;
    }
    srv->conns = conn;
    srv->n_open++;
    rc = uv_accept(listener, (uv_stream_t *)&conn->tcp);
    if (rc != 0) {
        snprintf(conn->remote, sizeof(conn->remote), "(not accepted)");
        server_log(srv, PCOL_HTTP_LOG_ERROR, "accept: %s", uv_strerror(rc));
        pcol__http_conn_close(conn);
        return;
    }
    format_peer(conn);
    if (srv->opts.tls) {
        conn->tls = pcol_tls_conn_create(srv->opts.tls, NULL, conn_tls_send, conn);
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    pcol__http_conn_set_timer(conn, PCOL__HTTP_TIMER_IDLE);
    conn_update_reading(conn);
}

/* ---- server ----------------------------------------------------------- */

struct pcol_http_server *pcol_http_server_create(uv_loop_t *loop,
                                                 const struct pcol_http_server_opts *opts)
{
    struct pcol_http_server *srv = pcol_xcalloc(1, sizeof(*srv));
    struct pcol_http_server_opts *o = &srv->opts;

    if (uv_tcp_init(loop, &srv->listener) != 0) {
        free(srv);
        return NULL;
    }
    if (opts) {
        *o = *opts;
    }
    o->max_header_bytes = o->max_header_bytes ? o->max_header_bytes : 16 * 1024;
    o->max_body_bytes = o->max_body_bytes ? o->max_body_bytes : 20 * 1024 * 1024;
    o->idle_timeout_ms = o->idle_timeout_ms ? o->idle_timeout_ms : 60 * 1000;
    o->request_timeout_ms = o->request_timeout_ms ? o->request_timeout_ms : 30 * 1000;
    o->max_connections = o->max_connections ? o->max_connections : 1024;
    if (o->tls) {
        pcol_tls_ctx_ref(o->tls);
        srv->tls_rbuf = pcol_xmalloc(RBUF_SIZE);
    }
    srv->loop = loop;
    srv->port = -1;
    return srv;
}

int pcol_http_server_listen(struct pcol_http_server *srv, const char *host, uint16_t port,
                            struct pcol_err *err)
{
    struct addrinfo hints = {0};
    uv_getaddrinfo_t gai;
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char service[8];
    int rc;

    if (srv->port >= 0 || srv->closing) {
        return pcol_err_set(err, PCOL_EINVAL, "http server: already listening or closed");
    }
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    host = host && *host ? host : NULL;
    /* No callback: libuv resolves synchronously, before any port is open. */
    rc = uv_getaddrinfo(srv->loop, &gai, NULL, host, service, &hints);
    if (rc != 0) {
        return pcol_err_set(err, PCOL_EIO, "cannot resolve listen host %s: %s",
                            host ? host : "(any)", uv_strerror(rc));
    }
    rc = uv_tcp_bind(&srv->listener, gai.addrinfo->ai_addr, 0);
    uv_freeaddrinfo(gai.addrinfo);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&srv->listener, LISTEN_BACKLOG, on_connection);
    }
    if (rc == 0) {
        rc = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&ss, &len);
    }
    if (rc != 0) {
        return pcol_err_set(err, PCOL_EIO, "cannot listen on %s:%u: %s", host ? host : "(any)",
                            (unsigned)port, uv_strerror(rc));
    }
    srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

int pcol_http_server_port(const struct pcol_http_server *srv)
{
    return srv->port >= 0 ? srv->port : PCOL_ENOENT;
}

static void server_maybe_done(struct pcol_http_server *srv)
{
    pcol_http_closed_cb done = srv->done;
    void *data = srv->done_data;
    size_t i;

    if (!srv->closing || !srv->listener_closed || srv->conns || srv->n_rejected) {
        return;
    }
    for (i = 0; i < srv->n_routes; i++) {
        free(srv->routes[i].method);
        free(srv->routes[i].path);
    }
    free(srv->routes);
    pcol_tls_ctx_unref(srv->opts.tls);
    free(srv->tls_rbuf);
    free(srv);
    if (done) {
        done(data);
    }
}

static void on_listener_closed(uv_handle_t *h)
{
    struct pcol_http_server *srv = PCOL_CONTAINER_OF(h, struct pcol_http_server, listener);

    srv->listener_closed = true;
    server_maybe_done(srv);
}

static bool conn_idle(const struct pcol__http_conn *conn)
{
    if (conn->lingering || conn->roff != conn->rlen) {
        return false;
    }
    return conn->proto ? conn->proto->idle(conn->proto_st) : conn->rlen == 0;
}

void pcol_http_server_close(struct pcol_http_server *srv, pcol_http_closed_cb done, void *data)
{
    struct pcol__http_conn *conn;

    srv->closing = true;
    srv->done = done;
    srv->done_data = data;
    uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
    /* HTTP/2 sends GOAWAY and closes when its streams are done; busy
     * HTTP/1.1 connections close themselves after their response. */
    for (conn = srv->conns; conn; conn = conn->next) {
        if (conn->closing) {
            continue;
        }
        if (conn->proto && conn->proto->shutdown && !conn->lingering) {
            conn->proto->shutdown(conn->proto_st);
        } else if (conn_idle(conn)) {
            pcol__http_conn_close(conn);
        }
    }
}

/* ---- routes ----------------------------------------------------------- */

int pcol_http_route(struct pcol_http_server *srv, const char *method, const char *path,
                    pcol_http_handler handler, void *data, size_t max_body_bytes)
{
    struct pcol__http_route *r;
    size_t i;

    if (!path || path[0] != '/' || !handler) {
        return PCOL_EINVAL;
    }
    for (i = 0; i < srv->n_routes; i++) {
        r = &srv->routes[i];
        if (strcmp(r->path, path) == 0 &&
            (r->method == method || (r->method && method && strcmp(r->method, method) == 0))) {
            return PCOL_EINVAL;
        }
    }
    srv->routes = pcol_xrealloc(srv->routes, (srv->n_routes + 1) * sizeof(*srv->routes));
    r = &srv->routes[srv->n_routes++];
    r->method = method ? pcol_xstrdup(method) : NULL;
    r->path = pcol_xstrdup(path);
    r->handler = handler;
    r->data = data;
    r->max_body = max_body_bytes ? max_body_bytes : srv->opts.max_body_bytes;
    return 0;
}

size_t pcol__http_route_lookup(struct pcol_http_request *req)
{
    struct pcol_http_server *srv = req->conn_->srv;
    size_t i;

    req->route_ = NULL;
    req->route_status_ = 404;
    for (i = 0; i < srv->n_routes; i++) {
        const struct pcol__http_route *r = &srv->routes[i];

        if (strcmp(r->path, req->path) != 0) {
            continue;
        }
        if (!r->method || strcmp(r->method, req->method) == 0) {
            req->route_ = r;
            req->route_status_ = 0;
            return r->max_body;
        }
        req->route_status_ = 405;
    }
    return srv->opts.max_body_bytes;
}

/* Appends the methods routed for the request's path, comma-separated. */
static void allowed_methods(const struct pcol_http_request *req, struct pcol_buf *out)
{
    const struct pcol_http_server *srv = req->conn_->srv;
    size_t i;

    for (i = 0; i < srv->n_routes; i++) {
        if (srv->routes[i].method && strcmp(srv->routes[i].path, req->path) == 0) {
            pcol_buf_printf(out, "%s%s", out->len ? ", " : "", srv->routes[i].method);
        }
    }
    pcol_buf_putc(out, '\0');
}

void pcol__http_dispatch(struct pcol_http_request *req)
{
    char msg[300];

    if (req->route_) {
        req->route_->handler(req, req->route_->data);
        return;
    }
    if (req->route_status_ == 405) {
        req->scratch_.len = 0;
        allowed_methods(req, &req->scratch_);
        pcol_http_response_header(req, "Allow", (const char *)req->scratch_.p);
        snprintf(msg, sizeof(msg), "method %s is not allowed for %.200s", req->method, req->path);
    } else {
        snprintf(msg, sizeof(msg), "no route for %.200s", req->path);
    }
    pcol_http_respond_error(req, req->route_status_, msg);
}

/* ---- requests and responses ------------------------------------------- */

const char *pcol_http_header(const struct pcol_http_request *req, const char *name)
{
    size_t i;

    for (i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            return req->headers[i].value;
        }
    }
    return NULL;
}

/* Decodes the byte of s[*i..end) and advances; -1 for a bad escape. */
static int query_next(const char *s, size_t end, size_t *i)
{
    int hi, lo;

    if (s[*i] == '+') {
        (*i)++;
        return ' ';
    }
    if (s[*i] != '%') {
        return (unsigned char)s[(*i)++];
    }
    if (end - *i < 3 || (hi = pcol_hex_value((unsigned char)s[*i + 1])) < 0 ||
        (lo = pcol_hex_value((unsigned char)s[*i + 2])) < 0) {
        return -1;
    }
    *i += 3;
    return hi * 16 + lo;
}

/* Whether the encoded s[i..end) decodes to exactly `name`. */
static bool query_name_is(const char *s, size_t i, size_t end, const char *name)
{
    int c;

    while (i < end) {
        c = query_next(s, end, &i);
        if (c < 0 || *name == '\0' || c != (unsigned char)*name++) {
            return false;
        }
    }
    return *name == '\0';
}

static int query_decode(const char *s, size_t i, size_t end, char *buf, size_t size)
{
    size_t n = 0;
    int c;

    while (i < end) {
        c = query_next(s, end, &i);
        if (c < 0) {
            return PCOL_EINVAL;
        }
        if (n + 1 >= size) {
            return PCOL_ERANGE;
        }
        buf[n++] = (char)c;
    }
    if (size == 0) {
        return PCOL_ERANGE;
    }
    buf[n] = '\0';
    return (int)n;
}

int pcol_http_query_get(const struct pcol_http_request *req, const char *name, char *buf,
                        size_t size)
{
    const char *q = req->query;
    size_t start = 0, amp, eq;

    while (q[start]) {
        amp = start + strcspn(q + start, "&");
        eq = start + strcspn(q + start, "=&");
        if (query_name_is(q, start, eq, name)) {
            return query_decode(q, eq < amp ? eq + 1 : amp, amp, buf, size);
        }
        start = q[amp] ? amp + 1 : amp;
    }
    return PCOL_ENOENT;
}

uint8_t *pcol_http_request_take_body(struct pcol_http_request *req, size_t *len)
{
    uint8_t *body = req->body;

    *len = req->body_len;
    req->body = NULL;
    req->body_len = 0;
    return body;
}

int pcol_http_response_header(struct pcol_http_request *req, const char *name, const char *value)
{
    if (!*name || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
        return PCOL_EINVAL;
    }
    pcol_buf_append(&req->resp_headers_, name, strlen(name) + 1);
    pcol_buf_append(&req->resp_headers_, value, strlen(value) + 1);
    return 0;
}

int pcol_http_response_trailer(struct pcol_http_request *req, const char *name, const char *value)
{
    if (req->protocol != PCOL_HTTP_2) {
        return PCOL_ENOTSUP;
    }
    if (!*name || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
        return PCOL_EINVAL;
    }
    pcol_buf_append(&req->resp_trailers_, name, strlen(name) + 1);
    pcol_buf_append(&req->resp_trailers_, value, strlen(value) + 1);
    return 0;
}

static int respond(struct pcol_http_request *req, int status, const char *content_type,
                   const void *body, size_t len, void (*free_fn)(void *))
{
    struct pcol__http_conn *conn = req->conn_;

    if (status < 200 || status > 599) {
        pcol__http_conn_log(conn, PCOL_HTTP_LOG_ERROR, "handler answered status %d; sending 500",
                            status);
        status = 500;
    }
    return conn->proto->respond(conn->proto_st, req, status, content_type, body, len, free_fn);
}

int pcol_http_respond(struct pcol_http_request *req, int status, const char *content_type,
                      const void *body, size_t len)
{
    return respond(req, status, content_type, body, len, NULL);
}

int pcol_http_respond_take(struct pcol_http_request *req, int status, const char *content_type,
                           void *body, size_t len, void (*free_fn)(void *))
{
    return respond(req, status, content_type, body, len, free_fn);
}

int pcol_http_respond_error(struct pcol_http_request *req, int status, const char *message)
{
    const char *ctype = NULL;

    req->scratch_.len = 0;
    pcol__http_error_body(req->conn_, status, message, &req->scratch_, &ctype);
    return respond(req, status, ctype, req->scratch_.p, req->scratch_.len, NULL);
}

void pcol__http_error_body(const struct pcol__http_conn *conn, int status, const char *message,
                           struct pcol_buf *body, const char **content_type)
{
    const struct pcol_http_server_opts *o = &conn->srv->opts;

    if (o->error_body) {
        o->error_body(o->error_body_data, status, message, body, content_type);
        return;
    }
    pcol_buf_printf(body, "%s\n", message);
    *content_type = "text/plain; charset=utf-8";
}

const char *pcol__http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}
