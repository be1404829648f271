/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp.c: OTLP Profiles protobuf (ExportProfilesServiceRequest) <-> the
 * model, plus the resource/scope "context" JSON the pprof codec carries.
 *
 * Decoding first walks the wire bytes once (field wire types, lengths,
 * nesting depth: protobuf-c reports none of these and recurses without a
 * limit), then unpacks with protobuf-c into the batch arena, then translates
 * the request into the model, re-interning every dictionary entry through
 * per-table remap arrays so one batch can take several requests.
 *
 * Encoding builds protobuf-c structs in a scratch arena; they borrow the
 * batch's strings, bytes and int arrays, so nothing is copied before packing.
 *
 * Ownership: decoders append to a caller-owned batch; encoders borrow the
 * batch and append to a caller-owned buffer. The request given to
 * pcol__otlp_from_pb is borrowed.
 */
#include "codec_otlp.h"
#include "codec_otlp_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PB_P(n) Opentelemetry__Proto__Profiles__V1development__##n
#define PB_C(n) Opentelemetry__Proto__Common__V1__##n
#define PB_R(n) Opentelemetry__Proto__Resource__V1__##n
#define AV_CASE(c) OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_##c

/* Deeper than any valid request (AnyValue nesting is capped at 16, which is
 * 2 messages per level); protects protobuf-c's recursion. */
#define WIRE_MAX_DEPTH 64
#define VALUE_MAX_DEPTH 16

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
                      size_t base, unsigned depth, struct pcol_err *err);

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
                            size_t body_at, unsigned depth, struct pcol_err *err)
{
    unsigned want = native_wire_type(f->type);
    bool packed = wt == 2 && want != 2 && f->label == PROTOBUF_C_LABEL_REPEATED;

    if (wt != want && !packed) {
        return pcol_err_set(err, PCOL_EINVAL,
                            "byte %zu: %s.%s (field %u) has wire type %u, expected %u", tag_at,
                            d->short_name, f->name, f->id, wt, want);
    }
    if (packed && !packed_body_ok(f->type, body, blen)) {
        return pcol_err_set(err, PCOL_EINVAL, "byte %zu: %s.%s: packed list is cut short",
                            body_at, d->short_name, f->name);
    }
    if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
        return 0;
    }
    if (depth >= WIRE_MAX_DEPTH) {
        return pcol_err_set(err, PCOL_EINVAL, "byte %zu: messages nested deeper than %d levels",
                            body_at, WIRE_MAX_DEPTH);
    }
    return wire_check(f->descriptor, body, blen, body_at, depth + 1, err);
}

/* Checks that `p` splits into well-formed fields whose wire types match the
 * descriptor, recursing into known message fields. `base` is the offset of
 * p[0] in the whole input, for messages. */
static int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                      size_t base, unsigned depth, struct pcol_err *err)
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
            return pcol_err_set(err, PCOL_EINVAL, "byte %zu: %s.%s (field %u) uses wire type %u, "
                                "which is not supported", base + tag_at, d->short_name,
                                f ? f->name : "?", num, wt);
        }
        if (!n) {
            return pcol_err_set(err, PCOL_EINVAL, "byte %zu: %s.%s (field %u) is truncated",
                                base + tag_at, d->short_name, f ? f->name : "?", num);
        }
        if (f) {
            rc = wire_check_field(d, f, wt, p + body, blen, base + tag_at, base + body, depth, err);
            if (rc) {
                return rc;
            }
        }
        off += n;
    }
    return 0;
}

/* ---- protobuf -> model --------------------------------------------------- */

/* One step of the path printed in error messages; idx < 0 means no index. */
struct seg {
    const char *name;
    long idx;
};

struct dec {
    struct pcol_batch *b;
    struct pcol_err *err;
    bool borrow;  /* the request's strings, bytes and arrays live in b's arena */
    bool no_dict; /* context JSON: there is no string table to index */
    /* request index -> batch index, one map per dictionary table */
    int32_t *str, *fn, *link, *attr, *map, *loc, *stack;
    uint32_t n_str, n_fn, n_link, n_attr, n_map, n_loc, n_stack;
    struct seg path[8];
    unsigned depth;
    /* scratch reused from entry to entry */
    int32_t *tmp;
    size_t tmp_cap;
    struct pcol_line *lines;
    size_t lines_cap;
    uint64_t *set;
    size_t set_cap;
};

static void at(struct dec *st, unsigned level, const char *name, long idx)
{
    st->path[level].name = name;
    st->path[level].idx = idx;
    st->depth = level + 1;
}

static int fail(struct dec *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct dec *st, const char *fmt, ...)
{
    char where[160], what[PCOL_ERR_MAX];
    size_t n = 0;
    unsigned i;
    va_list ap;
    int k;

    where[0] = '\0';
    for (i = 0; i < st->depth && n < sizeof(where); i++) {
        const struct seg *s = &st->path[i];
        if (s->idx >= 0) {
            k = snprintf(where + n, sizeof(where) - n, "%s%s[%ld]", i ? "." : "", s->name, s->idx);
        } else {
            k = snprintf(where + n, sizeof(where) - n, "%s%s", i ? "." : "", s->name);
        }
        if (k < 0) {
            break;
        }
        n += (size_t)k;
    }
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (!st->depth) {
        return pcol_err_set(st->err, PCOL_EINVAL, "%s", what);
    }
    return pcol_err_set(st->err, PCOL_EINVAL, "%s: %s", where, what);
}

static int bad_index(struct dec *st, const char *field, int64_t v, uint32_t n, const char *table)
{
    if (st->no_dict) {
        return fail(st, "%s %" PRId64 " has no string table to point into (context JSON takes "
                    "plain strings)", field, v);
    }
    return fail(st, "%s %" PRId64 " out of range (%s has %u entries)", field, v, table, n);
}

/* Checks request index `v` against a table of `n` entries and maps it. */
static inline int remap(struct dec *st, const char *field, int64_t v, const int32_t *map,
                        uint32_t n, const char *table, int32_t *out)
{
    if (PCOL_UNLIKELY(v < 0 || v >= (int64_t)n)) {
        return bad_index(st, field, v, n, table);
    }
    *out = map[v];
    return 0;
}

static inline int str_idx(struct dec *st, const char *field, int64_t v, int32_t *out)
{
    return remap(st, field, v, st->str, st->n_str, "string_table", out);
}

static int32_t intern(struct dec *st, const char *s)
{
    size_t n;

    if (!s) {
        return 0;
    }
    n = strlen(s);
    return st->borrow ? pcol_dict_str_ref(st->b, s, n) : pcol_dict_str(st->b, s, n);
}

static const void *bytes_in(struct dec *st, const ProtobufCBinaryData *d)
{
    if (!d->len) {
        return NULL;
    }
    return st->borrow ? d->data : pcol_arena_memdup(st->b->arena, d->data, d->len);
}

static int check_count(struct dec *st, const char *what, size_t n)
{
    if (n > INT32_MAX) {
        return fail(st, "%zu %s is more than the model can hold", n, what);
    }
    return 0;
}

static void reserve_tmp(struct dec *st, size_t n)
{
    if (n > st->tmp_cap) {
        st->tmp_cap = n < 64 ? 64 : n;
        st->tmp = pcol_xrealloc(st->tmp, st->tmp_cap * sizeof(*st->tmp));
    }
}

/* Maps table size `n` (0 = absent = only the zero entry) to a remap array. */
static int32_t *new_map(size_t n, uint32_t *count)
{
    int32_t *m;

    *count = n ? (uint32_t)n : 1;
    m = pcol_xmalloc((size_t)*count * sizeof(int32_t));
    m[0] = 0;
    return m;
}

static int value_from_pb(struct dec *st, const PB_C(AnyValue) *av, struct pcol_value *out,
                         unsigned depth);

static int kv_from_pb(struct dec *st, const PB_C(KeyValue) *kv, struct pcol_kv *out,
                      unsigned depth)
{
    int rc;

    if (kv->key_strindex != 0) {
        if (kv->key && kv->key[0]) {
            return fail(st, "both key \"%.40s\" and key_strindex %d are set; use one", kv->key,
                        kv->key_strindex);
        }
        rc = str_idx(st, "key_strindex", kv->key_strindex, &out->key);
        if (rc) {
            return rc;
        }
    } else {
        out->key = intern(st, kv->key);
    }
    return value_from_pb(st, kv->value, &out->value, depth);
}

static int value_from_pb(struct dec *st, const PB_C(AnyValue) *av, struct pcol_value *out,
                         unsigned depth)
{
    struct pcol_arena *a = st->b->arena;
    size_t i, n;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!av) {
        return 0;
    }
    if (depth > VALUE_MAX_DEPTH) {
        return fail(st, "value nested deeper than %d levels", VALUE_MAX_DEPTH);
    }
    switch (av->value_case) {
    case AV_CASE(_NOT_SET): return 0;
    case AV_CASE(STRING_VALUE):
        out->kind = PCOL_VAL_STR;
        out->u.str = intern(st, av->string_value);
        return 0;
    case AV_CASE(STRING_VALUE_STRINDEX):
        out->kind = PCOL_VAL_STR;
        if (st->no_dict) {
            return bad_index(st, "string_value_strindex", av->string_value_strindex, 0, "");
        }
        return str_idx(st, "string_value_strindex", av->string_value_strindex, &out->u.str);
    case AV_CASE(BOOL_VALUE):
        out->kind = PCOL_VAL_BOOL;
        out->u.b = av->bool_value != 0;
        return 0;
    case AV_CASE(INT_VALUE):
        out->kind = PCOL_VAL_INT;
        out->u.i = av->int_value;
        return 0;
    case AV_CASE(DOUBLE_VALUE):
        out->kind = PCOL_VAL_DOUBLE;
        out->u.d = av->double_value;
        return 0;
    case AV_CASE(BYTES_VALUE):
        if ((rc = check_count(st, "bytes", av->bytes_value.len))) {
            return rc;
        }
        out->kind = PCOL_VAL_BYTES;
        out->n = (uint32_t)av->bytes_value.len;
        out->u.bytes = bytes_in(st, &av->bytes_value);
        return 0;
    case AV_CASE(ARRAY_VALUE):
        n = av->array_value ? av->array_value->n_values : 0;
        if ((rc = check_count(st, "array values", n))) {
            return rc;
        }
        out->kind = PCOL_VAL_ARRAY;
        out->n = (uint32_t)n;
        out->u.array = n ? pcol_arena_alloc(a, n * sizeof(struct pcol_value)) : NULL;
        for (i = 0; i < n && !rc; i++) {
            rc = value_from_pb(st, av->array_value->values[i], &out->u.array[i], depth + 1);
        }
        return rc;
    case AV_CASE(KVLIST_VALUE):
        n = av->kvlist_value ? av->kvlist_value->n_values : 0;
        if ((rc = check_count(st, "kvlist values", n))) {
            return rc;
        }
        out->kind = PCOL_VAL_KVLIST;
        out->n = (uint32_t)n;
        out->u.kvlist = n ? pcol_arena_alloc(a, n * sizeof(struct pcol_kv)) : NULL;
        for (i = 0; i < n && !rc; i++) {
            rc = kv_from_pb(st, av->kvlist_value->values[i], &out->u.kvlist[i], depth + 1);
        }
        return rc;
    default: return fail(st, "unknown AnyValue kind %d", (int)av->value_case);
    }
}

/* Resource and scope attributes: a KeyValue list copied into the batch. */
static int kvs_from_pb(struct dec *st, PB_C(KeyValue) *const *kvs, size_t n, unsigned level,
                       struct pcol_kv **out, uint32_t *n_out)
{
    struct pcol_kv *arr = NULL;
    size_t i;
    int rc = check_count(st, "attributes", n);

    if (!rc && n) {
        arr = pcol_arena_alloc(st->b->arena, n * sizeof(*arr));
        for (i = 0; i < n && !rc; i++) {
            at(st, level, "attributes", (long)i);
            rc = kv_from_pb(st, kvs[i], &arr[i], 1);
        }
    }
    *out = arr;
    *n_out = rc ? 0 : (uint32_t)n;
    return rc;
}

/* Whether two of the n batch attribute indexes in st->tmp share a key. Short
 * lists compare pairwise; long ones use a hash set, so this stays linear. */
static int dup_keys(struct dec *st, size_t n)
{
    const struct pcol_batch *b = st->b;
    size_t i, j, size, mask;
    int32_t key;

    if (n <= 16) {
        for (i = 1; i < n; i++) {
            key = pcol_attr_at(b, st->tmp[i])->key;
            for (j = 0; j < i; j++) {
                if (pcol_attr_at(b, st->tmp[j])->key == key) {
                    goto dup;
                }
            }
        }
        return 0;
    }
    size = 64;
    while (size < 2 * n) {
        size *= 2;
    }
    if (size > st->set_cap) {
        st->set_cap = size;
        st->set = pcol_xrealloc(st->set, size * sizeof(*st->set));
    }
    memset(st->set, 0, size * sizeof(*st->set));
    mask = size - 1;
    for (i = 0; i < n; i++) {
        key = pcol_attr_at(b, st->tmp[i])->key;
        for (j = ((uint32_t)key * 0x9e3779b1u) & mask; st->set[j]; j = (j + 1) & mask) {
            if ((int32_t)(st->set[j] >> 32) == key) {
                j = (size_t)(uint32_t)st->set[j] - 1;
                goto dup;
            }
        }
        st->set[j] = ((uint64_t)(uint32_t)key << 32) | (uint64_t)(i + 1);
    }
    return 0;
dup:
    return fail(st, "attribute_indices[%zu] and [%zu] have the same key \"%.40s\"", j, i,
                pcol_cstr(b, key));
}

/* Maps an attribute_indices list into st->tmp, checking each index and that
 * no two entries share a key. */
static int attr_list(struct dec *st, const int32_t *v, size_t n)
{
    size_t i;
    int rc = check_count(st, "attribute indices", n);

    if (rc) {
        return rc;
    }
    reserve_tmp(st, n);
    for (i = 0; i < n; i++) {
        if (v[i] < 0 || (uint32_t)v[i] >= st->n_attr) {
            return fail(st, "attribute_indices[%zu] = %d out of range (attribute_table has %u "
                        "entries)", i, v[i], st->n_attr);
        }
        st->tmp[i] = st->attr[v[i]];
    }
    return dup_keys(st, n);
}

/* ---- dictionary ---------------------------------------------------------- */

static int zero_entry(struct dec *st, const char *type)
{
    return fail(st, "entry 0 must be the zero value %s{}", type);
}

static int strings_from_pb(struct dec *st, char *const *tab, size_t n)
{
    size_t i;

    at(st, 1, "string_table", 0);
    if (n && tab[0] && tab[0][0]) {
        return fail(st, "must be \"\" (is \"%.40s\")", tab[0]);
    }
    st->str = new_map(n, &st->n_str);
    for (i = 1; i < n; i++) {
        st->str[i] = intern(st, tab[i]);
    }
    return 0;
}

static int functions_from_pb(struct dec *st, PB_P(Function) *const *tab, size_t n)
{
    struct pcol_batch *b = st->b;
    struct pcol_function e;
    size_t i;
    int rc;

    st->fn = new_map(n, &st->n_fn);
    for (i = 0; i < n; i++) {
        const PB_P(Function) *f = tab[i];
        at(st, 1, "function_table", (long)i);
        if (i == 0) {
            if (f->name_strindex || f->system_name_strindex || f->filename_strindex ||
                f->start_line) {
                return zero_entry(st, "Function");
            }
            continue;
        }
        if ((rc = str_idx(st, "name_strindex", f->name_strindex, &e.name)) ||
            (rc = str_idx(st, "system_name_strindex", f->system_name_strindex, &e.system_name)) ||
            (rc = str_idx(st, "filename_strindex", f->filename_strindex, &e.filename))) {
            return rc;
        }
        e.start_line = f->start_line;
        st->fn[i] = pcol_dict_intern(b, &b->dict.functions, &e);
    }
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

static int links_from_pb(struct dec *st, PB_P(Link) *const *tab, size_t n)
{
    uint8_t trace[16], span[8];
    size_t i;

    st->link = new_map(n, &st->n_link);
    for (i = 0; i < n; i++) {
        const PB_P(Link) *l = tab[i];
        at(st, 1, "link_table", (long)i);
        if (l->trace_id.len != 0 && l->trace_id.len != 16) {
            return fail(st, "trace_id is %zu bytes, must be 16 (or empty)", l->trace_id.len);
        }
        if (l->span_id.len != 0 && l->span_id.len != 8) {
            return fail(st, "span_id is %zu bytes, must be 8 (or empty)", l->span_id.len);
        }
        memset(trace, 0, sizeof(trace));
        memset(span, 0, sizeof(span));
        if (l->trace_id.len) {
            memcpy(trace, l->trace_id.data, 16);
        }
        if (l->span_id.len) {
            memcpy(span, l->span_id.data, 8);
        }
        if (i == 0) {
            if (!all_zero(trace, 16) || !all_zero(span, 8)) {
                return zero_entry(st, "Link");
            }
            continue;
        }
        st->link[i] = pcol_dict_link(st->b, trace, span);
    }
    return 0;
}

static int attrs_from_pb(struct dec *st, PB_P(KeyValueAndUnit) *const *tab, size_t n)
{
    struct pcol_attr e;
    size_t i;
    int rc;

    st->attr = new_map(n, &st->n_attr);
    for (i = 0; i < n; i++) {
        const PB_P(KeyValueAndUnit) *a = tab[i];
        at(st, 1, "attribute_table", (long)i);
        if (i == 0) {
            if (a->key_strindex || a->unit_strindex ||
                (a->value && a->value->value_case != AV_CASE(_NOT_SET))) {
                return zero_entry(st, "KeyValueAndUnit");
            }
            continue;
        }
        if ((rc = str_idx(st, "key_strindex", a->key_strindex, &e.key)) ||
            (rc = str_idx(st, "unit_strindex", a->unit_strindex, &e.unit)) ||
            (rc = value_from_pb(st, a->value, &e.value, 1))) {
            return rc;
        }
        st->attr[i] = pcol_dict_attr(st->b, e.key, &e.value, e.unit);
    }
    return 0;
}

static int mappings_from_pb(struct dec *st, PB_P(Mapping) *const *tab, size_t n)
{
    struct pcol_batch *b = st->b;
    struct pcol_table *t = &b->dict.mappings;
    struct pcol_mapping e;
    uint32_t before;
    size_t i;
    int rc;

    st->map = new_map(n, &st->n_map);
    for (i = 0; i < n; i++) {
        const PB_P(Mapping) *m = tab[i];
        at(st, 1, "mapping_table", (long)i);
        if (i == 0) {
            if (m->memory_start || m->memory_limit || m->file_offset || m->filename_strindex ||
                m->n_attribute_indices) {
                return zero_entry(st, "Mapping");
            }
            continue;
        }
        if ((rc = str_idx(st, "filename_strindex", m->filename_strindex, &e.filename)) ||
            (rc = attr_list(st, m->attribute_indices, m->n_attribute_indices))) {
            return rc;
        }
        e.memory_start = m->memory_start;
        e.memory_limit = m->memory_limit;
        e.file_offset = m->file_offset;
        e.attrs.v = st->tmp;
        e.attrs.n = (uint32_t)m->n_attribute_indices;
        before = t->n;
        st->map[i] = pcol_dict_intern(b, t, &e);
        if ((uint32_t)st->map[i] == before) {
            /* Appended: the entry still points at scratch; give it its own list. */
            PCOL_TABLE_AT(*t, struct pcol_mapping, before).attrs =
                pcol_ilist_dup(b, e.attrs.v, e.attrs.n);
        }
    }
    return 0;
}

static int lines_from_pb(struct dec *st, const PB_P(Location) *l)
{
    size_t k;
    int rc = check_count(st, "lines", l->n_lines);

    if (rc) {
        return rc;
    }
    if (l->n_lines > st->lines_cap) {
        st->lines_cap = l->n_lines < 16 ? 16 : l->n_lines;
        st->lines = pcol_xrealloc(st->lines, st->lines_cap * sizeof(*st->lines));
    }
    for (k = 0; k < l->n_lines; k++) {
        const PB_P(Line) *ln = l->lines[k];
        at(st, 2, "lines", (long)k);
        /* The dictionary hashes lines as bytes, padding included. */
        memset(&st->lines[k], 0, sizeof(st->lines[k]));
        rc = remap(st, "function_index", ln->function_index, st->fn, st->n_fn, "function_table",
                   &st->lines[k].function);
        if (rc) {
            return rc;
        }
        st->lines[k].line = ln->line;
        st->lines[k].column = ln->column;
    }
    st->depth = 2;
    return 0;
}

static int locations_from_pb(struct dec *st, PB_P(Location) *const *tab, size_t n)
{
    struct pcol_batch *b = st->b;
    struct pcol_table *t = &b->dict.locations;
    struct pcol_location e, *slot;
    uint32_t before;
    size_t i;
    int rc;

    st->loc = new_map(n, &st->n_loc);
    for (i = 0; i < n; i++) {
        const PB_P(Location) *l = tab[i];
        at(st, 1, "location_table", (long)i);
        if (i == 0) {
            if (l->mapping_index || l->address || l->n_lines || l->n_attribute_indices) {
                return zero_entry(st, "Location");
            }
            continue;
        }
        if ((rc = remap(st, "mapping_index", l->mapping_index, st->map, st->n_map,
                        "mapping_table", &e.mapping)) ||
            (rc = lines_from_pb(st, l)) ||
            (rc = attr_list(st, l->attribute_indices, l->n_attribute_indices))) {
            return rc;
        }
        e.address = l->address;
        e.lines = l->n_lines ? st->lines : NULL;
        e.n_lines = (uint32_t)l->n_lines;
        e.attrs.v = st->tmp;
        e.attrs.n = (uint32_t)l->n_attribute_indices;
        before = t->n;
        st->loc[i] = pcol_dict_intern(b, t, &e);
        if ((uint32_t)st->loc[i] == before) {
            slot = &PCOL_TABLE_AT(*t, struct pcol_location, before);
            slot->lines = e.n_lines ? pcol_arena_memdup(b->arena, e.lines,
                                                        e.n_lines * sizeof(*e.lines))
                                    : NULL;
            slot->attrs = pcol_ilist_dup(b, e.attrs.v, e.attrs.n);
        }
    }
    return 0;
}

static int stacks_from_pb(struct dec *st, PB_P(Stack) *const *tab, size_t n)
{
    size_t i, k;
    int rc;

    st->stack = new_map(n, &st->n_stack);
    for (i = 0; i < n; i++) {
        const PB_P(Stack) *s = tab[i];
        at(st, 1, "stack_table", (long)i);
        if (i == 0) {
            if (s->n_location_indices) {
                return zero_entry(st, "Stack");
            }
            continue;
        }
        if ((rc = check_count(st, "location indices", s->n_location_indices))) {
            return rc;
        }
        reserve_tmp(st, s->n_location_indices);
        for (k = 0; k < s->n_location_indices; k++) {
            int32_t v = s->location_indices[k];
            if (v < 0 || (uint32_t)v >= st->n_loc) {
                return fail(st, "location_indices[%zu] = %d out of range (location_table has %u "
                            "entries)", k, v, st->n_loc);
            }
            st->tmp[k] = st->loc[v];
        }
        st->stack[i] = pcol_dict_stack(st->b, st->tmp, (uint32_t)s->n_location_indices);
    }
    return 0;
}

/* Order matters: each table refers only to tables mapped before it. */
static int dict_from_pb(struct dec *st, const PB_P(ProfilesDictionary) *d)
{
    static const PB_P(ProfilesDictionary) empty =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__PROFILES_DICTIONARY__INIT;
    int rc;

    if (!d) {
        d = &empty;
    }
    at(st, 0, "dictionary", -1);
    if ((rc = check_count(st, "strings", d->n_string_table)) ||
        (rc = check_count(st, "functions", d->n_function_table)) ||
        (rc = check_count(st, "links", d->n_link_table)) ||
        (rc = check_count(st, "attributes", d->n_attribute_table)) ||
        (rc = check_count(st, "mappings", d->n_mapping_table)) ||
        (rc = check_count(st, "locations", d->n_location_table)) ||
        (rc = check_count(st, "stacks", d->n_stack_table))) {
        return rc;
    }
    if ((rc = strings_from_pb(st, d->string_table, d->n_string_table)) ||
        (rc = functions_from_pb(st, d->function_table, d->n_function_table)) ||
        (rc = links_from_pb(st, d->link_table, d->n_link_table)) ||
        (rc = attrs_from_pb(st, d->attribute_table, d->n_attribute_table)) ||
        (rc = mappings_from_pb(st, d->mapping_table, d->n_mapping_table)) ||
        (rc = locations_from_pb(st, d->location_table, d->n_location_table)) ||
        (rc = stacks_from_pb(st, d->stack_table, d->n_stack_table))) {
        return rc;
    }
    return 0;
}

/* ---- resource -> scope -> profile -> sample ------------------------------ */

static struct pcol_ilist intern_list(struct dec *st, char *const *v, size_t n)
{
    struct pcol_ilist l = {NULL, (uint32_t)n};
    size_t i;

    if (n) {
        l.v = pcol_arena_alloc(st->b->arena, n * sizeof(int32_t));
        for (i = 0; i < n; i++) {
            l.v[i] = intern(st, v[i]);
        }
    }
    return l;
}

static int resource_fill(struct dec *st, struct pcol_resource *r, const PB_R(Resource) *res,
                         unsigned level)
{
    size_t i;
    int rc;

    if (!res) {
        return 0;
    }
    at(st, level, "resource", -1);
    rc = kvs_from_pb(st, res->attributes, res->n_attributes, level + 1, &r->attrs, &r->n_attrs);
    if (rc) {
        return rc;
    }
    r->dropped_attributes_count = res->dropped_attributes_count;
    at(st, level, "resource", -1);
    if ((rc = check_count(st, "entity_refs", res->n_entity_refs))) {
        return rc;
    }
    r->n_entity_refs = (uint32_t)res->n_entity_refs;
    r->entity_refs = NULL;
    if (res->n_entity_refs) {
        r->entity_refs =
            pcol_arena_calloc(st->b->arena, res->n_entity_refs * sizeof(*r->entity_refs));
    }
    for (i = 0; i < res->n_entity_refs; i++) {
        const PB_R(EntityRef) *pe = res->entity_refs[i];
        struct pcol_entity_ref *e = &r->entity_refs[i];
        at(st, level + 1, "entity_refs", (long)i);
        if ((rc = check_count(st, "id_keys", pe->n_id_keys)) ||
            (rc = check_count(st, "description_keys", pe->n_description_keys))) {
            return rc;
        }
        e->schema_url = intern(st, pe->schema_url);
        e->type = intern(st, pe->type);
        e->id_keys = intern_list(st, pe->id_keys, pe->n_id_keys);
        e->description_keys = intern_list(st, pe->description_keys, pe->n_description_keys);
    }
    return 0;
}

static int scope_fill(struct dec *st, struct pcol_scope *s, const PB_C(InstrumentationScope) *sc,
                      const char *schema_url, unsigned level)
{
    s->schema_url = intern(st, schema_url);
    if (!sc) {
        return 0;
    }
    at(st, level, "scope", -1);
    s->name = intern(st, sc->name);
    s->version = intern(st, sc->version);
    s->dropped_attributes_count = sc->dropped_attributes_count;
    return kvs_from_pb(st, sc->attributes, sc->n_attributes, level + 1, &s->attrs, &s->n_attrs);
}

/* `type` and `unit` name the two fields in error messages. */
static int value_type(struct dec *st, const char *type, const char *unit,
                      const PB_P(ValueType) *vt, struct pcol_value_type *out)
{
    int rc;

    out->type = out->unit = 0;
    if (!vt) {
        return 0;
    }
    if ((rc = str_idx(st, type, vt->type_strindex, &out->type))) {
        return rc;
    }
    return str_idx(st, unit, vt->unit_strindex, &out->unit);
}

static int sample_from_pb(struct dec *st, struct pcol_profile *p, const PB_P(Sample) *ps)
{
    struct pcol_batch *b = st->b;
    struct pcol_sample *s = &p->samples[p->n_samples];
    int rc;

    memset(s, 0, sizeof(*s));
    if ((rc = remap(st, "stack_index", ps->stack_index, st->stack, st->n_stack, "stack_table",
                    &s->stack)) ||
        (rc = remap(st, "link_index", ps->link_index, st->link, st->n_link, "link_table",
                    &s->link)) ||
        (rc = check_count(st, "values", ps->n_values)) ||
        (rc = check_count(st, "timestamps", ps->n_timestamps_unix_nano)) ||
        (rc = attr_list(st, ps->attribute_indices, ps->n_attribute_indices))) {
        return rc;
    }
    if (ps->n_values && ps->n_timestamps_unix_nano &&
        ps->n_values != ps->n_timestamps_unix_nano) {
        return fail(st, "%zu values but %zu timestamps_unix_nano (when both are set they pair up)",
                    ps->n_values, ps->n_timestamps_unix_nano);
    }
    s->attrs = pcol_ilist_dup(b, st->tmp, (uint32_t)ps->n_attribute_indices);
    s->n_values = (uint32_t)ps->n_values;
    s->n_timestamps = (uint32_t)ps->n_timestamps_unix_nano;
    if (st->borrow) {
        s->values = s->n_values ? ps->values : NULL;
        s->timestamps = s->n_timestamps ? ps->timestamps_unix_nano : NULL;
    } else {
        s->values = s->n_values ? pcol_arena_memdup(b->arena, ps->values,
                                                    s->n_values * sizeof(int64_t))
                                : NULL;
        s->timestamps = s->n_timestamps ? pcol_arena_memdup(b->arena, ps->timestamps_unix_nano,
                                                            s->n_timestamps * sizeof(uint64_t))
                                        : NULL;
    }
    p->n_samples++;
    return 0;
}

static int profile_from_pb(struct dec *st, struct pcol_scope *sc, const PB_P(Profile) *pp,
                           unsigned level)
{
    struct pcol_batch *b = st->b;
    struct pcol_profile *p = pcol_scope_add_profile(b, sc);
    size_t i;
    int rc;

    if ((rc = value_type(st, "sample_type.type_strindex", "sample_type.unit_strindex",
                         pp->sample_type, &p->sample_type)) ||
        (rc = value_type(st, "period_type.type_strindex", "period_type.unit_strindex",
                         pp->period_type, &p->period_type)) ||
        (rc = check_count(st, "samples", pp->n_samples)) ||
        (rc = attr_list(st, pp->attribute_indices, pp->n_attribute_indices))) {
        return rc;
    }
    if (pp->profile_id.len != 0 && pp->profile_id.len != 16) {
        return fail(st, "profile_id is %zu bytes, must be 16 (or empty)", pp->profile_id.len);
    }
    p->attrs = pcol_ilist_dup(b, st->tmp, (uint32_t)pp->n_attribute_indices);
    if (pp->profile_id.len) {
        memcpy(p->profile_id, pp->profile_id.data, 16);
    }
    p->time_unix_nano = pp->time_unix_nano;
    p->duration_nano = pp->duration_nano;
    p->period = pp->period;
    p->dropped_attributes_count = pp->dropped_attributes_count;
    p->original_payload_format = intern(st, pp->original_payload_format);
    p->original_payload = bytes_in(st, &pp->original_payload);
    p->original_payload_len = pp->original_payload.len;
    pcol_profile_reserve_samples(b, p, (uint32_t)pp->n_samples);
    for (i = 0; i < pp->n_samples; i++) {
        at(st, level + 1, "samples", (long)i);
        if ((rc = sample_from_pb(st, p, pp->samples[i]))) {
            return rc;
        }
    }
    return 0;
}

static int resource_profiles_from_pb(struct dec *st, const PB_P(ResourceProfiles) *rp, long ri)
{
    struct pcol_resource *r = pcol_batch_add_resource(st->b);
    struct pcol_scope *s;
    size_t j, k;
    int rc;

    at(st, 0, "resource_profiles", ri);
    if ((rc = resource_fill(st, r, rp->resource, 1))) {
        return rc;
    }
    r->schema_url = intern(st, rp->schema_url);
    for (j = 0; j < rp->n_scope_profiles; j++) {
        const PB_P(ScopeProfiles) *sp = rp->scope_profiles[j];
        at(st, 1, "scope_profiles", (long)j);
        s = pcol_resource_add_scope(st->b, r);
        if ((rc = scope_fill(st, s, sp->scope, sp->schema_url, 2))) {
            return rc;
        }
        for (k = 0; k < sp->n_profiles; k++) {
            at(st, 2, "profiles", (long)k);
            if ((rc = profile_from_pb(st, s, sp->profiles[k], 2))) {
                return rc;
            }
        }
    }
    return 0;
}

static void dec_init(struct dec *st, struct pcol_batch *b, bool borrow, struct pcol_err *err)
{
    memset(st, 0, sizeof(*st));
    st->b = b;
    st->borrow = borrow;
    st->err = err;
}

static void dec_free(struct dec *st)
{
    free(st->str);
    free(st->fn);
    free(st->link);
    free(st->attr);
    free(st->map);
    free(st->loc);
    free(st->stack);
    free(st->tmp);
    free(st->lines);
    free(st->set);
}

int pcol__otlp_from_pb(struct pcol_batch *b, const pcol_pb_export_request *req, bool borrow,
                       struct pcol_err *err)
{
    struct dec st;
    size_t i;
    int rc;

    dec_init(&st, b, borrow, err);
    rc = dict_from_pb(&st, req->dictionary);
    for (i = 0; !rc && i < req->n_resource_profiles; i++) {
        rc = resource_profiles_from_pb(&st, req->resource_profiles[i], (long)i);
    }
    dec_free(&st);
    return rc;
}

int pcol_otlp_decode(struct pcol_batch *b, const uint8_t *buf, size_t len, struct pcol_err *err)
{
    ProtobufCAllocator al = PCOL_PB_ALLOCATOR(b->arena);
    pcol_pb_export_request *req;
    int rc = wire_check(&PCOL_PB_REQUEST_DESC, buf, len, 0, 0, err);

    if (rc) {
        return rc;
    }
    req = (pcol_pb_export_request *)protobuf_c_message_unpack(&PCOL_PB_REQUEST_DESC, &al, len, buf);
    if (!req) {
        return pcol_err_set(err, PCOL_EINVAL, "protobuf-c could not unpack the "
                            "ExportProfilesServiceRequest (malformed value)");
    }
    return pcol__otlp_from_pb(b, req, true, err);
}

/* ---- model -> protobuf --------------------------------------------------- */

struct enc {
    const struct pcol_batch *b;
    struct pcol_arena *a;
    /* Resource/scope KeyValues: keys and non-empty strings as string-table
     * indexes (what the collector sends), or plain (context JSON). */
    bool strindex;
};

static const PB_C(AnyValue) anyvalue_init = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
static const PB_C(KeyValue) keyvalue_init = OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;

static char *cs(const struct pcol_batch *b, int32_t i)
{
    return (char *)pcol_cstr(b, i);
}

/* n messages copied from `init` in one block, plus the pointer array that
 * protobuf-c wants, also in one block. */
static void *msg_array(struct pcol_arena *a, size_t n, const void *init, size_t size)
{
    char *m;
    void **v;
    size_t i;

    if (!n) {
        return NULL;
    }
    m = pcol_arena_alloc(a, n * size);
    v = pcol_arena_alloc(a, n * sizeof(void *));
    for (i = 0; i < n; i++) {
        memcpy(m + i * size, init, size);
        v[i] = m + i * size;
    }
    return v;
}

static PB_C(KeyValue) **kvs_to_pb(struct enc *e, const struct pcol_kv *kv, uint32_t n,
                                  bool strindex);

static void value_to_pb(struct enc *e, const struct pcol_value *v, PB_C(AnyValue) *out,
                        bool strindex)
{
    uint32_t i;

    *out = anyvalue_init;
    switch (v->kind) {
    case PCOL_VAL_STR:
        if (strindex && v->u.str > 0) {
            out->value_case = AV_CASE(STRING_VALUE_STRINDEX);
            out->string_value_strindex = v->u.str;
        } else {
            out->value_case = AV_CASE(STRING_VALUE);
            out->string_value = cs(e->b, v->u.str);
        }
        break;
    case PCOL_VAL_BOOL:
        out->value_case = AV_CASE(BOOL_VALUE);
        out->bool_value = v->u.b;
        break;
    case PCOL_VAL_INT:
        out->value_case = AV_CASE(INT_VALUE);
        out->int_value = v->u.i;
        break;
    case PCOL_VAL_DOUBLE:
        out->value_case = AV_CASE(DOUBLE_VALUE);
        out->double_value = v->u.d;
        break;
    case PCOL_VAL_BYTES:
        out->value_case = AV_CASE(BYTES_VALUE);
        out->bytes_value.len = v->n;
        out->bytes_value.data = (uint8_t *)v->u.bytes;
        break;
    case PCOL_VAL_ARRAY: {
        static const PB_C(ArrayValue) init = OPENTELEMETRY__PROTO__COMMON__V1__ARRAY_VALUE__INIT;
        PB_C(ArrayValue) *arr = pcol_arena_alloc(e->a, sizeof(*arr));
        *arr = init;
        arr->n_values = v->n;
        arr->values = msg_array(e->a, v->n, &anyvalue_init, sizeof(PB_C(AnyValue)));
        for (i = 0; i < v->n; i++) {
            value_to_pb(e, &v->u.array[i], arr->values[i], strindex);
        }
        out->value_case = AV_CASE(ARRAY_VALUE);
        out->array_value = arr;
        break;
    }
    case PCOL_VAL_KVLIST: {
        static const PB_C(KeyValueList) init =
            OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE_LIST__INIT;
        PB_C(KeyValueList) *kl = pcol_arena_alloc(e->a, sizeof(*kl));
        *kl = init;
        kl->n_values = v->n;
        kl->values = kvs_to_pb(e, v->u.kvlist, v->n, strindex);
        out->value_case = AV_CASE(KVLIST_VALUE);
        out->kvlist_value = kl;
        break;
    }
    default: break;
    }
}

/* An AnyValue for a single field, or NULL for the empty value. */
static PB_C(AnyValue) *value_msg(struct enc *e, const struct pcol_value *v, bool strindex)
{
    PB_C(AnyValue) *out;

    if (v->kind == PCOL_VAL_EMPTY) {
        return NULL;
    }
    out = pcol_arena_alloc(e->a, sizeof(*out));
    value_to_pb(e, v, out, strindex);
    return out;
}

static PB_C(KeyValue) **kvs_to_pb(struct enc *e, const struct pcol_kv *kv, uint32_t n,
                                  bool strindex)
{
    PB_C(KeyValue) **out = msg_array(e->a, n, &keyvalue_init, sizeof(PB_C(KeyValue)));
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (strindex) {
            out[i]->key_strindex = kv[i].key;
        } else {
            out[i]->key = cs(e->b, kv[i].key);
        }
        out[i]->value = value_msg(e, &kv[i].value, strindex);
    }
    return out;
}

static PB_P(ProfilesDictionary) *dict_to_pb(struct enc *e)
{
    static const PB_P(ProfilesDictionary) dict_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__PROFILES_DICTIONARY__INIT;
    static const PB_P(Mapping) mapping_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__MAPPING__INIT;
    static const PB_P(Location) location_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__LOCATION__INIT;
    static const PB_P(Line) line_init = OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__LINE__INIT;
    static const PB_P(Function) function_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__FUNCTION__INIT;
    static const PB_P(Link) link_init = OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__LINK__INIT;
    static const PB_P(KeyValueAndUnit) attr_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__KEY_VALUE_AND_UNIT__INIT;
    static const PB_P(Stack) stack_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__STACK__INIT;
    const struct pcol_batch *b = e->b;
    const struct pcol_dict *dt = &b->dict;
    PB_P(ProfilesDictionary) *d = pcol_arena_alloc(e->a, sizeof(*d));
    uint32_t i, k;

    *d = dict_init;
    d->n_string_table = dt->strings.n;
    d->string_table = pcol_arena_alloc(e->a, dt->strings.n * sizeof(char *));
    for (i = 0; i < dt->strings.n; i++) {
        d->string_table[i] = cs(b, (int32_t)i);
    }

    d->n_mapping_table = dt->mappings.n;
    d->mapping_table = msg_array(e->a, dt->mappings.n, &mapping_init, sizeof(mapping_init));
    for (i = 0; i < dt->mappings.n; i++) {
        const struct pcol_mapping *m = pcol_mapping_at(b, (int32_t)i);
        PB_P(Mapping) *o = d->mapping_table[i];
        o->memory_start = m->memory_start;
        o->memory_limit = m->memory_limit;
        o->file_offset = m->file_offset;
        o->filename_strindex = m->filename;
        o->n_attribute_indices = m->attrs.n;
        o->attribute_indices = m->attrs.v;
    }

    d->n_location_table = dt->locations.n;
    d->location_table = msg_array(e->a, dt->locations.n, &location_init, sizeof(location_init));
    for (i = 0; i < dt->locations.n; i++) {
        const struct pcol_location *l = pcol_location_at(b, (int32_t)i);
        PB_P(Location) *o = d->location_table[i];
        o->mapping_index = l->mapping;
        o->address = l->address;
        o->n_lines = l->n_lines;
        o->lines = msg_array(e->a, l->n_lines, &line_init, sizeof(line_init));
        for (k = 0; k < l->n_lines; k++) {
            o->lines[k]->function_index = l->lines[k].function;
            o->lines[k]->line = l->lines[k].line;
            o->lines[k]->column = l->lines[k].column;
        }
        o->n_attribute_indices = l->attrs.n;
        o->attribute_indices = l->attrs.v;
    }

    d->n_function_table = dt->functions.n;
    d->function_table = msg_array(e->a, dt->functions.n, &function_init, sizeof(function_init));
    for (i = 0; i < dt->functions.n; i++) {
        const struct pcol_function *f = pcol_function_at(b, (int32_t)i);
        PB_P(Function) *o = d->function_table[i];
        o->name_strindex = f->name;
        o->system_name_strindex = f->system_name;
        o->filename_strindex = f->filename;
        o->start_line = f->start_line;
    }

    /* Every link, entry 0 included, gets 16 + 8 bytes, as the proto asks. */
    d->n_link_table = dt->links.n;
    d->link_table = msg_array(e->a, dt->links.n, &link_init, sizeof(link_init));
    for (i = 0; i < dt->links.n; i++) {
        const struct pcol_link *l = pcol_link_at(b, (int32_t)i);
        d->link_table[i]->trace_id.len = sizeof(l->trace_id);
        d->link_table[i]->trace_id.data = (uint8_t *)l->trace_id;
        d->link_table[i]->span_id.len = sizeof(l->span_id);
        d->link_table[i]->span_id.data = (uint8_t *)l->span_id;
    }

    d->n_attribute_table = dt->attrs.n;
    d->attribute_table = msg_array(e->a, dt->attrs.n, &attr_init, sizeof(attr_init));
    for (i = 0; i < dt->attrs.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, (int32_t)i);
        PB_P(KeyValueAndUnit) *o = d->attribute_table[i];
        o->key_strindex = a->key;
        o->unit_strindex = a->unit;
        o->value = value_msg(e, &a->value, false);
    }

    d->n_stack_table = dt->stacks.n;
    d->stack_table = msg_array(e->a, dt->stacks.n, &stack_init, sizeof(stack_init));
    for (i = 0; i < dt->stacks.n; i++) {
        const struct pcol_stack *s = pcol_stack_at(b, (int32_t)i);
        d->stack_table[i]->n_location_indices = s->locations.n;
        d->stack_table[i]->location_indices = s->locations.v;
    }
    return d;
}

static PB_R(Resource) *resource_to_pb(struct enc *e, const struct pcol_resource *r)
{
    static const PB_R(Resource) init = OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
    static const PB_R(EntityRef) ref_init = OPENTELEMETRY__PROTO__RESOURCE__V1__ENTITY_REF__INIT;
    PB_R(Resource) *o;
    uint32_t i, k;

    if (!r->n_attrs && !r->dropped_attributes_count && !r->n_entity_refs) {
        return NULL;
    }
    o = pcol_arena_alloc(e->a, sizeof(*o));
    *o = init;
    o->n_attributes = r->n_attrs;
    o->attributes = kvs_to_pb(e, r->attrs, r->n_attrs, e->strindex);
    o->dropped_attributes_count = r->dropped_attributes_count;
    o->n_entity_refs = r->n_entity_refs;
    o->entity_refs = msg_array(e->a, r->n_entity_refs, &ref_init, sizeof(ref_init));
    for (i = 0; i < r->n_entity_refs; i++) {
        const struct pcol_entity_ref *er = &r->entity_refs[i];
        PB_R(EntityRef) *oe = o->entity_refs[i];
        oe->schema_url = cs(e->b, er->schema_url);
        oe->type = cs(e->b, er->type);
        oe->n_id_keys = er->id_keys.n;
        oe->id_keys = pcol_arena_alloc(e->a, er->id_keys.n * sizeof(char *));
        for (k = 0; k < er->id_keys.n; k++) {
            oe->id_keys[k] = cs(e->b, er->id_keys.v[k]);
        }
        oe->n_description_keys = er->description_keys.n;
        oe->description_keys = pcol_arena_alloc(e->a, er->description_keys.n * sizeof(char *));
        for (k = 0; k < er->description_keys.n; k++) {
            oe->description_keys[k] = cs(e->b, er->description_keys.v[k]);
        }
    }
    return o;
}

static PB_C(InstrumentationScope) *scope_to_pb(struct enc *e, const struct pcol_scope *s)
{
    static const PB_C(InstrumentationScope) init =
        OPENTELEMETRY__PROTO__COMMON__V1__INSTRUMENTATION_SCOPE__INIT;
    PB_C(InstrumentationScope) *o;

    if (!s->name && !s->version && !s->n_attrs && !s->dropped_attributes_count) {
        return NULL;
    }
    o = pcol_arena_alloc(e->a, sizeof(*o));
    *o = init;
    o->name = cs(e->b, s->name);
    o->version = cs(e->b, s->version);
    o->n_attributes = s->n_attrs;
    o->attributes = kvs_to_pb(e, s->attrs, s->n_attrs, e->strindex);
    o->dropped_attributes_count = s->dropped_attributes_count;
    return o;
}

static PB_P(ValueType) *value_type_to_pb(struct enc *e, struct pcol_value_type vt)
{
    static const PB_P(ValueType) init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__VALUE_TYPE__INIT;
    PB_P(ValueType) *o = pcol_arena_alloc(e->a, sizeof(*o));

    *o = init;
    o->type_strindex = vt.type;
    o->unit_strindex = vt.unit;
    return o;
}

static void profile_to_pb(struct enc *e, const struct pcol_profile *p, PB_P(Profile) *o)
{
    static const PB_P(Sample) sample_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__SAMPLE__INIT;
    uint32_t i;

    /* Always present, as the collector writes them. */
    o->sample_type = value_type_to_pb(e, p->sample_type);
    o->period_type = value_type_to_pb(e, p->period_type);
    o->time_unix_nano = p->time_unix_nano;
    o->duration_nano = p->duration_nano;
    o->period = p->period;
    if (!all_zero(p->profile_id, sizeof(p->profile_id))) {
        o->profile_id.len = sizeof(p->profile_id);
        o->profile_id.data = (uint8_t *)p->profile_id;
    }
    o->dropped_attributes_count = p->dropped_attributes_count;
    o->original_payload_format = cs(e->b, p->original_payload_format);
    o->original_payload.len = p->original_payload_len;
    o->original_payload.data = (uint8_t *)p->original_payload;
    o->n_attribute_indices = p->attrs.n;
    o->attribute_indices = p->attrs.v;
    o->n_samples = p->n_samples;
    o->samples = msg_array(e->a, p->n_samples, &sample_init, sizeof(sample_init));
    for (i = 0; i < p->n_samples; i++) {
        const struct pcol_sample *s = &p->samples[i];
        PB_P(Sample) *os = o->samples[i];
        os->stack_index = s->stack;
        os->link_index = s->link;
        os->n_attribute_indices = s->attrs.n;
        os->attribute_indices = s->attrs.v;
        os->n_values = s->n_values;
        os->values = s->values;
        os->n_timestamps_unix_nano = s->n_timestamps;
        os->timestamps_unix_nano = s->timestamps;
    }
}

static PB_P(ScopeProfiles) **scopes_to_pb(struct enc *e, const struct pcol_resource *r)
{
    static const PB_P(ScopeProfiles) init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__SCOPE_PROFILES__INIT;
    static const PB_P(Profile) profile_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__PROFILE__INIT;
    PB_P(ScopeProfiles) **out = msg_array(e->a, r->n_scopes, &init, sizeof(init));
    uint32_t j, k;

    for (j = 0; j < r->n_scopes; j++) {
        const struct pcol_scope *s = &r->scopes[j];
        PB_P(ScopeProfiles) *o = out[j];
        o->scope = scope_to_pb(e, s);
        o->schema_url = cs(e->b, s->schema_url);
        o->n_profiles = s->n_profiles;
        o->profiles = msg_array(e->a, s->n_profiles, &profile_init, sizeof(profile_init));
        for (k = 0; k < s->n_profiles; k++) {
            profile_to_pb(e, &s->profiles[k], o->profiles[k]);
        }
    }
    return out;
}

pcol_pb_export_request *pcol__otlp_to_pb(const struct pcol_batch *b, struct pcol_arena *a)
{
    static const pcol_pb_export_request init = PCOL_PB_REQUEST_INIT;
    static const PB_P(ResourceProfiles) rp_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__RESOURCE_PROFILES__INIT;
    struct enc e = {b, a, true};
    pcol_pb_export_request *req = pcol_arena_alloc(a, sizeof(*req));
    uint32_t i;

    *req = init;
    req->dictionary = dict_to_pb(&e);
    req->n_resource_profiles = b->n_resources;
    req->resource_profiles = msg_array(a, b->n_resources, &rp_init, sizeof(rp_init));
    for (i = 0; i < b->n_resources; i++) {
        const struct pcol_resource *r = &b->resources[i];
        PB_P(ResourceProfiles) *o = req->resource_profiles[i];
        o->resource = resource_to_pb(&e, r);
        o->schema_url = cs(b, r->schema_url);
        o->n_scope_profiles = r->n_scopes;
        o->scope_profiles = scopes_to_pb(&e, r);
    }
    return req;
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

/* ---- context JSON -------------------------------------------------------- */

void pcol__otlp_context_to_json(const struct pcol_batch *b, const struct pcol_resource *r,
                                const struct pcol_scope *s, struct pcol_buf *out)
{
    static const PB_P(ResourceProfiles) rp_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__RESOURCE_PROFILES__INIT;
    static const PB_P(ScopeProfiles) sp_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__SCOPE_PROFILES__INIT;
    struct pcol_arena *a = pcol_arena_create(0);
    struct enc e = {b, a, false};
    PB_P(ResourceProfiles) rp = rp_init;
    PB_P(ScopeProfiles) sp = sp_init, *sps[1] = {&sp};

    rp.resource = resource_to_pb(&e, r);
    rp.schema_url = cs(b, r->schema_url);
    sp.scope = scope_to_pb(&e, s);
    sp.schema_url = cs(b, s->schema_url);
    rp.n_scope_profiles = 1;
    rp.scope_profiles = sps;
    pcol_pbjson_encode(&rp.base, out);
    pcol_arena_destroy(a);
}

int pcol__otlp_context_from_json(struct pcol_batch *b, const char *json, size_t len,
                                 struct pcol_resource *r, struct pcol_scope *s,
                                 struct pcol_err *err)
{
    struct pcol_arena *a = pcol_arena_create(0);
    const PB_P(ResourceProfiles) *rp;
    const PB_P(ScopeProfiles) *sp = NULL;
    ProtobufCMessage *m;
    struct dec st;
    int rc;

    dec_init(&st, b, false, err);
    st.no_dict = true;
    st.str = new_map(0, &st.n_str);
    rc = pcol_pbjson_decode(
        &opentelemetry__proto__profiles__v1development__resource_profiles__descriptor, json, len,
        a, &m, err);
    if (rc) {
        goto out;
    }
    rp = (const PB_P(ResourceProfiles) *)m;
    if (rp->n_scope_profiles > 1) {
        rc = fail(&st, "context JSON holds %zu scopeProfiles, expected one",
                  rp->n_scope_profiles);
        goto out;
    }
    sp = rp->n_scope_profiles ? rp->scope_profiles[0] : NULL;
    if (sp && sp->n_profiles) {
        rc = fail(&st, "context JSON must not hold profiles");
        goto out;
    }
    if ((rc = resource_fill(&st, r, rp->resource, 0))) {
        goto out;
    }
    r->schema_url = intern(&st, rp->schema_url);
    rc = scope_fill(&st, s, sp ? sp->scope : NULL, sp ? sp->schema_url : NULL, 0);
out:
    dec_free(&st);
    pcol_arena_destroy(a);
    return rc;
}
