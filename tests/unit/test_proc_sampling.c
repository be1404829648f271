/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_proc_sampling.c: processor `sampling` through the processor harness:
 * pass-through without copies, the probabilistic sampler (0/100/50%, the
 * documented FNV-1a recipe, agreement across instances, seeds, the
 * `attribute` key, the time fallback of id-less profiles), the rate limiter
 * (per interval with real time, burst, per-key buckets, LRU eviction),
 * policies (first match, keep over the samplers, drop, sample, "*",
 * sample_type, regex), multi-resource batches on corpus profiles (kept
 * profiles equal the input's, sums per sample type, compaction), drop
 * counting by reason, and config errors.
 *
 * Ownership: every batch a test builds is handed to ph_process() or
 * released; batches taken from the harness are released by the test.
 * Rendered profiles are heap strings freed by free_renders().
 */
#include "proc_harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct pcol_component_def pcol_processor_sampling;

/* ---- building batches ------------------------------------------------------------ */

static struct pcol_value str_value(struct pcol_batch *b, const char *s)
{
    struct pcol_value v = {.kind = PCOL_VAL_STR};

    v.u.str = pcol_dict_cstr(b, s);
    return v;
}

static void res_attr(struct pcol_batch *b, uint32_t ri, const char *key, struct pcol_value v)
{
    struct pcol_resource *r = &b->resources[ri];
    int32_t k = pcol_dict_cstr(b, key);
    struct pcol_kv *kv = pcol_arena_alloc(b->arena, (r->n_attrs + 1) * sizeof(*kv));

    if (r->n_attrs) {
        memcpy(kv, r->attrs, r->n_attrs * sizeof(*kv));
    }
    kv[r->n_attrs].key = k;
    kv[r->n_attrs].value = v;
    r->attrs = kv;
    r->n_attrs++;
}

static void res_str(struct pcol_batch *b, uint32_t ri, const char *key, const char *value)
{
    res_attr(b, ri, key, str_value(b, value));
}

/* A resource with service.name `service` (none when NULL); its index. */
static uint32_t add_res(struct pcol_batch *b, const char *service)
{
    pcol_batch_add_resource(b);
    if (service) {
        res_str(b, b->n_resources - 1, "service.name", service);
    }
    return b->n_resources - 1;
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The 16-byte id of test profile `id` (random-looking, like a UUID); all
 * zero for id 0. */
static void make_id(uint32_t id, uint8_t out[16])
{
    uint64_t x = id, a, c;

    memset(out, 0, 16);
    if (!id) {
        return;
    }
    a = splitmix(&x);
    c = splitmix(&x);
    memcpy(out, &a, 8);
    memcpy(out + 8, &c, 8);
}

/* Appends to resource `ri` (first scope, made when missing) a profile of
 * `type` with id `id` (see make_id), time `time` and one sample of value
 * `value` on a one-frame stack of its own function; returns its index in
 * the scope. */
static uint32_t add_prof(struct pcol_batch *b, uint32_t ri, const char *type, uint32_t id,
                         uint64_t time, int64_t value)
{
    struct pcol_resource *r = &b->resources[ri];
    struct pcol_scope *s = r->n_scopes ? &r->scopes[0] : pcol_resource_add_scope(b, r);
    struct pcol_function f = {0};
    struct pcol_line line = {0};
    struct pcol_location loc = {0};
    struct pcol_profile *p;
    struct pcol_sample *smp;
    char name[64];
    int32_t li;

    snprintf(name, sizeof(name), "fn_%s_%u_%" PRId64, type, id, value);
    f.name = pcol_dict_cstr(b, name);
    f.filename = pcol_dict_cstr(b, "main.go");
    line.function = pcol_dict_intern(b, &b->dict.functions, &f);
    line.line = (int64_t)id + 1;
    loc.lines = pcol_arena_memdup(b->arena, &line, sizeof(line));
    loc.n_lines = 1;
    loc.address = 0x1000u + (uint64_t)value;
    li = pcol_dict_intern(b, &b->dict.locations, &loc);

    s->name = pcol_dict_cstr(b, "test-scope");
    p = pcol_scope_add_profile(b, s);
    p->sample_type.type = pcol_dict_cstr(b, type);
    p->sample_type.unit = pcol_dict_cstr(b, "count");
    p->time_unix_nano = time;
    p->duration_nano = 10000000000u;
    make_id(id, p->profile_id);
    smp = pcol_profile_add_sample(b, p);
    smp->stack = pcol_dict_stack(b, &li, 1);
    smp->values = pcol_arena_alloc(b->arena, sizeof(int64_t));
    smp->values[0] = value;
    smp->n_values = 1;
    return s->n_profiles - 1;
}

/* Gives profile `pi` of resource `ri` a string attribute. */
static void prof_str(struct pcol_batch *b, uint32_t ri, uint32_t pi, const char *key,
                     const char *value)
{
    struct pcol_profile *p = &b->resources[ri].scopes[0].profiles[pi];
    struct pcol_value v = str_value(b, value);
    int32_t a = pcol_dict_attr(b, pcol_dict_cstr(b, key), &v, 0);
    int32_t *l = pcol_arena_alloc(b->arena, (p->attrs.n + 1) * sizeof(int32_t));

    if (p->attrs.n) {
        memcpy(l, p->attrs.v, p->attrs.n * sizeof(int32_t));
    }
    l[p->attrs.n] = a;
    p->attrs.v = l;
    p->attrs.n++;
}

/* ---- reading batches ------------------------------------------------------------- */

static const char *str(const struct pcol_batch *b, int32_t i)
{
    return pcol_cstr(b, i);
}

static void render_attrs(const struct pcol_batch *b, struct pcol_ilist l, struct pcol_buf *o)
{
    uint32_t i;

    for (i = 0; i < l.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, l.v[i]);
        pcol_buf_printf(o, " %s=%u:", str(b, a->key), a->value.kind);
        pcol_value_text(b, &a->value, o);
        pcol_buf_printf(o, "[%s]", str(b, a->unit));
    }
}

static void render_kvs(const struct pcol_batch *b, const struct pcol_kv *kv, uint32_t n,
                       struct pcol_buf *o)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        pcol_buf_printf(o, " %s=%u:", str(b, kv[i].key), kv[i].value.kind);
        pcol_value_text(b, &kv[i].value, o);
    }
}

static void render_sample(const struct pcol_batch *b, const struct pcol_sample *smp,
                          struct pcol_buf *o)
{
    const struct pcol_stack *st = pcol_stack_at(b, smp->stack);
    uint32_t i, j;

    pcol_buf_puts(o, "\n  sample v=");
    for (i = 0; i < smp->n_values; i++) {
        pcol_buf_printf(o, "%" PRId64 ",", smp->values[i]);
    }
    pcol_buf_puts(o, " t=");
    for (i = 0; i < smp->n_timestamps; i++) {
        pcol_buf_printf(o, "%" PRIu64 ",", smp->timestamps[i]);
    }
    if (smp->link) {
        const struct pcol_link *lk = pcol_link_at(b, smp->link);
        for (i = 0; i < 16; i++) {
            pcol_buf_printf(o, "%02x", lk->trace_id[i]);
        }
    }
    render_attrs(b, smp->attrs, o);
    for (i = 0; i < st->locations.n; i++) {
        const struct pcol_location *loc = pcol_location_at(b, st->locations.v[i]);
        const struct pcol_mapping *m = pcol_mapping_at(b, loc->mapping);
        pcol_buf_printf(o, "\n    @%" PRIx64 " map=%s[%" PRIx64 "-%" PRIx64 "+%" PRIx64 "]",
                        loc->address, str(b, m->filename), m->memory_start, m->memory_limit,
                        m->file_offset);
        render_attrs(b, loc->attrs, o);
        for (j = 0; j < loc->n_lines; j++) {
            const struct pcol_function *f = pcol_function_at(b, loc->lines[j].function);
            pcol_buf_printf(o, " %s/%s/%s:%" PRId64 ":%" PRId64 ":%" PRId64, str(b, f->name),
                            str(b, f->system_name), str(b, f->filename), f->start_line,
                            loc->lines[j].line, loc->lines[j].column);
        }
    }
}

/* Everything a profile says, with its resource and scope, as one string
 * (indexes resolved, so batches with different dictionaries compare). */
static char *render_profile(const struct pcol_batch *b, const struct pcol_resource *r,
                            const struct pcol_scope *s, const struct pcol_profile *p)
{
    struct pcol_buf o = {0};
    uint32_t i;

    pcol_buf_puts(&o, "resource");
    render_kvs(b, r->attrs, r->n_attrs, &o);
    pcol_buf_printf(&o, "\nscope %s %s", str(b, s->name), str(b, s->version));
    render_kvs(b, s->attrs, s->n_attrs, &o);
    pcol_buf_printf(&o, "\nprofile %s/%s period %s/%s %" PRId64 " t=%" PRIu64 " d=%" PRIu64 " id=",
                    str(b, p->sample_type.type), str(b, p->sample_type.unit),
                    str(b, p->period_type.type), str(b, p->period_type.unit), p->period,
                    p->time_unix_nano, p->duration_nano);
    for (i = 0; i < 16; i++) {
        pcol_buf_printf(&o, "%02x", p->profile_id[i]);
    }
    render_attrs(b, p->attrs, &o);
    for (i = 0; i < p->n_samples; i++) {
        render_sample(b, &p->samples[i], &o);
    }
    pcol_buf_putc(&o, '\0');
    return (char *)o.p;
}

struct renders {
    char **v;
    size_t n;
};

static struct renders render_batch(const struct pcol_batch *b)
{
    struct renders rs = {pcol_xcalloc(pcol_batch_profile_count(b) + 1, sizeof(char *)), 0};
    uint32_t i, j, k;

    for (i = 0; i < b->n_resources; i++) {
        for (j = 0; j < b->resources[i].n_scopes; j++) {
            const struct pcol_scope *s = &b->resources[i].scopes[j];
            for (k = 0; k < s->n_profiles; k++) {
                rs.v[rs.n++] = render_profile(b, &b->resources[i], s, &s->profiles[k]);
            }
        }
    }
    return rs;
}

static void free_renders(struct renders *rs)
{
    size_t i;

    for (i = 0; i < rs->n; i++) {
        free(rs->v[i]);
    }
    free(rs->v);
}

/* Asserts `out` holds exactly the profiles of `in` marked in `keep`, in
 * order and equal. */
static void assert_kept(const struct renders *in, const struct pcol_batch *out, const bool *keep)
{
    struct renders got = render_batch(out);
    size_t i, j = 0;

    for (i = 0; i < in->n; i++) {
        if (!keep[i]) {
            continue;
        }
        assert_true(j < got.n);
        assert_string_equal(got.v[j], in->v[i]);
        j++;
    }
    assert_int_equal(j, got.n);
    free_renders(&got);
}

/* keep[i]: whether profile i's text contains `needle` (or, with `want`
 * false, does not). */
static bool *mask(const struct renders *in, const char *needle, bool want)
{
    bool *keep = pcol_xcalloc(in->n + 1, sizeof(bool));
    size_t i;

    for (i = 0; i < in->n; i++) {
        keep[i] = (strstr(in->v[i], needle) != NULL) == want;
    }
    return keep;
}

/* The sum of every value of the profiles whose sample type is `type`. */
static int64_t sum_type(const struct pcol_batch *b, const char *type)
{
    int64_t sum = 0;
    uint32_t i, j, k, n, v;

    for (i = 0; i < b->n_resources; i++) {
        for (j = 0; j < b->resources[i].n_scopes; j++) {
            const struct pcol_scope *s = &b->resources[i].scopes[j];
            for (k = 0; k < s->n_profiles; k++) {
                const struct pcol_profile *p = &s->profiles[k];
                if (strcmp(str(b, p->sample_type.type), type) != 0) {
                    continue;
                }
                for (n = 0; n < p->n_samples; n++) {
                    for (v = 0; v < p->samples[n].n_values; v++) {
                        sum += p->samples[n].values[v];
                    }
                }
            }
        }
    }
    return sum;
}

/* The value of every kept sample, as a set: kept[v] for v < max. */
static void kept_values(const struct pcol_batch *b, bool *kept, size_t max)
{
    uint32_t i, j, k;

    memset(kept, 0, max * sizeof(bool));
    if (!b) {
        return;
    }
    for (i = 0; i < b->n_resources; i++) {
        for (j = 0; j < b->resources[i].n_scopes; j++) {
            const struct pcol_scope *s = &b->resources[i].scopes[j];
            for (k = 0; k < s->n_profiles; k++) {
                int64_t v = s->profiles[k].samples[0].values[0];
                assert_true(v >= 0 && (size_t)v < max);
                kept[v] = true;
            }
        }
    }
}

/* Runs `b` through and returns how many profiles came out (0 when the
 * batch was dropped whole), releasing the output. */
static size_t run_count(struct ph *h, struct pcol_batch *b)
{
    struct pcol_batch *out;
    size_t n;

    ph_process(h, b);
    out = ph_take(h);
    n = out ? pcol_batch_profile_count(out) : 0;
    assert_null(ph_take(h));
    pcol_batch_release(out);
    return n;
}

/* ph_dropped() counts for the process (every harness instance is named
 * "sampling"), so tests compare deltas. */
struct drops {
    uint64_t policy, probabilistic, rate_limit;
};

static struct drops drops_now(const struct ph *h)
{
    struct drops d = {ph_dropped(h, "policy"), ph_dropped(h, "probabilistic"),
                      ph_dropped(h, "rate_limit")};
    return d;
}

static void assert_drops(const struct ph *h, const struct drops *before, uint64_t policy,
                         uint64_t probabilistic, uint64_t rate_limit)
{
    struct drops now = drops_now(h);

    assert_int_equal(now.policy - before->policy, policy);
    assert_int_equal(now.probabilistic - before->probabilistic, probabilistic);
    assert_int_equal(now.rate_limit - before->rate_limit, rate_limit);
    assert_int_equal(ph_dropped(h, "batch"), 0);
}

/* ---- pass-through ------------------------------------------------------------------- */

static void defaults_pass_the_batch_itself(void **state)
{
    struct ph *h = ph_create(&pcol_processor_sampling, "");
    struct pcol_batch *in = ph_corpus_batch("parca__profile-with-labels.pb.gz");

    (void)state;
    ph_process(h, in);
    assert_ptr_equal(ph_take(h), in);
    pcol_batch_release(in);
    ph_destroy(h);
}

static void all_kept_passes_without_a_copy(void **state)
{
    struct ph *h = ph_create(&pcol_processor_sampling, "policies:\n"
                                                       "  - match: {sample_type: goroutine}\n"
                                                       "    action: drop\n"
                                                       "probabilistic: {sampling_percentage: 100}\n"
                                                       "rate_limit: {profiles: 100}\n");
    struct pcol_batch *in = ph_corpus_batch("google-pprof__large.cpu");
    struct drops d = drops_now(h);

    (void)state;
    ph_process(h, in);
    assert_ptr_equal(ph_take(h), in);
    assert_drops(h, &d, 0, 0, 0);
    pcol_batch_release(in);
    ph_destroy(h);
}

/* ---- probabilistic -------------------------------------------------------------------- */

static void percentage_zero_drops_everything(void **state)
{
    struct ph *h = ph_create(&pcol_processor_sampling, "probabilistic: {sampling_percentage: 0}");
    struct drops d = drops_now(h);

    (void)state;
    ph_process(h, ph_corpus_batch("google-pprof__large.cpu"));
    ph_process(h, ph_corpus_batch("parca__alloc_objects.pb.gz"));
    assert_int_equal(ph_count(h), 0);
    assert_drops(h, &d, 0, 6, 0);
    assert_int_equal(ph_budget_bytes(h), 0); /* the inputs were released */
    ph_destroy(h);
}

static struct pcol_batch *many_profiles(uint32_t n)
{
    struct pcol_batch *b = pcol_batch_create(0);
    uint32_t r = add_res(b, "checkout"), i;

    for (i = 1; i <= n; i++) {
        add_prof(b, r, "cpu", i, 1700000000000000000ull, i);
    }
    return b;
}

/* The recipe probabilistic.c documents, written out independently. */
static bool recipe_keeps(uint64_t seed, const char *service, const uint8_t id[16], double pct)
{
    uint64_t h = 0xcbf29ce484222325ull;
    uint8_t key[8 + 64 + 16];
    size_t n = 0, i;

    for (i = 0; i < 8; i++) {
        key[n++] = (uint8_t)(seed >> (56 - 8 * i));
    }
    memcpy(key + n, service, strlen(service));
    n += strlen(service);
    memcpy(key + n, id, 16);
    n += 16;
    for (i = 0; i < n; i++) {
        h = (h ^ key[i]) * 0x100000001b3ull;
    }
    return h % 10000 < (uint64_t)(pct * 100 + 0.5);
}

static void half_of_2000_follows_the_recipe(void **state)
{
    struct ph *h = ph_create(&pcol_processor_sampling,
                             "probabilistic:\n  sampling_percentage: 50\n  hash_seed: 42\n");
    struct pcol_batch *in = many_profiles(2000), *out;
    struct renders before = render_batch(in);
    struct drops d = drops_now(h);
    static bool kept[2001];
    bool *keep;
    size_t n_kept = 0;
    uint32_t i;

    (void)state;
    ph_process(h, in);
    out = ph_take(h);
    assert_non_null(out);
    kept_values(out, kept, 2001);
    for (i = 1; i <= 2000; i++) {
        uint8_t id[16];
        make_id(i, id);
        assert_int_equal(kept[i], recipe_keeps(42, "checkout", id, 50));
        n_kept += kept[i];
    }
    assert_true(n_kept >= 900 && n_kept <= 1100);
    assert_int_equal(pcol_batch_profile_count(out), n_kept);
    assert_drops(h, &d, 0, 2000 - n_kept, 0);
    /* What was kept is exactly what came in. */
    keep = mask(&before, "", true);
    for (i = 0; i < before.n; i++) {
        keep[i] = kept[strtoul(strstr(before.v[i], "sample v=") + 9, NULL, 10)];
    }
    assert_kept(&before, out, keep);
    free(keep);
    free_renders(&before);
    pcol_batch_release(out);
    ph_destroy(h);
}

/* Which of `n` profiles an instance configured with `yaml` keeps. */
static void decisions(const char *yaml, bool *kept, uint32_t n)
{
    struct ph *h = ph_create(&pcol_processor_sampling, yaml);
    struct pcol_batch *out;

    ph_process(h, many_profiles(n));
    out = ph_take(h);
    kept_values(out, kept, n + 1);
    pcol_batch_release(out);
    ph_destroy(h);
}

static void instances_with_one_seed_agree(void **state)
{
    static bool a[2001], b[2001], c[2001];
    uint32_t i, same = 0, differ = 0;

    (void)state;
    decisions("probabilistic: {sampling_percentage: 50, hash_seed: 7}", a, 2000);
    decisions("probabilistic: {sampling_percentage: 50, hash_seed: 7}", b, 2000);
    decisions("probabilistic: {sampling_percentage: 50, hash_seed: 8}", c, 2000);
    for (i = 1; i <= 2000; i++) {
        assert_int_equal(a[i], b[i]);
        same += a[i] == c[i];
        differ += a[i] != c[i];
    }
    /* Another seed is another, independent half: about half agree. */
    assert_true(differ >= 800 && differ <= 1200);
    assert_true(same >= 800);
}

static void attribute_key_decides_per_value(void **state)
{
    struct ph *h = ph_create(&pcol_processor_sampling,
                             "probabilistic: {sampling_percentage: 50, attribute: host.name}");
    struct pcol_batch *in = pcol_batch_create(0), *out;
    static bool kept[201];
    uint32_t host, i, kept_hosts = 0;
    char name[32];

    (void)state;
    /* 20 hosts of one service, 10 profiles each, half of them carrying
     * host.name on the profile and half on the resource. */
    for (host = 0; host < 20; host++) {
        uint32_t r = add_res(in, "checkout");
        snprintf(name, sizeof(name), "host-%u", host);
        if (host % 2) {
            res_str(in, r, "host.name", name);
        }
        for (i = 0; i < 10; i++) {
            uint32_t p = add_prof(in, r, "cpu", host * 10 + i + 1, 1, host * 10 + i + 1);
            if (host % 2 == 0) {
                prof_str(in, r, p, "host.name", name);
            }
        }
    }
    ph_process(h, in);
    out = ph_take(h);
    kept_values(out, kept, 201);
    for (host = 0; host < 20; host++) {
        for (i = 1; i < 10; i++) {
            assert_int_equal(kept[host * 10 + i + 1], kept[host * 10 + 1]);
        }
        kept_hosts += kept[host * 10 + 1];
    }
    assert_true(kept_hosts > 0 && kept_hosts < 20);
    assert_int_equal(pcol_batch_profile_count(out), kept_hosts * 10);
    pcol_batch_release(out);
    ph_destroy(h);
}

static void id_less_profiles_hash_their_time(void **state)
{
    static const char *const yamls[] = {
        "probabilistic: {sampling_percentage: 50, hash_seed: 1}",
        "probabilistic: {sampling_percentage: 50, hash_seed: 2}",
        "probabilistic: {sampling_percentage: 50, hash_seed: 3}",
        "probabilistic: {sampling_percentage: 50, hash_seed: 4}",
    };
    static bool kept[401];
    struct pcol_batch *in;
    uint32_t i, y, kept_times;

    (void)state;
    /* The four sample types of one pprof share time and (no) service, so
     * they are kept or dropped together. */
    for (y = 0; y < 4; y++) {
        struct ph *h = ph_create(&pcol_processor_sampling, yamls[y]);
        size_t n = run_count(h, ph_corpus_batch("parca__alloc_objects.pb.gz"));
        assert_true(n == 0 || n == 4);
        ph_destroy(h);
    }
    /* Without ids, different times decide independently, one time alike. */
    in = pcol_batch_create(0);
    add_res(in, "checkout");
    for (i = 1; i <= 400; i++) {
        add_prof(in, 0, "cpu", 0, 1700000000000000000ull + (i / 2) * 1000000007ull, i);
    }
    {
        struct ph *h = ph_create(&pcol_processor_sampling, yamls[0]);
        struct pcol_batch *out;
        ph_process(h, in);
        out = ph_take(h);
        kept_values(out, kept, 401);
        pcol_batch_release(out);
        ph_destroy(h);
    }
    kept_times = 0;
    for (i = 2; i <= 400; i += 2) {
        assert_int_equal(kept[i], kept[i + 1 <= 400 ? i + 1 : i]);
        kept_times += kept[i];
    }
    assert_true(kept_times >= 70 && kept_times <= 130);
}

/* ---- rate_limit ------------------------------------------------------------------------ */

/* A batch of `n` cpu profiles of `service` (no service when NULL). */
static struct pcol_batch *service_batch(const char *service, uint32_t n)
{
    struct pcol_batch *b = pcol_batch_create(0);
    uint32_t r = add_res(b, service), i;

    for (i = 0; i < n; i++) {
        add_prof(b, r, "cpu", i + 1, 1, i + 1);
    }
    return b;
}

static void rate_limit_refills_each_interval(void **state)
{
    struct ph *h =
        ph_create(&pcol_processor_sampling, "rate_limit: {profiles: 3, interval: 200ms}");
    struct drops d = drops_now(h);

    (void)state;
    assert_int_equal(run_count(h, service_batch("a", 5)), 3);
    assert_int_equal(run_count(h, service_batch("a", 2)), 0);
    assert_drops(h, &d, 0, 0, 4);
    ph_run_for(h, 500);
    /* Two and a half intervals refilled the bucket, never past its size. */
    assert_int_equal(run_count(h, service_batch("a", 5)), 3);
    assert_drops(h, &d, 0, 0, 6);
    ph_destroy(h);
}

static void rate_limit_refills_continuously(void **state)
{
    /* One token per 100ms. */
    struct ph *h = ph_create(&pcol_processor_sampling, "rate_limit: {profiles: 20, interval: 2s}");
    size_t n;

    (void)state;
    assert_int_equal(run_count(h, service_batch("a", 25)), 20);
    ph_run_for(h, 150);
    n = run_count(h, service_batch("a", 20));
    assert_true(n >= 1 && n < 20);
    ph_destroy(h);
}

static void rate_limit_burst(void **state)
{
    struct ph *h =
        ph_create(&pcol_processor_sampling, "rate_limit: {profiles: 2, interval: 1h, burst: 5}");
    struct drops d = drops_now(h);

    (void)state;
    assert_int_equal(run_count(h, service_batch("a", 8)), 5);
    assert_int_equal(run_count(h, service_batch("a", 1)), 0);
    assert_drops(h, &d, 0, 0, 4);
    ph_destroy(h);
}

static void rate_limit_buckets_per_key(void **state)
{
    struct ph *h =
        ph_create(&pcol_processor_sampling, "rate_limit: {profiles: 2, interval: 1h, key: tenant}");
    struct pcol_batch *in = pcol_batch_create(0), *out;
    struct renders before;
    static const char *const tenants[] = {"red", "blue", NULL,   "red", "blue",
                                          NULL,  "red",  "blue", NULL,  "red"};
    bool *keep;
    uint32_t i;

    (void)state;
    for (i = 0; i < 10; i++) {
        uint32_t r = add_res(in, "same-service");
        if (tenants[i]) {
            res_str(in, r, "tenant", tenants[i]);
        }
        add_prof(in, r, "cpu", i + 1, 1, i + 1);
    }
    before = render_batch(in);
    ph_process(h, in);
    out = ph_take(h);
    /* Two per tenant, two for the profiles without one: the first six. */
    assert_int_equal(pcol_batch_profile_count(out), 6);
    assert_int_equal(out->n_resources, 6);
    keep = mask(&before, "", true);
    for (i = 6; i < 10; i++) {
        keep[i] = false;
    }
    assert_kept(&before, out, keep);
    free(keep);
    free_renders(&before);
    pcol_batch_release(out);
    /* red is empty now, a new tenant is not. */
    in = service_batch("same-service", 1);
    res_str(in, 0, "tenant", "red");
    assert_int_equal(run_count(h, in), 0);
    in = service_batch("same-service", 1);
    res_str(in, 0, "tenant", "green");
    assert_int_equal(run_count(h, in), 1);
    ph_destroy(h);
}

static void rate_limit_evicts_least_recently_used(void **state)
{
    static const char *const yamls[] = {
        "rate_limit: {profiles: 1, interval: 1h, max_keys: 2}",
        "rate_limit: {profiles: 1, interval: 1h}",
    };
    int y;

    (void)state;
    for (y = 0; y < 2; y++) {
        struct ph *h = ph_create(&pcol_processor_sampling, yamls[y]);
        bool bounded = y == 0;

        assert_int_equal(run_count(h, service_batch("a", 1)), 1);
        assert_int_equal(run_count(h, service_batch("b", 1)), 1);
        /* c is new: with max_keys 2 it evicts a, the least recently used. */
        assert_int_equal(run_count(h, service_batch("c", 1)), 1);
        /* b is still tracked and empty (and now the most recently used). */
        assert_int_equal(run_count(h, service_batch("b", 1)), 0);
        /* a was forgotten, so it starts full again (evicting c). */
        assert_int_equal(run_count(h, service_batch("a", 1)), bounded ? 1 : 0);
        /* c was evicted by a: full again; unbounded, it is still empty. */
        assert_int_equal(run_count(h, service_batch("c", 1)), bounded ? 1 : 0);
        /* b was the least recently used when c came back. */
        assert_int_equal(run_count(h, service_batch("b", 1)), bounded ? 1 : 0);
        ph_destroy(h);
    }
}

/* ---- policies ------------------------------------------------------------------------- */

static const char policies_yaml[] = "policies:\n"
                                    "  - name: checkout always\n"
                                    "    match:\n"
                                    "      attributes: {service.name: checkout}\n"
                                    "  - name: no goroutines\n"
                                    "    match: {sample_type: goroutine}\n"
                                    "    action: drop\n"
                                    "  - name: during incidents\n"
                                    "    match:\n"
                                    "      attributes: {incident: \"true\"}\n"
                                    "  - name: debug requests\n"
                                    "    match:\n"
                                    "      attributes: {debug.profile: \"*\"}\n"
                                    "  - name: tier one\n"
                                    "    match:\n"
                                    "      attributes: {tier: 1}\n"
                                    "  - name: payments are sampled\n"
                                    "    match:\n"
                                    "      regex: {service.name: \"^pay\"}\n"
                                    "    action: sample\n"
                                    "  - name: no ads\n"
                                    "    match:\n"
                                    "      regex: {service.name: \"^ad\"}\n"
                                    "    action: drop\n"
                                    "  - name: never reached for checkout\n"
                                    "    match:\n"
                                    "      attributes: {service.name: checkout}\n"
                                    "    action: drop\n"
                                    "probabilistic: {sampling_percentage: 0}\n";

static void policies_first_match_decides(void **state)
{
    struct ph *h = ph_create(&pcol_processor_sampling, policies_yaml);
    struct pcol_batch *in = pcol_batch_create(0), *out;
    struct drops d = drops_now(h);
    struct renders before;
    bool *keep;
    uint32_t r, p;

    (void)state;
    r = add_res(in, "checkout");
    add_prof(in, r, "cpu", 1, 1, 1);
    add_prof(in, r, "goroutine", 2, 1, 2); /* keep: the checkout rule is first */
    r = add_res(in, "cart");
    add_prof(in, r, "cpu", 3, 1, 3);       /* probabilistic 0 */
    add_prof(in, r, "goroutine", 4, 1, 4); /* policy drop */
    p = add_prof(in, r, "alloc_space", 5, 1, 5);
    prof_str(in, r, p, "debug.profile", ""); /* present, even empty: keep */
    r = add_res(in, "search");
    res_attr(in, r, "incident", (struct pcol_value){.kind = PCOL_VAL_BOOL, .u.b = true});
    add_prof(in, r, "cpu", 6, 1, 6);       /* keep: incident=true (a bool, as text) */
    add_prof(in, r, "goroutine", 7, 1, 7); /* the goroutine rule comes first */
    r = add_res(in, "payments-eu");
    add_prof(in, r, "cpu", 8, 1, 8); /* sample: left to probabilistic 0 */
    r = add_res(in, "ads");
    res_str(in, r, "incident", "false");
    add_prof(in, r, "cpu", 9, 1, 9); /* incident is not "true"; "^ad": policy drop */
    p = add_prof(in, r, "cpu", 10, 1, 10);
    prof_str(in, r, p, "service.name", "checkout"); /* the profile's own wins: keep */
    r = add_res(in, "payments-us");
    res_attr(in, r, "tier", (struct pcol_value){.kind = PCOL_VAL_INT, .u.i = 1});
    add_prof(in, r, "cpu", 11, 1, 11); /* keep: tier 1 (an int, as text) before "^pay" */

    before = render_batch(in);
    ph_process(h, in);
    out = ph_take(h);
    assert_non_null(out);
    assert_drops(h, &d, 3, 2, 0);
    assert_int_equal(pcol_batch_profile_count(out), 6);
    assert_int_equal(out->n_resources, 5); /* payments-eu is gone whole */
    assert_int_equal(out->resources[3].scopes[0].n_profiles, 1);
    keep = mask(&before, "", true);
    keep[2] = keep[3] = keep[6] = keep[7] = keep[8] = false;
    assert_kept(&before, out, keep);
    free(keep);
    free_renders(&before);
    pcol_batch_release(out);
    ph_destroy(h);
}

static void keep_overrides_the_samplers(void **state)
{
    struct ph *h =
        ph_create(&pcol_processor_sampling, "policies:\n"
                                            "  - match: {attributes: {incident: \"true\"}}\n"
                                            "    action: keep\n"
                                            "probabilistic: {sampling_percentage: 0}\n"
                                            "rate_limit: {profiles: 1, interval: 1h}\n");
    struct pcol_batch *in;
    struct drops d = drops_now(h);

    (void)state;
    in = service_batch("checkout", 5);
    res_str(in, 0, "incident", "true");
    assert_int_equal(run_count(h, in), 5);
    in = service_batch("checkout", 5);
    res_str(in, 0, "incident", "true");
    assert_int_equal(run_count(h, in), 5); /* no tokens were taken */
    assert_int_equal(run_count(h, service_batch("checkout", 5)), 0);
    assert_drops(h, &d, 0, 5, 0);
    ph_destroy(h);
}

/* One batch, three services from three corpus profiles. */
static struct pcol_batch *corpus_services(void)
{
    static const char *const files[] = {"google-pprof__large.cpu", "parca__alloc_objects.pb.gz",
                                        "parca__profile-with-labels.pb.gz"};
    static const char *const services[] = {"checkout", "cart", "search"};
    struct pcol_batch *all = pcol_batch_create(0);
    int i;

    for (i = 0; i < 3; i++) {
        struct pcol_batch *b = ph_corpus_batch(files[i]);
        assert_int_equal(b->n_resources, 1);
        res_str(b, 0, "service.name", services[i]);
        pcol_batch_merge(all, b);
        pcol_batch_release(b);
    }
    return all;
}

static void dropping_a_resource_keeps_the_rest_intact(void **state)
{
    struct ph *h = ph_create(&pcol_processor_sampling, "policies:\n"
                                                       "  - name: no cart\n"
                                                       "    match:\n"
                                                       "      attributes: {service.name: cart}\n"
                                                       "    action: drop\n");
    struct pcol_batch *in = corpus_services(), *out;
    struct renders before = render_batch(in);
    struct drops d = drops_now(h);
    uint32_t in_strings = in->dict.strings.n, in_functions = in->dict.functions.n;
    bool *keep;

    (void)state;
    assert_int_equal(pcol_batch_profile_count(in), 7);
    assert_int_equal(sum_type(in, "cpu"), 240290000000);
    assert_int_equal(sum_type(in, "alloc_space"), 116044559690);
    ph_process(h, in);
    out = ph_take(h);
    assert_non_null(out);
    assert_drops(h, &d, 4, 0, 0);
    assert_int_equal(out->n_resources, 2);
    assert_int_equal(pcol_batch_profile_count(out), 3);
    keep = mask(&before, "service.name=1:cart", false);
    assert_kept(&before, out, keep);
    free(keep);
    /* The sums of the kept sample types are the input's, exactly. */
    assert_int_equal(sum_type(out, "cpu"), 240290000000);
    assert_int_equal(sum_type(out, "samples"), 24029 + 462);
    assert_int_equal(sum_type(out, "alloc_space"), 0);
    assert_int_equal(sum_type(out, "inuse_objects"), 0);
    /* The copy is compacted: cart's functions and names stayed behind. */
    assert_true(out->dict.strings.n < in_strings);
    assert_true(out->dict.functions.n < in_functions);
    free_renders(&before);
    pcol_batch_release(out);
    ph_destroy(h);
}

static void sample_type_policy_on_a_corpus_profile(void **state)
{
    struct ph *h =
        ph_create(&pcol_processor_sampling,
                  "policies:\n  - match: {sample_type: alloc_space}\n    action: drop\n");
    struct pcol_batch *in = ph_corpus_batch("parca__alloc_objects.pb.gz"), *out;
    struct renders before = render_batch(in);
    struct drops d = drops_now(h);
    bool *keep;

    (void)state;
    ph_process(h, in);
    out = ph_take(h);
    assert_drops(h, &d, 1, 0, 0);
    assert_int_equal(pcol_batch_profile_count(out), 3);
    assert_int_equal(sum_type(out, "alloc_space"), 0);
    assert_int_equal(sum_type(out, "alloc_objects"), 310797348);
    assert_int_equal(sum_type(out, "inuse_objects"), 74172);
    assert_int_equal(sum_type(out, "inuse_space"), 14730706);
    assert_int_equal(pcol_batch_sample_count(out), 3 * 4661);
    keep = mask(&before, "profile alloc_space/", false);
    assert_int_equal(before.n, 4);
    assert_kept(&before, out, keep);
    free(keep);
    free_renders(&before);
    pcol_batch_release(out);
    ph_destroy(h);
}

static void policies_then_rate_limit_on_corpus(void **state)
{
    /* checkout is kept whole; the others share one bucket of 2 tokens
     * (key: a missing attribute), taken in batch order. */
    struct ph *h = ph_create(&pcol_processor_sampling,
                             "policies:\n"
                             "  - match: {attributes: {service.name: checkout}}\n"
                             "rate_limit: {profiles: 2, interval: 1h, key: k8s.pod.name}\n");
    struct pcol_batch *out;
    struct drops d = drops_now(h);

    (void)state;
    ph_process(h, corpus_services());
    out = ph_take(h);
    assert_drops(h, &d, 0, 0, 3);
    assert_int_equal(pcol_batch_profile_count(out), 4);
    assert_int_equal(sum_type(out, "cpu"), 240290000000);
    assert_int_equal(sum_type(out, "alloc_space"), 116044559690);
    assert_int_equal(sum_type(out, "alloc_objects"), 310797348);
    assert_int_equal(sum_type(out, "inuse_objects"), 0);
    pcol_batch_release(out);
    ph_destroy(h);
}

/* ---- config ------------------------------------------------------------------------------ */

static void config_errors(void **state)
{
    struct pcol_diag d = {0};

    (void)state;
    assert_int_equal(ph_config_errors(&pcol_processor_sampling,
                                      "probabilistic:\n  sampling_percentage: 150\n", &d),
                     1);
    ASSERT_ERROR(&d, 2, 24, "out of range");
    pcol_diag_free(&d);

    assert_int_equal(ph_config_errors(&pcol_processor_sampling,
                                      "rate_limit:\n  profiles: 5\n  interval: 0\n", &d),
                     1);
    ASSERT_ERROR(&d, 3, 13, "rate_limit.interval");
    pcol_diag_free(&d);

    assert_int_equal(ph_config_errors(&pcol_processor_sampling,
                                      "policies:\n"
                                      "  - match: {sample_type: cpu}\n"
                                      "  - match:\n"
                                      "      regex: {service.name: \"(?=x)\"}\n",
                                      &d),
                     1);
    ASSERT_ERROR(&d, 4, 29, "policies[1].match.regex.service.name");
    pcol_diag_free(&d);

    assert_int_equal(
        ph_config_errors(&pcol_processor_sampling, "policies:\n  - action: maybe\n", &d), 1);
    ASSERT_ERROR(&d, 2, 13, "allowed: keep, drop, sample");
    pcol_diag_free(&d);

    assert_int_equal(
        ph_config_errors(&pcol_processor_sampling, "policies:\n  - match: {servce: x}\n", &d), 1);
    ASSERT_ERROR(&d, 2, 13, "unknown option");
    pcol_diag_free(&d);

    /* Warnings only: a rule after a catch-all, burst without profiles. */
    assert_int_equal(ph_config_errors(&pcol_processor_sampling,
                                      "policies:\n"
                                      "  - action: keep\n"
                                      "  - action: drop\n"
                                      "rate_limit: {burst: 3}\n",
                                      &d),
                     0);
    ASSERT_WARNING(&d, 3, 5, "never applies");
    ASSERT_WARNING(&d, 4, 21, "no effect");
    pcol_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_pass_the_batch_itself),
        cmocka_unit_test(all_kept_passes_without_a_copy),
        cmocka_unit_test(percentage_zero_drops_everything),
        cmocka_unit_test(half_of_2000_follows_the_recipe),
        cmocka_unit_test(instances_with_one_seed_agree),
        cmocka_unit_test(attribute_key_decides_per_value),
        cmocka_unit_test(id_less_profiles_hash_their_time),
        cmocka_unit_test(rate_limit_refills_each_interval),
        cmocka_unit_test(rate_limit_refills_continuously),
        cmocka_unit_test(rate_limit_burst),
        cmocka_unit_test(rate_limit_buckets_per_key),
        cmocka_unit_test(rate_limit_evicts_least_recently_used),
        cmocka_unit_test(policies_first_match_decides),
        cmocka_unit_test(keep_overrides_the_samplers),
        cmocka_unit_test(dropping_a_resource_keeps_the_rest_intact),
        cmocka_unit_test(sample_type_policy_on_a_corpus_profile),
        cmocka_unit_test(policies_then_rate_limit_on_corpus),
        cmocka_unit_test(config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
