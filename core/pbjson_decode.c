/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pbjson_decode.c: proto3 JSON -> any protobuf-c message
 * (pcol_pbjson_decode): a strict, dependency-free JSON reader, driven by the
 * message descriptors, that builds the message directly (no DOM) in a
 * caller-given arena. The encoder is pbjson_encode.c.
 *
 * Ownership: borrows the JSON text; everything it builds lives in the
 * caller's arena.
 */
#include "pbjson_internal.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define JSON_MAX_DEPTH 64

struct jp {
    const char *start, *p, *end;
    struct pcol_arena *a;
    struct pcol_err *err;
    unsigned depth;
};

static int jfail(struct jp *j, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports the error at `at` as line:col (1-based, columns in bytes). */
static int jfail(struct jp *j, const char *at, const char *fmt, ...)
{
    char what[200];
    unsigned line = 1, col = 1;
    const char *q;
    va_list ap;

    for (q = j->start; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return pcol_err_set(j->err, PCOL_EINVAL, "JSON %u:%u (byte %zu): %s", line, col,
                        (size_t)(at - j->start), what);
}

static int peek(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) {
        j->p++;
    }
    return j->p < j->end ? (unsigned char)*j->p : -1;
}

static bool eat(struct jp *j, char c)
{
    if (peek(j) == (unsigned char)c) {
        j->p++;
        return true;
    }
    return false;
}

static bool literal(struct jp *j, const char *w)
{
    size_t n = strlen(w);

    if ((size_t)(j->end - j->p) >= n && memcmp(j->p, w, n) == 0) {
        j->p += n;
        return true;
    }
    return false;
}

static int read_u4(struct jp *j, const char *q, uint32_t *out)
{
    int i, v;

    *out = 0;
    if (j->end - q < 4) {
        return jfail(j, q, "truncated \\u escape");
    }
    for (i = 0; i < 4; i++) {
        v = pcol_hex_value((unsigned char)q[i]);
        if (v < 0) {
            return jfail(j, q, "bad \\u escape");
        }
        *out = (*out << 4) | (uint32_t)v;
    }
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the escapes of q[0..end) (checked to be well-formed JSON string
 * content apart from escapes) into `o`, which has room: no escape expands. */
static int unescape(struct jp *j, const char *q, const char *end, char *o, size_t *n)
{
    static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
    char *start = o;
    const char *hit;
    uint32_t cp, lo;
    int rc;

    while (q < end) {
        if (*q != '\\') {
            *o++ = *q++;
            continue;
        }
        if (q[1] != 'u') {
            hit = q[1] ? strchr(simple_in, q[1]) : NULL;
            if (!hit) {
                return jfail(j, q, "bad escape '\\%c' in string", q[1]);
            }
            *o++ = simple_out[hit - simple_in];
            q += 2;
            continue;
        }
        if ((rc = read_u4(j, q + 2, &cp))) {
            return rc;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            return jfail(j, q, "lone low surrogate in \\u escape");
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (end - q < 12 || q[6] != '\\' || q[7] != 'u' || read_u4(j, q + 8, &lo) ||
                lo < 0xdc00 || lo > 0xdfff) {
                return jfail(j, q, "high surrogate not followed by a low one in \\u escape");
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            q += 6;
        }
        o += put_utf8(o, cp);
        q += 6;
    }
    *n = (size_t)(o - start);
    return 0;
}

/* Reads the string at j->p (a '"'). Without escapes and without `copy` the
 * result points into the input (not NUL-terminated); otherwise it is a
 * NUL-terminated arena copy. */
static int jstring(struct jp *j, bool copy, const char **s, size_t *n)
{
    const char *q = j->p + 1, *body = q;
    bool escaped = false;
    char *o;
    size_t k;
    int rc;

    while (q < j->end && *q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c == '\\') {
            escaped = true;
            q += q + 1 < j->end ? 2 : 1;
        } else if (c < 0x20) {
            return jfail(j, q, "control character 0x%02x in string (must be escaped)", c);
        } else if (c >= 0x80) {
            k = utf8_len((const unsigned char *)q, (const unsigned char *)j->end);
            if (!k) {
                return jfail(j, q, "invalid UTF-8 in string");
            }
            q += k;
        } else {
            q++;
        }
    }
    if (q >= j->end) {
        return jfail(j, j->p, "unterminated string");
    }
    if (!escaped && !copy) {
        *s = body;
        *n = (size_t)(q - body);
    } else if (!escaped) {
        *s = pcol_arena_strndup(j->a, body, (size_t)(q - body));
        *n = (size_t)(q - body);
    } else {
        o = pcol_arena_alloc(j->a, (size_t)(q - body) + 1);
        if ((rc = unescape(j, body, q, o, n))) {
            return rc;
        }
        o[*n] = '\0';
        *s = o;
    }
    j->p = q + 1;
    return 0;
}

/* Length of the strict JSON number at s, 0 if there is none. */
static size_t num_len(const char *s, const char *end, bool *integral)
{
    const char *q = s;

#define DIGIT(p) ((p) < end && *(p) >= '0' && *(p) <= '9')
    *integral = true;
    if (q < end && *q == '-') {
        q++;
    }
    if (!DIGIT(q)) {
        return 0;
    }
    if (*q == '0') {
        q++;
    } else {
        while (DIGIT(q)) {
            q++;
        }
    }
    if (q < end && *q == '.') {
        q++;
        if (!DIGIT(q)) {
            return 0;
        }
        while (DIGIT(q)) {
            q++;
        }
        *integral = false;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-')) {
            q++;
        }
        if (!DIGIT(q)) {
            return 0;
        }
        while (DIGIT(q)) {
            q++;
        }
        *integral = false;
    }
#undef DIGIT
    return (size_t)(q - s);
}

/* The text of a number given bare or as a string ("12", "1e3"). */
static int jnum_text(struct jp *j, const ProtobufCFieldDescriptor *f, const char **s, size_t *n,
                     bool *integral)
{
    const char *at = j->p;
    int rc;

    if (peek(j) == '"') {
        if ((rc = jstring(j, false, s, n))) {
            return rc;
        }
        if (!*n || num_len(*s, *s + *n, integral) != *n) {
            return jfail(j, at, "field \"%s\": expected a number", f->name);
        }
        return 0;
    }
    *s = j->p;
    *n = num_len(j->p, j->end, integral);
    if (!*n) {
        return jfail(j, at, "field \"%s\": expected a number", f->name);
    }
    j->p += *n;
    return 0;
}

/* strtod needs a terminated copy; numbers are short, so a stack buffer
 * serves all but pathological ones. */
static bool to_double(const char *s, size_t n, double *d)
{
    char buf[64], *tmp = n < sizeof(buf) ? buf : pcol_xmalloc(n + 1);

    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *d = strtod(tmp, NULL);
    if (tmp != buf) {
        free(tmp);
    }
    return isfinite(*d);
}

/* Sign and magnitude of an integer-valued number text; false if it is not a
 * whole number or its magnitude does not fit 64 bits. */
static bool to_integer(const char *s, size_t n, bool integral, bool *neg, uint64_t *mag)
{
    size_t i = 0;
    double d;

    *neg = s[0] == '-';
    *mag = 0;
    if (integral) {
        for (i = *neg; i < n; i++) {
            unsigned dig = (unsigned)(s[i] - '0');
            if (*mag > (UINT64_MAX - dig) / 10) {
                return false;
            }
            *mag = *mag * 10 + dig;
        }
        return true;
    }
    if (!to_double(s, n, &d) || d != floor(d) || fabs(d) >= 18446744073709551616.0) {
        return false;
    }
    *neg = d < 0;
    *mag = (uint64_t)fabs(d);
    return true;
}

static int jint(struct jp *j, const ProtobufCFieldDescriptor *f, int64_t min, int64_t max,
                int64_t *out)
{
    const char *at, *s;
    bool integral, neg;
    uint64_t mag;
    size_t n;
    int rc;

    peek(j);
    at = j->p;
    if ((rc = jnum_text(j, f, &s, &n, &integral))) {
        return rc;
    }
    if (!to_integer(s, n, integral, &neg, &mag) ||
        (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)) {
        return jfail(j, at, "field \"%s\": not an integer in range", f->name);
    }
    *out = !neg ? (int64_t)mag : mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    if (*out < min || *out > max) {
        return jfail(j, at, "field \"%s\": %" PRId64 " out of range", f->name, *out);
    }
    return 0;
}

static int juint(struct jp *j, const ProtobufCFieldDescriptor *f, uint64_t max, uint64_t *out)
{
    const char *at, *s;
    bool integral, neg;
    size_t n;
    int rc;

    peek(j);
    at = j->p;
    if ((rc = jnum_text(j, f, &s, &n, &integral))) {
        return rc;
    }
    if (!to_integer(s, n, integral, &neg, out) || (neg && *out) || *out > max) {
        return jfail(j, at, "field \"%s\": not an unsigned integer in range", f->name);
    }
    return 0;
}

static int jdouble(struct jp *j, const ProtobufCFieldDescriptor *f, double *out)
{
    const char *at, *s;
    bool integral;
    size_t n;
    int rc;

    peek(j);
    at = j->p;
    if (peek(j) == '"') {
        if ((rc = jstring(j, false, &s, &n))) {
            return rc;
        }
        if (n == 3 && memcmp(s, "NaN", 3) == 0) {
            *out = NAN;
            return 0;
        }
        if (n == 8 && memcmp(s, "Infinity", 8) == 0) {
            *out = INFINITY;
            return 0;
        }
        if (n == 9 && memcmp(s, "-Infinity", 9) == 0) {
            *out = -INFINITY;
            return 0;
        }
        j->p = at;
    }
    if ((rc = jnum_text(j, f, &s, &n, &integral))) {
        return rc;
    }
    if (!to_double(s, n, out) || (f->type == PROTOBUF_C_TYPE_FLOAT && fabs(*out) > FLT_MAX)) {
        return jfail(j, at, "field \"%s\": number out of range", f->name);
    }
    return 0;
}

static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '-') {
        return 62;
    }
    if (c == '/' || c == '_') {
        return 63;
    }
    return -1;
}

/* Base64, standard or URL-safe alphabet, padding optional. */
static bool base64_decode(const char *s, size_t n, uint8_t *o, size_t *olen)
{
    size_t i, k = 0, pad = 0;
    uint32_t acc = 0;
    int v;

    while (pad < 2 && n > pad && s[n - 1 - pad] == '=') {
        pad++;
    }
    if (pad && n % 4) {
        return false;
    }
    n -= pad;
    if (n % 4 == 1) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if ((v = b64_val((unsigned char)s[i])) < 0) {
            return false;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (i % 4 == 3) {
            o[k++] = (uint8_t)(acc >> 16);
            o[k++] = (uint8_t)(acc >> 8);
            o[k++] = (uint8_t)acc;
        }
    }
    if (n % 4 == 2) {
        o[k++] = (uint8_t)(acc >> 4);
    } else if (n % 4 == 3) {
        o[k++] = (uint8_t)(acc >> 10);
        o[k++] = (uint8_t)(acc >> 2);
    }
    *olen = k;
    return true;
}

static int jbytes(struct jp *j, const ProtobufCFieldDescriptor *f, ProtobufCBinaryData *out)
{
    const char *at = j->p, *s;
    uint8_t *o;
    size_t n, i;
    int rc, hi, lo;

    if (peek(j) != '"') {
        return jfail(j, at, "field \"%s\": expected a string", f->name);
    }
    if ((rc = jstring(j, false, &s, &n))) {
        return rc;
    }
    o = n ? pcol_arena_alloc(j->a, n) : NULL;
    out->data = o;
    if (is_hex_field(f)) {
        if (n % 2) {
            return jfail(j, at, "field \"%s\": hex id has an odd number of digits", f->name);
        }
        for (i = 0; i < n; i += 2) {
            hi = pcol_hex_value((unsigned char)s[i]);
            lo = pcol_hex_value((unsigned char)s[i + 1]);
            if (hi < 0 || lo < 0) {
                return jfail(j, at, "field \"%s\": invalid hex digit", f->name);
            }
            o[i / 2] = (uint8_t)(hi << 4 | lo);
        }
        out->len = n / 2;
        return 0;
    }
    if (!base64_decode(s, n, o, &out->len)) {
        return jfail(j, at, "field \"%s\": invalid base64", f->name);
    }
    return 0;
}

static bool name_eq(const char *snake, const char *k, size_t n)
{
    const char *s;
    size_t i = 0;
    char c;

    if (strlen(snake) == n && memcmp(snake, k, n) == 0) {
        return true;
    }
    for (s = snake; *s; s++, i++) {
        c = *s;
        if (c == '_' && s[1]) {
            c = *++s;
            c = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        if (i >= n || k[i] != c) {
            return false;
        }
    }
    return i == n;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d,
                                                  const char *k, size_t n)
{
    unsigned i;

    for (i = 0; i < d->n_fields; i++) {
        if (name_eq(d->fields[i].name, k, n)) {
            return &d->fields[i];
        }
    }
    return NULL;
}

static int jskip(struct jp *j);
static int jmessage(struct jp *j, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);

static int jsingle(struct jp *j, const ProtobufCFieldDescriptor *f, void *dst)
{
    const char *at, *s;
    int64_t i;
    uint64_t u;
    double d;
    size_t n;
    int rc;

    peek(j);
    at = j->p;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        rc = jint(j, f, INT32_MIN, INT32_MAX, &i);
        *(int32_t *)dst = (int32_t)i;
        return rc;
    case PROTOBUF_C_TYPE_ENUM:
        if (peek(j) == '"') {
            const ProtobufCEnumValue *ev;
            if ((rc = jstring(j, true, &s, &n))) {
                return rc;
            }
            ev = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, s);
            if (!ev) {
                return jfail(j, at, "field \"%s\": unknown enum value \"%.40s\"", f->name, s);
            }
            *(int32_t *)dst = ev->value;
            return 0;
        }
        rc = jint(j, f, INT32_MIN, INT32_MAX, &i);
        *(int32_t *)dst = (int32_t)i;
        return rc;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        rc = juint(j, f, UINT32_MAX, &u);
        *(uint32_t *)dst = (uint32_t)u;
        return rc;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: return jint(j, f, INT64_MIN, INT64_MAX, (int64_t *)dst);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: return juint(j, f, UINT64_MAX, (uint64_t *)dst);
    case PROTOBUF_C_TYPE_BOOL:
        if (literal(j, "true")) {
            *(protobuf_c_boolean *)dst = 1;
            return 0;
        }
        if (literal(j, "false")) {
            *(protobuf_c_boolean *)dst = 0;
            return 0;
        }
        return jfail(j, at, "field \"%s\": expected true or false", f->name);
    case PROTOBUF_C_TYPE_FLOAT:
        rc = jdouble(j, f, &d);
        *(float *)dst = (float)d;
        return rc;
    case PROTOBUF_C_TYPE_DOUBLE: return jdouble(j, f, (double *)dst);
    case PROTOBUF_C_TYPE_STRING:
        if (peek(j) != '"') {
            return jfail(j, at, "field \"%s\": expected a string", f->name);
        }
        if ((rc = jstring(j, true, &s, &n))) {
            return rc;
        }
        if (memchr(s, '\0', n)) {
            return jfail(j, at, "field \"%s\": NUL characters are not supported in strings",
                         f->name);
        }
        *(const char **)dst = s;
        return 0;
    case PROTOBUF_C_TYPE_BYTES: return jbytes(j, f, dst);
    case PROTOBUF_C_TYPE_MESSAGE: return jmessage(j, f->descriptor, dst);
    }
    return jfail(j, at, "field \"%s\": unsupported field type %d", f->name, (int)f->type);
}

static int jrepeated(struct jp *j, const ProtobufCFieldDescriptor *f, ProtobufCMessage *m)
{
    size_t size = elt_size(f->type), n = 0, cap = 0;
    char *arr = NULL;
    int rc;

    if (peek(j) != '[') {
        return jfail(j, j->p, "field \"%s\": expected a list", f->name);
    }
    if (++j->depth > JSON_MAX_DEPTH) {
        return jfail(j, j->p, "nested deeper than %d levels", JSON_MAX_DEPTH);
    }
    j->p++;
    if (!eat(j, ']')) {
        for (;;) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                arr = pcol_arena_grow(j->a, arr, cap * size, ncap * size);
                cap = ncap;
            }
            if (peek(j) == 'n') {
                return jfail(j, j->p, "field \"%s\": null is not allowed in a list", f->name);
            }
            if ((rc = jsingle(j, f, arr + n * size))) {
                return rc;
            }
            n++;
            if (eat(j, ',')) {
                continue;
            }
            if (eat(j, ']')) {
                break;
            }
            return jfail(j, j->p, "field \"%s\": expected ',' or ']'", f->name);
        }
    }
    j->depth--;
    *(size_t *)FIELD_AT(m, f->quantifier_offset) = n;
    *(void **)FIELD_AT(m, f->offset) = arr;
    return 0;
}

static int jfield(struct jp *j, const ProtobufCFieldDescriptor *f, ProtobufCMessage *m)
{
    int rc;

    /* null means "default": leave the field as message_init set it. */
    if (peek(j) == 'n') {
        return literal(j, "null") ? 0 : jfail(j, j->p, "unexpected character 'n'");
    }
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        return jrepeated(j, f, m);
    }
    if ((rc = jsingle(j, f, FIELD_AT(m, f->offset)))) {
        return rc;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        *(uint32_t *)FIELD_AT(m, f->quantifier_offset) = f->id;
    } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
               f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) {
        *(protobuf_c_boolean *)FIELD_AT(m, f->quantifier_offset) = 1;
    }
    return 0;
}

static int jmessage(struct jp *j, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
    const ProtobufCFieldDescriptor *f;
    ProtobufCMessage *m;
    const char *key;
    size_t n;
    int rc;

    if (peek(j) != '{') {
        return jfail(j, j->p, "expected '{' to start a %s", d->short_name);
    }
    if (++j->depth > JSON_MAX_DEPTH) {
        return jfail(j, j->p, "nested deeper than %d levels", JSON_MAX_DEPTH);
    }
    j->p++;
    m = pcol_arena_alloc(j->a, d->sizeof_message);
    d->message_init(m);
    if (!eat(j, '}')) {
        for (;;) {
            if (peek(j) != '"') {
                return jfail(j, j->p, "expected a field name in quotes");
            }
            if ((rc = jstring(j, false, &key, &n))) {
                return rc;
            }
            if (!eat(j, ':')) {
                return jfail(j, j->p, "expected ':' after the field name");
            }
            f = find_field(d, key, n);
            if ((rc = f ? jfield(j, f, m) : jskip(j))) {
                return rc;
            }
            if (eat(j, ',')) {
                continue;
            }
            if (eat(j, '}')) {
                break;
            }
            return jfail(j, j->p, "expected ',' or '}' in %s", d->short_name);
        }
    }
    j->depth--;
    *out = m;
    return 0;
}

/* Skips any JSON value (an unknown field), checking that it is well-formed. */
static int jskip(struct jp *j)
{
    const char *s;
    bool integral, object;
    size_t n;
    int rc, c = peek(j);

    switch (c) {
    case '"': return jstring(j, false, &s, &n);
    case 't': return literal(j, "true") ? 0 : jfail(j, j->p, "unexpected character 't'");
    case 'f': return literal(j, "false") ? 0 : jfail(j, j->p, "unexpected character 'f'");
    case 'n': return literal(j, "null") ? 0 : jfail(j, j->p, "unexpected character 'n'");
    case '{':
    case '[': break;
    default:
        n = c < 0 ? 0 : num_len(j->p, j->end, &integral);
        if (!n) {
            return c < 0 ? jfail(j, j->p, "unexpected end of input")
                         : jfail(j, j->p, "unexpected character '%c'", c);
        }
        j->p += n;
        return 0;
    }
    object = c == '{';
    if (++j->depth > JSON_MAX_DEPTH) {
        return jfail(j, j->p, "nested deeper than %d levels", JSON_MAX_DEPTH);
    }
    j->p++;
    if (!eat(j, object ? '}' : ']')) {
        for (;;) {
            if (object) {
                if (peek(j) != '"') {
                    return jfail(j, j->p, "expected a field name in quotes");
                }
                if ((rc = jstring(j, false, &s, &n))) {
                    return rc;
                }
                if (!eat(j, ':')) {
                    return jfail(j, j->p, "expected ':' after the field name");
                }
            }
            if ((rc = jskip(j))) {
                return rc;
            }
            if (eat(j, ',')) {
                continue;
            }
            if (eat(j, object ? '}' : ']')) {
                break;
            }
            return jfail(j, j->p, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    j->depth--;
    return 0;
}

int pcol_pbjson_decode(const ProtobufCMessageDescriptor *d, const char *json, size_t len,
                       struct pcol_arena *a, ProtobufCMessage **out, struct pcol_err *err)
{
    struct jp j = {json, json, json + len, a, err, 0};
    ProtobufCMessage *m;
    int rc;

    if (!json) {
        j.start = j.p = j.end = "";
    }
    if ((rc = jmessage(&j, d, &m))) {
        return rc;
    }
    if (peek(&j) != -1) {
        return jfail(&j, j.p, "unexpected data after the JSON object");
    }
    *out = m;
    return 0;
}
