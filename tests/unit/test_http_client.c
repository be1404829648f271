/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_http_client.c: the HTTP client against profcol's own HTTP server
 * (HTTP/1.1 and HTTP/2 on one port) on 127.0.0.1, both on one private
 * loop in the test thread: keep-alive reuse, request timeouts that leave
 * the connection usable (HTTP/2) or close it (HTTP/1.1), the response size
 * limit, many HTTP/2 streams on one connection with trailers, connect
 * failures and the origin's backoff, closing with requests in flight,
 * keep-alive PINGs (answered, and unanswered by a silent peer), and TLS
 * with ALPN for both protocols (certificates made by the `openssl` CLI in a
 * scratch directory; a wrong CA is refused). Every test ends with
 * uv_loop_close() == 0, so no handle leaks.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "http_server.h"
#include "tls.h"

#include <signal.h>
#include <stdarg.h>

#define WATCHDOG_MS 20000
#define N_STREAMS 20

struct fx {
    uv_loop_t loop;
    uv_timer_t watchdog;
    uv_timer_t later; /* answers the held request */
    uv_tcp_t silent;  /* accepts connections and never answers */
    uv_tcp_t silent_conn;
    bool silent_open, silent_accepted;
    struct pcol_tls_ctx *srv_tls;
    struct pcol_http_server *srv;
    struct pcol_http_client *cli;
    uint16_t port;
    struct pcol_http_request *held;
    int done;                       /* callbacks that ran */
    int want;                       /* callbacks the test waits for */
    char remote[N_STREAMS + 2][64]; /* client address seen per request */
    int n_remote;
};

/* What one callback saw, copied out of the borrowed response. */
struct seen {
    struct fx *fx;
    int error;
    bool timed_out;
    int status;
    char msg[200];
    char x_echo[64];
    char trailer[64];
    struct pcol_buf body;
};

static void seen_free(struct seen *s)
{
    pcol_buf_free(&s->body);
}

/* ---- server routes ----------------------------------------------------------- */

static void record_remote(struct fx *fx, const struct pcol_http_request *req)
{
    if (fx->n_remote < (int)PCOL_ARRAY_SIZE(fx->remote)) {
        snprintf(fx->remote[fx->n_remote++], sizeof(fx->remote[0]), "%s", req->remote);
    }
}

static void h_echo(struct pcol_http_request *req, void *data)
{
    record_remote(data, req);
    pcol_http_response_header(req, "X-Echo", req->method);
    if (req->protocol == PCOL_HTTP_2) {
        pcol_http_response_trailer(req, "grpc-status", "0");
    }
    pcol_http_respond(req, 200, "application/octet-stream", req->body, req->body_len);
}

static void h_slow(struct pcol_http_request *req, void *data)
{
    struct fx *fx = data;

    fx->held = req;
}

static void h_big(struct pcol_http_request *req, void *data)
{
    static char big[100000];

    PCOL_UNUSED(data);
    pcol_http_respond(req, 200, "text/plain", big, sizeof(big));
}

static void on_later(uv_timer_t *t)
{
    struct fx *fx = PCOL_CONTAINER_OF(t, struct fx, later);

    if (fx->held) {
        pcol_http_respond(fx->held, 200, "text/plain", "late", 4);
        fx->held = NULL;
    }
}

static void on_watchdog(uv_timer_t *t)
{
    PCOL_UNUSED(t);
    fail_msg("watchdog: the test hung");
}

static struct pcol_tls_ctx *client_tls(const char *ca, const char *alpn)
{
    const char *list[] = {alpn, NULL};
    struct pcol_tls_settings s = {.ca_file = tu_cert(ca)};
    struct pcol_err err = {{0}};
    struct pcol_tls_ctx *ctx = pcol_tls_ctx_create_client(&s, list, &err);

    if (!ctx) {
        fail_msg("client TLS context: %s", err.msg);
    }
    return ctx;
}

static int fx_setup(void **state, bool tls)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    struct pcol_http_client_opts co = {.max_response_bytes = 50000, .log_who = "test"};
    struct pcol_http_server_opts so = {0};
    struct pcol_tls_settings ss = {0};
    struct pcol_err err = {{0}};

    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->watchdog);
    uv_timer_start(&fx->watchdog, on_watchdog, WATCHDOG_MS, 0);
    uv_unref((uv_handle_t *)&fx->watchdog);
    uv_timer_init(&fx->loop, &fx->later);
    if (tls) {
        ss.cert_file = tu_cert("server.crt");
        ss.key_file = tu_cert("server.key");
        fx->srv_tls = pcol_tls_ctx_create_server(&ss, pcol_http_server_alpn, &err);
        assert_non_null(fx->srv_tls);
        so.tls = fx->srv_tls;
    }
    fx->srv = pcol_http_server_create(&fx->loop, &so);
    assert_int_equal(pcol_http_server_listen(fx->srv, "127.0.0.1", 0, &err), 0);
    fx->port = (uint16_t)pcol_http_server_port(fx->srv);
    pcol_http_route(fx->srv, NULL, "/echo", h_echo, fx, 0);
    pcol_http_route(fx->srv, NULL, "/slow", h_slow, fx, 0);
    pcol_http_route(fx->srv, NULL, "/big", h_big, fx, 0);
    fx->cli = pcol_http_client_create(&fx->loop, &co);
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    return fx_setup(state, false);
}

static int setup_tls(void **state)
{
    return fx_setup(state, true);
}

static void on_client_closed(void *data)
{
    struct fx *fx = data;

    fx->cli = NULL;
}

static void on_server_closed(void *data)
{
    struct fx *fx = data;

    fx->srv = NULL;
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    on_later(&fx->later);
    if (fx->cli) {
        pcol_http_client_close(fx->cli, on_client_closed, fx);
    }
    pcol_http_server_close(fx->srv, on_server_closed, fx);
    pcol_tls_ctx_unref(fx->srv_tls);
    if (fx->silent_open) {
        uv_close((uv_handle_t *)&fx->silent, NULL);
    }
    if (fx->silent_accepted) {
        uv_close((uv_handle_t *)&fx->silent_conn, NULL);
    }
    uv_close((uv_handle_t *)&fx->later, NULL);
    uv_close((uv_handle_t *)&fx->watchdog, NULL);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_null(fx->cli);
    assert_null(fx->srv);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    free(fx);
    return 0;
}

/* Runs the loop until `want` callbacks have run. */
static void run_until(struct fx *fx, int want)
{
    fx->want = want;
    uv_ref((uv_handle_t *)&fx->watchdog);
    while (fx->done < fx->want) {
        uv_run(&fx->loop, UV_RUN_ONCE);
    }
    uv_unref((uv_handle_t *)&fx->watchdog);
}

static void on_resp(void *data, const struct pcol_http_client_resp *resp)
{
    struct seen *s = data;
    const char *v;

    s->error = resp->error;
    s->timed_out = resp->timed_out;
    s->status = resp->status;
    if (resp->error_msg) {
        snprintf(s->msg, sizeof(s->msg), "%s", resp->error_msg);
    }
    v = pcol_http_client_header(resp->headers, resp->n_headers, "x-echo");
    snprintf(s->x_echo, sizeof(s->x_echo), "%s", v ? v : "");
    v = pcol_http_client_header(resp->trailers, resp->n_trailers, "grpc-status");
    snprintf(s->trailer, sizeof(s->trailer), "%s", v ? v : "");
    pcol_buf_append(&s->body, resp->body, resp->body_len);
    s->fx->done++;
}

static struct pcol_http_client_req req_to(struct fx *fx, const char *path, bool h2)
{
    static const struct pcol_http_header hdrs[] = {{"Content-Type", "text/plain"}};
    struct pcol_http_client_req r = {
        .host = "127.0.0.1",
        .port = fx->port,
        .h2 = h2,
        .method = "POST",
        .path = path,
        .headers = hdrs,
        .n_headers = 1,
        .timeout_ms = 5000,
    };

    return r;
}

static void start(struct fx *fx, const struct pcol_http_client_req *r, struct seen *s)
{
    struct pcol_err err = {{0}};

    s->fx = fx;
    assert_int_equal(pcol_http_client_request(fx->cli, r, on_resp, s, &err), 0);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_h1_echo_and_reuse(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r = req_to(fx, "/echo", false);
    struct seen a = {0}, b = {0};

    r.body = (const uint8_t *)"hello";
    r.body_len = 5;
    start(fx, &r, &a);
    run_until(fx, 1);
    assert_int_equal(a.error, 0);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.x_echo, "POST");
    assert_int_equal(a.body.len, 5);
    assert_memory_equal(a.body.p, "hello", 5);
    start(fx, &r, &b);
    run_until(fx, 2);
    assert_int_equal(b.status, 200);
    /* Keep-alive: the second request came from the same client port. */
    assert_int_equal(fx->n_remote, 2);
    assert_string_equal(fx->remote[0], fx->remote[1]);
    seen_free(&a);
    seen_free(&b);
}

static void test_h1_timeout(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r = req_to(fx, "/slow", false);
    struct seen a = {0}, b = {0};

    r.timeout_ms = 100;
    start(fx, &r, &a);
    run_until(fx, 1);
    assert_int_equal(a.error, PCOL_EIO);
    assert_true(a.timed_out);
    assert_non_null(strstr(a.msg, "100 ms"));
    on_later(&fx->later);
    /* A fresh connection serves the next request. */
    r = req_to(fx, "/echo", false);
    start(fx, &r, &b);
    run_until(fx, 2);
    assert_int_equal(b.status, 200);
    seen_free(&a);
    seen_free(&b);
}

static void test_response_limit(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r1 = req_to(fx, "/big", false);
    struct pcol_http_client_req r2 = req_to(fx, "/big", true);
    struct seen a = {0}, b = {0};

    start(fx, &r1, &a);
    start(fx, &r2, &b);
    run_until(fx, 2);
    assert_int_equal(a.error, PCOL_ERANGE);
    assert_int_equal(b.error, PCOL_ERANGE);
    seen_free(&a);
    seen_free(&b);
}

static void test_h2_streams_and_trailers(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r = req_to(fx, "/echo", true);
    struct seen s[N_STREAMS];
    char bodies[N_STREAMS][16];
    int i;

    memset(s, 0, sizeof(s));
    for (i = 0; i < N_STREAMS; i++) {
        snprintf(bodies[i], sizeof(bodies[i]), "stream %d", i);
        r.body = (const uint8_t *)bodies[i];
        r.body_len = strlen(bodies[i]);
        start(fx, &r, &s[i]);
    }
    run_until(fx, N_STREAMS);
    for (i = 0; i < N_STREAMS; i++) {
        assert_int_equal(s[i].error, 0);
        assert_int_equal(s[i].status, 200);
        assert_string_equal(s[i].x_echo, "POST");
        assert_string_equal(s[i].trailer, "0");
        assert_int_equal(s[i].body.len, strlen(bodies[i]));
        assert_memory_equal(s[i].body.p, bodies[i], s[i].body.len);
        seen_free(&s[i]);
    }
    /* One connection carried every stream. */
    assert_int_equal(fx->n_remote, N_STREAMS);
    for (i = 1; i < N_STREAMS; i++) {
        assert_string_equal(fx->remote[0], fx->remote[i]);
    }
}

static void test_h2_timeout_keeps_connection(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r = req_to(fx, "/slow", true);
    struct seen a = {0}, b = {0};

    r.timeout_ms = 100;
    start(fx, &r, &a);
    run_until(fx, 1);
    assert_true(a.timed_out);
    on_later(&fx->later);
    r = req_to(fx, "/echo", true);
    start(fx, &r, &b);
    run_until(fx, 2);
    assert_int_equal(b.status, 200);
    assert_int_equal(fx->n_remote, 1);
    seen_free(&a);
    seen_free(&b);
}

static void test_refused_then_backoff(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r = req_to(fx, "/echo", true);
    struct pcol_err err = {{0}};
    struct seen a = {0};

    /* Port 1 on loopback: nothing listens there in a test sandbox. */
    r.port = 1;
    start(fx, &r, &a);
    run_until(fx, 1);
    assert_int_equal(a.error, PCOL_EIO);
    assert_false(a.timed_out);
    assert_non_null(strstr(a.msg, "refused"));
    /* The origin backs off: the next request fails at once, without a callback. */
    assert_int_equal(pcol_http_client_request(fx->cli, &r, on_resp, &a, &err), PCOL_EIO);
    assert_non_null(strstr(err.msg, "next attempt in"));
    seen_free(&a);
}

static void test_bad_requests(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r = req_to(fx, "/echo", false);
    struct pcol_http_header evil = {"x-evil", "a\r\nb: c"};
    struct pcol_err err = {{0}};
    struct seen a = {0};

    r.headers = &evil;
    assert_int_equal(pcol_http_client_request(fx->cli, &r, on_resp, &a, &err), PCOL_EINVAL);
    r = req_to(fx, "no-slash", false);
    assert_int_equal(pcol_http_client_request(fx->cli, &r, on_resp, &a, &err), PCOL_EINVAL);
    assert_int_equal(fx->done, 0);
}

static void test_close_fails_in_flight(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r1 = req_to(fx, "/slow", true);
    struct pcol_http_client_req r2 = req_to(fx, "/echo", false);
    struct pcol_err err = {{0}};
    struct seen a = {0}, b = {0};

    start(fx, &r1, &a);
    while (!fx->held) {
        uv_run(&fx->loop, UV_RUN_ONCE);
    }
    start(fx, &r2, &b);
    pcol_http_client_close(fx->cli, on_client_closed, fx);
    assert_int_equal(pcol_http_client_request(fx->cli, &r2, on_resp, &b, &err), PCOL_EIO);
    run_until(fx, 2);
    assert_int_equal(a.error, PCOL_EIO);
    assert_int_equal(b.error, PCOL_EIO);
    assert_non_null(strstr(a.msg, "closing"));
    while (fx->cli) {
        uv_run(&fx->loop, UV_RUN_ONCE);
    }
    seen_free(&a);
    seen_free(&b);
}

static void on_silent_conn(uv_stream_t *listener, int status)
{
    struct fx *fx = PCOL_CONTAINER_OF((uv_tcp_t *)listener, struct fx, silent);

    assert_int_equal(status, 0);
    assert_false(fx->silent_accepted);
    uv_tcp_init(&fx->loop, &fx->silent_conn);
    fx->silent_accepted = true;
    assert_int_equal(uv_accept(listener, (uv_stream_t *)&fx->silent_conn), 0);
}

/* A peer that accepts and then says nothing: the unanswered PING ends the
 * connection and the request on it, though the request has no timeout. */
static void test_h2_ping_unanswered(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_opts co = {.ping_interval_ms = 50, .ping_timeout_ms = 100};
    struct pcol_http_client_req r = req_to(fx, "/echo", true);
    struct pcol_http_client *cli = pcol_http_client_create(&fx->loop, &co);
    struct sockaddr_in sa;
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    struct pcol_err err = {{0}};
    struct seen a = {.fx = fx};
    uint64_t t0;

    uv_tcp_init(&fx->loop, &fx->silent);
    fx->silent_open = true;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    assert_int_equal(uv_tcp_bind(&fx->silent, (const struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&fx->silent, 4, on_silent_conn), 0);
    uv_tcp_getsockname(&fx->silent, (struct sockaddr *)&bound, &len);
    r.port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    r.timeout_ms = 0;
    t0 = uv_now(&fx->loop);
    assert_int_equal(pcol_http_client_request(cli, &r, on_resp, &a, &err), 0);
    run_until(fx, 1);
    assert_int_equal(a.error, PCOL_EIO);
    assert_non_null(strstr(a.msg, "PING not answered"));
    assert_true(uv_now(&fx->loop) - t0 >= 140);
    pcol_http_client_close(cli, NULL, NULL);
    seen_free(&a);
}

/* PINGs that are answered keep the connection: both requests share it. */
static void test_h2_ping_answered(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_opts co = {
        .ping_interval_ms = 20,
        .ping_timeout_ms = 1000,
        .ping_without_streams = true,
    };
    struct pcol_http_client_req r = req_to(fx, "/echo", true);
    struct pcol_http_client *cli = pcol_http_client_create(&fx->loop, &co);
    struct pcol_err err = {{0}};
    struct seen a = {.fx = fx}, b = {.fx = fx};
    uint64_t until;

    assert_int_equal(pcol_http_client_request(cli, &r, on_resp, &a, &err), 0);
    run_until(fx, 1);
    until = uv_now(&fx->loop) + 200;
    uv_ref((uv_handle_t *)&fx->watchdog);
    while (uv_now(&fx->loop) < until) {
        uv_run(&fx->loop, UV_RUN_NOWAIT);
        uv_sleep(5);
        uv_update_time(&fx->loop);
    }
    assert_int_equal(pcol_http_client_request(cli, &r, on_resp, &b, &err), 0);
    run_until(fx, 2);
    assert_int_equal(a.status, 200);
    assert_int_equal(b.status, 200);
    assert_int_equal(fx->n_remote, 2);
    assert_string_equal(fx->remote[0], fx->remote[1]);
    pcol_http_client_close(cli, NULL, NULL);
    seen_free(&a);
    seen_free(&b);
}

/* TLS to the server, HTTP/1.1 or HTTP/2 as ALPN agrees. */
static void test_tls_both_protocols(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r1 = req_to(fx, "/echo", false);
    struct pcol_http_client_req r2 = req_to(fx, "/echo", true);
    struct pcol_tls_ctx *h1 = client_tls("ca1.crt", "http/1.1");
    struct pcol_tls_ctx *h2 = client_tls("ca1.crt", "h2");
    struct seen a = {0}, b = {0};

    r1.tls = h1;
    r2.tls = h2;
    r1.body = r2.body = (const uint8_t *)"secret";
    r1.body_len = r2.body_len = 6;
    start(fx, &r1, &a);
    start(fx, &r2, &b);
    /* The client holds its own references. */
    pcol_tls_ctx_unref(h1);
    pcol_tls_ctx_unref(h2);
    run_until(fx, 2);
    assert_int_equal(a.error, 0);
    assert_int_equal(a.status, 200);
    assert_int_equal(b.error, 0);
    assert_int_equal(b.status, 200);
    assert_string_equal(b.trailer, "0");
    assert_memory_equal(a.body.p, "secret", 6);
    assert_memory_equal(b.body.p, "secret", 6);
    seen_free(&a);
    seen_free(&b);
}

static void test_tls_wrong_ca(void **state)
{
    struct fx *fx = *state;
    struct pcol_http_client_req r = req_to(fx, "/echo", true);
    struct pcol_tls_ctx *ctx = client_tls("ca2.crt", "h2");
    struct pcol_err err = {{0}};
    struct seen a = {0};

    r.tls = ctx;
    start(fx, &r, &a);
    pcol_tls_ctx_unref(ctx);
    run_until(fx, 1);
    assert_int_equal(a.error, PCOL_EIO);
    assert_non_null(strstr(a.msg, "certificate verify failed"));
    /* A failed handshake counts as a failed connect: the origin backs off. */
    assert_int_equal(pcol_http_client_request(fx->cli, &r, on_resp, &a, &err), PCOL_EIO);
    assert_int_equal(fx->n_remote, 0);
    seen_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_h1_echo_and_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h1_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_streams_and_trailers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_timeout_keeps_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_then_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_fails_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_ping_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_h2_ping_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_both_protocols, setup_tls, teardown),
        cmocka_unit_test_setup_teardown(test_tls_wrong_ca, setup_tls, teardown),
    };

    /* libuv writes with write(): a peer that is gone must not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, tu_certs_make, tu_certs_remove);
}
