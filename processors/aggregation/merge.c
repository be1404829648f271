/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merge.c: the `aggregation` processor's window: the accumulator batch and
 * how profiles and samples merge into it (the rules are in the comment at
 * the top of aggregation.c).
 *
 * The accumulator is a pcol_batch of its own. Each input batch is copied
 * into it through one dictionary map, so equal stacks, attributes and links
 * get equal accumulator indexes whatever batch they came from. A hash map
 * from canonical identity bytes (identity.c) finds the accumulator's
 * resource, scope and profile ("group") for each input profile.
 *
 * A group's first profile is copied as it is (with its samples): a profile
 * alone in its window leaves unchanged. When a second one arrives the group
 * is "promoted": its samples are re-inserted through the sample index (a
 * hash table from stack, link, sorted attribute indexes and shape to the
 * sample's position), which merges equal samples and folds values as
 * configured; from then on every input sample is one hash lookup. Linear in
 * the input.
 *
 * Ownership: the window owns the accumulator until pcol__agg_window_take()
 * hands it over, and the groups' indexes (heap) until the window is emptied.
 * Input batches are borrowed.
 */
#include "aggregation.h"

#include <stdlib.h>
#include <string.h>

struct gslot {
    uint32_t hash;
    uint32_t pos1; /* sample position + 1; 0 = empty */
};

struct pcol__agg_group {
    uint32_t res, scope, prof; /* positions in the accumulator's tree */
    uint32_t n_inputs;
    struct gslot *slots; /* sample index, once promoted */
    uint32_t nslots, n_index;
    uint32_t *caps; /* keep_timestamps: capacity of each sample's arrays */
    uint32_t cap_caps;
    uint64_t start, end; /* union of the inputs' [time, time + duration) */
    bool timed;          /* some input had a time */
    bool any_id;         /* some input had a profile_id */
    uint64_t id_hash;
};

/* What merging one input batch needs. */
struct merge {
    struct pcol__agg *agg;
    struct pcol__agg_window *w;
    struct pcol_batch *b;
    struct pcol_dict_map *m;
    uint8_t *drop_state; /* per input attribute: 0 unknown, 1 keep, 2 drop */
};

static struct pcol_profile *group_profile(const struct pcol__agg_window *w,
                                          const struct pcol__agg_group *g)
{
    return &w->acc->resources[g->res].scopes[g->scope].profiles[g->prof];
}

static int32_t *scratch(struct pcol__agg_window *w, uint32_t n)
{
    if (n > w->cap_scratch) {
        w->cap_scratch = n < 16 ? 16 : n * 2;
        w->scratch = pcol_xrealloc(w->scratch, w->cap_scratch * sizeof(int32_t));
    }
    return w->scratch;
}

static int int32_cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void sort_ints(int32_t *v, uint32_t n)
{
    uint32_t i, j;

    if (n > 16) {
        qsort(v, n, sizeof(*v), int32_cmp);
        return;
    }
    for (i = 1; i < n; i++) {
        int32_t x = v[i];
        for (j = i; j > 0 && v[j - 1] > x; j--) {
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
}

static int64_t *pool_take(struct pcol__agg_window *w)
{
    if (!w->pool_left) {
        w->pool_left = 256;
        w->pool = pcol_arena_alloc(w->acc->arena, w->pool_left * sizeof(int64_t));
    }
    w->pool_left--;
    return w->pool++;
}

/* ---- the sample index ---------------------------------------------------------- */

/* Whether a sample keeps its timestamps (keep_timestamps): timestamps only,
 * or values paired with timestamps. Anything else is aggregated. */
static bool timestamped(const struct pcol__agg *agg, const struct pcol_sample *s)
{
    return agg->cfg->keep_timestamps && s->n_timestamps &&
           (s->n_values == 0 || s->n_values == s->n_timestamps);
}

static uint32_t sample_hash(int32_t stack, int32_t link, const int32_t *attrs, uint32_t n, bool ts)
{
    uint64_t h = pcol_hash_mix(((uint64_t)(uint32_t)stack << 32) | (uint32_t)link, ts);

    h = pcol_hash_bytes(attrs, (size_t)n * sizeof(int32_t), h);
    return (uint32_t)(h ^ (h >> 32));
}

static void index_put(struct gslot *slots, uint32_t nslots, struct gslot e)
{
    uint32_t mask = nslots - 1, i;

    for (i = e.hash & mask; slots[i].pos1; i = (i + 1) & mask) {
    }
    slots[i] = e;
}

static void index_add(struct pcol__agg_group *g, uint32_t hash, uint32_t pos)
{
    struct gslot e = {hash, pos + 1};

    if ((g->n_index + 1) * 2 > g->nslots) {
        uint32_t n = g->nslots ? g->nslots * 2 : 64, i;
        struct gslot *slots = pcol_xcalloc(n, sizeof(*slots));
        for (i = 0; i < g->nslots; i++) {
            if (g->slots[i].pos1) {
                index_put(slots, n, g->slots[i]);
            }
        }
        free(g->slots);
        g->slots = slots;
        g->nslots = n;
    }
    index_put(g->slots, g->nslots, e);
    g->n_index++;
}

/* Position of the equal sample, or -1. */
static int64_t index_find(const struct pcol__agg_group *g, const struct pcol_profile *prof,
                          uint32_t hash, int32_t stack, int32_t link, const int32_t *attrs,
                          uint32_t n, bool ts)
{
    uint32_t mask, i;

    if (!g->nslots) {
        return -1;
    }
    mask = g->nslots - 1;
    for (i = hash & mask; g->slots[i].pos1; i = (i + 1) & mask) {
        const struct pcol_sample *c;
        if (g->slots[i].hash != hash) {
            continue;
        }
        c = &prof->samples[g->slots[i].pos1 - 1];
        if (c->stack == stack && c->link == link && c->attrs.n == n &&
            (n == 0 || memcmp(c->attrs.v, attrs, n * sizeof(int32_t)) == 0) &&
            (c->n_timestamps > 0) == ts) {
            return g->slots[i].pos1 - 1;
        }
    }
    return -1;
}

static void set_cap(struct pcol__agg_group *g, uint32_t pos, uint32_t cap)
{
    if (pos >= g->cap_caps) {
        uint32_t n = g->cap_caps ? g->cap_caps * 2 : 64;
        while (n <= pos) {
            n *= 2;
        }
        g->caps = pcol_xrealloc(g->caps, n * sizeof(*g->caps));
        g->cap_caps = n;
    }
    g->caps[pos] = cap;
}

/* Appends the timestamps (and values) of `src` to timestamped sample `pos`.
 * Values stay paired: a timestamps-only side counts 1 per timestamp. */
static void append_timestamps(struct pcol__agg_window *w, struct pcol__agg_group *g,
                              struct pcol_sample *d, uint32_t pos, const struct pcol_sample *src)
{
    struct pcol_arena *a = w->acc->arena;
    uint32_t n = d->n_timestamps, add = src->n_timestamps, need = n + add, cap = g->caps[pos], i;
    bool dv = d->n_values > 0, sv = src->n_values > 0;

    if (need > cap) {
        uint32_t nc = cap * 2 > need ? cap * 2 : need;
        d->timestamps = pcol_arena_grow(a, d->timestamps, (size_t)n * sizeof(uint64_t),
                                        (size_t)nc * sizeof(uint64_t));
        if (dv) {
            d->values = pcol_arena_grow(a, d->values, (size_t)n * sizeof(int64_t),
                                        (size_t)nc * sizeof(int64_t));
        }
        cap = nc;
        g->caps[pos] = nc;
    }
    if (sv && !dv) {
        d->values = pcol_arena_alloc(a, (size_t)cap * sizeof(int64_t));
        for (i = 0; i < n; i++) {
            d->values[i] = 1;
        }
    }
    memcpy(d->timestamps + n, src->timestamps, (size_t)add * sizeof(uint64_t));
    if (sv) {
        memcpy(d->values + n, src->values, (size_t)add * sizeof(int64_t));
    } else if (dv) {
        for (i = 0; i < add; i++) {
            d->values[n + i] = 1;
        }
    }
    d->n_timestamps = need;
    d->n_values = (sv || dv) ? need : 0;
}

/* Merges one sample, already in accumulator indexes (`attrs` sorted),
 * into group `g`: adds to the equal sample or appends a new one. */
static void insert_sample(struct pcol__agg *agg, struct pcol__agg_group *g, int32_t stack,
                          int32_t link, int32_t *attrs, uint32_t n, bool own_attrs,
                          const struct pcol_sample *src)
{
    struct pcol__agg_window *w = &agg->win;
    struct pcol_profile *prof = group_profile(w, g);
    bool ts = timestamped(agg, src);
    uint32_t hash = sample_hash(stack, link, attrs, n, ts);
    int64_t pos = index_find(g, prof, hash, stack, link, attrs, n, ts);
    struct pcol_sample *d;

    if (pos >= 0) {
        d = &prof->samples[pos];
        if (ts) {
            append_timestamps(w, g, d, (uint32_t)pos, src);
        } else {
            d->values[0] = pcol__agg_add(d->values[0], pcol__agg_fold(src));
        }
        return;
    }
    pos = prof->n_samples;
    d = pcol_profile_add_sample(w->acc, prof);
    d->stack = stack;
    d->link = link;
    if (own_attrs) {
        d->attrs.v = n ? attrs : NULL; /* already in the accumulator's arena */
        d->attrs.n = n;
    } else {
        d->attrs = pcol_ilist_dup(w->acc, attrs, n);
    }
    if (ts) {
        d->n_timestamps = src->n_timestamps;
        d->timestamps = pcol_arena_memdup(w->acc->arena, src->timestamps,
                                          (size_t)src->n_timestamps * sizeof(uint64_t));
        if (src->n_values) {
            d->n_values = src->n_values;
            d->values = pcol_arena_memdup(w->acc->arena, src->values,
                                          (size_t)src->n_values * sizeof(int64_t));
        }
        set_cap(g, (uint32_t)pos, src->n_timestamps);
    } else {
        d->values = pool_take(w);
        d->values[0] = pcol__agg_fold(src);
        d->n_values = 1;
    }
    index_add(g, hash, (uint32_t)pos);
}

/* ---- groups ------------------------------------------------------------------- */

static uint32_t sat_add32(uint32_t a, uint32_t b)
{
    return a + b < a ? UINT32_MAX : a + b;
}

static bool id_zero(const uint8_t id[16])
{
    static const uint8_t zero[16];
    return memcmp(id, zero, 16) == 0;
}

static void group_times(struct pcol__agg_group *g, const struct pcol_profile *p)
{
    uint64_t end = p->time_unix_nano + p->duration_nano;

    if (!p->time_unix_nano) {
        return;
    }
    if (!g->timed || p->time_unix_nano < g->start) {
        g->start = p->time_unix_nano;
    }
    if (!g->timed || end > g->end) {
        g->end = end;
    }
    g->timed = true;
}

static void group_init(struct pcol__agg_group *g, const struct pcol_profile *p)
{
    memset(g, 0, sizeof(*g));
    g->n_inputs = 1;
    group_times(g, p);
    if (!id_zero(p->profile_id)) {
        g->any_id = true;
        g->id_hash = pcol_hash_bytes(p->profile_id, 16, 0x6964);
    }
}

/* The group's single profile, copied as it came, becomes a merged one:
 * its samples go through the index (merging equal ones, dropping the
 * configured attributes, folding values), and its original payload goes
 * (the merged data has no single original). The sample array is compacted
 * in place: a sample is only written at or before the one being read, and
 * each attribute list (private to its sample) is filtered and sorted where
 * it is. */
static void promote(struct pcol__agg *agg, struct pcol__agg_group *g)
{
    struct pcol__agg_window *w = &agg->win;
    const struct pcol_str_list *drop = &agg->cfg->drop_sample_attributes;
    struct pcol_profile *prof = group_profile(w, g);
    uint32_t n_old = prof->n_samples, i, j, k;
    int32_t *drop_keys = NULL;

    prof->n_samples = 0;
    prof->original_payload = NULL;
    prof->original_payload_len = 0;
    prof->original_payload_format = 0;
    if (drop->n) {
        drop_keys = pcol_xmalloc(drop->n * sizeof(*drop_keys));
        for (k = 0; k < drop->n; k++) {
            drop_keys[k] = pcol_dict_find_str(w->acc, drop->v[k], agg->drop_len[k]);
        }
    }
    for (i = 0; i < n_old; i++) {
        struct pcol_sample s = prof->samples[i]; /* its slot may be rewritten */
        uint32_t n = 0;
        for (j = 0; j < s.attrs.n; j++) {
            int32_t key = pcol_attr_at(w->acc, s.attrs.v[j])->key;
            for (k = 0; k < drop->n && drop_keys[k] != key; k++) {
            }
            if (k < drop->n) {
                w->dirty = true;
                continue;
            }
            s.attrs.v[n++] = s.attrs.v[j];
        }
        sort_ints(s.attrs.v, n);
        insert_sample(agg, g, s.stack, s.link, s.attrs.v, n, true, &s);
        prof = group_profile(w, g);
    }
    free(drop_keys);
}

static bool dropped_attr(struct merge *mc, int32_t a)
{
    const struct pcol_str_list *drop = &mc->agg->cfg->drop_sample_attributes;
    size_t k;

    if (!mc->drop_state) {
        return false;
    }
    if (!mc->drop_state[a]) {
        const struct pcol_str *key = pcol_str_at(mc->b, pcol_attr_at(mc->b, a)->key);
        mc->drop_state[a] = 1;
        for (k = 0; k < drop->n; k++) {
            if (key->len == mc->agg->drop_len[k] && memcmp(key->p, drop->v[k], key->len) == 0) {
                mc->drop_state[a] = 2;
                break;
            }
        }
    }
    return mc->drop_state[a] == 2;
}

/* Profile attributes: only those equal in every merged input stay. */
static void intersect_attrs(struct merge *mc, struct pcol_profile *prof,
                            const struct pcol_profile *p)
{
    uint32_t i, j, keep = 0, old = prof->attrs.n;
    int32_t *mapped;

    if (!old) {
        return;
    }
    mapped = scratch(mc->w, p->attrs.n);
    for (i = 0; i < p->attrs.n; i++) {
        mapped[i] = pcol_map_attr(mc->m, p->attrs.v[i]);
    }
    for (i = 0; i < old; i++) {
        for (j = 0; j < p->attrs.n && mapped[j] != prof->attrs.v[i]; j++) {
        }
        if (j < p->attrs.n) {
            prof->attrs.v[keep++] = prof->attrs.v[i];
        }
    }
    if (keep != old || keep != p->attrs.n) {
        mc->w->dirty = true; /* entries nothing refers to any more, or never did */
    }
    prof->attrs.n = keep;
    if (!keep) {
        prof->attrs.v = NULL;
    }
}

static void merge_profile(struct merge *mc, struct pcol__agg_group *g, const struct pcol_profile *p)
{
    struct pcol__agg_window *w = mc->w;
    struct pcol_profile *prof;
    uint32_t i, j;

    if (g->n_inputs == 1) {
        promote(mc->agg, g);
    }
    prof = group_profile(w, g);
    group_times(g, p);
    if (g->timed) {
        prof->time_unix_nano = g->start;
        prof->duration_nano = g->end - g->start;
    }
    prof->dropped_attributes_count =
        sat_add32(prof->dropped_attributes_count, p->dropped_attributes_count);
    if (!id_zero(p->profile_id)) {
        g->id_hash = pcol_hash_mix(g->id_hash, pcol_hash_bytes(p->profile_id, 16, 0x6964));
        g->any_id = true;
    }
    if (g->any_id) {
        uint64_t h[2] = {pcol_hash_mix(g->id_hash, g->n_inputs + 1),
                         pcol_hash_mix(g->id_hash ^ 0x9e3779b97f4a7c15ull, g->n_inputs + 1)};
        memcpy(prof->profile_id, h, 16);
    } else {
        memset(prof->profile_id, 0, 16);
    }
    intersect_attrs(mc, prof, p);

    for (i = 0; i < p->n_samples; i++) {
        const struct pcol_sample *s = &p->samples[i];
        int32_t stack = pcol_map_stack(mc->m, s->stack);
        int32_t link = pcol_map_link(mc->m, s->link);
        int32_t *v = scratch(w, s->attrs.n);
        uint32_t n = 0;
        for (j = 0; j < s->attrs.n; j++) {
            if (!dropped_attr(mc, s->attrs.v[j])) {
                v[n++] = pcol_map_attr(mc->m, s->attrs.v[j]);
            }
        }
        sort_ints(v, n);
        insert_sample(mc->agg, g, stack, link, v, n, false, s);
    }
    g->n_inputs++;
}

/* ---- levels: resource, scope, group ------------------------------------------- */

/* Looks the current key (w->key) up; -1 when absent. */
static int64_t level_find(struct pcol__agg_window *w, char tag, uint64_t *hash)
{
    pcol__agg_compose_key(&w->key, tag, &w->kres, &w->kscope, &w->kprof);
    *hash = pcol__agg_khash(w->key.p, w->key.len);
    return pcol__agg_kmap_get(&w->keys, w->key.p, (uint32_t)w->key.len, *hash);
}

static void level_remember(struct pcol__agg_window *w, uint64_t hash, uint32_t val)
{
    uint8_t *k = pcol_arena_memdup(w->key_arena, w->key.p, w->key.len);

    pcol__agg_kmap_put(&w->keys, k, (uint32_t)w->key.len, hash, val);
}

static struct pcol__agg_group *new_group(struct pcol__agg_window *w)
{
    if (w->n_groups == w->cap_groups) {
        w->cap_groups = w->cap_groups ? w->cap_groups * 2 : 16;
        w->groups = pcol_xrealloc(w->groups, w->cap_groups * sizeof(*w->groups));
    }
    return &w->groups[w->n_groups++];
}

static void add_profile(struct merge *mc, const struct pcol_resource *r, int64_t *ri,
                        const struct pcol_scope *s, int64_t *si, const struct pcol_profile *p)
{
    struct pcol__agg_window *w = mc->w;
    struct pcol_batch *acc = w->acc;
    struct pcol__agg_group *g;
    uint64_t hash;
    int64_t gi;

    pcol__agg_identity(mc->b, r, s, p, &mc->agg->cfg->group_by, &w->kres, &w->kscope, &w->kprof);
    if (*ri < 0 && (*ri = level_find(w, 'R', &hash)) < 0) {
        pcol_map_add_resource(mc->m, r);
        *ri = acc->n_resources - 1;
        level_remember(w, hash, (uint32_t)*ri);
    }
    if (*si < 0 && (*si = level_find(w, 'S', &hash)) < 0) {
        struct pcol_resource *dr = &acc->resources[*ri];
        pcol_map_add_scope(mc->m, dr, s);
        *si = dr->n_scopes - 1;
        level_remember(w, hash, (uint32_t)*si);
    }
    w->inputs++;
    if ((gi = level_find(w, 'P', &hash)) >= 0) {
        merge_profile(mc, &w->groups[gi], p);
        return;
    }
    {
        struct pcol_scope *ds = &acc->resources[*ri].scopes[*si];
        pcol_map_add_profile(mc->m, ds, p, true);
        level_remember(w, hash, w->n_groups);
        g = new_group(w);
        group_init(g, p);
        g->res = (uint32_t)*ri;
        g->scope = (uint32_t)*si;
        g->prof = ds->n_profiles - 1;
    }
}

void pcol__agg_window_add(struct pcol__agg *agg, struct pcol_batch *b)
{
    struct pcol__agg_window *w = &agg->win;
    struct merge mc = {agg, w, b, NULL, NULL};
    uint32_t i, j, k;

    if (!w->acc) {
        w->acc = pcol_batch_create(0);
        w->acc->received_unix_nano = b->received_unix_nano;
        w->key_arena = pcol_arena_create(0);
    }
    mc.m = pcol_dict_map_create(w->acc, b);
    if (agg->cfg->drop_sample_attributes.n) {
        mc.drop_state = pcol_xcalloc(b->dict.attrs.n ? b->dict.attrs.n : 1, 1);
    }
    for (i = 0; i < b->n_resources; i++) {
        const struct pcol_resource *r = &b->resources[i];
        int64_t ri = -1;
        for (j = 0; j < r->n_scopes; j++) {
            const struct pcol_scope *s = &r->scopes[j];
            int64_t si = -1;
            for (k = 0; k < s->n_profiles; k++) {
                add_profile(&mc, r, &ri, s, &si, &s->profiles[k]);
            }
        }
    }
    free(mc.drop_state);
    pcol_dict_map_free(mc.m);
}

static void window_reset(struct pcol__agg_window *w)
{
    uint32_t i;

    for (i = 0; i < w->n_groups; i++) {
        free(w->groups[i].slots);
        free(w->groups[i].caps);
    }
    w->n_groups = 0;
    pcol__agg_kmap_clear(&w->keys);
    pcol_arena_destroy(w->key_arena);
    w->key_arena = NULL;
    w->acc = NULL;
    w->pool = NULL;
    w->pool_left = 0;
    w->dirty = false;
    w->inputs = 0;
}

static struct pcol_batch *window_take(struct pcol__agg_window *w)
{
    struct pcol_batch *out = w->acc;

    if (!out) {
        return NULL;
    }
    if (w->dirty) {
        out = pcol_batch_clone(w->acc);
        pcol_batch_release(w->acc);
    }
    window_reset(w);
    return out;
}

/* drop_sample_attributes holds for every profile that leaves: a group that
 * saw one input is put through the sample index too, so high-cardinality
 * keys never pass just because a window held one profile of a kind. */
struct pcol_batch *pcol__agg_window_take(struct pcol__agg *agg)
{
    struct pcol__agg_window *w = &agg->win;
    uint32_t i;

    if (w->acc && agg->cfg->drop_sample_attributes.n) {
        for (i = 0; i < w->n_groups; i++) {
            if (w->groups[i].n_inputs == 1) {
                promote(agg, &w->groups[i]);
            }
        }
    }
    return window_take(w);
}

void pcol__agg_window_free(struct pcol__agg_window *w)
{
    pcol_batch_release(window_take(w));
    free(w->groups);
    pcol__agg_kmap_free(&w->keys);
    pcol_buf_free(&w->kres);
    pcol_buf_free(&w->kscope);
    pcol_buf_free(&w->kprof);
    pcol_buf_free(&w->key);
    free(w->scratch);
    memset(w, 0, sizeof(*w));
}
