/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rate_limit.c: the `sampling` processor's rate limiter: one token bucket
 * per value of the `key` attribute (profiles without it share the key "").
 *
 * A bucket holds up to `burst` tokens and starts full; it refills
 * continuously at `profiles` per `interval`, by the loop's clock (uv_now, in
 * milliseconds); a profile is kept when its bucket has a whole token, which
 * it takes. Token counts are integers in units of 1/interval_ms of a token
 * (a millisecond adds `profiles` units), so refills are exact: after one
 * whole interval a drained bucket holds exactly `profiles` tokens.
 *
 * The buckets sit in a hash table of chains plus a doubly-linked list in
 * order of use. At most `max_keys` live at once: a new key beyond that
 * evicts the least recently used bucket. That choice is safe because an
 * idle bucket refills: the one untouched longest is the one most likely to
 * be full again anyway, so dropping it and recreating it full when its key
 * returns changes nothing for keys idle longer than their refill time.
 * Only a key that returns sooner gets up to `burst` profiles more than the
 * limit; raising max_keys above the number of live keys avoids that, and
 * the bound keeps a flood of distinct values (an attribute with an id in
 * it) from growing memory without limit.
 *
 * Ownership: the context owns the table and every bucket (heap, freed by
 * pcol__sampling_rate_free).
 */
#include "sampling.h"

#include <stdlib.h>
#include <string.h>

struct sampling_bucket {
    struct sampling_bucket *chain;         /* next in the same hash slot */
    struct sampling_bucket *newer, *older; /* the use-order list */
    uint64_t hash;
    uint64_t units; /* tokens * interval_ms */
    uint64_t last_ms;
    size_t len;
    char key[]; /* len bytes, not NUL-terminated */
};

static uint64_t interval_ms(const struct sampling_rate_limit *rl)
{
    uint64_t ms = ((uint64_t)rl->interval + 500000u) / 1000000u;

    return ms ? ms : 1;
}

static uint64_t burst(const struct sampling_rate_limit *rl)
{
    return rl->burst ? rl->burst : rl->profiles;
}

/* ---- the use-order list ----------------------------------------------------------- */

static void list_unlink(struct sampling_buckets *t, struct sampling_bucket *k)
{
    if (k->newer) {
        k->newer->older = k->older;
    } else {
        t->mru = k->older;
    }
    if (k->older) {
        k->older->newer = k->newer;
    } else {
        t->lru = k->newer;
    }
    k->newer = k->older = NULL;
}

static void list_push(struct sampling_buckets *t, struct sampling_bucket *k)
{
    k->newer = NULL;
    k->older = t->mru;
    if (t->mru) {
        t->mru->newer = k;
    } else {
        t->lru = k;
    }
    t->mru = k;
}

/* ---- the hash table ---------------------------------------------------------------- */

static struct sampling_bucket **slot_of(struct sampling_buckets *t, uint64_t hash)
{
    return &t->slots[hash & (t->nslots - 1)];
}

static void table_grow(struct sampling_buckets *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 64, i;
    struct sampling_bucket **old = t->slots;
    size_t old_n = t->nslots;

    t->slots = pcol_xcalloc(n, sizeof(*t->slots));
    t->nslots = n;
    for (i = 0; i < old_n; i++) {
        struct sampling_bucket *k = old[i], *next;
        for (; k; k = next) {
            struct sampling_bucket **s = slot_of(t, k->hash);
            next = k->chain;
            k->chain = *s;
            *s = k;
        }
    }
    free(old);
}

static struct sampling_bucket *table_find(struct sampling_buckets *t, uint64_t hash,
                                          const char *key, size_t len)
{
    struct sampling_bucket *k;

    if (!t->nslots) {
        return NULL;
    }
    for (k = *slot_of(t, hash); k; k = k->chain) {
        if (k->hash == hash && k->len == len && memcmp(k->key, key, len) == 0) {
            return k;
        }
    }
    return NULL;
}

static void table_remove(struct sampling_buckets *t, struct sampling_bucket *k)
{
    struct sampling_bucket **s = slot_of(t, k->hash);

    while (*s != k) {
        s = &(*s)->chain;
    }
    *s = k->chain;
    list_unlink(t, k);
    t->n--;
    free(k);
}

static struct sampling_bucket *table_add(struct sampling_buckets *t, uint64_t hash, const char *key,
                                         size_t len)
{
    struct sampling_bucket *k = pcol_xcalloc(1, sizeof(*k) + len + 1);
    struct sampling_bucket **s;

    if (t->n >= t->nslots) {
        table_grow(t);
    }
    k->hash = hash;
    k->len = len;
    memcpy(k->key, key, len);
    s = slot_of(t, hash);
    k->chain = *s;
    *s = k;
    list_push(t, k);
    t->n++;
    return k;
}

/* ---- buckets ------------------------------------------------------------------------ */

static bool take(struct sampling_rate_limit *rl, const char *key, size_t len, uint64_t now_ms)
{
    struct sampling_buckets *t = &rl->buckets;
    uint64_t hash = pcol_hash_bytes(key, len, 0);
    uint64_t per = interval_ms(rl), cap = burst(rl) * per;
    struct sampling_bucket *k = table_find(t, hash, key, len);

    if (k) {
        list_unlink(t, k);
        list_push(t, k);
        if (now_ms > k->last_ms) {
            uint64_t elapsed = now_ms - k->last_ms;
            /* Compare before multiplying: a long idle time cannot overflow. */
            if (elapsed >= (cap - k->units) / rl->profiles + 1) {
                k->units = cap;
            } else {
                k->units += elapsed * rl->profiles;
                k->units = k->units < cap ? k->units : cap;
            }
            k->last_ms = now_ms;
        }
    } else {
        if (t->n >= rl->max_keys && t->lru) {
            table_remove(t, t->lru);
        }
        k = table_add(t, hash, key, len);
        k->units = cap;
        k->last_ms = now_ms;
    }
    if (k->units < per) {
        return false;
    }
    k->units -= per;
    return true;
}

bool pcol__sampling_rate_keep(struct sampling *sp, const struct pcol_batch *b,
                              const struct pcol_resource *r, const struct pcol_scope *s,
                              const struct pcol_profile *p, uint64_t now_ms)
{
    const struct pcol_value *v = pcol_attr_lookup_cstr(b, r, s, p, sp->rate_limit.key);

    sp->text.len = 0;
    if (v) {
        pcol_value_text(b, v, &sp->text);
    }
    return take(&sp->rate_limit, sp->text.len ? (const char *)sp->text.p : "", sp->text.len,
                now_ms);
}

void pcol__sampling_rate_free(struct sampling_rate_limit *rl)
{
    struct sampling_buckets *t = &rl->buckets;

    while (t->lru) {
        table_remove(t, t->lru);
    }
    free(t->slots);
    memset(t, 0, sizeof(*t));
}
