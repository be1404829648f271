/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delta.c: cumulative_to_delta for the `aggregation` processor (the rules
 * are in the comment at the top of aggregation.c).
 *
 * A series is one profile identity (identity.c: resource attributes,
 * scope, sample type, period type, group_by values). Per series we keep the
 * previous profile's cumulative value per sample identity, as a hash table
 * from the sample's 128-bit content key (pcol__agg_sample_key: stack,
 * attributes as a set, link by content) to its value, plus the previous
 * profile's time. Nothing of the previous batch itself is kept, so memory
 * is 32 to 64 bytes per distinct sample per series, bounded by max_series; series
 * not seen for series_ttl are forgotten, and when max_series is reached the
 * least recently seen series goes.
 *
 * Ownership: the series (heap) belong to the delta state from creation
 * until expiry, eviction or pcol__agg_delta_free(). Input batches are the
 * caller's, changed in place: delta profiles get new sample arrays in the
 * batch's arena, baselines are removed from their scope.
 */
#include "aggregation.h"

#include <stdlib.h>
#include <string.h>

struct dentry {
    uint64_t k1, k2; /* k1 == 0: empty slot */
    int64_t v;
    uint32_t emitted; /* the delta of this key was written out */
};

struct dtable {
    struct dentry *e;
    uint32_t nslots, n;
};

struct series {
    uint8_t *key; /* canonical identity bytes (heap) */
    uint32_t len;
    uint64_t hash;
    uint64_t last_seen_ms;
    uint64_t prev_time, prev_end; /* the previous profile's time and end; 0: unknown */
    struct dtable vals;           /* previous cumulative value per sample key */
};

struct pcol__agg_delta {
    struct series *s;
    uint32_t n, cap;
    struct pcol__agg_kmap idx; /* identity -> position in s */
    uint64_t last_sweep_ms;
    bool warned_full;
    struct pcol_buf kres, kscope, kprof, key;
};

/* ---- key -> value tables ------------------------------------------------------ */

static void dt_put(struct dentry *e, uint32_t nslots, const struct dentry *x)
{
    uint32_t mask = nslots - 1, i;

    for (i = (uint32_t)x->k2 & mask; e[i].k1; i = (i + 1) & mask) {
    }
    e[i] = *x;
}

/* Adds `v` to key (k1, k2), inserting it when new. */
static struct dentry *dt_add(struct dtable *t, uint64_t k1, uint64_t k2, int64_t v)
{
    uint32_t mask, i;

    if ((t->n + 1) * 2 > t->nslots) {
        uint32_t n = t->nslots ? t->nslots * 2 : 64, j;
        struct dentry *e = pcol_xcalloc(n, sizeof(*e));
        for (j = 0; j < t->nslots; j++) {
            if (t->e[j].k1) {
                dt_put(e, n, &t->e[j]);
            }
        }
        free(t->e);
        t->e = e;
        t->nslots = n;
    }
    mask = t->nslots - 1;
    for (i = (uint32_t)k2 & mask; t->e[i].k1; i = (i + 1) & mask) {
        if (t->e[i].k1 == k1 && t->e[i].k2 == k2) {
            t->e[i].v = pcol__agg_add(t->e[i].v, v);
            return &t->e[i];
        }
    }
    t->e[i].k1 = k1;
    t->e[i].k2 = k2;
    t->e[i].v = v;
    t->e[i].emitted = 0;
    t->n++;
    return &t->e[i];
}

static struct dentry *dt_find(const struct dtable *t, uint64_t k1, uint64_t k2)
{
    uint32_t mask, i;

    if (!t->nslots) {
        return NULL;
    }
    mask = t->nslots - 1;
    for (i = (uint32_t)k2 & mask; t->e[i].k1; i = (i + 1) & mask) {
        if (t->e[i].k1 == k1 && t->e[i].k2 == k2) {
            return &t->e[i];
        }
    }
    return NULL;
}

static void dt_free(struct dtable *t)
{
    free(t->e);
    memset(t, 0, sizeof(*t));
}

/* ---- series -------------------------------------------------------------------- */

struct pcol__agg_delta *pcol__agg_delta_create(void)
{
    return pcol_xcalloc(1, sizeof(struct pcol__agg_delta));
}

static void reindex(struct pcol__agg_delta *d)
{
    uint32_t i;

    pcol__agg_kmap_clear(&d->idx);
    for (i = 0; i < d->n; i++) {
        pcol__agg_kmap_put(&d->idx, d->s[i].key, d->s[i].len, d->s[i].hash, i);
    }
}

/* Forgets series `i` (the caller reindexes). */
static void series_remove(struct pcol__agg_delta *d, uint32_t i)
{
    free(d->s[i].key);
    dt_free(&d->s[i].vals);
    d->s[i] = d->s[--d->n];
}

void pcol__agg_delta_free(struct pcol__agg_delta *d)
{
    if (!d) {
        return;
    }
    while (d->n) {
        series_remove(d, d->n - 1);
    }
    free(d->s);
    pcol__agg_kmap_free(&d->idx);
    pcol_buf_free(&d->kres);
    pcol_buf_free(&d->kscope);
    pcol_buf_free(&d->kprof);
    pcol_buf_free(&d->key);
    free(d);
}

uint32_t pcol__agg_delta_series(const struct pcol__agg_delta *d)
{
    return d ? d->n : 0;
}

/* Forgets the series not seen for `ttl_ms`; runs at most every ttl/4. */
static void sweep(struct pcol__agg_delta *d, uint64_t now_ms, uint64_t ttl_ms)
{
    uint32_t i = 0, before = d->n;

    if (now_ms - d->last_sweep_ms < ttl_ms / 4) {
        return;
    }
    d->last_sweep_ms = now_ms;
    while (i < d->n) {
        if (now_ms - d->s[i].last_seen_ms >= ttl_ms) {
            series_remove(d, i);
        } else {
            i++;
        }
    }
    if (d->n != before) {
        reindex(d);
    }
}

static struct series *series_add(struct pcol__agg *agg, uint64_t hash, uint64_t now_ms)
{
    struct pcol__agg_delta *d = agg->delta;
    struct series *s;

    if (d->n >= agg->cfg->max_series) {
        uint32_t i, lru = 0;
        for (i = 1; i < d->n; i++) {
            if (d->s[i].last_seen_ms < d->s[lru].last_seen_ms) {
                lru = i;
            }
        }
        if (!d->warned_full) {
            d->warned_full = true;
            pcol_log(agg->inst, PCOL_LOG_WARN,
                     "max_series (%llu) reached: forgetting the least recently seen series (its "
                     "next profile is a baseline again); further ones are not logged",
                     (unsigned long long)agg->cfg->max_series);
        }
        series_remove(d, lru);
        reindex(d);
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->s = pcol_xrealloc(d->s, d->cap * sizeof(*d->s));
    }
    s = &d->s[d->n];
    memset(s, 0, sizeof(*s));
    s->key = pcol_xmalloc(d->key.len);
    memcpy(s->key, d->key.p, d->key.len);
    s->len = (uint32_t)d->key.len;
    s->hash = hash;
    s->last_seen_ms = now_ms;
    pcol__agg_kmap_put(&d->idx, s->key, s->len, hash, d->n);
    d->n++;
    return s;
}

/* ---- profiles ------------------------------------------------------------------ */

static bool is_cumulative(const struct pcol__agg *agg, const struct pcol_batch *b,
                          const struct pcol_profile *p)
{
    const struct pcol_str *t = pcol_str_at(b, p->sample_type.type);
    const struct pcol_str_list *types = &agg->cfg->cumulative_types;
    size_t i;

    for (i = 0; i < types->n; i++) {
        if (agg->cum_len[i] == t->len && memcmp(types->v[i], t->p, t->len) == 0) {
            return true;
        }
    }
    return false;
}

static void profile_end(const struct pcol_profile *p, uint64_t *time, uint64_t *end)
{
    *time = p->time_unix_nano;
    *end = p->time_unix_nano ? p->time_unix_nano + p->duration_nano : 0;
}

/* Current cumulative values per sample key of `p` into `t`; each sample's
 * key into `keys` (2 per sample). */
static void cumulative_values(struct pcol__agg_chash *ch, const struct pcol_profile *p,
                              struct dtable *t, uint64_t *keys)
{
    uint32_t i;

    for (i = 0; i < p->n_samples; i++) {
        const struct pcol_sample *s = &p->samples[i];
        uint64_t k1, k2;
        pcol__agg_sample_key(ch, s, &k1, &k2);
        k1 = k1 ? k1 : 1;
        dt_add(t, k1, k2, pcol__agg_fold(s));
        if (keys) {
            keys[2 * i] = k1;
            keys[2 * i + 1] = k2;
        }
    }
}

/* Rewrites `p` (of batch `b`) as the delta against series `se`, then
 * makes `p` the series' new previous profile. */
static void delta_profile(struct pcol_batch *b, struct pcol__agg_chash *ch, struct series *se,
                          struct pcol_profile *p)
{
    struct dtable cur = {0};
    uint64_t *keys = pcol_xmalloc(((size_t)p->n_samples * 2 + 1) * sizeof(uint64_t));
    struct pcol_sample *out = NULL;
    int64_t *vals = NULL;
    uint64_t time, end;
    uint32_t i, n = 0;
    bool restart = false;

    cumulative_values(ch, p, &cur, keys);
    for (i = 0; i < cur.nslots && !restart; i++) {
        const struct dentry *e = &cur.e[i], *prev;
        if (e->k1 && (prev = dt_find(&se->vals, e->k1, e->k2)) && e->v < prev->v) {
            restart = true; /* a value went down: the process restarted */
        }
    }
    if (p->n_samples) {
        out = pcol_arena_alloc(b->arena, p->n_samples * sizeof(*out));
        vals = pcol_arena_alloc(b->arena, p->n_samples * sizeof(*vals));
    }
    for (i = 0; i < p->n_samples; i++) {
        struct dentry *e = dt_find(&cur, keys[2 * i], keys[2 * i + 1]);
        const struct dentry *prev;
        int64_t dv;
        if (e->emitted) {
            continue; /* a repeated sample identity: its sum went out with the first */
        }
        e->emitted = 1;
        prev = restart ? NULL : dt_find(&se->vals, e->k1, e->k2);
        dv = prev ? (int64_t)((uint64_t)e->v - (uint64_t)prev->v) : e->v;
        if (dv == 0) {
            continue;
        }
        out[n] = p->samples[i];
        vals[n] = dv;
        out[n].values = &vals[n];
        out[n].n_values = 1;
        out[n].timestamps = NULL;
        out[n].n_timestamps = 0;
        n++;
    }
    free(keys);
    p->samples = out;
    p->n_samples = p->cap_samples = n;

    profile_end(p, &time, &end);
    if (time && se->prev_end && se->prev_end <= end) {
        p->time_unix_nano = se->prev_end;
        p->duration_nano = end - se->prev_end;
    }
    /* The original bytes hold the cumulative values, not these. */
    p->original_payload = NULL;
    p->original_payload_len = 0;
    p->original_payload_format = 0;

    dt_free(&se->vals);
    se->vals = cur;
    se->prev_time = time;
    se->prev_end = end;
}

void pcol__agg_delta_apply(struct pcol__agg *agg, struct pcol_batch *b, uint64_t now_ms)
{
    struct pcol__agg_delta *d = agg->delta;
    struct pcol__agg_chash ch = {0};
    uint64_t ttl_ms = (uint64_t)agg->cfg->series_ttl / 1000000;
    uint64_t baselines = 0;
    uint32_t i, j, k, kept;

    sweep(d, now_ms, ttl_ms);
    for (i = 0; i < b->n_resources; i++) {
        struct pcol_resource *r = &b->resources[i];
        for (j = 0; j < r->n_scopes; j++) {
            struct pcol_scope *s = &r->scopes[j];
            for (k = kept = 0; k < s->n_profiles; k++) {
                struct pcol_profile *p = &s->profiles[k];
                struct series *se;
                uint64_t hash;
                int64_t at;
                if (!is_cumulative(agg, b, p)) {
                    s->profiles[kept++] = *p;
                    continue;
                }
                if (!ch.memo) {
                    pcol__agg_chash_init(&ch, b);
                }
                pcol__agg_identity(b, r, s, p, &agg->cfg->group_by, &d->kres, &d->kscope,
                                   &d->kprof);
                pcol__agg_compose_key(&d->key, 'P', &d->kres, &d->kscope, &d->kprof);
                hash = pcol__agg_khash(d->key.p, d->key.len);
                at = pcol__agg_kmap_get(&d->idx, d->key.p, (uint32_t)d->key.len, hash);
                if (at < 0) {
                    /* The first profile of a series only sets the baseline. */
                    se = series_add(agg, hash, now_ms);
                    cumulative_values(&ch, p, &se->vals, NULL);
                    profile_end(p, &se->prev_time, &se->prev_end);
                    baselines++;
                    continue;
                }
                se = &d->s[at];
                se->last_seen_ms = now_ms;
                delta_profile(b, &ch, se, p);
                s->profiles[kept++] = *p;
            }
            s->n_profiles = kept;
        }
    }
    pcol__agg_chash_free(&ch);
    pcol_processor_dropped(agg->inst, "delta_baseline", baselines);
}
