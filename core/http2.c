/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http2.c: the HTTP/2 back-end of http_server.c, on an nghttp2 server
 * session. The only file that includes nghttp2.h on the server side.
 *
 * Each stream is one request. Many streams may be with handlers at once
 * (up to the server's max_concurrent_streams); a complete request is dispatched as
 * soon as its END_STREAM arrives. Output is pulled from the session with
 * nghttp2_session_mem_send() into one buffer and written with one write at
 * a time; nghttp2 is never asked to send from inside its own callbacks.
 * A response sent before its request body ended (a rejected upload) is
 * followed by RST_STREAM(NO_ERROR) so the client stops sending.
 *
 * Ownership: the connection owns one `struct h2` and destroys it with
 * itself. The h2 owns its streams (a list). A stream lives until nghttp2
 * closes it, except while a handler holds its request: then it lives until
 * the answer, which is dropped if the stream or connection has gone. The
 * stream owns its request's head, header array, body and response body.
 */
#include "grpc.h"
#include "http_server_internal.h"

#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STREAM_WINDOW (1 << 20) /* per stream: a 1 MiB upload needs no WINDOW_UPDATE */
#define CONN_WINDOW (16 << 20)  /* whole connection */
#define WRITE_CHUNK (64 * 1024) /* collected from the session per write */
#define BODY_FIRST_CAP (16 * 1024)
#define HEADER_OVERHEAD 32 /* per field, as HPACK and SETTINGS count it */
#define ABSENT SIZE_MAX

enum h2_phase {
    H2_RECEIVING, /* headers or body arriving */
    H2_HANDLING,  /* with the handler (or being rejected) */
    H2_SENDING,   /* answered; nghttp2 sends the response */
};

/* One header: offsets of its name and value in the stream's `head`. */
struct h2_field {
    size_t name;
    size_t value;
};

struct h2;

struct h2_stream {
    struct pcol_http_request req;
    struct h2 *h2;
    struct h2_stream *prev, *next;
    int32_t id;
    enum h2_phase phase;
    bool gone;                      /* nghttp2 closed it while a handler held it */
    uint64_t started;               /* loop time of its first header, for request_timeout */
    struct pcol_buf head;           /* pseudo-header values and name/value pairs, NUL-ended */
    size_t method, path, authority; /* offsets in `head`, or ABSENT */
    struct pcol_buf fields;         /* struct h2_field[] */
    struct pcol_http_header *hdrs;
    size_t head_bytes; /* as SETTINGS_MAX_HEADER_LIST_SIZE counts them */
    size_t max_body;
    size_t body_cap;
    int fail_status;     /* headers rejected while arriving (431) */
    struct pcol_buf out; /* copied response body */
    const uint8_t *resp; /* response body being sent: out.p or a taken block */
    size_t resp_len;
    size_t resp_off;
    void *taken;
    void (*taken_free)(void *);
};

struct h2 {
    nghttp2_session *session;
    struct pcol__http_conn *conn;
    struct h2_stream *streams;
    struct pcol_buf wbuf; /* bytes of the write in flight */
    uv_write_t wr;
    bool writing;
    bool in_recv; /* inside nghttp2_session_mem_recv() */
    bool failed;  /* session error: close once the last bytes are out */
};

static void h2_progress(struct h2 *h2);

/* ---- streams ---------------------------------------------------------- */

static struct h2_stream *stream_of(struct h2 *h2, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h2->session, id);
}

static struct h2_stream *stream_create(struct h2 *h2, int32_t id)
{
    struct h2_stream *s = pcol_xcalloc(1, sizeof(*s));

    s->h2 = h2;
    s->id = id;
    s->phase = H2_RECEIVING;
    s->method = s->path = s->authority = ABSENT;
    s->started = uv_now(pcol__http_conn_stream(h2->conn)->loop);
    s->req.conn_ = h2->conn;
    s->req.remote = pcol__http_conn_remote(h2->conn);
    s->req.protocol = PCOL_HTTP_2;
    s->req.path = s->req.query = "";
    s->next = h2->streams;
    if (h2->streams) {
        h2->streams->prev = s;
    }
    h2->streams = s;
    return s;
}

/* Unlinks and frees; nghttp2 must no longer point at it. */
static void stream_free(struct h2_stream *s)
{
    struct h2 *h2 = s->h2;

    if (s->prev) {
        s->prev->next = s->next;
    } else {
        h2->streams = s->next;
    }
    if (s->next) {
        s->next->prev = s->prev;
    }
    if (s->taken) {
        s->taken_free(s->taken);
    }
    free(s->req.body);
    pcol_buf_free(&s->req.resp_headers_);
    pcol_buf_free(&s->req.resp_trailers_);
    pcol_buf_free(&s->req.scratch_);
    pcol_buf_free(&s->head);
    pcol_buf_free(&s->fields);
    pcol_buf_free(&s->out);
    free(s->hdrs);
    free(s);
}

/* Answers a request the server rejects itself (413, 431, 408). */
static void stream_reject(struct h2_stream *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void stream_reject(struct h2_stream *s, int status, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pcol__http_conn_log(s->h2->conn, PCOL_HTTP_LOG_DEBUG, "stream %d: %d: %s", (int)s->id, status,
                        msg);
    s->phase = H2_HANDLING;
    pcol__http_conn_hold(s->h2->conn); /* as a dispatch would; the answer releases */
    if (pcol_grpc_is_request(&s->req)) {
        pcol_grpc_respond_status(&s->req, pcol_grpc_status_from_http(status), msg, 0);
    } else {
        pcol_http_respond_error(&s->req, status, msg);
    }
}

/* ---- requests --------------------------------------------------------- */

static void store_header(struct h2_stream *s, const uint8_t *name, size_t namelen,
                         const uint8_t *value, size_t valuelen)
{
    struct h2_field f;

    if (name[0] == ':') {
        size_t *at = NULL;

        if (namelen == 7 && memcmp(name, ":method", 7) == 0) {
            at = &s->method;
        } else if (namelen == 5 && memcmp(name, ":path", 5) == 0) {
            at = &s->path;
        } else if (namelen == 10 && memcmp(name, ":authority", 10) == 0) {
            at = &s->authority;
        }
        if (at) {
            *at = s->head.len;
            pcol_buf_append(&s->head, value, valuelen);
            pcol_buf_putc(&s->head, '\0');
        }
        return;
    }
    f.name = s->head.len;
    pcol_buf_append(&s->head, name, namelen);
    pcol_buf_putc(&s->head, '\0');
    f.value = s->head.len;
    pcol_buf_append(&s->head, value, valuelen);
    pcol_buf_putc(&s->head, '\0');
    pcol_buf_append(&s->fields, &f, sizeof(f));
}

/* Points the request at the received head; :authority stands in for Host. */
static void build_request(struct h2_stream *s)
{
    struct pcol_http_request *req = &s->req;
    const struct h2_field *f = (const struct h2_field *)(void *)s->fields.p;
    size_t i, n = s->fields.len / sizeof(*f);
    char *head = (char *)s->head.p;
    char *path, *q;

    s->hdrs = pcol_xmalloc((n + 1) * sizeof(*s->hdrs));
    for (i = 0; i < n; i++) {
        s->hdrs[i].name = head + f[i].name;
        s->hdrs[i].value = head + f[i].value;
    }
    req->headers = s->hdrs;
    req->n_headers = n;
    if (s->authority != ABSENT && !pcol_http_header(req, "host")) {
        s->hdrs[n].name = "host";
        s->hdrs[n].value = head + s->authority;
        req->n_headers++;
    }
    req->method = s->method != ABSENT ? head + s->method : "";
    path = s->path != ABSENT ? head + s->path : "";
    q = strchr(path, '?');
    if (q) {
        *q = '\0';
        req->query = q + 1;
    }
    req->path = path;
}

/* Headers complete: route the request and check what it announces. */
static void headers_done(struct h2_stream *s)
{
    const char *cl;
    unsigned long long announced;

    build_request(s);
    s->max_body = pcol__http_route_lookup(&s->req);
    if (s->fail_status) {
        stream_reject(s, s->fail_status, "request head is over the limit of %zu bytes",
                      pcol__http_conn_max_header_bytes(s->h2->conn));
        return;
    }
    /* gRPC clients expect a gRPC status (UNIMPLEMENTED) here, not a 404 page. */
    if (s->req.route_status_ && pcol_grpc_is_request(&s->req)) {
        stream_reject(s, s->req.route_status_, "unknown gRPC method %s %.200s", s->req.method,
                      s->req.path);
        return;
    }
    /* nghttp2 checks that the DATA frames add up to content-length. */
    cl = pcol_http_header(&s->req, "content-length");
    if (cl && *cl) {
        announced = strtoull(cl, NULL, 10);
        if (announced > s->max_body) {
            stream_reject(s, 413, "request body of %llu bytes is over the limit of %zu bytes",
                          announced, s->max_body);
            return;
        }
        /* Up to a window's worth: 100 streams may announce and never send. */
        s->body_cap = announced < STREAM_WINDOW ? (size_t)announced : STREAM_WINDOW;
        s->req.body = s->body_cap ? pcol_xmalloc(s->body_cap) : NULL;
    }
}

static void request_done(struct h2_stream *s)
{
    if (s->phase != H2_RECEIVING) {
        return;
    }
    s->phase = H2_HANDLING;
    pcol__http_conn_hold(s->h2->conn);
    pcol__http_dispatch(&s->req);
}

static void body_append(struct h2_stream *s, const uint8_t *data, size_t len)
{
    struct pcol_http_request *req = &s->req;
    size_t need = req->body_len + len, cap;

    if (len > s->max_body - req->body_len) {
        stream_reject(s, 413, "request body is over the limit of %zu bytes", s->max_body);
        return;
    }
    if (need > s->body_cap) {
        cap = s->body_cap ? s->body_cap : BODY_FIRST_CAP;
        while (cap < need) {
            cap *= 2;
        }
        cap = cap < s->max_body ? cap : s->max_body;
        req->body = pcol_xrealloc(req->body, cap);
        s->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len = need;
}

/* ---- nghttp2 callbacks ------------------------------------------------ */

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    struct h2 *h2 = user;
    struct h2_stream *s;

    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
        return 0;
    }
    s = stream_create(h2, frame->hd.stream_id);
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s);
    return 0;
}

/* Request trailers are accepted and not kept, like HTTP/1.1's. */
static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    struct h2 *h2 = user;
    struct h2_stream *s = stream_of(h2, frame->hd.stream_id);

    PCOL_UNUSED(session);
    PCOL_UNUSED(flags);
    if (!s || frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST ||
        s->fail_status) {
        return 0;
    }
    s->head_bytes += namelen + valuelen + HEADER_OVERHEAD;
    if (s->head_bytes > pcol__http_conn_max_header_bytes(h2->conn)) {
        s->fail_status = 431;
        return 0;
    }
    store_header(s, name, namelen, value, valuelen);
    return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    struct h2 *h2 = user;
    struct h2_stream *s = stream_of(h2, frame->hd.stream_id);

    PCOL_UNUSED(session);
    if (!s || (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)) {
        return 0;
    }
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        headers_done(s);
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        request_done(s);
    }
    return 0;
}

static int on_data_chunk_recv(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                              const uint8_t *data, size_t len, void *user)
{
    struct h2_stream *s = stream_of(user, stream_id);

    PCOL_UNUSED(session);
    PCOL_UNUSED(flags);
    /* After a rejection the rest of the body is dropped. */
    if (s && s->phase == H2_RECEIVING) {
        body_append(s, data, len);
    }
    return 0;
}

/* A response that ended before its request did: ask the client to stop. */
static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
    PCOL_UNUSED(user);
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
        nghttp2_session_get_stream_remote_close(session, frame->hd.stream_id) == 0) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_NO_ERROR);
    }
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *user)
{
    struct h2_stream *s = stream_of(user, stream_id);

    if (!s) {
        return 0;
    }
    if (error_code != NGHTTP2_NO_ERROR) {
        pcol__http_conn_log(s->h2->conn, PCOL_HTTP_LOG_DEBUG, "stream %d reset: %s", (int)stream_id,
                            nghttp2_http2_strerror(error_code));
    }
    if (s->phase == H2_HANDLING) {
        s->gone = true; /* the handler still holds the request; the answer frees it */
        nghttp2_session_set_stream_user_data(session, stream_id, NULL);
        return 0;
    }
    stream_free(s);
    return 0;
}

/* ---- responses -------------------------------------------------------- */

static bool is_connection_header(const char *name)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
                                        "transfer-encoding", "upgrade"};
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(names); i++) {
        if (strcmp(name, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Appends the "name\0value\0" pairs of `list` (names lowercased in place,
 * as HTTP/2 requires) to nva; connection-specific headers are dropped. */
static size_t add_fields(struct pcol_buf *list, nghttp2_nv *nva, size_t n)
{
    size_t i = 0;
    char *name, *value, *c;

    while (i < list->len) {
        name = (char *)list->p + i;
        value = name + strlen(name) + 1;
        i = (size_t)(value + strlen(value) + 1 - (char *)list->p);
        for (c = name; *c; c++) {
            *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 'a' - 'A') : *c;
        }
        if (is_connection_header(name)) {
            continue;
        }
        nva[n++] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                                NGHTTP2_NV_FLAG_NONE};
    }
    return n;
}

/* Upper bound of the fields in a "name\0value\0" list. */
static size_t count_fields(const struct pcol_buf *list)
{
    size_t i, n = 0;

    for (i = 0; i < list->len; i++) {
        n += list->p[i] == '\0';
    }
    return n / 2;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user)
{
    struct h2_stream *s = source->ptr;
    struct pcol_buf *trailers = &s->req.resp_trailers_;
    size_t n = s->resp_len - s->resp_off;
    nghttp2_nv *nva;
    size_t nv;

    PCOL_UNUSED(user);
    n = n < length ? n : length;
    memcpy(buf, s->resp + s->resp_off, n);
    s->resp_off += n;
    if (s->resp_off < s->resp_len) {
        return (ssize_t)n;
    }
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (trailers->len) {
        nva = pcol_xmalloc(count_fields(trailers) * sizeof(*nva));
        nv = add_fields(trailers, nva, 0);
        if (nghttp2_submit_trailer(session, stream_id, nva, nv) == 0) {
            *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
        free(nva);
    }
    return (ssize_t)n;
}

/* Queues the response. Trailers with no body go in the HEADERS frame
 * (gRPC's trailers-only form). Takes `body` when free_fn is set. */
static int submit_response(struct h2_stream *s, int status, const char *content_type,
                           const void *body, size_t len, void (*free_fn)(void *))
{
    struct pcol_http_request *req = &s->req;
    bool has_body = status != 204 && status != 304 && strcmp(req->method, "HEAD") != 0;
    bool has_data = has_body && len > 0;
    size_t cap = 3 + count_fields(&req->resp_headers_) + count_fields(&req->resp_trailers_);
    nghttp2_nv *nva = pcol_xmalloc(cap * sizeof(*nva));
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = read_body};
    char status_s[8], len_s[24];
    size_t n = 0;
    int rc;

    snprintf(status_s, sizeof(status_s), "%d", status);
    nva[n++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status_s, 7, strlen(status_s),
                            NGHTTP2_NV_FLAG_NONE};
    if (has_body && content_type) {
        nva[n++] = (nghttp2_nv){(uint8_t *)"content-type", (uint8_t *)content_type, 12,
                                strlen(content_type), NGHTTP2_NV_FLAG_NONE};
    }
    if (has_body && !req->resp_trailers_.len) {
        snprintf(len_s, sizeof(len_s), "%zu", len);
        nva[n++] = (nghttp2_nv){(uint8_t *)"content-length", (uint8_t *)len_s, 14, strlen(len_s),
                                NGHTTP2_NV_FLAG_NONE};
    }
    n = add_fields(&req->resp_headers_, nva, n);
    if (!has_data) {
        n = add_fields(&req->resp_trailers_, nva, n);
    } else if (free_fn) {
        s->taken = (void *)body;
        s->taken_free = free_fn;
        s->resp = body;
    } else {
        pcol_buf_append(&s->out, body, len);
        s->resp = s->out.p;
    }
    if (!has_data && free_fn) {
        free_fn((void *)body);
    }
    s->resp_len = has_data ? len : 0;
    s->phase = H2_SENDING;
    rc = nghttp2_submit_response(s->h2->session, s->id, nva, n, has_data ? &prd : NULL);
    free(nva);
    return rc == 0 ? 0 : PCOL_EIO;
}

/* ---- output ----------------------------------------------------------- */

static void on_written(uv_write_t *wr, int status)
{
    struct h2 *h2 = PCOL_CONTAINER_OF(wr, struct h2, wr);

    h2->writing = false;
    if (status < 0) {
        if (status != UV_ECANCELED) {
            pcol__http_conn_log(h2->conn, PCOL_HTTP_LOG_DEBUG, "write: %s", uv_strerror(status));
        }
        pcol__http_conn_close(h2->conn);
        return;
    }
    h2_progress(h2);
}

/* Collects what the session has to send and writes it, one write at a time. */
static void flush(struct h2 *h2)
{
    const uint8_t *data;
    ssize_t n;
    uv_buf_t buf;

    if (h2->writing) {
        return;
    }
    h2->wbuf.len = 0;
    while (h2->wbuf.len < WRITE_CHUNK) {
        n = nghttp2_session_mem_send(h2->session, &data);
        if (n < 0) {
            pcol__http_conn_log(h2->conn, PCOL_HTTP_LOG_DEBUG, "HTTP/2 send: %s",
                                nghttp2_strerror((int)n));
            h2->failed = true;
            break;
        }
        if (n == 0) {
            break;
        }
        pcol_buf_append(&h2->wbuf, data, (size_t)n);
    }
    if (h2->wbuf.len == 0) {
        return;
    }
    buf = uv_buf_init((char *)h2->wbuf.p, (unsigned)h2->wbuf.len);
    h2->writing = true;
    if (pcol__http_conn_write(h2->conn, &h2->wr, &buf, 1, on_written) != 0) {
        h2->writing = false;
        pcol__http_conn_close(h2->conn);
    }
}

/* The connection timer: a request arriving keeps its deadline, handlers
 * need none, otherwise the connection is idle. */
static void update_timer(struct h2 *h2)
{
    enum pcol__http_timer kind = PCOL__HTTP_TIMER_IDLE;
    const struct h2_stream *s;

    for (s = h2->streams; s; s = s->next) {
        if (s->phase == H2_RECEIVING) {
            kind = PCOL__HTTP_TIMER_REQUEST;
            break;
        }
        if (s->phase == H2_HANDLING && !s->gone) {
            kind = PCOL__HTTP_TIMER_NONE;
        }
    }
    pcol__http_conn_set_timer(h2->conn, kind);
}

/* After anything happened: send, then close once neither side has more. */
static void h2_progress(struct h2 *h2)
{
    if (h2->in_recv || pcol__http_conn_closing(h2->conn)) {
        return;
    }
    flush(h2);
    if (pcol__http_conn_closing(h2->conn)) {
        return;
    }
    if (!h2->writing && (h2->failed || (!nghttp2_session_want_read(h2->session) &&
                                        !nghttp2_session_want_write(h2->session)))) {
        pcol__http_conn_finish(h2->conn);
        return;
    }
    update_timer(h2);
}

/* ---- back-end operations ---------------------------------------------- */

static size_t h2_feed(void *st, const char *p, size_t len)
{
    struct h2 *h2 = st;
    ssize_t n;

    h2->in_recv = true;
    n = nghttp2_session_mem_recv(h2->session, (const uint8_t *)p, len);
    h2->in_recv = false;
    if (n < 0) {
        pcol__http_conn_log(h2->conn, PCOL_HTTP_LOG_DEBUG, "HTTP/2: %s", nghttp2_strerror((int)n));
        h2->failed = true;
    }
    h2_progress(h2);
    return len;
}

/* Fails the streams whose request has taken too long; the timer is shared,
 * so a stream started later waits for the next round (at most twice the
 * timeout in all). */
static void h2_request_timeout(void *st)
{
    struct h2 *h2 = st;
    uint64_t now = uv_now(pcol__http_conn_stream(h2->conn)->loop);
    uint64_t limit = pcol__http_conn_request_timeout_ms(h2->conn);
    struct h2_stream *s, *next;

    for (s = h2->streams; s; s = next) {
        next = s->next;
        if (s->phase != H2_RECEIVING || now - s->started < limit) {
            continue;
        }
        if (s->req.method) {
            stream_reject(s, 408, "request not received in time");
        } else {
            nghttp2_submit_rst_stream(h2->session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
        }
    }
    h2_progress(h2);
}

static bool h2_idle(void *st)
{
    struct h2 *h2 = st;

    return !h2->streams && !h2->writing;
}

static int h2_respond(void *st, struct pcol_http_request *req, int status, const char *content_type,
                      const void *body, size_t len, void (*free_fn)(void *))
{
    struct h2 *h2 = st;
    struct h2_stream *s = PCOL_CONTAINER_OF(req, struct h2_stream, req);
    struct pcol__http_conn *conn = h2->conn;
    int rc = PCOL_EIO;

    if (!s->gone && !pcol__http_conn_closing(conn)) {
        rc = submit_response(s, status, content_type, body, len, free_fn);
    } else if (free_fn) {
        free_fn((void *)body);
    }
    if (rc == 0) {
        /* After the submit: a copied body may have pointed into the request body. */
        free(req->body);
        req->body = NULL;
        req->body_len = 0;
    } else if (s->gone || pcol__http_conn_closing(conn)) {
        stream_free(s);
    } else {
        s->phase = H2_SENDING; /* freed when nghttp2 closes the reset stream */
        nghttp2_submit_rst_stream(h2->session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    }
    h2_progress(h2);
    pcol__http_conn_release(conn); /* may free h2: last */
    return rc;
}

/* Graceful stop: GOAWAY naming the last stream taken; those finish. */
static void h2_shutdown(void *st)
{
    struct h2 *h2 = st;

    nghttp2_submit_goaway(h2->session, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(h2->session), NGHTTP2_NO_ERROR,
                          NULL, 0);
    h2_progress(h2);
}

static void *h2_create(struct pcol__http_conn *conn)
{
    struct h2 *h2 = pcol_xcalloc(1, sizeof(*h2));
    nghttp2_session_callbacks *cb;
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, pcol__http_conn_max_streams(conn)},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)pcol__http_conn_max_header_bytes(conn)},
    };

    h2->conn = conn;
    if (nghttp2_session_callbacks_new(&cb) != 0) {
        pcol_fatal("out of memory");
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    if (nghttp2_session_server_new(&h2->session, cb, h2) != 0) {
        pcol_fatal("out of memory");
    }
    nghttp2_session_callbacks_del(cb);
    /* Only fails for bad arguments; these are constant. */
    nghttp2_submit_settings(h2->session, NGHTTP2_FLAG_NONE, settings, PCOL_ARRAY_SIZE(settings));
    nghttp2_session_set_local_window_size(h2->session, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW);
    return h2;
}

static void h2_destroy(void *st)
{
    struct h2 *h2 = st;

    /* No handler holds a request now; nghttp2_session_del() calls nothing back. */
    while (h2->streams) {
        stream_free(h2->streams);
    }
    nghttp2_session_del(h2->session);
    pcol_buf_free(&h2->wbuf);
    free(h2);
}

const struct pcol__http_proto pcol__http2_proto = {
    .create = h2_create,
    .feed = h2_feed,
    .request_timeout = h2_request_timeout,
    .idle = h2_idle,
    .respond = h2_respond,
    .shutdown = h2_shutdown,
    .destroy = h2_destroy,
};
