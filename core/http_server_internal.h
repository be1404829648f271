/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_server_internal.h: the interface between http_server.c (listener,
 * connections, routes) and its protocol back-ends (http1.c, http2.c).
 * Receivers never include it: they use http_server.h.
 *
 * A connection owns its back-end state (create/destroy); a request handed to
 * a handler holds the connection alive (hold/release) until it is answered.
 */
#ifndef PCOL_HTTP_SERVER_INTERNAL_H
#define PCOL_HTTP_SERVER_INTERNAL_H

#include "http_server.h"

enum pcol__http_timer {
    PCOL__HTTP_TIMER_NONE,
    PCOL__HTTP_TIMER_IDLE,    /* waiting for a request or for the client to read */
    PCOL__HTTP_TIMER_REQUEST, /* a request is arriving; keeps its first deadline */
    PCOL__HTTP_TIMER_LINGER,  /* final response sent, draining before close */
};

/* A protocol back-end. Its state lives as long as the connection struct. */
struct pcol__http_proto {
    void *(*create)(struct pcol__http_conn *conn);
    /* Consumes received bytes and returns how many; fewer than `len` only
     * after the back-end paused the connection. */
    size_t (*feed)(void *st, const char *p, size_t len);
    void (*request_timeout)(void *st);
    /* True when no request is in progress, so a graceful stop may close. */
    bool (*idle)(void *st);
    /* Sends the answer; takes `body` when free_fn is set. */
    int (*respond)(void *st, struct pcol_http_request *req, int status, const char *content_type,
                   const void *body, size_t len, void (*free_fn)(void *));
    /* Graceful stop (NULL: close when idle, else after the response in
     * progress): tell the client, finish what is in progress, then close. */
    void (*shutdown)(void *st);
    void (*destroy)(void *st);
};

extern const struct pcol__http_proto pcol__http1_proto;
extern const struct pcol__http_proto pcol__http2_proto;

/* Chooses the back-end before any byte is fed (TLS: by ALPN), instead of
 * sniffing. Once per connection. */
void pcol__http_conn_set_proto(struct pcol__http_conn *conn, const struct pcol__http_proto *proto);
/* Writes bufs (borrowed until cb) to the client; cb(wr, status) runs once
 * unless this returns an error. The one write path of every back-end. */
int pcol__http_conn_write(struct pcol__http_conn *conn, uv_write_t *wr, const uv_buf_t bufs[],
                          unsigned n, uv_write_cb cb);
uint64_t pcol__http_conn_request_timeout_ms(const struct pcol__http_conn *conn);

uv_stream_t *pcol__http_conn_stream(struct pcol__http_conn *conn);
const char *pcol__http_conn_remote(const struct pcol__http_conn *conn);
size_t pcol__http_conn_max_header_bytes(const struct pcol__http_conn *conn);
unsigned pcol__http_conn_max_streams(const struct pcol__http_conn *conn);
/* Stops feeding until pcol__http_conn_resume(); unconsumed bytes are kept. */
void pcol__http_conn_pause(struct pcol__http_conn *conn);
void pcol__http_conn_resume(struct pcol__http_conn *conn);
void pcol__http_conn_set_timer(struct pcol__http_conn *conn, enum pcol__http_timer kind);
/* Closes now. Idempotent. */
void pcol__http_conn_close(struct pcol__http_conn *conn);
/* Closes after a final response: shuts down writing and drains what the
 * client still sends for a moment, so the response is not lost to a reset. */
void pcol__http_conn_finish(struct pcol__http_conn *conn);
bool pcol__http_conn_closing(const struct pcol__http_conn *conn);
/* False once the server is stopping: the next response must close. */
bool pcol__http_conn_may_keep_alive(const struct pcol__http_conn *conn);
/* A request handed to a handler holds the connection struct alive. */
void pcol__http_conn_hold(struct pcol__http_conn *conn);
void pcol__http_conn_release(struct pcol__http_conn *conn);
void pcol__http_conn_log(const struct pcol__http_conn *conn, enum pcol_http_log_level level,
                         const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Resolves the route of a request whose method and path are set, and
 * returns the body limit that applies to it. */
size_t pcol__http_route_lookup(struct pcol_http_request *req);
/* Hands a complete request to its handler, or answers 404/405. */
void pcol__http_dispatch(struct pcol_http_request *req);
/* The server's error body for `status`; appends to `body`. */
void pcol__http_error_body(const struct pcol__http_conn *conn, int status, const char *message,
                           struct pcol_buf *body, const char **content_type);
/* The standard reason phrase of `status` ("Unknown" if none). */
const char *pcol__http_reason(int status);

#endif
