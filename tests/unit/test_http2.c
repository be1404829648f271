/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_http2.c: the HTTP/2 back-end of the HTTP server (and the gRPC server
 * helpers on top of it) over real sockets on 127.0.0.1. The server runs on a
 * private loop in the test thread; each test's client runs in a second
 * thread: an nghttp2 client session on a blocking socket, raw bytes, the
 * real curl binary, or Debian's python3-grpcio for interop. Checks made on
 * either thread are recorded and asserted after the loop has ended; a
 * watchdog aborts a test that hangs.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <nghttp2/nghttp2.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grpc.h"
#include "http_fixture.h"

#define CORPUS_FILE "google-pprof__large.cpu"
#define GRPC_PYTHON "/usr/bin/python3"

/* ---- the server side -------------------------------------------------- */

static void h_echo(struct pcol_http_request *req, void *data)
{
    struct fx *fx = data;
    const char *host = pcol_http_header(req, "host");
    struct pcol_buf b = {0};

    atomic_fetch_add(&fx->handled, 1);
    pcol_buf_printf(&b, "%s %s ?%s len=%zu host=%s %s\n", req->method, req->path, req->query,
                    req->body_len, host ? host : "-", req->protocol == PCOL_HTTP_2 ? "h2" : "h1");
    pcol_buf_append(&b, req->body, req->body_len);
    CHECK(pcol_http_response_header(req, "X-Echo", "yes") == 0);
    CHECK(pcol_http_response_header(req, "Connection", "keep-alive") == 0);
    CHECK(pcol_http_respond_take(req, 200, "text/plain", b.p, b.len, free) == 0);
}

static void on_later(uv_timer_t *t)
{
    struct fx *fx = PCOL_CONTAINER_OF(t, struct fx, later);
    char msg[32];
    int i, n;

    for (i = 0; i < fx->n_held; i++) {
        n = snprintf(msg, sizeof(msg), "late %zu", fx->held[i]->body_len);
        atomic_store(&fx->respond_rc,
                     pcol_http_respond(fx->held[i], 200, "text/plain", msg, (size_t)n));
    }
    fx->n_held = 0;
}

/* Holds requests until `hold_until` of them are held, then answers all from a timer. */
static void h_hold(struct pcol_http_request *req, void *data)
{
    struct fx *fx = data;

    atomic_fetch_add(&fx->handled, 1);
    if (fx->n_held == FX_MAX_HELD) {
        pcol_http_respond_error(req, 503, "too many held");
        return;
    }
    fx->held[fx->n_held++] = req;
    if (fx->n_held > atomic_load(&fx->max_held)) {
        atomic_store(&fx->max_held, fx->n_held);
    }
    if (fx->close_in_handler) {
        fx_close_server(fx);
    }
    if (fx->n_held >= fx->hold_until) {
        uv_timer_start(&fx->later, on_later, fx->later_ms ? fx->later_ms : 20, 0);
    }
}

static void h_close(struct pcol_http_request *req, void *data)
{
    CHECK(pcol_http_respond(req, 200, "text/plain", "closing", 7) == 0);
    fx_close_server(data);
}

static void h_grpc_echo(struct pcol_http_request *req, void *data)
{
    struct fx *fx = data;
    struct pcol_err err = {{0}};
    struct pcol_buf scratch = {0};
    enum pcol_encoding enc;
    const uint8_t *msg = NULL;
    size_t len = 0;
    int rc;

    atomic_fetch_add(&fx->handled, 1);
    if (!pcol_grpc_is_request(req)) {
        pcol_http_respond_error(req, 415, "not gRPC");
        return;
    }
    rc = pcol_grpc_request_encoding(req, &enc, &err);
    if (rc == 0) {
        rc = pcol_grpc_unframe(req->body, req->body_len, enc, 1 << 22, &msg, &len, &scratch, &err);
    }
    if (rc < 0) {
        pcol_grpc_respond_status(req, pcol_grpc_status_from_code(rc), err.msg, 0);
    } else {
        CHECK(pcol_grpc_respond(req, msg, len) == 0);
    }
    pcol_buf_free(&scratch);
}

static void h_grpc_busy(struct pcol_http_request *req, void *data)
{
    struct fx *fx = data;

    atomic_fetch_add(&fx->handled, 1);
    CHECK(pcol_grpc_respond_status(req, PCOL_GRPC_UNAVAILABLE, "busy: 100% full", 1500) == 0);
}

static struct fx *fx_start(const struct pcol_http_server_opts *opts)
{
    struct fx *fx = fx_init(opts);

    fx_route(fx, NULL, "/echo", h_echo, 0);
    fx_route(fx, "GET", "/a", h_echo, 0);
    fx_route(fx, "POST", "/small", h_echo, 10);
    fx_route(fx, "POST", "/hold", h_hold, 0);
    fx_route(fx, "POST", "/upload", fx_h_upload, 0);
    fx_route(fx, "GET", "/close", h_close, 0);
    fx_route(fx, "POST", "/test.Echo/Echo", h_grpc_echo, 0);
    fx_route(fx, "POST", "/test.Echo/Small", h_grpc_echo, 100);
    fx_route(fx, "POST", "/test.Echo/Busy", h_grpc_busy, 0);
    fx_listen(fx);
    return fx;
}

/* ---- the client side: an nghttp2 client session (client thread) -------- */

/* One stream as the client sees it. */
struct hs {
    int status;
    struct pcol_buf headers; /* "name: value\n" */
    struct pcol_buf trailers;
    struct pcol_buf body;
    bool closed;
    uint32_t close_code;
    bool got_rst;
    uint32_t rst_code;
    const uint8_t *up; /* request body */
    size_t up_len;
    size_t up_off;
    bool up_stall; /* send the headers only, never the body */
    int32_t id;
};

struct h2c {
    int fd;
    nghttp2_session *s;
    bool eof;
    bool goaway;
    uint32_t goaway_code;
    int32_t goaway_last;
};

static int tcp_connect(int port)
{
    struct sockaddr_in a = {0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    ssize_t w;

    while (n > 0) {
        w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return false;
        }
        s += w;
        n -= (size_t)w;
    }
    return true;
}

static int c_on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                       size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                       void *user)
{
    struct hs *h = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    bool trailer = frame->headers.cat == NGHTTP2_HCAT_HEADERS;

    PCOL_UNUSED(flags);
    PCOL_UNUSED(user);
    if (!h) {
        return 0;
    }
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        h->status = atoi((const char *)value);
        return 0;
    }
    pcol_buf_printf(trailer ? &h->trailers : &h->headers, "%.*s: %.*s\n", (int)namelen, name,
                    (int)valuelen, value);
    return 0;
}

static int c_on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                     void *user)
{
    struct hs *h = nghttp2_session_get_stream_user_data(s, id);

    PCOL_UNUSED(flags);
    PCOL_UNUSED(user);
    if (h) {
        pcol_buf_append(&h->body, data, len);
    }
    return 0;
}

static int c_on_frame(nghttp2_session *s, const nghttp2_frame *frame, void *user)
{
    struct h2c *c = user;
    struct hs *h;

    if (frame->hd.type == NGHTTP2_GOAWAY) {
        c->goaway = true;
        c->goaway_code = frame->goaway.error_code;
        c->goaway_last = frame->goaway.last_stream_id;
    } else if (frame->hd.type == NGHTTP2_RST_STREAM) {
        h = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
        if (h) {
            h->got_rst = true;
            h->rst_code = frame->rst_stream.error_code;
        }
    }
    return 0;
}

static int c_on_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
    struct hs *h = nghttp2_session_get_stream_user_data(s, id);

    PCOL_UNUSED(user);
    if (h) {
        h->closed = true;
        h->close_code = code;
    }
    return 0;
}

static ssize_t c_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                           uint32_t *flags, nghttp2_data_source *src, void *user)
{
    struct hs *h = src->ptr;
    size_t n = h->up_len - h->up_off;

    PCOL_UNUSED(s);
    PCOL_UNUSED(id);
    PCOL_UNUSED(user);
    if (h->up_stall) {
        return NGHTTP2_ERR_DEFERRED;
    }
    n = n < length ? n : length;
    memcpy(buf, h->up + h->up_off, n);
    h->up_off += n;
    if (h->up_off == h->up_len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return (ssize_t)n;
}

static bool h2c_connect(struct h2c *c, int port)
{
    nghttp2_session_callbacks *cb;

    memset(c, 0, sizeof(*c));
    c->fd = tcp_connect(port);
    if (c->fd < 0) {
        return false;
    }
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, c_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, c_on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, c_on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, c_on_close);
    nghttp2_session_client_new(&c->s, cb, c);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, NULL, 0);
    return true;
}

static void h2c_close(struct h2c *c)
{
    nghttp2_session_del(c->s);
    close(c->fd);
}

static void hs_free(struct hs *h)
{
    pcol_buf_free(&h->headers);
    pcol_buf_free(&h->trailers);
    pcol_buf_free(&h->body);
}

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE                 \
    }

/* Submits a request; `extra` holds name/value pairs ending with NULL. The
 * body (may be NULL) goes with a content-length unless `no_length`. */
static void h2c_request(struct h2c *c, struct hs *h, const char *method, const char *path,
                        const char *const *extra, const void *body, size_t len, bool no_length)
{
    nghttp2_nv nva[16] = {NV(":method", method), NV(":scheme", "http"),
                          NV(":authority", "unit.test"), NV(":path", path)};
    nghttp2_data_provider prd = {.source.ptr = h, .read_callback = c_read_body};
    char len_s[24];
    size_t n = 4;

    memset(h, 0, sizeof(*h));
    h->up = body;
    h->up_len = len;
    while (extra && *extra && n + 2 < PCOL_ARRAY_SIZE(nva)) {
        nva[n++] = (nghttp2_nv)NV(extra[0], extra[1]);
        extra += 2;
    }
    if (body && !no_length) {
        snprintf(len_s, sizeof(len_s), "%zu", len);
        nva[n++] = (nghttp2_nv)NV("content-length", len_s);
    }
    h->id = nghttp2_submit_request(c->s, NULL, nva, n, body ? &prd : NULL, h);
    CHECK(h->id > 0);
}

/* Exchanges bytes until done(arg), EOF or `ms`; returns done(arg). */
static bool h2c_run(struct h2c *c, bool (*done)(void *), void *arg, int ms)
{
    uint8_t buf[16384];
    const uint8_t *out;
    struct pollfd p = {c->fd, POLLIN, 0};
    ssize_t n;

    for (; ms > 0; ms -= 10) {
        while ((n = nghttp2_session_mem_send(c->s, &out)) > 0) {
            if (!send_all(c->fd, out, (size_t)n)) {
                c->eof = true;
                break;
            }
        }
        if ((done && done(arg)) || c->eof) {
            break;
        }
        if (poll(&p, 1, 10) <= 0) {
            continue;
        }
        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            c->eof = true;
            continue;
        }
        if (nghttp2_session_mem_recv(c->s, buf, (size_t)n) < 0) {
            c->eof = true;
        }
    }
    return done ? done(arg) : c->eof;
}

static bool hs_closed(void *arg)
{
    return ((struct hs *)arg)->closed;
}

struct hs_set {
    struct hs *h;
    size_t n;
};

static bool all_closed(void *arg)
{
    struct hs_set *set = arg;
    size_t i;

    for (i = 0; i < set->n; i++) {
        if (!set->h[i].closed) {
            return false;
        }
    }
    return true;
}

static bool has_line(struct pcol_buf *b, const char *line)
{
    pcol_buf_putc(b, '\0');
    b->len--;
    return b->p && strstr((const char *)b->p, line) != NULL;
}

static bool body_is(const struct hs *h, const char *text)
{
    return h->body.len == strlen(text) && memcmp(h->body.p, text, h->body.len) == 0;
}

/* One request on its own, run to the end of its stream. */
static void roundtrip(struct h2c *c, struct hs *h, const char *method, const char *path,
                      const char *const *extra, const char *body)
{
    h2c_request(c, h, method, path, extra, body, body ? strlen(body) : 0, false);
    CHECK(h2c_run(c, hs_closed, h, 5000));
}

/* ---- tests ------------------------------------------------------------ */

static void client_basics(struct fx *fx)
{
    static const char *const ua[] = {"user-agent", "unit", NULL};
    struct h2c c;
    struct hs h;

    CHECK(h2c_connect(&c, fx->port));
    roundtrip(&c, &h, "GET", "/a?x=1", NULL, NULL);
    CHECK(h.status == 200 && body_is(&h, "GET /a ?x=1 len=0 host=unit.test h2\n"));
    CHECK(has_line(&h.headers, "content-type: text/plain\n"));
    CHECK(has_line(&h.headers, "content-length: 36\n"));
    CHECK(has_line(&h.headers, "x-echo: yes\n"));
    /* Connection-specific headers are not HTTP/2; they are dropped. */
    CHECK(!has_line(&h.headers, "connection"));
    CHECK(h.close_code == NGHTTP2_NO_ERROR && !h.got_rst);
    hs_free(&h);
    roundtrip(&c, &h, "POST", "/echo", ua, "hello");
    CHECK(h.status == 200 && body_is(&h, "POST /echo ? len=5 host=unit.test h2\nhello"));
    hs_free(&h);
    roundtrip(&c, &h, "HEAD", "/echo", NULL, NULL);
    CHECK(h.status == 200 && h.body.len == 0);
    hs_free(&h);
    roundtrip(&c, &h, "DELETE", "/a", NULL, NULL);
    CHECK(h.status == 405 && has_line(&h.headers, "allow: GET\n"));
    CHECK(body_is(&h, "method DELETE is not allowed for /a\n"));
    hs_free(&h);
    roundtrip(&c, &h, "GET", "/nope", NULL, NULL);
    CHECK(h.status == 404 && body_is(&h, "no route for /nope\n"));
    hs_free(&h);
    /* The server said how many streams it takes at once. */
    CHECK(nghttp2_session_get_remote_settings(c.s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) == 100);
    CHECK(!c.eof);
    h2c_close(&c);
}

static void test_basics(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_basics);
}

/* 40 uploads on one connection, all with the handler at the same time. */
static void client_concurrent(struct fx *fx)
{
    struct hs h[40];
    struct hs_set set = {h, PCOL_ARRAY_SIZE(h)};
    static uint8_t body[40][4000];
    struct h2c c;
    char want[32];
    size_t i;

    CHECK(h2c_connect(&c, fx->port));
    for (i = 0; i < set.n; i++) {
        memset(body[i], (int)i, sizeof(body[i]));
        h2c_request(&c, &h[i], "POST", "/hold", NULL, body[i], 100 * i, i % 2 == 0);
    }
    CHECK(h2c_run(&c, all_closed, &set, 10000));
    for (i = 0; i < set.n; i++) {
        snprintf(want, sizeof(want), "late %zu", 100 * i);
        CHECK(h[i].status == 200 && body_is(&h[i], want));
        hs_free(&h[i]);
    }
    h2c_close(&c);
}

static void test_concurrent_streams(void **state)
{
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(NULL);
    fx->hold_until = 40;
    fx_run(fx, client_concurrent);
    assert_int_equal(atomic_load(&fx->max_held), 40);
}

static void client_body_limit(struct fx *fx)
{
    static const char *const grpc[] = {"content-type", "application/grpc", NULL};
    static const char big[] = "far more than ten bytes of body";
    struct h2c c;
    struct hs h;

    CHECK(h2c_connect(&c, fx->port));
    /* Announced by content-length: refused before the body. */
    roundtrip(&c, &h, "POST", "/small", NULL, big);
    CHECK(h.status == 413 && has_line(&h.body, "over the limit of 10 bytes"));
    hs_free(&h);
    /* Found while it arrives: the answer, then RST_STREAM(NO_ERROR). */
    h2c_request(&c, &h, "POST", "/small", NULL, big, sizeof(big) - 1, true);
    CHECK(h2c_run(&c, hs_closed, &h, 5000));
    CHECK(h.status == 413);
    hs_free(&h);
    /* A stalled upload answered early is reset so the client stops. */
    h2c_request(&c, &h, "POST", "/small", NULL, big, sizeof(big) - 1, false);
    h.up_stall = true;
    CHECK(h2c_run(&c, hs_closed, &h, 5000));
    CHECK(h.status == 413 && h.got_rst && h.rst_code == NGHTTP2_NO_ERROR);
    hs_free(&h);
    /* gRPC requests get RESOURCE_EXHAUSTED, trailers-only. */
    h2c_request(&c, &h, "POST", "/small", grpc, big, sizeof(big) - 1, true);
    CHECK(h2c_run(&c, hs_closed, &h, 5000));
    CHECK(h.status == 200 && has_line(&h.headers, "grpc-status: 8\n"));
    CHECK(has_line(&h.headers, "content-type: application/grpc\n"));
    CHECK(has_line(&h.headers, "grpc-message: request body is over the limit of 10 bytes\n"));
    CHECK(h.body.len == 0 && h.trailers.len == 0);
    hs_free(&h);
    /* The connection still serves. */
    roundtrip(&c, &h, "GET", "/a", NULL, NULL);
    CHECK(h.status == 200);
    hs_free(&h);
    CHECK(!c.eof);
    h2c_close(&c);
}

static void test_body_limit(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_body_limit);
}

static void client_grpc_trailers(struct fx *fx)
{
    static const char *const grpc[] = {"content-type", "application/grpc+proto", "te", "trailers",
                                       NULL};
    struct pcol_buf framed = {0};
    struct h2c c;
    struct hs h;
    const char *details;
    int64_t delay = 0;

    CHECK(h2c_connect(&c, fx->port));
    pcol_grpc_frame(PCOL_ENC_IDENTITY, (const uint8_t *)"ping", 4, &framed);
    h2c_request(&c, &h, "POST", "/test.Echo/Echo", grpc, framed.p, framed.len, true);
    CHECK(h2c_run(&c, hs_closed, &h, 5000));
    CHECK(h.status == 200 && h.body.len == 9 && memcmp(h.body.p + 5, "ping", 4) == 0);
    CHECK(has_line(&h.headers, "content-type: application/grpc\n"));
    CHECK(has_line(&h.headers, "grpc-accept-encoding: identity,gzip,zstd\n"));
    CHECK(!has_line(&h.headers, "content-length"));
    CHECK(has_line(&h.trailers, "grpc-status: 0\n"));
    hs_free(&h);
    h2c_request(&c, &h, "POST", "/test.Echo/Busy", grpc, framed.p, framed.len, true);
    CHECK(h2c_run(&c, hs_closed, &h, 5000));
    CHECK(h.status == 200 && h.body.len == 0 && h.trailers.len == 0);
    CHECK(has_line(&h.headers, "grpc-status: 14\n"));
    CHECK(has_line(&h.headers, "grpc-message: busy: 100%25 full\n"));
    pcol_buf_putc(&h.headers, '\0');
    details = strstr((const char *)h.headers.p, "grpc-status-details-bin: ");
    CHECK(details != NULL);
    if (details) {
        char v[256];

        sscanf(details + 25, "%255[^\n]", v);
        CHECK(pcol_grpc_retry_info_decode(v, &delay) == 0 && delay == 1500);
    }
    hs_free(&h);
    pcol_buf_free(&framed);
    h2c_close(&c);
}

static void test_grpc_trailers(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_grpc_trailers);
}

/* A graceful stop while a request is held: GOAWAY first, the answer still
 * arrives, then the server closes. */
static void client_goaway(struct fx *fx)
{
    struct h2c c;
    struct hs h;

    CHECK(h2c_connect(&c, fx->port));
    h2c_request(&c, &h, "POST", "/hold", NULL, "x", 1, false);
    CHECK(h2c_run(&c, hs_closed, &h, 5000));
    CHECK(c.goaway && c.goaway_code == NGHTTP2_NO_ERROR && c.goaway_last == h.id);
    CHECK(h.status == 200 && body_is(&h, "late 1"));
    CHECK(h2c_run(&c, NULL, NULL, 5000));
    hs_free(&h);
    h2c_close(&c);
}

static void test_goaway_on_close(void **state)
{
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(NULL);
    fx->close_in_handler = true;
    fx->later_ms = 100;
    fx_run(fx, client_goaway);
}

/* An idle connection gets a GOAWAY and is closed too; the one whose
 * request stopped the server gets its answer first. */
static void client_goaway_idle(struct fx *fx)
{
    struct h2c idle, c;
    struct hs h;

    CHECK(h2c_connect(&idle, fx->port));
    roundtrip(&idle, &h, "GET", "/a", NULL, NULL);
    CHECK(h.status == 200);
    hs_free(&h);
    CHECK(h2c_connect(&c, fx->port));
    roundtrip(&c, &h, "GET", "/close", NULL, NULL);
    CHECK(h.status == 200 && body_is(&h, "closing"));
    CHECK(h2c_run(&c, NULL, NULL, 5000) && c.goaway && c.goaway_last == h.id);
    CHECK(h2c_run(&idle, NULL, NULL, 5000));
    CHECK(idle.goaway && idle.goaway_last == 1 && idle.goaway_code == NGHTTP2_NO_ERROR);
    hs_free(&h);
    h2c_close(&c);
    h2c_close(&idle);
}

static void test_goaway_idle(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_goaway_idle);
}

/* What the last held answer returned, once it has been given. */
static int wait_for_answer(struct fx *fx)
{
    int i;

    for (i = 0; i < 1000 && atomic_load(&fx->respond_rc) == 0; i++) {
        sleep_ms(5);
    }
    return atomic_load(&fx->respond_rc);
}

/* The client cancels a held request: its late answer is dropped. */
static void client_cancel(struct fx *fx)
{
    struct h2c c;
    struct hs h, h2;

    CHECK(h2c_connect(&c, fx->port));
    h2c_request(&c, &h, "POST", "/hold", NULL, "x", 1, false);
    while (atomic_load(&fx->handled) == 0) {
        h2c_run(&c, NULL, NULL, 10);
    }
    nghttp2_submit_rst_stream(c.s, NGHTTP2_FLAG_NONE, h.id, NGHTTP2_CANCEL);
    h2c_run(&c, hs_closed, &h, 1000);
    CHECK(wait_for_answer(fx) == PCOL_EIO);
    roundtrip(&c, &h2, "GET", "/a", NULL, NULL);
    CHECK(h2.status == 200 && h.status == 0);
    hs_free(&h);
    hs_free(&h2);
    /* Another held request, and the whole connection goes away. */
    atomic_store(&fx->respond_rc, 0);
    atomic_store(&fx->handled, 0);
    h2c_request(&c, &h, "POST", "/hold", NULL, "x", 1, false);
    while (atomic_load(&fx->handled) == 0) {
        h2c_run(&c, NULL, NULL, 10);
    }
    hs_free(&h);
    h2c_close(&c);
    CHECK(wait_for_answer(fx) == PCOL_EIO);
}

static void test_client_cancels(void **state)
{
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(NULL);
    fx->later_ms = 150;
    fx_run(fx, client_cancel);
}

static void client_timeout_and_head_limit(struct fx *fx)
{
    char long_value[600];
    const char *const big_header[] = {"x-big", long_value, NULL};
    struct h2c c;
    struct hs h;

    CHECK(h2c_connect(&c, fx->port));
    h2c_request(&c, &h, "POST", "/echo", NULL, "abc", 3, false);
    h.up_stall = true;
    CHECK(h2c_run(&c, hs_closed, &h, 5000));
    CHECK(h.status == 408 && has_line(&h.body, "request not received in time"));
    hs_free(&h);
    memset(long_value, 'v', sizeof(long_value) - 1);
    long_value[sizeof(long_value) - 1] = '\0';
    roundtrip(&c, &h, "GET", "/a", big_header, NULL);
    CHECK(h.status == 431);
    hs_free(&h);
    roundtrip(&c, &h, "GET", "/a", NULL, NULL);
    CHECK(h.status == 200);
    hs_free(&h);
    h2c_close(&c);
}

static void test_timeout_and_head_limit(void **state)
{
    struct pcol_http_server_opts o = {.request_timeout_ms = 200, .max_header_bytes = 512};

    PCOL_UNUSED(state);
    fx_run(fx_start(&o), client_timeout_and_head_limit);
}

/* A connection error (DATA on stream 0) gets GOAWAY(PROTOCOL_ERROR) and a
 * close; a bad preface is HTTP/1.1's to refuse; the server keeps serving. */
static void client_bad_frames(struct fx *fx)
{
    static const uint8_t bad[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                 "\x00\x00\x00\x04\x00\x00\x00\x00\x00"
                                 "\x00\x00\x01\x00\x00\x00\x00\x00\x00x";
    uint8_t buf[4096];
    size_t got = 0, i;
    ssize_t n;
    bool goaway = false;
    int fd = tcp_connect(fx->port);
    struct timeval tv = {5, 0};
    struct h2c c;
    struct hs h;

    CHECK(fd >= 0 && send_all(fd, bad, sizeof(bad) - 1));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while ((n = recv(fd, buf + got, sizeof(buf) - got, 0)) > 0) {
        got += (size_t)n;
    }
    close(fd);
    /* Frames: 3-byte length, type, flags, stream; GOAWAY is type 7. */
    for (i = 0; i + 9 <= got;
         i += 9 + ((size_t)buf[i] << 16 | (size_t)buf[i + 1] << 8 | buf[i + 2])) {
        if (buf[i + 3] == 7 && i + 17 <= got) {
            goaway = buf[i + 16] == NGHTTP2_PROTOCOL_ERROR;
        }
    }
    CHECK(goaway);
    CHECK(h2c_connect(&c, fx->port));
    roundtrip(&c, &h, "GET", "/a", NULL, NULL);
    CHECK(h.status == 200);
    hs_free(&h);
    h2c_close(&c);
}

static void test_bad_frames(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_bad_frames);
}

/* ---- real peers: curl and grpcio ---------------------------------------- */

static void run_command(const char *cmd, char *out, size_t size)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0;

    out[0] = '\0';
    CHECK(p != NULL);
    if (!p) {
        return;
    }
    n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    CHECK(pclose(p) == 0);
}

static void client_curl(struct fx *fx)
{
    char cmd[1024], out[256], want[64];

    snprintf(want, sizeof(want), "ok %zu 2 200", fx->expect.len);
    snprintf(cmd, sizeof(cmd),
             "curl -sS --noproxy '*' --max-time 20 --http2-prior-knowledge "
             "--data-binary @%s -w ' %%{http_version} %%{http_code}' "
             "http://127.0.0.1:%d/upload",
             tu_corpus_path(CORPUS_FILE), fx->port);
    run_command(cmd, out, sizeof(out));
    CHECK(strcmp(out, want) == 0);
    /* HTTP/1.1 on the same port. (One URL per curl: curl 7.88.1 cannot reuse
     * a prior-knowledge connection, curl issue #10634.) */
    snprintf(cmd, sizeof(cmd),
             "curl -sS --noproxy '*' --max-time 20 --http2-prior-knowledge "
             "http://127.0.0.1:%d/a?b -w ' %%{http_version}' && "
             "curl -sS --noproxy '*' --max-time 20 --http1.1 http://127.0.0.1:%d/a?c "
             "-w ' %%{http_version}'",
             fx->port, fx->port);
    run_command(cmd, out, sizeof(out));
    CHECK(strstr(out, "GET /a ?b len=0 host=127.0.0.1") != NULL);
    CHECK(strstr(out, " h2\n 2GET /a ?c len=0 host=127.0.0.1") != NULL);
    CHECK(strstr(out, " h1\n 1.1") != NULL);
}

static void test_curl(void **state)
{
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(NULL);
    tu_read_corpus(CORPUS_FILE, &fx->expect);
    fx_run(fx, client_curl);
}

/* A real gRPC implementation calls the echo routes: framing, trailers,
 * percent-encoded messages, RetryInfo, compression and the body limit. */
static const char grpc_script[] =
    "import sys, grpc\n"
    "ch = grpc.insecure_channel('127.0.0.1:' + sys.argv[1])\n"
    "def call(m, msg, **kw):\n"
    "    return ch.unary_unary('/test.Echo/' + m)(msg, timeout=10, **kw)\n"
    "def fails(m, msg, code, **kw):\n"
    "    try:\n"
    "        call(m, msg, **kw)\n"
    "    except grpc.RpcError as e:\n"
    "        assert e.code() == code, (m, e.code(), e.details())\n"
    "        return e\n"
    "    raise SystemExit(m + ' did not fail')\n"
    "assert call('Echo', b'hello') == b'hello'\n"
    "assert call('Echo', b'') == b''\n"
    "big = bytes(range(256)) * 4096\n"
    "assert call('Echo', big, compression=grpc.Compression.Gzip) == big\n"
    "e = fails('Busy', b'x', grpc.StatusCode.UNAVAILABLE)\n"
    "assert e.details() == 'busy: 100% full', e.details()\n"
    "d = dict(e.trailing_metadata())['grpc-status-details-bin']\n"
    "assert d.startswith(b'\\x08\\x0e') and b'google.rpc.RetryInfo' in d, d\n"
    "fails('Small', b'y' * 1000, grpc.StatusCode.RESOURCE_EXHAUSTED)\n"
    "fails('Missing', b'x', grpc.StatusCode.UNIMPLEMENTED)\n"
    "assert call('Echo', b'still serving') == b'still serving'\n"
    "print('ok')\n";

static void client_grpcio(struct fx *fx)
{
    char path[] = "/tmp/pcol_test_grpc_XXXXXX";
    char cmd[512], out[256];
    int fd = mkstemp(path);

    CHECK(fd >= 0 && write(fd, grpc_script, sizeof(grpc_script) - 1) > 0);
    close(fd);
    snprintf(cmd, sizeof(cmd), "%s %s %d 2>&1", GRPC_PYTHON, path, fx->port);
    run_command(cmd, out, sizeof(out));
    if (strcmp(out, "ok\n") != 0) {
        fprintf(stderr, "grpcio client said: %s\n", out);
    }
    CHECK(strcmp(out, "ok\n") == 0);
    unlink(path);
}

static void test_grpcio_interop(void **state)
{
    PCOL_UNUSED(state);
    if (access(GRPC_PYTHON, X_OK) != 0 || system(GRPC_PYTHON " -c 'import grpc' 2>/dev/null")) {
        skip();
    }
    fx_run(fx_start(NULL), client_grpcio);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basics),          cmocka_unit_test(test_concurrent_streams),
        cmocka_unit_test(test_body_limit),      cmocka_unit_test(test_grpc_trailers),
        cmocka_unit_test(test_goaway_on_close), cmocka_unit_test(test_goaway_idle),
        cmocka_unit_test(test_client_cancels),  cmocka_unit_test(test_timeout_and_head_limit),
        cmocka_unit_test(test_bad_frames),      cmocka_unit_test(test_curl),
        cmocka_unit_test(test_grpcio_interop),
    };

    return cmocka_run_group_tests(tests, NULL, fx_free_logs);
}
