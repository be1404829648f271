/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probabilistic.c: the `sampling` processor's consistent probabilistic
 * decision. It is a pure function of the profile and the options, so every
 * profcol instance (sidecars, replicas, restarts) with the same hash_seed
 * decides alike, and tools in other languages can reproduce it:
 *
 *   key    = `attribute`'s value as text ("" when absent), or by default
 *            the text of service.name ("" when absent) followed by the 16
 *            profile_id bytes, or, when the id is all zero, the 8 bytes of
 *            time_unix_nano big-endian
 *   hash   = FNV-1a 64 (offset basis 0xcbf29ce484222325, prime
 *            0x100000001b3) over the 8 bytes of hash_seed big-endian, then
 *            the key
 *   keep  <=> hash % 10000 < round(sampling_percentage * 100)
 *
 * so the percentage has a resolution of 0.01%, 100 keeps all and 0 none.
 *
 * Ownership: borrows the batch; uses the context's text scratch buffer.
 */
#include "sampling.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define BUCKETS 10000u

static uint64_t fnv_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static void put_be64(uint8_t out[8], uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t pcol__sampling_fnv1a(uint64_t seed, const void *p, size_t n)
{
    uint8_t s[8];

    put_be64(s, seed);
    return fnv_bytes(fnv_bytes(FNV_OFFSET, s, sizeof(s)), p, n);
}

static bool id_is_zero(const uint8_t id[16])
{
    int i;

    for (i = 0; i < 16; i++) {
        if (id[i]) {
            return false;
        }
    }
    return true;
}

bool pcol__sampling_probabilistic_keep(struct sampling *sp, const struct pcol_batch *b,
                                       const struct pcol_resource *r, const struct pcol_scope *s,
                                       const struct pcol_profile *p)
{
    const struct sampling_probabilistic *pr = &sp->probabilistic;
    uint64_t threshold = (uint64_t)(pr->percentage * 100.0 + 0.5);
    const struct pcol_value *v;
    uint8_t t[8];

    if (threshold >= BUCKETS) {
        return true;
    }
    if (threshold == 0) {
        return false;
    }
    sp->text.len = 0;
    v = pcol_attr_lookup_cstr(b, r, s, p, pr->attribute ? pr->attribute : "service.name");
    if (v) {
        pcol_value_text(b, v, &sp->text);
    }
    if (!pr->attribute) {
        if (!id_is_zero(p->profile_id)) {
            pcol_buf_append(&sp->text, p->profile_id, sizeof(p->profile_id));
        } else {
            put_be64(t, p->time_unix_nano);
            pcol_buf_append(&sp->text, t, sizeof(t));
        }
    }
    return pcol__sampling_fnv1a(pr->hash_seed, sp->text.p, sp->text.len) % BUCKETS < threshold;
}
