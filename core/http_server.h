/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_server.h: the one HTTP server every receiver (and later the metrics
 * endpoint) uses. One server owns one listening socket; a receiver with two
 * endpoints creates two servers. Receivers register routes and get a
 * protocol-neutral request; they never learn which protocol carried it.
 * Cleartext connections are sniffed: the HTTP/2 client preface selects HTTP/2
 * (core/http2.c, on nghttp2), anything else is HTTP/1.1 (core/http1.c, the
 * only user of llhttp). Under HTTP/2 each stream is one request, and many may
 * be with handlers at once. A server given a TLS context (core/tls.h) speaks
 * TLS on every connection; ALPN then picks h2 or http/1.1, and without ALPN
 * the decrypted bytes are sniffed the same way.
 *
 * Threading: everything here runs on the loop thread that owns `loop`. The
 * process must ignore SIGPIPE (service.c does), as libuv writes with write().
 *
 * Ownership:
 * - The caller owns the loop; the server owns its sockets, timers, routes and
 *   connections, and frees itself in pcol_http_server_close().
 * - A request is owned by the server. The handler borrows it from the call
 *   until it answers with one of the pcol_http_respond*() functions, exactly
 *   once, from the handler itself or later from any loop callback. After that
 *   call the request pointer is invalid. A request whose client went away
 *   stays valid until it is answered; the answer is then dropped.
 * - The request body belongs to the request unless the handler takes it with
 *   pcol_http_request_take_body().
 */
#ifndef PCOL_HTTP_SERVER_H
#define PCOL_HTTP_SERVER_H

#include "buf.h"

#include <uv.h>

struct pcol_http_server;
struct pcol_http_request;
struct pcol__http_conn; /* internal: http_server_internal.h */
struct pcol_tls_ctx;    /* tls.h */
struct pcol__http_route;

enum pcol_http_log_level {
    PCOL_HTTP_LOG_DEBUG,
    PCOL_HTTP_LOG_INFO,
    PCOL_HTTP_LOG_WARN,
    PCOL_HTTP_LOG_ERROR,
};

/* One line of log text (no newline), borrowed for the call. */
typedef void (*pcol_http_log_cb)(void *data, enum pcol_http_log_level level, const char *msg);

/* Builds the body of a response the server makes itself (400, 404, 405, 408,
 * 413, 431, and pcol_http_respond_error()). Appends to `body` (empty on entry)
 * and sets `*content_type` to a string that outlives the call. `message` is
 * one line saying what is wrong. */
typedef void (*pcol_http_error_body_cb)(void *data, int status, const char *message,
                                        struct pcol_buf *body, const char **content_type);

/* Handler for one route; see the ownership rules above. */
typedef void (*pcol_http_handler)(struct pcol_http_request *req, void *data);

/* Called once when pcol_http_server_close() has closed every handle. */
typedef void (*pcol_http_closed_cb)(void *data);

/* Zero fields take the defaults shown. */
struct pcol_http_server_opts {
    size_t max_header_bytes;     /* request line + headers on the wire: 16 KiB, else 431 */
    size_t max_body_bytes;       /* de-chunked body: 20 MiB, else 413 (routes may override) */
    uint64_t idle_timeout_ms;    /* keep-alive connection with no request: 60 s, then closed */
    uint64_t request_timeout_ms; /* first byte to last byte of a request: 30 s, else 408 */
    /* Open connections; one more is accepted and closed at once (the client
     * sees a reset instead of waiting in the kernel backlog): 1024. */
    unsigned max_connections;
    unsigned max_concurrent_streams; /* HTTP/2 streams per connection: 100 */
    pcol_http_log_cb log;            /* NULL: the process log (log.h), as "[http]" */
    void *log_data;
    pcol_http_error_body_cb error_body; /* NULL: text/plain, the message and a newline */
    void *error_body_data;
    /* TLS on every connection; NULL: cleartext. Borrowed: the server takes
     * its own reference. Make it with pcol_http_server_alpn as the ALPN list. */
    struct pcol_tls_ctx *tls;
};

/* The protocols the server speaks, for pcol_tls_ctx_create_server(). */
extern const char *const pcol_http_server_alpn[];

/* Creates a server on `loop` (borrowed; must outlive the server). `opts` is
 * copied; NULL means all defaults. Returns NULL only if libuv refuses. */
struct pcol_http_server *pcol_http_server_create(uv_loop_t *loop,
                                                 const struct pcol_http_server_opts *opts);

/* Binds and listens on host:port (IPv4/IPv6 literal or a name; port 0 picks a
 * free port, see pcol_http_server_port()). Once per server. */
int pcol_http_server_listen(struct pcol_http_server *srv, const char *host, uint16_t port,
                            struct pcol_err *err);

/* The bound port, or PCOL_ENOENT before a successful listen. */
int pcol_http_server_port(const struct pcol_http_server *srv);

/* Routes `path` (exact match, query excluded) to `handler`. `method` NULL
 * accepts every method; otherwise a path known under other methods answers
 * 405 with Allow. `max_body_bytes` 0 keeps the server's limit. Strings are
 * copied. PCOL_EINVAL if the same method and path are already routed. */
int pcol_http_route(struct pcol_http_server *srv, const char *method, const char *path,
                    pcol_http_handler handler, void *data, size_t max_body_bytes);

/* Graceful stop: stops accepting, closes idle connections, lets requests in
 * progress finish (their responses carry Connection: close), then closes
 * everything, frees the server and calls done(data) once from a loop
 * callback (`done` may be NULL). Handlers must still answer what they hold.
 * Call once; never fails. */
void pcol_http_server_close(struct pcol_http_server *srv, pcol_http_closed_cb done, void *data);

enum pcol_http_protocol {
    PCOL_HTTP_1_0 = 10,
    PCOL_HTTP_1_1 = 11,
    PCOL_HTTP_2 = 20,
};

/* A request header; name lowercased, value with surrounding blanks removed. */
struct pcol_http_header {
    const char *name;
    const char *value;
};

/* Public fields are read-only for handlers and live as long as the request. */
struct pcol_http_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* raw (not percent-decoded), no query */
    const char *query;  /* raw text after '?', "" when none */
    const struct pcol_http_header *headers;
    size_t n_headers;
    uint8_t *body; /* de-chunked; NULL when empty */
    size_t body_len;
    enum pcol_http_protocol protocol;
    const char *remote; /* "203.0.113.7:51234" or "[::1]:51234" */

    /* Private to http_server.c and the protocol back-ends. */
    struct pcol__http_conn *conn_;
    const struct pcol__http_route *route_;
    int route_status_;              /* 0 routed, else 404 or 405 */
    struct pcol_buf resp_headers_;  /* extra response headers: "name\0value\0"... */
    struct pcol_buf resp_trailers_; /* response trailers, same layout (HTTP/2 only) */
    struct pcol_buf scratch_;       /* error bodies; reused per connection */
};

/* Value of the first header called `name` (any case), or NULL. */
const char *pcol_http_header(const struct pcol_http_request *req, const char *name);

/* Percent-decodes (and turns '+' into space) the first query parameter
 * called `name` into buf[size], NUL-terminated. Returns its length, PCOL_ENOENT
 * if absent, PCOL_ERANGE if it does not fit, PCOL_EINVAL for a bad escape. */
int pcol_http_query_get(const struct pcol_http_request *req, const char *name, char *buf,
                        size_t size);

/* Takes the body: the caller owns the returned heap block (release it with
 * free()) and the request's body becomes empty. NULL when there is none. */
uint8_t *pcol_http_request_take_body(struct pcol_http_request *req, size_t *len);

/* Adds a response header (copied) for the coming respond call, e.g.
 * Retry-After. PCOL_EINVAL if either string holds CR or LF. */
int pcol_http_response_header(struct pcol_http_request *req, const char *name, const char *value);

/* Adds a response trailer (copied), sent after the body, e.g. grpc-status.
 * HTTP/2 only: PCOL_ENOTSUP for an HTTP/1.x request (this server sends no
 * chunked trailers), PCOL_EINVAL if either string holds CR or LF. */
int pcol_http_response_trailer(struct pcol_http_request *req, const char *name, const char *value);

/* Answers the request and invalidates it. `content_type` may be NULL. The body
 * is borrowed and copied, so keep it small; see pcol_http_respond_take() for
 * large bodies. Returns 0, or PCOL_EIO when the client is gone and the answer
 * was dropped (the request is finished either way). */
int pcol_http_respond(struct pcol_http_request *req, int status, const char *content_type,
                      const void *body, size_t len);

/* Like pcol_http_respond() but sends `body` without copying: the server takes
 * it and calls free_fn(body) once it is written or dropped. */
int pcol_http_respond_take(struct pcol_http_request *req, int status, const char *content_type,
                           void *body, size_t len, void (*free_fn)(void *));

/* Answers with the server's error body (see pcol_http_error_body_cb). */
int pcol_http_respond_error(struct pcol_http_request *req, int status, const char *message);

#endif
