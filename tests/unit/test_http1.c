/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_http1.c: the HTTP server and its HTTP/1.1 back-end over real sockets
 * on 127.0.0.1. The server runs on a private loop in the test thread; each
 * test's client runs in a second thread with blocking sockets (or the real
 * curl binary). Checks made on either thread are recorded and asserted after
 * the loop has ended; a watchdog aborts a test that hangs.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http_fixture.h"

#define CORPUS_FILE "google-pprof__large.cpu"

/* ---- the server side -------------------------------------------------- */

static void h_echo(struct pcol_http_request *req, void *data)
{
    struct fx *fx = data;
    const char *ua = pcol_http_header(req, "User-Agent");
    struct pcol_buf b = {0};

    atomic_fetch_add(&fx->handled, 1);
    pcol_buf_printf(&b, "%s %s ?%s len=%zu ua=%s\n", req->method, req->path, req->query,
                    req->body_len, ua ? ua : "-");
    pcol_buf_append(&b, req->body, req->body_len);
    CHECK(pcol_http_respond_take(req, 200, "text/plain", b.p, b.len, free) == 0);
}

static void on_later(uv_timer_t *t)
{
    struct fx *fx = PCOL_CONTAINER_OF(t, struct fx, later);
    struct pcol_buf b = {0};

    pcol_buf_puts(&b, "late:");
    pcol_buf_append(&b, fx->held_body, fx->held_len);
    free(fx->held_body);
    fx->held_body = NULL;
    CHECK(pcol_http_response_header(fx->held_one, "Retry-After", "7") == 0);
    fx->respond_rc = pcol_http_respond(fx->held_one, 200, "text/plain", b.p, b.len);
    fx->held_one = NULL;
    pcol_buf_free(&b);
    atomic_store(&fx->responded, 1);
}

/* Holds the request (taking its body) and answers it from a timer. */
static void h_later(struct pcol_http_request *req, void *data)
{
    struct fx *fx = data;

    fx->held_one = req;
    fx->held_body = pcol_http_request_take_body(req, &fx->held_len);
    CHECK(req->body == NULL && req->body_len == 0);
    if (fx->close_in_handler) {
        fx_close_server(fx);
    }
    uv_timer_start(&fx->later, on_later, fx->later_ms ? fx->later_ms : 50, 0);
    atomic_fetch_add(&fx->handled, 1);
}

static void put_query(struct pcol_buf *b, const struct pcol_http_request *req, const char *name,
                      size_t size)
{
    char val[64];
    int rc = pcol_http_query_get(req, name, val, size);

    pcol_buf_printf(b, "%s=%d:%s\n", name, rc, rc >= 0 ? val : "");
}

static void h_query(struct pcol_http_request *req, void *data)
{
    struct pcol_buf b = {0};
    const char *x = pcol_http_header(req, "x-test");

    PCOL_UNUSED(data);
    pcol_buf_printf(&b, "path=%s query=%s x-test=[%s]\n", req->path, req->query, x ? x : "-");
    put_query(&b, req, "name", 64);
    put_query(&b, req, "x", 64);
    put_query(&b, req, "empty", 64);
    put_query(&b, req, "flag", 64);
    put_query(&b, req, "missing", 64);
    put_query(&b, req, "bad", 64);
    put_query(&b, req, "long", 8);
    put_query(&b, req, "name2", 64);
    pcol_http_respond(req, 200, "text/plain", b.p, b.len);
    pcol_buf_free(&b);
}

static struct fx *fx_start(const struct pcol_http_server_opts *opts)
{
    struct fx *fx = fx_init(opts);

    fx_route(fx, NULL, "/echo", h_echo, 0);
    fx_route(fx, "GET", "/a", h_echo, 0);
    fx_route(fx, "POST", "/a", h_echo, 0);
    fx_route(fx, "POST", "/small", h_echo, 10);
    fx_route(fx, "POST", "/later", h_later, 0);
    fx_route(fx, "POST", "/upload", fx_h_upload, 0);
    fx_route(fx, "GET", "/query", h_query, 0);
    fx_listen(fx);
    return fx;
}

/* ---- the client side (client thread, blocking sockets) ----------------- */

struct cl {
    int fd;
    size_t len;
    char buf[16384];
};

struct resp {
    int status;
    char head[4096];
    char body[8192];
    size_t body_len;
};

static bool cl_connect(struct cl *c, int port)
{
    struct sockaddr_in a = {0};
    struct timeval tv = {5, 0};

    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

static void cl_close(struct cl *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

/* Closes with a reset instead of a FIN. */
static void cl_abort(struct cl *c)
{
    struct linger lg = {1, 0};

    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    cl_close(c);
}

static bool cl_send_n(struct cl *c, const void *p, size_t n)
{
    const char *s = p;
    ssize_t w;

    while (n > 0) {
        w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return false;
        }
        s += w;
        n -= (size_t)w;
    }
    return true;
}

static bool cl_send(struct cl *c, const char *s)
{
    return cl_send_n(c, s, strlen(s));
}

static bool cl_fill(struct cl *c)
{
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

    if (n <= 0) {
        return false;
    }
    c->len += (size_t)n;
    return true;
}

static const char *find_blank_line(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i + 4 <= n; i++) {
        if (memcmp(p + i, "\r\n\r\n", 4) == 0) {
            return p + i;
        }
    }
    return NULL;
}

/* Value of header `name` in a response head, copied to out; false if absent. */
static bool resp_header(const struct resp *r, const char *name, char *out, size_t size)
{
    const char *line = strstr(r->head, "\r\n");
    size_t n = strlen(name), v;

    while (line && line[2] != '\r') {
        line += 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            line += n + 1 + strspn(line + n + 1, " ");
            v = strcspn(line, "\r");
            snprintf(out, size, "%.*s", (int)v, line);
            return true;
        }
        line = strstr(line, "\r\n");
    }
    return false;
}

static bool resp_has(const struct resp *r, const char *name, const char *value)
{
    char v[256];

    return resp_header(r, name, v, sizeof(v)) && strcmp(v, value) == 0;
}

/* Reads one response, Content-Length framed unless it answers HEAD (no
 * body bytes follow then); false on EOF or timeout. */
static bool cl_read(struct cl *c, struct resp *r, bool head_request)
{
    const char *end;
    size_t head_len, need = 0;
    char cl[32];

    memset(r, 0, sizeof(*r));
    while (!(end = find_blank_line(c->buf, c->len))) {
        if (!cl_fill(c)) {
            return false;
        }
    }
    head_len = (size_t)(end + 4 - c->buf);
    snprintf(r->head, sizeof(r->head), "%.*s", (int)head_len, c->buf);
    if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1) {
        return false;
    }
    if (!head_request && resp_header(r, "content-length", cl, sizeof(cl))) {
        need = strtoul(cl, NULL, 10);
    }
    if (need >= sizeof(r->body)) {
        return false;
    }
    while (c->len < head_len + need) {
        if (!cl_fill(c)) {
            return false;
        }
    }
    memcpy(r->body, c->buf + head_len, need);
    r->body_len = need;
    c->len -= head_len + need;
    memmove(c->buf, c->buf + head_len + need, c->len);
    return true;
}

static bool cl_response(struct cl *c, struct resp *r)
{
    return cl_read(c, r, false);
}

static bool roundtrip(struct cl *c, const char *request, struct resp *r)
{
    return cl_send(c, request) && cl_response(c, r);
}

/* True when the server closed the connection (FIN or reset) with nothing unread. */
static bool cl_closed(struct cl *c)
{
    ssize_t n;

    if (c->len) {
        return false;
    }
    n = recv(c->fd, c->buf, sizeof(c->buf), 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* True when nothing at all arrives (no bytes, no close) within `ms`. */
static bool cl_quiet(struct cl *c, int ms)
{
    struct pollfd p = {c->fd, POLLIN, 0};

    return poll(&p, 1, ms) == 0;
}

static bool body_is(const struct resp *r, const char *text)
{
    return r->body_len == strlen(text) && memcmp(r->body, text, r->body_len) == 0;
}

static bool body_has(struct resp *r, const char *text)
{
    r->body[r->body_len < sizeof(r->body) ? r->body_len : sizeof(r->body) - 1] = '\0';
    return strstr(r->body, text) != NULL;
}

static void wait_for(atomic_int *v, int value)
{
    int i;

    for (i = 0; i < 1000 && atomic_load(v) < value; i++) {
        sleep_ms(5);
    }
    CHECK(atomic_load(v) >= value);
}

/* ---- tests ------------------------------------------------------------ */

static void client_routing(struct fx *fx)
{
    struct cl c;
    struct resp r;
    char date[64] = "";

    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, "GET /a?x=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: unit\r\n\r\n", &r));
    CHECK(r.status == 200 && body_is(&r, "GET /a ?x=1 len=0 ua=unit\n"));
    CHECK(resp_has(&r, "content-type", "text/plain"));
    CHECK(resp_header(&r, "date", date, sizeof(date)) && strlen(date) == 29);
    CHECK(strcmp(date + 25, " GMT") == 0);
    /* HEAD: the length of the body that GET would get, and no body bytes. */
    CHECK(cl_send(&c, "HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n") && cl_read(&c, &r, true));
    CHECK(r.status == 200 && resp_has(&r, "content-length", "24") && r.body_len == 0);
    CHECK(roundtrip(&c, "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi", &r));
    CHECK(r.status == 200 && body_is(&r, "POST /a ? len=2 ua=-\nhi"));
    CHECK(roundtrip(&c, "DELETE /a HTTP/1.1\r\nHost: t\r\n\r\n", &r));
    CHECK(r.status == 405 && resp_has(&r, "allow", "GET, POST"));
    CHECK(resp_has(&r, "content-type", "text/plain; charset=utf-8"));
    CHECK(body_is(&r, "method DELETE is not allowed for /a\n"));
    CHECK(roundtrip(&c, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", &r));
    CHECK(r.status == 404 && body_is(&r, "no route for /nope\n"));
    CHECK(roundtrip(&c, "PATCH /echo HTTP/1.1\r\nHost: t\r\n\r\n", &r));
    CHECK(r.status == 200 && body_is(&r, "PATCH /echo ? len=0 ua=-\n"));
    /* Absolute form, as sent through proxies. */
    CHECK(roundtrip(&c, "GET http://t:1/a?y=2 HTTP/1.1\r\nHost: t\r\n\r\n", &r));
    CHECK(r.status == 200 && body_is(&r, "GET /a ?y=2 len=0 ua=-\n"));
    cl_close(&c);
}

static void test_routing(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_routing);
}

static void client_bodies(struct fx *fx)
{
    static const char req[] = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
    struct cl c;
    struct resp r;
    size_t i;

    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, req, &r));
    CHECK(r.status == 200 && body_is(&r, "POST /echo ? len=5 ua=-\nhello"));
    CHECK(roundtrip(&c,
                    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
                    &r));
    CHECK(r.status == 200 && body_is(&r, "POST /echo ? len=11 ua=-\nhello world"));
    /* One byte per packet: the sniffer and every parser span see partial data. */
    for (i = 0; i < sizeof(req) - 1; i++) {
        CHECK(cl_send_n(&c, req + i, 1));
        sleep_ms(1);
    }
    CHECK(cl_response(&c, &r));
    CHECK(r.status == 200 && body_is(&r, "POST /echo ? len=5 ua=-\nhello"));
    cl_close(&c);
}

static void test_bodies(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_bodies);
}

static void client_keep_alive(struct fx *fx)
{
    struct cl c;
    struct resp r;

    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, "GET /a?n=1 HTTP/1.1\r\nHost: t\r\n\r\n", &r));
    CHECK(r.status == 200 && !resp_has(&r, "connection", "close"));
    CHECK(cl_quiet(&c, 50));
    CHECK(roundtrip(&c, "GET /a?n=2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r));
    CHECK(r.status == 200 && body_is(&r, "GET /a ?n=2 len=0 ua=-\n"));
    CHECK(resp_has(&r, "connection", "close"));
    CHECK(cl_closed(&c));
    cl_close(&c);
    /* HTTP/1.0 closes unless it asks for keep-alive. */
    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r));
    CHECK(r.status == 200 && resp_has(&r, "connection", "keep-alive"));
    CHECK(roundtrip(&c, "GET /a HTTP/1.0\r\n\r\n", &r));
    CHECK(r.status == 200 && resp_has(&r, "connection", "close"));
    CHECK(cl_closed(&c));
    cl_close(&c);
    CHECK(atomic_load(&fx->handled) == 4);
}

static void test_keep_alive(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_keep_alive);
}

static void client_pipelined(struct fx *fx)
{
    struct cl c;
    struct resp r;

    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_send(&c, "GET /a?n=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                      "POST /later HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                      "POST /a?n=3 HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nz"));
    CHECK(cl_response(&c, &r));
    CHECK(r.status == 200 && body_is(&r, "GET /a ?n=1 len=0 ua=-\n"));
    CHECK(cl_response(&c, &r));
    CHECK(r.status == 200 && body_is(&r, "late:abc"));
    CHECK(cl_response(&c, &r));
    CHECK(r.status == 200 && body_is(&r, "POST /a ?n=3 len=1 ua=-\nz"));
    cl_close(&c);
}

static void test_pipelined(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_pipelined);
}

static void client_async(struct fx *fx)
{
    struct cl c;
    struct resp r;

    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, "POST /later HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody", &r));
    CHECK(r.status == 200 && body_is(&r, "late:body"));
    CHECK(resp_has(&r, "retry-after", "7"));
    CHECK(roundtrip(&c, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n", &r));
    CHECK(r.status == 200);
    cl_close(&c);
    CHECK(fx->respond_rc == 0);
}

static void test_async_response(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_async);
}

static void client_body_limit(struct fx *fx)
{
    struct cl c;
    struct resp r;
    char big[1300];

    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n", &r));
    CHECK(r.status == 413 && resp_has(&r, "connection", "close"));
    CHECK(body_has(&r, "1001 bytes is over the limit of 1000 bytes"));
    CHECK(cl_closed(&c));
    cl_close(&c);
    /* The route's own limit (10) wins over the server's. */
    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789",
                    &r));
    CHECK(r.status == 200);
    CHECK(roundtrip(&c, "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n", &r));
    CHECK(r.status == 413 && cl_closed(&c));
    cl_close(&c);
    /* Chunked: one chunk too large, then many small ones adding up. */
    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c,
                    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3e9\r\n",
                    &r));
    CHECK(r.status == 413 && body_has(&r, "chunked request body is over the limit"));
    CHECK(cl_closed(&c));
    cl_close(&c);
    CHECK(cl_connect(&c, fx->port));
    memset(big, 'x', sizeof(big));
    CHECK(cl_send(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
    CHECK(cl_send(&c, "1f4\r\n") && cl_send_n(&c, big, 500) && cl_send(&c, "\r\n"));
    CHECK(cl_send(&c, "1f4\r\n") && cl_send_n(&c, big, 500) && cl_send(&c, "\r\n"));
    CHECK(cl_send(&c, "2\r\n"));
    CHECK(cl_response(&c, &r));
    CHECK(r.status == 413 && cl_closed(&c));
    cl_close(&c);
    CHECK(atomic_load(&fx->handled) == 1);
}

static void test_body_limit_413(void **state)
{
    struct pcol_http_server_opts o = {.max_body_bytes = 1000};

    PCOL_UNUSED(state);
    fx_run(fx_start(&o), client_body_limit);
}

static void client_header_limit(struct fx *fx)
{
    struct cl c;
    struct resp r;
    char *req = malloc(20000);
    int n = snprintf(req, 20000, "GET /a HTTP/1.1\r\nHost: t\r\nX-Big: ");

    memset(req + n, 'a', 19000);
    memcpy(req + n + 19000, "\r\n\r\n", 5);
    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, req, &r));
    CHECK(r.status == 431 && body_has(&r, "over the limit of 16384 bytes"));
    CHECK(cl_closed(&c));
    cl_close(&c);
    /* Just under the limit is fine. */
    n = snprintf(req, 20000, "GET /a HTTP/1.1\r\nX-Big: ");
    memset(req + n, 'a', 16383 - (size_t)n - 4);
    memcpy(req + 16383 - 4, "\r\n\r\n", 5);
    CHECK(strlen(req) == 16383);
    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, req, &r));
    CHECK(r.status == 200);
    cl_close(&c);
    free(req);
}

static void test_header_limit_431(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_header_limit);
}

static void expect_400(struct fx *fx, const char *request, const char *why)
{
    struct cl c;
    struct resp r;

    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, request, &r));
    CHECK(r.status == 400 && resp_has(&r, "connection", "close"));
    CHECK(body_has(&r, why));
    CHECK(cl_closed(&c));
    cl_close(&c);
}

static void client_bad_requests(struct fx *fx)
{
    expect_400(fx,
               "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
               "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
               "Content-Length can't be present with Transfer-Encoding");
    expect_400(fx, "HELLO\r\n\r\n", "malformed request");
    /* llhttp's loose mode lets the space through; the server does not. */
    expect_400(fx, "GET /a HTTP/1.1\r\nBad Header: x\r\n\r\n", "invalid character in header name");
    expect_400(fx, "GET /a HTTP/1.1\r\nX(y): 1\r\n\r\n", "malformed request");
    expect_400(fx, "POST /a HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", "malformed request");
    expect_400(fx, "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
               "malformed request");
    CHECK(atomic_load(&fx->handled) == 0);
}

static void test_bad_requests_400(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_bad_requests);
}

static void client_continue(struct fx *fx)
{
    struct cl c;
    struct resp r;

    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_send(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                      "Content-Length: 5\r\n\r\n"));
    CHECK(cl_response(&c, &r));
    CHECK(r.status == 100 && r.body_len == 0);
    CHECK(roundtrip(&c, "hello", &r));
    CHECK(r.status == 200 && body_is(&r, "POST /echo ? len=5 ua=-\nhello"));
    /* No body, no 100. */
    CHECK(roundtrip(&c, "GET /a HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n", &r));
    CHECK(r.status == 200);
    cl_close(&c);
}

static void test_expect_continue(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_continue);
}

static void client_idle(struct fx *fx)
{
    struct cl c;
    struct resp r;
    time_t t0 = time(NULL);

    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_closed(&c));
    cl_close(&c);
    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n", &r));
    CHECK(r.status == 200);
    CHECK(cl_closed(&c));
    cl_close(&c);
    CHECK(time(NULL) - t0 < 4);
}

static void test_idle_timeout(void **state)
{
    struct pcol_http_server_opts o = {.idle_timeout_ms = 150};

    PCOL_UNUSED(state);
    fx_run(fx_start(&o), client_idle);
}

static void client_request_timeout(struct fx *fx)
{
    struct cl c;
    struct resp r;

    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_send(&c, "GET /a HTTP/1.1\r\nHost: t\r\n"));
    CHECK(cl_response(&c, &r));
    CHECK(r.status == 408 && resp_has(&r, "connection", "close"));
    CHECK(cl_closed(&c));
    cl_close(&c);
    /* A body that stops half way. */
    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_send(&c, "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
    CHECK(cl_response(&c, &r));
    CHECK(r.status == 408 && cl_closed(&c));
    cl_close(&c);
    /* A prefix of the HTTP/2 preface is a request arriving too. */
    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_send(&c, "PRI * HT"));
    CHECK(cl_closed(&c));
    cl_close(&c);
}

static void test_request_timeout_408(void **state)
{
    struct pcol_http_server_opts o = {.idle_timeout_ms = 10000, .request_timeout_ms = 150};

    PCOL_UNUSED(state);
    fx_run(fx_start(&o), client_request_timeout);
}

static void client_disconnect(struct fx *fx)
{
    struct cl c;

    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_send(&c, "POST /later HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"));
    wait_for(&fx->handled, 1);
    cl_abort(&c);
    wait_for(&fx->responded, 1);
    /* Still serving others. */
    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_send(&c, "POST /later HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"));
    wait_for(&fx->handled, 2);
    cl_close(&c);
}

static void test_client_disconnect(void **state)
{
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(NULL);
    fx->later_ms = 100;
    fx_run(fx, client_disconnect);
    assert_true(fx->respond_rc == 0 || fx->respond_rc == PCOL_EIO);
}

static void client_max_connections(struct fx *fx)
{
    struct cl a, b, c;
    struct resp r;
    int i;
    bool ok = false;

    CHECK(cl_connect(&a, fx->port) && roundtrip(&a, "GET /a HTTP/1.1\r\n\r\n", &r));
    CHECK(cl_connect(&b, fx->port) && roundtrip(&b, "GET /a HTTP/1.1\r\n\r\n", &r));
    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_closed(&c));
    cl_close(&c);
    cl_close(&a);
    /* The server notices the close on its next loop turn. */
    for (i = 0; i < 100 && !ok; i++) {
        ok = cl_connect(&c, fx->port) && roundtrip(&c, "GET /a HTTP/1.1\r\n\r\n", &r) &&
             r.status == 200;
        cl_close(&c);
        sleep_ms(10);
    }
    CHECK(ok);
    cl_close(&b);
}

static void test_max_connections(void **state)
{
    struct pcol_http_server_opts o = {.max_connections = 2};
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(&o);
    fx_run(fx, client_max_connections);
    assert_true(fx_logged(fx, "max_connections (2) reached"));
}

static void client_h2_preface(struct fx *fx)
{
    struct cl c;

    CHECK(cl_connect(&c, fx->port));
    CHECK(cl_send(&c, "PRI * HTTP/2.0\r\n"));
    CHECK(cl_quiet(&c, 100));
    CHECK(cl_send(&c, "\r\nSM\r\n\r\n"));
    /* The HTTP/2 back-end (tested in test_http2) answers with its SETTINGS frame. */
    while (c.len < 9 && cl_fill(&c)) {
    }
    CHECK(c.len >= 9 && c.buf[3] == 0x4);
    cl_close(&c);
}

static void test_h2_preface_selects_http2(void **state)
{
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(NULL);
    fx_run(fx, client_h2_preface);
}

static void client_query(struct fx *fx)
{
    struct cl c;
    struct resp r;

    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c,
                    "GET /query?name=app%2Ecpu%7Bfoo%3Dbar%7D&x=a+b&empty=&flag&bad=%zz"
                    "&long=0123456789&na%6De2=v HTTP/1.1\r\nHost: t\r\nX-TEST:   v w  \r\n\r\n",
                    &r));
    CHECK(r.status == 200);
    CHECK(body_is(&r, "path=/query query=name=app%2Ecpu%7Bfoo%3Dbar%7D&x=a+b&empty=&flag"
                      "&bad=%zz&long=0123456789&na%6De2=v x-test=[v w]\n"
                      "name=16:app.cpu{foo=bar}\n"
                      "x=3:a b\n"
                      "empty=0:\n"
                      "flag=0:\n"
                      "missing=-2:\n"
                      "bad=-22:\n"
                      "long=-34:\n"
                      "name2=1:v\n"));
    cl_close(&c);
}

static void test_query_and_headers(void **state)
{
    PCOL_UNUSED(state);
    fx_run(fx_start(NULL), client_query);
}

static void client_graceful(struct fx *fx)
{
    struct cl idle, busy, late;
    struct resp r;

    CHECK(cl_connect(&idle, fx->port));
    CHECK(roundtrip(&idle, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n", &r) && r.status == 200);
    CHECK(cl_connect(&busy, fx->port));
    CHECK(roundtrip(&busy, "POST /later HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok", &r));
    CHECK(r.status == 200 && body_is(&r, "late:ok"));
    CHECK(resp_has(&r, "connection", "close"));
    CHECK(cl_closed(&busy));
    CHECK(cl_closed(&idle));
    CHECK(!cl_connect(&late, fx->port));
    cl_close(&busy);
    cl_close(&idle);
}

static void test_graceful_close(void **state)
{
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(NULL);
    fx->close_in_handler = true;
    fx->later_ms = 100;
    fx_run(fx, client_graceful);
    assert_int_equal(fx->respond_rc, 0);
}

static void run_curl(struct fx *fx, const char *extra)
{
    char cmd[1024], out[256] = "";
    FILE *p;
    size_t n;

    snprintf(cmd, sizeof(cmd),
             "curl -sS --noproxy '*' --max-time 20 -H 'Content-Type: application/x-protobuf' "
             "%s --data-binary @%s http://127.0.0.1:%d/upload 2>&1",
             extra, tu_corpus_path(CORPUS_FILE), fx->port);
    p = popen(cmd, "r");
    CHECK(p != NULL);
    if (!p) {
        return;
    }
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    CHECK(pclose(p) == 0);
    snprintf(cmd, sizeof(cmd), "ok %zu", fx->expect.len);
    CHECK(strcmp(out, cmd) == 0);
}

static void client_curl(struct fx *fx)
{
    run_curl(fx, "");
    run_curl(fx, "-H 'Transfer-Encoding: chunked'");
}

static void test_curl_upload(void **state)
{
    struct fx *fx;

    PCOL_UNUSED(state);
    fx = fx_start(NULL);
    tu_read_corpus(CORPUS_FILE, &fx->expect);
    fx_run(fx, client_curl);
    assert_int_equal(atomic_load(&fx->handled), 2);
}

static void json_error(void *data, int status, const char *message, struct pcol_buf *body,
                       const char **content_type)
{
    PCOL_UNUSED(data);
    pcol_buf_printf(body, "{\"code\":%d,\"message\":\"%s\"}", status, message);
    *content_type = "application/json";
}

static void client_error_body(struct fx *fx)
{
    struct cl c;
    struct resp r;

    CHECK(cl_connect(&c, fx->port));
    CHECK(roundtrip(&c, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", &r));
    CHECK(r.status == 404 && resp_has(&r, "content-type", "application/json"));
    CHECK(body_is(&r, "{\"code\":404,\"message\":\"no route for /nope\"}"));
    CHECK(roundtrip(&c, "GARBAGE\r\n\r\n", &r));
    CHECK(r.status == 400 && body_has(&r, "{\"code\":400,\"message\":\"malformed request"));
    cl_close(&c);
}

static void test_custom_error_body(void **state)
{
    struct pcol_http_server_opts o = {.error_body = json_error};

    PCOL_UNUSED(state);
    fx_run(fx_start(&o), client_error_body);
}

static void on_closed_count(void *data)
{
    (*(int *)data)++;
}

static void test_api_errors(void **state)
{
    uv_loop_t loop;
    struct pcol_http_server *a, *b;
    struct pcol_err err = {{0}};
    int closed = 0;

    PCOL_UNUSED(state);
    assert_int_equal(uv_loop_init(&loop), 0);
    a = pcol_http_server_create(&loop, NULL);
    b = pcol_http_server_create(&loop, NULL);
    assert_int_equal(pcol_http_server_port(a), PCOL_ENOENT);
    assert_int_equal(pcol_http_route(a, "GET", "/x", h_query, NULL, 0), 0);
    assert_int_equal(pcol_http_route(a, "GET", "/x", h_query, NULL, 0), PCOL_EINVAL);
    assert_int_equal(pcol_http_route(a, "POST", "/x", h_query, NULL, 0), 0);
    assert_int_equal(pcol_http_route(a, NULL, "/y", h_query, NULL, 0), 0);
    assert_int_equal(pcol_http_route(a, NULL, "/y", h_query, NULL, 0), PCOL_EINVAL);
    assert_int_equal(pcol_http_route(a, "GET", "x", h_query, NULL, 0), PCOL_EINVAL);
    assert_int_equal(pcol_http_server_listen(a, "127.0.0.1", 0, &err), 0);
    assert_int_equal(pcol_http_server_listen(a, "127.0.0.1", 0, &err), PCOL_EINVAL);
    assert_int_equal(
        pcol_http_server_listen(b, "127.0.0.1", (uint16_t)pcol_http_server_port(a), &err),
        PCOL_EIO);
    assert_non_null(strstr(err.msg, "address already in use"));
    /* Closing works whether or not a server ever listened. */
    pcol_http_server_close(a, on_closed_count, &closed);
    pcol_http_server_close(b, on_closed_count, &closed);
    assert_int_equal(closed, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(closed, 2);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_errors),
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_async_response),
        cmocka_unit_test(test_body_limit_413),
        cmocka_unit_test(test_header_limit_431),
        cmocka_unit_test(test_bad_requests_400),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_request_timeout_408),
        cmocka_unit_test(test_client_disconnect),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_h2_preface_selects_http2),
        cmocka_unit_test(test_query_and_headers),
        cmocka_unit_test(test_graceful_close),
        cmocka_unit_test(test_custom_error_body),
        cmocka_unit_test(test_curl_upload),
    };

    /* As in the service: a write to a reset socket must fail, not kill. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, fx_free_logs);
}
