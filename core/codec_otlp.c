/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp.c: the OTLP Profiles protobuf wire format
 * (ExportProfilesServiceRequest, the same bytes as ProfilesData):
 * pcol_otlp_decode and pcol_otlp_encode. The translation between protobuf-c
 * structs and the model is shared with OTLP/JSON (codec_otlp_json.c) and
 * lives in codec_otlp_decode.c and codec_otlp_encode.c.
 *
 * Decoding first walks the wire bytes (field wire types, lengths, nesting
 * depth: protobuf-c reports none of these and recurses without a limit),
 * then unpacks with protobuf-c into the batch arena, where the model may
 * keep pointing at the request's strings, bytes and int arrays. The first
 * walk descends only into message types that can nest without a bound
 * (AnyValue and what leads to it), which bounds protobuf-c's recursion; the
 * samples and dictionary entries are walked only when protobuf-c fails, to
 * say what is wrong. A fresh batch first gets the direct decoder of
 * codec_otlp_fast.c, which skips all of this for the common shape.
 *
 * Ownership: the decoder borrows the input and appends to a caller-owned
 * batch; the encoder borrows the batch and appends to a caller-owned buffer.
 */
#include "codec_otlp.h"
#include "codec_otlp_decode_internal.h"

#include <pthread.h>

/* Deeper than any valid request (AnyValue nesting is capped at 16, which is
 * 2 messages per level); protects protobuf-c's recursion. */
#define WIRE_MAX_DEPTH 64

/* A message type whose fields nest at most this deep (by its descriptor) is
 * skipped by the quick walk: protobuf-c's recursion inside it is bounded. */
#define SHALLOW_LEVELS 8
#define MAX_TYPES 64

/* The message types under the request that are not shallow; filled once. */
static struct {
    pthread_once_t once;
    const ProtobufCMessageDescriptor *seen[MAX_TYPES], *deep[MAX_TYPES];
    unsigned n_seen, n_deep;
    bool all_deep; /* more types than the arrays hold: treat all as deep */
} types = {PTHREAD_ONCE_INIT, {NULL}, {NULL}, 0, 0, false};

/* ---- which message types can nest without a bound ----------------------- */

static bool shallow(const ProtobufCMessageDescriptor *d, unsigned levels)
{
    unsigned i;

    for (i = 0; i < d->n_fields; i++) {
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE &&
            (!levels || !shallow(d->fields[i].descriptor, levels - 1))) {
            return false;
        }
    }
    return true;
}

static bool type_in(const ProtobufCMessageDescriptor *const *v, unsigned n,
                    const ProtobufCMessageDescriptor *d)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        if (v[i] == d) {
            return true;
        }
    }
    return false;
}

static void collect_types(const ProtobufCMessageDescriptor *d)
{
    unsigned i;

    if (types.all_deep || type_in(types.seen, types.n_seen, d)) {
        return;
    }
    if (types.n_seen == MAX_TYPES) {
        types.all_deep = true;
        return;
    }
    types.seen[types.n_seen++] = d;
    if (!shallow(d, SHALLOW_LEVELS)) {
        types.deep[types.n_deep++] = d;
    }
    for (i = 0; i < d->n_fields; i++) {
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
            collect_types(d->fields[i].descriptor);
        }
    }
}

static void init_types(void)
{
    collect_types(&PCOL_PB_REQUEST_DESC);
}

/* Remembers the last shallow type: a table's entries come one after another. */
static bool is_deep(const ProtobufCMessageDescriptor *d)
{
    static _Thread_local const ProtobufCMessageDescriptor *last_shallow;

    if (d == last_shallow) {
        return false;
    }
    if (types.all_deep || type_in(types.deep, types.n_deep, d)) {
        return true;
    }
    last_shallow = d;
    return false;
}

/* ---- wire pre-check ------------------------------------------------------ */

/* Reads a varint from p[0..n); returns its length, 0 if cut short or over 10 bytes. */
static size_t wire_varint(const uint8_t *p, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    size_t i;

    for (i = 0; i < n && i < 10; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

static unsigned native_wire_type(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return 1;
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FLOAT: return 5;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE: return 2;
    default: return 0;
    }
}

/* Whether a packed list body splits into whole elements. */
static bool packed_body_ok(ProtobufCType t, const uint8_t *p, size_t n)
{
    switch (native_wire_type(t)) {
    case 1: return n % 8 == 0;
    case 5: return n % 4 == 0;
    default: return n == 0 || !(p[n - 1] & 0x80);
    }
}

static int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                      size_t base, unsigned depth, bool all, struct pcol_err *err);

/* Our field numbers are dense from 1 and descriptors sort fields by number,
 * so the direct slot is almost always right; protobuf-c searches otherwise. */
static const ProtobufCFieldDescriptor *field_by_number(const ProtobufCMessageDescriptor *d,
                                                       unsigned num)
{
    if (num - 1 < d->n_fields && d->fields[num - 1].id == num) {
        return &d->fields[num - 1];
    }
    return protobuf_c_message_descriptor_get_field(d, num);
}

static int wire_check_field(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
                            unsigned wt, const uint8_t *body, size_t blen, size_t tag_at,
                            size_t body_at, unsigned depth, bool all, struct pcol_err *err)
{
    unsigned want = native_wire_type(f->type);
    bool packed = wt == 2 && want != 2 && f->label == PROTOBUF_C_LABEL_REPEATED;

    if (wt != want && !packed) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "byte %zu: %s.%s (field %u) has wire type %u, expected %u", tag_at,
                            d->short_name, f->name, f->id, wt, want);
    }
    if (packed && !packed_body_ok(f->type, body, blen)) {
        return pcol_err_set(err, PCOL_EINVAL, "byte %zu: %s.%s: packed list is cut short", body_at,
                            d->short_name, f->name);
    }
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || (!all && !is_deep(f->descriptor))) {
        return 0;
    }
    if (depth >= WIRE_MAX_DEPTH) {
        return pcol_err_set(err, PCOL_EINVAL, "byte %zu: messages nested deeper than %d levels",
                            body_at, WIRE_MAX_DEPTH);
    }
    return wire_check(f->descriptor, body, blen, body_at, depth + 1, all, err);
}

/* Checks that `p` splits into well-formed fields whose wire types match the
 * descriptor, recursing into known message fields (`all`) or only into those
 * that are not shallow. `base` is the offset of p[0] in the whole input, for
 * messages. */
static int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                      size_t base, unsigned depth, bool all, struct pcol_err *err)
{
    const ProtobufCFieldDescriptor *f;
    size_t off = 0, n, tag_at, body, blen;
    uint64_t tag, v;
    unsigned wt, num;
    int rc;

    while (off < len) {
        tag_at = off;
        n = wire_varint(p + off, len - off, &tag);
        if (!n || tag >> 3 == 0 || tag >> 3 > 0x1fffffff) {
            return pcol_err_set(err, PCOL_EINVAL, "byte %zu: bad or truncated field tag in %s",
                                base + off, d->short_name);
        }
        off += n;
        wt = (unsigned)(tag & 7);
        num = (unsigned)(tag >> 3);
        f = field_by_number(d, num);
        body = off;
        switch (wt) {
        case 0: n = blen = wire_varint(p + off, len - off, &v); break;
        case 1:
        case 5:
            blen = wt == 1 ? 8 : 4;
            n = len - off >= blen ? blen : 0;
            break;
        case 2:
            n = wire_varint(p + off, len - off, &v);
            if (n && v <= len - off - n) {
                body = off + n;
                blen = (size_t)v;
                n += blen;
            } else {
                n = 0;
            }
            break;
        default:
            return pcol_err_set(err, PCOL_EINVAL,
                                "byte %zu: %s.%s (field %u) uses wire type %u, "
                                "which is not supported",
                                base + tag_at, d->short_name, f ? f->name : "?", num, wt);
        }
        if (!n) {
            return pcol_err_set(err, PCOL_EINVAL, "byte %zu: %s.%s (field %u) is truncated",
                                base + tag_at, d->short_name, f ? f->name : "?", num);
        }
        if (f) {
            rc = wire_check_field(d, f, wt, p + body, blen, base + tag_at, base + body, depth, all,
                                  err);
            if (rc) {
                return rc;
            }
        }
        off += n;
    }
    return 0;
}

int pcol__otlp_decode_general(struct pcol_batch *b, const uint8_t *buf, size_t len,
                              struct pcol_err *err)
{
    ProtobufCAllocator al = PCOL_PB_ALLOCATOR(b->arena);
    pcol_pb_export_request *req = NULL;
    int rc;

    pthread_once(&types.once, init_types);
    rc = wire_check(&PCOL_PB_REQUEST_DESC, buf, len, 0, 0, false, err);
    if (!rc) {
        req = (pcol_pb_export_request *)protobuf_c_message_unpack(&PCOL_PB_REQUEST_DESC, &al, len,
                                                                  buf);
    }
    if (!req) {
        /* The full walk names the first fault in byte order, whichever step
         * noticed one. */
        int full = wire_check(&PCOL_PB_REQUEST_DESC, buf, len, 0, 0, true, err);
        if (full || rc) {
            return full ? full : rc;
        }
        return pcol_err_set(err, PCOL_EINVAL,
                            "protobuf-c could not unpack the "
                            "ExportProfilesServiceRequest (malformed value)");
    }
    return pcol__otlp_from_pb(b, req, true, err);
}

/* A request into a batch whose dictionary is fresh first tries the direct
 * wire decoder (codec_otlp_fast.c), which leaves anything unusual or wrong
 * to the protobuf-c path above, so errors read the same either way. */
int pcol_otlp_decode(struct pcol_batch *b, const uint8_t *buf, size_t len, struct pcol_err *err)
{
    if (pcol__otlp_fast_decode(b, buf, len, err) == 0) {
        return 0;
    }
    return pcol__otlp_decode_general(b, buf, len, err);
}

void pcol_otlp_encode(const struct pcol_batch *b, struct pcol_buf *out)
{
    struct pcol_arena *a = pcol_arena_create(0);
    pcol_pb_export_request *req = pcol__otlp_to_pb(b, a);
    size_t n = protobuf_c_message_get_packed_size(&req->base);

    pcol_buf_reserve(out, n);
    out->len += protobuf_c_message_pack(&req->base, out->p + out->len);
    pcol_arena_destroy(a);
}
