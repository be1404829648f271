/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc.c: gRPC framing, status trailers and header values (see grpc.h).
 * The few protobuf messages of grpc-status-details-bin (google.rpc.Status,
 * Any, RetryInfo, Duration) are encoded and decoded by hand here: they are
 * four small messages and the codecs' generated code is for OTLP only.
 *
 * Ownership: nothing is kept between calls; buffers belong to the caller.
 */
#include "grpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RETRY_INFO_TYPE "type.googleapis.com/google.rpc.RetryInfo"
#define TIMEOUT_MAX_VALUE 99999999ULL /* grpc-timeout allows at most 8 digits */

/* ---- status codes ------------------------------------------------------ */

static const char *const status_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *pcol_grpc_status_name(int status)
{
    if (status < 0 || (size_t)status >= PCOL_ARRAY_SIZE(status_names)) {
        return "UNKNOWN_STATUS";
    }
    return status_names[status];
}

enum pcol_grpc_status pcol_grpc_status_from_code(int code)
{
    switch (code) {
    case 0: return PCOL_GRPC_OK;
    case PCOL_EINVAL: return PCOL_GRPC_INVALID_ARGUMENT;
    case PCOL_ERANGE: return PCOL_GRPC_RESOURCE_EXHAUSTED;
    case PCOL_EBUSY: return PCOL_GRPC_UNAVAILABLE;
    case PCOL_ENOTSUP: return PCOL_GRPC_UNIMPLEMENTED;
    default: return PCOL_GRPC_INTERNAL;
    }
}

enum pcol_grpc_status pcol_grpc_status_from_http(int http_status)
{
    switch (http_status) {
    case 401: return PCOL_GRPC_UNAUTHENTICATED;
    case 403: return PCOL_GRPC_PERMISSION_DENIED;
    case 404:
    case 405: return PCOL_GRPC_UNIMPLEMENTED;
    case 408: return PCOL_GRPC_DEADLINE_EXCEEDED;
    case 413: return PCOL_GRPC_RESOURCE_EXHAUSTED;
    case 429:
    case 502:
    case 503:
    case 504: return PCOL_GRPC_UNAVAILABLE;
    default: break;
    }
    if (http_status >= 200 && http_status < 300) {
        return PCOL_GRPC_OK;
    }
    return http_status >= 400 && http_status < 500 ? PCOL_GRPC_INVALID_ARGUMENT
                                                   : PCOL_GRPC_INTERNAL;
}

/* What a gRPC client makes of a non-200 response without grpc-status (the
 * gRPC HTTP/2 protocol spec's table); unlike the server-side mapping above,
 * a 400 there means a broken peer, not bad data. */
static enum pcol_grpc_status status_of_http_response(int http_status)
{
    switch (http_status) {
    case 400: return PCOL_GRPC_INTERNAL;
    case 401: return PCOL_GRPC_UNAUTHENTICATED;
    case 403: return PCOL_GRPC_PERMISSION_DENIED;
    case 404: return PCOL_GRPC_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504: return PCOL_GRPC_UNAVAILABLE;
    default: return PCOL_GRPC_UNKNOWN;
    }
}

bool pcol_grpc_retryable(int status, bool has_retry_info)
{
    switch (status) {
    case PCOL_GRPC_CANCELLED:
    case PCOL_GRPC_DEADLINE_EXCEEDED:
    case PCOL_GRPC_ABORTED:
    case PCOL_GRPC_OUT_OF_RANGE:
    case PCOL_GRPC_UNAVAILABLE:
    case PCOL_GRPC_DATA_LOSS: return true;
    case PCOL_GRPC_RESOURCE_EXHAUSTED: return has_retry_info;
    default: return false;
    }
}

/* ---- framing ----------------------------------------------------------- */

void pcol_grpc_frame(enum pcol_encoding enc, const uint8_t *msg, size_t len, struct pcol_buf *out)
{
    static const uint8_t zero[PCOL_GRPC_PREFIX_LEN];
    size_t at = out->len, n;
    uint8_t *p;

    pcol_buf_append(out, zero, sizeof(zero));
    if (enc == PCOL_ENC_IDENTITY) {
        pcol_buf_append(out, msg, len);
    } else {
        pcol_compress(enc, 0, msg, len, out);
    }
    n = out->len - at - PCOL_GRPC_PREFIX_LEN;
    if (n > UINT32_MAX) {
        pcol_fatal("grpc: a message of %zu bytes does not fit a gRPC frame", n);
    }
    p = out->p + at;
    p[0] = enc != PCOL_ENC_IDENTITY;
    p[1] = (uint8_t)(n >> 24);
    p[2] = (uint8_t)(n >> 16);
    p[3] = (uint8_t)(n >> 8);
    p[4] = (uint8_t)n;
}

int pcol_grpc_unframe(const uint8_t *body, size_t len, enum pcol_encoding enc, size_t max,
                      const uint8_t **msg, size_t *msg_len, struct pcol_buf *scratch,
                      struct pcol_err *err)
{
    size_t n, at = scratch->len;
    int rc;

    if (len < PCOL_GRPC_PREFIX_LEN) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "gRPC body of %zu bytes is shorter than a message prefix", len);
    }
    n = (size_t)body[1] << 24 | (size_t)body[2] << 16 | (size_t)body[3] << 8 | body[4];
    if (body[0] > 1) {
        return pcol_err_set(err, PCOL_EINVAL, "gRPC message has compressed flag %u",
                            (unsigned)body[0]);
    }
    if (n != len - PCOL_GRPC_PREFIX_LEN) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "gRPC message prefix says %zu bytes but the body holds %zu", n,
                            len - PCOL_GRPC_PREFIX_LEN);
    }
    if (body[0] == 0) {
        if (n > max) {
            return pcol_err_set(err, PCOL_ERANGE,
                                "gRPC message of %zu bytes is over the limit of %zu bytes", n, max);
        }
        *msg = body + PCOL_GRPC_PREFIX_LEN;
        *msg_len = n;
        return 0;
    }
    if (enc == PCOL_ENC_IDENTITY) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "gRPC message is flagged compressed but grpc-encoding is identity");
    }
    rc = pcol_decompress(enc, body + PCOL_GRPC_PREFIX_LEN, n, max, scratch, err);
    if (rc < 0) {
        return pcol_err_wrap(err, rc, "gRPC message (%s)", pcol_encoding_name(enc));
    }
    *msg = scratch->p + at;
    *msg_len = scratch->len - at;
    return 0;
}

/* ---- header values ----------------------------------------------------- */

static int encoding_of(const char *value, enum pcol_encoding *enc, struct pcol_err *err)
{
    if (!value || strcasecmp(value, "identity") == 0) {
        *enc = PCOL_ENC_IDENTITY;
    } else if (strcasecmp(value, "gzip") == 0) {
        *enc = PCOL_ENC_GZIP;
    } else if (strcasecmp(value, "zstd") == 0) {
        *enc = PCOL_ENC_ZSTD;
    } else {
        return pcol_err_set(err, PCOL_ENOTSUP, "grpc-encoding %.64s is not supported (use %s)",
                            value, PCOL_GRPC_ACCEPT_ENCODING);
    }
    return 0;
}

int pcol_grpc_timeout_parse(const char *value, uint64_t *ns)
{
    static const struct {
        char unit;
        uint64_t ns;
    } units[] = {
        {'H', 3600000000000ULL}, {'M', 60000000000ULL}, {'S', 1000000000ULL},
        {'m', 1000000ULL},       {'u', 1000ULL},        {'n', 1ULL},
    };
    uint64_t v = 0;
    size_t i, digits = 0;

    while (value[digits] >= '0' && value[digits] <= '9') {
        v = v * 10 + (uint64_t)(value[digits] - '0');
        if (++digits > 8) {
            return PCOL_EINVAL;
        }
    }
    if (digits == 0 || value[digits] == '\0' || value[digits + 1] != '\0') {
        return PCOL_EINVAL;
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(units); i++) {
        if (units[i].unit == value[digits]) {
            *ns = v > UINT64_MAX / units[i].ns ? UINT64_MAX : v * units[i].ns;
            return 0;
        }
    }
    return PCOL_EINVAL;
}

void pcol_grpc_timeout_format(uint64_t ms, char out[16])
{
    static const struct {
        char unit;
        uint64_t ms;
    } units[] = {{'m', 1}, {'S', 1000}, {'M', 60000}, {'H', 3600000}};
    uint64_t v = ms;
    char tmp[32];
    size_t i;

    /* The smallest unit that fits 8 digits, rounded up: never a shorter deadline. */
    for (i = 0; i < PCOL_ARRAY_SIZE(units); i++) {
        v = ms / units[i].ms + (ms % units[i].ms != 0);
        if (v <= TIMEOUT_MAX_VALUE) {
            break;
        }
    }
    if (i == PCOL_ARRAY_SIZE(units)) {
        i--;
        v = TIMEOUT_MAX_VALUE;
    }
    /* At most 8 digits and a unit; the roomy buffer keeps -Wformat-truncation
     * quiet where it cannot see that bound. */
    snprintf(tmp, sizeof(tmp), "%llu%c", (unsigned long long)(v ? v : 1), units[i].unit);
    memcpy(out, tmp, strlen(tmp) + 1);
}

void pcol_grpc_message_encode(const char *text, struct pcol_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;

    for (p = (const unsigned char *)text; *p; p++) {
        if (*p >= 0x20 && *p <= 0x7e && *p != '%') {
            pcol_buf_putc(out, (char)*p);
        } else {
            pcol_buf_putc(out, '%');
            pcol_buf_putc(out, hex[*p >> 4]);
            pcol_buf_putc(out, hex[*p & 15]);
        }
    }
    pcol_buf_putc(out, '\0');
}

void pcol_grpc_message_decode(const char *value, char *out, size_t size)
{
    size_t i = 0, n = 0;
    int hi, lo;

    if (size == 0) {
        return;
    }
    while (value[i] && n + 1 < size) {
        if (value[i] == '%' && (hi = pcol_hex_value((unsigned char)value[i + 1])) >= 0 &&
            (lo = pcol_hex_value((unsigned char)value[i + 2])) >= 0) {
            out[n++] = (char)(hi * 16 + lo);
            i += 3;
        } else {
            out[n++] = value[i++];
        }
    }
    out[n] = '\0';
}

/* ---- base64 (grpc -bin headers) --------------------------------------- */

static const char b64_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends `in` unpadded, as gRPC senders should. */
static void b64_encode(const uint8_t *in, size_t n, struct pcol_buf *out)
{
    size_t i;
    uint32_t v;

    for (i = 0; i + 3 <= n; i += 3) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        pcol_buf_putc(out, b64_digits[v >> 18]);
        pcol_buf_putc(out, b64_digits[(v >> 12) & 63]);
        pcol_buf_putc(out, b64_digits[(v >> 6) & 63]);
        pcol_buf_putc(out, b64_digits[v & 63]);
    }
    if (n - i == 0) {
        return;
    }
    v = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
    pcol_buf_putc(out, b64_digits[v >> 18]);
    pcol_buf_putc(out, b64_digits[(v >> 12) & 63]);
    if (n - i == 2) {
        pcol_buf_putc(out, b64_digits[(v >> 6) & 63]);
    }
}

/* Decodes padded or unpadded base64; PCOL_EINVAL for anything else. */
static int b64_decode(const char *s, struct pcol_buf *out)
{
    size_t len = strlen(s), i, n = 0;
    uint32_t v = 0;
    const char *d;

    while (len > 0 && s[len - 1] == '=') {
        len--;
    }
    if (len % 4 == 1) {
        return PCOL_EINVAL;
    }
    for (i = 0; i < len; i++) {
        d = s[i] ? strchr(b64_digits, s[i]) : NULL;
        if (!d) {
            return PCOL_EINVAL;
        }
        v = v << 6 | (uint32_t)(d - b64_digits);
        if (++n == 4) {
            pcol_buf_putc(out, (char)(v >> 16));
            pcol_buf_putc(out, (char)(v >> 8));
            pcol_buf_putc(out, (char)v);
            n = 0;
            v = 0;
        }
    }
    if (n == 2) {
        pcol_buf_putc(out, (char)(v >> 4));
    } else if (n == 3) {
        pcol_buf_putc(out, (char)(v >> 10));
        pcol_buf_putc(out, (char)(v >> 2));
    }
    return 0;
}

/* ---- the few protobuf fields of grpc-status-details-bin ---------------- */

static void pb_varint(struct pcol_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        pcol_buf_putc(b, (char)(v | 0x80));
        v >>= 7;
    }
    pcol_buf_putc(b, (char)v);
}

static void pb_bytes(struct pcol_buf *b, unsigned field, const void *p, size_t n)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    pcol_buf_append(b, p, n);
}

void pcol_grpc_status_details_encode(enum pcol_grpc_status status, const char *message,
                                     uint64_t retry_delay_ms, struct pcol_buf *out)
{
    struct pcol_buf duration = {0}, retry = {0}, any = {0}, st = {0};

    pb_varint(&duration, 1 << 3);
    pb_varint(&duration, retry_delay_ms / 1000);
    if (retry_delay_ms % 1000) {
        pb_varint(&duration, 2 << 3);
        pb_varint(&duration, retry_delay_ms % 1000 * 1000000);
    }
    pb_bytes(&retry, 1, duration.p, duration.len);
    pb_bytes(&any, 1, RETRY_INFO_TYPE, strlen(RETRY_INFO_TYPE));
    pb_bytes(&any, 2, retry.p, retry.len);
    if (status != PCOL_GRPC_OK) {
        pb_varint(&st, 1 << 3);
        pb_varint(&st, (uint64_t)status);
    }
    if (message && *message) {
        pb_bytes(&st, 2, message, strlen(message));
    }
    pb_bytes(&st, 3, any.p, any.len);
    b64_encode(st.p, st.len, out);
    pcol_buf_putc(out, '\0');
    pcol_buf_free(&duration);
    pcol_buf_free(&retry);
    pcol_buf_free(&any);
    pcol_buf_free(&st);
}

/* A cursor over one message's bytes. */
struct pb {
    const uint8_t *p;
    const uint8_t *end;
};

static int pb_read_varint(struct pb *r, uint64_t *v)
{
    unsigned shift;

    *v = 0;
    for (shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        *v |= (uint64_t)(*r->p & 0x7f) << shift;
        if (!(*r->p++ & 0x80)) {
            return 0;
        }
    }
    return PCOL_EINVAL;
}

/* Reads the next field: its number, and for length-delimited ones the bytes
 * (in *sub); other wire types are skipped with *v holding varints. */
static int pb_next(struct pb *r, unsigned *field, uint64_t *v, struct pb *sub)
{
    uint64_t key, n;

    if (pb_read_varint(r, &key) < 0 || key >> 3 == 0 || key >> 3 > UINT32_MAX) {
        return PCOL_EINVAL;
    }
    *field = (unsigned)(key >> 3);
    sub->p = sub->end = NULL;
    switch (key & 7) {
    case 0: return pb_read_varint(r, v);
    case 1: n = 8; break;
    case 5: n = 4; break;
    case 2:
        if (pb_read_varint(r, &n) < 0) {
            return PCOL_EINVAL;
        }
        sub->p = r->p;
        break;
    default: return PCOL_EINVAL;
    }
    if (n > (uint64_t)(r->end - r->p)) {
        return PCOL_EINVAL;
    }
    r->p += n;
    sub->end = sub->p ? r->p : NULL;
    return 0;
}

/* Duration{seconds 1, nanos 2} -> ms; negative durations count as 0. */
static int read_duration(struct pb r, int64_t *ms)
{
    int64_t seconds = 0, nanos = 0;
    unsigned field;
    uint64_t v = 0;
    struct pb sub;

    while (r.p < r.end) {
        if (pb_next(&r, &field, &v, &sub) < 0) {
            return PCOL_EINVAL;
        }
        if (field == 1 && !sub.p) {
            seconds = (int64_t)v;
        } else if (field == 2 && !sub.p) {
            nanos = (int32_t)(uint32_t)v;
        }
    }
    if (seconds < 0 || nanos < 0) {
        *ms = 0;
    } else if (seconds > INT64_MAX / 1000 - 1) {
        *ms = INT64_MAX;
    } else {
        *ms = seconds * 1000 + nanos / 1000000;
    }
    return 0;
}

/* Any{type_url 1, value 2}: the delay if it holds a RetryInfo{retry_delay 1}. */
static int read_any(struct pb r, int64_t *ms)
{
    struct pb type = {0}, value = {0}, sub;
    unsigned field;
    uint64_t v;
    size_t tl = strlen(RETRY_INFO_TYPE);
    int rc = PCOL_ENOENT;

    while (r.p < r.end) {
        if (pb_next(&r, &field, &v, &sub) < 0) {
            return PCOL_EINVAL;
        }
        if (field == 1 && sub.p) {
            type = sub;
        } else if (field == 2 && sub.p) {
            value = sub;
        }
    }
    if (!type.p || (size_t)(type.end - type.p) != tl || memcmp(type.p, RETRY_INFO_TYPE, tl)) {
        return PCOL_ENOENT;
    }
    while (value.p && value.p < value.end) {
        if (pb_next(&value, &field, &v, &sub) < 0) {
            return PCOL_EINVAL;
        }
        if (field == 1 && sub.p) {
            rc = read_duration(sub, ms);
        }
    }
    return rc;
}

int pcol_grpc_retry_info_decode(const char *value, int64_t *delay_ms)
{
    struct pcol_buf raw = {0};
    struct pb r, sub;
    unsigned field;
    uint64_t v;
    int rc = b64_decode(value, &raw), found = PCOL_ENOENT;

    r.p = raw.p;
    r.end = raw.p + raw.len;
    while (rc == 0 && r.p < r.end) {
        rc = pb_next(&r, &field, &v, &sub);
        if (rc == 0 && field == 3 && sub.p && found == PCOL_ENOENT) {
            found = read_any(sub, delay_ms);
            rc = found == PCOL_EINVAL ? PCOL_EINVAL : 0;
        }
    }
    pcol_buf_free(&raw);
    return rc < 0 ? rc : found;
}

/* ---- server side ------------------------------------------------------- */

bool pcol_grpc_is_request(const struct pcol_http_request *req)
{
    const char *ct = pcol_http_header(req, "content-type");
    size_t n = strlen(PCOL_GRPC_CONTENT_TYPE);

    return ct && strncasecmp(ct, PCOL_GRPC_CONTENT_TYPE, n) == 0 &&
           (ct[n] == '\0' || ct[n] == '+' || ct[n] == ';');
}

int pcol_grpc_request_encoding(const struct pcol_http_request *req, enum pcol_encoding *enc,
                               struct pcol_err *err)
{
    return encoding_of(pcol_http_header(req, "grpc-encoding"), enc, err);
}

/* gRPC needs trailers, which only HTTP/2 has here. */
static int respond_not_h2(struct pcol_http_request *req)
{
    return pcol_http_respond_error(req, 400, "gRPC requires HTTP/2");
}

int pcol_grpc_respond(struct pcol_http_request *req, const uint8_t *msg, size_t len)
{
    struct pcol_buf body = {0};

    if (req->protocol != PCOL_HTTP_2) {
        return respond_not_h2(req);
    }
    pcol_grpc_frame(PCOL_ENC_IDENTITY, msg, len, &body);
    pcol_http_response_header(req, "grpc-accept-encoding", PCOL_GRPC_ACCEPT_ENCODING);
    pcol_http_response_trailer(req, "grpc-status", "0");
    return pcol_http_respond_take(req, 200, PCOL_GRPC_CONTENT_TYPE, body.p, body.len, free);
}

int pcol_grpc_respond_status(struct pcol_http_request *req, enum pcol_grpc_status status,
                             const char *message, uint64_t retry_delay_ms)
{
    struct pcol_buf b = {0};
    char code[12];

    if (req->protocol != PCOL_HTTP_2) {
        return respond_not_h2(req);
    }
    snprintf(code, sizeof(code), "%d", (int)status);
    pcol_http_response_header(req, "grpc-accept-encoding", PCOL_GRPC_ACCEPT_ENCODING);
    pcol_http_response_trailer(req, "grpc-status", code);
    if (message && *message) {
        pcol_grpc_message_encode(message, &b);
        pcol_http_response_trailer(req, "grpc-message", (const char *)b.p);
    }
    if (retry_delay_ms > 0) {
        b.len = 0;
        pcol_grpc_status_details_encode(status, message, retry_delay_ms, &b);
        pcol_http_response_trailer(req, "grpc-status-details-bin", (const char *)b.p);
    }
    pcol_buf_free(&b);
    return pcol_http_respond(req, 200, PCOL_GRPC_CONTENT_TYPE, NULL, 0);
}

/* ---- client side ------------------------------------------------------- */

static const char *find(const struct pcol_http_header *h, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcasecmp(h[i].name, name) == 0) {
            return h[i].value;
        }
    }
    return NULL;
}

/* A trailer, or for trailers-only responses the header of that name. */
static const char *find_status_field(const struct pcol_http_header *headers, size_t n_headers,
                                     const struct pcol_http_header *trailers, size_t n_trailers,
                                     const char *name)
{
    const char *v = find(trailers, n_trailers, name);

    return v ? v : find(headers, n_headers, name);
}

static int parse_status(const char *v)
{
    char *end;
    long s;

    if (!v || !*v) {
        return -1;
    }
    s = strtol(v, &end, 10);
    return *end == '\0' && s >= 0 && s <= INT32_MAX ? (int)s : -1;
}

int pcol_grpc_parse_response(int http_status, const struct pcol_http_header *headers,
                             size_t n_headers, const struct pcol_http_header *trailers,
                             size_t n_trailers, const uint8_t *body, size_t len, size_t max,
                             struct pcol_buf *scratch, struct pcol_grpc_result *res,
                             struct pcol_err *err)
{
    const char *v;
    enum pcol_encoding enc = PCOL_ENC_IDENTITY;
    int status, rc;

    memset(res, 0, sizeof(*res));
    res->retry_delay_ms = -1;
    status =
        parse_status(find_status_field(headers, n_headers, trailers, n_trailers, "grpc-status"));
    v = find_status_field(headers, n_headers, trailers, n_trailers, "grpc-message");
    if (v) {
        pcol_grpc_message_decode(v, res->message, sizeof(res->message));
    }
    v = find_status_field(headers, n_headers, trailers, n_trailers, "grpc-status-details-bin");
    if (v && pcol_grpc_retry_info_decode(v, &res->retry_delay_ms) < 0) {
        res->retry_delay_ms = -1;
    }
    if (status < 0) {
        status = http_status == 200 ? PCOL_GRPC_UNKNOWN : status_of_http_response(http_status);
        if (!res->message[0]) {
            snprintf(res->message, sizeof(res->message), "HTTP status %d without grpc-status",
                     http_status);
        }
    }
    res->status = status;
    if (status != PCOL_GRPC_OK || len == 0) {
        return 0;
    }
    rc = encoding_of(find(headers, n_headers, "grpc-encoding"), &enc, err);
    if (rc == 0) {
        rc = pcol_grpc_unframe(body, len, enc, max, &res->msg, &res->msg_len, scratch, err);
    }
    if (rc < 0) {
        res->status = rc == PCOL_ERANGE    ? PCOL_GRPC_RESOURCE_EXHAUSTED
                      : rc == PCOL_ENOTSUP ? PCOL_GRPC_UNIMPLEMENTED
                                           : PCOL_GRPC_INTERNAL;
        snprintf(res->message, sizeof(res->message), "%s", err ? err->msg : "bad response");
    }
    return rc;
}
