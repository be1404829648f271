/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp_decode.c: an OTLP Profiles request in protobuf-c structs -> the
 * model (pcol__otlp_from_pb, behind both the protobuf and the JSON decoder),
 * and the resource/scope context JSON the pprof decoder reads back
 * (pcol__otlp_context_from_json).
 *
 * Every index is checked before use. Dictionary entries are re-interned
 * through per-table remap arrays (codec_otlp_decode_dict.c) so one batch can
 * take several requests.
 *
 * Ownership: appends to a caller-owned batch; the request is borrowed (with
 * `borrow`, the batch keeps pointing at its strings, bytes and value arrays).
 * Scratch arrays live on the heap for one call.
 */
#include "codec_otlp_decode_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* How deep AnyValue arrays and key-value lists may nest. */
#define VALUE_MAX_DEPTH 16

/* ---- protobuf -> model --------------------------------------------------- */

int pcol__otlp_vfail(struct dec *st, const char *fmt, va_list ap)
{
    char where[160], what[PCOL_ERR_MAX];
    size_t n = 0;
    unsigned i;
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
    vsnprintf(what, sizeof(what), fmt, ap);
    if (!st->depth) {
        return pcol_err_set(st->err, PCOL_EINVAL, "%s", what);
    }
    return pcol_err_set(st->err, PCOL_EINVAL, "%s: %s", where, what);
}

static const void *bytes_in(struct dec *st, const ProtobufCBinaryData *d)
{
    if (!d->len) {
        return NULL;
    }
    return st->borrow ? d->data : pcol_arena_memdup(st->b->arena, d->data, d->len);
}

static int kv_from_pb(struct dec *st, const PB_C(KeyValue) * kv, struct pcol_kv *out,
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
    return pcol__otlp_value_from_pb(st, kv->value, &out->value, depth);
}

int pcol__otlp_value_from_pb(struct dec *st, const PB_C(AnyValue) * av, struct pcol_value *out,
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
            rc = pcol__otlp_value_from_pb(st, av->array_value->values[i], &out->u.array[i],
                                          depth + 1);
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

/* Whether two attribute keys (string indexes) are the same. A fresh batch
 * appends strings without interning them, so equal keys may have different
 * indexes there. */
static bool same_key(const struct dec *st, int32_t x, int32_t y)
{
    const struct pcol_str *a, *b;

    if (x == y) {
        return true;
    }
    if (!st->fresh) {
        return false;
    }
    a = pcol_str_at(st->b, x);
    b = pcol_str_at(st->b, y);
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static uint32_t key_hash(const struct dec *st, int32_t key)
{
    const struct pcol_str *s = pcol_str_at(st->b, key);

    return (uint32_t)pcol_hash_bytes(s->p, s->len, 0);
}

/* Whether two of the n batch attribute indexes in st->tmp share a key. Short
 * lists compare pairwise; long ones use a hash set (of the key's text, as
 * indexes need not be unique), so this stays linear. */
static int dup_keys(struct dec *st, size_t n)
{
    const struct pcol_batch *b = st->b;
    size_t i, j, size, mask;
    int32_t key;

    if (n <= 16) {
        for (i = 1; i < n; i++) {
            key = pcol_attr_at(b, st->tmp[i])->key;
            for (j = 0; j < i; j++) {
                if (same_key(st, pcol_attr_at(b, st->tmp[j])->key, key)) {
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
        for (j = key_hash(st, key) & mask; st->set[j]; j = (j + 1) & mask) {
            if (same_key(st, (int32_t)(st->set[j] >> 32), key)) {
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

int pcol__otlp_attr_list(struct dec *st, const int32_t *v, size_t n)
{
    size_t i;
    int rc = check_count(st, "attribute indices", n);

    if (rc) {
        return rc;
    }
    reserve_tmp(st, n);
    for (i = 0; i < n; i++) {
        if (v[i] < 0 || (uint32_t)v[i] >= st->n_attr) {
            return fail(st,
                        "attribute_indices[%zu] = %d out of range (attribute_table has %u "
                        "entries)",
                        i, v[i], st->n_attr);
        }
        st->tmp[i] = st->attr[v[i]];
    }
    return dup_keys(st, n);
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

static int resource_fill(struct dec *st, struct pcol_resource *r, const PB_R(Resource) * res,
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

static int scope_fill(struct dec *st, struct pcol_scope *s, const PB_C(InstrumentationScope) * sc,
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
                      const PB_P(ValueType) * vt, struct pcol_value_type *out)
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

static int sample_from_pb(struct dec *st, struct pcol_profile *p, const PB_P(Sample) * ps)
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
        (rc = pcol__otlp_attr_list(st, ps->attribute_indices, ps->n_attribute_indices))) {
        return rc;
    }
    if (ps->n_values && ps->n_timestamps_unix_nano && ps->n_values != ps->n_timestamps_unix_nano) {
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
        s->values = s->n_values
                        ? pcol_arena_memdup(b->arena, ps->values, s->n_values * sizeof(int64_t))
                        : NULL;
        s->timestamps = s->n_timestamps ? pcol_arena_memdup(b->arena, ps->timestamps_unix_nano,
                                                            s->n_timestamps * sizeof(uint64_t))
                                        : NULL;
    }
    p->n_samples++;
    return 0;
}

static int profile_from_pb(struct dec *st, struct pcol_scope *sc, const PB_P(Profile) * pp,
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
        (rc = pcol__otlp_attr_list(st, pp->attribute_indices, pp->n_attribute_indices))) {
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

static int resource_profiles_from_pb(struct dec *st, const PB_P(ResourceProfiles) * rp, long ri)
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
    rc = pcol__otlp_dict_from_pb(&st, req->dictionary);
    for (i = 0; !rc && i < req->n_resource_profiles; i++) {
        rc = resource_profiles_from_pb(&st, req->resource_profiles[i], (long)i);
    }
    dec_free(&st);
    return rc;
}

/* ---- context JSON -------------------------------------------------------- */

int pcol__otlp_context_from_json(struct pcol_batch *b, const char *json, size_t len,
                                 struct pcol_resource *r, struct pcol_scope *s,
                                 struct pcol_err *err)
{
    struct pcol_arena *a = pcol_arena_create(0);
    const PB_P(ResourceProfiles) * rp;
    const PB_P(ScopeProfiles) *sp = NULL;
    ProtobufCMessage *m;
    struct dec st;
    int rc;

    dec_init(&st, b, false, err);
    st.no_dict = true;
    st.str = new_map(0, &st.n_str);
    rc = pcol_pbjson_decode(
        &opentelemetry__proto__profiles__v1development__resource_profiles__descriptor, json, len, a,
        &m, err);
    if (rc) {
        goto out;
    }
    rp = (const PB_P(ResourceProfiles) *)m;
    if (rp->n_scope_profiles > 1) {
        rc = fail(&st, "context JSON holds %zu scopeProfiles, expected one", rp->n_scope_profiles);
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
