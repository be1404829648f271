/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_proc_symbolstrip.c: the `symbolstrip` processor on real corpus
 * profiles, driven through the processor harness.
 *
 * Names cannot be restored after stripping, so the tests compare everything
 * else: each batch is rendered to text without the fields a mode may change
 * (function data, location lines, mapping paths, the has_* mapping flags)
 * and the renderings before and after must be equal; sample order and stack
 * shapes survive a clone, so frames are also compared one by one, in order.
 *
 * Ownership: each test owns the batches it decodes or takes out of the
 * harness and releases them; the environment variables it sets are its own
 * (PCOL_TEST_SYMSTRIP_*).
 */
#include "proc_harness.h"

#include "codec_otlp.h"
#include "codec_pprof.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const struct pcol_component_def pcol_processor_symbolstrip;

static const char *const corpus[] = {
    "google-pprof__large.cpu",
    "parca__profile-with-labels.pb.gz",
    "pprof_all_fields.pb.gz",
    "otlp_spec_simple_cpu.binpb",
};

/* ---- rendering what must not change ------------------------------------------ */

struct view {
    bool names; /* function data and location lines */
    bool paths; /* mapping file names */
    bool flags; /* pprof.mapping.has_* attributes */
};

static bool is_flag(const struct pcol_batch *b, int32_t key)
{
    return strncmp(pcol_cstr(b, key), "pprof.mapping.has_", 18) == 0;
}

static void put_value(const struct pcol_batch *b, const struct pcol_value *v, struct pcol_buf *o)
{
    pcol_value_text(b, v, o);
    pcol_buf_printf(o, "(%u)", v->kind);
}

static void put_attrs(const struct pcol_batch *b, struct pcol_ilist l, bool flags,
                      struct pcol_buf *o)
{
    uint32_t i;

    pcol_buf_putc(o, '{');
    for (i = 0; i < l.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, l.v[i]);
        if (!flags && is_flag(b, a->key)) {
            continue;
        }
        pcol_buf_printf(o, "%s[%s]=", pcol_cstr(b, a->key), pcol_cstr(b, a->unit));
        put_value(b, &a->value, o);
        pcol_buf_putc(o, ',');
    }
    pcol_buf_putc(o, '}');
}

static void put_kvs(const struct pcol_batch *b, const struct pcol_kv *kv, uint32_t n,
                    struct pcol_buf *o)
{
    uint32_t i;

    pcol_buf_putc(o, '{');
    for (i = 0; i < n; i++) {
        pcol_buf_printf(o, "%s=", pcol_cstr(b, kv[i].key));
        put_value(b, &kv[i].value, o);
        pcol_buf_putc(o, ',');
    }
    pcol_buf_putc(o, '}');
}

static void put_function(const struct pcol_batch *b, int32_t fi, struct pcol_buf *o)
{
    const struct pcol_function *f = pcol_function_at(b, fi);

    pcol_buf_printf(o, "%s|%s|%s|%lld", pcol_cstr(b, f->name), pcol_cstr(b, f->system_name),
                    pcol_cstr(b, f->filename), (long long)f->start_line);
}

static void put_location(const struct pcol_batch *b, int32_t li, const struct view *v,
                         struct pcol_buf *o)
{
    const struct pcol_location *l = pcol_location_at(b, li);
    const struct pcol_mapping *m = pcol_mapping_at(b, l->mapping);
    uint32_t j;

    pcol_buf_printf(o, "0x%llx M[0x%llx/0x%llx/0x%llx %s ", (unsigned long long)l->address,
                    (unsigned long long)m->memory_start, (unsigned long long)m->memory_limit,
                    (unsigned long long)m->file_offset, v->paths ? pcol_cstr(b, m->filename) : "-");
    put_attrs(b, m->attrs, v->flags, o);
    pcol_buf_puts(o, "] ");
    put_attrs(b, l->attrs, true, o);
    for (j = 0; v->names && j < l->n_lines; j++) {
        pcol_buf_puts(o, " L:");
        put_function(b, l->lines[j].function, o);
        pcol_buf_printf(o, ":%lld:%lld", (long long)l->lines[j].line,
                        (long long)l->lines[j].column);
    }
}

static void put_sample(const struct pcol_batch *b, const struct pcol_sample *s,
                       const struct view *v, struct pcol_buf *o)
{
    const struct pcol_stack *st = pcol_stack_at(b, s->stack);
    const struct pcol_link *lk = pcol_link_at(b, s->link);
    uint32_t i;

    pcol_buf_puts(o, "  sample");
    for (i = 0; i < s->n_values; i++) {
        pcol_buf_printf(o, " %lld", (long long)s->values[i]);
    }
    for (i = 0; i < s->n_timestamps; i++) {
        pcol_buf_printf(o, " t%llu", (unsigned long long)s->timestamps[i]);
    }
    pcol_buf_printf(o, " link %02x%02x/%02x ", lk->trace_id[0], lk->trace_id[15], lk->span_id[7]);
    put_attrs(b, s->attrs, true, o);
    pcol_buf_putc(o, '\n');
    for (i = 0; i < st->locations.n; i++) {
        pcol_buf_puts(o, "    ");
        put_location(b, st->locations.v[i], v, o);
        pcol_buf_putc(o, '\n');
    }
}

static void put_profile(const struct pcol_batch *b, const struct pcol_profile *p,
                        const struct view *v, struct pcol_buf *o)
{
    uint32_t i;

    pcol_buf_printf(o, " profile %s/%s %s/%s period %lld time %llu dur %llu id %02x%02x ",
                    pcol_cstr(b, p->sample_type.type), pcol_cstr(b, p->sample_type.unit),
                    pcol_cstr(b, p->period_type.type), pcol_cstr(b, p->period_type.unit),
                    (long long)p->period, (unsigned long long)p->time_unix_nano,
                    (unsigned long long)p->duration_nano, p->profile_id[0], p->profile_id[15]);
    pcol_buf_printf(o, "dropped %u fmt %s payload %zu ", p->dropped_attributes_count,
                    pcol_cstr(b, p->original_payload_format), p->original_payload_len);
    put_attrs(b, p->attrs, true, o);
    pcol_buf_putc(o, '\n');
    for (i = 0; i < p->n_samples; i++) {
        put_sample(b, &p->samples[i], v, o);
    }
}

/* Everything the batch says, but for what `v` leaves out. */
static char *render(const struct pcol_batch *b, struct view v)
{
    struct pcol_buf o = {0};
    uint32_t i, j, k;

    for (i = 0; i < b->n_resources; i++) {
        const struct pcol_resource *r = &b->resources[i];
        pcol_buf_printf(&o, "resource %s dropped %u refs %u ", pcol_cstr(b, r->schema_url),
                        r->dropped_attributes_count, r->n_entity_refs);
        put_kvs(b, r->attrs, r->n_attrs, &o);
        pcol_buf_putc(&o, '\n');
        for (j = 0; j < r->n_scopes; j++) {
            const struct pcol_scope *s = &r->scopes[j];
            pcol_buf_printf(&o, "scope %s %s %s dropped %u ", pcol_cstr(b, s->name),
                            pcol_cstr(b, s->version), pcol_cstr(b, s->schema_url),
                            s->dropped_attributes_count);
            put_kvs(b, s->attrs, s->n_attrs, &o);
            pcol_buf_putc(&o, '\n');
            for (k = 0; k < s->n_profiles; k++) {
                put_profile(b, &s->profiles[k], &v, &o);
            }
        }
    }
    pcol_buf_putc(&o, '\0');
    return (char *)o.p;
}

static void assert_same_view(const struct pcol_batch *a, const struct pcol_batch *b, struct view v)
{
    char *ra = render(a, v), *rb = render(b, v);

    assert_string_equal(ra, rb);
    free(ra);
    free(rb);
}

/* ---- walking frames in order ------------------------------------------------- */

struct frames {
    int32_t *v;
    size_t n, cap;
};

/* Every location of every sample's stack, in order (profiles, samples,
 * stack positions): the same positions in a batch and its stripped copy
 * are the same frame. */
static struct frames frames_of(const struct pcol_batch *b)
{
    struct frames f = {0};
    uint32_t i, j, k, s, l;

    for (i = 0; i < b->n_resources; i++) {
        for (j = 0; j < b->resources[i].n_scopes; j++) {
            const struct pcol_scope *sc = &b->resources[i].scopes[j];
            for (k = 0; k < sc->n_profiles; k++) {
                for (s = 0; s < sc->profiles[k].n_samples; s++) {
                    struct pcol_ilist locs =
                        pcol_stack_at(b, sc->profiles[k].samples[s].stack)->locations;
                    for (l = 0; l < locs.n; l++) {
                        if (f.n == f.cap) {
                            f.cap = f.cap ? 2 * f.cap : 1024;
                            f.v = realloc(f.v, f.cap * sizeof(*f.v));
                            assert_non_null(f.v);
                        }
                        f.v[f.n++] = locs.v[l];
                    }
                }
            }
        }
    }
    return f;
}

static const char *fname(const struct pcol_batch *b, const struct pcol_line *ln)
{
    return pcol_cstr(b, pcol_function_at(b, ln->function)->name);
}

/* ---- running the processor ----------------------------------------------------- */

static double last_ms; /* how long the last strip_with's process() took */

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct pcol_batch *strip_with(const char *yaml, const char *file)
{
    struct ph *h = ph_create(&pcol_processor_symbolstrip, yaml);
    struct pcol_batch *in = ph_corpus_batch(file), *out;
    double t0 = now_ms();

    ph_process(h, in);
    last_ms = now_ms() - t0;
    assert_int_equal(ph_count(h), 1);
    out = ph_take(h);
    assert_int_equal(ph_dropped(h, "batch"), 0);
    ph_destroy(h);
    return out;
}

static int count_pprof(void *ctx, const struct pcol_pprof_meta *meta, const uint8_t *data,
                       size_t len)
{
    (void)meta;
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

static void encoded_sizes(const struct pcol_batch *b, size_t *otlp, size_t *pprof)
{
    struct pcol_pprof_encode_opts opts = {.gzip = true};
    struct pcol_err err = {0};
    struct pcol_buf o = {0};

    pcol_otlp_encode(b, &o);
    *otlp = o.len;
    pcol_buf_free(&o);
    *pprof = 0;
    assert_int_equal(pcol_pprof_encode(b, &opts, count_pprof, pprof, &err), 0);
}

static bool any_flag(const struct pcol_batch *b, const char *which)
{
    uint32_t i, j;

    for (i = 1; i < b->dict.mappings.n; i++) {
        const struct pcol_mapping *m = pcol_mapping_at(b, (int32_t)i);
        for (j = 0; j < m->attrs.n; j++) {
            const char *key = pcol_cstr(b, pcol_attr_at(b, m->attrs.v[j])->key);
            if (strncmp(key, "pprof.mapping.has_", 18) == 0 && strstr(key, which)) {
                return true;
            }
        }
    }
    return false;
}

static bool hex16(const char *s)
{
    size_t i;

    if (strncmp(s, "h:", 2) != 0 || strlen(s) != 18) {
        return false;
    }
    for (i = 2; i < 18; i++) {
        if (!strchr("0123456789abcdef", s[i])) {
            return false;
        }
    }
    return true;
}

/* ---- drop ---------------------------------------------------------------------- */

/* Exact numbers of the corpus files, before and after: samples, and the
 * sum of the first profile's values. */
static const struct {
    const char *file;
    size_t samples;
    long long first_sum;
} expect[] = {
    {"google-pprof__large.cpu", 40860, 240290000000},
    {"parca__profile-with-labels.pb.gz", 439, 462},
    {"pprof_all_fields.pb.gz", 9, 80000000},
    {"otlp_spec_simple_cpu.binpb", 2, 5},
};

static long long first_sum(const struct pcol_batch *b)
{
    const struct pcol_profile *p = &b->resources[0].scopes[0].profiles[0];
    long long sum = 0;
    uint32_t i, k;

    for (i = 0; i < p->n_samples; i++) {
        for (k = 0; k < p->samples[i].n_values; k++) {
            sum += p->samples[i].values[k];
        }
    }
    return sum;
}

/* Whether every profile's values sum to the same in both batches. */
static bool same_sums(const struct pcol_batch *a, const struct pcol_batch *b)
{
    uint32_t i, j, k, s, v;

    for (i = 0; i < a->n_resources; i++) {
        for (j = 0; j < a->resources[i].n_scopes; j++) {
            for (k = 0; k < a->resources[i].scopes[j].n_profiles; k++) {
                const struct pcol_profile *pa = &a->resources[i].scopes[j].profiles[k];
                const struct pcol_profile *pb = &b->resources[i].scopes[j].profiles[k];
                long long sa = 0, sb = 0;
                for (s = 0; s < pa->n_samples; s++) {
                    for (v = 0; v < pa->samples[s].n_values; v++) {
                        sa += pa->samples[s].values[v];
                    }
                }
                for (s = 0; s < pb->n_samples; s++) {
                    for (v = 0; v < pb->samples[s].n_values; v++) {
                        sb += pb->samples[s].values[v];
                    }
                }
                if (sa != sb) {
                    return false;
                }
            }
        }
    }
    return true;
}

/* How many of the frames `f` of `b` are in a mapping with a build id. */
static size_t build_ids(const struct pcol_batch *b, const struct frames *f)
{
    size_t n = 0, i;
    uint32_t j;

    for (i = 0; i < f->n; i++) {
        const struct pcol_mapping *m = pcol_mapping_at(b, pcol_location_at(b, f->v[i])->mapping);
        for (j = 0; j < m->attrs.n; j++) {
            const struct pcol_attr *a = pcol_attr_at(b, m->attrs.v[j]);
            n += strcmp(pcol_cstr(b, a->key), "process.executable.build_id.gnu") == 0 &&
                 a->value.kind == PCOL_VAL_STR && a->value.u.str != 0;
        }
    }
    return n;
}

static void drop_removes_names_keeps_the_rest(void **state)
{
    size_t i, f;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(corpus); i++) {
        struct pcol_batch *in = ph_corpus_batch(corpus[i]);
        struct pcol_batch *out = strip_with("", corpus[i]);
        struct frames fi = frames_of(in), fo = frames_of(out);
        size_t otlp_in, otlp_out, pprof_in, pprof_out;

        /* values, stacks (address + mapping content), attributes, headers */
        assert_same_view(in, out, (struct view){false, true, false});
        assert_int_equal(pcol_batch_sample_count(out), expect[i].samples);
        assert_int_equal(pcol_batch_sample_count(in), expect[i].samples);
        assert_int_equal(first_sum(out), expect[i].first_sum);
        assert_true(same_sums(in, out));
        assert_int_equal(build_ids(out, &fo), build_ids(in, &fi));
        assert_int_equal(fi.n, fo.n);
        /* no names, no lines, no has_* flags, nothing left in the table */
        for (f = 0; f < fo.n; f++) {
            assert_int_equal(pcol_location_at(out, fo.v[f])->n_lines, 0);
        }
        assert_int_equal(out->dict.functions.n, 1);
        assert_false(any_flag(out, "has_"));
        assert_true(out->dict.strings.n < in->dict.strings.n);

        encoded_sizes(in, &otlp_in, &pprof_in);
        encoded_sizes(out, &otlp_out, &pprof_out);
        assert_true(otlp_out < otlp_in);
        assert_true(pprof_out < pprof_in);
        print_message("drop %-34s %.1f ms, strings %5u -> %5u, OTLP %8zu -> %8zu (-%zu B), "
                      "pprof.gz %7zu -> %7zu (-%zu B)\n",
                      corpus[i], last_ms, in->dict.strings.n, out->dict.strings.n, otlp_in,
                      otlp_out, otlp_in - otlp_out, pprof_in, pprof_out, pprof_in - pprof_out);
        free(fi.v);
        free(fo.v);
        pcol_batch_release(in);
        pcol_batch_release(out);
    }
}

/* Whether string `si` (-1: absent) is the name or system name of a
 * function of `b`. */
static bool names_a_function(const struct pcol_batch *b, int32_t si)
{
    uint32_t i;

    for (i = 1; si > 0 && i < b->dict.functions.n; i++) {
        const struct pcol_function *f = pcol_function_at(b, (int32_t)i);
        if (f->name == si || f->system_name == si) {
            return true;
        }
    }
    return false;
}

/* `keep` on a Go profile: runtime.* frames survive whole, the others lose
 * their lines, and no other name is left anywhere in the batch. */
static void drop_keeps_matching_functions(void **state)
{
    const char *file = "parca__profile-with-labels.pb.gz";
    struct pcol_batch *in = ph_corpus_batch(file);
    struct pcol_batch *out = strip_with("keep: ['^runtime\\.']", file);
    struct frames fi = frames_of(in), fo = frames_of(out);
    size_t f, kept = 0, gone = 0;
    uint32_t i, j, k;

    (void)state;
    assert_same_view(in, out, (struct view){false, true, false});
    assert_int_equal(fi.n, fo.n);
    for (f = 0; f < fi.n; f++) {
        const struct pcol_location *li = pcol_location_at(in, fi.v[f]);
        const struct pcol_location *lo = pcol_location_at(out, fo.v[f]);
        for (j = 0, k = 0; j < li->n_lines; j++) {
            struct pcol_buf a = {0}, b = {0};
            if (strncmp(fname(in, &li->lines[j]), "runtime.", 8) != 0) {
                continue;
            }
            assert_true(k < lo->n_lines);
            put_function(in, li->lines[j].function, &a);
            put_function(out, lo->lines[k].function, &b);
            pcol_buf_putc(&a, '\0');
            pcol_buf_putc(&b, '\0');
            assert_string_equal(a.p, b.p);
            assert_int_equal(li->lines[j].line, lo->lines[k].line);
            pcol_buf_free(&a);
            pcol_buf_free(&b);
            k++;
            kept++;
        }
        assert_int_equal(k, lo->n_lines);
    }
    assert_true(kept > 0);
    for (i = 1; i < out->dict.functions.n; i++) {
        const struct pcol_function *fn = pcol_function_at(out, (int32_t)i);
        assert_memory_equal(pcol_cstr(out, fn->name), "runtime.", 8);
        assert_int_not_equal(fn->filename, 0);
    }
    for (i = 1; i < in->dict.functions.n; i++) {
        const char *name = pcol_cstr(in, pcol_function_at(in, (int32_t)i)->name);
        if (*name && strncmp(name, "runtime.", 8) != 0) {
            assert_false(names_a_function(out, pcol_dict_find_str(out, name, strlen(name))));
            gone++;
        }
    }
    assert_true(gone > 0);
    assert_false(any_flag(out, "has_"));
    print_message("keep ^runtime\\.: %zu runtime lines kept, %zu other function names gone, "
                  "%u functions left\n",
                  kept, gone, out->dict.functions.n - 1);
    free(fi.v);
    free(fo.v);
    pcol_batch_release(in);
    pcol_batch_release(out);
}

/* ---- hash ----------------------------------------------------------------------- */

/* Checks one hashed field: empty stays empty, a kept function stays as it
 * is, anything else is "h:" + 16 hex, the same under the same key and not
 * the same under another. */
static void check_hashed(const char *in, const char *a1, const char *b1, bool keep)
{
    if (!*in || keep) {
        assert_string_equal(in, a1);
        assert_string_equal(in, b1);
        return;
    }
    assert_true(hex16(a1));
    assert_true(hex16(b1));
    assert_string_not_equal(a1, b1);
}

static void hash_is_keyed_and_stable(void **state)
{
    const char *file = "parca__profile-with-labels.pb.gz";
    struct pcol_batch *in = ph_corpus_batch(file), *a1, *a2, *b1;
    struct frames fi, fa, fb;
    size_t f, hashed = 0, readable = 0;
    uint32_t j;

    (void)state;
    setenv("PCOL_TEST_SYMSTRIP_A", "first key", 1);
    setenv("PCOL_TEST_SYMSTRIP_B", "second key", 1);
    a1 = strip_with("mode: hash\nhash_key_env: PCOL_TEST_SYMSTRIP_A\nkeep: ['^runtime\\.']", file);
    a2 = strip_with("mode: hash\nhash_key_env: PCOL_TEST_SYMSTRIP_A\nkeep: ['^runtime\\.']", file);
    b1 = strip_with("mode: hash\nhash_key_env: PCOL_TEST_SYMSTRIP_B\nkeep: ['^runtime\\.']", file);
    /* the same key: the same output, names included; flags and all else stay */
    assert_same_view(a1, a2, (struct view){true, true, true});
    assert_same_view(in, a1, (struct view){false, true, true});
    assert_same_view(in, b1, (struct view){false, true, true});
    fi = frames_of(in);
    fa = frames_of(a1);
    fb = frames_of(b1);
    assert_int_equal(fi.n, fa.n);
    assert_int_equal(fi.n, fb.n);
    for (f = 0; f < fi.n; f++) {
        const struct pcol_location *li = pcol_location_at(in, fi.v[f]);
        const struct pcol_location *la = pcol_location_at(a1, fa.v[f]);
        const struct pcol_location *lb = pcol_location_at(b1, fb.v[f]);
        assert_int_equal(li->n_lines, la->n_lines);
        assert_int_equal(li->n_lines, lb->n_lines);
        for (j = 0; j < li->n_lines; j++) {
            const struct pcol_function *x = pcol_function_at(in, li->lines[j].function);
            const struct pcol_function *y = pcol_function_at(a1, la->lines[j].function);
            const struct pcol_function *z = pcol_function_at(b1, lb->lines[j].function);
            bool keep = strncmp(pcol_cstr(in, x->name), "runtime.", 8) == 0;
            check_hashed(pcol_cstr(in, x->name), pcol_cstr(a1, y->name), pcol_cstr(b1, z->name),
                         keep);
            check_hashed(pcol_cstr(in, x->system_name), pcol_cstr(a1, y->system_name),
                         pcol_cstr(b1, z->system_name), keep);
            check_hashed(pcol_cstr(in, x->filename), pcol_cstr(a1, y->filename),
                         pcol_cstr(b1, z->filename), keep);
            assert_int_equal(x->start_line, y->start_line);
            assert_int_equal(li->lines[j].line, la->lines[j].line);
            assert_int_equal(li->lines[j].column, la->lines[j].column);
            hashed += !keep;
            readable += keep;
        }
    }
    assert_true(hashed > 0);
    assert_true(readable > 0);
    print_message("hash: %zu lines hashed, %zu kept readable\n", hashed, readable);
    free(fi.v);
    free(fa.v);
    free(fb.v);
    pcol_batch_release(in);
    pcol_batch_release(a1);
    pcol_batch_release(a2);
    pcol_batch_release(b1);
}

/* Every name of every corpus file hashed: the format, and the values and
 * everything but names unchanged. */
static void hash_all_corpus_files(void **state)
{
    size_t i;
    uint32_t f;

    (void)state;
    setenv("PCOL_TEST_SYMSTRIP_A", "first key", 1);
    for (i = 0; i < PCOL_ARRAY_SIZE(corpus); i++) {
        struct pcol_batch *in = ph_corpus_batch(corpus[i]);
        struct pcol_batch *out =
            strip_with("mode: hash\nhash_key_env: PCOL_TEST_SYMSTRIP_A", corpus[i]);
        size_t n = 0;

        assert_same_view(in, out, (struct view){false, true, true});
        assert_true(same_sums(in, out));
        for (f = 1; f < out->dict.functions.n; f++) {
            const struct pcol_function *fn = pcol_function_at(out, (int32_t)f);
            const int32_t fields[] = {fn->name, fn->system_name, fn->filename};
            size_t k;
            for (k = 0; k < PCOL_ARRAY_SIZE(fields); k++) {
                assert_true(fields[k] == 0 || hex16(pcol_cstr(out, fields[k])));
                n += fields[k] != 0;
            }
        }
        assert_true(n > 0);
        print_message("hash %-34s %.1f ms, %u functions, %zu names hashed\n", corpus[i], last_ms,
                      out->dict.functions.n - 1, n);
        pcol_batch_release(in);
        pcol_batch_release(out);
    }
}

/* A one-frame batch whose function is `name` in file `file`. */
static struct pcol_batch *one_frame(const char *name, const char *file)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_function fn = {pcol_dict_cstr(b, name), 0, pcol_dict_cstr(b, file), 7};
    struct pcol_line *ln = pcol_arena_alloc(b->arena, sizeof(*ln));
    struct pcol_location loc = {0};
    struct pcol_profile *p;
    struct pcol_sample *s;
    int32_t li;

    ln->function = pcol_dict_intern(b, &b->dict.functions, &fn);
    ln->line = 12;
    loc.address = 0x1234;
    loc.lines = ln;
    loc.n_lines = 1;
    li = pcol_dict_intern(b, &b->dict.locations, &loc);
    p = pcol_scope_add_profile(b, pcol_resource_add_scope(b, pcol_batch_add_resource(b)));
    p->sample_type.type = pcol_dict_cstr(b, "samples");
    p->sample_type.unit = pcol_dict_cstr(b, "count");
    s = pcol_profile_add_sample(b, p);
    s->stack = pcol_dict_stack(b, &li, 1);
    s->values = pcol_arena_alloc(b->arena, sizeof(int64_t));
    s->values[0] = 3;
    s->n_values = 1;
    return b;
}

/* The output format, against HMAC-SHA256 known answers (key "key"). */
static void hash_known_answer(void **state)
{
    struct ph *h;
    struct pcol_batch *out;
    const struct pcol_location *l;
    const struct pcol_function *f;

    (void)state;
    setenv("PCOL_TEST_SYMSTRIP_KAT", "key", 1);
    h = ph_create(&pcol_processor_symbolstrip, "mode: hash\nhash_key_env: PCOL_TEST_SYMSTRIP_KAT");
    ph_process(h, one_frame("The quick brown fox jumps over the lazy dog", "fox.go"));
    out = ph_take(h);
    assert_non_null(out);
    l = pcol_location_at(
        out, pcol_stack_at(out, out->resources[0].scopes[0].profiles[0].samples[0].stack)
                 ->locations.v[0]);
    assert_int_equal(l->address, 0x1234);
    assert_int_equal(l->n_lines, 1);
    assert_int_equal(l->lines[0].line, 12);
    f = pcol_function_at(out, l->lines[0].function);
    assert_string_equal(pcol_cstr(out, f->name), "h:f7bc83f430538424");
    assert_string_equal(pcol_cstr(out, f->filename), "h:121fe3730aa72529");
    assert_int_equal(f->system_name, 0);
    assert_int_equal(f->start_line, 7);
    /* the readable strings are gone from the compacted batch */
    assert_int_equal(pcol_dict_find_str(out, "fox.go", 6), -1);
    pcol_batch_release(out);
    ph_destroy(h);
}

/* Runs init on an instance configured by `yaml`; returns its result and
 * what it logged (stderr) in `log`. */
static int init_logged(const char *yaml, char *log, size_t loglen)
{
    const struct pcol_component_def *def = &pcol_processor_symbolstrip;
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol_diag d = {0};
    const struct pcol_cfg_node *node = pcol__cfg_parse_value(a, "test.yaml", yaml, &d);
    struct pcol_instance inst = {0};
    FILE *tmp = tmpfile();
    int rc, saved;
    size_t n;

    assert_non_null(tmp);
    inst.def = def;
    inst.kind = PCOL_PROCESSOR;
    inst.id = "symbolstrip";
    inst.who = "processor symbolstrip";
    inst.arena = a;
    inst.ctx = pcol_arena_calloc(a, def->ctx_size);
    assert_int_equal(pcol_options_apply(def->options, node, inst.ctx, a, &d), 0);
    fflush(stderr);
    saved = dup(2);
    dup2(fileno(tmp), 2);
    rc = def->init(&inst);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    n = fread(log, 1, loglen - 1, tmp);
    log[n] = '\0';
    fclose(tmp);
    def->destroy(&inst);
    pcol_diag_free(&d);
    pcol_arena_destroy(a);
    return rc;
}

static void hash_needs_a_key(void **state)
{
    char log[1024];

    (void)state;
    unsetenv("PCOL_TEST_SYMSTRIP_NONE");
    assert_int_equal(
        init_logged("mode: hash\nhash_key_env: PCOL_TEST_SYMSTRIP_NONE", log, sizeof(log)),
        PCOL_EINVAL);
    assert_non_null(strstr(log, "error"));
    assert_non_null(strstr(log, "environment variable PCOL_TEST_SYMSTRIP_NONE is not set"));
    setenv("PCOL_TEST_SYMSTRIP_NONE", "", 1);
    assert_int_equal(
        init_logged("mode: hash\nhash_key_env: PCOL_TEST_SYMSTRIP_NONE", log, sizeof(log)),
        PCOL_EINVAL);
    assert_non_null(strstr(log, "PCOL_TEST_SYMSTRIP_NONE is empty"));
    unsetenv("PROFCOL_SYMBOL_HASH_KEY");
    assert_int_equal(init_logged("mode: hash", log, sizeof(log)), PCOL_EINVAL);
    assert_non_null(strstr(log, "PROFCOL_SYMBOL_HASH_KEY is not set"));
    /* with a key it starts, and says once what it does */
    setenv("PROFCOL_SYMBOL_HASH_KEY", "k", 1);
    assert_int_equal(init_logged("mode: hash", log, sizeof(log)), 0);
    assert_non_null(strstr(log, "mode hash: function names, system names and file names hashed "
                                "with the key in $PROFCOL_SYMBOL_HASH_KEY; 0 keep patterns; "
                                "mapping paths kept"));
    unsetenv("PROFCOL_SYMBOL_HASH_KEY");
    assert_int_equal(init_logged("keep: [a, b]\nmapping_paths: true", log, sizeof(log)), 0);
    assert_non_null(strstr(log, "mode drop: function names, system names, file names and their "
                                "lines removed; 2 keep patterns; mapping paths removed"));
}

/* ---- filenames, mapping_paths ---------------------------------------------------- */

static const char *const prefixes[] = {"/tmp/", "/tmp/large/", "/usr/lib/google-golang/src/"};

static const char *trim_expected(const char *s)
{
    size_t best = 0, i;

    for (i = 0; i < PCOL_ARRAY_SIZE(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(s, prefixes[i], n) == 0 && n > best) {
            best = n;
        }
    }
    return s + best;
}

/* Compares every frame's lines: names, lines and start lines equal, file
 * names as `want` says (NULL: all ""). */
static size_t check_filenames(const struct pcol_batch *in, const struct pcol_batch *out,
                              const char *(*want)(const char *))
{
    struct frames fi = frames_of(in), fo = frames_of(out);
    size_t f, n = 0;
    uint32_t j;

    assert_int_equal(fi.n, fo.n);
    for (f = 0; f < fi.n; f++) {
        const struct pcol_location *li = pcol_location_at(in, fi.v[f]);
        const struct pcol_location *lo = pcol_location_at(out, fo.v[f]);
        assert_int_equal(li->n_lines, lo->n_lines);
        for (j = 0; j < li->n_lines; j++) {
            const struct pcol_function *x = pcol_function_at(in, li->lines[j].function);
            const struct pcol_function *y = pcol_function_at(out, lo->lines[j].function);
            assert_string_equal(pcol_cstr(in, x->name), pcol_cstr(out, y->name));
            assert_string_equal(pcol_cstr(in, x->system_name), pcol_cstr(out, y->system_name));
            assert_string_equal(want ? want(pcol_cstr(in, x->filename)) : "",
                                pcol_cstr(out, y->filename));
            assert_int_equal(x->start_line, y->start_line);
            assert_int_equal(li->lines[j].line, lo->lines[j].line);
            n += *pcol_cstr(in, x->filename) != '\0';
        }
    }
    free(fi.v);
    free(fo.v);
    return n;
}

static void filenames_trims_prefixes(void **state)
{
    const char *file = "google-pprof__large.cpu";
    struct pcol_batch *in = ph_corpus_batch(file);
    struct pcol_batch *out = strip_with(
        "mode: filenames\ntrim_prefixes: [/tmp/, /tmp/large/, /usr/lib/google-golang/src/]", file);
    uint32_t i;

    (void)state;
    assert_same_view(in, out, (struct view){false, true, true});
    assert_true(check_filenames(in, out, trim_expected) > 0);
    assert_int_not_equal(pcol_dict_find_str(out, "large.go", 8), -1);
    assert_int_not_equal(pcol_dict_find_str(out, "time/time.go", 12), -1);
    for (i = 1; i < out->dict.functions.n; i++) {
        const char *fn = pcol_cstr(out, pcol_function_at(out, (int32_t)i)->filename);
        assert_null(strstr(fn, "/tmp/"));
        assert_null(strstr(fn, "google-golang"));
    }
    assert_true(any_flag(out, "has_functions"));
    pcol_batch_release(in);
    pcol_batch_release(out);
}

static void filenames_without_prefixes_drops_them(void **state)
{
    const char *file = "pprof_all_fields.pb.gz";
    struct pcol_batch *in = ph_corpus_batch(file);
    struct pcol_batch *out = strip_with("mode: filenames", file);

    (void)state;
    assert_same_view(in, out, (struct view){false, true, false});
    assert_true(check_filenames(in, out, NULL) > 0);
    assert_true(any_flag(in, "has_filenames"));
    assert_false(any_flag(out, "has_filenames"));
    assert_true(any_flag(out, "has_functions"));
    assert_true(any_flag(out, "has_line_numbers"));
    assert_true(any_flag(out, "has_inline_frames"));
    assert_int_equal(pcol_dict_find_str(out, "worker.cc", 9), -1);
    pcol_batch_release(in);
    pcol_batch_release(out);
}

static size_t mapping_paths_left(const struct pcol_batch *b)
{
    size_t n = 0;
    uint32_t i;

    for (i = 1; i < b->dict.mappings.n; i++) {
        n += pcol_mapping_at(b, (int32_t)i)->filename != 0;
    }
    return n;
}

static void mapping_paths_mode_and_switch(void **state)
{
    const char *file = "parca__profile-with-labels.pb.gz";
    struct pcol_batch *in = ph_corpus_batch(file);
    struct pcol_batch *out = strip_with("mode: mapping_paths", file);
    char *a, *b;

    (void)state;
    /* names, lines, flags, build ids: all the same; paths gone */
    assert_same_view(in, out, (struct view){true, false, true});
    a = render(in, (struct view){true, true, true});
    b = render(out, (struct view){true, true, true});
    assert_string_not_equal(a, b);
    free(a);
    free(b);
    assert_int_equal(mapping_paths_left(in), 3);
    assert_int_equal(mapping_paths_left(out), 0);
    assert_int_equal(pcol_dict_find_str(out, "/parca", 6), -1);
    assert_int_not_equal(pcol_dict_find_str(out, "runtime.goexit0", 15), -1);
    pcol_batch_release(in);
    pcol_batch_release(out);

    /* combined with drop: neither names nor paths */
    file = "pprof_all_fields.pb.gz";
    in = ph_corpus_batch(file);
    out = strip_with("mode: drop\nmapping_paths: true", file);
    assert_same_view(in, out, (struct view){false, false, false});
    assert_true(mapping_paths_left(in) > 0);
    assert_int_equal(mapping_paths_left(out), 0);
    assert_int_equal(out->dict.functions.n, 1);
    assert_int_equal(pcol_dict_find_str(out, "/usr/bin/demo", 13), -1);
    pcol_batch_release(in);
    pcol_batch_release(out);
}

/* A batch with nothing to strip passes on as it is (no clone). */
static void nothing_to_strip_passes_through(void **state)
{
    const char *const yaml[] = {"mode: mapping_paths", "keep: ['.']"};
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(yaml); i++) {
        struct ph *h = ph_create(&pcol_processor_symbolstrip, yaml[i]);
        struct pcol_batch *in = ph_corpus_batch("otlp_spec_simple_cpu.binpb");
        struct pcol_batch *out;

        ph_process(h, in);
        out = ph_take(h);
        assert_ptr_equal(out, in);
        assert_int_equal(ph_dropped(h, "batch"), 0);
        pcol_batch_release(out);
        ph_destroy(h);
    }
}

/* ---- config ----------------------------------------------------------------------- */

static void config_checks(void **state)
{
    const struct pcol_component_def *def = &pcol_processor_symbolstrip;
    struct pcol_diag d = {0};

    (void)state;
    assert_int_equal(ph_config_errors(def, "mode: drop\ntrim_prefixes: [/src/]", &d), 1);
    ASSERT_ERROR(&d, 2, 16, "trim_prefixes applies to mode filenames only");
    pcol_diag_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(def, "mode: filenames\ntrim_prefixes: ['']", &d), 1);
    ASSERT_ERROR(&d, 2, 16, "an empty prefix trims nothing");
    pcol_diag_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(def, "mode: mapping_paths\nkeep: ['^main']", &d), 1);
    ASSERT_ERROR(&d, 2, 7, "keep has no effect in mode mapping_paths");
    pcol_diag_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(def, "hash_key_env: MY_KEY", &d), 1);
    ASSERT_ERROR(&d, 1, 15, "hash_key_env applies to mode hash only");
    pcol_diag_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(def, "mode: scramble", &d), 1);
    ASSERT_ERROR(&d, 1, 7, "drop");
    pcol_diag_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(def, "keep: ['(?=x)']", &d), 1);
    pcol_diag_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(def, "mode: mapping_paths\nmapping_paths: true", &d), 0);
    ASSERT_WARNING(&d, 2, 16, "repeats what mode mapping_paths does");
    pcol_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drop_removes_names_keeps_the_rest),
        cmocka_unit_test(drop_keeps_matching_functions),
        cmocka_unit_test(hash_is_keyed_and_stable),
        cmocka_unit_test(hash_all_corpus_files),
        cmocka_unit_test(hash_known_answer),
        cmocka_unit_test(hash_needs_a_key),
        cmocka_unit_test(filenames_trims_prefixes),
        cmocka_unit_test(filenames_without_prefixes_drops_them),
        cmocka_unit_test(mapping_paths_mode_and_switch),
        cmocka_unit_test(nothing_to_strip_passes_through),
        cmocka_unit_test(config_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
