/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_pprof_encode.c: the model -> pprof, following docs/conversion.md.
 * Part of the pprof codec with codec_pprof_decode*.c; only the codec_pprof_*.c files
 * know the pprof wire types.
 *
 * The batch is borrowed and never changed. Each pprof is built as protobuf-c
 * structs in a scratch arena that dies after its emit callback returns;
 * strings point into the batch. Batch index -> pprof id maps are arrays
 * stamped with a group number, so they are O(1) and need no clearing
 * between groups.
 */
#include "codec_otlp_internal.h"
#include "codec_pprof.h"
#include "compress.h"

#include "pprof/profile.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT_PREFIX "otel.resource_profiles "
#define COMMENT_KEY "pprof.profile.comment"

struct stamp {
    uint32_t gen;
    uint32_t id;
};

/* A batch entry's pprof form within the current group. */
struct cached {
    uint32_t gen;
    uint32_t n;
    bool dropped; /* an attribute pprof cannot express */
    void *v;      /* uint64_t location ids (stacks) or Label pointers (attrs, links) */
};

struct enc {
    const struct pcol_batch *b;
    bool gzip, use_original;
    int gzip_level;
    pcol_pprof_emit_cb emit;
    void *ctx;
    uint32_t gen;
    struct stamp *str, *map, *loc, *fn;
    struct cached *stacks, *attrs, *links;
    struct pcol_buf packed, zipped;
    /* the pprof being built */
    struct pcol_arena *a;
    Perftools__Profiles__Profile out;
    size_t cap_strings;
    int64_t s_true, s_false, s_empty, s_trace, s_span; /* 0 until written */
    struct pcol_pprof_meta meta;
};

/* One group of profiles that becomes one pprof. */
struct group {
    const struct pcol_profile *first; /* the group's first profile in the scope */
    const struct pcol_profile **prof; /* in pprof sample type order */
    uint32_t n;
    bool no_types;        /* a pprof that had no sample types */
    int32_t default_type; /* batch string index, 0 = not set */
    const char *context;  /* OTel context comment, or NULL */
};

/* ---- strings ------------------------------------------------------------- */

static bool key_is(const struct pcol_batch *b, int32_t key, const char *name)
{
    return strcmp(pcol_cstr(b, key), name) == 0;
}

static int64_t push_str(struct enc *e, const char *s)
{
    e->out.string_table[e->out.n_string_table] = (char *)s;
    return (int64_t)e->out.n_string_table++;
}

/* pprof index of batch string `i`; "" is always index 0. */
static int64_t bstr(struct enc *e, int32_t i)
{
    struct stamp *st = &e->str[i];
    const char *s = pcol_cstr(e->b, i);

    if (st->gen != e->gen) {
        st->gen = e->gen;
        st->id = *s ? (uint32_t)push_str(e, s) : 0;
    }
    return st->id;
}

/* A string that is not in the batch, written once per pprof. */
static int64_t fixed_str(struct enc *e, int64_t *slot, const char *s)
{
    if (!*slot) {
        *slot = push_str(e, s);
    }
    return *slot;
}

/* ---- dictionary entries, written on first use ----------------------------- */

static uint64_t function_id(struct enc *e, int32_t fi)
{
    const struct pcol_function *f = pcol_function_at(e->b, fi);
    Perftools__Profiles__Function *pf;
    struct stamp *st = &e->fn[fi];

    if (st->gen == e->gen) {
        return st->id;
    }
    pf = pcol_arena_alloc(e->a, sizeof(*pf));
    perftools__profiles__function__init(pf);
    e->out.function[e->out.n_function++] = pf;
    pf->id = e->out.n_function;
    pf->name = bstr(e, f->name);
    pf->system_name = bstr(e, f->system_name);
    pf->filename = bstr(e, f->filename);
    pf->start_line = f->start_line;
    st->gen = e->gen;
    st->id = (uint32_t)pf->id;
    return pf->id;
}

static void mapping_attr(struct enc *e, Perftools__Profiles__Mapping *pm, int32_t ai)
{
    static const char *const flags[] = {
        "pprof.mapping.has_functions", "pprof.mapping.has_filenames",
        "pprof.mapping.has_line_numbers", "pprof.mapping.has_inline_frames"};
    protobuf_c_boolean *fields[] = {&pm->has_functions, &pm->has_filenames, &pm->has_line_numbers,
                                    &pm->has_inline_frames};
    const struct pcol_attr *a = pcol_attr_at(e->b, ai);
    size_t k;

    if (a->value.kind == PCOL_VAL_STR && key_is(e->b, a->key, "process.executable.build_id.gnu")) {
        pm->build_id = bstr(e, a->value.u.str);
        return;
    }
    for (k = 0; k < PCOL_ARRAY_SIZE(flags) && a->value.kind == PCOL_VAL_BOOL; k++) {
        if (key_is(e->b, a->key, flags[k])) {
            *fields[k] = a->value.u.b;
            return;
        }
    }
    e->meta.dropped_attributes++;
}

static uint64_t mapping_id(struct enc *e, int32_t mi)
{
    const struct pcol_mapping *m = pcol_mapping_at(e->b, mi);
    Perftools__Profiles__Mapping *pm;
    struct stamp *st = &e->map[mi];
    uint32_t k;

    if (st->gen == e->gen) {
        return st->id;
    }
    pm = pcol_arena_alloc(e->a, sizeof(*pm));
    perftools__profiles__mapping__init(pm);
    e->out.mapping[e->out.n_mapping++] = pm;
    pm->id = e->out.n_mapping;
    pm->memory_start = m->memory_start;
    pm->memory_limit = m->memory_limit;
    pm->file_offset = m->file_offset;
    pm->filename = bstr(e, m->filename);
    for (k = 0; k < m->attrs.n; k++) {
        mapping_attr(e, pm, m->attrs.v[k]);
    }
    st->gen = e->gen;
    st->id = (uint32_t)pm->id;
    return pm->id;
}

static uint64_t location_id(struct enc *e, int32_t li)
{
    const struct pcol_location *l = pcol_location_at(e->b, li);
    Perftools__Profiles__Location *pl;
    Perftools__Profiles__Line *lines;
    struct stamp *st = &e->loc[li];
    uint32_t k;

    if (st->gen == e->gen) {
        return st->id;
    }
    pl = pcol_arena_alloc(e->a, sizeof(*pl));
    perftools__profiles__location__init(pl);
    e->out.location[e->out.n_location++] = pl;
    pl->id = e->out.n_location;
    st->gen = e->gen;
    st->id = (uint32_t)pl->id;
    pl->mapping_id = l->mapping ? mapping_id(e, l->mapping) : 0;
    pl->address = l->address;
    if (l->n_lines) {
        pl->n_line = l->n_lines;
        pl->line = pcol_arena_alloc(e->a, l->n_lines * sizeof(*pl->line));
        lines = pcol_arena_alloc(e->a, l->n_lines * sizeof(*lines));
        for (k = 0; k < l->n_lines; k++) {
            perftools__profiles__line__init(&lines[k]);
            /* Index 0 is the empty Function{}; pprof readers reject a line
             * without a function, so it is written as an empty function. */
            lines[k].function_id = function_id(e, l->lines[k].function);
            lines[k].line = l->lines[k].line;
            lines[k].column = l->lines[k].column;
            pl->line[k] = &lines[k];
        }
    }
    for (k = 0; k < l->attrs.n; k++) {
        const struct pcol_attr *a = pcol_attr_at(e->b, l->attrs.v[k]);
        if (a->value.kind == PCOL_VAL_BOOL && key_is(e->b, a->key, "pprof.location.is_folded")) {
            pl->is_folded = a->value.u.b;
        } else {
            e->meta.dropped_attributes++;
        }
    }
    return pl->id;
}

static const struct cached *stack_ids(struct enc *e, int32_t si)
{
    const struct pcol_stack *s = pcol_stack_at(e->b, si);
    struct cached *c = &e->stacks[si];
    uint64_t *ids;
    uint32_t k;

    if (c->gen == e->gen) {
        return c;
    }
    ids = s->locations.n ? pcol_arena_alloc(e->a, s->locations.n * sizeof(*ids)) : NULL;
    for (k = 0; k < s->locations.n; k++) {
        ids[k] = location_id(e, s->locations.v[k]);
    }
    *c = (struct cached){e->gen, s->locations.n, false, ids};
    return c;
}

/* ---- labels -------------------------------------------------------------- */

static Perftools__Profiles__Label *new_label(struct enc *e, int64_t key)
{
    Perftools__Profiles__Label *l = pcol_arena_alloc(e->a, sizeof(*l));

    perftools__profiles__label__init(l);
    l->key = key;
    return l;
}

/* One attribute value as a label, or NULL when pprof cannot carry it. */
static Perftools__Profiles__Label *value_label(struct enc *e, int64_t key,
                                               const struct pcol_value *v, int32_t unit)
{
    Perftools__Profiles__Label *l;

    switch (v->kind) {
    case PCOL_VAL_STR:
        l = new_label(e, key);
        /* str 0 would read back as a numeric label, so "" gets its own slot. */
        l->str = v->u.str ? bstr(e, v->u.str) : 0;
        l->str = l->str ? l->str : fixed_str(e, &e->s_empty, "");
        return l;
    case PCOL_VAL_INT:
        l = new_label(e, key);
        l->num = v->u.i;
        l->num_unit = bstr(e, unit);
        return l;
    case PCOL_VAL_BOOL:
        l = new_label(e, key);
        l->str = v->u.b ? fixed_str(e, &e->s_true, "true") : fixed_str(e, &e->s_false, "false");
        return l;
    case PCOL_VAL_DOUBLE:
        l = new_label(e, key);
        l->str = push_str(e, pcol_arena_sprintf(e->a, "%.17g", v->u.d));
        return l;
    default: return NULL;
    }
}

/* Arrays of strings or of ints become one label per element. */
static bool labelable_array(const struct pcol_value *v)
{
    uint32_t k;

    if (!v->n || (v->u.array[0].kind != PCOL_VAL_STR && v->u.array[0].kind != PCOL_VAL_INT)) {
        return false;
    }
    for (k = 1; k < v->n; k++) {
        if (v->u.array[k].kind != v->u.array[0].kind) {
            return false;
        }
    }
    return true;
}

static const struct cached *attr_labels(struct enc *e, int32_t ai)
{
    const struct pcol_attr *a = pcol_attr_at(e->b, ai);
    struct cached *c = &e->attrs[ai];
    Perftools__Profiles__Label **labels;
    int64_t key;
    uint32_t k;

    if (c->gen == e->gen) {
        return c;
    }
    *c = (struct cached){e->gen, 0, true, NULL};
    key = bstr(e, a->key);
    if (a->value.kind == PCOL_VAL_ARRAY) {
        if (labelable_array(&a->value)) {
            labels = pcol_arena_alloc(e->a, a->value.n * sizeof(*labels));
            for (k = 0; k < a->value.n; k++) {
                labels[k] = value_label(e, key, &a->value.u.array[k], a->unit);
            }
            *c = (struct cached){e->gen, a->value.n, false, labels};
        }
        return c;
    }
    labels = pcol_arena_alloc(e->a, sizeof(*labels));
    if ((labels[0] = value_label(e, key, &a->value, a->unit)) != NULL) {
        *c = (struct cached){e->gen, 1, false, labels};
    }
    return c;
}

static char *hex(struct enc *e, const uint8_t *p, size_t n)
{
    char *s = pcol_arena_alloc(e->a, 2 * n + 1);

    pcol_hex_encode(s, p, n);
    s[2 * n] = '\0';
    return s;
}

/* A Link becomes the string labels trace_id and span_id. */
static const struct cached *link_labels(struct enc *e, int32_t li)
{
    const struct pcol_link *k = pcol_link_at(e->b, li);
    struct cached *c = &e->links[li];
    Perftools__Profiles__Label **labels;

    if (c->gen == e->gen) {
        return c;
    }
    labels = pcol_arena_alloc(e->a, 2 * sizeof(*labels));
    labels[0] = new_label(e, fixed_str(e, &e->s_trace, "trace_id"));
    labels[0]->str = push_str(e, hex(e, k->trace_id, sizeof(k->trace_id)));
    labels[1] = new_label(e, fixed_str(e, &e->s_span, "span_id"));
    labels[1]->str = push_str(e, hex(e, k->span_id, sizeof(k->span_id)));
    *c = (struct cached){e->gen, 2, false, labels};
    return c;
}

static void sample_labels(struct enc *e, Perftools__Profiles__Sample *ps,
                          const struct pcol_sample *s)
{
    const struct cached *lk = s->link ? link_labels(e, s->link) : NULL;
    size_t n = lk ? lk->n : 0, k;
    uint32_t i;

    for (i = 0; i < s->attrs.n; i++) {
        n += attr_labels(e, s->attrs.v[i])->n;
    }
    if (!n) {
        return;
    }
    ps->label = pcol_arena_alloc(e->a, n * sizeof(*ps->label));
    for (i = 0; i < s->attrs.n; i++) {
        const struct cached *c = attr_labels(e, s->attrs.v[i]);
        e->meta.dropped_attributes += c->dropped;
        for (k = 0; k < c->n; k++) {
            ps->label[ps->n_label++] = ((Perftools__Profiles__Label **)c->v)[k];
        }
    }
    for (k = 0; lk && k < lk->n; k++) {
        ps->label[ps->n_label++] = ((Perftools__Profiles__Label **)lk->v)[k];
    }
}

/* ---- samples ------------------------------------------------------------- */

/* pprof samples one OTLP sample becomes when its profile stands alone:
 * one per value, or one counting the timestamps. */
static uint32_t n_outputs(const struct pcol_sample *s)
{
    return s->n_values ? s->n_values : 1;
}

static int64_t output_value(const struct pcol_sample *s, uint32_t k)
{
    return s->n_values ? s->values[k] : (int64_t)s->n_timestamps;
}

static void add_samples(struct enc *e, const struct group *g)
{
    const struct pcol_profile *p0 = g->prof[0];
    Perftools__Profiles__Sample *ps;
    size_t total = 0, o = 0;
    int64_t *vals;
    uint32_t j, k, t;

    for (j = 0; j < p0->n_samples; j++) {
        total += g->n > 1 ? 1 : n_outputs(&p0->samples[j]);
    }
    if (!total) {
        return;
    }
    e->out.sample = pcol_arena_alloc(e->a, total * sizeof(*e->out.sample));
    ps = pcol_arena_alloc(e->a, total * sizeof(*ps));
    vals = pcol_arena_alloc(e->a, total * g->n * sizeof(*vals));
    for (j = 0; j < p0->n_samples; j++) {
        const struct pcol_sample *s = &p0->samples[j];
        const struct cached *st = stack_ids(e, s->stack);
        uint32_t outs = g->n > 1 ? 1 : n_outputs(s);

        if (g->n == 1) {
            e->meta.dropped_timestamps += s->n_timestamps;
        }
        for (k = 0; k < outs; k++, o++) {
            perftools__profiles__sample__init(&ps[o]);
            ps[o].n_location_id = st->n;
            ps[o].location_id = st->v;
            ps[o].n_value = g->n;
            ps[o].value = &vals[o * g->n];
            for (t = 0; t < g->n; t++) {
                ps[o].value[t] = g->n > 1 ? g->prof[t]->samples[j].values[0] : output_value(s, k);
            }
            if (k == 0) {
                sample_labels(e, &ps[o], s);
            } else {
                ps[o].n_label = ps[o - 1].n_label;
                ps[o].label = ps[o - 1].label;
            }
            e->out.sample[o] = &ps[o];
        }
    }
    e->out.n_sample = total;
}

/* ---- profile fields ------------------------------------------------------ */

struct numbered {
    uint64_t n;
    size_t pos;
    int64_t str;
};

static int cmp_numbered(const void *x, const void *y)
{
    const struct numbered *a = x, *b = y;

    if (a->n != b->n) {
        return a->n < b->n ? -1 : 1;
    }
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The contrib form `pprof.profile.comment.<n>`: returns true and sets *n. */
static bool numbered_comment(const char *key, uint64_t *n)
{
    size_t len = strlen(COMMENT_KEY);
    const char *p = key + len + 1;

    if (strncmp(key, COMMENT_KEY ".", len + 1) != 0 || !*p) {
        return false;
    }
    for (*n = 0; *p; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        *n = *n * 10 + (uint64_t)(*p - '0');
    }
    return true;
}

static bool string_array(const struct pcol_value *v)
{
    uint32_t k;

    if (v->kind != PCOL_VAL_ARRAY) {
        return false;
    }
    for (k = 0; k < v->n; k++) {
        if (v->u.array[k].kind != PCOL_VAL_STR) {
            return false;
        }
    }
    return true;
}

/* Profile attributes -> drop/keep frames, doc_url and comments; the OTel
 * context comment, if any, goes last. */
static void profile_attrs(struct enc *e, const struct pcol_profile *p, const char *context)
{
    Perftools__Profiles__Profile *out = &e->out;
    struct numbered *numbered = pcol_arena_alloc(e->a, (p->attrs.n + 1) * sizeof(*numbered));
    size_t n_numbered = 0, cap = 1, i;
    uint32_t k, j;
    uint64_t num;

    for (k = 0; k < p->attrs.n; k++) {
        const struct pcol_attr *a = pcol_attr_at(e->b, p->attrs.v[k]);
        cap += a->value.kind == PCOL_VAL_ARRAY ? a->value.n : 1;
    }
    out->comment = pcol_arena_alloc(e->a, cap * sizeof(*out->comment));
    for (k = 0; k < p->attrs.n; k++) {
        const struct pcol_attr *a = pcol_attr_at(e->b, p->attrs.v[k]);
        const char *key = pcol_cstr(e->b, a->key);
        bool str = a->value.kind == PCOL_VAL_STR;

        if (str && strcmp(key, "pprof.profile.drop_frames") == 0) {
            out->drop_frames = bstr(e, a->value.u.str);
        } else if (str && strcmp(key, "pprof.profile.keep_frames") == 0) {
            out->keep_frames = bstr(e, a->value.u.str);
        } else if (str && strcmp(key, "pprof.profile.doc_url") == 0) {
            out->doc_url = bstr(e, a->value.u.str);
        } else if (str && numbered_comment(key, &num)) {
            numbered[n_numbered] = (struct numbered){num, n_numbered, bstr(e, a->value.u.str)};
            n_numbered++;
        } else if (strcmp(key, COMMENT_KEY) == 0 && string_array(&a->value)) {
            for (j = 0; j < a->value.n; j++) {
                out->comment[out->n_comment++] = bstr(e, a->value.u.array[j].u.str);
            }
        } else {
            e->meta.dropped_attributes++;
        }
    }
    qsort(numbered, n_numbered, sizeof(*numbered), cmp_numbered);
    for (i = 0; i < n_numbered; i++) {
        out->comment[out->n_comment++] = numbered[i].str;
    }
    if (context) {
        out->comment[out->n_comment++] = push_str(e, context);
    }
}

static Perftools__Profiles__ValueType *value_type(struct enc *e, struct pcol_value_type vt)
{
    Perftools__Profiles__ValueType *v = pcol_arena_alloc(e->a, sizeof(*v));

    perftools__profiles__value_type__init(v);
    v->type = bstr(e, vt.type);
    v->unit = bstr(e, vt.unit);
    return v;
}

static void profile_fields(struct enc *e, const struct group *g)
{
    const struct pcol_profile *p0 = g->prof[0];
    Perftools__Profiles__Profile *out = &e->out;
    uint32_t t;

    if (!g->no_types) {
        out->n_sample_type = g->n;
        out->sample_type = pcol_arena_alloc(e->a, g->n * sizeof(*out->sample_type));
        for (t = 0; t < g->n; t++) {
            out->sample_type[t] = value_type(e, g->prof[t]->sample_type);
        }
    }
    out->time_nanos = (int64_t)p0->time_unix_nano;
    out->duration_nanos = (int64_t)p0->duration_nano;
    out->period = p0->period;
    if (p0->period_type.type || p0->period_type.unit) {
        out->period_type = value_type(e, p0->period_type);
    }
    out->default_sample_type = g->default_type ? bstr(e, g->default_type) : 0;
    profile_attrs(e, p0, g->context);
}

/* ---- one pprof ------------------------------------------------------------ */

static void begin(struct enc *e)
{
    const struct pcol_dict *d = &e->b->dict;

    e->gen++;
    e->a = pcol_arena_create(0);
    perftools__profiles__profile__init(&e->out);
    e->cap_strings = (size_t)d->strings.n + 2 * (size_t)d->links.n + d->attrs.n + 8;
    e->out.string_table = pcol_arena_alloc(e->a, e->cap_strings * sizeof(char *));
    e->out.string_table[e->out.n_string_table++] = (char *)"";
    e->out.mapping = pcol_arena_alloc(e->a, d->mappings.n * sizeof(*e->out.mapping));
    e->out.location = pcol_arena_alloc(e->a, d->locations.n * sizeof(*e->out.location));
    e->out.function = pcol_arena_alloc(e->a, d->functions.n * sizeof(*e->out.function));
    e->s_true = e->s_false = e->s_empty = e->s_trace = e->s_span = 0;
    e->meta.dropped_attributes = 0;
    e->meta.dropped_timestamps = 0;
}

static int finish(struct enc *e)
{
    const struct pcol_buf *data = &e->packed;
    size_t n = perftools__profiles__profile__get_packed_size(&e->out);

    e->packed.len = 0;
    pcol_buf_reserve(&e->packed, n);
    e->packed.len = perftools__profiles__profile__pack(&e->out, e->packed.p);
    if (e->gzip) {
        e->zipped.len = 0;
        pcol_compress(PCOL_ENC_GZIP, e->gzip_level, e->packed.p, e->packed.len, &e->zipped);
        data = &e->zipped;
    }
    return e->emit(e->ctx, &e->meta, data->p, data->len);
}

static int encode_group(struct enc *e, const struct group *g)
{
    const struct pcol_profile *p0 = g->first;
    int rc;

    e->meta.n_profiles = g->n;
    e->meta.time_unix_nano = p0->time_unix_nano;
    if (e->use_original && p0->original_payload_len &&
        strcmp(pcol_cstr(e->b, p0->original_payload_format), "pprof") == 0) {
        e->meta.dropped_attributes = 0;
        e->meta.dropped_timestamps = 0;
        return e->emit(e->ctx, &e->meta, p0->original_payload, p0->original_payload_len);
    }
    begin(e);
    profile_fields(e, g);
    add_samples(e, g);
    rc = finish(e);
    pcol_arena_destroy(e->a);
    e->a = NULL;
    return rc;
}

/* ---- grouping ------------------------------------------------------------ */

static bool single_values(const struct pcol_profile *p)
{
    uint32_t j;

    for (j = 0; j < p->n_samples; j++) {
        if (p->samples[j].n_values != 1 || p->samples[j].n_timestamps) {
            return false;
        }
    }
    return true;
}

static bool ilist_same(struct pcol_ilist a, struct pcol_ilist b)
{
    return a.n == b.n && (a.v == b.v || !a.n || memcmp(a.v, b.v, a.n * sizeof(*a.v)) == 0);
}

/* Both profiles hold single-value samples (checked by the caller). */
static bool lines_up(const struct pcol_profile *a, const struct pcol_profile *b)
{
    uint32_t j;

    if (a->n_samples != b->n_samples || a->time_unix_nano != b->time_unix_nano ||
        a->duration_nano != b->duration_nano || a->period != b->period ||
        a->period_type.type != b->period_type.type || a->period_type.unit != b->period_type.unit ||
        !ilist_same(a->attrs, b->attrs)) {
        return false;
    }
    for (j = 0; j < a->n_samples; j++) {
        const struct pcol_sample *x = &a->samples[j], *y = &b->samples[j];
        if (x->stack != y->stack || x->link != y->link || !ilist_same(x->attrs, y->attrs)) {
            return false;
        }
    }
    return true;
}

static const struct pcol_value *scope_attr(const struct pcol_batch *b, const struct pcol_scope *s,
                                           const char *key)
{
    uint32_t i;

    for (i = 0; i < s->n_attrs; i++) {
        if (key_is(b, s->attrs[i].key, key)) {
            return &s->attrs[i].value;
        }
    }
    return NULL;
}

/* Puts a whole-scope group back in its original pprof order when the scope
 * says what it was; returns false if it cannot. */
static bool restore_order(const struct pcol_batch *b, const struct pcol_scope *s, struct group *g)
{
    const struct pcol_value *v = scope_attr(b, s, "pprof.scope.sample_type_order");
    const struct pcol_value *def = scope_attr(b, s, "pprof.scope.default_sample_type");
    uint32_t i;

    if (!v || v->kind != PCOL_VAL_ARRAY) {
        return false;
    }
    if (v->n == 0) {
        g->prof[0] = &s->profiles[0];
        g->no_types = g->n == 1 && !s->profiles[0].n_samples && !s->profiles[0].sample_type.type &&
                      !s->profiles[0].sample_type.unit;
        return g->no_types;
    }
    if (v->n != g->n) {
        return false;
    }
    for (i = 0; i < g->n; i++) {
        g->prof[i] = NULL;
    }
    for (i = 0; i < g->n; i++) {
        const struct pcol_value *o = &v->u.array[i];
        if (o->kind != PCOL_VAL_INT || o->u.i < 0 || o->u.i >= g->n || g->prof[o->u.i]) {
            return false;
        }
        g->prof[o->u.i] = &s->profiles[i];
    }
    g->default_type = def && def->kind == PCOL_VAL_STR ? def->u.str : 0;
    return true;
}

static void order_group(const struct pcol_batch *b, const struct pcol_scope *s,
                        const uint32_t *members, struct group *g)
{
    uint32_t i;

    g->first = &s->profiles[members[0]];
    g->no_types = false;
    g->default_type = 0;
    if (g->n == s->n_profiles && restore_order(b, s, g)) {
        return;
    }
    for (i = 0; i < g->n; i++) {
        g->prof[i] = &s->profiles[members[i]];
    }
    /* OTel's default is the first profile, pprof's the last type: say so. */
    g->default_type = g->n > 1 ? g->prof[0]->sample_type.type : 0;
}

/* ---- OTel context -------------------------------------------------------- */

static bool is_pprof_scope_key(const struct pcol_batch *b, int32_t key)
{
    return key_is(b, key, "pprof.scope.sample_type_order") ||
           key_is(b, key, "pprof.scope.default_sample_type");
}

/* The resource and scope as one comment line, if they carry anything pprof
 * has no field for. Fills `out` (NUL-terminated) and returns it, or NULL. */
static const char *context_comment(const struct pcol_batch *b, const struct pcol_resource *r,
                                   const struct pcol_scope *s, struct pcol_buf *out)
{
    struct pcol_scope copy = *s;
    struct pcol_kv *kv = pcol_xmalloc((s->n_attrs + 1) * sizeof(*kv));
    uint32_t i;

    copy.n_attrs = 0;
    for (i = 0; i < s->n_attrs; i++) {
        if (!is_pprof_scope_key(b, s->attrs[i].key)) {
            kv[copy.n_attrs++] = s->attrs[i];
        }
    }
    copy.attrs = kv;
    copy.profiles = NULL;
    copy.n_profiles = copy.cap_profiles = 0;
    if (!r->n_attrs && !r->n_entity_refs && !r->dropped_attributes_count && !r->schema_url &&
        !s->name && !s->version && !s->schema_url && !s->dropped_attributes_count &&
        !copy.n_attrs) {
        free(kv);
        return NULL;
    }
    out->len = 0;
    pcol_buf_puts(out, CONTEXT_PREFIX);
    pcol__otlp_context_to_json(b, r, &copy, out);
    pcol_buf_putc(out, '\0');
    free(kv);
    return (const char *)out->p;
}

static int encode_scope(struct enc *e, uint32_t ri, uint32_t si)
{
    const struct pcol_resource *r = &e->b->resources[ri];
    const struct pcol_scope *s = &r->scopes[si];
    uint32_t n = s->n_profiles, i, j;
    uint32_t *members = pcol_xmalloc((n + 1) * sizeof(*members));
    bool *used = pcol_xcalloc(n + 1, sizeof(*used));
    bool *single = pcol_xmalloc((n + 1) * sizeof(*single));
    struct pcol_buf context = {NULL, 0, 0};
    struct group g = {NULL, pcol_xmalloc((n + 1) * sizeof(*g.prof)), 0, false, 0, NULL};
    int rc = 0;

    g.context = context_comment(e->b, r, s, &context);
    for (i = 0; i < n; i++) {
        single[i] = single_values(&s->profiles[i]);
    }
    for (i = 0; i < n && !rc; i++) {
        if (used[i]) {
            continue;
        }
        g.n = 0;
        members[g.n++] = i;
        for (j = i + 1; single[i] && j < n; j++) {
            if (!used[j] && single[j] && lines_up(&s->profiles[i], &s->profiles[j])) {
                members[g.n++] = j;
                used[j] = true;
            }
        }
        order_group(e->b, s, members, &g);
        e->meta.resource = ri;
        e->meta.scope = si;
        e->meta.first_profile = i;
        rc = encode_group(e, &g);
    }
    pcol_buf_free(&context);
    free(g.prof);
    free(single);
    free(used);
    free(members);
    return rc;
}

int pcol_pprof_encode(const struct pcol_batch *b, const struct pcol_pprof_encode_opts *opts,
                      pcol_pprof_emit_cb emit, void *ctx, struct pcol_err *err)
{
    const struct pcol_dict *d = &b->dict;
    struct enc e;
    uint32_t ri, si;
    int rc = 0;

    PCOL_UNUSED(err);
    memset(&e, 0, sizeof(e));
    e.b = b;
    e.gzip = opts && opts->gzip;
    e.gzip_level = opts ? opts->gzip_level : 0;
    e.use_original = opts && opts->use_original;
    e.emit = emit;
    e.ctx = ctx;
    e.str = pcol_xcalloc(d->strings.n, sizeof(*e.str));
    e.map = pcol_xcalloc(d->mappings.n, sizeof(*e.map));
    e.loc = pcol_xcalloc(d->locations.n, sizeof(*e.loc));
    e.fn = pcol_xcalloc(d->functions.n, sizeof(*e.fn));
    e.stacks = pcol_xcalloc(d->stacks.n, sizeof(*e.stacks));
    e.attrs = pcol_xcalloc(d->attrs.n, sizeof(*e.attrs));
    e.links = pcol_xcalloc(d->links.n, sizeof(*e.links));
    for (ri = 0; ri < b->n_resources && !rc; ri++) {
        for (si = 0; si < b->resources[ri].n_scopes && !rc; si++) {
            rc = encode_scope(&e, ri, si);
        }
    }
    pcol_buf_free(&e.packed);
    pcol_buf_free(&e.zipped);
    free(e.str);
    free(e.map);
    free(e.loc);
    free(e.fn);
    free(e.stacks);
    free(e.attrs);
    free(e.links);
    return rc;
}
