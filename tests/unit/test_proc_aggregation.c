/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_proc_aggregation.c: processor `aggregation`, driven through the
 * processor harness on real corpus profiles: merging N copies (exact
 * values per sample identity, exact sums), identities (services, group_by,
 * attribute order), profile attributes, drop_sample_attributes,
 * keep_timestamps, the window timer, max_bytes and budget flushes, flush
 * on stop, cumulative_to_delta (deltas, baselines, restarts, series
 * limits), config checks, and a printed measurement of the reduction.
 *
 * Samples are compared by content: a test-side hash of what a sample's
 * stack, attribute set and link say (independent of the processor's own
 * hashing), tallied per profile as (identity -> summed value, samples).
 *
 * Ownership: every batch a test makes is released by the test or handed
 * to the harness (ph_process takes it).
 */
#include "proc_harness.h"

#include "codec_otlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct pcol_component_def pcol_processor_aggregation;

#define AGG (&pcol_processor_aggregation)

/* ---- content identity of samples (test side) ---------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *c = p;
    size_t i;

    for (i = 0; i < n; i++) {
        h = (h ^ c[i]) * 0x100000001b3ull;
    }
    return h;
}

static uint64_t h_u64(uint64_t h, uint64_t v)
{
    return fnv(h, &v, sizeof(v));
}

static uint64_t h_str(uint64_t h, const struct pcol_batch *b, int32_t i)
{
    const struct pcol_str *s = pcol_str_at(b, i);
    return fnv(h, s->p, s->len + 1);
}

static uint64_t h_value(uint64_t h, const struct pcol_batch *b, const struct pcol_value *v)
{
    uint32_t i;

    h = h_u64(h, v->kind);
    switch (v->kind) {
    case PCOL_VAL_STR: return h_str(h, b, v->u.str);
    case PCOL_VAL_BOOL: return h_u64(h, v->u.b);
    case PCOL_VAL_INT: return h_u64(h, (uint64_t)v->u.i);
    case PCOL_VAL_DOUBLE: return fnv(h, &v->u.d, sizeof(double));
    case PCOL_VAL_BYTES: return fnv(h_u64(h, v->n), v->u.bytes, v->n);
    case PCOL_VAL_ARRAY:
        for (i = 0; i < v->n; i++) {
            h = h_value(h, b, &v->u.array[i]);
        }
        return h_u64(h, v->n);
    case PCOL_VAL_KVLIST:
        for (i = 0; i < v->n; i++) {
            h = h_value(h_str(h, b, v->u.kvlist[i].key), b, &v->u.kvlist[i].value);
        }
        return h_u64(h, v->n);
    default: return h;
    }
}

static uint64_t h_attr(uint64_t h, const struct pcol_batch *b, int32_t i)
{
    const struct pcol_attr *a = pcol_attr_at(b, i);
    return h_str(h_value(h_str(h, b, a->key), b, &a->value), b, a->unit);
}

static uint64_t h_location(const struct pcol_batch *b, int32_t i)
{
    const struct pcol_location *l = pcol_location_at(b, i);
    const struct pcol_mapping *m = pcol_mapping_at(b, l->mapping);
    uint64_t h = 0xcbf29ce484222325ull;
    uint32_t j;

    h = h_u64(h_u64(h_u64(h, m->memory_start), m->memory_limit), m->file_offset);
    h = h_str(h, b, m->filename);
    for (j = 0; j < m->attrs.n; j++) {
        h = h_attr(h, b, m->attrs.v[j]);
    }
    h = h_u64(h, l->address);
    for (j = 0; j < l->n_lines; j++) {
        const struct pcol_function *f = pcol_function_at(b, l->lines[j].function);
        h = h_str(h_str(h_str(h, b, f->name), b, f->system_name), b, f->filename);
        h = h_u64(h_u64(h_u64(h, (uint64_t)f->start_line), (uint64_t)l->lines[j].line),
                  (uint64_t)l->lines[j].column);
    }
    for (j = 0; j < l->attrs.n; j++) {
        h = h_attr(h, b, l->attrs.v[j]);
    }
    return h;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct tk {
    const struct pcol_batch *b;
    uint64_t *loc;    /* memo per location, 0 = not yet */
    const char *skip; /* an attribute key left out, or NULL */
};

static void tk_init(struct tk *t, const struct pcol_batch *b, const char *skip)
{
    t->b = b;
    t->loc = calloc(b->dict.locations.n + 1, sizeof(uint64_t));
    t->skip = skip;
}

static uint64_t tk_sample(struct tk *t, const struct pcol_sample *s)
{
    const struct pcol_stack *st = pcol_stack_at(t->b, s->stack);
    uint64_t h = 0xcbf29ce484222325ull, attrs[64];
    uint32_t i, n = 0;

    for (i = 0; i < st->locations.n; i++) {
        int32_t l = st->locations.v[i];
        if (!t->loc[l]) {
            t->loc[l] = h_location(t->b, l) | 1;
        }
        h = h_u64(h, t->loc[l]);
    }
    h = fnv(h_u64(h, st->locations.n), pcol_link_at(t->b, s->link), sizeof(struct pcol_link));
    for (i = 0; i < s->attrs.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(t->b, s->attrs.v[i]);
        if (t->skip && !strcmp(pcol_cstr(t->b, a->key), t->skip)) {
            continue;
        }
        assert_true(n < 64);
        attrs[n++] = h_attr(0xcbf29ce484222325ull, t->b, s->attrs.v[i]);
    }
    qsort(attrs, n, sizeof(attrs[0]), u64_cmp);
    for (i = 0; i < n; i++) {
        h = h_u64(h, attrs[i]);
    }
    return h_u64(h, n);
}

static int64_t fold(const struct pcol_sample *s)
{
    int64_t v = 0;
    uint32_t i;

    if (!s->n_values) {
        return (int64_t)s->n_timestamps;
    }
    for (i = 0; i < s->n_values; i++) {
        v += s->values[i];
    }
    return v;
}

/* A profile's samples as sorted (identity, summed value, sample count). */
struct tally_row {
    uint64_t key;
    int64_t v;
    uint32_t samples;
};

struct tally {
    struct tally_row *r;
    size_t n;
    int64_t sum;
};

static int row_cmp(const void *a, const void *b)
{
    return u64_cmp(&((const struct tally_row *)a)->key, &((const struct tally_row *)b)->key);
}

static struct tally tally_of(const struct pcol_batch *b, const struct pcol_profile *p,
                             const char *skip)
{
    struct tally t = {calloc(p->n_samples + 1, sizeof(struct tally_row)), 0, 0};
    struct tk k;
    size_t i;

    tk_init(&k, b, skip);
    for (i = 0; i < p->n_samples; i++) {
        t.r[i].key = tk_sample(&k, &p->samples[i]);
        t.r[i].v = fold(&p->samples[i]);
        t.r[i].samples = 1;
        t.sum += t.r[i].v;
    }
    free(k.loc);
    qsort(t.r, p->n_samples, sizeof(*t.r), row_cmp);
    for (i = 0; i < p->n_samples; i++) {
        if (t.n && t.r[t.n - 1].key == t.r[i].key) {
            t.r[t.n - 1].v += t.r[i].v;
            t.r[t.n - 1].samples++;
        } else {
            t.r[t.n++] = t.r[i];
        }
    }
    return t;
}

/* Drops the identities whose value is 0 (deltas leave them out). */
static void tally_nonzero(struct tally *t)
{
    size_t i, n = 0;

    for (i = 0; i < t->n; i++) {
        if (t->r[i].v) {
            t->r[n++] = t->r[i];
        }
    }
    t->n = n;
}

/* `out` has exactly one sample per identity, with `times` x in's value. */
static void assert_tally_scaled(const struct tally *out, const struct tally *in, int64_t times)
{
    size_t i;

    assert_int_equal(out->n, in->n);
    for (i = 0; i < in->n; i++) {
        assert_true(out->r[i].key == in->r[i].key);
        assert_int_equal(out->r[i].samples, 1);
        assert_int_equal(out->r[i].v, times * in->r[i].v);
    }
}

/* ---- batches ------------------------------------------------------------------------ */

/* Profile `i` of a batch in tree order, or NULL. */
static struct pcol_profile *nth_profile(const struct pcol_batch *b, size_t i)
{
    uint32_t r, s;

    for (r = 0; r < b->n_resources; r++) {
        for (s = 0; s < b->resources[r].n_scopes; s++) {
            struct pcol_scope *sc = &b->resources[r].scopes[s];
            if (i < sc->n_profiles) {
                return &sc->profiles[i];
            }
            i -= sc->n_profiles;
        }
    }
    return NULL;
}

static struct pcol_profile *profile_of_type(const struct pcol_batch *b, const char *type)
{
    size_t i;
    struct pcol_profile *p;

    for (i = 0; (p = nth_profile(b, i)); i++) {
        if (!strcmp(pcol_cstr(b, p->sample_type.type), type)) {
            return p;
        }
    }
    return NULL;
}

static struct pcol_value str_value(struct pcol_batch *b, const char *s)
{
    struct pcol_value v = {PCOL_VAL_STR, 0, {.str = pcol_dict_cstr(b, s)}};
    return v;
}

/* Resource attributes from NULL-terminated key, value pairs. */
static void set_resource(struct pcol_batch *b, struct pcol_resource *r, const char *const *kv)
{
    uint32_t n = 0, i;

    while (kv[2 * n]) {
        n++;
    }
    r->attrs = pcol_arena_alloc(b->arena, (n ? n : 1) * sizeof(*r->attrs));
    r->n_attrs = n;
    for (i = 0; i < n; i++) {
        r->attrs[i].key = pcol_dict_cstr(b, kv[2 * i]);
        r->attrs[i].value = str_value(b, kv[2 * i + 1]);
    }
}

/* Profile attributes from NULL-terminated key, value pairs. */
static void set_profile_attrs(struct pcol_batch *b, struct pcol_profile *p, const char *const *kv)
{
    int32_t idx[8];
    uint32_t n = 0;

    while (kv[2 * n]) {
        struct pcol_value v = str_value(b, kv[2 * n + 1]);
        idx[n] = pcol_dict_attr(b, pcol_dict_cstr(b, kv[2 * n]), &v, 0);
        n++;
    }
    p->attrs = pcol_ilist_dup(b, idx, n);
}

/* The OTLP spec's simple CPU profile as service `svc`, with profile
 * attributes `pattrs` (may be NULL). */
static struct pcol_batch *service_batch(const char *svc, const char *const *pattrs)
{
    struct pcol_batch *b = ph_corpus_batch("otlp_spec_simple_cpu.binpb");
    const char *kv[] = {"service.name", svc, "host.name", "h1", NULL};

    set_resource(b, &b->resources[0], kv);
    if (pattrs) {
        set_profile_attrs(b, nth_profile(b, 0), pattrs);
    }
    return b;
}

static int64_t profile_sum(const struct pcol_profile *p)
{
    int64_t sum = 0;
    uint32_t i;

    for (i = 0; i < p->n_samples; i++) {
        sum += fold(&p->samples[i]);
    }
    return sum;
}

static const struct pcol_value *profile_attr(const struct pcol_batch *b,
                                             const struct pcol_profile *p, const char *key)
{
    uint32_t i;

    for (i = 0; i < p->attrs.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, p->attrs.v[i]);
        if (!strcmp(pcol_cstr(b, a->key), key)) {
            return &a->value;
        }
    }
    return NULL;
}

static const char *resource_service(const struct pcol_batch *b, const struct pcol_resource *r)
{
    uint32_t i;

    for (i = 0; i < r->n_attrs; i++) {
        if (!strcmp(pcol_cstr(b, r->attrs[i].key), "service.name")) {
            return pcol_cstr(b, r->attrs[i].value.u.str);
        }
    }
    return NULL;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- merging copies ------------------------------------------------------------------ */

/* N copies of one corpus profile in one window: one output profile per
 * identity, one sample per distinct sample identity of one input, every
 * value exactly N times, sums exact, profile fields as documented. */
static void check_copies(const char *name, int n)
{
    /* three merged large.cpu copies pass the default max_bytes (64MiB) */
    struct ph *h = ph_create(AGG, "max_bytes: 1GiB");
    struct pcol_batch *in = ph_corpus_batch(name), *out;
    struct pcol_profile *pi, *po;
    struct timespec t0;
    size_t i;
    int k;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (k = 0; k < n; k++) {
        ph_process(h, ph_corpus_batch(name));
    }
    assert_int_equal(ph_count(h), 0);
    assert_true(ph_budget_bytes(h) > 0);
    ph_stop(h);
    printf("    %s x%d: merged in %.1f ms (decoding included)\n", name, n, ms_since(&t0));
    assert_int_equal(ph_count(h), 1);
    out = ph_take(h);
    assert_int_equal(pcol_batch_profile_count(out), pcol_batch_profile_count(in));
    assert_int_equal(out->n_resources, in->n_resources);
    for (i = 0; (pi = nth_profile(in, i)); i++) {
        struct tally ti = tally_of(in, pi, NULL), to;
        po = nth_profile(out, i);
        assert_non_null(po);
        assert_string_equal(pcol_cstr(out, po->sample_type.type),
                            pcol_cstr(in, pi->sample_type.type));
        to = tally_of(out, po, NULL);
        assert_int_equal(po->n_samples, ti.n);
        assert_tally_scaled(&to, &ti, n);
        assert_int_equal(to.sum, n * ti.sum);
        assert_int_equal(profile_sum(po), n * profile_sum(pi));
        assert_true(po->time_unix_nano == pi->time_unix_nano);
        assert_true(po->duration_nano == pi->duration_nano);
        assert_int_equal(po->period, pi->period);
        assert_int_equal(po->original_payload_len, 0);
        assert_int_equal(po->attrs.n, pi->attrs.n); /* equal in every input: all kept */
        free(ti.r);
        free(to.r);
    }
    pcol_batch_release(out);
    pcol_batch_release(in);
    ph_destroy(h);
}

static void merges_copies_with_labels(void **state)
{
    (void)state;
    check_copies("parca__profile-with-labels.pb.gz", 3);
}

static void merges_copies_large(void **state)
{
    (void)state;
    check_copies("google-pprof__large.cpu", 3);
}

static void merges_copies_all_fields(void **state)
{
    (void)state;
    check_copies("pprof_all_fields.pb.gz", 3);
}

static void merges_copies_otlp(void **state)
{
    (void)state;
    check_copies("otlp_spec_simple_cpu.binpb", 3);
    check_copies("otlp_spec_resource_link.binpb", 3);
    check_copies("parca__alloc_objects.pb.gz", 2);
}

/* A profile alone in its window leaves exactly as it came (only copied):
 * the OTLP bytes equal those of a plain clone. */
static void single_profile_passes_unchanged(void **state)
{
    static const char *const names[] = {"parca__profile-with-labels.pb.gz",
                                        "otlp_spec_resource_link.binpb", "pprof_all_fields.pb.gz"};
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(names); i++) {
        struct ph *h = ph_create(AGG, "");
        struct pcol_batch *in = ph_corpus_batch(names[i]), *clone = pcol_batch_clone(in), *out;
        struct pcol_buf a = {0}, b = {0};

        ph_process(h, in);
        ph_stop(h);
        out = ph_take(h);
        assert_non_null(out);
        pcol_otlp_encode(clone, &a);
        pcol_otlp_encode(out, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.p, b.p, a.len);
        pcol_buf_free(&a);
        pcol_buf_free(&b);
        pcol_batch_release(clone);
        pcol_batch_release(out);
        ph_destroy(h);
    }
}

/* drop_sample_attributes holds for a profile that was alone in its window:
 * the key is gone, samples that differed only there merged, sums equal. */
static void single_profile_loses_dropped_keys(void **state)
{
    const char *name = "parca__profile-with-labels.pb.gz";
    struct ph *h = ph_create(AGG, "drop_sample_attributes: [thread_id]");
    struct pcol_batch *in = ph_corpus_batch(name), *out;
    struct pcol_profile *pi = nth_profile(in, 0), *po;
    struct tally ti = tally_of(in, pi, "thread_id"), to;
    uint32_t i, j;

    (void)state;
    ph_process(h, ph_corpus_batch(name));
    ph_stop(h);
    out = ph_take(h);
    assert_non_null(out);
    po = nth_profile(out, 0);
    for (i = 0; i < po->n_samples; i++) {
        for (j = 0; j < po->samples[i].attrs.n; j++) {
            const struct pcol_attr *a = pcol_attr_at(out, po->samples[i].attrs.v[j]);
            assert_string_not_equal(pcol_cstr(out, a->key), "thread_id");
        }
    }
    assert_int_equal(po->n_samples, ti.n);
    to = tally_of(out, po, NULL);
    assert_tally_scaled(&to, &ti, 1);
    assert_int_equal(profile_sum(po), profile_sum(pi));
    free(ti.r);
    free(to.r);
    pcol_batch_release(out);
    pcol_batch_release(in);
    ph_destroy(h);
}

/* ---- identities ------------------------------------------------------------------------- */

static void services_stay_apart_and_attrs_kept_when_equal(void **state)
{
    static const char *const a1[] = {"region", "eu", "team", "core", NULL};
    static const char *const a2[] = {"region", "us", "team", "core", NULL};
    struct ph *h = ph_create(AGG, "");
    struct pcol_batch *one = service_batch("a", NULL), *out, *swapped;
    const struct pcol_value *v;
    int64_t sum1 = profile_sum(nth_profile(one, 0));
    uint32_t i;

    (void)state;
    ph_process(h, service_batch("a", a1));
    ph_process(h, service_batch("b", a1));
    ph_process(h, service_batch("a", a2));
    /* The same resource attributes in another order are the same resource. */
    swapped = service_batch("a", a1);
    {
        struct pcol_kv t = swapped->resources[0].attrs[0];
        swapped->resources[0].attrs[0] = swapped->resources[0].attrs[1];
        swapped->resources[0].attrs[1] = t;
    }
    ph_process(h, swapped);
    ph_stop(h);
    out = ph_take(h);
    assert_non_null(out);
    assert_int_equal(out->n_resources, 2);
    assert_int_equal(pcol_batch_profile_count(out), 2);
    for (i = 0; i < 2; i++) {
        const struct pcol_resource *r = &out->resources[i];
        const struct pcol_profile *p = &r->scopes[0].profiles[0];
        if (!strcmp(resource_service(out, r), "a")) {
            assert_int_equal(profile_sum(p), 3 * sum1);
            assert_int_equal(p->n_samples, 2);
            /* team is equal in all three, region is not */
            assert_int_equal(p->attrs.n, 1);
            assert_non_null(v = profile_attr(out, p, "team"));
            assert_string_equal(pcol_cstr(out, v->u.str), "core");
            assert_null(profile_attr(out, p, "region"));
        } else {
            assert_string_equal(resource_service(out, r), "b");
            assert_int_equal(profile_sum(p), sum1);
            assert_int_equal(p->attrs.n, 2);
            assert_non_null(v = profile_attr(out, p, "region"));
            assert_string_equal(pcol_cstr(out, v->u.str), "eu");
        }
    }
    /* The attribute that went is compacted away (the flush clones). */
    for (i = 1; i < out->dict.strings.n; i++) {
        assert_string_not_equal(pcol_cstr(out, i), "us");
    }
    pcol_batch_release(out);
    pcol_batch_release(one);
    ph_destroy(h);
}

static void group_by_splits(void **state)
{
    static const char *const eu[] = {"region", "eu", NULL};
    static const char *const us[] = {"region", "us", NULL};
    static const char *const none[] = {"other", "x", NULL};
    struct ph *h = ph_create(AGG, "group_by: [region]");
    struct pcol_batch *one = service_batch("a", NULL), *out;
    int64_t sum1 = profile_sum(nth_profile(one, 0));
    const struct pcol_value *v;

    (void)state;
    ph_process(h, service_batch("a", eu));
    ph_process(h, service_batch("a", us));
    ph_process(h, service_batch("a", eu));
    ph_process(h, service_batch("a", none));
    ph_process(h, service_batch("a", NULL));
    ph_stop(h);
    out = ph_take(h);
    assert_int_equal(out->n_resources, 1);
    assert_int_equal(pcol_batch_profile_count(out), 3);
    /* eu (merged 2x), us (alone), and the two lacking region merged */
    assert_non_null(v = profile_attr(out, nth_profile(out, 0), "region"));
    assert_string_equal(pcol_cstr(out, v->u.str), "eu");
    assert_int_equal(profile_sum(nth_profile(out, 0)), 2 * sum1);
    assert_non_null(v = profile_attr(out, nth_profile(out, 1), "region"));
    assert_string_equal(pcol_cstr(out, v->u.str), "us");
    assert_int_equal(profile_sum(nth_profile(out, 1)), sum1);
    assert_null(profile_attr(out, nth_profile(out, 2), "region"));
    assert_null(profile_attr(out, nth_profile(out, 2), "other")); /* not in both */
    assert_int_equal(profile_sum(nth_profile(out, 2)), 2 * sum1);
    pcol_batch_release(out);
    pcol_batch_release(one);

    /* A resource attribute works as a group_by key too. */
    h = (ph_destroy(h), ph_create(AGG, "group_by: [service.name]"));
    ph_process(h, service_batch("a", eu));
    ph_process(h, service_batch("a", us));
    ph_stop(h);
    out = ph_take(h);
    assert_int_equal(pcol_batch_profile_count(out), 1);
    pcol_batch_release(out);
    ph_destroy(h);
}

/* ---- samples ------------------------------------------------------------------------------ */

static void drop_sample_attributes_merges_samples(void **state)
{
    const char *name = "parca__profile-with-labels.pb.gz";
    struct ph *h = ph_create(AGG, "drop_sample_attributes: [thread_id]");
    struct pcol_batch *in = ph_corpus_batch(name), *out;
    struct pcol_profile *pi = nth_profile(in, 0), *po;
    struct tally full = tally_of(in, pi, NULL), ti = tally_of(in, pi, "thread_id"), to;
    uint32_t i, j;

    (void)state;
    ph_process(h, ph_corpus_batch(name));
    ph_process(h, ph_corpus_batch(name));
    ph_stop(h);
    out = ph_take(h);
    po = nth_profile(out, 0);
    for (i = 0; i < po->n_samples; i++) {
        for (j = 0; j < po->samples[i].attrs.n; j++) {
            const struct pcol_attr *a = pcol_attr_at(out, po->samples[i].attrs.v[j]);
            assert_string_not_equal(pcol_cstr(out, a->key), "thread_id");
        }
        assert_true(po->samples[i].attrs.n >= 1); /* thread_name stays */
    }
    assert_true(ti.n < full.n);
    assert_int_equal(po->n_samples, ti.n);
    to = tally_of(out, po, NULL);
    assert_tally_scaled(&to, &ti, 2);
    assert_int_equal(profile_sum(po), 2 * profile_sum(pi));
    printf("    thread_id dropped: %u samples -> %u (x2 merged)\n", pi->n_samples, po->n_samples);
    free(full.r);
    free(ti.r);
    free(to.r);
    pcol_batch_release(out);
    pcol_batch_release(in);
    ph_destroy(h);
}

/* The spec's simple CPU profile rebuilt with three samples:
 *   stack 1, timestamps only (3 of them), or paired values 4,4,4 (`paired`)
 *   stack 2, values 5 and 7 paired with 2 timestamps
 *   stack 1, one aggregated value 10, no timestamps */
static struct pcol_batch *timestamped_batch(bool paired)
{
    struct pcol_batch *b = ph_corpus_batch("otlp_spec_simple_cpu.binpb");
    struct pcol_profile *p = nth_profile(b, 0);
    uint64_t t0 = p->time_unix_nano;
    struct pcol_sample *s = pcol_arena_calloc(b->arena, 3 * sizeof(*s));
    uint64_t *ts = pcol_arena_alloc(b->arena, 5 * sizeof(uint64_t));
    int64_t *v = pcol_arena_alloc(b->arena, 6 * sizeof(int64_t));

    ts[0] = t0 + 1;
    ts[1] = t0 + 2;
    ts[2] = t0 + 3;
    ts[3] = t0 + 4;
    ts[4] = t0 + 5;
    v[0] = v[1] = v[2] = 4;
    v[3] = 5;
    v[4] = 7;
    v[5] = 10;
    s[0].stack = 1;
    s[0].timestamps = ts;
    s[0].n_timestamps = 3;
    if (paired) {
        s[0].values = v;
        s[0].n_values = 3;
    }
    s[1].stack = 2;
    s[1].timestamps = ts + 3;
    s[1].n_timestamps = 2;
    s[1].values = v + 3;
    s[1].n_values = 2;
    s[2].stack = 1;
    s[2].values = v + 5;
    s[2].n_values = 1;
    p->samples = s;
    p->n_samples = p->cap_samples = 3;
    return b;
}

static const struct pcol_sample *find_sample(const struct pcol_batch *b,
                                             const struct pcol_profile *p, const char *leaf,
                                             bool with_ts)
{
    uint32_t i;

    for (i = 0; i < p->n_samples; i++) {
        const struct pcol_sample *s = &p->samples[i];
        const struct pcol_location *l =
            pcol_location_at(b, pcol_stack_at(b, s->stack)->locations.v[0]);
        const char *fn = pcol_cstr(b, pcol_function_at(b, l->lines[0].function)->name);
        if (!strcmp(fn, leaf) && (s->n_timestamps > 0) == with_ts) {
            return s;
        }
    }
    return NULL;
}

static void keep_timestamps_off_folds(void **state)
{
    struct ph *h = ph_create(AGG, "");
    struct pcol_batch *out;
    const struct pcol_profile *p;
    const struct pcol_sample *s;
    uint32_t i;

    (void)state;
    ph_process(h, timestamped_batch(false));
    ph_process(h, timestamped_batch(true));
    ph_stop(h);
    out = ph_take(h);
    p = nth_profile(out, 0);
    assert_int_equal(p->n_samples, 2);
    for (i = 0; i < p->n_samples; i++) {
        assert_int_equal(p->samples[i].n_values, 1);
        assert_int_equal(p->samples[i].n_timestamps, 0);
    }
    /* stack 1: 3 timestamps (count 1 each) + 10, then 4+4+4 + 10 */
    assert_non_null(s = find_sample(out, p, "bar", false));
    assert_int_equal(s->values[0], 3 + 10 + 12 + 10);
    assert_non_null(s = find_sample(out, p, "baz", false));
    assert_int_equal(s->values[0], 2 * (5 + 7));
    assert_int_equal(profile_sum(p), 35 + 24);
    pcol_batch_release(out);
    ph_destroy(h);
}

static void keep_timestamps_on_concatenates(void **state)
{
    struct ph *h = ph_create(AGG, "keep_timestamps: true");
    struct pcol_batch *in = timestamped_batch(false), *out;
    const struct pcol_profile *p;
    const struct pcol_sample *s;
    uint64_t t0 = nth_profile(in, 0)->time_unix_nano;
    uint32_t i;

    (void)state;
    ph_process(h, timestamped_batch(false));
    ph_process(h, timestamped_batch(false));
    ph_process(h, timestamped_batch(true));
    ph_stop(h);
    out = ph_take(h);
    p = nth_profile(out, 0);
    /* stack 1 timestamped, stack 1 aggregated (cannot pair), stack 2 */
    assert_int_equal(p->n_samples, 3);
    assert_non_null(s = find_sample(out, p, "bar", true));
    assert_int_equal(s->n_timestamps, 9);
    assert_int_equal(s->n_values, 9); /* timestamps-only sides count 1 each */
    for (i = 0; i < 9; i++) {
        assert_true(s->timestamps[i] == t0 + 1 + i % 3);
        assert_int_equal(s->values[i], i < 6 ? 1 : 4);
    }
    assert_non_null(s = find_sample(out, p, "bar", false));
    assert_int_equal(s->n_values, 1);
    assert_int_equal(s->values[0], 30);
    assert_non_null(s = find_sample(out, p, "baz", true));
    assert_int_equal(s->n_timestamps, 6);
    assert_int_equal(s->n_values, 6);
    for (i = 0; i < 6; i++) {
        assert_true(s->timestamps[i] == t0 + 4 + i % 2);
        assert_int_equal(s->values[i], i % 2 ? 7 : 5);
    }
    assert_int_equal(profile_sum(p), (3 + 12 + 10) + (3 + 12 + 10) + (12 + 12 + 10));
    pcol_batch_release(out);
    pcol_batch_release(in);

    /* Timestamps only on both sides stay timestamps only. */
    h = (ph_destroy(h), ph_create(AGG, "keep_timestamps: true"));
    ph_process(h, timestamped_batch(false));
    ph_process(h, timestamped_batch(false));
    ph_stop(h);
    out = ph_take(h);
    assert_non_null(s = find_sample(out, nth_profile(out, 0), "bar", true));
    assert_int_equal(s->n_timestamps, 6);
    assert_int_equal(s->n_values, 0);
    pcol_batch_release(out);
    ph_destroy(h);
}

/* ---- flushing --------------------------------------------------------------------------- */

static void window_timer_flushes_once(void **state)
{
    struct ph *h = ph_create(AGG, "window: 1s");
    struct pcol_batch *out;

    (void)state;
    assert_int_equal(ph_budget_bytes(h), 0);
    ph_process(h, ph_corpus_batch("google-pprof__sample.cpu"));
    ph_process(h, ph_corpus_batch("google-pprof__sample.cpu"));
    assert_int_equal(ph_count(h), 0);
    assert_true(ph_budget_bytes(h) > 0); /* the accumulator, charged while held */
    ph_run_for(h, 100);
    assert_int_equal(ph_count(h), 0);
    ph_run_for(h, 1500);
    assert_int_equal(ph_count(h), 1);
    out = ph_take(h);
    assert_int_equal(pcol_batch_profile_count(out), 2);
    pcol_batch_release(out);
    assert_int_equal(ph_budget_bytes(h), 0);
    /* Nothing held: the timer does not run again. */
    ph_run_for(h, 1200);
    assert_int_equal(ph_count(h), 0);
    /* A new window starts with the next input. */
    ph_process(h, ph_corpus_batch("google-pprof__sample.cpu"));
    ph_run_for(h, 1500);
    assert_int_equal(ph_count(h), 1);
    ph_destroy(h);
}

static void max_bytes_flushes_early(void **state)
{
    struct ph *h = ph_create(AGG, "max_bytes: 64KiB");
    struct pcol_batch *out;

    (void)state;
    ph_process(h, ph_corpus_batch("google-pprof__large.cpu"));
    assert_int_equal(ph_count(h), 1);
    ph_process(h, ph_corpus_batch("otlp_spec_simple_cpu.binpb"));
    assert_int_equal(ph_count(h), 1); /* small: held */
    assert_true(ph_budget_bytes(h) > 0);
    ph_stop(h);
    assert_int_equal(ph_count(h), 2);
    pcol_batch_release(ph_take(h));
    out = ph_take(h);
    assert_int_equal(pcol_batch_profile_count(out), 1);
    pcol_batch_release(out);
    assert_int_equal(ph_budget_bytes(h), 0);
    ph_destroy(h);
}

static void budget_short_flushes_first(void **state)
{
    const char *name = "google-pprof__large.cpu";
    struct pcol_batch *in = ph_corpus_batch(name);
    uint64_t in_bytes = pcol_batch_bytes(in), acc_bytes;
    struct ph *h = ph_create(AGG, "max_bytes: 1GiB");
    struct pcol_batch *a, *b;

    (void)state;
    ph_process(h, in);
    acc_bytes = ph_budget_bytes(h);
    ph_destroy(h);

    /* Room for the accumulator and one input, not for it growing by another. */
    h = ph_create_limited(AGG, "max_bytes: 1GiB", acc_bytes + in_bytes + in_bytes / 2);
    ph_process(h, ph_corpus_batch(name));
    assert_int_equal(ph_count(h), 0);
    ph_process(h, ph_corpus_batch(name));
    assert_int_equal(ph_count(h), 1); /* the first window went before the second merged */
    ph_stop(h);
    assert_int_equal(ph_count(h), 2);
    a = ph_take(h);
    b = ph_take(h);
    assert_int_equal(profile_sum(nth_profile(a, 0)), profile_sum(nth_profile(b, 0)));
    pcol_batch_release(a);
    pcol_batch_release(b);
    ph_destroy(h);
}

/* ---- cumulative_to_delta ------------------------------------------------------------- */

#define SEC 1000000000ull

/* parca's Go heap profile at time `t` (10 s long), its cumulative
 * (alloc_*) values changed by f(i, value), its inuse_* values doubled
 * when `inuse2`. */
static struct pcol_batch *heap_at(uint64_t t, int64_t (*f)(uint32_t, int64_t), bool inuse2)
{
    struct pcol_batch *b = ph_corpus_batch("parca__alloc_objects.pb.gz");
    struct pcol_profile *p;
    size_t k;
    uint32_t i;

    for (k = 0; (p = nth_profile(b, k)); k++) {
        bool cum = !strncmp(pcol_cstr(b, p->sample_type.type), "alloc_", 6);
        p->time_unix_nano = t;
        p->duration_nano = 10 * SEC;
        for (i = 0; i < p->n_samples; i++) {
            if (cum && f) {
                p->samples[i].values[0] = f(i, p->samples[i].values[0]);
            } else if (!cum && inuse2) {
                p->samples[i].values[0] *= 2;
            }
        }
    }
    return b;
}

static int64_t d_of(uint32_t i)
{
    return i % 3 == 0 ? 0 : (int64_t)(i + 1) * 7;
}

static int64_t grow(uint32_t i, int64_t v)
{
    return v + d_of(i);
}

static int64_t only_d(uint32_t i, int64_t v)
{
    (void)v;
    return d_of(i);
}

static int64_t halve(uint32_t i, int64_t v)
{
    (void)i;
    return v / 2;
}

static int64_t halve_plus5(uint32_t i, int64_t v)
{
    (void)i;
    return v / 2 + 5;
}

static int64_t five(uint32_t i, int64_t v)
{
    (void)i;
    (void)v;
    return 5;
}

/* Runs `in` through, lets the window end, returns the one output. */
static struct pcol_batch *through(struct ph *h, struct pcol_batch *in)
{
    ph_process(h, in);
    ph_run_for(h, 300);
    assert_int_equal(ph_count(h), 1);
    return ph_take(h);
}

/* Output profile `type` of `out` says exactly what `exp`'s does: per
 * sample identity the same sum. `delta`: identities whose value is 0 are
 * left out, and each identity is one sample (deltas sum repeated ones);
 * otherwise the profile passed unchanged, samples as they were. */
static void assert_same_profile(const struct pcol_batch *out, const struct pcol_batch *exp,
                                const char *type, bool delta)
{
    struct pcol_profile *po = profile_of_type(out, type), *pe = profile_of_type(exp, type);
    struct tally to, te;

    assert_non_null(po);
    assert_non_null(pe);
    to = tally_of(out, po, NULL);
    te = tally_of(exp, pe, NULL);
    if (delta) {
        tally_nonzero(&te);
        assert_int_equal(po->n_samples, te.n);
        assert_tally_scaled(&to, &te, 1);
    } else {
        size_t i;
        assert_int_equal(po->n_samples, pe->n_samples);
        assert_int_equal(to.n, te.n);
        for (i = 0; i < te.n; i++) {
            assert_true(to.r[i].key == te.r[i].key);
            assert_int_equal(to.r[i].v, te.r[i].v);
            assert_int_equal(to.r[i].samples, te.r[i].samples);
        }
    }
    free(to.r);
    free(te.r);
}

static void cumulative_to_delta_exact(void **state)
{
    struct ph *h = ph_create(AGG, "cumulative_to_delta: true\nwindow: 100ms");
    uint64_t base = ph_dropped(h, "delta_baseline"); /* counters outlive a harness */
    uint64_t t1 = 1700000000 * SEC, t2 = t1 + 10 * SEC, t3 = t2 + 10 * SEC, t4 = t3 + 10 * SEC;
    struct pcol_batch *out, *exp;
    struct pcol_profile *p;

    (void)state;
    /* t1: alloc_* set baselines and go nowhere; inuse_* pass untouched. */
    out = through(h, heap_at(t1, NULL, false));
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 2);
    assert_int_equal(pcol_batch_profile_count(out), 2);
    assert_null(profile_of_type(out, "alloc_objects"));
    exp = heap_at(t1, NULL, false);
    assert_same_profile(out, exp, "inuse_space", false);
    assert_same_profile(out, exp, "inuse_objects", false);
    pcol_batch_release(exp);
    pcol_batch_release(out);

    /* t2 = t1 + d: alloc_* are exactly d (zeros removed), from t1's end. */
    out = through(h, heap_at(t2, grow, true));
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 2);
    assert_int_equal(pcol_batch_profile_count(out), 4);
    exp = heap_at(t2, only_d, true);
    assert_same_profile(out, exp, "alloc_objects", true);
    assert_same_profile(out, exp, "alloc_space", true);
    assert_same_profile(out, exp, "inuse_space", false);
    assert_same_profile(out, exp, "inuse_objects", false);
    p = profile_of_type(out, "alloc_space");
    assert_true(p->time_unix_nano == t1 + 10 * SEC);
    assert_true(p->duration_nano == 10 * SEC);
    assert_true(p->n_samples < profile_of_type(out, "inuse_space")->n_samples);
    pcol_batch_release(exp);
    pcol_batch_release(out);

    /* t3: values went down, the process restarted: the delta is t3 itself. */
    out = through(h, heap_at(t3, halve, false));
    exp = heap_at(t3, halve, false);
    assert_same_profile(out, exp, "alloc_objects", true);
    assert_same_profile(out, exp, "alloc_space", true);
    pcol_batch_release(exp);
    pcol_batch_release(out);

    /* t4: against the new baseline t3. */
    out = through(h, heap_at(t4, halve_plus5, false));
    exp = heap_at(t4, five, false);
    assert_same_profile(out, exp, "alloc_objects", true);
    assert_same_profile(out, exp, "alloc_space", true);
    pcol_batch_release(exp);
    pcol_batch_release(out);
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 2);

    /* Not a cumulative type: a CPU profile is never a baseline. */
    out = through(h, ph_corpus_batch("google-pprof__sample.cpu"));
    assert_int_equal(pcol_batch_profile_count(out), 2);
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 2);
    pcol_batch_release(out);
    ph_destroy(h);
}

static struct pcol_batch *heap_of(const char *svc, uint64_t t)
{
    struct pcol_batch *b = heap_at(t, NULL, false);
    const char *kv[] = {"service.name", svc, NULL};

    set_resource(b, &b->resources[0], kv);
    return b;
}

static void delta_series_are_bounded(void **state)
{
    struct ph *h = ph_create(AGG, "cumulative_to_delta: true\nwindow: 100ms\nmax_series: 2");
    uint64_t t = 1700000000 * SEC, base = ph_dropped(h, "delta_baseline");

    (void)state;
    pcol_batch_release(through(h, heap_of("a", t)));
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 2);
    pcol_batch_release(through(h, heap_of("a", t + SEC)));
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 2);
    /* b's two series push a's out. */
    pcol_batch_release(through(h, heap_of("b", t + SEC)));
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 4);
    pcol_batch_release(through(h, heap_of("a", t + 2 * SEC)));
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 6);
    ph_destroy(h);

    /* series_ttl: a series not seen for that long starts over. */
    h = ph_create(AGG, "cumulative_to_delta: true\nwindow: 100ms\nseries_ttl: 1s");
    base = ph_dropped(h, "delta_baseline");
    pcol_batch_release(through(h, heap_of("a", t)));
    pcol_batch_release(through(h, heap_of("a", t + SEC)));
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 2);
    ph_run_for(h, 1200);
    pcol_batch_release(through(h, heap_of("a", t + 2 * SEC)));
    assert_int_equal(ph_dropped(h, "delta_baseline"), base + 4);
    ph_destroy(h);
}

/* ---- config ------------------------------------------------------------------------------ */

static void config_checks(void **state)
{
    struct pcol_diag d = {0};

    (void)state;
    assert_int_equal(ph_config_errors(AGG, "window: 10ms", &d), 1);
    ASSERT_ERROR(&d, 1, 9, "option \"window\"");
    pcol_diag_free(&d);

    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(AGG, "max_bytes: 1KiB\nmax_series: 0", &d), 2);
    ASSERT_ERROR(&d, 1, 12, "option \"max_bytes\"");
    ASSERT_ERROR(&d, 2, 13, "option \"max_series\"");
    pcol_diag_free(&d);

    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(AGG, "cumulative_to_delta: true\ncumulative_types: []", &d),
                     1);
    ASSERT_ERROR(&d, 2, 19, "cumulative_to_delta needs at least one of cumulative_types");
    pcol_diag_free(&d);

    memset(&d, 0, sizeof(d));
    assert_int_equal(
        ph_config_errors(AGG, "group_by: [a, '', a]\ndrop_sample_attributes: [x, x]", &d), 3);
    ASSERT_ERROR(&d, 1, 15, "group_by: an empty key");
    ASSERT_ERROR(&d, 1, 19, "group_by: \"a\" is listed twice");
    ASSERT_ERROR(&d, 2, 29, "drop_sample_attributes: \"x\" is listed twice");
    pcol_diag_free(&d);

    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(AGG,
                                      "window: 30s\ngroup_by: [region]\nkeep_timestamps: true\n"
                                      "cumulative_to_delta: true\nmax_series: 10\n"
                                      "series_ttl: 1h",
                                      &d),
                     0);
    pcol_diag_free(&d);
}

/* ---- measurement (printed, not asserted) ---------------------------------------------- */

static void measure(const char *name, const char *yaml, int n)
{
    struct ph *h = ph_create(AGG, yaml);
    struct pcol_buf enc = {0};
    size_t in_bytes = 0, in_samples = 0, out_bytes = 0, out_samples = 0, outs = 0;
    struct pcol_batch *out;
    struct timespec t0;
    double ms = 0;
    int k;

    for (k = 0; k < n; k++) {
        struct pcol_batch *b = ph_corpus_batch(name);
        enc.len = 0;
        pcol_otlp_encode(b, &enc);
        in_bytes += enc.len;
        in_samples += pcol_batch_sample_count(b);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ph_process(h, b);
        ms += ms_since(&t0);
    }
    ph_stop(h);
    while ((out = ph_take(h))) {
        enc.len = 0;
        pcol_otlp_encode(out, &enc);
        out_bytes += enc.len;
        out_samples += pcol_batch_sample_count(out);
        outs++;
        pcol_batch_release(out);
    }
    printf("    %-32s x%d %-36s OTLP %8zu -> %7zu bytes (%4.1fx), samples %6zu -> %5zu, "
           "%zu output(s), process() %.1f ms\n",
           name, n, yaml, in_bytes, out_bytes, (double)in_bytes / (double)out_bytes, in_samples,
           out_samples, outs, ms);
    assert_true(out_bytes < in_bytes);
    pcol_buf_free(&enc);
    ph_destroy(h);
}

static void reduction_on_the_corpus(void **state)
{
    (void)state;
    measure("parca__profile-with-labels.pb.gz", "", 10);
    measure("parca__profile-with-labels.pb.gz", "drop_sample_attributes: [thread_id]", 10);
    measure("parca__alloc_objects.pb.gz", "", 10);
    measure("parca__fgprof.pb.gz", "", 10);
    measure("google-pprof__large.cpu", "", 10);
    measure("google-pprof__large.cpu", "max_bytes: 1GiB", 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merges_copies_with_labels),
        cmocka_unit_test(merges_copies_large),
        cmocka_unit_test(merges_copies_all_fields),
        cmocka_unit_test(merges_copies_otlp),
        cmocka_unit_test(single_profile_passes_unchanged),
        cmocka_unit_test(single_profile_loses_dropped_keys),
        cmocka_unit_test(services_stay_apart_and_attrs_kept_when_equal),
        cmocka_unit_test(group_by_splits),
        cmocka_unit_test(drop_sample_attributes_merges_samples),
        cmocka_unit_test(keep_timestamps_off_folds),
        cmocka_unit_test(keep_timestamps_on_concatenates),
        cmocka_unit_test(window_timer_flushes_once),
        cmocka_unit_test(max_bytes_flushes_early),
        cmocka_unit_test(budget_short_flushes_first),
        cmocka_unit_test(cumulative_to_delta_exact),
        cmocka_unit_test(delta_series_are_bounded),
        cmocka_unit_test(config_checks),
        cmocka_unit_test(reduction_on_the_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
