/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aggregation.h: what the files of the `aggregation` processor share.
 * aggregation.c owns the component (options, lifecycle, the window timer,
 * process()); identity.c the canonical identity bytes, content hashes and
 * the byte-keyed hash map; merge.c the window's accumulator (profile groups,
 * the per-profile sample index, merging samples); delta.c
 * cumulative_to_delta (series and their previous cumulative values). Only
 * these files include it.
 *
 * Ownership: the context is the instance's (the core allocates and frees
 * it; the option engine owns its strings). Everything else hangs off
 * `struct pcol__agg`, allocated at init and freed at destroy: the window
 * (the accumulator batch, its groups and indexes, until it is emitted), the
 * delta series (until they expire or are evicted) and the timer (its own
 * heap block, freed by its close callback).
 */
#ifndef PCOL_AGGREGATION_H
#define PCOL_AGGREGATION_H

#include "component.h"

/* ---- options (the context the option engine fills) ---------------------- */

struct pcol__agg;

struct pcol__agg_ctx {
    int64_t window; /* ns */
    struct pcol_str_list group_by;
    struct pcol_str_list drop_sample_attributes;
    bool keep_timestamps;
    uint64_t max_bytes;
    bool cumulative_to_delta;
    struct pcol_str_list cumulative_types;
    uint64_t max_series;
    int64_t series_ttl; /* ns */

    struct pcol__agg *agg; /* state, from init to destroy */
};

/* ---- identity.c: byte-keyed hash map ------------------------------------ */

/* Open addressing map from byte strings to uint32 values. Keys are
 * borrowed: the caller keeps them alive and unchanged while they are in
 * the map. No deletion: owners rebuild (pcol__agg_kmap_clear + puts). */
struct pcol__agg_kslot {
    const uint8_t *key; /* NULL: empty */
    uint64_t hash;
    uint32_t len;
    uint32_t val;
};

struct pcol__agg_kmap {
    struct pcol__agg_kslot *slots;
    uint32_t nslots; /* power of two, 0 until the first put */
    uint32_t n;
};

uint64_t pcol__agg_khash(const uint8_t *key, size_t len);
/* The value stored under `key`, or -1. */
int64_t pcol__agg_kmap_get(const struct pcol__agg_kmap *m, const uint8_t *key, uint32_t len,
                           uint64_t hash);
/* Stores `val` under `key` (borrowed; must not be present yet). */
void pcol__agg_kmap_put(struct pcol__agg_kmap *m, const uint8_t *key, uint32_t len, uint64_t hash,
                        uint32_t val);
/* Empties the map, keeping its slots. */
void pcol__agg_kmap_clear(struct pcol__agg_kmap *m);
void pcol__agg_kmap_free(struct pcol__agg_kmap *m);

/* ---- identity.c: what makes profiles "the same" -------------------------- */

/* The canonical bytes of an identity, independent of any batch's indexes:
 * strings by content, attribute sets sorted. `res` gets the resource part
 * (schema_url + attributes as a set), `scope` the scope part (name,
 * version, attributes as a set), `prof` the profile part (sample type,
 * period type, and for each `group_by` key whether the profile has it and
 * its value). Each buffer is emptied first. */
void pcol__agg_identity(struct pcol_batch *b, const struct pcol_resource *r,
                        const struct pcol_scope *s, const struct pcol_profile *p,
                        const struct pcol_str_list *group_by, struct pcol_buf *res,
                        struct pcol_buf *scope, struct pcol_buf *prof);

/* Composes the key of one level from the parts: tag 'R' (res), 'S' (res +
 * scope) or 'P' (all three), each part but the last length-prefixed. */
void pcol__agg_compose_key(struct pcol_buf *out, char tag, const struct pcol_buf *res,
                           const struct pcol_buf *scope, const struct pcol_buf *prof);

/* Content hashes of one batch's samples, for comparing samples of
 * different batches (delta series): a 64-bit hash of what a stack, an
 * attribute or a link says, memoised per table index. */
struct pcol__agg_chash {
    const struct pcol_batch *b;
    uint64_t *memo; /* functions, mappings, locations, stacks, attributes; 0 = not yet */
    uint64_t *fn, *map, *loc, *stack, *attr;
};

void pcol__agg_chash_init(struct pcol__agg_chash *c, const struct pcol_batch *b);
void pcol__agg_chash_free(struct pcol__agg_chash *c);
/* The identity of sample `s` by content (stack, attributes as a set,
 * link) as two independent 64-bit hashes. */
void pcol__agg_sample_key(struct pcol__agg_chash *c, const struct pcol_sample *s, uint64_t *k1,
                          uint64_t *k2);

/* A sample's values folded into one aggregated value: the sum of its
 * values, or (timestamps only) one per timestamp. Wraps on overflow. */
int64_t pcol__agg_fold(const struct pcol_sample *s);

static inline int64_t pcol__agg_add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* ---- merge.c: the window ------------------------------------------------- */

struct pcol__agg_group;

struct pcol__agg_window {
    struct pcol_batch *acc;       /* NULL while nothing is held */
    struct pcol__agg_kmap keys;   /* level keys -> resource / scope / group index */
    struct pcol_arena *key_arena; /* the keys' bytes */
    struct pcol__agg_group *groups;
    uint32_t n_groups, cap_groups;
    bool dirty;    /* acc's dictionary may hold entries nothing refers to */
    int64_t *pool; /* one-value arrays for aggregated samples, carved from acc */
    uint32_t pool_left;
    uint64_t inputs; /* profiles merged in this window */
    /* scratch */
    struct pcol_buf kres, kscope, kprof, key;
    int32_t *scratch;
    uint32_t cap_scratch;
};

/* Merges every profile of `b` (borrowed) into the window, creating the
 * accumulator on first use. */
void pcol__agg_window_add(struct pcol__agg *agg, struct pcol_batch *b);
/* Hands the accumulator over (NULL when nothing is held) and empties the
 * window. A copy compacted by pcol_batch_clone when merging left
 * unreferenced dictionary entries behind. */
struct pcol_batch *pcol__agg_window_take(struct pcol__agg *agg);
void pcol__agg_window_free(struct pcol__agg_window *w);

/* ---- delta.c: cumulative_to_delta ---------------------------------------- */

struct pcol__agg_delta;

struct pcol__agg_delta *pcol__agg_delta_create(void);
void pcol__agg_delta_free(struct pcol__agg_delta *d);
/* Turns the cumulative profiles of `b` (owned by the caller, changed in
 * place) into deltas, removing baselines. `now_ms` is the loop time. */
void pcol__agg_delta_apply(struct pcol__agg *agg, struct pcol_batch *b, uint64_t now_ms);
/* Series currently kept (for logs and tests). */
uint32_t pcol__agg_delta_series(const struct pcol__agg_delta *d);

/* ---- the processor's state ------------------------------------------------- */

struct pcol__agg_timer;

struct pcol__agg {
    struct pcol_instance *inst;
    const struct pcol__agg_ctx *cfg;
    struct pcol__agg_window win;
    struct pcol__agg_delta *delta;
    struct pcol__agg_timer *timer; /* NULL once closed */
    bool timer_armed;
    bool timer_closing;
    bool stopping;
    pcol_stop_cb stop_done;
    /* drop_sample_attributes: lengths of the keys */
    size_t *drop_len;
    /* cumulative_types: lengths of the names */
    size_t *cum_len;
};

#endif
