/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_pprof_decode_samples.c: the second half of the pprof decoder
 * (codec_pprof_decode.c has the first): every pprof sample becomes a stack,
 * a link and attributes (labels grouped by key), then the resource, scope and
 * one OTLP profile per sample type receive them, with the profile-level pprof
 * fields as attributes and any OTel context from a comment.
 *
 * Ownership: everything built lives in the batch arena; the per-call scratch
 * it uses belongs to the decode state (codec_pprof_internal.h).
 */
#include "codec_pprof_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT_PREFIX "otel.resource_profiles "

/* ---- samples ------------------------------------------------------------- */

static int32_t *scratch(struct dec *d, size_t n)
{
    if (n > d->n_scratch) {
        d->scratch = pcol_xrealloc(d->scratch, n * sizeof(int32_t));
        d->n_scratch = n;
    }
    return d->scratch;
}

static bool parse_hex(const char *s, uint8_t *out, size_t n)
{
    size_t i;

    if (strlen(s) != 2 * n) {
        return false;
    }
    for (i = 0; i < 2 * n; i++) {
        int v = s[i] >= 'A' && s[i] <= 'F' ? -1 : pcol_hex_value((unsigned char)s[i]);
        if (v < 0) {
            return false;
        }
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
    }
    return true;
}

static struct pcol_value label_value(const struct dec *d, const Perftools__Profiles__Label *l)
{
    struct pcol_value v = {.kind = PCOL_VAL_INT, .u.i = l->num};

    if (l->str) {
        v.kind = PCOL_VAL_STR;
        v.u.str = S(d, l->str);
    }
    return v;
}

static int32_t label_unit(const struct dec *d, const Perftools__Profiles__Label *l)
{
    return l->str ? 0 : S(d, l->num_unit);
}

/* A sample with exactly one `trace_id` (32 hex) and one `span_id` (16 hex)
 * string label gets a Link; the two labels are then not attributes. */
static int32_t sample_link(struct dec *d, const Perftools__Profiles__Sample *s, size_t *trace,
                           size_t *span)
{
    struct pcol_link link;
    size_t j, n_trace = 0, n_span = 0;

    for (j = 0; j < s->n_label; j++) {
        const char *key = pstr(d, s->label[j]->key);
        if (strcmp(key, "trace_id") == 0) {
            *trace = j;
            n_trace++;
        } else if (strcmp(key, "span_id") == 0) {
            *span = j;
            n_span++;
        }
    }
    if (n_trace != 1 || n_span != 1 || !s->label[*trace]->str || !s->label[*span]->str ||
        !parse_hex(pstr(d, s->label[*trace]->str), link.trace_id, 16) ||
        !parse_hex(pstr(d, s->label[*span]->str), link.span_id, 8)) {
        return 0;
    }
    return pcol_dict_link(d->b, link.trace_id, link.span_id);
}

/* Labels -> attribute list. Labels sharing a key become one array-valued
 * attribute (OTLP allows one attribute per key), placed where the key first
 * appears; grouping goes through per-key slots so it stays linear. */
static int sample_attrs(struct dec *d, size_t si, const Perftools__Profiles__Sample *s,
                        struct conv_sample *out)
{
    uint32_t stamp = (uint32_t)si + 1, n = 0;
    size_t j, trace = SIZE_MAX, span = SIZE_MAX;
    int32_t *attrs = scratch(d, s->n_label);
    int rc = pcol__pprof_check_labels(d, si, s);

    if (rc) {
        return rc;
    }
    if (!d->slots) {
        d->slots = pcol_xcalloc(d->p->n_string_table ? d->p->n_string_table : 1, sizeof(*d->slots));
    }
    out->link = sample_link(d, s, &trace, &span);
    for (j = 0; j < s->n_label; j++) {
        struct keyslot *ks = &d->slots[s->label[j]->key];
        if (out->link && (j == trace || j == span)) {
            continue;
        }
        if (ks->stamp != stamp) {
            *ks = (struct keyslot){stamp, 1, (uint32_t)j, 0, n++, NULL};
        } else {
            ks->count++;
        }
    }
    for (j = 0; j < s->n_label; j++) {
        const Perftools__Profiles__Label *l = s->label[j], *first;
        struct keyslot *ks = &d->slots[l->key];
        struct pcol_value v = label_value(d, l);

        if (out->link && (j == trace || j == span)) {
            continue;
        }
        if (ks->count == 1) {
            attrs[ks->out] = pcol_dict_attr(d->b, S(d, l->key), &v, label_unit(d, l));
            continue;
        }
        first = s->label[ks->first];
        if (!l->str != !first->str || (!l->str && l->num_unit != first->num_unit)) {
            return pcol_err_set(d->err, PCOL_EINVAL,
                                "sample %zu: label \"%.60s\" repeats with different kinds or "
                                "units",
                                si, pstr(d, l->key));
        }
        if (!ks->fill) {
            ks->vals = pcol_arena_alloc(d->b->arena, ks->count * sizeof(*ks->vals));
        }
        ks->vals[ks->fill++] = v;
        if (ks->fill == ks->count) {
            struct pcol_value arr = {.kind = PCOL_VAL_ARRAY, .n = ks->count, .u.array = ks->vals};
            attrs[ks->out] = pcol_dict_attr(d->b, S(d, l->key), &arr, label_unit(d, first));
        }
    }
    out->attrs = pcol_ilist_dup(d->b, attrs, n);
    return 0;
}

/* The sample's location ids -> a stack. The int32 list is written over the
 * unpacked uint64 id array, which lives in the batch arena: element j only
 * overwrites ids already read, and the stack needs no copy of its own. */
static int sample_stack(struct dec *d, size_t si, Perftools__Profiles__Sample *s, int32_t *stack)
{
    int32_t *locs = (int32_t *)(void *)s->location_id;
    struct pcol_stack st = {{locs, (uint32_t)s->n_location_id}};
    size_t j;

    for (j = 0; j < s->n_location_id; j++) {
        int32_t pos = idmap_get(&d->locations, s->location_id[j]);
        if (pos < 0) {
            return pcol_err_set(d->err, PCOL_EINVAL,
                                "sample %zu: location id %" PRIu64 " does not exist", si,
                                s->location_id[j]);
        }
        locs[j] = d->location[pos];
    }
    *stack = st.locations.n ? pcol_dict_intern(d->b, &d->b->dict.stacks, &st) : 0;
    return 0;
}

int pcol__pprof_convert_samples(struct dec *d)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i;
    int rc;

    d->conv = pcol_xcalloc(p->n_sample ? p->n_sample : 1, sizeof(*d->conv));
    pcol_dict_reserve(d->b, &d->b->dict.stacks, (uint32_t)p->n_sample);
    for (i = 0; i < p->n_sample; i++) {
        Perftools__Profiles__Sample *s = p->sample[i];

        if (s->n_value != p->n_sample_type) {
            return pcol_err_set(d->err, PCOL_EINVAL,
                                "sample %zu: has %zu values but there are %zu sample types", i,
                                s->n_value, p->n_sample_type);
        }
        if ((rc = sample_stack(d, i, s, &d->conv[i].stack)) != 0 ||
            (s->n_label && (rc = sample_attrs(d, i, s, &d->conv[i])) != 0)) {
            return rc;
        }
    }
    return 0;
}

/* ---- resource, scope, profiles ------------------------------------------- */

/* profile i <- sample type order[i]: the default type first, then the others
 * in their original order. pprof's default is default_sample_type if it names
 * a type, else the last type. */
static void type_order(const struct dec *d, int64_t *order)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i, n = p->n_sample_type, def = n - 1, k = 0;

    if (has_text(d, p->default_sample_type)) {
        for (i = 0; i < n; i++) {
            if (strcmp(pstr(d, p->sample_type[i]->type), pstr(d, p->default_sample_type)) == 0) {
                def = i;
                break;
            }
        }
    }
    order[k++] = (int64_t)def;
    for (i = 0; i < n; i++) {
        if (i != def) {
            order[k++] = (int64_t)i;
        }
    }
}

static bool is_pprof_scope_key(const struct pcol_batch *b, int32_t key)
{
    return strncmp(pcol_cstr(b, key), "pprof.scope.", 12) == 0;
}

/* Applies the first comment carrying an OTel context (written by the
 * encoder) to the new resource and scope. Returns the comment's position,
 * or SIZE_MAX if there is none that parses. */
static size_t apply_context(struct dec *d, struct pcol_resource *r, struct pcol_scope *s)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i, plen = strlen(CONTEXT_PREFIX);

    for (i = 0; i < p->n_comment; i++) {
        const char *c = pstr(d, p->comment[i]);
        struct pcol_resource rt;
        struct pcol_scope st;
        struct pcol_err ignored;

        if (strncmp(c, CONTEXT_PREFIX, plen) != 0) {
            continue;
        }
        memset(&rt, 0, sizeof(rt));
        memset(&st, 0, sizeof(st));
        /* A comment that does not parse stays an ordinary comment. */
        if (pcol__otlp_context_from_json(d->b, c + plen, strlen(c + plen), &rt, &st, &ignored) !=
            0) {
            continue;
        }
        r->attrs = rt.attrs;
        r->n_attrs = rt.n_attrs;
        r->dropped_attributes_count = rt.dropped_attributes_count;
        r->entity_refs = rt.entity_refs;
        r->n_entity_refs = rt.n_entity_refs;
        r->schema_url = rt.schema_url;
        s->name = st.name;
        s->version = st.version;
        s->attrs = st.attrs;
        s->n_attrs = st.n_attrs;
        s->dropped_attributes_count = st.dropped_attributes_count;
        s->schema_url = st.schema_url;
        return i;
    }
    return SIZE_MAX;
}

static void set_scope_attrs(struct dec *d, struct pcol_scope *s, const int64_t *order, size_t n)
{
    const Perftools__Profiles__Profile *p = d->p;
    struct pcol_kv *kv = pcol_arena_alloc(d->b->arena, (s->n_attrs + 2) * sizeof(*kv));
    struct pcol_value *ord = n ? pcol_arena_alloc(d->b->arena, n * sizeof(*ord)) : NULL;
    uint32_t i, k = 0;

    /* The context came from our own encoder, which leaves these keys out;
     * drop any that crept in so no key appears twice. */
    for (i = 0; i < s->n_attrs; i++) {
        if (!is_pprof_scope_key(d->b, s->attrs[i].key)) {
            kv[k++] = s->attrs[i];
        }
    }
    for (i = 0; i < n; i++) {
        ord[i] = (struct pcol_value){.kind = PCOL_VAL_INT, .u.i = order[i]};
    }
    kv[k].key = pcol__pprof_key_of(d, K_SAMPLE_TYPE_ORDER);
    kv[k++].value = (struct pcol_value){.kind = PCOL_VAL_ARRAY, .n = (uint32_t)n, .u.array = ord};
    if (p->default_sample_type) {
        kv[k].key = pcol__pprof_key_of(d, K_DEFAULT_SAMPLE_TYPE);
        kv[k++].value =
            (struct pcol_value){.kind = PCOL_VAL_STR, .u.str = S(d, p->default_sample_type)};
    }
    s->attrs = kv;
    s->n_attrs = k;
}

static struct pcol_ilist profile_attrs(struct dec *d, size_t context_comment)
{
    const Perftools__Profiles__Profile *p = d->p;
    struct pcol_value *comments = NULL, arr;
    int32_t attrs[4];
    uint32_t n = 0, nc = 0;
    size_t i;

    if (has_text(d, p->drop_frames)) {
        attrs[n++] = pcol__pprof_str_attr(d, K_DROP_FRAMES, S(d, p->drop_frames));
    }
    if (has_text(d, p->keep_frames)) {
        attrs[n++] = pcol__pprof_str_attr(d, K_KEEP_FRAMES, S(d, p->keep_frames));
    }
    if (has_text(d, p->doc_url)) {
        attrs[n++] = pcol__pprof_str_attr(d, K_DOC_URL, S(d, p->doc_url));
    }
    if (p->n_comment > (context_comment == SIZE_MAX ? 0 : 1)) {
        comments = pcol_arena_alloc(d->b->arena, p->n_comment * sizeof(*comments));
        for (i = 0; i < p->n_comment; i++) {
            if (i != context_comment) {
                comments[nc++] =
                    (struct pcol_value){.kind = PCOL_VAL_STR, .u.str = S(d, p->comment[i])};
            }
        }
        arr = (struct pcol_value){.kind = PCOL_VAL_ARRAY, .n = nc, .u.array = comments};
        attrs[n++] = pcol_dict_attr(d->b, pcol__pprof_key_of(d, K_COMMENT), &arr, 0);
    }
    return pcol_ilist_dup(d->b, attrs, n);
}

static void fill_profile(struct dec *d, struct pcol_profile *prof, int64_t type,
                         struct pcol_ilist attrs)
{
    const Perftools__Profiles__Profile *p = d->p;
    int64_t *vals = NULL;
    size_t j;

    if (p->n_sample_type) {
        prof->sample_type.type = S(d, p->sample_type[type]->type);
        prof->sample_type.unit = S(d, p->sample_type[type]->unit);
    }
    if (p->period_type) {
        prof->period_type.type = S(d, p->period_type->type);
        prof->period_type.unit = S(d, p->period_type->unit);
    }
    prof->period = p->period;
    prof->time_unix_nano = (uint64_t)p->time_nanos;
    prof->duration_nano = (uint64_t)p->duration_nanos;
    prof->attrs = attrs;
    if (!p->n_sample) {
        return;
    }
    /* Values first: a block that is the arena's last may be grown in place,
     * which must never happen to an array whose elements are shared. */
    vals = pcol_arena_alloc(d->b->arena, p->n_sample * sizeof(*vals));
    pcol_profile_reserve_samples(d->b, prof, (uint32_t)p->n_sample);
    for (j = 0; j < p->n_sample; j++) {
        struct pcol_sample *s = &prof->samples[j];
        vals[j] = p->sample[j]->value[type];
        s->stack = d->conv[j].stack;
        s->link = d->conv[j].link;
        s->attrs = d->conv[j].attrs;
        s->values = &vals[j];
        s->n_values = 1;
        s->timestamps = NULL;
        s->n_timestamps = 0;
    }
    prof->n_samples = (uint32_t)p->n_sample;
}

void pcol__pprof_build_tree(struct dec *d, const uint8_t *buf, size_t len, bool keep_original)
{
    const Perftools__Profiles__Profile *p = d->p;
    size_t i, n_types = p->n_sample_type, n_prof = n_types ? n_types : 1, ctx;
    struct pcol_resource *r = pcol_batch_add_resource(d->b);
    struct pcol_scope *s = pcol_resource_add_scope(d->b, r);
    int64_t *order = pcol_xmalloc(n_prof * sizeof(*order));
    struct pcol_ilist attrs;

    order[0] = 0;
    if (n_types) {
        type_order(d, order);
    }
    ctx = apply_context(d, r, s);
    set_scope_attrs(d, s, order, n_types);
    attrs = profile_attrs(d, ctx);
    for (i = 0; i < n_prof; i++) {
        pcol_scope_add_profile(d->b, s);
    }
    for (i = 0; i < n_prof; i++) {
        fill_profile(d, &s->profiles[i], order[i], attrs);
    }
    if (keep_original) {
        s->profiles[0].original_payload_format = pcol__pprof_static_str(d, "pprof");
        s->profiles[0].original_payload = pcol_arena_memdup(d->b->arena, buf, len);
        s->profiles[0].original_payload_len = len;
    }
    free(order);
}
