/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile.c: the batch, its dictionary tables and their hash indexes. Merge,
 * clone and dictionary maps are in profile_map.c. See profile.h for the
 * model and the ownership rules.
 */
#include "profile.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum table_kind {
    T_STR,
    T_MAPPING,
    T_LOCATION,
    T_FUNCTION,
    T_LINK,
    T_ATTR,
    T_STACK,
};

/* One table kind per line (clang-format would pack them). */
/* clang-format off */
static const uint32_t entry_size[] = {
    [T_STR] = sizeof(struct pcol_str),
    [T_MAPPING] = sizeof(struct pcol_mapping),
    [T_LOCATION] = sizeof(struct pcol_location),
    [T_FUNCTION] = sizeof(struct pcol_function),
    [T_LINK] = sizeof(struct pcol_link),
    [T_ATTR] = sizeof(struct pcol_attr),
    [T_STACK] = sizeof(struct pcol_stack),
};
/* clang-format on */

/* ---- hashing ------------------------------------------------------------- */

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t pcol_hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ull);
    uint64_t tail = 0;

    while (n >= 8) {
        h = (h ^ load64(p)) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n) {
        memcpy(&tail, p, n);
        h = (h ^ tail) * 0x94d049bb133111ebull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

static uint64_t ilist_hash(struct pcol_ilist l, uint64_t h)
{
    return pcol_hash_bytes(l.v, (size_t)l.n * sizeof(int32_t), h);
}

static bool ilist_eq(struct pcol_ilist a, struct pcol_ilist b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.v, b.v, a.n * sizeof(int32_t)) == 0);
}

uint64_t pcol_value_hash(const struct pcol_value *v, uint64_t h)
{
    uint32_t i;

    h = pcol_hash_mix(h, v->kind);
    switch (v->kind) {
    case PCOL_VAL_STR: return pcol_hash_mix(h, (uint64_t)v->u.str);
    case PCOL_VAL_BOOL: return pcol_hash_mix(h, v->u.b);
    case PCOL_VAL_INT: return pcol_hash_mix(h, (uint64_t)v->u.i);
    case PCOL_VAL_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, sizeof(bits));
        return pcol_hash_mix(h, bits);
    }
    case PCOL_VAL_BYTES: return pcol_hash_bytes(v->u.bytes, v->n, h);
    case PCOL_VAL_ARRAY:
        for (i = 0; i < v->n; i++) {
            h = pcol_value_hash(&v->u.array[i], h);
        }
        return pcol_hash_mix(h, v->n);
    case PCOL_VAL_KVLIST:
        for (i = 0; i < v->n; i++) {
            h = pcol_hash_mix(h, (uint64_t)v->u.kvlist[i].key);
            h = pcol_value_hash(&v->u.kvlist[i].value, h);
        }
        return pcol_hash_mix(h, v->n);
    default: return h;
    }
}

bool pcol_value_eq(const struct pcol_value *a, const struct pcol_value *b)
{
    uint32_t i;

    if (a->kind != b->kind) {
        return false;
    }
    switch (a->kind) {
    case PCOL_VAL_EMPTY: return true;
    case PCOL_VAL_STR: return a->u.str == b->u.str;
    case PCOL_VAL_BOOL: return a->u.b == b->u.b;
    case PCOL_VAL_INT: return a->u.i == b->u.i;
    case PCOL_VAL_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case PCOL_VAL_BYTES:
        return a->n == b->n && (a->n == 0 || memcmp(a->u.bytes, b->u.bytes, a->n) == 0);
    case PCOL_VAL_ARRAY:
        if (a->n != b->n) {
            return false;
        }
        for (i = 0; i < a->n; i++) {
            if (!pcol_value_eq(&a->u.array[i], &b->u.array[i])) {
                return false;
            }
        }
        return true;
    case PCOL_VAL_KVLIST:
        if (a->n != b->n) {
            return false;
        }
        for (i = 0; i < a->n; i++) {
            if (a->u.kvlist[i].key != b->u.kvlist[i].key ||
                !pcol_value_eq(&a->u.kvlist[i].value, &b->u.kvlist[i].value)) {
                return false;
            }
        }
        return true;
    default: return false;
    }
}

static uint64_t entry_hash(uint32_t kind, const void *e)
{
    switch (kind) {
    case T_STR: {
        const struct pcol_str *s = e;
        return pcol_hash_bytes(s->p, s->len, 0);
    }
    case T_MAPPING: {
        const struct pcol_mapping *m = e;
        uint64_t h = pcol_hash_mix(m->memory_start, m->memory_limit);
        h = pcol_hash_mix(h, m->file_offset);
        h = pcol_hash_mix(h, (uint64_t)m->filename);
        return ilist_hash(m->attrs, h);
    }
    case T_LOCATION: {
        const struct pcol_location *l = e;
        uint64_t h = pcol_hash_mix((uint64_t)l->mapping, l->address);
        uint32_t i;
        /* Field by field: struct pcol_line has padding. */
        for (i = 0; i < l->n_lines; i++) {
            h = pcol_hash_mix(h, (uint64_t)l->lines[i].function);
            h = pcol_hash_mix(h, (uint64_t)l->lines[i].line);
            h = pcol_hash_mix(h, (uint64_t)l->lines[i].column);
        }
        return ilist_hash(l->attrs, pcol_hash_mix(h, l->n_lines));
    }
    case T_FUNCTION: {
        const struct pcol_function *f = e;
        uint64_t h = pcol_hash_mix((uint64_t)f->name, (uint64_t)f->system_name);
        h = pcol_hash_mix(h, (uint64_t)f->filename);
        return pcol_hash_mix(h, (uint64_t)f->start_line);
    }
    case T_LINK: return pcol_hash_bytes(e, sizeof(struct pcol_link), 0);
    case T_ATTR: {
        const struct pcol_attr *a = e;
        uint64_t h = pcol_hash_mix((uint64_t)a->key, (uint64_t)a->unit);
        return pcol_value_hash(&a->value, h);
    }
    case T_STACK: return ilist_hash(((const struct pcol_stack *)e)->locations, 7);
    default: abort();
    }
}

static bool entry_eq(uint32_t kind, const void *x, const void *y)
{
    switch (kind) {
    case T_STR: {
        const struct pcol_str *a = x, *b = y;
        return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
    }
    case T_MAPPING: {
        const struct pcol_mapping *a = x, *b = y;
        return a->memory_start == b->memory_start && a->memory_limit == b->memory_limit &&
               a->file_offset == b->file_offset && a->filename == b->filename &&
               ilist_eq(a->attrs, b->attrs);
    }
    case T_LOCATION: {
        const struct pcol_location *a = x, *b = y;
        uint32_t i;
        if (a->mapping != b->mapping || a->address != b->address || a->n_lines != b->n_lines ||
            !ilist_eq(a->attrs, b->attrs)) {
            return false;
        }
        for (i = 0; i < a->n_lines; i++) {
            if (a->lines[i].function != b->lines[i].function ||
                a->lines[i].line != b->lines[i].line || a->lines[i].column != b->lines[i].column) {
                return false;
            }
        }
        return true;
    }
    case T_FUNCTION: {
        const struct pcol_function *a = x, *b = y;
        return a->name == b->name && a->system_name == b->system_name &&
               a->filename == b->filename && a->start_line == b->start_line;
    }
    case T_LINK: return memcmp(x, y, sizeof(struct pcol_link)) == 0;
    case T_ATTR: {
        const struct pcol_attr *a = x, *b = y;
        return a->key == b->key && a->unit == b->unit && pcol_value_eq(&a->value, &b->value);
    }
    case T_STACK:
        return ilist_eq(((const struct pcol_stack *)x)->locations,
                        ((const struct pcol_stack *)y)->locations);
    default: abort();
    }
}

/* ---- tables -------------------------------------------------------------- */

static inline void *entry_ptr(const struct pcol_table *t, uint32_t i)
{
    return (char *)t->items + (size_t)i * entry_size[t->kind];
}

void pcol_dict_reserve(struct pcol_batch *b, struct pcol_table *t, uint32_t more)
{
    size_t es = entry_size[t->kind];
    uint32_t want = t->n + more;

    if (want <= t->cap) {
        return;
    }
    if (want < t->cap * 2) {
        want = t->cap * 2;
    }
    if (want < 8) {
        want = 8;
    }
    t->items = pcol_arena_grow(b->arena, t->items, (size_t)t->n * es, (size_t)want * es);
    t->cap = want;
}

static void index_insert(struct pcol_table *t, uint32_t hash, uint32_t idx)
{
    uint32_t mask = t->nslots - 1;
    uint32_t i = hash & mask;

    while (t->slots[i]) {
        i = (i + 1) & mask;
    }
    t->slots[i] = ((uint64_t)hash << 32) | (idx + 1u);
}

static void index_rebuild(struct pcol_batch *b, struct pcol_table *t, uint32_t nslots)
{
    uint64_t *old = t->slots;
    uint32_t oldn = t->nslots, i;

    t->slots = pcol_arena_calloc(b->arena, (size_t)nslots * sizeof(uint64_t));
    t->nslots = nslots;
    if (old) {
        for (i = 0; i < oldn; i++) {
            if (old[i]) {
                index_insert(t, (uint32_t)(old[i] >> 32), (uint32_t)old[i] - 1u);
            }
        }
    } else {
        for (i = 0; i < t->n; i++) {
            index_insert(t, (uint32_t)entry_hash(t->kind, entry_ptr(t, i)), i);
        }
    }
}

/* Keeps the index at most half full; builds it on first use. */
static void index_ensure(struct pcol_batch *b, struct pcol_table *t, uint32_t extra)
{
    uint32_t need = (t->n + extra) * 2, n = t->nslots ? t->nslots : 64;

    if (t->nslots && t->nslots >= need) {
        return;
    }
    while (n < need) {
        n *= 2;
    }
    if (!t->nslots) {
        t->slots = NULL;
    }
    index_rebuild(b, t, n);
}

static int32_t index_find(const struct pcol_table *t, uint32_t hash, const void *e)
{
    uint32_t mask = t->nslots - 1;
    uint32_t i = hash & mask;
    uint64_t s;

    while ((s = t->slots[i]) != 0) {
        if ((uint32_t)(s >> 32) == hash && entry_eq(t->kind, entry_ptr(t, (uint32_t)s - 1u), e)) {
            return (int32_t)((uint32_t)s - 1u);
        }
        i = (i + 1) & mask;
    }
    return -1;
}

static int32_t table_push(struct pcol_batch *b, struct pcol_table *t, const void *e)
{
    uint32_t idx;

    if (t->n == t->cap) {
        pcol_dict_reserve(b, t, 1);
    }
    idx = t->n++;
    memcpy(entry_ptr(t, idx), e, entry_size[t->kind]);
    return (int32_t)idx;
}

int32_t pcol_dict_append(struct pcol_batch *b, struct pcol_table *t, const void *e)
{
    int32_t idx;

    if (t->nslots) {
        index_ensure(b, t, 1);
        idx = table_push(b, t, e);
        index_insert(t, (uint32_t)entry_hash(t->kind, e), (uint32_t)idx);
        return idx;
    }
    return table_push(b, t, e);
}

static int32_t intern_hashed(struct pcol_batch *b, struct pcol_table *t, const void *e,
                             uint32_t hash, bool *added)
{
    int32_t idx;

    index_ensure(b, t, 1);
    idx = index_find(t, hash, e);
    if (idx >= 0) {
        *added = false;
        return idx;
    }
    idx = table_push(b, t, e);
    index_insert(t, hash, (uint32_t)idx);
    *added = true;
    return idx;
}

int32_t pcol_dict_intern(struct pcol_batch *b, struct pcol_table *t, const void *e)
{
    bool added;

    return intern_hashed(b, t, e, (uint32_t)entry_hash(t->kind, e), &added);
}

int32_t pcol_dict_str_ref(struct pcol_batch *b, const char *s, size_t len)
{
    struct pcol_str e = {s, (uint32_t)len};

    return pcol_dict_intern(b, &b->dict.strings, &e);
}

int32_t pcol_dict_str(struct pcol_batch *b, const char *s, size_t len)
{
    struct pcol_str e = {s, (uint32_t)len};
    struct pcol_str *slot;
    bool added;
    int32_t idx = intern_hashed(b, &b->dict.strings, &e, (uint32_t)entry_hash(T_STR, &e), &added);

    if (added) {
        /* The table took the caller's pointer; give it its own copy. */
        slot = entry_ptr(&b->dict.strings, (uint32_t)idx);
        slot->p = pcol_arena_strndup(b->arena, s, len);
    }
    return idx;
}

int32_t pcol_dict_str_append(struct pcol_batch *b, const char *s, size_t len)
{
    struct pcol_str e = {s, (uint32_t)len};

    return pcol_dict_append(b, &b->dict.strings, &e);
}

int32_t pcol_dict_find_str(struct pcol_batch *b, const char *s, size_t len)
{
    struct pcol_str e = {s, (uint32_t)len};

    index_ensure(b, &b->dict.strings, 0);
    return index_find(&b->dict.strings, (uint32_t)entry_hash(T_STR, &e), &e);
}

struct pcol_ilist pcol_ilist_dup(struct pcol_batch *b, const int32_t *v, uint32_t n)
{
    struct pcol_ilist l = {NULL, n};

    if (n) {
        l.v = pcol_arena_memdup(b->arena, v, n * sizeof(int32_t));
    }
    return l;
}

int32_t pcol_dict_stack(struct pcol_batch *b, const int32_t *locs, uint32_t n)
{
    struct pcol_stack st = {{(int32_t *)locs, n}};
    struct pcol_stack *slot;
    bool added;
    int32_t idx =
        intern_hashed(b, &b->dict.stacks, &st, (uint32_t)entry_hash(T_STACK, &st), &added);

    if (added) {
        slot = entry_ptr(&b->dict.stacks, (uint32_t)idx);
        slot->locations = pcol_ilist_dup(b, locs, n);
    }
    return idx;
}

int32_t pcol_dict_location(struct pcol_batch *b, const struct pcol_location *l)
{
    struct pcol_location *slot;
    bool added;
    int32_t idx =
        intern_hashed(b, &b->dict.locations, l, (uint32_t)entry_hash(T_LOCATION, l), &added);

    if (added) {
        slot = entry_ptr(&b->dict.locations, (uint32_t)idx);
        slot->lines = l->n_lines
                          ? pcol_arena_memdup(b->arena, l->lines, l->n_lines * sizeof(*l->lines))
                          : NULL;
        slot->attrs = pcol_ilist_dup(b, l->attrs.v, l->attrs.n);
    }
    return idx;
}

int32_t pcol_dict_attr(struct pcol_batch *b, int32_t key, const struct pcol_value *v, int32_t unit)
{
    struct pcol_attr a = {key, *v, unit};

    return pcol_dict_intern(b, &b->dict.attrs, &a);
}

int32_t pcol_dict_link(struct pcol_batch *b, const uint8_t trace_id[16], const uint8_t span_id[8])
{
    struct pcol_link l;

    memcpy(l.trace_id, trace_id, 16);
    memcpy(l.span_id, span_id, 8);
    return pcol_dict_intern(b, &b->dict.links, &l);
}

const struct pcol_attr *pcol_attrs_find(const struct pcol_batch *b, struct pcol_ilist list,
                                        int32_t key)
{
    uint32_t i;

    for (i = 0; i < list.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, list.v[i]);
        if (a->key == key) {
            return a;
        }
    }
    return NULL;
}

const struct pcol_kv *pcol_kvs_find(const struct pcol_kv *kv, uint32_t n, int32_t key)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (kv[i].key == key) {
            return &kv[i];
        }
    }
    return NULL;
}

/* ---- batch --------------------------------------------------------------- */

static void table_init(struct pcol_batch *b, struct pcol_table *t, uint32_t kind)
{
    static const char empty[1] = "";
    struct pcol_str s0 = {empty, 0};
    union {
        struct pcol_mapping m;
        struct pcol_location l;
        struct pcol_function f;
        struct pcol_link k;
        struct pcol_attr a;
        struct pcol_stack s;
    } zero;

    memset(t, 0, sizeof(*t));
    memset(&zero, 0, sizeof(zero));
    t->kind = kind;
    table_push(b, t, kind == T_STR ? (const void *)&s0 : (const void *)&zero);
}

struct pcol_batch *pcol_batch_create(size_t arena_hint)
{
    struct pcol_arena *a = pcol_arena_create(arena_hint);
    struct pcol_batch *b = pcol_arena_calloc(a, sizeof(*b));

    b->arena = a;
    b->refcount = 1;
    table_init(b, &b->dict.strings, T_STR);
    table_init(b, &b->dict.mappings, T_MAPPING);
    table_init(b, &b->dict.locations, T_LOCATION);
    table_init(b, &b->dict.functions, T_FUNCTION);
    table_init(b, &b->dict.links, T_LINK);
    table_init(b, &b->dict.attrs, T_ATTR);
    table_init(b, &b->dict.stacks, T_STACK);
    return b;
}

struct pcol_batch *pcol_batch_ref(struct pcol_batch *b)
{
    assert(b->refcount > 0);
    b->refcount++;
    return b;
}

void pcol_batch_release(struct pcol_batch *b)
{
    if (!b) {
        return;
    }
    assert(b->refcount > 0);
    if (--b->refcount == 0) {
        /* The batch struct itself lives in its arena. */
        pcol_arena_destroy(b->arena);
    }
}

void *pcol__grow(struct pcol_batch *b, void *arr, uint32_t n, uint32_t *cap, size_t size)
{
    uint32_t ncap;

    if (n < *cap) {
        return arr;
    }
    ncap = *cap ? *cap * 2 : 4;
    arr = pcol_arena_grow(b->arena, arr, (size_t)n * size, (size_t)ncap * size);
    *cap = ncap;
    return arr;
}

struct pcol_resource *pcol_batch_add_resource(struct pcol_batch *b)
{
    struct pcol_resource *r;

    b->resources = pcol__grow(b, b->resources, b->n_resources, &b->cap_resources, sizeof(*r));
    r = &b->resources[b->n_resources++];
    memset(r, 0, sizeof(*r));
    return r;
}

struct pcol_scope *pcol_resource_add_scope(struct pcol_batch *b, struct pcol_resource *r)
{
    struct pcol_scope *s;

    r->scopes = pcol__grow(b, r->scopes, r->n_scopes, &r->cap_scopes, sizeof(*s));
    s = &r->scopes[r->n_scopes++];
    memset(s, 0, sizeof(*s));
    return s;
}

struct pcol_profile *pcol_scope_add_profile(struct pcol_batch *b, struct pcol_scope *s)
{
    struct pcol_profile *p;

    s->profiles = pcol__grow(b, s->profiles, s->n_profiles, &s->cap_profiles, sizeof(*p));
    p = &s->profiles[s->n_profiles++];
    memset(p, 0, sizeof(*p));
    return p;
}

void pcol_profile_reserve_samples(struct pcol_batch *b, struct pcol_profile *p, uint32_t n)
{
    uint32_t want = p->n_samples + n;

    if (want <= p->cap_samples) {
        return;
    }
    p->samples = pcol_arena_grow(b->arena, p->samples, (size_t)p->n_samples * sizeof(*p->samples),
                                 (size_t)want * sizeof(*p->samples));
    p->cap_samples = want;
}

struct pcol_sample *pcol_profile_add_sample(struct pcol_batch *b, struct pcol_profile *p)
{
    struct pcol_sample *s;

    p->samples = pcol__grow(b, p->samples, p->n_samples, &p->cap_samples, sizeof(*s));
    s = &p->samples[p->n_samples++];
    memset(s, 0, sizeof(*s));
    return s;
}

size_t pcol_batch_profile_count(const struct pcol_batch *b)
{
    size_t n = 0;
    uint32_t i, j;

    for (i = 0; i < b->n_resources; i++) {
        for (j = 0; j < b->resources[i].n_scopes; j++) {
            n += b->resources[i].scopes[j].n_profiles;
        }
    }
    return n;
}

size_t pcol_batch_sample_count(const struct pcol_batch *b)
{
    size_t n = 0;
    uint32_t i, j, k;

    for (i = 0; i < b->n_resources; i++) {
        for (j = 0; j < b->resources[i].n_scopes; j++) {
            const struct pcol_scope *s = &b->resources[i].scopes[j];
            for (k = 0; k < s->n_profiles; k++) {
                n += s->profiles[k].n_samples;
            }
        }
    }
    return n;
}
