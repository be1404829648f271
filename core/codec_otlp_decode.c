/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp_decode.c: an OTLP Profiles request in protobuf-c structs -> the
 * model (pcol__otlp_from_pb, behind both the protobuf and the JSON decoder),
 * and the resource/scope context JSON the pprof decoder reads back
 * (pcol__otlp_context_from_json).
 *
 * Every index is checked before use. Dictionary entries are re-interned
 * through per-table remap arrays so one batch can take several requests.
 *
 * Ownership: appends to a caller-owned batch; the request is borrowed (with
 * `borrow`, the batch keeps pointing at its strings, bytes and value arrays).
 * Scratch arrays live on the heap for one call.
 */
#include "codec_otlp_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PB_P(n) Opentelemetry__Proto__Profiles__V1development__##n
#define PB_C(n) Opentelemetry__Proto__Common__V1__##n
#define PB_R(n) Opentelemetry__Proto__Resource__V1__##n
#define AV_CASE(c) OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_##c

/* How deep AnyValue arrays and key-value lists may nest. */
#define VALUE_MAX_DEPTH 16

/* ---- protobuf -> model --------------------------------------------------- */

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

static void at(struct dec *st, unsigned level, const char *name, long idx)
{
    st->path[level].name = name;
    st->path[level].idx = idx;
    st->depth = level + 1;
}

static int fail(struct dec *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct dec *st, const char *fmt, ...)
{
    char where[160], what[PCOL_ERR_MAX];
    size_t n = 0;
    unsigned i;
    va_list ap;
    int k;

    where[0] = '\0';
    for (i = 0; i < st->depth && n < sizeof(where); i++) {
        const struct seg *s = &st->path[i];
        if (s->idx >= 0) {
            k = snprintf(where + n, sizeof(where) - n, "%s%s[%ld]", i ? "." : "", s->name, s->idx);
        } else {
            k = snprintf(where + n, sizeof(where) - n, "%s%s", i ? "." : "", s->name);
        }
        if (k < 0) {
            break;
        }
        n += (size_t)k;
    }
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (!st->depth) {
        return pcol_err_set(st->err, PCOL_EINVAL, "%s", what);
    }
    return pcol_err_set(st->err, PCOL_EINVAL, "%s: %s", where, what);
}

static int bad_index(struct dec *st, const char *field, int64_t v, uint32_t n, const char *table)
{
    if (st->no_dict) {
        return fail(st, "%s %" PRId64 " has no string table to point into (context JSON takes "
                    "plain strings)", field, v);
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

static int32_t intern(struct dec *st, const char *s)
{
    size_t n;

    if (!s) {
        return 0;
    }
    n = strlen(s);
    return st->borrow ? pcol_dict_str_ref(st->b, s, n) : pcol_dict_str(st->b, s, n);
}

static const void *bytes_in(struct dec *st, const ProtobufCBinaryData *d)
{
    if (!d->len) {
        return NULL;
    }
    return st->borrow ? d->data : pcol_arena_memdup(st->b->arena, d->data, d->len);
}

static int check_count(struct dec *st, const char *what, size_t n)
{
    if (n > INT32_MAX) {
        return fail(st, "%zu %s is more than the model can hold", n, what);
    }
    return 0;
}

static void reserve_tmp(struct dec *st, size_t n)
{
    if (n > st->tmp_cap) {
        st->tmp_cap = n < 64 ? 64 : n;
        st->tmp = pcol_xrealloc(st->tmp, st->tmp_cap * sizeof(*st->tmp));
    }
}

/* Maps table size `n` (0 = absent = only the zero entry) to a remap array. */
static int32_t *new_map(size_t n, uint32_t *count)
{
    int32_t *m;

    *count = n ? (uint32_t)n : 1;
    m = pcol_xmalloc((size_t)*count * sizeof(int32_t));
    m[0] = 0;
    return m;
}

static int value_from_pb(struct dec *st, const PB_C(AnyValue) *av, struct pcol_value *out,
                         unsigned depth);

static int kv_from_pb(struct dec *st, const PB_C(KeyValue) *kv, struct pcol_kv *out,
                      unsigned depth)
{
    int rc;

    if (kv->key_strindex != 0) {
        if (kv->key && kv->key[0]) {
            return fail(st, "both key \"%.40s\" and key_strindex %d are set; use one", kv->key,
                        kv->key_strindex);
        }
        rc = str_idx(st, "key_strindex", kv->key_strindex, &out->key);
        if (rc) {
            return rc;
        }
    } else {
        out->key = intern(st, kv->key);
    }
    return value_from_pb(st, kv->value, &out->value, depth);
}

static int value_from_pb(struct dec *st, const PB_C(AnyValue) *av, struct pcol_value *out,
                         unsigned depth)
{
    struct pcol_arena *a = st->b->arena;
    size_t i, n;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!av) {
        return 0;
    }
    if (depth > VALUE_MAX_DEPTH) {
        return fail(st, "value nested deeper than %d levels", VALUE_MAX_DEPTH);
    }
    switch (av->value_case) {
    case AV_CASE(_NOT_SET): return 0;
    case AV_CASE(STRING_VALUE):
        out->kind = PCOL_VAL_STR;
        out->u.str = intern(st, av->string_value);
        return 0;
    case AV_CASE(STRING_VALUE_STRINDEX):
        out->kind = PCOL_VAL_STR;
        if (st->no_dict) {
            return bad_index(st, "string_value_strindex", av->string_value_strindex, 0, "");
        }
        return str_idx(st, "string_value_strindex", av->string_value_strindex, &out->u.str);
    case AV_CASE(BOOL_VALUE):
        out->kind = PCOL_VAL_BOOL;
        out->u.b = av->bool_value != 0;
        return 0;
    case AV_CASE(INT_VALUE):
        out->kind = PCOL_VAL_INT;
        out->u.i = av->int_value;
        return 0;
    case AV_CASE(DOUBLE_VALUE):
        out->kind = PCOL_VAL_DOUBLE;
        out->u.d = av->double_value;
        return 0;
    case AV_CASE(BYTES_VALUE):
        if ((rc = check_count(st, "bytes", av->bytes_value.len))) {
            return rc;
        }
        out->kind = PCOL_VAL_BYTES;
        out->n = (uint32_t)av->bytes_value.len;
        out->u.bytes = bytes_in(st, &av->bytes_value);
        return 0;
    case AV_CASE(ARRAY_VALUE):
        n = av->array_value ? av->array_value->n_values : 0;
        if ((rc = check_count(st, "array values", n))) {
            return rc;
        }
        out->kind = PCOL_VAL_ARRAY;
        out->n = (uint32_t)n;
        out->u.array = n ? pcol_arena_alloc(a, n * sizeof(struct pcol_value)) : NULL;
        for (i = 0; i < n && !rc; i++) {
            rc = value_from_pb(st, av->array_value->values[i], &out->u.array[i], depth + 1);
        }
        return rc;
    case AV_CASE(KVLIST_VALUE):
        n = av->kvlist_value ? av->kvlist_value->n_values : 0;
        if ((rc = check_count(st, "kvlist values", n))) {
            return rc;
        }
        out->kind = PCOL_VAL_KVLIST;
        out->n = (uint32_t)n;
        out->u.kvlist = n ? pcol_arena_alloc(a, n * sizeof(struct pcol_kv)) : NULL;
        for (i = 0; i < n && !rc; i++) {
            rc = kv_from_pb(st, av->kvlist_value->values[i], &out->u.kvlist[i], depth + 1);
        }
        return rc;
    default: return fail(st, "unknown AnyValue kind %d", (int)av->value_case);
    }
}

/* Resource and scope attributes: a KeyValue list copied into the batch. */
static int kvs_from_pb(struct dec *st, PB_C(KeyValue) *const *kvs, size_t n, unsigned level,
                       struct pcol_kv **out, uint32_t *n_out)
{
    struct pcol_kv *arr = NULL;
    size_t i;
    int rc = check_count(st, "attributes", n);

    if (!rc && n) {
        arr = pcol_arena_alloc(st->b->arena, n * sizeof(*arr));
        for (i = 0; i < n && !rc; i++) {
            at(st, level, "attributes", (long)i);
            rc = kv_from_pb(st, kvs[i], &arr[i], 1);
        }
    }
    *out = arr;
    *n_out = rc ? 0 : (uint32_t)n;
    return rc;
}

/* Whether two of the n batch attribute indexes in st->tmp share a key. Short
 * lists compare pairwise; long ones use a hash set, so this stays linear. */
static int dup_keys(struct dec *st, size_t n)
{
    const struct pcol_batch *b = st->b;
    size_t i, j, size, mask;
    int32_t key;

    if (n <= 16) {
        for (i = 1; i < n; i++) {
            key = pcol_attr_at(b, st->tmp[i])->key;
            for (j = 0; j < i; j++) {
                if (pcol_attr_at(b, st->tmp[j])->key == key) {
                    goto dup;
                }
            }
        }
        return 0;
    }
    size = 64;
    while (size < 2 * n) {
        size *= 2;
    }
    if (size > st->set_cap) {
        st->set_cap = size;
        st->set = pcol_xrealloc(st->set, size * sizeof(*st->set));
    }
    memset(st->set, 0, size * sizeof(*st->set));
    mask = size - 1;
    for (i = 0; i < n; i++) {
        key = pcol_attr_at(b, st->tmp[i])->key;
        for (j = ((uint32_t)key * 0x9e3779b1u) & mask; st->set[j]; j = (j + 1) & mask) {
            if ((int32_t)(st->set[j] >> 32) == key) {
                j = (size_t)(uint32_t)st->set[j] - 1;
                goto dup;
            }
        }
        st->set[j] = ((uint64_t)(uint32_t)key << 32) | (uint64_t)(i + 1);
    }
    return 0;
dup:
    return fail(st, "attribute_indices[%zu] and [%zu] have the same key \"%.40s\"", j, i,
                pcol_cstr(b, key));
}

/* Maps an attribute_indices list into st->tmp, checking each index and that
 * no two entries share a key. */
static int attr_list(struct dec *st, const int32_t *v, size_t n)
{
    size_t i;
    int rc = check_count(st, "attribute indices", n);

    if (rc) {
        return rc;
    }
    reserve_tmp(st, n);
    for (i = 0; i < n; i++) {
        if (v[i] < 0 || (uint32_t)v[i] >= st->n_attr) {
            return fail(st, "attribute_indices[%zu] = %d out of range (attribute_table has %u "
                        "entries)", i, v[i], st->n_attr);
        }
        st->tmp[i] = st->attr[v[i]];
    }
    return dup_keys(st, n);
}

/* ---- dictionary ---------------------------------------------------------- */

static int zero_entry(struct dec *st, const char *type)
{
    return fail(st, "entry 0 must be the zero value %s{}", type);
}

static int strings_from_pb(struct dec *st, char *const *tab, size_t n)
{
    size_t i;

    at(st, 1, "string_table", 0);
    if (n && tab[0] && tab[0][0]) {
        return fail(st, "must be \"\" (is \"%.40s\")", tab[0]);
    }
    st->str = new_map(n, &st->n_str);
    for (i = 1; i < n; i++) {
        st->str[i] = intern(st, tab[i]);
    }
    return 0;
}

static int functions_from_pb(struct dec *st, PB_P(Function) *const *tab, size_t n)
{
    struct pcol_batch *b = st->b;
    struct pcol_function e;
    size_t i;
    int rc;

    st->fn = new_map(n, &st->n_fn);
    for (i = 0; i < n; i++) {
        const PB_P(Function) *f = tab[i];
        at(st, 1, "function_table", (long)i);
        if (i == 0) {
            if (f->name_strindex || f->system_name_strindex || f->filename_strindex ||
                f->start_line) {
                return zero_entry(st, "Function");
            }
            continue;
        }
        if ((rc = str_idx(st, "name_strindex", f->name_strindex, &e.name)) ||
            (rc = str_idx(st, "system_name_strindex", f->system_name_strindex, &e.system_name)) ||
            (rc = str_idx(st, "filename_strindex", f->filename_strindex, &e.filename))) {
            return rc;
        }
        e.start_line = f->start_line;
        st->fn[i] = pcol_dict_intern(b, &b->dict.functions, &e);
    }
    return 0;
}

static int links_from_pb(struct dec *st, PB_P(Link) *const *tab, size_t n)
{
    uint8_t trace[16], span[8];
    size_t i;

    st->link = new_map(n, &st->n_link);
    for (i = 0; i < n; i++) {
        const PB_P(Link) *l = tab[i];
        at(st, 1, "link_table", (long)i);
        if (l->trace_id.len != 0 && l->trace_id.len != 16) {
            return fail(st, "trace_id is %zu bytes, must be 16 (or empty)", l->trace_id.len);
        }
        if (l->span_id.len != 0 && l->span_id.len != 8) {
            return fail(st, "span_id is %zu bytes, must be 8 (or empty)", l->span_id.len);
        }
        memset(trace, 0, sizeof(trace));
        memset(span, 0, sizeof(span));
        if (l->trace_id.len) {
            memcpy(trace, l->trace_id.data, 16);
        }
        if (l->span_id.len) {
            memcpy(span, l->span_id.data, 8);
        }
        if (i == 0) {
            if (!pcol__all_zero(trace, 16) || !pcol__all_zero(span, 8)) {
                return zero_entry(st, "Link");
            }
            continue;
        }
        st->link[i] = pcol_dict_link(st->b, trace, span);
    }
    return 0;
}

static int attrs_from_pb(struct dec *st, PB_P(KeyValueAndUnit) *const *tab, size_t n)
{
    struct pcol_attr e;
    size_t i;
    int rc;

    st->attr = new_map(n, &st->n_attr);
    for (i = 0; i < n; i++) {
        const PB_P(KeyValueAndUnit) *a = tab[i];
        at(st, 1, "attribute_table", (long)i);
        if (i == 0) {
            if (a->key_strindex || a->unit_strindex ||
                (a->value && a->value->value_case != AV_CASE(_NOT_SET))) {
                return zero_entry(st, "KeyValueAndUnit");
            }
            continue;
        }
        if ((rc = str_idx(st, "key_strindex", a->key_strindex, &e.key)) ||
            (rc = str_idx(st, "unit_strindex", a->unit_strindex, &e.unit)) ||
            (rc = value_from_pb(st, a->value, &e.value, 1))) {
            return rc;
        }
        st->attr[i] = pcol_dict_attr(st->b, e.key, &e.value, e.unit);
    }
    return 0;
}

static int mappings_from_pb(struct dec *st, PB_P(Mapping) *const *tab, size_t n)
{
    struct pcol_batch *b = st->b;
    struct pcol_table *t = &b->dict.mappings;
    struct pcol_mapping e;
    uint32_t before;
    size_t i;
    int rc;

    st->map = new_map(n, &st->n_map);
    for (i = 0; i < n; i++) {
        const PB_P(Mapping) *m = tab[i];
        at(st, 1, "mapping_table", (long)i);
        if (i == 0) {
            if (m->memory_start || m->memory_limit || m->file_offset || m->filename_strindex ||
                m->n_attribute_indices) {
                return zero_entry(st, "Mapping");
            }
            continue;
        }
        if ((rc = str_idx(st, "filename_strindex", m->filename_strindex, &e.filename)) ||
            (rc = attr_list(st, m->attribute_indices, m->n_attribute_indices))) {
            return rc;
        }
        e.memory_start = m->memory_start;
        e.memory_limit = m->memory_limit;
        e.file_offset = m->file_offset;
        e.attrs.v = st->tmp;
        e.attrs.n = (uint32_t)m->n_attribute_indices;
        before = t->n;
        st->map[i] = pcol_dict_intern(b, t, &e);
        if ((uint32_t)st->map[i] == before) {
            /* Appended: the entry still points at scratch; give it its own list. */
            PCOL_TABLE_AT(*t, struct pcol_mapping, before).attrs =
                pcol_ilist_dup(b, e.attrs.v, e.attrs.n);
        }
    }
    return 0;
}

static int lines_from_pb(struct dec *st, const PB_P(Location) *l)
{
    size_t k;
    int rc = check_count(st, "lines", l->n_lines);

    if (rc) {
        return rc;
    }
    if (l->n_lines > st->lines_cap) {
        st->lines_cap = l->n_lines < 16 ? 16 : l->n_lines;
        st->lines = pcol_xrealloc(st->lines, st->lines_cap * sizeof(*st->lines));
    }
    for (k = 0; k < l->n_lines; k++) {
        const PB_P(Line) *ln = l->lines[k];
        at(st, 2, "lines", (long)k);
        /* The dictionary hashes lines as bytes, padding included. */
        memset(&st->lines[k], 0, sizeof(st->lines[k]));
        rc = remap(st, "function_index", ln->function_index, st->fn, st->n_fn, "function_table",
                   &st->lines[k].function);
        if (rc) {
            return rc;
        }
        st->lines[k].line = ln->line;
        st->lines[k].column = ln->column;
    }
    st->depth = 2;
    return 0;
}

static int locations_from_pb(struct dec *st, PB_P(Location) *const *tab, size_t n)
{
    struct pcol_batch *b = st->b;
    struct pcol_table *t = &b->dict.locations;
    struct pcol_location e, *slot;
    uint32_t before;
    size_t i;
    int rc;

    st->loc = new_map(n, &st->n_loc);
    for (i = 0; i < n; i++) {
        const PB_P(Location) *l = tab[i];
        at(st, 1, "location_table", (long)i);
        if (i == 0) {
            if (l->mapping_index || l->address || l->n_lines || l->n_attribute_indices) {
                return zero_entry(st, "Location");
            }
            continue;
        }
        if ((rc = remap(st, "mapping_index", l->mapping_index, st->map, st->n_map,
                        "mapping_table", &e.mapping)) ||
            (rc = lines_from_pb(st, l)) ||
            (rc = attr_list(st, l->attribute_indices, l->n_attribute_indices))) {
            return rc;
        }
        e.address = l->address;
        e.lines = l->n_lines ? st->lines : NULL;
        e.n_lines = (uint32_t)l->n_lines;
        e.attrs.v = st->tmp;
        e.attrs.n = (uint32_t)l->n_attribute_indices;
        before = t->n;
        st->loc[i] = pcol_dict_intern(b, t, &e);
        if ((uint32_t)st->loc[i] == before) {
            slot = &PCOL_TABLE_AT(*t, struct pcol_location, before);
            slot->lines = e.n_lines ? pcol_arena_memdup(b->arena, e.lines,
                                                        e.n_lines * sizeof(*e.lines))
                                    : NULL;
            slot->attrs = pcol_ilist_dup(b, e.attrs.v, e.attrs.n);
        }
    }
    return 0;
}

static int stacks_from_pb(struct dec *st, PB_P(Stack) *const *tab, size_t n)
{
    size_t i, k;
    int rc;

    st->stack = new_map(n, &st->n_stack);
    for (i = 0; i < n; i++) {
        const PB_P(Stack) *s = tab[i];
        at(st, 1, "stack_table", (long)i);
        if (i == 0) {
            if (s->n_location_indices) {
                return zero_entry(st, "Stack");
            }
            continue;
        }
        if ((rc = check_count(st, "location indices", s->n_location_indices))) {
            return rc;
        }
        reserve_tmp(st, s->n_location_indices);
        for (k = 0; k < s->n_location_indices; k++) {
            int32_t v = s->location_indices[k];
            if (v < 0 || (uint32_t)v >= st->n_loc) {
                return fail(st, "location_indices[%zu] = %d out of range (location_table has %u "
                            "entries)", k, v, st->n_loc);
            }
            st->tmp[k] = st->loc[v];
        }
        st->stack[i] = pcol_dict_stack(st->b, st->tmp, (uint32_t)s->n_location_indices);
    }
    return 0;
}

/* Order matters: each table refers only to tables mapped before it. */
static int dict_from_pb(struct dec *st, const PB_P(ProfilesDictionary) *d)
{
    static const PB_P(ProfilesDictionary) empty =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__PROFILES_DICTIONARY__INIT;
    int rc;

    if (!d) {
        d = &empty;
    }
    at(st, 0, "dictionary", -1);
    if ((rc = check_count(st, "strings", d->n_string_table)) ||
        (rc = check_count(st, "functions", d->n_function_table)) ||
        (rc = check_count(st, "links", d->n_link_table)) ||
        (rc = check_count(st, "attributes", d->n_attribute_table)) ||
        (rc = check_count(st, "mappings", d->n_mapping_table)) ||
        (rc = check_count(st, "locations", d->n_location_table)) ||
        (rc = check_count(st, "stacks", d->n_stack_table))) {
        return rc;
    }
    if ((rc = strings_from_pb(st, d->string_table, d->n_string_table)) ||
        (rc = functions_from_pb(st, d->function_table, d->n_function_table)) ||
        (rc = links_from_pb(st, d->link_table, d->n_link_table)) ||
        (rc = attrs_from_pb(st, d->attribute_table, d->n_attribute_table)) ||
        (rc = mappings_from_pb(st, d->mapping_table, d->n_mapping_table)) ||
        (rc = locations_from_pb(st, d->location_table, d->n_location_table)) ||
        (rc = stacks_from_pb(st, d->stack_table, d->n_stack_table))) {
        return rc;
    }
    return 0;
}

/* ---- resource -> scope -> profile -> sample ------------------------------ */

static struct pcol_ilist intern_list(struct dec *st, char *const *v, size_t n)
{
    struct pcol_ilist l = {NULL, (uint32_t)n};
    size_t i;

    if (n) {
        l.v = pcol_arena_alloc(st->b->arena, n * sizeof(int32_t));
        for (i = 0; i < n; i++) {
            l.v[i] = intern(st, v[i]);
        }
    }
    return l;
}

static int resource_fill(struct dec *st, struct pcol_resource *r, const PB_R(Resource) *res,
                         unsigned level)
{
    size_t i;
    int rc;

    if (!res) {
        return 0;
    }
    at(st, level, "resource", -1);
    rc = kvs_from_pb(st, res->attributes, res->n_attributes, level + 1, &r->attrs, &r->n_attrs);
    if (rc) {
        return rc;
    }
    r->dropped_attributes_count = res->dropped_attributes_count;
    at(st, level, "resource", -1);
    if ((rc = check_count(st, "entity_refs", res->n_entity_refs))) {
        return rc;
    }
    r->n_entity_refs = (uint32_t)res->n_entity_refs;
    r->entity_refs = NULL;
    if (res->n_entity_refs) {
        r->entity_refs =
            pcol_arena_calloc(st->b->arena, res->n_entity_refs * sizeof(*r->entity_refs));
    }
    for (i = 0; i < res->n_entity_refs; i++) {
        const PB_R(EntityRef) *pe = res->entity_refs[i];
        struct pcol_entity_ref *e = &r->entity_refs[i];
        at(st, level + 1, "entity_refs", (long)i);
        if ((rc = check_count(st, "id_keys", pe->n_id_keys)) ||
            (rc = check_count(st, "description_keys", pe->n_description_keys))) {
            return rc;
        }
        e->schema_url = intern(st, pe->schema_url);
        e->type = intern(st, pe->type);
        e->id_keys = intern_list(st, pe->id_keys, pe->n_id_keys);
        e->description_keys = intern_list(st, pe->description_keys, pe->n_description_keys);
    }
    return 0;
}

static int scope_fill(struct dec *st, struct pcol_scope *s, const PB_C(InstrumentationScope) *sc,
                      const char *schema_url, unsigned level)
{
    s->schema_url = intern(st, schema_url);
    if (!sc) {
        return 0;
    }
    at(st, level, "scope", -1);
    s->name = intern(st, sc->name);
    s->version = intern(st, sc->version);
    s->dropped_attributes_count = sc->dropped_attributes_count;
    return kvs_from_pb(st, sc->attributes, sc->n_attributes, level + 1, &s->attrs, &s->n_attrs);
}

/* `type` and `unit` name the two fields in error messages. */
static int value_type(struct dec *st, const char *type, const char *unit,
                      const PB_P(ValueType) *vt, struct pcol_value_type *out)
{
    int rc;

    out->type = out->unit = 0;
    if (!vt) {
        return 0;
    }
    if ((rc = str_idx(st, type, vt->type_strindex, &out->type))) {
        return rc;
    }
    return str_idx(st, unit, vt->unit_strindex, &out->unit);
}

static int sample_from_pb(struct dec *st, struct pcol_profile *p, const PB_P(Sample) *ps)
{
    struct pcol_batch *b = st->b;
    struct pcol_sample *s = &p->samples[p->n_samples];
    int rc;

    memset(s, 0, sizeof(*s));
    if ((rc = remap(st, "stack_index", ps->stack_index, st->stack, st->n_stack, "stack_table",
                    &s->stack)) ||
        (rc = remap(st, "link_index", ps->link_index, st->link, st->n_link, "link_table",
                    &s->link)) ||
        (rc = check_count(st, "values", ps->n_values)) ||
        (rc = check_count(st, "timestamps", ps->n_timestamps_unix_nano)) ||
        (rc = attr_list(st, ps->attribute_indices, ps->n_attribute_indices))) {
        return rc;
    }
    if (ps->n_values && ps->n_timestamps_unix_nano &&
        ps->n_values != ps->n_timestamps_unix_nano) {
        return fail(st, "%zu values but %zu timestamps_unix_nano (when both are set they pair up)",
                    ps->n_values, ps->n_timestamps_unix_nano);
    }
    s->attrs = pcol_ilist_dup(b, st->tmp, (uint32_t)ps->n_attribute_indices);
    s->n_values = (uint32_t)ps->n_values;
    s->n_timestamps = (uint32_t)ps->n_timestamps_unix_nano;
    if (st->borrow) {
        s->values = s->n_values ? ps->values : NULL;
        s->timestamps = s->n_timestamps ? ps->timestamps_unix_nano : NULL;
    } else {
        s->values = s->n_values ? pcol_arena_memdup(b->arena, ps->values,
                                                    s->n_values * sizeof(int64_t))
                                : NULL;
        s->timestamps = s->n_timestamps ? pcol_arena_memdup(b->arena, ps->timestamps_unix_nano,
                                                            s->n_timestamps * sizeof(uint64_t))
                                        : NULL;
    }
    p->n_samples++;
    return 0;
}

static int profile_from_pb(struct dec *st, struct pcol_scope *sc, const PB_P(Profile) *pp,
                           unsigned level)
{
    struct pcol_batch *b = st->b;
    struct pcol_profile *p = pcol_scope_add_profile(b, sc);
    size_t i;
    int rc;

    if ((rc = value_type(st, "sample_type.type_strindex", "sample_type.unit_strindex",
                         pp->sample_type, &p->sample_type)) ||
        (rc = value_type(st, "period_type.type_strindex", "period_type.unit_strindex",
                         pp->period_type, &p->period_type)) ||
        (rc = check_count(st, "samples", pp->n_samples)) ||
        (rc = attr_list(st, pp->attribute_indices, pp->n_attribute_indices))) {
        return rc;
    }
    if (pp->profile_id.len != 0 && pp->profile_id.len != 16) {
        return fail(st, "profile_id is %zu bytes, must be 16 (or empty)", pp->profile_id.len);
    }
    p->attrs = pcol_ilist_dup(b, st->tmp, (uint32_t)pp->n_attribute_indices);
    if (pp->profile_id.len) {
        memcpy(p->profile_id, pp->profile_id.data, 16);
    }
    p->time_unix_nano = pp->time_unix_nano;
    p->duration_nano = pp->duration_nano;
    p->period = pp->period;
    p->dropped_attributes_count = pp->dropped_attributes_count;
    p->original_payload_format = intern(st, pp->original_payload_format);
    p->original_payload = bytes_in(st, &pp->original_payload);
    p->original_payload_len = pp->original_payload.len;
    pcol_profile_reserve_samples(b, p, (uint32_t)pp->n_samples);
    for (i = 0; i < pp->n_samples; i++) {
        at(st, level + 1, "samples", (long)i);
        if ((rc = sample_from_pb(st, p, pp->samples[i]))) {
            return rc;
        }
    }
    return 0;
}

static int resource_profiles_from_pb(struct dec *st, const PB_P(ResourceProfiles) *rp, long ri)
{
    struct pcol_resource *r = pcol_batch_add_resource(st->b);
    struct pcol_scope *s;
    size_t j, k;
    int rc;

    at(st, 0, "resource_profiles", ri);
    if ((rc = resource_fill(st, r, rp->resource, 1))) {
        return rc;
    }
    r->schema_url = intern(st, rp->schema_url);
    for (j = 0; j < rp->n_scope_profiles; j++) {
        const PB_P(ScopeProfiles) *sp = rp->scope_profiles[j];
        at(st, 1, "scope_profiles", (long)j);
        s = pcol_resource_add_scope(st->b, r);
        if ((rc = scope_fill(st, s, sp->scope, sp->schema_url, 2))) {
            return rc;
        }
        for (k = 0; k < sp->n_profiles; k++) {
            at(st, 2, "profiles", (long)k);
            if ((rc = profile_from_pb(st, s, sp->profiles[k], 2))) {
                return rc;
            }
        }
    }
    return 0;
}

static void dec_init(struct dec *st, struct pcol_batch *b, bool borrow, struct pcol_err *err)
{
    memset(st, 0, sizeof(*st));
    st->b = b;
    st->borrow = borrow;
    st->err = err;
}

static void dec_free(struct dec *st)
{
    free(st->str);
    free(st->fn);
    free(st->link);
    free(st->attr);
    free(st->map);
    free(st->loc);
    free(st->stack);
    free(st->tmp);
    free(st->lines);
    free(st->set);
}

int pcol__otlp_from_pb(struct pcol_batch *b, const pcol_pb_export_request *req, bool borrow,
                       struct pcol_err *err)
{
    struct dec st;
    size_t i;
    int rc;

    dec_init(&st, b, borrow, err);
    rc = dict_from_pb(&st, req->dictionary);
    for (i = 0; !rc && i < req->n_resource_profiles; i++) {
        rc = resource_profiles_from_pb(&st, req->resource_profiles[i], (long)i);
    }
    dec_free(&st);
    return rc;
}

/* ---- context JSON -------------------------------------------------------- */

int pcol__otlp_context_from_json(struct pcol_batch *b, const char *json, size_t len,
                                 struct pcol_resource *r, struct pcol_scope *s,
                                 struct pcol_err *err)
{
    struct pcol_arena *a = pcol_arena_create(0);
    const PB_P(ResourceProfiles) *rp;
    const PB_P(ScopeProfiles) *sp = NULL;
    ProtobufCMessage *m;
    struct dec st;
    int rc;

    dec_init(&st, b, false, err);
    st.no_dict = true;
    st.str = new_map(0, &st.n_str);
    rc = pcol_pbjson_decode(
        &opentelemetry__proto__profiles__v1development__resource_profiles__descriptor, json, len,
        a, &m, err);
    if (rc) {
        goto out;
    }
    rp = (const PB_P(ResourceProfiles) *)m;
    if (rp->n_scope_profiles > 1) {
        rc = fail(&st, "context JSON holds %zu scopeProfiles, expected one",
                  rp->n_scope_profiles);
        goto out;
    }
    sp = rp->n_scope_profiles ? rp->scope_profiles[0] : NULL;
    if (sp && sp->n_profiles) {
        rc = fail(&st, "context JSON must not hold profiles");
        goto out;
    }
    if ((rc = resource_fill(&st, r, rp->resource, 0))) {
        goto out;
    }
    r->schema_url = intern(&st, rp->schema_url);
    rc = scope_fill(&st, s, sp ? sp->scope : NULL, sp ? sp->schema_url : NULL, 0);
out:
    dec_free(&st);
    pcol_arena_destroy(a);
    return rc;
}
