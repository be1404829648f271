/* SPDX-License-Identifier: Apache-2.0 */
/* http_fixture.c: the shared server side of the HTTP tests; see http_fixture.h. */
#include "http_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WATCHDOG_MS 30000

struct fx the_fx;

static pthread_mutex_t check_mu = PTHREAD_MUTEX_INITIALIZER;
static char check_failure[512];

void fx_check_at(bool ok, const char *file, int line, const char *expr)
{
    if (ok) {
        return;
    }
    pthread_mutex_lock(&check_mu);
    if (!check_failure[0]) {
        snprintf(check_failure, sizeof(check_failure), "%s:%d: %s", file, line, expr);
    }
    pthread_mutex_unlock(&check_mu);
}

static void fx_log(void *data, enum pcol_http_log_level level, const char *msg)
{
    struct fx *fx = data;

    PCOL_UNUSED(level);
    pcol_buf_printf(&fx->logs, "%s\n", msg);
}

static void on_srv_closed(void *data)
{
    struct fx *fx = data;

    fx->closed++;
    fx->srv = NULL;
    uv_close((uv_handle_t *)&fx->watchdog, NULL);
    uv_close((uv_handle_t *)&fx->later, NULL);
}

void fx_close_server(struct fx *fx)
{
    if (!fx->srv_closing) {
        fx->srv_closing = true;
        pcol_http_server_close(fx->srv, on_srv_closed, fx);
    }
}

void fx_h_upload(struct pcol_http_request *req, void *data)
{
    struct fx *fx = data;
    bool same =
        req->body_len == fx->expect.len && memcmp(req->body, fx->expect.p, fx->expect.len) == 0;
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "%s %zu", same ? "ok" : "mismatch", req->body_len);

    atomic_fetch_add(&fx->handled, 1);
    pcol_http_respond(req, same ? 200 : 400, "text/plain", msg, (size_t)n);
}

static void on_watchdog(uv_timer_t *t)
{
    PCOL_UNUSED(t);
    fprintf(stderr, "http test: watchdog: test hung for %d ms\n", WATCHDOG_MS);
    abort();
}

static void on_client_done(uv_async_t *a)
{
    struct fx *fx = PCOL_CONTAINER_OF(a, struct fx, client_done);

    uv_close((uv_handle_t *)a, NULL);
    fx_close_server(fx);
}

static void *client_main(void *arg)
{
    struct fx *fx = arg;

    fx->client(fx);
    uv_async_send(&fx->client_done);
    return NULL;
}

struct fx *fx_init(const struct pcol_http_server_opts *opts)
{
    struct fx *fx = &the_fx;
    struct pcol_http_server_opts o = {0};

    pcol_buf_free(&fx->logs);
    memset(fx, 0, sizeof(*fx));
    check_failure[0] = '\0';
    if (opts) {
        o = *opts;
    }
    o.log = fx_log;
    o.log_data = fx;
    fx->hold_until = 1;
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->watchdog);
    uv_timer_init(&fx->loop, &fx->later);
    uv_async_init(&fx->loop, &fx->client_done, on_client_done);
    uv_timer_start(&fx->watchdog, on_watchdog, WATCHDOG_MS, 0);
    fx->srv = pcol_http_server_create(&fx->loop, &o);
    assert_non_null(fx->srv);
    return fx;
}

void fx_route(struct fx *fx, const char *method, const char *path, pcol_http_handler h,
              size_t max_body)
{
    assert_int_equal(pcol_http_route(fx->srv, method, path, h, fx, max_body), 0);
}

void fx_listen(struct fx *fx)
{
    struct pcol_err err = {{0}};

    assert_int_equal(pcol_http_server_listen(fx->srv, "127.0.0.1", 0, &err), 0);
    fx->port = pcol_http_server_port(fx->srv);
    assert_true(fx->port > 0);
}

void fx_run(struct fx *fx, void (*client)(struct fx *))
{
    fx->client = client;
    assert_int_equal(pthread_create(&fx->thread, NULL, client_main, fx), 0);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    pthread_join(fx->thread, NULL);
    assert_int_equal(fx->closed, 1);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    pcol_buf_free(&fx->expect);
    if (check_failure[0]) {
        fail_msg("%s", check_failure);
    }
}

bool fx_logged(struct fx *fx, const char *text)
{
    pcol_buf_putc(&fx->logs, '\0');
    return strstr((const char *)fx->logs.p, text) != NULL;
}

int fx_free_logs(void **state)
{
    PCOL_UNUSED(state);
    pcol_buf_free(&the_fx.logs);
    return 0;
}

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}
