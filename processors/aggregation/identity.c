/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity.c: what makes two profiles or two samples "the same" for the
 * `aggregation` processor, independently of the batch they came in.
 *
 *  - Profile identity (window groups and delta series): canonical bytes
 *    built from string contents (never indexes), with attribute sets sorted
 *    so their order does not matter (pcol__agg_identity).
 *  - Sample identity across batches (delta series): 64-bit content hashes
 *    of stacks (locations, mappings, functions, lines by content),
 *    attributes (key, value, unit) and links, memoised per table index of
 *    one batch (pcol__agg_chash). Attribute sets combine commutatively.
 *  - The byte-keyed hash map both use (pcol__agg_kmap).
 *
 * Ownership: everything here borrows the batches it reads; the map borrows
 * its keys; chash owns its memo array until pcol__agg_chash_free().
 */
#include "aggregation.h"

#include <stdlib.h>
#include <string.h>

/* ---- byte-keyed hash map ------------------------------------------------- */

uint64_t pcol__agg_khash(const uint8_t *key, size_t len)
{
    return pcol_hash_bytes(key, len, 0x6167677265676174ull);
}

static bool kslot_eq(const struct pcol__agg_kslot *s, const uint8_t *key, uint32_t len,
                     uint64_t hash)
{
    return s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0;
}

int64_t pcol__agg_kmap_get(const struct pcol__agg_kmap *m, const uint8_t *key, uint32_t len,
                           uint64_t hash)
{
    uint32_t mask, i;

    if (!m->nslots) {
        return -1;
    }
    mask = m->nslots - 1;
    for (i = (uint32_t)hash & mask; m->slots[i].key; i = (i + 1) & mask) {
        if (kslot_eq(&m->slots[i], key, len, hash)) {
            return m->slots[i].val;
        }
    }
    return -1;
}

static void kmap_insert(struct pcol__agg_kslot *slots, uint32_t nslots,
                        const struct pcol__agg_kslot *e)
{
    uint32_t mask = nslots - 1, i;

    for (i = (uint32_t)e->hash & mask; slots[i].key; i = (i + 1) & mask) {
    }
    slots[i] = *e;
}

void pcol__agg_kmap_put(struct pcol__agg_kmap *m, const uint8_t *key, uint32_t len, uint64_t hash,
                        uint32_t val)
{
    struct pcol__agg_kslot e = {key, hash, len, val};

    if ((m->n + 1) * 2 > m->nslots) {
        uint32_t n = m->nslots ? m->nslots * 2 : 16, i;
        struct pcol__agg_kslot *slots = pcol_xcalloc(n, sizeof(*slots));
        for (i = 0; i < m->nslots; i++) {
            if (m->slots[i].key) {
                kmap_insert(slots, n, &m->slots[i]);
            }
        }
        free(m->slots);
        m->slots = slots;
        m->nslots = n;
    }
    kmap_insert(m->slots, m->nslots, &e);
    m->n++;
}

void pcol__agg_kmap_clear(struct pcol__agg_kmap *m)
{
    if (m->nslots) {
        memset(m->slots, 0, (size_t)m->nslots * sizeof(*m->slots));
    }
    m->n = 0;
}

void pcol__agg_kmap_free(struct pcol__agg_kmap *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* ---- canonical identity bytes ---------------------------------------------- */

static void put_u32(struct pcol_buf *out, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    pcol_buf_append(out, b, 4);
}

static void put_u64(struct pcol_buf *out, uint64_t v)
{
    put_u32(out, (uint32_t)v);
    put_u32(out, (uint32_t)(v >> 32));
}

static void put_str(struct pcol_buf *out, const struct pcol_batch *b, int32_t i)
{
    const struct pcol_str *s = pcol_str_at(b, i);

    put_u32(out, s->len);
    pcol_buf_append(out, s->p, s->len);
}

static void put_value(struct pcol_buf *out, const struct pcol_batch *b, const struct pcol_value *v)
{
    uint64_t bits;
    uint32_t i;

    pcol_buf_putc(out, (char)v->kind);
    switch (v->kind) {
    case PCOL_VAL_STR: put_str(out, b, v->u.str); break;
    case PCOL_VAL_BOOL: pcol_buf_putc(out, v->u.b ? 1 : 0); break;
    case PCOL_VAL_INT: put_u64(out, (uint64_t)v->u.i); break;
    case PCOL_VAL_DOUBLE:
        memcpy(&bits, &v->u.d, sizeof(bits));
        put_u64(out, bits);
        break;
    case PCOL_VAL_BYTES:
        put_u32(out, v->n);
        pcol_buf_append(out, v->u.bytes, v->n);
        break;
    case PCOL_VAL_ARRAY:
        put_u32(out, v->n);
        for (i = 0; i < v->n; i++) {
            put_value(out, b, &v->u.array[i]);
        }
        break;
    case PCOL_VAL_KVLIST:
        put_u32(out, v->n);
        for (i = 0; i < v->n; i++) {
            put_str(out, b, v->u.kvlist[i].key);
            put_value(out, b, &v->u.kvlist[i].value);
        }
        break;
    default: break;
    }
}

struct piece {
    size_t off, len;
};

static int piece_cmp(const struct pcol_buf *tmp, const struct piece *a, const struct piece *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(tmp->p + a->off, tmp->p + b->off, n);

    if (c) {
        return c;
    }
    return a->len < b->len ? -1 : a->len > b->len;
}

/* Key/value pairs as a set: each pair rendered, the renderings sorted. */
static void put_kv_set(struct pcol_buf *out, const struct pcol_batch *b, const struct pcol_kv *kv,
                       uint32_t n)
{
    struct pcol_buf tmp = {0};
    struct piece *pc;
    uint32_t i, j;

    put_u32(out, n);
    if (n == 0) {
        return;
    }
    pc = pcol_xmalloc(n * sizeof(*pc));
    for (i = 0; i < n; i++) {
        pc[i].off = tmp.len;
        put_str(&tmp, b, kv[i].key);
        put_value(&tmp, b, &kv[i].value);
        pc[i].len = tmp.len - pc[i].off;
    }
    /* Insertion sort: attribute sets are small. */
    for (i = 1; i < n; i++) {
        struct piece x = pc[i];
        for (j = i; j > 0 && piece_cmp(&tmp, &pc[j - 1], &x) > 0; j--) {
            pc[j] = pc[j - 1];
        }
        pc[j] = x;
    }
    for (i = 0; i < n; i++) {
        put_u32(out, (uint32_t)pc[i].len);
        pcol_buf_append(out, tmp.p + pc[i].off, pc[i].len);
    }
    free(pc);
    pcol_buf_free(&tmp);
}

void pcol__agg_identity(struct pcol_batch *b, const struct pcol_resource *r,
                        const struct pcol_scope *s, const struct pcol_profile *p,
                        const struct pcol_str_list *group_by, struct pcol_buf *res,
                        struct pcol_buf *scope, struct pcol_buf *prof)
{
    size_t i;

    res->len = scope->len = prof->len = 0;
    put_str(res, b, r->schema_url);
    put_kv_set(res, b, r->attrs, r->n_attrs);

    put_str(scope, b, s->name);
    put_str(scope, b, s->version);
    put_kv_set(scope, b, s->attrs, s->n_attrs);

    put_str(prof, b, p->sample_type.type);
    put_str(prof, b, p->sample_type.unit);
    put_str(prof, b, p->period_type.type);
    put_str(prof, b, p->period_type.unit);
    for (i = 0; i < group_by->n; i++) {
        const struct pcol_value *v = pcol_attr_lookup_cstr(b, r, s, p, group_by->v[i]);
        if (v) {
            pcol_buf_putc(prof, 1);
            put_value(prof, b, v);
        } else {
            pcol_buf_putc(prof, 0);
        }
    }
}

void pcol__agg_compose_key(struct pcol_buf *out, char tag, const struct pcol_buf *res,
                           const struct pcol_buf *scope, const struct pcol_buf *prof)
{
    out->len = 0;
    pcol_buf_putc(out, tag);
    if (tag == 'R') {
        pcol_buf_append(out, res->p, res->len);
        return;
    }
    put_u32(out, (uint32_t)res->len);
    pcol_buf_append(out, res->p, res->len);
    if (tag == 'S') {
        pcol_buf_append(out, scope->p, scope->len);
        return;
    }
    put_u32(out, (uint32_t)scope->len);
    pcol_buf_append(out, scope->p, scope->len);
    pcol_buf_append(out, prof->p, prof->len);
}

/* ---- content hashes ------------------------------------------------------------ */

static inline uint64_t nonzero(uint64_t h)
{
    return h ? h : 1;
}

static uint64_t hash_str(const struct pcol_batch *b, int32_t i)
{
    const struct pcol_str *s = pcol_str_at(b, i);

    return pcol_hash_bytes(s->p, s->len, 0x73747269ull);
}

static uint64_t hash_value(const struct pcol_batch *b, const struct pcol_value *v, uint64_t h)
{
    uint64_t bits;
    uint32_t i;

    h = pcol_hash_mix(h, v->kind);
    switch (v->kind) {
    case PCOL_VAL_STR: return pcol_hash_mix(h, hash_str(b, v->u.str));
    case PCOL_VAL_BOOL: return pcol_hash_mix(h, v->u.b);
    case PCOL_VAL_INT: return pcol_hash_mix(h, (uint64_t)v->u.i);
    case PCOL_VAL_DOUBLE: memcpy(&bits, &v->u.d, sizeof(bits)); return pcol_hash_mix(h, bits);
    case PCOL_VAL_BYTES: return pcol_hash_bytes(v->u.bytes, v->n, h);
    case PCOL_VAL_ARRAY:
        for (i = 0; i < v->n; i++) {
            h = hash_value(b, &v->u.array[i], h);
        }
        return pcol_hash_mix(h, v->n);
    case PCOL_VAL_KVLIST:
        for (i = 0; i < v->n; i++) {
            h = pcol_hash_mix(h, hash_str(b, v->u.kvlist[i].key));
            h = hash_value(b, &v->u.kvlist[i].value, h);
        }
        return pcol_hash_mix(h, v->n);
    default: return h;
    }
}

void pcol__agg_chash_init(struct pcol__agg_chash *c, const struct pcol_batch *b)
{
    const struct pcol_dict *d = &b->dict;
    size_t n = (size_t)d->functions.n + d->mappings.n + d->locations.n + d->stacks.n + d->attrs.n;

    c->b = b;
    c->memo = pcol_xcalloc(n ? n : 1, sizeof(uint64_t));
    c->fn = c->memo;
    c->map = c->fn + d->functions.n;
    c->loc = c->map + d->mappings.n;
    c->stack = c->loc + d->locations.n;
    c->attr = c->stack + d->stacks.n;
}

void pcol__agg_chash_free(struct pcol__agg_chash *c)
{
    free(c->memo);
    c->memo = NULL;
}

static uint64_t hash_attr(struct pcol__agg_chash *c, int32_t i)
{
    if (!c->attr[i]) {
        const struct pcol_attr *a = pcol_attr_at(c->b, i);
        uint64_t h = pcol_hash_mix(hash_str(c->b, a->key), hash_str(c->b, a->unit));
        c->attr[i] = nonzero(hash_value(c->b, &a->value, h));
    }
    return c->attr[i];
}

/* An ordered attribute list (mappings, locations). */
static uint64_t hash_attr_list(struct pcol__agg_chash *c, struct pcol_ilist l, uint64_t h)
{
    uint32_t i;

    for (i = 0; i < l.n; i++) {
        h = pcol_hash_mix(h, hash_attr(c, l.v[i]));
    }
    return pcol_hash_mix(h, l.n);
}

static uint64_t hash_function(struct pcol__agg_chash *c, int32_t i)
{
    if (!c->fn[i]) {
        const struct pcol_function *f = pcol_function_at(c->b, i);
        uint64_t h = pcol_hash_mix(hash_str(c->b, f->name), hash_str(c->b, f->system_name));
        h = pcol_hash_mix(h, hash_str(c->b, f->filename));
        c->fn[i] = nonzero(pcol_hash_mix(h, (uint64_t)f->start_line));
    }
    return c->fn[i];
}

static uint64_t hash_mapping(struct pcol__agg_chash *c, int32_t i)
{
    if (!c->map[i]) {
        const struct pcol_mapping *m = pcol_mapping_at(c->b, i);
        uint64_t h = pcol_hash_mix(m->memory_start, m->memory_limit);
        h = pcol_hash_mix(h, m->file_offset);
        h = pcol_hash_mix(h, hash_str(c->b, m->filename));
        c->map[i] = nonzero(hash_attr_list(c, m->attrs, h));
    }
    return c->map[i];
}

static uint64_t hash_location(struct pcol__agg_chash *c, int32_t i)
{
    if (!c->loc[i]) {
        const struct pcol_location *l = pcol_location_at(c->b, i);
        uint64_t h = pcol_hash_mix(hash_mapping(c, l->mapping), l->address);
        uint32_t j;
        for (j = 0; j < l->n_lines; j++) {
            h = pcol_hash_mix(h, hash_function(c, l->lines[j].function));
            h = pcol_hash_mix(h, (uint64_t)l->lines[j].line);
            h = pcol_hash_mix(h, (uint64_t)l->lines[j].column);
        }
        h = pcol_hash_mix(h, l->n_lines);
        c->loc[i] = nonzero(hash_attr_list(c, l->attrs, h));
    }
    return c->loc[i];
}

static uint64_t hash_stack(struct pcol__agg_chash *c, int32_t i)
{
    if (!c->stack[i]) {
        const struct pcol_stack *st = pcol_stack_at(c->b, i);
        uint64_t h = 0x737461636bull;
        uint32_t j;
        for (j = 0; j < st->locations.n; j++) {
            h = pcol_hash_mix(h, hash_location(c, st->locations.v[j]));
        }
        c->stack[i] = nonzero(pcol_hash_mix(h, st->locations.n));
    }
    return c->stack[i];
}

void pcol__agg_sample_key(struct pcol__agg_chash *c, const struct pcol_sample *s, uint64_t *k1,
                          uint64_t *k2)
{
    uint64_t hs = hash_stack(c, s->stack);
    uint64_t hl = pcol_hash_bytes(pcol_link_at(c->b, s->link), sizeof(struct pcol_link), 0x6c6eull);
    uint64_t ha = 0, hb = 0;
    uint32_t i;

    /* A set: sums of per-attribute hashes do not depend on the order. */
    for (i = 0; i < s->attrs.n; i++) {
        uint64_t a = hash_attr(c, s->attrs.v[i]);
        ha += pcol_hash_mix(a, 0x61);
        hb += pcol_hash_mix(a, 0x62);
    }
    *k1 = pcol_hash_mix(pcol_hash_mix(pcol_hash_mix(pcol_hash_mix(0x31, hs), hl), ha), s->attrs.n);
    *k2 = pcol_hash_mix(pcol_hash_mix(pcol_hash_mix(pcol_hash_mix(0x32, hb), hs), hl), s->attrs.n);
}

int64_t pcol__agg_fold(const struct pcol_sample *s)
{
    int64_t v = 0;
    uint32_t i;

    if (!s->n_values) {
        return (int64_t)s->n_timestamps;
    }
    for (i = 0; i < s->n_values; i++) {
        v = pcol__agg_add(v, s->values[i]);
    }
    return v;
}
