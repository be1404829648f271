/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pbjson_encode.c: any protobuf-c message -> proto3 JSON, driven by the
 * message descriptors (pcol_pbjson_encode). It follows the proto3 JSON
 * mapping with OTLP's one twist: the bytes fields trace_id, span_id and
 * profile_id are lowercase hex, not base64. The decoder is pbjson_decode.c.
 *
 * Ownership: borrows the message and appends to the caller's buffer.
 */
#include "pbjson_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char hex_digits[] = "0123456789abcdef";
static const char b64_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_u64(struct pcol_buf *out, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    pcol_buf_append(out, tmp + i, sizeof(tmp) - i);
}

static void put_i64(struct pcol_buf *out, int64_t v)
{
    if (v < 0) {
        pcol_buf_putc(out, '-');
        put_u64(out, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(out, (uint64_t)v);
    }
}

/* Shortest of the usual precisions that reads back to the same value. */
static void put_double(struct pcol_buf *out, double d, bool is_float)
{
    char tmp[40];
    int prec;

    if (isnan(d)) {
        pcol_buf_puts(out, "\"NaN\"");
        return;
    }
    if (isinf(d)) {
        pcol_buf_puts(out, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    for (prec = is_float ? 6 : 15; prec <= (is_float ? 9 : 17); prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (is_float ? (float)strtod(tmp, NULL) == (float)d : strtod(tmp, NULL) == d) {
            break;
        }
    }
    pcol_buf_puts(out, tmp);
}

/* A JSON string: control characters as \u00XX, valid UTF-8 passed through,
 * invalid bytes replaced by U+FFFD so the output is always valid JSON. */
static void put_str(struct pcol_buf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    size_t k;

    pcol_buf_putc(out, '"');
    while (p < end) {
        unsigned c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            p++;
            continue;
        }
        pcol_buf_append(out, run, (size_t)(p - run));
        if (c >= 0x80) {
            k = utf8_len(p, end);
            if (k) {
                pcol_buf_append(out, p, k);
                p += k;
            } else {
                pcol_buf_puts(out, "\\ufffd");
                p++;
            }
        } else if (c == '"' || c == '\\') {
            pcol_buf_putc(out, '\\');
            pcol_buf_putc(out, (char)c);
            p++;
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 15]};
            pcol_buf_append(out, esc, sizeof(esc));
            p++;
        }
        run = p;
    }
    pcol_buf_append(out, run, (size_t)(p - run));
    pcol_buf_putc(out, '"');
}

static void put_hex(struct pcol_buf *out, const uint8_t *p, size_t n)
{
    pcol_buf_reserve(out, 2 * n + 2);
    out->p[out->len++] = '"';
    pcol_hex_encode((char *)out->p + out->len, p, n);
    out->len += 2 * n;
    out->p[out->len++] = '"';
}

static void put_base64(struct pcol_buf *out, const uint8_t *p, size_t n)
{
    size_t i;
    uint32_t v;

    pcol_buf_reserve(out, (n + 2) / 3 * 4 + 2);
    out->p[out->len++] = '"';
    for (i = 0; i + 3 <= n; i += 3) {
        v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out->p[out->len++] = (uint8_t)b64_digits[v >> 18];
        out->p[out->len++] = (uint8_t)b64_digits[(v >> 12) & 63];
        out->p[out->len++] = (uint8_t)b64_digits[(v >> 6) & 63];
        out->p[out->len++] = (uint8_t)b64_digits[v & 63];
    }
    if (i < n) {
        v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        out->p[out->len++] = (uint8_t)b64_digits[v >> 18];
        out->p[out->len++] = (uint8_t)b64_digits[(v >> 12) & 63];
        out->p[out->len++] = i + 1 < n ? (uint8_t)b64_digits[(v >> 6) & 63] : '=';
        out->p[out->len++] = '=';
    }
    out->p[out->len++] = '"';
}

/* "snake_name": as "snakeName": */
static void put_name(struct pcol_buf *out, const char *snake)
{
    const char *s;

    pcol_buf_putc(out, '"');
    for (s = snake; *s; s++) {
        if (*s == '_' && s[1]) {
            s++;
            pcol_buf_putc(out, (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s);
        } else {
            pcol_buf_putc(out, *s);
        }
    }
    pcol_buf_puts(out, "\":");
}

static bool is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !s[0];
    }
    case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE: return *(ProtobufCMessage *const *)p == NULL;
    case PROTOBUF_C_TYPE_FLOAT: return *(const float *)p == 0;
    case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)p == 0;
    default: return elt_size(f->type) == 8 ? *(const uint64_t *)p == 0 : *(const uint32_t *)p == 0;
    }
}

static bool has_field(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *p = FIELD_AT(m, f->offset);

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        return *(const size_t *)FIELD_AT(m, f->quantifier_offset) > 0;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        /* A set oneof member is written even when it holds its zero value. */
        return *(const uint32_t *)FIELD_AT(m, f->quantifier_offset) == f->id;
    }
    if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
        return true;
    }
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
        f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) {
        return *(const protobuf_c_boolean *)FIELD_AT(m, f->quantifier_offset);
    }
    return !is_default(f, p);
}

static void enc_message(struct pcol_buf *out, const ProtobufCMessage *m);

static void enc_value(struct pcol_buf *out, const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM: put_i64(out, *(const int32_t *)p); break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: put_u64(out, *(const uint32_t *)p); break;
    case PROTOBUF_C_TYPE_BOOL:
        pcol_buf_puts(out, *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        pcol_buf_putc(out, '"');
        put_i64(out, *(const int64_t *)p);
        pcol_buf_putc(out, '"');
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        pcol_buf_putc(out, '"');
        put_u64(out, *(const uint64_t *)p);
        pcol_buf_putc(out, '"');
        break;
    case PROTOBUF_C_TYPE_FLOAT: put_double(out, *(const float *)p, true); break;
    case PROTOBUF_C_TYPE_DOUBLE: put_double(out, *(const double *)p, false); break;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        put_str(out, s ? s : "", s ? strlen(s) : 0);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *d = p;
        if (is_hex_field(f)) {
            put_hex(out, d->data, d->len);
        } else {
            put_base64(out, d->data, d->len);
        }
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        if (sub) {
            enc_message(out, sub);
        } else {
            pcol_buf_puts(out, "{}");
        }
        break;
    }
    }
}

static void enc_message(struct pcol_buf *out, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    bool first = true;
    unsigned i;
    size_t j, n, size;

    pcol_buf_putc(out, '{');
    for (i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!has_field(m, f)) {
            continue;
        }
        if (!first) {
            pcol_buf_putc(out, ',');
        }
        first = false;
        put_name(out, f->name);
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            enc_value(out, f, FIELD_AT(m, f->offset));
            continue;
        }
        n = *(const size_t *)FIELD_AT(m, f->quantifier_offset);
        size = elt_size(f->type);
        pcol_buf_putc(out, '[');
        for (j = 0; j < n; j++) {
            if (j) {
                pcol_buf_putc(out, ',');
            }
            enc_value(out, f, *(char *const *)FIELD_AT(m, f->offset) + j * size);
        }
        pcol_buf_putc(out, ']');
    }
    pcol_buf_putc(out, '}');
}

void pcol_pbjson_encode(const ProtobufCMessage *m, struct pcol_buf *out)
{
    enc_message(out, m);
}
