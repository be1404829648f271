/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile_map.c: copying parts of one batch into another through a
 * dictionary map, and the batch merge and clone built on it.
 *
 * A map translates src indexes to dst indexes lazily: an entry is interned
 * into dst the first time something refers to it, so only what the copied
 * samples, profiles and resources reach is copied. That makes a clone a
 * compaction too (entries nothing refers to any more are left behind), and
 * lets processors merge samples one at a time into a batch they keep.
 */
#include "profile.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct pcol_dict_map {
    struct pcol_batch *dst;
    const struct pcol_batch *src;
    /* src index -> dst index; -1 = not mapped yet. One allocation. */
    int32_t *str, *mapping, *location, *function, *link, *attr, *stack;
    /* Scratch for a stack's or location's mapped lists, so that an entry dst
     * already has costs no arena bytes (heap, reused). */
    void *scratch;
    size_t scratch_cap;
};

static void *scratch(struct pcol_dict_map *m, size_t n)
{
    if (n > m->scratch_cap) {
        m->scratch_cap = n > 2 * m->scratch_cap ? n : 2 * m->scratch_cap;
        free(m->scratch);
        m->scratch = pcol_xmalloc(m->scratch_cap);
    }
    return m->scratch;
}

static int32_t *carve(int32_t **p, uint32_t n)
{
    int32_t *v = *p;

    memset(v, 0xff, (size_t)n * sizeof(int32_t));
    if (n) {
        v[0] = 0;
    }
    *p += n;
    return v;
}

struct pcol_dict_map *pcol_dict_map_create(struct pcol_batch *dst, const struct pcol_batch *src)
{
    const struct pcol_dict *d = &src->dict;
    size_t n = (size_t)d->strings.n + d->mappings.n + d->locations.n + d->functions.n + d->links.n +
               d->attrs.n + d->stacks.n;
    struct pcol_dict_map *m = pcol_xmalloc(sizeof(*m) + n * sizeof(int32_t));
    int32_t *p = (int32_t *)(m + 1);

    assert(dst != src);
    m->dst = dst;
    m->src = src;
    m->scratch = NULL;
    m->scratch_cap = 0;
    m->str = carve(&p, d->strings.n);
    m->mapping = carve(&p, d->mappings.n);
    m->location = carve(&p, d->locations.n);
    m->function = carve(&p, d->functions.n);
    m->link = carve(&p, d->links.n);
    m->attr = carve(&p, d->attrs.n);
    m->stack = carve(&p, d->stacks.n);
    return m;
}

void pcol_dict_map_free(struct pcol_dict_map *m)
{
    if (m) {
        free(m->scratch);
        free(m);
    }
}

int32_t pcol_map_str(struct pcol_dict_map *m, int32_t i)
{
    if (m->str[i] < 0) {
        const struct pcol_str *s = pcol_str_at(m->src, i);
        m->str[i] = pcol_dict_str(m->dst, s->p, s->len);
    }
    return m->str[i];
}

static struct pcol_ilist map_ilist(struct pcol_dict_map *m, struct pcol_ilist l,
                                   int32_t (*fn)(struct pcol_dict_map *, int32_t))
{
    struct pcol_ilist out = {NULL, l.n};
    uint32_t i;

    if (l.n) {
        out.v = pcol_arena_alloc(m->dst->arena, l.n * sizeof(int32_t));
        for (i = 0; i < l.n; i++) {
            out.v[i] = fn(m, l.v[i]);
        }
    }
    return out;
}

struct pcol_kv *pcol_map_kvs(struct pcol_dict_map *m, const struct pcol_kv *kv, uint32_t n)
{
    struct pcol_kv *out;
    uint32_t i;

    if (!n) {
        return NULL;
    }
    out = pcol_arena_alloc(m->dst->arena, n * sizeof(*out));
    for (i = 0; i < n; i++) {
        out[i].key = pcol_map_str(m, kv[i].key);
        pcol_map_value(m, &out[i].value, &kv[i].value);
    }
    return out;
}

void pcol_map_value(struct pcol_dict_map *m, struct pcol_value *out, const struct pcol_value *in)
{
    uint32_t i;

    *out = *in;
    switch (in->kind) {
    case PCOL_VAL_STR: out->u.str = pcol_map_str(m, in->u.str); break;
    case PCOL_VAL_BYTES: out->u.bytes = pcol_arena_memdup(m->dst->arena, in->u.bytes, in->n); break;
    case PCOL_VAL_ARRAY:
        out->u.array = pcol_arena_alloc(m->dst->arena, in->n * sizeof(struct pcol_value));
        for (i = 0; i < in->n; i++) {
            pcol_map_value(m, &out->u.array[i], &in->u.array[i]);
        }
        break;
    case PCOL_VAL_KVLIST: out->u.kvlist = pcol_map_kvs(m, in->u.kvlist, in->n); break;
    default: break;
    }
}

int32_t pcol_map_attr(struct pcol_dict_map *m, int32_t i)
{
    if (m->attr[i] < 0) {
        const struct pcol_attr *a = pcol_attr_at(m->src, i);
        struct pcol_attr na = {pcol_map_str(m, a->key), {0, 0, {0}}, pcol_map_str(m, a->unit)};
        pcol_map_value(m, &na.value, &a->value);
        m->attr[i] = pcol_dict_intern(m->dst, &m->dst->dict.attrs, &na);
    }
    return m->attr[i];
}

struct pcol_ilist pcol_map_attrs(struct pcol_dict_map *m, struct pcol_ilist l)
{
    return map_ilist(m, l, pcol_map_attr);
}

int32_t pcol_map_link(struct pcol_dict_map *m, int32_t i)
{
    if (m->link[i] < 0) {
        m->link[i] = pcol_dict_intern(m->dst, &m->dst->dict.links, pcol_link_at(m->src, i));
    }
    return m->link[i];
}

static int32_t map_function(struct pcol_dict_map *m, int32_t i)
{
    if (m->function[i] < 0) {
        struct pcol_function f = *pcol_function_at(m->src, i);
        f.name = pcol_map_str(m, f.name);
        f.system_name = pcol_map_str(m, f.system_name);
        f.filename = pcol_map_str(m, f.filename);
        m->function[i] = pcol_dict_intern(m->dst, &m->dst->dict.functions, &f);
    }
    return m->function[i];
}

static int32_t map_mapping(struct pcol_dict_map *m, int32_t i)
{
    if (m->mapping[i] < 0) {
        struct pcol_mapping mp = *pcol_mapping_at(m->src, i);
        mp.filename = pcol_map_str(m, mp.filename);
        mp.attrs = pcol_map_attrs(m, mp.attrs);
        m->mapping[i] = pcol_dict_intern(m->dst, &m->dst->dict.mappings, &mp);
    }
    return m->mapping[i];
}

static int32_t map_location(struct pcol_dict_map *m, int32_t i)
{
    if (m->location[i] < 0) {
        struct pcol_location l = *pcol_location_at(m->src, i);
        struct pcol_line *lines;
        uint32_t j;

        /* Map what the location refers to first: that may grow the scratch. */
        for (j = 0; j < l.n_lines; j++) {
            map_function(m, l.lines[j].function);
        }
        l.mapping = map_mapping(m, l.mapping);
        l.attrs = pcol_map_attrs(m, l.attrs);
        lines = scratch(m, (l.n_lines + 1) * sizeof(*lines));
        for (j = 0; j < l.n_lines; j++) {
            lines[j] = l.lines[j];
            lines[j].function = m->function[l.lines[j].function];
        }
        l.lines = lines;
        m->location[i] = pcol_dict_location(m->dst, &l);
    }
    return m->location[i];
}

int32_t pcol_map_stack(struct pcol_dict_map *m, int32_t i)
{
    if (m->stack[i] < 0) {
        struct pcol_ilist l = pcol_stack_at(m->src, i)->locations;
        int32_t *v;
        uint32_t j;

        for (j = 0; j < l.n; j++) {
            map_location(m, l.v[j]);
        }
        v = scratch(m, (l.n + 1) * sizeof(int32_t));
        for (j = 0; j < l.n; j++) {
            v[j] = m->location[l.v[j]];
        }
        m->stack[i] = pcol_dict_stack(m->dst, v, l.n);
    }
    return m->stack[i];
}

void pcol_map_sample(struct pcol_dict_map *m, struct pcol_sample *out, const struct pcol_sample *in)
{
    struct pcol_arena *a = m->dst->arena;

    out->stack = pcol_map_stack(m, in->stack);
    out->link = pcol_map_link(m, in->link);
    out->attrs = pcol_map_attrs(m, in->attrs);
    out->n_values = in->n_values;
    out->n_timestamps = in->n_timestamps;
    out->values =
        in->n_values ? pcol_arena_memdup(a, in->values, in->n_values * sizeof(int64_t)) : NULL;
    out->timestamps =
        in->n_timestamps ? pcol_arena_memdup(a, in->timestamps, in->n_timestamps * sizeof(uint64_t))
                         : NULL;
}

struct pcol_resource *pcol_map_add_resource(struct pcol_dict_map *m, const struct pcol_resource *sr)
{
    struct pcol_resource *dr = pcol_batch_add_resource(m->dst);
    uint32_t j;

    dr->attrs = pcol_map_kvs(m, sr->attrs, sr->n_attrs);
    dr->n_attrs = sr->n_attrs;
    dr->dropped_attributes_count = sr->dropped_attributes_count;
    dr->schema_url = pcol_map_str(m, sr->schema_url);
    if (sr->n_entity_refs) {
        dr->entity_refs =
            pcol_arena_alloc(m->dst->arena, sr->n_entity_refs * sizeof(*dr->entity_refs));
        dr->n_entity_refs = sr->n_entity_refs;
        for (j = 0; j < sr->n_entity_refs; j++) {
            const struct pcol_entity_ref *se = &sr->entity_refs[j];
            struct pcol_entity_ref *de = &dr->entity_refs[j];
            de->schema_url = pcol_map_str(m, se->schema_url);
            de->type = pcol_map_str(m, se->type);
            de->id_keys = map_ilist(m, se->id_keys, pcol_map_str);
            de->description_keys = map_ilist(m, se->description_keys, pcol_map_str);
        }
    }
    return dr;
}

struct pcol_scope *pcol_map_add_scope(struct pcol_dict_map *m, struct pcol_resource *dr,
                                      const struct pcol_scope *ss)
{
    struct pcol_scope *ds = pcol_resource_add_scope(m->dst, dr);

    ds->name = pcol_map_str(m, ss->name);
    ds->version = pcol_map_str(m, ss->version);
    ds->attrs = pcol_map_kvs(m, ss->attrs, ss->n_attrs);
    ds->n_attrs = ss->n_attrs;
    ds->dropped_attributes_count = ss->dropped_attributes_count;
    ds->schema_url = pcol_map_str(m, ss->schema_url);
    return ds;
}

struct pcol_profile *pcol_map_add_profile(struct pcol_dict_map *m, struct pcol_scope *ds,
                                          const struct pcol_profile *sp, bool with_samples)
{
    struct pcol_batch *dst = m->dst;
    struct pcol_profile *dp = pcol_scope_add_profile(dst, ds);
    uint32_t i;

    *dp = *sp;
    dp->sample_type.type = pcol_map_str(m, sp->sample_type.type);
    dp->sample_type.unit = pcol_map_str(m, sp->sample_type.unit);
    dp->period_type.type = pcol_map_str(m, sp->period_type.type);
    dp->period_type.unit = pcol_map_str(m, sp->period_type.unit);
    dp->original_payload_format = pcol_map_str(m, sp->original_payload_format);
    if (sp->original_payload_len) {
        dp->original_payload =
            pcol_arena_memdup(dst->arena, sp->original_payload, sp->original_payload_len);
    }
    dp->attrs = pcol_map_attrs(m, sp->attrs);
    dp->samples = NULL;
    dp->n_samples = dp->cap_samples = 0;
    if (with_samples) {
        pcol_profile_reserve_samples(dst, dp, sp->n_samples);
        for (i = 0; i < sp->n_samples; i++) {
            pcol_map_sample(m, &dp->samples[i], &sp->samples[i]);
        }
        dp->n_samples = sp->n_samples;
    }
    return dp;
}

void pcol_batch_merge(struct pcol_batch *dst, const struct pcol_batch *src)
{
    struct pcol_dict_map *m = pcol_dict_map_create(dst, src);
    uint32_t i, j, k;

    for (i = 0; i < src->n_resources; i++) {
        const struct pcol_resource *sr = &src->resources[i];
        struct pcol_resource *dr = pcol_map_add_resource(m, sr);
        for (j = 0; j < sr->n_scopes; j++) {
            const struct pcol_scope *ss = &sr->scopes[j];
            /* dr stays valid: only dr's own scope array grows here. */
            struct pcol_scope *ds = pcol_map_add_scope(m, dr, ss);
            for (k = 0; k < ss->n_profiles; k++) {
                pcol_map_add_profile(m, ds, &ss->profiles[k], true);
            }
        }
    }
    pcol_dict_map_free(m);
}

struct pcol_batch *pcol_batch_clone(const struct pcol_batch *src)
{
    struct pcol_batch *b = pcol_batch_create(pcol_arena_bytes(src->arena));

    pcol_batch_merge(b, src);
    b->received_unix_nano = src->received_unix_nano;
    return b;
}
