/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http1.c: the HTTP/1.1 back-end of http_server.c, on llhttp. The only file
 * that includes llhttp.h, so the parser can be swapped here alone.
 *
 * One request at a time per connection: when a request is complete the
 * connection is paused (pipelined bytes stay in the connection's read
 * buffer) until its response is written.
 *
 * Ownership: the connection owns one `struct h1`, created on its first bytes
 * and destroyed with it. The h1 embeds the request and the buffers the
 * request points into (head bytes, header array, response head), all reused
 * from request to request; only the body is allocated per request, and the
 * request owns it until answered or taken.
 */
#include "http_server_internal.h"

#include <llhttp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BODY_FIRST_CAP (16 * 1024)

enum h1_phase {
    H1_IDLE,     /* between requests */
    H1_HEAD,     /* request line and headers arriving */
    H1_BODY,     /* body arriving */
    H1_HANDLING, /* complete, with the handler */
    H1_WRITING,  /* response being written */
};

/* One header: offsets of its name and value in `head`. */
struct h1_field {
    size_t name;
    size_t value;
};

struct h1 {
    llhttp_t parser;
    struct pcol__http_conn *conn;
    struct pcol_http_request req;
    enum h1_phase phase;
    struct pcol_buf head;   /* url NUL, then name NUL value NUL ... */
    size_t mark;            /* start of the span being received in `head` */
    struct pcol_buf fields; /* struct h1_field[] */
    struct pcol_http_header *hdrs;
    size_t hdrs_cap;
    size_t head_bytes; /* wire bytes of the current head so far */
    size_t max_body;
    size_t body_cap;
    int fail_status; /* set by a callback that rejects the request */
    char fail_msg[160];
    bool keep_alive;
    struct pcol_buf out; /* response head, plus a copied body */
    uv_write_t continue_wr;
    uv_write_t resp_wr;
    void *taken; /* response body to free after the write */
    void (*taken_free)(void *);
    time_t date_at; /* second `date` was formatted for */
    char date[40];  /* "Date: ...\r\n" */
};

static struct h1 *h1_of(llhttp_t *p)
{
    return PCOL_CONTAINER_OF(p, struct h1, parser);
}

static int h1_reject(struct h1 *h1, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails the request from inside a callback; h1_feed answers it. */
static int h1_reject(struct h1 *h1, int status, const char *fmt, ...)
{
    va_list ap;

    h1->fail_status = status;
    va_start(ap, fmt);
    vsnprintf(h1->fail_msg, sizeof(h1->fail_msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- writing ---------------------------------------------------------- */

static void h1_on_written(uv_write_t *wr, int status)
{
    struct h1 *h1 = PCOL_CONTAINER_OF(wr, struct h1, resp_wr);
    struct pcol__http_conn *conn = h1->conn;

    if (h1->taken) {
        h1->taken_free(h1->taken);
        h1->taken = NULL;
    }
    if (status < 0) {
        if (status != UV_ECANCELED) {
            pcol__http_conn_log(conn, PCOL_HTTP_LOG_DEBUG, "write: %s", uv_strerror(status));
        }
        pcol__http_conn_close(conn);
        return;
    }
    if (!h1->keep_alive || !pcol__http_conn_may_keep_alive(conn)) {
        pcol__http_conn_finish(conn);
        return;
    }
    h1->phase = H1_IDLE;
    h1->head_bytes = 0;
    llhttp_resume(&h1->parser);
    pcol__http_conn_set_timer(conn, PCOL__HTTP_TIMER_IDLE);
    pcol__http_conn_resume(conn);
}

/* The Date header line, formatted at most once a second. */
static const char *h1_date(struct h1 *h1)
{
    time_t now = time(NULL);
    struct tm tm;

    if (now != h1->date_at) {
        gmtime_r(&now, &tm);
        strftime(h1->date, sizeof(h1->date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        h1->date_at = now;
    }
    return h1->date;
}

static void h1_put_head(struct h1 *h1, int status, const char *content_type, size_t len,
                        bool has_body)
{
    const struct pcol_buf *extra = &h1->req.resp_headers_;
    struct pcol_buf *out = &h1->out;
    size_t i = 0;

    out->len = 0;
    pcol_buf_printf(out, "HTTP/1.1 %d %s\r\n", status, pcol__http_reason(status));
    pcol_buf_puts(out, h1_date(h1));
    if (has_body) {
        if (content_type) {
            pcol_buf_printf(out, "Content-Type: %s\r\n", content_type);
        }
        pcol_buf_printf(out, "Content-Length: %zu\r\n", len);
    }
    if (!h1->keep_alive) {
        pcol_buf_puts(out, "Connection: close\r\n");
    } else if (h1->req.protocol == PCOL_HTTP_1_0) {
        pcol_buf_puts(out, "Connection: keep-alive\r\n");
    }
    while (i < extra->len) {
        const char *name = (const char *)extra->p + i;
        const char *value = name + strlen(name) + 1;

        pcol_buf_printf(out, "%s: %s\r\n", name, value);
        i = (size_t)(value + strlen(value) + 1 - (const char *)extra->p);
    }
    pcol_buf_puts(out, "\r\n");
}

/* Writes one response; takes `body` when free_fn is set. */
static int h1_send(struct h1 *h1, int status, const char *content_type, const void *body,
                   size_t len, void (*free_fn)(void *))
{
    bool has_body = status != 204 && status != 304;
    bool is_head = h1->req.method && strcmp(h1->req.method, "HEAD") == 0;
    uv_buf_t bufs[2];
    unsigned n = 1;
    int rc;

    h1_put_head(h1, status, content_type, has_body ? len : 0, has_body);
    if (has_body && !is_head && len) {
        if (free_fn) {
            bufs[n++] = uv_buf_init((char *)body, (unsigned)len);
        } else {
            pcol_buf_append(&h1->out, body, len);
        }
    }
    bufs[0] = uv_buf_init((char *)h1->out.p, (unsigned)h1->out.len);
    h1->taken = free_fn ? (void *)body : NULL;
    h1->taken_free = free_fn;
    h1->phase = H1_WRITING;
    /* A client that stops reading must not hold the connection forever. */
    pcol__http_conn_set_timer(h1->conn, PCOL__HTTP_TIMER_IDLE);
    rc = pcol__http_conn_write(h1->conn, &h1->resp_wr, bufs, n, h1_on_written);
    if (rc != 0) {
        pcol__http_conn_log(h1->conn, PCOL_HTTP_LOG_DEBUG, "write: %s", uv_strerror(rc));
        if (h1->taken) {
            free_fn(h1->taken);
            h1->taken = NULL;
        }
        pcol__http_conn_close(h1->conn);
        return PCOL_EIO;
    }
    return 0;
}

/* Answers a request the server rejects itself, then closes. */
static void h1_fail(struct h1 *h1, int status, const char *msg)
{
    struct pcol_http_request *req = &h1->req;
    const char *content_type = NULL;

    pcol__http_conn_log(h1->conn, PCOL_HTTP_LOG_DEBUG, "%d: %s", status, msg);
    pcol__http_conn_pause(h1->conn);
    h1->keep_alive = false;
    req->resp_headers_.len = 0;
    req->scratch_.len = 0;
    pcol__http_error_body(h1->conn, status, msg, &req->scratch_, &content_type);
    h1_send(h1, status, content_type, req->scratch_.p, req->scratch_.len, NULL);
}

static void h1_on_continue_written(uv_write_t *wr, int status)
{
    struct h1 *h1 = PCOL_CONTAINER_OF(wr, struct h1, continue_wr);

    if (status < 0) {
        pcol__http_conn_close(h1->conn);
    }
}

/* ---- parser callbacks ------------------------------------------------- */

static int on_message_begin(llhttp_t *p)
{
    struct h1 *h1 = h1_of(p);
    struct pcol_http_request *req = &h1->req;

    h1->phase = H1_HEAD;
    h1->head.len = h1->fields.len = h1->mark = 0;
    h1->body_cap = 0;
    h1->fail_status = 0;
    free(req->body);
    req->body = NULL;
    req->body_len = 0;
    req->method = NULL;
    req->path = req->query = "";
    req->headers = NULL;
    req->n_headers = 0;
    req->resp_headers_.len = 0;
    pcol__http_conn_set_timer(h1->conn, PCOL__HTTP_TIMER_REQUEST);
    return 0;
}

/* Trailers of a chunked body arrive in the body phase and are not kept. */
static int on_span(llhttp_t *p, const char *at, size_t len)
{
    struct h1 *h1 = h1_of(p);

    if (h1->phase == H1_HEAD) {
        pcol_buf_append(&h1->head, at, len);
    }
    return 0;
}

static int on_url_complete(llhttp_t *p)
{
    struct h1 *h1 = h1_of(p);

    pcol_buf_putc(&h1->head, '\0');
    h1->mark = h1->head.len;
    return 0;
}

/* RFC 9110 token characters, the only ones a header name may hold. */
static bool is_tchar(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int on_header_field_complete(llhttp_t *p)
{
    struct h1 *h1 = h1_of(p);
    struct h1_field f = {.name = h1->mark};
    size_t i;

    if (h1->phase != H1_HEAD) {
        return 0;
    }
    /* llhttp's default (loose) mode lets e.g. spaces through; proxies may not agree. */
    for (i = h1->mark; i < h1->head.len; i++) {
        if (!is_tchar(h1->head.p[i])) {
            return h1_reject(h1, 400, "malformed request: invalid character in header name");
        }
        if (h1->head.p[i] >= 'A' && h1->head.p[i] <= 'Z') {
            h1->head.p[i] += 'a' - 'A';
        }
    }
    pcol_buf_putc(&h1->head, '\0');
    h1->mark = h1->head.len;
    pcol_buf_append(&h1->fields, &f, sizeof(f));
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    struct h1 *h1 = h1_of(p);
    struct h1_field *f;

    if (h1->phase != H1_HEAD || h1->fields.len < sizeof(*f)) {
        return 0;
    }
    /* llhttp drops leading blanks but keeps trailing ones. */
    while (h1->head.len > h1->mark &&
           (h1->head.p[h1->head.len - 1] == ' ' || h1->head.p[h1->head.len - 1] == '\t')) {
        h1->head.len--;
    }
    f = (struct h1_field *)(void *)(h1->fields.p + h1->fields.len) - 1;
    f->value = h1->mark;
    pcol_buf_putc(&h1->head, '\0');
    h1->mark = h1->head.len;
    return 0;
}

/* Points the request at the received head. */
static void h1_build_request(struct h1 *h1)
{
    struct pcol_http_request *req = &h1->req;
    const struct h1_field *f = (const struct h1_field *)(void *)h1->fields.p;
    size_t i, n = h1->fields.len / sizeof(*f);
    char *url = (char *)h1->head.p;
    char *q;

    if (n > h1->hdrs_cap) {
        h1->hdrs = pcol_xrealloc(h1->hdrs, n * sizeof(*h1->hdrs));
        h1->hdrs_cap = n;
    }
    for (i = 0; i < n; i++) {
        h1->hdrs[i].name = (const char *)h1->head.p + f[i].name;
        h1->hdrs[i].value = (const char *)h1->head.p + f[i].value;
    }
    req->headers = h1->hdrs;
    req->n_headers = n;
    req->method = llhttp_method_name((llhttp_method_t)llhttp_get_method(&h1->parser));
    req->protocol = llhttp_get_http_minor(&h1->parser) == 0 ? PCOL_HTTP_1_0 : PCOL_HTTP_1_1;
    /* Absolute form (http://host/path?q), which proxies send: drop scheme and host. */
    if (url[0] != '/' && (q = strstr(url, "://")) != NULL) {
        url = q + 3 + strcspn(q + 3, "/?");
    }
    q = strchr(url, '?');
    if (q) {
        *q = '\0';
        req->query = q + 1;
    }
    req->path = *url ? url : "/";
}

static void h1_send_continue(struct h1 *h1)
{
    static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
    uv_buf_t buf = uv_buf_init((char *)msg, sizeof(msg) - 1);

    if (pcol__http_conn_write(h1->conn, &h1->continue_wr, &buf, 1, h1_on_continue_written) != 0) {
        pcol__http_conn_close(h1->conn);
    }
}

static int on_headers_complete(llhttp_t *p)
{
    struct h1 *h1 = h1_of(p);
    const char *expect;

    h1_build_request(h1);
    h1->max_body = pcol__http_route_lookup(&h1->req);
    h1->phase = H1_BODY;
    if (p->flags & F_CONTENT_LENGTH) {
        if (p->content_length > h1->max_body) {
            return h1_reject(h1, 413, "request body of %llu bytes is over the limit of %zu bytes",
                             (unsigned long long)p->content_length, h1->max_body);
        }
        if (p->content_length > 0) {
            h1->body_cap = (size_t)p->content_length;
            h1->req.body = pcol_xmalloc(h1->body_cap);
        }
    }
    /* curl waits a second for this before sending bodies over 1 KiB. */
    expect = pcol_http_header(&h1->req, "expect");
    if (expect && strcasecmp(expect, "100-continue") == 0 && h1->req.protocol == PCOL_HTTP_1_1 &&
        (p->content_length > 0 || (p->flags & F_CHUNKED))) {
        h1_send_continue(h1);
    }
    return pcol__http_conn_closing(h1->conn) ? -1 : 0;
}

static int on_chunk_header(llhttp_t *p)
{
    struct h1 *h1 = h1_of(p);

    if (p->content_length > h1->max_body - h1->req.body_len) {
        return h1_reject(h1, 413, "chunked request body is over the limit of %zu bytes",
                         h1->max_body);
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    struct h1 *h1 = h1_of(p);
    struct pcol_http_request *req = &h1->req;
    size_t need = req->body_len + len, cap;

    if (len > h1->max_body - req->body_len) {
        return h1_reject(h1, 413, "request body is over the limit of %zu bytes", h1->max_body);
    }
    if (need > h1->body_cap) {
        cap = h1->body_cap ? h1->body_cap : BODY_FIRST_CAP;
        while (cap < need) {
            cap *= 2;
        }
        cap = cap < h1->max_body ? cap : h1->max_body;
        req->body = pcol_xrealloc(req->body, cap);
        h1->body_cap = cap;
    }
    memcpy(req->body + req->body_len, at, len);
    req->body_len = need;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct h1 *h1 = h1_of(p);

    h1->phase = H1_HANDLING;
    /* After CONNECT the bytes would be a tunnel, which this server does not do. */
    h1->keep_alive = llhttp_should_keep_alive(p) && llhttp_get_method(p) != HTTP_CONNECT;
    return HPE_PAUSED;
}

static const llhttp_settings_t h1_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_span,
    .on_header_field = on_span,
    .on_header_value = on_span,
    .on_url_complete = on_url_complete,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_chunk_header = on_chunk_header,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- back-end operations ---------------------------------------------- */

static void h1_dispatch(struct h1 *h1)
{
    pcol__http_conn_pause(h1->conn);
    pcol__http_conn_set_timer(h1->conn, PCOL__HTTP_TIMER_NONE);
    pcol__http_conn_hold(h1->conn);
    pcol__http_dispatch(&h1->req);
}

static void h1_parse_failed(struct h1 *h1, llhttp_errno_t err)
{
    const char *reason = llhttp_get_error_reason(&h1->parser);
    char msg[200];

    if (pcol__http_conn_closing(h1->conn)) {
        return;
    }
    if (h1->fail_status) {
        h1_fail(h1, h1->fail_status, h1->fail_msg);
        return;
    }
    snprintf(msg, sizeof(msg), "malformed request (%s): %s", llhttp_errno_name(err),
             reason ? reason : "");
    h1_fail(h1, 400, msg);
}

static size_t h1_feed(void *st, const char *data, size_t len)
{
    struct h1 *h1 = st;
    size_t max_head = pcol__http_conn_max_header_bytes(h1->conn);
    size_t used = 0, n;
    llhttp_errno_t err;
    char msg[80];

    while (used < len) {
        n = len - used;
        /* Feeding no more than the head may still take makes the count exact. */
        if ((h1->phase == H1_IDLE || h1->phase == H1_HEAD) && n > max_head - h1->head_bytes) {
            n = max_head - h1->head_bytes;
        }
        err = llhttp_execute(&h1->parser, data + used, n);
        if (err != HPE_OK) {
            n = (size_t)(llhttp_get_error_pos(&h1->parser) - (data + used));
        }
        used += n;
        if (err == HPE_PAUSED) {
            h1_dispatch(h1);
            break;
        }
        if (err == HPE_PAUSED_UPGRADE) {
            /* Upgrade (e.g. curl's h2c offer) is optional; stay on HTTP/1.1. */
            llhttp_resume_after_upgrade(&h1->parser);
            continue;
        }
        if (err != HPE_OK) {
            h1_parse_failed(h1, err);
            break;
        }
        if (h1->phase == H1_IDLE || h1->phase == H1_HEAD) {
            h1->head_bytes += n;
            if (h1->head_bytes >= max_head) {
                snprintf(msg, sizeof(msg), "request head is over the limit of %zu bytes", max_head);
                h1_fail(h1, 431, msg);
                break;
            }
        }
    }
    return used;
}

static void h1_request_timeout(void *st)
{
    struct h1 *h1 = st;

    if (h1->phase == H1_HANDLING || h1->phase == H1_WRITING) {
        pcol__http_conn_close(h1->conn);
        return;
    }
    h1_fail(h1, 408, "request not received in time");
}

static bool h1_idle(void *st)
{
    return ((struct h1 *)st)->phase == H1_IDLE;
}

static int h1_respond(void *st, struct pcol_http_request *req, int status, const char *content_type,
                      const void *body, size_t len, void (*free_fn)(void *))
{
    struct h1 *h1 = st;
    struct pcol__http_conn *conn = h1->conn;
    int rc = PCOL_EIO;

    if (!pcol__http_conn_closing(conn)) {
        h1->keep_alive = h1->keep_alive && pcol__http_conn_may_keep_alive(conn);
        rc = h1_send(h1, status, content_type, body, len, free_fn);
    } else if (free_fn) {
        free_fn((void *)body);
    }
    /* After the send: a copied body may have pointed into the request body. */
    free(req->body);
    req->body = NULL;
    req->body_len = 0;
    pcol__http_conn_release(conn); /* may free h1: last */
    return rc;
}

static void *h1_create(struct pcol__http_conn *conn)
{
    struct h1 *h1 = pcol_xcalloc(1, sizeof(*h1));

    llhttp_init(&h1->parser, HTTP_REQUEST, &h1_settings);
    h1->conn = conn;
    h1->req.conn_ = conn;
    h1->req.remote = pcol__http_conn_remote(conn);
    h1->req.path = h1->req.query = "";
    return h1;
}

static void h1_destroy(void *st)
{
    struct h1 *h1 = st;

    free(h1->req.body);
    pcol_buf_free(&h1->req.resp_headers_);
    pcol_buf_free(&h1->req.scratch_);
    pcol_buf_free(&h1->head);
    pcol_buf_free(&h1->fields);
    pcol_buf_free(&h1->out);
    free(h1->hdrs);
    free(h1);
}

const struct pcol__http_proto pcol__http1_proto = {
    .create = h1_create,
    .feed = h1_feed,
    .request_timeout = h1_request_timeout,
    .idle = h1_idle,
    .respond = h1_respond,
    .destroy = h1_destroy,
};
