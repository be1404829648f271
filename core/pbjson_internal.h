/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pbjson_internal.h: what the proto3 JSON encoder (pbjson_encode.c) and
 * decoder (pbjson_decode.c) share: reading protobuf-c fields through their
 * descriptors, OTLP's hex-id fields and UTF-8 validation. Private to those
 * two files; everyone else uses pcol_pbjson_encode/decode from
 * codec_otlp_internal.h.
 */
#ifndef PCOL_PBJSON_INTERNAL_H
#define PCOL_PBJSON_INTERNAL_H

#include "codec_otlp_internal.h"

#include <string.h>

#define FIELD_AT(m, off) ((char *)(m) + (off))

static inline size_t elt_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    default: return 4; /* 32-bit ints, enums, protobuf_c_boolean, float */
    }
}

/* OTLP/JSON writes these ids as hex, unlike proto3 JSON's base64. */
static inline bool is_hex_field(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_BYTES &&
           (strcmp(f->name, "trace_id") == 0 || strcmp(f->name, "span_id") == 0 ||
            strcmp(f->name, "profile_id") == 0);
}

/* Length of the valid UTF-8 sequence at s, 0 if invalid (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
static inline size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    uint32_t cp;
    size_t n, i;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < n) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        return 0;
    }
    return n;
}

#endif
