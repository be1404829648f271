/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_client.h: the one outbound HTTP client every exporter (and later the
 * scraper) uses, on the service's libuv loop. HTTP/1.1 requests have their
 * responses parsed by llhttp; HTTP/2 (prior knowledge, as gRPC uses) runs
 * on an nghttp2 client session that multiplexes every request to one
 * origin over one connection and reads response trailers.
 *
 * Connections are pooled per origin (host, port, TLS context, protocol): an
 * HTTP/1.1 connection carries one request at a time and goes back to the
 * pool when its response ends with keep-alive; an HTTP/2 connection takes
 * every request until the server sends GOAWAY. Idle connections close
 * after `idle_timeout_ms`. A failed connect makes the origin back off
 * (1 s, growing 1.6 times per failure up to 30 s, with jitter): until the
 * next attempt is due, requests to it fail at once instead of piling up
 * on a dead peer. HTTP/2 connections may send keep-alive PINGs and close
 * when one goes unanswered.
 *
 * Async rules (libuv's): pcol_http_client_request() either returns an
 * error and never calls its callback, or returns 0 and calls it exactly
 * once, from a later loop callback, never from inside that call (though the
 * callbacks of other requests on the same HTTP/2 connection may run there).
 *
 * Threading: loop thread only. The process must ignore SIGPIPE (service.c
 * does), as libuv writes with write().
 *
 * Ownership: the caller owns the loop; the client owns its connections,
 * timers and copies of request headers. The request body is borrowed until
 * the callback runs. The response passed to the callback, and everything
 * it points to, is borrowed for the duration of the callback.
 */
#ifndef PCOL_HTTP_CLIENT_H
#define PCOL_HTTP_CLIENT_H

#include "http_server.h"

#include <time.h>

struct pcol_http_client;
struct pcol_tls_ctx;

/* Zero fields take the defaults shown. */
struct pcol_http_client_opts {
    uint64_t connect_timeout_ms; /* DNS + TCP connect: 10 s */
    uint64_t idle_timeout_ms;    /* pooled connection with no request: 90 s, then closed */
    uint64_t ping_interval_ms;   /* HTTP/2: PING after this long without a frame; 0: never */
    uint64_t ping_timeout_ms;    /* unanswered PING closes the connection: 20 s */
    bool ping_without_streams;   /* also PING connections with no request in flight */
    size_t max_response_bytes;   /* body of one response: 4 MiB, else an error */
    const char *log_who;         /* log prefix ("exporter otlp/x"), borrowed; NULL: "http" */
};

/* One request, borrowed for the call except `body` (see above). */
struct pcol_http_client_req {
    const char *host; /* name or IP literal (IPv6 without brackets) */
    uint16_t port;
    /* TLS context (tls.h) made with ALPN "h2" for HTTP/2 or "http/1.1"; the
     * client keeps a reference. NULL: plain text. */
    struct pcol_tls_ctx *tls;
    bool h2;            /* HTTP/2 (prior knowledge in plain text); else HTTP/1.1 */
    const char *method; /* "POST" */
    const char *path;   /* with the query, e.g. "/v1development/profiles" */
    /* Extra headers. Host / :authority, Content-Length and User-Agent (unless
     * given here) are added by the client; names are lowercased for HTTP/2. */
    const struct pcol_http_header *headers;
    size_t n_headers;
    const uint8_t *body;
    size_t body_len;
    uint64_t timeout_ms; /* from the call until the whole response: 0 none */
};

/* What a request came to; `error` 0 means a complete response arrived. */
struct pcol_http_client_resp {
    int error;                              /* 0, PCOL_EIO (connect, reset, timeout, protocol) or
                                             * PCOL_ERANGE (response over max_response_bytes) */
    bool timed_out;                         /* the error was the request's timeout */
    const char *error_msg;                  /* one line when error != 0 */
    int status;                             /* HTTP status when error == 0 */
    const struct pcol_http_header *headers; /* names lowercase */
    size_t n_headers;
    const struct pcol_http_header *trailers; /* HTTP/2 trailers (gRPC status) */
    size_t n_trailers;
    const uint8_t *body;
    size_t body_len;
};

typedef void (*pcol_http_client_cb)(void *data, const struct pcol_http_client_resp *resp);
typedef void (*pcol_http_client_closed_cb)(void *data);

/* Creates a client on `loop` (borrowed; must outlive the client). `opts` is
 * copied (log_who stays borrowed); NULL means all defaults. */
struct pcol_http_client *pcol_http_client_create(uv_loop_t *loop,
                                                 const struct pcol_http_client_opts *opts);

/* Starts one request. Returns 0 and later calls cb(data, resp) once; or
 * returns PCOL_EINVAL (bad request: CR/LF in a header, no host) or PCOL_EIO
 * (the origin is backing off after failed connects, or the client is
 * closing) with the reason in `err`, and never calls cb. */
int pcol_http_client_request(struct pcol_http_client *c, const struct pcol_http_client_req *req,
                             pcol_http_client_cb cb, void *data, struct pcol_err *err);

/* Closes every connection and fails the requests still in flight (their
 * callbacks run with an error as the connections close), then frees the
 * client and calls done(data) (may be NULL); with nothing open that
 * happens before this returns. New requests are refused from now on. */
void pcol_http_client_close(struct pcol_http_client *c, pcol_http_client_closed_cb done,
                            void *data);

/* Value of the first header called `name` (lowercase) in a response's
 * headers or trailers, or NULL. */
const char *pcol_http_client_header(const struct pcol_http_header *h, size_t n, const char *name);

/* A Retry-After header value (delay-seconds or an IMF-fixdate such as
 * "Sun, 06 Nov 1994 08:49:37 GMT", read against `now`) in milliseconds,
 * capped at a day; 0 when absent, malformed or in the past. */
uint64_t pcol_http_retry_after_ms(const char *value, time_t now);

#endif
