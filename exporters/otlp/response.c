/* SPDX-License-Identifier: Apache-2.0 */
/*
 * response.c: what OTLP servers answer, read without trusting it: the
 * partial_success of an ExportProfilesServiceResponse and the message of a
 * google.rpc.Status (OTLP/HTTP error bodies), each as protobuf or
 * OTLP/JSON, and Retry-After values. Only a handful of fields are needed,
 * so protobuf is walked by hand and JSON is scanned for the keys (both
 * their lowerCamelCase and snake_case names) with bounds checked at every
 * byte: a malformed answer reads as "nothing said", never as a crash.
 *
 * Ownership: every input is borrowed for the call; output goes to the
 * caller's buffers.
 */
#include "otlp_exporter.h"

#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

/* ---- protobuf ----------------------------------------------------------------- */

struct pb {
    const uint8_t *p, *e;
};

static bool pb_varint(struct pb *r, uint64_t *v)
{
    unsigned shift;

    *v = 0;
    for (shift = 0; shift < 64 && r->p < r->e; shift += 7) {
        uint8_t b = *r->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            return true;
        }
    }
    return false;
}

/* Reads the next field: its number, a varint value in *v, or the bytes of
 * a length-delimited field in *sub; fixed-width fields are skipped. */
static bool pb_next(struct pb *r, uint32_t *field, uint64_t *v, struct pb *sub)
{
    uint64_t key, len;

    if (!pb_varint(r, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX) {
        return false;
    }
    *field = (uint32_t)(key >> 3);
    sub->p = sub->e = NULL;
    switch (key & 7) {
    case 0: return pb_varint(r, v);
    case 1: len = 8; break;
    case 5: len = 4; break;
    case 2:
        if (!pb_varint(r, &len) || len > (uint64_t)(r->e - r->p)) {
            return false;
        }
        sub->p = r->p;
        sub->e = r->p + len;
        break;
    default: return false;
    }
    if (len > (uint64_t)(r->e - r->p)) {
        return false;
    }
    r->p += len;
    return true;
}

/* Copies a string field, printable ASCII only, for a log line. */
static void copy_text(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t i, o = 0;

    for (i = 0; i < n && o + 1 < cap; i++) {
        out[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    }
    out[o] = '\0';
}

static bool pb_partial(const uint8_t *p, size_t n, uint64_t *rejected, char *msg, size_t cap)
{
    struct pb r = {p, p + n}, sub, in;
    uint32_t f;
    uint64_t v;
    bool found = false;

    while (r.p < r.e) {
        if (!pb_next(&r, &f, &v, &sub)) {
            return false;
        }
        if (f != 1 || !sub.p) {
            continue;
        }
        in = sub;
        found = true;
        while (in.p < in.e) {
            if (!pb_next(&in, &f, &v, &sub)) {
                return false;
            }
            if (f == 1 && !sub.p) {
                *rejected = v;
            } else if (f == 2 && sub.p) {
                copy_text(sub.p, (size_t)(sub.e - sub.p), msg, cap);
            }
        }
    }
    return found;
}

static void pb_status_message(const uint8_t *p, size_t n, char *msg, size_t cap)
{
    struct pb r = {p, p + n}, sub;
    uint32_t f;
    uint64_t v;

    while (r.p < r.e && pb_next(&r, &f, &v, &sub)) {
        if (f == 2 && sub.p) {
            copy_text(sub.p, (size_t)(sub.e - sub.p), msg, cap);
            return;
        }
    }
}

/* ---- JSON --------------------------------------------------------------------- */

struct js {
    const char *p, *e;
};

static void js_ws(struct js *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static bool js_lit(struct js *j, char c)
{
    js_ws(j);
    if (j->p < j->e && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

/* Skips a string at j->p ('"' included), leaving its raw content in *raw. */
static bool js_skip_string(struct js *j, struct js *raw)
{
    if (!js_lit(j, '"')) {
        return false;
    }
    raw->p = j->p;
    while (j->p < j->e && *j->p != '"') {
        j->p += *j->p == '\\' && j->p + 1 < j->e ? 2 : 1;
    }
    if (j->p >= j->e) {
        return false;
    }
    raw->e = j->p++;
    return true;
}

static bool js_skip_value(struct js *j, int depth)
{
    struct js raw;
    char close;

    js_ws(j);
    if (j->p >= j->e || depth > JSON_MAX_DEPTH) {
        return false;
    }
    if (*j->p == '"') {
        return js_skip_string(j, &raw);
    }
    if (*j->p != '{' && *j->p != '[') {
        while (j->p < j->e && !strchr(",}] \t\r\n", *j->p)) {
            j->p++;
        }
        return true;
    }
    close = *j->p == '{' ? '}' : ']';
    j->p++;
    if (js_lit(j, close)) {
        return true;
    }
    do {
        if (close == '}' && (!js_skip_string(j, &raw) || !js_lit(j, ':'))) {
            return false;
        }
        if (!js_skip_value(j, depth + 1)) {
            return false;
        }
    } while (js_lit(j, ','));
    return js_lit(j, close);
}

/* Moves j to the value of member `camel` or `snake` of the object at j. */
static bool js_member(struct js *j, const char *camel, const char *snake)
{
    struct js key;

    if (!js_lit(j, '{') || js_lit(j, '}')) {
        return false;
    }
    do {
        size_t n;

        if (!js_skip_string(j, &key) || !js_lit(j, ':')) {
            return false;
        }
        n = (size_t)(key.e - key.p);
        if ((n == strlen(camel) && !memcmp(key.p, camel, n)) ||
            (n == strlen(snake) && !memcmp(key.p, snake, n))) {
            js_ws(j);
            return true;
        }
        if (!js_skip_value(j, 1)) {
            return false;
        }
    } while (js_lit(j, ','));
    return false;
}

/* A JSON string value for a log line: escapes become their character,
 * anything outside printable ASCII '?'. */
static void js_text(struct js j, char *out, size_t cap)
{
    struct js raw;
    size_t o = 0;

    out[0] = '\0';
    if (!js_skip_string(&j, &raw)) {
        return;
    }
    while (raw.p < raw.e && o + 1 < cap) {
        char c = *raw.p++;
        if (c == '\\' && raw.p < raw.e) {
            char esc = *raw.p++;
            if (esc == 'u') {
                c = '?';
                raw.p += raw.e - raw.p < 4 ? raw.e - raw.p : 4;
            } else {
                c = esc == 'n' || esc == 't' || esc == 'r' ? ' ' : esc;
            }
        }
        out[o++] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    out[o] = '\0';
}

/* An int64 written as a string (OTLP/JSON) or as a number. */
static bool js_uint(struct js j, uint64_t *v)
{
    bool quoted = js_lit(&j, '"'), any = false;

    *v = 0;
    while (j.p < j.e && *j.p >= '0' && *j.p <= '9') {
        if (*v > (UINT64_MAX - 9) / 10) {
            return false;
        }
        *v = *v * 10 + (uint64_t)(*j.p++ - '0');
        any = true;
    }
    return any && (!quoted || (j.p < j.e && *j.p == '"'));
}

static bool js_partial(const uint8_t *p, size_t n, uint64_t *rejected, char *msg, size_t cap)
{
    struct js top = {(const char *)p, (const char *)p + n}, j;

    if (!js_member(&top, "partialSuccess", "partial_success")) {
        return false;
    }
    j = top;
    if (js_member(&j, "rejectedProfiles", "rejected_profiles") && !js_uint(j, rejected)) {
        *rejected = 0;
    }
    j = top;
    if (js_member(&j, "errorMessage", "error_message")) {
        js_text(j, msg, cap);
    }
    return true;
}

/* ---- the API ------------------------------------------------------------------ */

bool pcol__otlpexp_partial_success(const uint8_t *p, size_t n, bool json, uint64_t *rejected,
                                   char *msg, size_t cap)
{
    bool found;

    *rejected = 0;
    msg[0] = '\0';
    if (!p || !n) {
        return false;
    }
    found = json ? js_partial(p, n, rejected, msg, cap) : pb_partial(p, n, rejected, msg, cap);
    return found && (*rejected > 0 || msg[0]);
}

void pcol__otlpexp_status_message(const uint8_t *p, size_t n, bool json, char *msg, size_t cap)
{
    struct js j = {(const char *)p, (const char *)p + n};

    msg[0] = '\0';
    if (!p || !n) {
        return;
    }
    if (!json) {
        pb_status_message(p, n, msg, cap);
    } else if (js_member(&j, "message", "message")) {
        js_text(j, msg, cap);
    }
}
