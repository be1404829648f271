/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp_decode_internal.h: the state of one OTLP protobuf-c -> model
 * decode, shared by the two halves of the decoder and private to them:
 * codec_otlp_decode.c (entry points, values and attribute lists, resource ->
 * scope -> profile -> sample, context JSON) and codec_otlp_decode_dict.c (the
 * dictionary tables). The state is set up and freed by the entry points
 * within one call; it owns its remap arrays and scratch (heap).
 */
#ifndef PCOL_CODEC_OTLP_DECODE_INTERNAL_H
#define PCOL_CODEC_OTLP_DECODE_INTERNAL_H

#include "codec_otlp_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define PB_P(n) Opentelemetry__Proto__Profiles__V1development__##n
#define PB_C(n) Opentelemetry__Proto__Common__V1__##n
#define PB_R(n) Opentelemetry__Proto__Resource__V1__##n
#define AV_CASE(c) OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_##c

/* One step of the path printed in error messages; idx < 0 means no index. */
struct seg {
    const char *name;
    long idx;
};

struct dec {
    struct pcol_batch *b;
    struct pcol_err *err;
    bool borrow;  /* the request's strings, bytes and arrays live in b's arena */
    bool no_dict; /* context JSON: there is no string table to index */
    /* The batch dictionary held only its zero entries: entries are appended
     * as they come, not interned (hashing them is most of the decode cost). */
    bool fresh;
    /* request index -> batch index, one map per dictionary table */
    int32_t *str, *fn, *link, *attr, *map, *loc, *stack;
    uint32_t n_str, n_fn, n_link, n_attr, n_map, n_loc, n_stack;
    struct seg path[8];
    unsigned depth;
    /* scratch reused from entry to entry */
    int32_t *tmp;
    size_t tmp_cap;
    struct pcol_line *lines;
    size_t lines_cap;
    uint64_t *set;
    size_t set_cap;
};

/* ---- defined in codec_otlp_decode.c ------------------------------------- */

/* Sets st->err to the message prefixed with the current path; returns
 * PCOL_EINVAL. */
int pcol__otlp_vfail(struct dec *st, const char *fmt, va_list ap);
int pcol__otlp_value_from_pb(struct dec *st, const PB_C(AnyValue) * av, struct pcol_value *out,
                             unsigned depth);
/* Maps an attribute_indices list into st->tmp, checking each index and that
 * no two entries share a key. */
int pcol__otlp_attr_list(struct dec *st, const int32_t *v, size_t n);

/* ---- defined in codec_otlp_decode_dict.c -------------------------------- */

/* Maps every dictionary table of the request into the batch. */
int pcol__otlp_dict_from_pb(struct dec *st, const PB_P(ProfilesDictionary) * d);

/* ---- defined in codec_otlp.c -------------------------------------------- */

/* pcol_otlp_decode without the fast path (tests compare the two). */
int pcol__otlp_decode_general(struct pcol_batch *b, const uint8_t *buf, size_t len,
                              struct pcol_err *err);

/* ---- defined in codec_otlp_fast.c -------------------------------------- */

/* Decodes the common shape of a request straight from the wire into a batch
 * whose dictionary holds only its zero entries, building the model the
 * general path would. Returns 0, or PCOL_ENOTSUP (batch left as it was) for
 * anything it does not take, including every malformed input: the general
 * path then decodes it and reports what is wrong. `err` is not written. */
int pcol__otlp_fast_decode(struct pcol_batch *b, const uint8_t *buf, size_t len,
                           struct pcol_err *err);

/* ---- small helpers both halves use --------------------------------------- */

static inline void at(struct dec *st, unsigned level, const char *name, long idx)
{
    st->path[level].name = name;
    st->path[level].idx = idx;
    st->depth = level + 1;
}

static inline int fail(struct dec *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline int fail(struct dec *st, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = pcol__otlp_vfail(st, fmt, ap);
    va_end(ap);
    return rc;
}

static inline int bad_index(struct dec *st, const char *field, int64_t v, uint32_t n,
                            const char *table)
{
    if (st->no_dict) {
        return fail(st,
                    "%s %" PRId64 " has no string table to point into (context JSON takes "
                    "plain strings)",
                    field, v);
    }
    return fail(st, "%s %" PRId64 " out of range (%s has %u entries)", field, v, table, n);
}

/* Checks request index `v` against a table of `n` entries and maps it. */
static inline int remap(struct dec *st, const char *field, int64_t v, const int32_t *map,
                        uint32_t n, const char *table, int32_t *out)
{
    if (PCOL_UNLIKELY(v < 0 || v >= (int64_t)n)) {
        return bad_index(st, field, v, n, table);
    }
    *out = map[v];
    return 0;
}

static inline int str_idx(struct dec *st, const char *field, int64_t v, int32_t *out)
{
    return remap(st, field, v, st->str, st->n_str, "string_table", out);
}

/* Interns string `s` (NULL or "" give index 0). Strings outside the string
 * table are interned even into a fresh batch: they usually repeat one of it
 * (an encoder writes resource attribute keys inline and in the table). */
static inline int32_t intern(struct dec *st, const char *s)
{
    size_t n;

    if (!s || !s[0]) {
        return 0;
    }
    n = strlen(s);
    return st->borrow ? pcol_dict_str_ref(st->b, s, n) : pcol_dict_str(st->b, s, n);
}

/* Adds a dictionary entry: appended to a fresh batch, interned otherwise. */
static inline int32_t add_entry(struct dec *st, struct pcol_table *t, const void *e)
{
    return st->fresh ? pcol_dict_append(st->b, t, e) : pcol_dict_intern(st->b, t, e);
}

static inline int check_count(struct dec *st, const char *what, size_t n)
{
    if (n > INT32_MAX) {
        return fail(st, "%zu %s is more than the model can hold", n, what);
    }
    return 0;
}

static inline void reserve_tmp(struct dec *st, size_t n)
{
    if (n > st->tmp_cap) {
        st->tmp_cap = n < 64 ? 64 : n;
        st->tmp = pcol_xrealloc(st->tmp, st->tmp_cap * sizeof(*st->tmp));
    }
}

/* Maps table size `n` (0 = absent = only the zero entry) to a remap array. */
static inline int32_t *new_map(size_t n, uint32_t *count)
{
    int32_t *m;

    *count = n ? (uint32_t)n : 1;
    m = pcol_xmalloc((size_t)*count * sizeof(int32_t));
    m[0] = 0;
    return m;
}

#endif
