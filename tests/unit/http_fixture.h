/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_fixture.h: the server side the HTTP/1.1 and HTTP/2 tests share. The
 * server runs on a private loop in the test thread; each test's client runs
 * in a second thread (blocking sockets, an nghttp2 session, curl or
 * grpcio). Checks made on either thread are recorded with CHECK() and
 * asserted after the loop has ended; a watchdog aborts a test that hangs.
 *
 * A test file calls fx_init(), adds its routes with fx_route(), then
 * fx_listen() and fx_run(client). Handlers get the fixture as their data.
 */
#ifndef PCOL_HTTP_FIXTURE_H
#define PCOL_HTTP_FIXTURE_H

#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>

#include "http_server.h"

#define FX_MAX_HELD 64

void fx_check_at(bool ok, const char *file, int line, const char *expr);
#define CHECK(cond) fx_check_at((cond), __FILE__, __LINE__, #cond)

struct fx {
    uv_loop_t loop;
    uv_timer_t watchdog;
    uv_timer_t later; /* answers held requests */
    uv_async_t client_done;
    struct pcol_http_server *srv;
    int port;
    bool srv_closing;
    int closed; /* server close callbacks */
    void (*client)(struct fx *);
    pthread_t thread;
    atomic_int handled;
    uint64_t later_ms;
    bool close_in_handler;
    atomic_int respond_rc;  /* of the last held answer */
    struct pcol_buf expect; /* /upload: the body that must arrive */
    struct pcol_buf logs;   /* every line the server logged */
    /* held requests: one with its body taken (HTTP/1.1 tests) ... */
    struct pcol_http_request *held_one;
    uint8_t *held_body;
    size_t held_len;
    atomic_int responded;
    /* ... or several answered together (HTTP/2 tests) */
    struct pcol_http_request *held[FX_MAX_HELD];
    int n_held;
    int hold_until;      /* answer once this many are held */
    atomic_int max_held; /* most requests held at once */
};

/* The one fixture (tests run one at a time). */
extern struct fx the_fx;

/* Resets the fixture, starts the loop, timers and a server with `opts`
 * (may be NULL; its log goes to fx->logs); routes come next. */
struct fx *fx_init(const struct pcol_http_server_opts *opts);
void fx_route(struct fx *fx, const char *method, const char *path, pcol_http_handler h,
              size_t max_body);
/* Listens on 127.0.0.1 (a free port, in fx->port). */
void fx_listen(struct fx *fx);
/* Runs the client thread against the server until both are done, then
 * fails the test if a CHECK failed. */
void fx_run(struct fx *fx, void (*client)(struct fx *));
void fx_close_server(struct fx *fx);
bool fx_logged(struct fx *fx, const char *text);
/* cmocka group teardown. */
int fx_free_logs(void **state);

/* POST /upload: 200 "ok N" when the body equals fx->expect, else 400. */
void fx_h_upload(struct pcol_http_request *req, void *data);

void sleep_ms(long ms);

#endif
