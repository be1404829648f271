/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp_fast.c: a direct wire -> model decoder for the common shape of
 * an ExportProfilesServiceRequest going into a fresh batch, skipping
 * protobuf-c's intermediate structs (pcol__otlp_fast_decode). It builds the
 * same model as the general path (codec_otlp_decode*.c) in the same order;
 * whatever it does not handle, or finds wrong, it answers with PCOL_ENOTSUP
 * after undoing its appends, and the general path decodes the input again
 * and reports any fault. Nesting is fixed by the message layout (AnyValue
 * arrays and kvlists are not taken), so nothing here recurses.
 *
 * Ownership: borrows the input; strings, bytes and lists are copied into the
 * batch arena. Remap arrays and scratch are heap memory for one call.
 */
#include "codec_otlp_decode_internal.h"

#include <stdlib.h>

#define NOTSUP PCOL_ENOTSUP

struct rd {
    const uint8_t *p, *end;
};

struct fld {
    uint32_t num;
    uint32_t wt;
    uint64_t v;       /* wire types 0, 1, 5 */
    const uint8_t *p; /* wire type 2 */
    size_t n;
};

struct fmap {
    int32_t *v;
    uint32_t n;
};

struct fast {
    struct pcol_batch *b;
    struct fmap str, fn, link, attr, map, loc, stack;
    int32_t *tmp;
    size_t tmp_cap;
    struct pcol_line *lines;
    size_t lines_cap;
};

/* Rejects over-long varints and bits past 64, which protobuf-c reads
 * differently. */
static bool rd_varint_slow(struct rd *r, uint64_t *v)
{
    uint64_t x = 0;
    unsigned i;

    for (i = 0; i < 10 && r->p + i < r->end; i++) {
        uint8_t c = r->p[i];
        if (i == 9 && c > 1) {
            return false;
        }
        x |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            r->p += i + 1;
            *v = x;
            return true;
        }
    }
    return false;
}

/* Most varints here (tags, indexes, lengths) are one byte. */
static inline bool rd_varint(struct rd *r, uint64_t *v)
{
    if (PCOL_LIKELY(r->p < r->end && !(r->p[0] & 0x80))) {
        *v = *r->p++;
        return true;
    }
    return rd_varint_slow(r, v);
}

/* Next field: 1, 0 at the end, -1 on anything malformed or unsupported. */
static inline int rd_next(struct rd *r, struct fld *f)
{
    uint64_t tag, n;

    if (r->p >= r->end) {
        return 0;
    }
    if (!rd_varint(r, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
        return -1;
    }
    f->num = (uint32_t)(tag >> 3);
    f->wt = (uint32_t)(tag & 7);
    switch (f->wt) {
    case 0: return rd_varint(r, &f->v) ? 1 : -1;
    case 1:
    case 5:
        n = f->wt == 1 ? 8 : 4;
        if ((uint64_t)(r->end - r->p) < n) {
            return -1;
        }
        f->v = 0;
        memcpy(&f->v, r->p, (size_t)n);
        r->p += n;
        return 1;
    case 2:
        if (!rd_varint(r, &n) || n > (uint64_t)(r->end - r->p)) {
            return -1;
        }
        f->p = r->p;
        f->n = (size_t)n;
        r->p += n;
        return 1;
    default: return -1;
    }
}

static struct rd sub(const struct fld *f)
{
    struct rd r = {f->p, f->p + f->n};
    return r;
}

/* Maps request index `v` through `m`; false when out of range. */
static bool map_idx(const struct fmap *m, uint64_t v, int32_t *out)
{
    if (v >= m->n) {
        return false;
    }
    *out = m->v[v];
    return true;
}

static void new_fmap(struct fmap *m, size_t n)
{
    m->v = new_map(n, &m->n);
}

static void tmp_room(struct fast *fs, size_t n)
{
    if (n > fs->tmp_cap) {
        fs->tmp_cap = n < 64 ? 64 : 2 * n;
        fs->tmp = pcol_xrealloc(fs->tmp, fs->tmp_cap * sizeof(*fs->tmp));
    }
}

/* A wire string as the general path sees it: protobuf-c strings end at the
 * first NUL, so strings holding one are left to it. */
static bool wire_str(const struct fld *f)
{
    return f->wt == 2 && !memchr(f->p, 0, f->n);
}

static int32_t intern_wire(struct fast *fs, const uint8_t *p, size_t n)
{
    return n ? pcol_dict_str(fs->b, (const char *)p, n) : 0;
}

/* Decodes a packed list of int32 indexes through `m` into fs->tmp; returns
 * the count or -1. */
static long packed_idx(struct fast *fs, const struct fld *f, const struct fmap *m)
{
    struct rd r = sub(f);
    uint64_t v;
    long n = 0;

    if (f->wt != 2) {
        return -1;
    }
    tmp_room(fs, f->n);
    while (r.p < r.end) {
        if (!rd_varint(&r, &v) || !map_idx(m, v, &fs->tmp[n])) {
            return -1;
        }
        n++;
    }
    return n;
}

static bool same_str(const struct pcol_batch *b, int32_t x, int32_t y)
{
    const struct pcol_str *p = pcol_str_at(b, x), *q = pcol_str_at(b, y);

    return x == y || (p->len == q->len && memcmp(p->p, q->p, p->len) == 0);
}

/* Attribute lists in fs->tmp must not repeat a key; long lists are left to
 * the general path. */
static bool keys_distinct(struct fast *fs, long n)
{
    long i, j;

    if (n > 16) {
        return false;
    }
    for (i = 1; i < n; i++) {
        int32_t k = pcol_attr_at(fs->b, fs->tmp[i])->key;
        for (j = 0; j < i; j++) {
            if (same_str(fs->b, pcol_attr_at(fs->b, fs->tmp[j])->key, k)) {
                return false;
            }
        }
    }
    return true;
}

/* An attribute_indices field: mapped into fs->tmp, checked; count or -1. */
static long attr_list(struct fast *fs, const struct fld *f)
{
    long n = packed_idx(fs, f, &fs->attr);

    return n >= 0 && keys_distinct(fs, n) ? n : -1;
}

static int value(struct fast *fs, const struct fld *in, struct pcol_value *out, bool top);

/* ArrayValue of scalars (an array inside it goes to the general path, so the
 * nesting stays one level deep). */
static int array(struct fast *fs, const struct fld *in, struct pcol_value *out)
{
    struct rd r = sub(in);
    struct fld f;
    size_t n = 0, i = 0;
    int k, rc;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (f.wt != 2) {
                return NOTSUP;
            }
            n++;
        }
    }
    if (k < 0 || n > INT32_MAX) {
        return NOTSUP;
    }
    out->kind = PCOL_VAL_ARRAY;
    out->n = (uint32_t)n;
    out->u.array = n ? pcol_arena_alloc(fs->b->arena, n * sizeof(struct pcol_value)) : NULL;
    r = sub(in);
    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 1 && (rc = value(fs, &f, &out->u.array[i++], false))) {
            return rc;
        }
    }
    return 0;
}

/* AnyValue: scalars, strings, string indexes, bytes, and (at the top) arrays
 * of those; key-value lists go to the general path. */
static int value(struct fast *fs, const struct fld *in, struct pcol_value *out, bool top)
{
    struct rd r = sub(in);
    struct fld f;
    unsigned set = 0;
    int k;

    memset(out, 0, sizeof(*out));
    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num > 8) {
            continue;
        }
        if (set++) {
            return NOTSUP;
        }
        if (f.num == 1 && wire_str(&f)) {
            out->kind = PCOL_VAL_STR;
            out->u.str = intern_wire(fs, f.p, f.n);
        } else if (f.num == 2 && f.wt == 0) {
            out->kind = PCOL_VAL_BOOL;
            out->u.b = f.v != 0;
        } else if (f.num == 3 && f.wt == 0) {
            out->kind = PCOL_VAL_INT;
            out->u.i = (int64_t)f.v;
        } else if (f.num == 4 && f.wt == 1) {
            out->kind = PCOL_VAL_DOUBLE;
            memcpy(&out->u.d, &f.v, sizeof(double));
        } else if (f.num == 7 && f.wt == 2 && f.n <= INT32_MAX) {
            out->kind = PCOL_VAL_BYTES;
            out->n = (uint32_t)f.n;
            out->u.bytes = f.n ? pcol_arena_memdup(fs->b->arena, f.p, f.n) : NULL;
        } else if (f.num == 5 && f.wt == 2 && top) {
            if (array(fs, &f, out)) {
                return NOTSUP;
            }
        } else if (f.num == 8 && f.wt == 0) {
            out->kind = PCOL_VAL_STR;
            if (!map_idx(&fs->str, f.v, &out->u.str)) {
                return NOTSUP;
            }
        } else {
            return NOTSUP;
        }
    }
    return k < 0 ? NOTSUP : 0;
}

/* ---- dictionary ---------------------------------------------------------- */

/* The dictionary's entries of one table, in wire order. */
struct entries {
    struct fld *v;
    size_t n, cap;
};

typedef int (*entry_fn)(struct fast *fs, const struct fld *f, size_t i);

static int each_entry(struct fast *fs, const struct entries *e, entry_fn fn)
{
    size_t i;
    int rc;

    for (i = 0; i < e->n; i++) {
        if ((rc = fn(fs, &e->v[i], i))) {
            return rc;
        }
    }
    return 0;
}

static int string_entry(struct fast *fs, const struct fld *f, size_t i)
{
    char *s;

    if (!wire_str(f) || (i == 0 && f->n)) {
        return NOTSUP;
    }
    if (i == 0 || !f->n) {
        fs->str.v[i] = 0;
        return 0;
    }
    s = pcol_arena_strndup(fs->b->arena, (const char *)f->p, f->n);
    fs->str.v[i] = pcol_dict_str_append(fs->b, s, f->n);
    return 0;
}

static int function_entry(struct fast *fs, const struct fld *in, size_t i)
{
    struct pcol_function e;
    uint64_t v[5] = {0, 0, 0, 0, 0};
    struct rd r = sub(in);
    struct fld f;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num > 4) {
            continue;
        }
        if (f.wt != 0) {
            return NOTSUP;
        }
        v[f.num] = f.v;
    }
    if (k < 0) {
        return NOTSUP;
    }
    if (i == 0) {
        return v[1] || v[2] || v[3] || v[4] ? NOTSUP : 0;
    }
    if (!map_idx(&fs->str, v[1], &e.name) || !map_idx(&fs->str, v[2], &e.system_name) ||
        !map_idx(&fs->str, v[3], &e.filename)) {
        return NOTSUP;
    }
    e.start_line = (int64_t)v[4];
    fs->fn.v[i] = pcol_dict_append(fs->b, &fs->b->dict.functions, &e);
    return 0;
}

static int link_entry(struct fast *fs, const struct fld *in, size_t i)
{
    struct pcol_link e;
    struct rd r = sub(in);
    struct fld f;
    int k;

    memset(&e, 0, sizeof(e));
    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num > 2) {
            continue;
        }
        if (f.wt != 2 || (f.n && f.n != (f.num == 1 ? 16u : 8u))) {
            return NOTSUP;
        }
        if (f.num == 1) {
            memset(e.trace_id, 0, 16);
            memcpy(e.trace_id, f.p, f.n);
        } else {
            memset(e.span_id, 0, 8);
            memcpy(e.span_id, f.p, f.n);
        }
    }
    if (k < 0) {
        return NOTSUP;
    }
    if (i == 0) {
        return pcol__all_zero((const uint8_t *)&e, sizeof(e)) ? 0 : NOTSUP;
    }
    fs->link.v[i] = pcol_dict_append(fs->b, &fs->b->dict.links, &e);
    return 0;
}

static int attr_entry(struct fast *fs, const struct fld *in, size_t i)
{
    struct pcol_attr e;
    uint64_t key = 0, unit = 0;
    struct fld f, val = {0, 2, 0, NULL, 0};
    struct rd r = sub(in);
    bool have_val = false;
    int k, rc;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 2) {
            if (f.wt != 2 || have_val) {
                return NOTSUP;
            }
            val = f;
            have_val = true;
        } else if (f.num == 1 || f.num == 3) {
            if (f.wt != 0) {
                return NOTSUP;
            }
            *(f.num == 1 ? &key : &unit) = f.v;
        }
    }
    memset(&e, 0, sizeof(e));
    if (k < 0 || !map_idx(&fs->str, key, &e.key) || !map_idx(&fs->str, unit, &e.unit)) {
        return NOTSUP;
    }
    if ((rc = value(fs, &val, &e.value, true))) {
        return rc;
    }
    if (i == 0) {
        return key || unit || e.value.kind != PCOL_VAL_EMPTY ? NOTSUP : 0;
    }
    fs->attr.v[i] = pcol_dict_append(fs->b, &fs->b->dict.attrs, &e);
    return 0;
}

static int mapping_entry(struct fast *fs, const struct fld *in, size_t i)
{
    struct pcol_mapping e;
    uint64_t v[5] = {0, 0, 0, 0, 0};
    struct fld f, attrs = {0, 2, 0, NULL, 0};
    struct rd r = sub(in);
    bool have_attrs = false;
    long n;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 5) {
            if (f.wt != 2 || have_attrs) {
                return NOTSUP;
            }
            attrs = f;
            have_attrs = true;
        } else if (f.num >= 1 && f.num <= 4) {
            if (f.wt != 0) {
                return NOTSUP;
            }
            v[f.num] = f.v;
        }
    }
    memset(&e, 0, sizeof(e));
    if (k < 0 || !map_idx(&fs->str, v[4], &e.filename) || (n = attr_list(fs, &attrs)) < 0) {
        return NOTSUP;
    }
    if (i == 0) {
        return v[1] || v[2] || v[3] || v[4] || n ? NOTSUP : 0;
    }
    e.memory_start = v[1];
    e.memory_limit = v[2];
    e.file_offset = v[3];
    e.attrs = pcol_ilist_dup(fs->b, fs->tmp, (uint32_t)n);
    fs->map.v[i] = pcol_dict_append(fs->b, &fs->b->dict.mappings, &e);
    return 0;
}

static int line_from(struct fast *fs, const struct fld *in, struct pcol_line *out)
{
    uint64_t v[4] = {0, 0, 0, 0};
    struct rd r = sub(in);
    struct fld f;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num > 3) {
            continue;
        }
        if (f.wt != 0) {
            return NOTSUP;
        }
        v[f.num] = f.v;
    }
    memset(out, 0, sizeof(*out));
    if (k < 0 || !map_idx(&fs->fn, v[1], &out->function)) {
        return NOTSUP;
    }
    out->line = (int64_t)v[2];
    out->column = (int64_t)v[3];
    return 0;
}

static int location_entry(struct fast *fs, const struct fld *in, size_t i)
{
    struct pcol_location e;
    uint64_t mapping = 0, address = 0;
    struct fld f, attrs = {0, 2, 0, NULL, 0};
    struct rd r = sub(in);
    bool have_attrs = false;
    size_t nl = 0;
    long n;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 3) {
            if (f.wt != 2) {
                return NOTSUP;
            }
            if (nl == fs->lines_cap) {
                fs->lines_cap = nl < 16 ? 16 : 2 * nl;
                fs->lines = pcol_xrealloc(fs->lines, fs->lines_cap * sizeof(*fs->lines));
            }
            if (line_from(fs, &f, &fs->lines[nl++])) {
                return NOTSUP;
            }
        } else if (f.num == 4) {
            if (f.wt != 2 || have_attrs) {
                return NOTSUP;
            }
            attrs = f;
            have_attrs = true;
        } else if (f.num == 1 || f.num == 2) {
            if (f.wt != 0) {
                return NOTSUP;
            }
            *(f.num == 1 ? &mapping : &address) = f.v;
        }
    }
    memset(&e, 0, sizeof(e));
    if (k < 0 || !map_idx(&fs->map, mapping, &e.mapping) || (n = attr_list(fs, &attrs)) < 0) {
        return NOTSUP;
    }
    if (i == 0) {
        return mapping || address || nl || n ? NOTSUP : 0;
    }
    e.address = address;
    e.n_lines = (uint32_t)nl;
    e.lines = nl ? pcol_arena_memdup(fs->b->arena, fs->lines, nl * sizeof(*fs->lines)) : NULL;
    e.attrs = pcol_ilist_dup(fs->b, fs->tmp, (uint32_t)n);
    fs->loc.v[i] = pcol_dict_append(fs->b, &fs->b->dict.locations, &e);
    return 0;
}

static int stack_entry(struct fast *fs, const struct fld *in, size_t i)
{
    struct pcol_stack e;
    struct fld f, locs = {0, 2, 0, NULL, 0};
    struct rd r = sub(in);
    bool have = false;
    long n;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (f.wt != 2 || have) {
                return NOTSUP;
            }
            locs = f;
            have = true;
        }
    }
    if (k < 0 || (n = packed_idx(fs, &locs, &fs->loc)) < 0 || (i == 0 && n)) {
        return NOTSUP;
    }
    if (i == 0) {
        return 0;
    }
    e.locations = pcol_ilist_dup(fs->b, fs->tmp, (uint32_t)n);
    fs->stack.v[i] = pcol_dict_append(fs->b, &fs->b->dict.stacks, &e);
    return 0;
}

/* Splits the dictionary into its tables (by field number), sizes the maps
 * and the batch tables as the general path does, then maps the tables in
 * its order (each refers only to tables mapped before it). */
static int dictionary(struct fast *fs, const struct fld *dict, struct entries *tab)
{
    struct pcol_batch *b = fs->b;
    struct rd r = sub(dict);
    struct fld f;
    int k, rc;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num > 7) {
            continue;
        }
        if (f.wt != 2) {
            return NOTSUP;
        }
        if (tab[f.num].n == tab[f.num].cap) {
            tab[f.num].cap = tab[f.num].cap ? 2 * tab[f.num].cap : 256;
            tab[f.num].v = pcol_xrealloc(tab[f.num].v, tab[f.num].cap * sizeof(f));
        }
        tab[f.num].v[tab[f.num].n++] = f;
    }
    if (k < 0) {
        return NOTSUP;
    }
    for (k = 1; k <= 7; k++) {
        if (tab[k].n > INT32_MAX) {
            return NOTSUP;
        }
    }
    pcol_dict_reserve(b, &b->dict.strings, (uint32_t)tab[5].n + 16);
    pcol_dict_reserve(b, &b->dict.functions, (uint32_t)tab[3].n);
    pcol_dict_reserve(b, &b->dict.links, (uint32_t)tab[4].n);
    pcol_dict_reserve(b, &b->dict.attrs, (uint32_t)tab[6].n);
    pcol_dict_reserve(b, &b->dict.mappings, (uint32_t)tab[1].n);
    pcol_dict_reserve(b, &b->dict.locations, (uint32_t)tab[2].n);
    pcol_dict_reserve(b, &b->dict.stacks, (uint32_t)tab[7].n);
    new_fmap(&fs->str, tab[5].n);
    new_fmap(&fs->fn, tab[3].n);
    new_fmap(&fs->link, tab[4].n);
    new_fmap(&fs->attr, tab[6].n);
    new_fmap(&fs->map, tab[1].n);
    new_fmap(&fs->loc, tab[2].n);
    new_fmap(&fs->stack, tab[7].n);
    if ((rc = each_entry(fs, &tab[5], string_entry)) ||
        (rc = each_entry(fs, &tab[3], function_entry)) ||
        (rc = each_entry(fs, &tab[4], link_entry)) || (rc = each_entry(fs, &tab[6], attr_entry)) ||
        (rc = each_entry(fs, &tab[1], mapping_entry)) ||
        (rc = each_entry(fs, &tab[2], location_entry)) ||
        (rc = each_entry(fs, &tab[7], stack_entry))) {
        return rc;
    }
    return 0;
}

/* ---- resource -> scope -> profile -> sample ------------------------------ */

/* A singular message field seen once; a second one (protobuf-c merges them)
 * is left to the general path. */
static bool take_once(const struct fld *f, struct fld *out, bool *have)
{
    if (f->wt != 2 || *have) {
        return false;
    }
    *out = *f;
    *have = true;
    return true;
}

/* KeyValue: the key is taken before the value, as the general path does. */
static int key_value(struct fast *fs, const struct fld *in, struct pcol_kv *out)
{
    struct fld f, key = {0, 2, 0, NULL, 0}, val = {0, 2, 0, NULL, 0};
    struct rd r = sub(in);
    uint64_t key_idx = 0;
    bool have_val = false;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (!wire_str(&f)) {
                return NOTSUP;
            }
            key = f;
        } else if (f.num == 2) {
            if (!take_once(&f, &val, &have_val)) {
                return NOTSUP;
            }
        } else if (f.num == 3) {
            if (f.wt != 0 || f.v > INT32_MAX) {
                return NOTSUP;
            }
            key_idx = f.v;
        }
    }
    if (k < 0) {
        return NOTSUP;
    }
    if (key_idx) {
        if (key.n || !map_idx(&fs->str, key_idx, &out->key)) {
            return NOTSUP;
        }
    } else {
        out->key = intern_wire(fs, key.p, key.n);
    }
    return value(fs, &val, &out->value, true);
}

/* Resource and scope attributes (field `num` of `in`), `n` of them. */
static int kvs(struct fast *fs, const struct fld *in, uint32_t num, size_t n, struct pcol_kv **out,
               uint32_t *n_out)
{
    struct rd r = sub(in);
    struct fld f;
    size_t i = 0;
    int k, rc;

    *out = n ? pcol_arena_alloc(fs->b->arena, n * sizeof(**out)) : NULL;
    *n_out = 0;
    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == num && (rc = key_value(fs, &f, &(*out)[i++]))) {
            return rc;
        }
    }
    *n_out = (uint32_t)n;
    return k < 0 ? NOTSUP : 0;
}

static int resource(struct fast *fs, struct pcol_resource *res, const struct fld *in)
{
    struct rd r = sub(in);
    struct fld f;
    size_t n = 0;
    int k, rc;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (f.wt != 2) {
                return NOTSUP;
            }
            n++;
        } else if (f.num == 2) {
            if (f.wt != 0) {
                return NOTSUP;
            }
            res->dropped_attributes_count = (uint32_t)f.v;
        } else if (f.num == 3) {
            return NOTSUP;
        }
    }
    if (k < 0 || n > INT32_MAX) {
        return NOTSUP;
    }
    if ((rc = kvs(fs, in, 1, n, &res->attrs, &res->n_attrs))) {
        return rc;
    }
    return 0;
}

static int scope(struct fast *fs, struct pcol_scope *s, const struct fld *in)
{
    struct fld f, name = {0, 2, 0, NULL, 0}, version = {0, 2, 0, NULL, 0};
    struct rd r = sub(in);
    size_t n = 0;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 1 || f.num == 2) {
            if (!wire_str(&f)) {
                return NOTSUP;
            }
            *(f.num == 1 ? &name : &version) = f;
        } else if (f.num == 3) {
            if (f.wt != 2) {
                return NOTSUP;
            }
            n++;
        } else if (f.num == 4) {
            if (f.wt != 0) {
                return NOTSUP;
            }
            s->dropped_attributes_count = (uint32_t)f.v;
        }
    }
    if (k < 0 || n > INT32_MAX) {
        return NOTSUP;
    }
    s->name = intern_wire(fs, name.p, name.n);
    s->version = intern_wire(fs, version.p, version.n);
    return kvs(fs, in, 3, n, &s->attrs, &s->n_attrs);
}

static int value_type(struct fast *fs, const struct fld *in, struct pcol_value_type *out)
{
    uint64_t v[3] = {0, 0, 0};
    struct rd r = sub(in);
    struct fld f;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num > 2) {
            continue;
        }
        if (f.wt != 0) {
            return NOTSUP;
        }
        v[f.num] = f.v;
    }
    if (k < 0 || !map_idx(&fs->str, v[1], &out->type) || !map_idx(&fs->str, v[2], &out->unit)) {
        return NOTSUP;
    }
    return 0;
}

/* Number of varints in a packed body, or -1 if one is cut short. */
static long varint_count(const struct fld *f)
{
    long n = 0;
    size_t i;

    for (i = 0; i < f->n; i++) {
        n += !(f->p[i] & 0x80);
    }
    return f->n && (f->p[f->n - 1] & 0x80) ? -1 : n;
}

static int sample_values(struct fast *fs, const struct fld *f, struct pcol_sample *s)
{
    struct rd r = sub(f);
    long n = varint_count(f), i;
    uint64_t v;

    if (n <= 0 || n > INT32_MAX) {
        return n ? NOTSUP : 0;
    }
    s->values = pcol_arena_alloc(fs->b->arena, (size_t)n * sizeof(int64_t));
    for (i = 0; i < n; i++) {
        if (!rd_varint(&r, &v)) {
            return NOTSUP;
        }
        s->values[i] = (int64_t)v;
    }
    s->n_values = (uint32_t)n;
    return 0;
}

static int sample(struct fast *fs, struct pcol_profile *p, const struct fld *in)
{
    struct fld f, attrs = {0, 2, 0, NULL, 0}, vals = {0, 2, 0, NULL, 0}, ts = {0, 2, 0, NULL, 0};
    bool have_attrs = false, have_vals = false, have_ts = false;
    uint64_t stack = 0, link = 0;
    struct pcol_sample *s;
    struct rd r = sub(in);
    long n;
    int k;

    while ((k = rd_next(&r, &f)) > 0) {
        bool ok = true;
        switch (f.num) {
        case 1:
        case 3:
            ok = f.wt == 0;
            *(f.num == 1 ? &stack : &link) = f.v;
            break;
        case 2: ok = take_once(&f, &attrs, &have_attrs); break;
        case 4: ok = take_once(&f, &vals, &have_vals); break;
        case 5: ok = take_once(&f, &ts, &have_ts) && f.n % 8 == 0; break;
        default: break;
        }
        if (!ok) {
            return NOTSUP;
        }
    }
    s = pcol_profile_add_sample(fs->b, p);
    if (k < 0 || !map_idx(&fs->stack, stack, &s->stack) || !map_idx(&fs->link, link, &s->link) ||
        (n = attr_list(fs, &attrs)) < 0 || sample_values(fs, &vals, s)) {
        return NOTSUP;
    }
    if (ts.n / 8 > INT32_MAX) {
        return NOTSUP;
    }
    s->n_timestamps = (uint32_t)(ts.n / 8);
    if (s->n_values && s->n_timestamps && s->n_values != s->n_timestamps) {
        return NOTSUP;
    }
    s->attrs = pcol_ilist_dup(fs->b, fs->tmp, (uint32_t)n);
    s->timestamps = ts.n ? pcol_arena_memdup(fs->b->arena, ts.p, ts.n) : NULL;
    return 0;
}

/* The singular fields of a Profile, gathered before the samples. */
struct prof_fields {
    struct fld sample_type, period_type, attrs, id, format, payload;
    bool have_st, have_pt, have_attrs;
    size_t n_samples;
};

static bool prof_field(struct prof_fields *pf, struct pcol_profile *p, const struct fld *f)
{
    switch (f->num) {
    case 1: return take_once(f, &pf->sample_type, &pf->have_st);
    case 2: pf->n_samples++; return f->wt == 2;
    case 3: p->time_unix_nano = f->v; return f->wt == 1;
    case 4: p->duration_nano = f->v; return f->wt == 0;
    case 5: return take_once(f, &pf->period_type, &pf->have_pt);
    case 6: p->period = (int64_t)f->v; return f->wt == 0;
    case 7: pf->id = *f; return f->wt == 2 && (f->n == 0 || f->n == 16);
    case 8: p->dropped_attributes_count = (uint32_t)f->v; return f->wt == 0;
    case 9: pf->format = *f; return wire_str(f);
    case 10: pf->payload = *f; return f->wt == 2;
    case 11: return take_once(f, &pf->attrs, &pf->have_attrs);
    default: return true;
    }
}

static int profile(struct fast *fs, struct pcol_scope *sc, const struct fld *in)
{
    struct pcol_profile *p = pcol_scope_add_profile(fs->b, sc);
    struct prof_fields pf;
    struct rd r = sub(in);
    struct fld f;
    long n;
    int k, rc;

    memset(&pf, 0, sizeof(pf));
    pf.attrs.wt = 2; /* absent: an empty packed list */
    while ((k = rd_next(&r, &f)) > 0) {
        if (!prof_field(&pf, p, &f)) {
            return NOTSUP;
        }
    }
    if (k < 0 || pf.n_samples > INT32_MAX ||
        (pf.have_st && value_type(fs, &pf.sample_type, &p->sample_type)) ||
        (pf.have_pt && value_type(fs, &pf.period_type, &p->period_type)) ||
        (n = attr_list(fs, &pf.attrs)) < 0) {
        return NOTSUP;
    }
    p->attrs = pcol_ilist_dup(fs->b, fs->tmp, (uint32_t)n);
    if (pf.id.n) {
        memcpy(p->profile_id, pf.id.p, 16);
    }
    p->original_payload_format = intern_wire(fs, pf.format.p, pf.format.n);
    p->original_payload =
        pf.payload.n ? pcol_arena_memdup(fs->b->arena, pf.payload.p, pf.payload.n) : NULL;
    p->original_payload_len = pf.payload.n;
    pcol_profile_reserve_samples(fs->b, p, (uint32_t)pf.n_samples);
    r = sub(in);
    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 2 && (rc = sample(fs, p, &f))) {
            return rc;
        }
    }
    return k < 0 ? NOTSUP : 0;
}

static int scope_profiles(struct fast *fs, struct pcol_resource *res, const struct fld *in)
{
    struct pcol_scope *s = pcol_resource_add_scope(fs->b, res);
    struct fld f, sc = {0, 2, 0, NULL, 0}, url = {0, 2, 0, NULL, 0};
    struct rd r = sub(in);
    bool have_sc = false;
    int k, rc;

    while ((k = rd_next(&r, &f)) > 0) {
        if ((f.num == 1 && !take_once(&f, &sc, &have_sc)) || (f.num == 2 && f.wt != 2) ||
            (f.num == 3 && !wire_str(&f))) {
            return NOTSUP;
        }
        if (f.num == 3) {
            url = f;
        }
    }
    if (k < 0) {
        return NOTSUP;
    }
    s->schema_url = intern_wire(fs, url.p, url.n);
    if (have_sc && (rc = scope(fs, s, &sc))) {
        return rc;
    }
    r = sub(in);
    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 2 && (rc = profile(fs, s, &f))) {
            return rc;
        }
    }
    return k < 0 ? NOTSUP : 0;
}

static int resource_profiles(struct fast *fs, const struct fld *in)
{
    struct pcol_resource *res = pcol_batch_add_resource(fs->b);
    struct fld f, rs = {0, 2, 0, NULL, 0}, url = {0, 2, 0, NULL, 0};
    struct rd r = sub(in);
    bool have_rs = false;
    int k, rc;

    while ((k = rd_next(&r, &f)) > 0) {
        if ((f.num == 1 && !take_once(&f, &rs, &have_rs)) || (f.num == 2 && f.wt != 2) ||
            (f.num == 3 && !wire_str(&f))) {
            return NOTSUP;
        }
        if (f.num == 3) {
            url = f;
        }
    }
    if (k < 0 || (have_rs && (rc = resource(fs, res, &rs)))) {
        return NOTSUP;
    }
    res->schema_url = intern_wire(fs, url.p, url.n);
    r = sub(in);
    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 2 && (rc = scope_profiles(fs, res, &f))) {
            return rc;
        }
    }
    return k < 0 ? NOTSUP : 0;
}

/* ---- entry point ---------------------------------------------------------- */

static bool dict_fresh(const struct pcol_dict *t)
{
    return t->strings.n == 1 && t->mappings.n == 1 && t->locations.n == 1 && t->functions.n == 1 &&
           t->links.n == 1 && t->attrs.n == 1 && t->stacks.n == 1;
}

static int request(struct fast *fs, const uint8_t *buf, size_t len)
{
    struct rd r = {buf, buf + len};
    struct fld f, dict = {0, 2, 0, NULL, 0};
    struct entries tab[8];
    bool have_dict = false;
    int k, rc;

    while ((k = rd_next(&r, &f)) > 0) {
        if ((f.num == 1 && f.wt != 2) || (f.num == 2 && !take_once(&f, &dict, &have_dict))) {
            return NOTSUP;
        }
    }
    if (k < 0) {
        return NOTSUP;
    }
    memset(tab, 0, sizeof(tab));
    rc = dictionary(fs, &dict, tab);
    for (k = 0; k < 8; k++) {
        free(tab[k].v);
    }
    if (rc) {
        return NOTSUP;
    }
    r.p = buf;
    while ((k = rd_next(&r, &f)) > 0) {
        if (f.num == 1 && (rc = resource_profiles(fs, &f))) {
            return rc;
        }
    }
    return k < 0 ? NOTSUP : 0;
}

/* Takes the batch back to its fresh state: every table to its zero entry, no
 * hash index (rebuilt on the next lookup), the resources it had. What was
 * allocated stays in the arena until the batch dies. */
static void undo(struct pcol_batch *b, uint32_t n_resources)
{
    struct pcol_table *t[] = {&b->dict.strings,   &b->dict.mappings, &b->dict.locations,
                              &b->dict.functions, &b->dict.links,    &b->dict.attrs,
                              &b->dict.stacks};
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        t[i]->n = 1;
        t[i]->slots = NULL;
        t[i]->nslots = 0;
    }
    b->n_resources = n_resources;
}

int pcol__otlp_fast_decode(struct pcol_batch *b, const uint8_t *buf, size_t len,
                           struct pcol_err *err)
{
    uint32_t n_resources = b->n_resources;
    struct fast fs;
    int rc;

    (void)err;
    if (!dict_fresh(&b->dict)) {
        return NOTSUP;
    }
    memset(&fs, 0, sizeof(fs));
    fs.b = b;
    rc = request(&fs, buf, len);
    if (rc) {
        undo(b, n_resources);
    }
    free(fs.str.v);
    free(fs.fn.v);
    free(fs.link.v);
    free(fs.attr.v);
    free(fs.map.v);
    free(fs.loc.v);
    free(fs.stack.v);
    free(fs.tmp);
    free(fs.lines);
    return rc ? NOTSUP : 0;
}
