/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp_decode_dict.c: the second half of the OTLP decoder
 * (codec_otlp_decode.c has the rest): the request's dictionary tables, each
 * entry checked and re-interned into the batch dictionary, filling the
 * per-table remap arrays the samples are then mapped through.
 *
 * Ownership: entries are interned into the caller-owned batch (lists copied
 * into its arena); the remap arrays and scratch belong to the decode state
 * (codec_otlp_decode_internal.h).
 */
#include "codec_otlp_decode_internal.h"

static int zero_entry(struct dec *st, const char *type)
{
    return fail(st, "entry 0 must be the zero value %s{}", type);
}

/* A string table entry for a fresh batch; "" stays index 0. */
static int32_t append_str(struct dec *st, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (!n) {
        return 0;
    }
    if (!st->borrow) {
        s = pcol_arena_strndup(st->b->arena, s, n);
    }
    return pcol_dict_str_append(st->b, s, n);
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
        st->str[i] = st->fresh ? append_str(st, tab[i]) : intern(st, tab[i]);
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
        st->fn[i] = add_entry(st, &b->dict.functions, &e);
    }
    return 0;
}

static int links_from_pb(struct dec *st, PB_P(Link) *const *tab, size_t n)
{
    struct pcol_link e;
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
        memset(&e, 0, sizeof(e));
        if (l->trace_id.len) {
            memcpy(e.trace_id, l->trace_id.data, 16);
        }
        if (l->span_id.len) {
            memcpy(e.span_id, l->span_id.data, 8);
        }
        if (i == 0) {
            if (!pcol__all_zero((const uint8_t *)&e, sizeof(e))) {
                return zero_entry(st, "Link");
            }
            continue;
        }
        st->link[i] = add_entry(st, &st->b->dict.links, &e);
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
            (rc = pcol__otlp_value_from_pb(st, a->value, &e.value, 1))) {
            return rc;
        }
        st->attr[i] = add_entry(st, &st->b->dict.attrs, &e);
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
            (rc = pcol__otlp_attr_list(st, m->attribute_indices, m->n_attribute_indices))) {
            return rc;
        }
        e.memory_start = m->memory_start;
        e.memory_limit = m->memory_limit;
        e.file_offset = m->file_offset;
        e.attrs.v = st->tmp;
        e.attrs.n = (uint32_t)m->n_attribute_indices;
        before = t->n;
        st->map[i] = add_entry(st, t, &e);
        if ((uint32_t)st->map[i] == before) {
            /* Appended: the entry still points at scratch; give it its own list. */
            PCOL_TABLE_AT(*t, struct pcol_mapping, before).attrs =
                pcol_ilist_dup(b, e.attrs.v, e.attrs.n);
        }
    }
    return 0;
}

static int lines_from_pb(struct dec *st, const PB_P(Location) * l)
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
        if ((rc = remap(st, "mapping_index", l->mapping_index, st->map, st->n_map, "mapping_table",
                        &e.mapping)) ||
            (rc = lines_from_pb(st, l)) ||
            (rc = pcol__otlp_attr_list(st, l->attribute_indices, l->n_attribute_indices))) {
            return rc;
        }
        e.address = l->address;
        e.lines = l->n_lines ? st->lines : NULL;
        e.n_lines = (uint32_t)l->n_lines;
        e.attrs.v = st->tmp;
        e.attrs.n = (uint32_t)l->n_attribute_indices;
        before = t->n;
        st->loc[i] = add_entry(st, t, &e);
        if ((uint32_t)st->loc[i] == before) {
            slot = &PCOL_TABLE_AT(*t, struct pcol_location, before);
            slot->lines = e.n_lines
                              ? pcol_arena_memdup(b->arena, e.lines, e.n_lines * sizeof(*e.lines))
                              : NULL;
            slot->attrs = pcol_ilist_dup(b, e.attrs.v, e.attrs.n);
        }
    }
    return 0;
}

static int stacks_from_pb(struct dec *st, PB_P(Stack) *const *tab, size_t n)
{
    struct pcol_stack e;
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
                return fail(st,
                            "location_indices[%zu] = %d out of range (location_table has %u "
                            "entries)",
                            k, v, st->n_loc);
            }
            st->tmp[k] = st->loc[v];
        }
        if (st->fresh) {
            e.locations = pcol_ilist_dup(st->b, st->tmp, (uint32_t)s->n_location_indices);
            st->stack[i] = pcol_dict_append(st->b, &st->b->dict.stacks, &e);
        } else {
            st->stack[i] = pcol_dict_stack(st->b, st->tmp, (uint32_t)s->n_location_indices);
        }
    }
    return 0;
}

static bool is_fresh(const struct pcol_dict *t)
{
    return t->strings.n == 1 && t->mappings.n == 1 && t->locations.n == 1 && t->functions.n == 1 &&
           t->links.n == 1 && t->attrs.n == 1 && t->stacks.n == 1;
}

/* Sizes a fresh batch's tables once (strings: room for the few the
 * resources and scopes add). */
static void reserve(struct dec *st, const PB_P(ProfilesDictionary) * d)
{
    struct pcol_batch *b = st->b;

    pcol_dict_reserve(b, &b->dict.strings, (uint32_t)d->n_string_table + 16);
    pcol_dict_reserve(b, &b->dict.functions, (uint32_t)d->n_function_table);
    pcol_dict_reserve(b, &b->dict.links, (uint32_t)d->n_link_table);
    pcol_dict_reserve(b, &b->dict.attrs, (uint32_t)d->n_attribute_table);
    pcol_dict_reserve(b, &b->dict.mappings, (uint32_t)d->n_mapping_table);
    pcol_dict_reserve(b, &b->dict.locations, (uint32_t)d->n_location_table);
    pcol_dict_reserve(b, &b->dict.stacks, (uint32_t)d->n_stack_table);
}

/* Order matters: each table refers only to tables mapped before it. */
int pcol__otlp_dict_from_pb(struct dec *st, const PB_P(ProfilesDictionary) * d)
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
    st->fresh = is_fresh(&st->b->dict);
    if (st->fresh) {
        reserve(st, d);
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
