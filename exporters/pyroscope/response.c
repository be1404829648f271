/* SPDX-License-Identifier: Apache-2.0 */
/*
 * response.c: what a Pyroscope server answers, read without trusting it.
 *
 * Status classes: any 2xx is delivered (Pyroscope answers 200 with an
 * empty body, or `application/proto` and no bytes for Push); 429 (rate
 * and ingestion limits, since Pyroscope 2.2) and every 5xx are worth a
 * retry, with Retry-After as the hint; everything else (400 bad name or
 * labels, 401/403 tenancy and auth, 404 wrong path, 413 too big, 415 wrong
 * content type, 422 invalid profile, other 4xx, and 1xx/3xx, which no
 * Pyroscope sends) is permanent.
 *
 * Error bodies are Pyroscope's / Connect's JSON {"code":"...",
 * "message":"..."}; the two strings are picked out of the top-level object
 * by a small scanner that checks bounds at every byte, so a malformed body
 * reads as "nothing said". Other bodies are shown by their printable
 * start.
 *
 * Ownership: inputs are borrowed for the call; output goes to the caller's
 * buffers.
 */
#include "pyroscope_exporter.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 32

enum pcol__pyroexp_class pcol__pyroexp_classify(int status)
{
    if (status >= 200 && status < 300) {
        return PCOL__PYROEXP_ACCEPTED;
    }
    if (status == 429 || (status >= 500 && status < 600)) {
        return PCOL__PYROEXP_RETRY;
    }
    return PCOL__PYROEXP_PERMANENT;
}

/* ---- a JSON object's top-level strings -------------------------------------------- */

struct scan {
    const char *p, *e;
};

static void ws(struct scan *s)
{
    while (s->p < s->e && strchr(" \t\r\n", *s->p) && *s->p) {
        s->p++;
    }
}

static bool lit(struct scan *s, char c)
{
    ws(s);
    if (s->p < s->e && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

/* Skips a string, leaving its raw content (escapes unread) in [*b, *end). */
static bool string(struct scan *s, const char **b, const char **end)
{
    if (!lit(s, '"')) {
        return false;
    }
    *b = s->p;
    while (s->p < s->e && *s->p != '"') {
        s->p += *s->p == '\\' && s->p + 1 < s->e ? 2 : 1;
    }
    if (s->p >= s->e) {
        return false;
    }
    *end = s->p++;
    return true;
}

static bool skip_value(struct scan *s, int depth)
{
    const char *b, *e;
    char close;

    ws(s);
    if (s->p >= s->e || depth > MAX_DEPTH) {
        return false;
    }
    if (*s->p == '"') {
        return string(s, &b, &e);
    }
    if (*s->p != '{' && *s->p != '[') {
        while (s->p < s->e && !strchr(",}] \t\r\n", *s->p)) {
            s->p++;
        }
        return true;
    }
    close = *s->p++ == '{' ? '}' : ']';
    if (lit(s, close)) {
        return true;
    }
    do {
        if (close == '}' && (!string(s, &b, &e) || !lit(s, ':'))) {
            return false;
        }
        if (!skip_value(s, depth + 1)) {
            return false;
        }
    } while (lit(s, ','));
    return lit(s, close);
}

/* A raw JSON string as printable ASCII for a log line. */
static void text(const char *b, const char *e, char *out, size_t cap)
{
    size_t o = 0;

    while (b < e && o + 1 < cap) {
        char c = *b++;
        if (c == '\\' && b < e) {
            char esc = *b++;
            if (esc == 'u') {
                b += e - b < 4 ? e - b : 4;
                c = '?';
            } else {
                c = esc == 'n' || esc == 't' || esc == 'r' ? ' ' : esc;
            }
        }
        out[o++] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    out[o] = '\0';
}

/* The "code" and "message" strings of a JSON object; false when the body
 * is not one. */
static bool json_error(const uint8_t *p, size_t n, char *code, size_t code_cap, char *msg,
                       size_t msg_cap)
{
    struct scan s = {(const char *)p, (const char *)p + n};
    const char *kb, *ke, *vb, *ve;

    code[0] = msg[0] = '\0';
    if (!lit(&s, '{')) {
        return false;
    }
    if (lit(&s, '}')) {
        return true;
    }
    do {
        size_t klen;
        struct scan v;

        if (!string(&s, &kb, &ke) || !lit(&s, ':')) {
            return false;
        }
        klen = (size_t)(ke - kb);
        ws(&s);
        v = s;
        if (!skip_value(&s, 1)) {
            return false;
        }
        if (klen == 4 && !memcmp(kb, "code", 4) && string(&v, &vb, &ve)) {
            text(vb, ve, code, code_cap);
        } else if (klen == 7 && !memcmp(kb, "message", 7) && string(&v, &vb, &ve)) {
            text(vb, ve, msg, msg_cap);
        }
    } while (lit(&s, ','));
    return lit(&s, '}');
}

void pcol__pyroexp_error_detail(const struct pcol_http_client_resp *resp, char *out, size_t cap)
{
    char code[48], msg[200];
    size_t i, n = resp->body_len < sizeof(msg) - 1 ? resp->body_len : sizeof(msg) - 1;

    if (json_error(resp->body, resp->body_len, code, sizeof(code), msg, sizeof(msg))) {
        snprintf(out, cap, "HTTP %d%s%s%s%s%s", resp->status, code[0] ? " (" : "", code,
                 code[0] ? ")" : "", msg[0] ? ": " : "", msg);
        return;
    }
    for (i = 0; i < n; i++) {
        uint8_t c = resp->body[i];
        msg[i] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    while (i > 0 && msg[i - 1] == ' ') {
        i--;
    }
    msg[i] = '\0';
    snprintf(out, cap, "HTTP %d%s%s", resp->status, msg[0] ? ": " : "", msg);
}
