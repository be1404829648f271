/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_client.c: the outbound HTTP client (see http_client.h): origins with
 * connect backoff, connections (DNS, TCP connect with address fallback,
 * writes, timers, keep-alive PINGs), requests with their timeouts, and two
 * protocol engines: HTTP/1.1 responses parsed by llhttp, HTTP/2 on an
 * nghttp2 client session.
 *
 * Bytes pass through one pair of functions, conn_put() on the way out and
 * conn_rx() on the way in; on a TLS connection (tls.h, memory BIOs) they
 * encrypt and decrypt there, so the protocol engines never know. The
 * handshake starts once TCP connects; what the engines write before it
 * ends waits inside the TLS connection.
 *
 * Ownership: the client owns its origins (until it is freed), connections
 * and requests. A connection is freed once its handles have closed and its
 * DNS lookup has returned; the requests still attached to it are failed
 * then, from that close callback. A request is freed after its callback
 * ran and its timer closed. Everything lives on the loop thread.
 */
#include "http_client.h"

#include "log.h"
#include "tls.h"

#include <llhttp.h>
#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#define READ_BUF_SIZE (64 * 1024)
#define OUT_HIGH_WATER (256 * 1024) /* stop pulling HTTP/2 frames above this */
#define MAX_HEAD_BYTES (64 * 1024)  /* response headers + trailers of one request */
#define BACKOFF_FIRST_MS 1000.0
#define BACKOFF_MAX_MS 30000.0
#define BACKOFF_GROWTH 1.6
#define BACKOFF_JITTER 0.2

struct origin {
    struct origin *next;
    char *host;
    uint16_t port;
    bool h2;
    struct pcol_tls_ctx *tls; /* a reference; NULL: plain text */
    char *authority;          /* "host:port", "[v6]:port" */
    uint32_t failures;        /* connects failed in a row */
    uint64_t retry_at;        /* uv_now(): no new connection before this */
    char last_error[200];
};

enum conn_state {
    CONN_RESOLVING,
    CONN_CONNECTING,
    CONN_OPEN,
    CONN_CLOSING,
};

struct creq;

struct conn {
    struct pcol_http_client *c;
    struct origin *o;
    struct conn *prev, *next; /* the client's list */
    enum conn_state state;
    bool usable;      /* new requests may use it (not closing, no GOAWAY) */
    uv_timer_t timer; /* connect deadline, idle close, keep-alive PINGs */
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_getaddrinfo_t gai;
    uv_write_t wr;
    unsigned handles; /* open or closing handles */
    bool tcp_open, gai_pending, write_busy;
    struct addrinfo *ai, *ai_cur;
    struct pcol_buf out;  /* bytes waiting to be written */
    struct pcol_buf wbuf; /* bytes being written */
    char *rbuf;
    struct pcol_tls_conn *tls;
    char *pbuf;        /* plaintext decrypted from rbuf */
    bool tls_checked;  /* the established session's ALPN was checked */
    struct creq *reqs; /* attached requests: HTTP/1.1 at most one */
    uint32_t served;   /* responses completed on this connection */
    uint64_t connect_deadline, idle_since, last_read, ping_sent;
    bool ping_outstanding;
    bool quiet;    /* closed on purpose: do not log */
    char why[200]; /* why it closed, for the requests it fails */
    /* HTTP/1.1 */
    llhttp_t parser;
    size_t h1_mark;
    bool h1_done, h1_keep;
    /* HTTP/2 */
    nghttp2_session *ng;
    bool in_ng;  /* inside nghttp2's recv or send: no nested sending */
    bool repump; /* a pump was asked for meanwhile */
};

struct creq {
    struct pcol_http_client *c;
    struct origin *o;
    struct conn *conn;
    struct creq *next; /* the connection's list */
    pcol_http_client_cb cb;
    void *data;
    uv_timer_t timer;
    bool timer_open;
    bool is_head, got_bytes, retried, skip_block;
    uint64_t timeout_ms;
    struct pcol_buf head; /* HTTP/1.1: request head; HTTP/2: "name\0value\0"... */
    const uint8_t *body;
    size_t body_len, body_off;
    int32_t stream_id;
    int status;
    struct pcol_buf hdrs, trls, rbody; /* response: "name\0value\0"..., body */
    int fail_code;                     /* set by a parser callback that rejects the response */
    char fail_msg[120];
};

struct pcol_http_client {
    uv_loop_t *loop;
    struct pcol_http_client_opts opts;
    struct origin *origins;
    struct conn *conns;
    unsigned live; /* connections and requests not yet freed */
    bool closing;
    pcol_http_client_closed_cb done;
    void *done_data;
};

static void conn_fail(struct conn *conn, bool connect_failed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void conn_pump(struct conn *conn);
static void conn_arm(struct conn *conn);
static int h1_dispatch(struct creq *r, struct pcol_err *err);
static void h1_feed(struct conn *conn, const char *p, size_t n);
static void h2_feed(struct conn *conn, const uint8_t *p, size_t n);

static const char *who(const struct pcol_http_client *c)
{
    return c->opts.log_who ? c->opts.log_who : "http";
}

/* ---- client lifetime ---------------------------------------------------------- */

struct pcol_http_client *pcol_http_client_create(uv_loop_t *loop,
                                                 const struct pcol_http_client_opts *opts)
{
    struct pcol_http_client *c = pcol_xcalloc(1, sizeof(*c));

    c->loop = loop;
    if (opts) {
        c->opts = *opts;
    }
    if (!c->opts.connect_timeout_ms) {
        c->opts.connect_timeout_ms = 10000;
    }
    if (!c->opts.idle_timeout_ms) {
        c->opts.idle_timeout_ms = 90000;
    }
    if (!c->opts.ping_timeout_ms) {
        c->opts.ping_timeout_ms = 20000;
    }
    if (!c->opts.max_response_bytes) {
        c->opts.max_response_bytes = 4u << 20;
    }
    return c;
}

static void client_maybe_done(struct pcol_http_client *c)
{
    pcol_http_client_closed_cb done = c->done;
    void *data = c->done_data;
    struct origin *o;

    if (!c->closing || c->live) {
        return;
    }
    while ((o = c->origins) != NULL) {
        c->origins = o->next;
        free(o->host);
        free(o->authority);
        pcol_tls_ctx_unref(o->tls);
        free(o);
    }
    free(c);
    if (done) {
        done(data);
    }
}

void pcol_http_client_close(struct pcol_http_client *c, pcol_http_client_closed_cb done, void *data)
{
    struct conn *conn;

    c->closing = true;
    c->done = done;
    c->done_data = data;
    for (conn = c->conns; conn; conn = conn->next) {
        conn->quiet = true;
        conn_fail(conn, false, "the client is closing");
    }
    client_maybe_done(c);
}

/* ---- origins ------------------------------------------------------------------- */

static struct origin *origin_get(struct pcol_http_client *c, const struct pcol_http_client_req *req)
{
    const char *host = req->host;
    struct origin *o;
    struct pcol_buf auth = {0};

    for (o = c->origins; o; o = o->next) {
        if (o->port == req->port && o->h2 == req->h2 && o->tls == req->tls &&
            !strcmp(o->host, host)) {
            return o;
        }
    }
    o = pcol_xcalloc(1, sizeof(*o));
    o->host = pcol_xstrdup(host);
    o->port = req->port;
    o->h2 = req->h2;
    o->tls = req->tls ? pcol_tls_ctx_ref(req->tls) : NULL;
    pcol_buf_printf(&auth, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, req->port);
    pcol_buf_putc(&auth, '\0');
    o->authority = (char *)auth.p;
    o->next = c->origins;
    c->origins = o;
    return o;
}

/* Backoff after a failed connect: 1 s growing 1.6 times per failure up to
 * 30 s, spread by +-20% so many clients do not come back together. */
static void origin_failed(struct origin *o, uint64_t now, const char *why)
{
    double ms = BACKOFF_FIRST_MS;
    uint32_t i;

    for (i = 0; i < o->failures && ms < BACKOFF_MAX_MS; i++) {
        ms *= BACKOFF_GROWTH;
    }
    if (ms > BACKOFF_MAX_MS) {
        ms = BACKOFF_MAX_MS;
    }
    ms *= 1.0 - BACKOFF_JITTER + 2.0 * BACKOFF_JITTER * ((double)rand() / RAND_MAX);
    o->failures++;
    o->retry_at = now + (uint64_t)ms;
    snprintf(o->last_error, sizeof(o->last_error), "%s", why);
}

/* ---- requests ------------------------------------------------------------------ */

static void creq_closed(uv_handle_t *h)
{
    struct creq *r = PCOL_CONTAINER_OF((uv_timer_t *)h, struct creq, timer);
    struct pcol_http_client *c = r->c;

    free(r);
    c->live--;
    client_maybe_done(c);
}

static void creq_free(struct creq *r)
{
    struct pcol_http_client *c = r->c;

    pcol_buf_free(&r->head);
    pcol_buf_free(&r->hdrs);
    pcol_buf_free(&r->trls);
    pcol_buf_free(&r->rbody);
    if (r->timer_open) {
        uv_close((uv_handle_t *)&r->timer, creq_closed);
        return;
    }
    free(r);
    c->live--;
    client_maybe_done(c);
}

static void creq_detach(struct creq *r)
{
    struct conn *conn = r->conn;
    struct creq **pp;

    if (!conn) {
        return;
    }
    for (pp = &conn->reqs; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    r->next = NULL;
    r->conn = NULL;
    if (!conn->reqs) {
        conn->idle_since = uv_now(conn->c->loop);
    }
    conn_arm(conn);
}

static void creq_attach(struct creq *r, struct conn *conn)
{
    r->conn = conn;
    r->next = conn->reqs;
    conn->reqs = r;
    conn_arm(conn);
}

/* "name\0value\0"... as an array pointing into `b`. */
static struct pcol_http_header *pairs(const struct pcol_buf *b, size_t *n)
{
    struct pcol_http_header *v = NULL;
    size_t i = 0, cap = 0;

    *n = 0;
    while (i < b->len) {
        const char *name = (const char *)b->p + i;
        const char *value = name + strlen(name) + 1;

        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            v = pcol_xrealloc(v, cap * sizeof(*v));
        }
        v[*n].name = name;
        v[*n].value = value;
        (*n)++;
        i = (size_t)(value + strlen(value) + 1 - (const char *)b->p);
    }
    return v;
}

/* Ends a request: detaches it, runs its callback once, frees it. */
static void creq_complete(struct creq *r, int error, bool timed_out, const char *msg)
{
    struct pcol_http_client_resp resp = {0};
    struct pcol_http_header *h = NULL, *t = NULL;

    creq_detach(r);
    if (r->timer_open) {
        uv_timer_stop(&r->timer);
    }
    resp.error = error;
    resp.timed_out = timed_out;
    resp.error_msg = error ? msg : NULL;
    if (!error) {
        resp.status = r->status;
        resp.headers = h = pairs(&r->hdrs, &resp.n_headers);
        resp.trailers = t = pairs(&r->trls, &resp.n_trailers);
        resp.body = r->rbody.p;
        resp.body_len = r->rbody.len;
    }
    r->cb(r->data, &resp);
    free(h);
    free(t);
    creq_free(r);
}

static void creq_timed_out(uv_timer_t *t)
{
    struct creq *r = PCOL_CONTAINER_OF(t, struct creq, timer);
    struct conn *conn = r->conn;
    char msg[80];

    snprintf(msg, sizeof(msg), "no response within %llu ms", (unsigned long long)r->timeout_ms);
    if (conn && conn->ng) {
        nghttp2_submit_rst_stream(conn->ng, NGHTTP2_FLAG_NONE, r->stream_id, NGHTTP2_CANCEL);
        creq_complete(r, PCOL_EIO, true, msg);
        conn_pump(conn);
        return;
    }
    creq_complete(r, PCOL_EIO, true, msg);
    if (conn) {
        /* A late HTTP/1.1 response would belong to nobody. */
        conn->quiet = true;
        conn_fail(conn, false, "request timed out");
    }
}

static bool has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

static int check_request(const struct pcol_http_client_req *req, struct pcol_err *err)
{
    size_t i;

    if (!req->host || !*req->host || !req->method || !req->path || *req->path != '/') {
        return pcol_err_set(err, PCOL_EINVAL,
                            "request needs a host, a method and a path "
                            "starting with '/'");
    }
    if (has_crlf(req->host) || has_crlf(req->method) || has_crlf(req->path) ||
        strchr(req->path, ' ')) {
        return pcol_err_set(err, PCOL_EINVAL, "request line holds a space, CR or LF");
    }
    for (i = 0; i < req->n_headers; i++) {
        const struct pcol_http_header *h = &req->headers[i];
        if (!*h->name || has_crlf(h->name) || has_crlf(h->value) || strchr(h->name, ':')) {
            return pcol_err_set(err, PCOL_EINVAL,
                                "header \"%.40s\" has an invalid name or a "
                                "CR or LF in its value",
                                h->name);
        }
    }
    return 0;
}

static bool has_header(const struct pcol_http_client_req *req, const char *name)
{
    size_t i;

    for (i = 0; i < req->n_headers; i++) {
        if (!strcasecmp(req->headers[i].name, name)) {
            return true;
        }
    }
    return false;
}

static void put_pair(struct pcol_buf *b, const char *name, const char *value, bool lower)
{
    size_t start = b->len, i;

    pcol_buf_append(b, name, strlen(name) + 1);
    for (i = start; lower && b->p[i]; i++) {
        if (b->p[i] >= 'A' && b->p[i] <= 'Z') {
            b->p[i] += 'a' - 'A';
        }
    }
    pcol_buf_append(b, value, strlen(value) + 1);
}

static void build_head(struct creq *r, const struct pcol_http_client_req *req)
{
    static const char ua[] = "profcol/" PCOL_VERSION;
    struct pcol_buf *b = &r->head;
    size_t i;

    if (req->h2) {
        put_pair(b, ":method", req->method, false);
        put_pair(b, ":scheme", req->tls ? "https" : "http", false);
        put_pair(b, ":authority", r->o->authority, false);
        put_pair(b, ":path", req->path, false);
        for (i = 0; i < req->n_headers; i++) {
            put_pair(b, req->headers[i].name, req->headers[i].value, true);
        }
        if (!has_header(req, "user-agent")) {
            put_pair(b, "user-agent", ua, false);
        }
        return;
    }
    pcol_buf_printf(b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req->method, req->path, r->o->authority);
    for (i = 0; i < req->n_headers; i++) {
        pcol_buf_printf(b, "%s: %s\r\n", req->headers[i].name, req->headers[i].value);
    }
    if (!has_header(req, "user-agent")) {
        pcol_buf_printf(b, "User-Agent: %s\r\n", ua);
    }
    if (req->body_len || strcmp(req->method, "GET")) {
        pcol_buf_printf(b, "Content-Length: %zu\r\n", req->body_len);
    }
    pcol_buf_puts(b, "\r\n");
}

static struct creq *creq_new(struct pcol_http_client *c, const struct pcol_http_client_req *req,
                             pcol_http_client_cb cb, void *data)
{
    struct creq *r = pcol_xcalloc(1, sizeof(*r));

    r->c = c;
    r->o = origin_get(c, req);
    r->cb = cb;
    r->data = data;
    r->body = req->body;
    r->body_len = req->body_len;
    r->timeout_ms = req->timeout_ms;
    r->is_head = !strcmp(req->method, "HEAD");
    build_head(r, req);
    c->live++;
    return r;
}

/* ---- connections: lifetime ----------------------------------------------------- */

static void conn_free(struct conn *conn)
{
    struct pcol_http_client *c = conn->c;
    struct creq *r;

    while ((r = conn->reqs) != NULL) {
        bool stale =
            !c->closing && !conn->o->h2 && conn->served > 0 && !r->got_bytes && !r->retried;
        struct pcol_err err = {{0}};

        creq_detach(r);
        /* A reused keep-alive connection the server had just closed: the
         * request never reached it, so one fresh connection may carry it. */
        if (stale) {
            r->retried = true;
            if (h1_dispatch(r, &err) == 0) {
                continue;
            }
            creq_complete(r, PCOL_EIO, false, err.msg);
            continue;
        }
        creq_complete(r, PCOL_EIO, false, conn->why);
    }
    if (conn->ai) {
        uv_freeaddrinfo(conn->ai);
    }
    if (conn->ng) {
        nghttp2_session_del(conn->ng);
    }
    pcol_tls_conn_destroy(conn->tls);
    pcol_buf_free(&conn->out);
    pcol_buf_free(&conn->wbuf);
    free(conn->rbuf);
    free(conn->pbuf);
    if (conn->prev) {
        conn->prev->next = conn->next;
    } else {
        c->conns = conn->next;
    }
    if (conn->next) {
        conn->next->prev = conn->prev;
    }
    free(conn);
    c->live--;
    client_maybe_done(c);
}

static void conn_maybe_free(struct conn *conn)
{
    if (conn->state == CONN_CLOSING && conn->handles == 0 && !conn->gai_pending) {
        conn_free(conn);
    }
}

static void conn_handle_closed(uv_handle_t *h)
{
    struct conn *conn = h->data;

    conn->handles--;
    conn_maybe_free(conn);
}

/* Closes the connection; the requests on it fail with the reason once its
 * handles are closed. `connect_failed` makes the origin back off. */
static void conn_fail(struct conn *conn, bool connect_failed, const char *fmt, ...)
{
    va_list ap;

    if (conn->state == CONN_CLOSING) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(conn->why, sizeof(conn->why), fmt, ap);
    va_end(ap);
    if (!conn->quiet) {
        pcol_logf(PCOL_LOG_DEBUG, who(conn->c), "%s: %s", conn->o->authority, conn->why);
    }
    if (connect_failed) {
        origin_failed(conn->o, uv_now(conn->c->loop), conn->why);
    }
    conn->state = CONN_CLOSING;
    conn->usable = false;
    uv_close((uv_handle_t *)&conn->timer, conn_handle_closed);
    if (conn->tcp_open) {
        conn->tcp_open = false;
        uv_close((uv_handle_t *)&conn->tcp, conn_handle_closed);
    }
    if (conn->gai_pending) {
        uv_cancel((uv_req_t *)&conn->gai);
    }
}

static void conn_close_quietly(struct conn *conn, const char *why)
{
    conn->quiet = true;
    conn_fail(conn, false, "%s", why);
}

/* ---- connections: timers --------------------------------------------------------- */

static bool conn_pings(const struct conn *conn)
{
    const struct pcol_http_client_opts *o = &conn->c->opts;

    return conn->ng && o->ping_interval_ms && (conn->reqs || o->ping_without_streams);
}

static void conn_tick(uv_timer_t *t)
{
    struct conn *conn = PCOL_CONTAINER_OF(t, struct conn, timer);
    const struct pcol_http_client_opts *o = &conn->c->opts;
    uint64_t now = uv_now(conn->c->loop);

    if (conn->state != CONN_OPEN) {
        conn_fail(conn, true, "connecting timed out after %llu ms",
                  (unsigned long long)o->connect_timeout_ms);
        return;
    }
    if (!conn->reqs && now - conn->idle_since >= o->idle_timeout_ms) {
        conn_close_quietly(conn, "idle");
        return;
    }
    if (conn_pings(conn)) {
        if (conn->ping_outstanding && now - conn->ping_sent >= o->ping_timeout_ms) {
            conn_fail(conn, false, "keep-alive PING not answered within %llu ms",
                      (unsigned long long)o->ping_timeout_ms);
            return;
        }
        if (!conn->ping_outstanding && now - conn->last_read >= o->ping_interval_ms) {
            nghttp2_submit_ping(conn->ng, NGHTTP2_FLAG_NONE, NULL);
            conn->ping_outstanding = true;
            conn->ping_sent = now;
            conn_pump(conn);
        }
    }
    conn_arm(conn);
}

/* Starts the timer for whichever deadline comes first. */
static void conn_arm(struct conn *conn)
{
    const struct pcol_http_client_opts *o = &conn->c->opts;
    uint64_t now = uv_now(conn->c->loop), due = UINT64_MAX;

    if (conn->state == CONN_CLOSING) {
        return;
    }
    if (conn->state != CONN_OPEN) {
        due = conn->connect_deadline;
    } else {
        if (!conn->reqs) {
            due = conn->idle_since + o->idle_timeout_ms;
        }
        if (conn_pings(conn)) {
            uint64_t ping = conn->ping_outstanding ? conn->ping_sent + o->ping_timeout_ms
                                                   : conn->last_read + o->ping_interval_ms;
            due = ping < due ? ping : due;
        }
    }
    if (due == UINT64_MAX) {
        uv_timer_stop(&conn->timer);
        return;
    }
    uv_timer_start(&conn->timer, conn_tick, due > now ? due - now : 0, 0);
}

/* ---- connections: bytes out and in -------------------------------------------------- */

/* TLS hands over each ciphertext block it makes. */
static void conn_tls_send(void *data, uint8_t *p, size_t len)
{
    struct conn *conn = data;

    pcol_buf_append(&conn->out, p, len);
    free(p);
}

/* The one way bytes go out: encrypted first on a TLS connection (which
 * holds them until its handshake is done). */
static void conn_put(struct conn *conn, const void *p, size_t n)
{
    struct pcol_err err = {{0}};

    if (!conn->tls) {
        pcol_buf_append(&conn->out, p, n);
    } else if (conn->state != CONN_CLOSING && pcol_tls_conn_write(conn->tls, p, n, &err) != 0) {
        conn_fail(conn, false, "%s", err.msg);
    }
}

static void conn_written(uv_write_t *wr, int status)
{
    struct conn *conn = PCOL_CONTAINER_OF(wr, struct conn, wr);

    conn->write_busy = false;
    conn->wbuf.len = 0;
    if (conn->state == CONN_CLOSING) {
        return;
    }
    if (status < 0) {
        conn_fail(conn, false, "write failed: %s", uv_strerror(status));
        return;
    }
    conn_pump(conn);
}

/* One write in flight; what is queued meanwhile goes with the next. */
static void conn_flush(struct conn *conn)
{
    struct pcol_buf tmp;
    uv_buf_t b;
    int rc;

    if (conn->write_busy || !conn->out.len || conn->state != CONN_OPEN) {
        return;
    }
    tmp = conn->wbuf;
    conn->wbuf = conn->out;
    conn->out = tmp;
    b = uv_buf_init((char *)conn->wbuf.p, (unsigned)conn->wbuf.len);
    conn->write_busy = true;
    rc = uv_write(&conn->wr, (uv_stream_t *)&conn->tcp, &b, 1, conn_written);
    if (rc != 0) {
        conn->write_busy = false;
        conn_fail(conn, false, "write failed: %s", uv_strerror(rc));
    }
}

/* Frames nghttp2 has to send, while the output is not too far ahead.
 * Callbacks it runs may complete requests whose callbacks start others:
 * those pumps only ask for another round. */
static void h2_pull(struct conn *conn)
{
    const uint8_t *data;
    ssize_t n;

    conn->in_ng = true;
    while (conn->state == CONN_OPEN && conn->out.len < OUT_HIGH_WATER) {
        n = nghttp2_session_mem_send(conn->ng, &data);
        if (n <= 0) {
            if (n < 0) {
                conn_fail(conn, false, "HTTP/2: %s", nghttp2_strerror((int)n));
            }
            break;
        }
        conn_put(conn, data, (size_t)n);
    }
    conn->in_ng = false;
}

/* Pulls what the protocol engine has to send and writes it. */
static void conn_pump(struct conn *conn)
{
    if (conn->state != CONN_OPEN) {
        return;
    }
    if (conn->in_ng) {
        conn->repump = true;
        return;
    }
    do {
        conn->repump = false;
        if (conn->ng) {
            h2_pull(conn);
        }
        conn_flush(conn);
    } while (conn->repump && conn->state == CONN_OPEN);
    if (conn->ng && conn->state == CONN_OPEN && !conn->write_busy && !conn->out.len &&
        !nghttp2_session_want_read(conn->ng) && !nghttp2_session_want_write(conn->ng)) {
        conn_fail(conn, false, "the server ended the HTTP/2 session");
    }
}

static void conn_proto_rx(struct conn *conn, const char *p, size_t n)
{
    if (conn->ng) {
        h2_feed(conn, (const uint8_t *)p, n);
    } else {
        h1_feed(conn, p, n);
    }
}

static void h1_eof(struct conn *conn);

/* The server ended the byte stream (FIN, or TLS close_notify). */
static void conn_eof(struct conn *conn)
{
    if (!conn->ng) {
        h1_eof(conn);
    }
    if (conn->reqs) {
        conn_fail(conn, false, "the server closed the connection before answering");
    } else {
        conn_close_quietly(conn, "closed by the server");
    }
}

/* gRPC needs HTTP/2: a TLS server that picked another protocol cannot
 * serve it (one that picked none is given the benefit of the doubt). */
static bool tls_alpn_ok(struct conn *conn)
{
    const char *alpn = pcol_tls_conn_alpn(conn->tls);

    conn->tls_checked = true;
    if (conn->o->h2 && *alpn && strcmp(alpn, "h2") != 0) {
        conn_fail(conn, true, "the TLS server chose %s, not HTTP/2 (h2)", alpn);
        return false;
    }
    return true;
}

static void conn_tls_rx(struct conn *conn, const char *p, size_t n)
{
    struct pcol_err err = {{0}};
    size_t got;
    int rc;

    if (pcol_tls_conn_feed(conn->tls, p, n, &err) != 0) {
        conn_fail(conn, !conn->tls_checked, "%s", err.msg);
        return;
    }
    if (!conn->pbuf) {
        conn->pbuf = pcol_xmalloc(READ_BUF_SIZE);
    }
    while (conn->state != CONN_CLOSING) {
        if (!conn->tls_checked && pcol_tls_conn_established(conn->tls) && !tls_alpn_ok(conn)) {
            return;
        }
        rc = pcol_tls_conn_read(conn->tls, conn->pbuf, READ_BUF_SIZE, &got, &err);
        if (rc == PCOL_ENOENT) {
            conn_eof(conn);
            return;
        }
        if (rc != 0) {
            conn_fail(conn, !conn->tls_checked, "%s", err.msg);
            return;
        }
        if (got == 0) {
            break;
        }
        conn_proto_rx(conn, conn->pbuf, got);
    }
    conn_flush(conn);
}

/* The one way bytes come in: decrypted first on a TLS connection. */
static void conn_rx(struct conn *conn, const char *p, size_t n)
{
    if (conn->tls) {
        conn_tls_rx(conn, p, n);
    } else {
        conn_proto_rx(conn, p, n);
    }
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct conn *conn = h->data;

    PCOL_UNUSED(hint);
    if (!conn->rbuf) {
        conn->rbuf = pcol_xmalloc(READ_BUF_SIZE);
    }
    *buf = uv_buf_init(conn->rbuf, READ_BUF_SIZE);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *conn = s->data;

    if (conn->state == CONN_CLOSING) {
        return;
    }
    if (nread == UV_EOF) {
        conn_eof(conn);
        return;
    }
    if (nread < 0) {
        conn_fail(conn, false, "read failed: %s", uv_strerror((int)nread));
        return;
    }
    conn->last_read = uv_now(conn->c->loop);
    conn_rx(conn, buf->base, (size_t)nread);
    if (conn->c->opts.ping_interval_ms) {
        conn_arm(conn);
    }
}

/* ---- connections: DNS and connect ----------------------------------------------- */

static void conn_connected(uv_connect_t *req, int status);

static void conn_try(struct conn *conn, const struct sockaddr *sa)
{
    int rc;

    uv_tcp_init(conn->c->loop, &conn->tcp);
    conn->tcp.data = conn;
    conn->handles++;
    conn->tcp_open = true;
    conn->state = CONN_CONNECTING;
    rc = uv_tcp_connect(&conn->connect_req, &conn->tcp, sa, conn_connected);
    if (rc != 0) {
        conn_fail(conn, true, "cannot connect: %s", uv_strerror(rc));
    }
}

static const struct addrinfo *next_tcp_addr(const struct addrinfo *ai)
{
    while (ai && ai->ai_family != AF_INET && ai->ai_family != AF_INET6) {
        ai = ai->ai_next;
    }
    return ai;
}

/* The socket of a failed attempt is closed; try the next address. */
static void conn_retry_closed(uv_handle_t *h)
{
    struct conn *conn = h->data;

    conn->handles--;
    if (conn->state == CONN_CLOSING) {
        conn_maybe_free(conn);
        return;
    }
    conn_try(conn, conn->ai_cur->ai_addr);
}

static void conn_opened(struct conn *conn)
{
    uint64_t now = uv_now(conn->c->loop);
    struct pcol_err err = {{0}};

    conn->state = CONN_OPEN;
    conn->o->failures = 0;
    conn->last_read = conn->idle_since = now;
    uv_tcp_nodelay(&conn->tcp, 1);
    uv_read_start((uv_stream_t *)&conn->tcp, conn_alloc, conn_read);
    if (conn->tls && pcol_tls_conn_handshake(conn->tls, &err) != 0) {
        conn_fail(conn, true, "%s", err.msg);
        return;
    }
    conn_arm(conn);
    conn_pump(conn);
}

static void conn_connected(uv_connect_t *req, int status)
{
    struct conn *conn = PCOL_CONTAINER_OF(req, struct conn, connect_req);
    const struct addrinfo *next;

    if (conn->state == CONN_CLOSING) {
        return;
    }
    if (status == 0) {
        conn_opened(conn);
        return;
    }
    next = conn->ai_cur ? next_tcp_addr(conn->ai_cur->ai_next) : NULL;
    if (!next) {
        conn_fail(conn, true, "cannot connect: %s", uv_strerror(status));
        return;
    }
    conn->ai_cur = (struct addrinfo *)next;
    conn->tcp_open = false;
    conn->state = CONN_RESOLVING;
    uv_close((uv_handle_t *)&conn->tcp, conn_retry_closed);
}

static void conn_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct conn *conn = PCOL_CONTAINER_OF(req, struct conn, gai);
    const struct addrinfo *first;

    conn->gai_pending = false;
    conn->ai = res;
    if (conn->state == CONN_CLOSING) {
        conn_maybe_free(conn);
        return;
    }
    first = status == 0 ? next_tcp_addr(res) : NULL;
    if (!first) {
        conn_fail(conn, true, "cannot resolve %s: %s", conn->o->host,
                  status ? uv_strerror(status) : "no IPv4 or IPv6 address");
        return;
    }
    conn->ai_cur = (struct addrinfo *)first;
    conn_try(conn, first->ai_addr);
}

/* IP literals connect at once; names are resolved on the thread pool. */
static int conn_start(struct conn *conn, struct pcol_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct sockaddr_storage ss;
    char port[8];
    int rc;

    if (uv_ip4_addr(conn->o->host, conn->o->port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(conn->o->host, conn->o->port, (struct sockaddr_in6 *)&ss) == 0) {
        conn_try(conn, (const struct sockaddr *)&ss);
        return 0;
    }
    snprintf(port, sizeof(port), "%u", conn->o->port);
    rc = uv_getaddrinfo(conn->c->loop, &conn->gai, conn_resolved, conn->o->host, port, &hints);
    if (rc != 0) {
        return pcol_err_set(err, PCOL_EIO, "cannot resolve %s: %s", conn->o->host, uv_strerror(rc));
    }
    conn->gai_pending = true;
    return 0;
}

static void h2_session_new(struct conn *conn);

static struct conn *conn_new(struct pcol_http_client *c, struct origin *o)
{
    struct conn *conn = pcol_xcalloc(1, sizeof(*conn));

    conn->c = c;
    conn->o = o;
    conn->usable = true;
    conn->state = CONN_RESOLVING;
    conn->connect_deadline = uv_now(c->loop) + c->opts.connect_timeout_ms;
    uv_timer_init(c->loop, &conn->timer);
    conn->timer.data = conn;
    conn->handles = 1;
    conn->next = c->conns;
    if (c->conns) {
        c->conns->prev = conn;
    }
    c->conns = conn;
    c->live++;
    if (o->tls) {
        conn->tls = pcol_tls_conn_create(o->tls, o->host, conn_tls_send, conn);
    }
    if (o->h2) {
        h2_session_new(conn);
    }
    conn_arm(conn);
    return conn;
}

/* A new connection to `o`, unless the origin is backing off. */
static int conn_open(struct pcol_http_client *c, struct origin *o, struct conn **out,
                     struct pcol_err *err)
{
    uint64_t now = uv_now(c->loop);
    struct conn *conn;
    int rc;

    if (now < o->retry_at) {
        return pcol_err_set(err, PCOL_EIO, "%s: %s (next attempt in %llu ms)", o->authority,
                            o->last_error, (unsigned long long)(o->retry_at - now));
    }
    conn = conn_new(c, o);
    rc = conn_start(conn, err);
    if (rc != 0) {
        conn_close_quietly(conn, "could not start");
        return rc;
    }
    *out = conn;
    return 0;
}

/* A connection a new request may use: HTTP/2 any usable one, HTTP/1.1 an
 * open one with no request. */
static struct conn *conn_find(struct pcol_http_client *c, const struct origin *o)
{
    struct conn *conn;

    for (conn = c->conns; conn; conn = conn->next) {
        if (conn->o == o && conn->usable && (o->h2 || (conn->state == CONN_OPEN && !conn->reqs))) {
            return conn;
        }
    }
    return NULL;
}

/* ---- HTTP/1.1 ---------------------------------------------------------------------- */

static struct conn *h1_conn(llhttp_t *p)
{
    return PCOL_CONTAINER_OF(p, struct conn, parser);
}

static int h1_reject(struct creq *r, int code, const char *msg)
{
    r->fail_code = code;
    snprintf(r->fail_msg, sizeof(r->fail_msg), "%s", msg);
    return -1;
}

static int h1_on_span(llhttp_t *p, const char *at, size_t len)
{
    struct creq *r = h1_conn(p)->reqs;

    if (r->hdrs.len + len > MAX_HEAD_BYTES) {
        return h1_reject(r, PCOL_ERANGE, "response headers are over 64 KiB");
    }
    pcol_buf_append(&r->hdrs, at, len);
    return 0;
}

static int h1_on_field_complete(llhttp_t *p)
{
    struct conn *conn = h1_conn(p);
    struct creq *r = conn->reqs;
    size_t i;

    for (i = conn->h1_mark; i < r->hdrs.len; i++) {
        if (r->hdrs.p[i] >= 'A' && r->hdrs.p[i] <= 'Z') {
            r->hdrs.p[i] += 'a' - 'A';
        }
    }
    pcol_buf_putc(&r->hdrs, '\0');
    conn->h1_mark = r->hdrs.len;
    return 0;
}

static int h1_on_value_complete(llhttp_t *p)
{
    struct conn *conn = h1_conn(p);
    struct creq *r = conn->reqs;

    while (r->hdrs.len > conn->h1_mark &&
           (r->hdrs.p[r->hdrs.len - 1] == ' ' || r->hdrs.p[r->hdrs.len - 1] == '\t')) {
        r->hdrs.len--;
    }
    pcol_buf_putc(&r->hdrs, '\0');
    conn->h1_mark = r->hdrs.len;
    return 0;
}

static int h1_on_headers_complete(llhttp_t *p)
{
    struct creq *r = h1_conn(p)->reqs;

    r->status = p->status_code;
    /* 1 tells llhttp the response has no body. */
    return r->is_head ? 1 : 0;
}

static int h1_on_body(llhttp_t *p, const char *at, size_t len)
{
    struct conn *conn = h1_conn(p);
    struct creq *r = conn->reqs;

    if (len > conn->c->opts.max_response_bytes - r->rbody.len) {
        return h1_reject(r, PCOL_ERANGE, "response body is over the client's limit");
    }
    pcol_buf_append(&r->rbody, at, len);
    return 0;
}

static int h1_on_message_complete(llhttp_t *p)
{
    struct conn *conn = h1_conn(p);

    conn->h1_done = true;
    conn->h1_keep = llhttp_should_keep_alive(p);
    return HPE_PAUSED;
}

static const llhttp_settings_t h1_settings = {
    .on_header_field = h1_on_span,
    .on_header_value = h1_on_span,
    .on_header_field_complete = h1_on_field_complete,
    .on_header_value_complete = h1_on_value_complete,
    .on_headers_complete = h1_on_headers_complete,
    .on_body = h1_on_body,
    .on_message_complete = h1_on_message_complete,
};

/* A response ended: informational ones are skipped, a final one completes
 * the request and frees the connection for the next (or closes it). */
static void h1_message_done(struct conn *conn, const char *rest, size_t n)
{
    struct creq *r = conn->reqs;

    conn->h1_done = false;
    llhttp_resume(&conn->parser);
    if (r->status < 200) {
        r->status = 0;
        r->hdrs.len = conn->h1_mark = 0;
        if (n) {
            h1_feed(conn, rest, n);
        }
        return;
    }
    conn->served++;
    creq_detach(r);
    if (!conn->h1_keep || n) {
        conn_close_quietly(conn, "response without keep-alive");
    }
    creq_complete(r, 0, false, NULL);
}

static void h1_feed(struct conn *conn, const char *p, size_t n)
{
    struct creq *r = conn->reqs;
    llhttp_errno_t e;
    size_t used;

    if (!r) {
        conn_fail(conn, false, "the server sent bytes while no request was open");
        return;
    }
    r->got_bytes = true;
    e = llhttp_execute(&conn->parser, p, n);
    if (conn->h1_done) {
        used = (size_t)(llhttp_get_error_pos(&conn->parser) - p);
        h1_message_done(conn, p + used, n - used);
        return;
    }
    if (e == HPE_OK) {
        return;
    }
    if (r->fail_code) {
        creq_complete(r, r->fail_code, false, r->fail_msg);
        conn_close_quietly(conn, "response rejected");
        return;
    }
    conn_fail(conn, false, "malformed response (%s): %s", llhttp_errno_name(e),
              llhttp_get_error_reason(&conn->parser));
}

/* A response delimited by the end of the connection ends here. */
static void h1_eof(struct conn *conn)
{
    if (conn->reqs && conn->reqs->got_bytes) {
        llhttp_finish(&conn->parser);
        if (conn->h1_done) {
            conn->h1_keep = false;
            h1_message_done(conn, NULL, 0);
        }
    }
}

static void h1_attach(struct conn *conn, struct creq *r)
{
    conn->h1_mark = 0;
    llhttp_init(&conn->parser, HTTP_RESPONSE, &h1_settings);
    creq_attach(r, conn);
    conn_put(conn, r->head.p, r->head.len);
    conn_put(conn, r->body, r->body_len);
    conn_flush(conn);
}

static int h1_dispatch(struct creq *r, struct pcol_err *err)
{
    struct conn *conn = conn_find(r->c, r->o);
    int rc;

    if (!conn && (rc = conn_open(r->c, r->o, &conn, err)) != 0) {
        return rc;
    }
    h1_attach(conn, r);
    return 0;
}

/* ---- HTTP/2 ------------------------------------------------------------------------ */

static struct creq *h2_stream(struct conn *conn, int32_t id)
{
    struct creq *r;

    for (r = conn->reqs; r; r = r->next) {
        if (r->stream_id == id) {
            return r;
        }
    }
    return NULL;
}

static int h2_on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                        size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                        void *user)
{
    struct creq *r = h2_stream(user, frame->hd.stream_id);
    struct pcol_buf *b;

    PCOL_UNUSED(s);
    PCOL_UNUSED(flags);
    if (!r || frame->hd.type != NGHTTP2_HEADERS) {
        return 0;
    }
    if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE && namelen == 7 &&
        !memcmp(name, ":status", 7)) {
        r->status = (int)strtol((const char *)value, NULL, 10);
        r->skip_block = r->status < 200;
        return 0;
    }
    if (r->skip_block || name[0] == ':') {
        return 0;
    }
    if (r->hdrs.len + r->trls.len + namelen + valuelen + 2 > MAX_HEAD_BYTES) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    /* nghttp2 guarantees NUL-terminated name and value without NULs inside. */
    b = frame->headers.cat == NGHTTP2_HCAT_HEADERS ? &r->trls : &r->hdrs;
    pcol_buf_append(b, name, namelen + 1);
    pcol_buf_append(b, value, valuelen + 1);
    return 0;
}

static int h2_on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                      size_t len, void *user)
{
    struct conn *conn = user;
    struct creq *r = h2_stream(conn, id);

    PCOL_UNUSED(flags);
    if (!r) {
        return 0;
    }
    if (len > conn->c->opts.max_response_bytes - r->rbody.len) {
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        creq_complete(r, PCOL_ERANGE, false, "response body is over the client's limit");
        return 0;
    }
    pcol_buf_append(&r->rbody, data, len);
    return 0;
}

static int h2_on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
    struct creq *r = h2_stream(user, id);
    char msg[120];

    PCOL_UNUSED(s);
    if (!r) {
        return 0;
    }
    if (code == NGHTTP2_NO_ERROR && r->status >= 200) {
        creq_complete(r, 0, false, NULL);
        return 0;
    }
    snprintf(msg, sizeof(msg), "the server reset the stream (%s)", nghttp2_http2_strerror(code));
    creq_complete(r, PCOL_EIO, false, msg);
    return 0;
}

static int h2_on_frame(nghttp2_session *s, const nghttp2_frame *frame, void *user)
{
    struct conn *conn = user;

    PCOL_UNUSED(s);
    if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK)) {
        conn->ping_outstanding = false;
    } else if (frame->hd.type == NGHTTP2_GOAWAY) {
        /* Streams it did not take are reset by nghttp2 (REFUSED_STREAM). */
        conn->usable = false;
    }
    return 0;
}

/* Request bodies are read from the borrowed buffer; a request that ended
 * (timeout) while its body was being sent resets the stream. */
static ssize_t h2_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
                            uint32_t *flags, nghttp2_data_source *src, void *user)
{
    struct creq *r = h2_stream(user, id);
    size_t n;

    PCOL_UNUSED(s);
    PCOL_UNUSED(src);
    if (!r) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    n = r->body_len - r->body_off < len ? r->body_len - r->body_off : len;
    memcpy(buf, r->body + r->body_off, n);
    r->body_off += n;
    if (r->body_off == r->body_len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return (ssize_t)n;
}

static void h2_session_new(struct conn *conn)
{
    static const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    };
    nghttp2_session_callbacks *cbs;

    if (nghttp2_session_callbacks_new(&cbs) != 0) {
        pcol_fatal("out of memory");
    }
    nghttp2_session_callbacks_set_on_header_callback(cbs, h2_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, h2_on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, h2_on_stream_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, h2_on_frame);
    if (nghttp2_session_client_new(&conn->ng, cbs, conn) != 0) {
        pcol_fatal("out of memory");
    }
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(conn->ng, NGHTTP2_FLAG_NONE, settings, PCOL_ARRAY_SIZE(settings));
}

static void h2_feed(struct conn *conn, const uint8_t *p, size_t n)
{
    ssize_t rv;

    conn->in_ng = true;
    rv = nghttp2_session_mem_recv(conn->ng, p, n);
    conn->in_ng = false;
    if (conn->state == CONN_CLOSING) {
        return;
    }
    if (rv < 0) {
        conn_fail(conn, false, "HTTP/2: %s", nghttp2_strerror((int)rv));
        return;
    }
    conn_pump(conn);
}

static int h2_submit(struct conn *conn, struct creq *r, struct pcol_err *err)
{
    nghttp2_nv nva[64];
    nghttp2_data_provider body = {.read_callback = h2_read_body};
    size_t i = 0, n = 0;
    int32_t id;

    while (i < r->head.len && n < PCOL_ARRAY_SIZE(nva)) {
        nghttp2_nv *nv = &nva[n++];
        nv->name = r->head.p + i;
        nv->namelen = strlen((const char *)nv->name);
        nv->value = nv->name + nv->namelen + 1;
        nv->valuelen = strlen((const char *)nv->value);
        nv->flags = NGHTTP2_NV_FLAG_NONE;
        i += nv->namelen + nv->valuelen + 2;
    }
    if (i < r->head.len) {
        return pcol_err_set(err, PCOL_EINVAL, "more than %zu headers", PCOL_ARRAY_SIZE(nva));
    }
    id = nghttp2_submit_request(conn->ng, NULL, nva, n, r->body_len ? &body : NULL, NULL);
    if (id < 0) {
        return pcol_err_set(err, PCOL_EINVAL, "cannot send the request: %s", nghttp2_strerror(id));
    }
    r->stream_id = id;
    creq_attach(r, conn);
    conn_pump(conn);
    return 0;
}

static int h2_dispatch(struct creq *r, struct pcol_err *err)
{
    struct conn *conn = conn_find(r->c, r->o);
    int rc;

    if (!conn && (rc = conn_open(r->c, r->o, &conn, err)) != 0) {
        return rc;
    }
    return h2_submit(conn, r, err);
}

/* ---- the API ------------------------------------------------------------------------ */

int pcol_http_client_request(struct pcol_http_client *c, const struct pcol_http_client_req *req,
                             pcol_http_client_cb cb, void *data, struct pcol_err *err)
{
    struct creq *r;
    int rc;

    if (c->closing) {
        return pcol_err_set(err, PCOL_EIO, "the HTTP client is closing");
    }
    if ((rc = check_request(req, err)) != 0) {
        return rc;
    }
    r = creq_new(c, req, cb, data);
    rc = req->h2 ? h2_dispatch(r, err) : h1_dispatch(r, err);
    if (rc != 0) {
        creq_free(r);
        return rc;
    }
    if (r->timeout_ms) {
        uv_timer_init(c->loop, &r->timer);
        r->timer_open = true;
        uv_timer_start(&r->timer, creq_timed_out, r->timeout_ms, 0);
    }
    return 0;
}

const char *pcol_http_client_header(const struct pcol_http_header *h, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!strcmp(h[i].name, name)) {
            return h[i].value;
        }
    }
    return NULL;
}

/* ---- Retry-After --------------------------------------------------------------- */

#define RETRY_AFTER_MAX_S 86400 /* a day: longer hints are treated as a day */

/* Days from 1970-01-01 to a proleptic Gregorian date (the usual era-based
 * civil-date arithmetic; timegm() is not in POSIX). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* IMF-fixdate, the form HTTP senders must use, and nothing after it. */
static bool parse_http_date(const char *s, int64_t *t)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4] = {0};
    const char *m;
    int d, y, hh, mm, ss, used = 0;

    if (sscanf(s, "%*3s, %2d %3s %4d %2d:%2d:%2d GMT%n", &d, mon, &y, &hh, &mm, &ss, &used) != 6 ||
        used == 0 || s[used] != '\0' || (m = strstr(months, mon)) == NULL || strlen(mon) != 3 ||
        (m - months) % 3 != 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) {
        return false;
    }
    *t = days_from_civil(y, (int)((m - months) / 3) + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return true;
}

uint64_t pcol_http_retry_after_ms(const char *value, time_t now)
{
    const char *p;
    uint64_t s = 0;
    int64_t t;

    if (!value || !*value) {
        return 0;
    }
    for (p = value; *p >= '0' && *p <= '9'; p++) {
        s = s < RETRY_AFTER_MAX_S ? s * 10 + (uint64_t)(*p - '0') : s;
    }
    if (p == value || *p) {
        if (!parse_http_date(value, &t) || t <= (int64_t)now) {
            return 0;
        }
        s = (uint64_t)(t - (int64_t)now);
    }
    return (s < RETRY_AFTER_MAX_S ? s : RETRY_AFTER_MAX_S) * 1000;
}
