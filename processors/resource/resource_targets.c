/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resource_targets.c: where the `resource` processor's actions run. Each
 * attribute list of the target (resource or scope key/value arrays, profile
 * or sample index lists into the attribute table) is loaded into the
 * working list, the target's actions run on it in order, and a changed list
 * is stored back as a NEW array in the batch arena: arrays may be shared
 * with the decoder or between samples and profiles, so they are never grown
 * or written in place. Unchanged attributes keep their attribute-table
 * index; changed or new ones are interned.
 *
 * Samples: many share identical attribute lists (every thread's samples,
 * and each value type of a multi-value pprof), so the result is cached per
 * distinct source list (by content) for the batch: the actions run once per
 * distinct list, not once per sample.
 *
 * Ownership: the cache and working list are the context's heap scratch; the
 * ilists they hold point into the batch being processed and are dropped
 * (reset) at the start of the next one.
 */
#include "resource.h"

#include <stdlib.h>
#include <string.h>

static void load_kvs(struct pcol__res_wlist *w, const struct pcol_kv *kv, uint32_t n)
{
    uint32_t i;

    if (w->cap < n) {
        w->cap = n;
        w->v = pcol_xrealloc(w->v, w->cap * sizeof(*w->v));
    }
    for (i = 0; i < n; i++) {
        w->v[i].key = kv[i].key;
        w->v[i].value = kv[i].value;
        w->v[i].unit = 0;
        w->v[i].src = 0;
    }
    w->n = n;
    w->dirty = false;
}

static void load_ilist(const struct pcol_batch *b, struct pcol__res_wlist *w, struct pcol_ilist l)
{
    uint32_t i;

    if (w->cap < l.n) {
        w->cap = l.n;
        w->v = pcol_xrealloc(w->v, w->cap * sizeof(*w->v));
    }
    for (i = 0; i < l.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, l.v[i]);
        w->v[i].key = a->key;
        w->v[i].value = a->value;
        w->v[i].unit = a->unit;
        w->v[i].src = l.v[i];
    }
    w->n = l.n;
    w->dirty = false;
}

static struct pcol_kv *store_kvs(struct pcol_batch *b, const struct pcol__res_wlist *w)
{
    struct pcol_kv *kv;
    uint32_t i;

    if (!w->n) {
        return NULL;
    }
    kv = pcol_arena_alloc(b->arena, w->n * sizeof(*kv));
    for (i = 0; i < w->n; i++) {
        kv[i].key = w->v[i].key;
        kv[i].value = w->v[i].value;
    }
    return kv;
}

static struct pcol_ilist store_ilist(struct pcol_batch *b, const struct pcol__res_wlist *w)
{
    struct pcol_ilist l = {NULL, w->n};
    uint32_t i;

    if (!w->n) {
        return l;
    }
    l.v = pcol_arena_alloc(b->arena, w->n * sizeof(*l.v));
    for (i = 0; i < w->n; i++) {
        const struct pcol__res_wattr *e = &w->v[i];
        l.v[i] = e->src ? e->src : pcol_dict_attr(b, e->key, &e->value, e->unit);
    }
    return l;
}

static void run(struct pcol__res_ctx *c, struct pcol_batch *b, const struct pcol__res_prep *prep,
                size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        pcol__res_apply(c, b, &prep[i], &c->w);
    }
}

/* ---- the sample cache ------------------------------------------------------------- */

static void cache_reset(struct pcol__res_ctx *c)
{
    if (!c->cache) {
        c->cache_cap = 256;
        c->cache = pcol_xcalloc(c->cache_cap, sizeof(*c->cache));
    } else if (c->cache_used) {
        memset(c->cache, 0, c->cache_cap * sizeof(*c->cache));
    }
    c->cache_used = 0;
}

static struct pcol__res_cache_slot *cache_probe(struct pcol__res_cache_slot *slots, uint32_t cap,
                                                uint64_t h, struct pcol_ilist l)
{
    uint32_t i = (uint32_t)h & (cap - 1);

    while (slots[i].used && !(slots[i].hash == h && slots[i].src.n == l.n &&
                              (!l.n || !memcmp(slots[i].src.v, l.v, l.n * sizeof(*l.v))))) {
        i = (i + 1) & (cap - 1);
    }
    return &slots[i];
}

static void cache_grow(struct pcol__res_ctx *c)
{
    uint32_t cap = c->cache_cap * 2, i;
    struct pcol__res_cache_slot *slots = pcol_xcalloc(cap, sizeof(*slots));

    for (i = 0; i < c->cache_cap; i++) {
        if (c->cache[i].used) {
            *cache_probe(slots, cap, c->cache[i].hash, c->cache[i].src) = c->cache[i];
        }
    }
    free(c->cache);
    c->cache = slots;
    c->cache_cap = cap;
}

static struct pcol_ilist sample_list(struct pcol__res_ctx *c, struct pcol_batch *b,
                                     const struct pcol__res_prep *prep, size_t n,
                                     struct pcol_ilist src)
{
    uint64_t h = src.n ? pcol_hash_bytes(src.v, src.n * sizeof(*src.v), src.n) : 0;
    struct pcol__res_cache_slot *slot;

    if ((c->cache_used + 1) * 2 > c->cache_cap) {
        cache_grow(c);
    }
    slot = cache_probe(c->cache, c->cache_cap, h, src);
    if (slot->used) {
        return slot->dst;
    }
    load_ilist(b, &c->w, src);
    run(c, b, prep, n);
    slot->used = true;
    slot->hash = h;
    slot->src = src;
    slot->dst = c->w.dirty ? store_ilist(b, &c->w) : src;
    c->cache_used++;
    return slot->dst;
}

void pcol__res_cache_free(struct pcol__res_ctx *c)
{
    free(c->cache);
    c->cache = NULL;
    c->cache_cap = c->cache_used = 0;
}

/* ---- targets ----------------------------------------------------------------------- */

static void run_kvs(struct pcol__res_ctx *c, struct pcol_batch *b,
                    const struct pcol__res_prep *prep, size_t n, struct pcol_kv **attrs,
                    uint32_t *n_attrs)
{
    load_kvs(&c->w, *attrs, *n_attrs);
    run(c, b, prep, n);
    if (c->w.dirty) {
        *attrs = store_kvs(b, &c->w);
        *n_attrs = c->w.n;
    }
}

void pcol__res_run_target(struct pcol__res_ctx *c, struct pcol_batch *b, int target,
                          const struct pcol__res_prep *prep, size_t n)
{
    uint32_t ri, si, pi, k;

    if (target == PCOL__RES_T_SAMPLE) {
        cache_reset(c);
    }
    for (ri = 0; ri < b->n_resources; ri++) {
        struct pcol_resource *r = &b->resources[ri];

        if (target == PCOL__RES_T_RESOURCE) {
            run_kvs(c, b, prep, n, &r->attrs, &r->n_attrs);
            continue;
        }
        for (si = 0; si < r->n_scopes; si++) {
            struct pcol_scope *s = &r->scopes[si];

            if (target == PCOL__RES_T_SCOPE) {
                run_kvs(c, b, prep, n, &s->attrs, &s->n_attrs);
                continue;
            }
            for (pi = 0; pi < s->n_profiles; pi++) {
                struct pcol_profile *p = &s->profiles[pi];

                if (target == PCOL__RES_T_PROFILE) {
                    load_ilist(b, &c->w, p->attrs);
                    run(c, b, prep, n);
                    if (c->w.dirty) {
                        p->attrs = store_ilist(b, &c->w);
                    }
                    continue;
                }
                for (k = 0; k < p->n_samples; k++) {
                    p->samples[k].attrs = sample_list(c, b, prep, n, p->samples[k].attrs);
                }
            }
        }
    }
}
