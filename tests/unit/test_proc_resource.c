/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_proc_resource.c: processor `resource`, driven through the processor
 * harness on real corpus profiles: every action on every target (resource,
 * scope, profile, sample), typed values, units kept, sample-label rename and
 * drop with values and stacks untouched, a pprof encode/decode after the
 * rename, SHA-1 hashes against known digests, extract, convert, the env,
 * system and kubernetes detectors, override, and config errors at their
 * exact line:col.
 *
 * Every batch a test takes from the harness is released by that test.
 * Detector tests set environment variables and unset them before returning.
 */
#include "proc_harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "codec_pprof.h"

extern const struct pcol_component_def pcol_processor_resource;

#define LABELS "parca__profile-with-labels.pb.gz"
#define ALL_FIELDS "pprof_all_fields.pb.gz"
#define RES_LINK "otlp_spec_resource_link.binpb"

/* ---- helpers ------------------------------------------------------------------ */

/* Runs one batch through a fresh processor configured by `yaml`. */
static struct pcol_batch *run(const char *yaml, struct pcol_batch *in)
{
    struct ph *h = ph_create(&pcol_processor_resource, yaml);
    struct pcol_batch *out;

    ph_process(h, in);
    out = ph_take(h);
    assert_non_null(out);
    assert_int_equal(ph_count(h), 0);
    ph_destroy(h);
    return out;
}

static bool key_is(const struct pcol_batch *b, int32_t k, const char *key)
{
    return !strcmp(pcol_cstr(b, k), key);
}

static const struct pcol_value *kv_get(const struct pcol_batch *b, const struct pcol_kv *kv,
                                       uint32_t n, const char *key)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (key_is(b, kv[i].key, key)) {
            return &kv[i].value;
        }
    }
    return NULL;
}

static const struct pcol_value *res_get(const struct pcol_batch *b, uint32_t r, const char *key)
{
    return kv_get(b, b->resources[r].attrs, b->resources[r].n_attrs, key);
}

static const struct pcol_attr *ilist_get(const struct pcol_batch *b, struct pcol_ilist l,
                                         const char *key)
{
    uint32_t i;

    for (i = 0; i < l.n; i++) {
        if (key_is(b, pcol_attr_at(b, l.v[i])->key, key)) {
            return pcol_attr_at(b, l.v[i]);
        }
    }
    return NULL;
}

static const char *str_of(const struct pcol_batch *b, const struct pcol_value *v)
{
    assert_non_null(v);
    assert_int_equal(v->kind, PCOL_VAL_STR);
    return pcol_cstr(b, v->u.str);
}

static struct pcol_profile *profile0(const struct pcol_batch *b)
{
    return &b->resources[0].scopes[0].profiles[0];
}

/* Sample attributes with `key` over every sample of the batch. */
static size_t label_count(const struct pcol_batch *b, const char *key)
{
    size_t n = 0;
    uint32_t r, s, p, k;

    for (r = 0; r < b->n_resources; r++) {
        for (s = 0; s < b->resources[r].n_scopes; s++) {
            const struct pcol_scope *sc = &b->resources[r].scopes[s];
            for (p = 0; p < sc->n_profiles; p++) {
                for (k = 0; k < sc->profiles[p].n_samples; k++) {
                    n += ilist_get(b, sc->profiles[p].samples[k].attrs, key) != NULL;
                }
            }
        }
    }
    return n;
}

static int64_t value_sum(const struct pcol_batch *b)
{
    int64_t sum = 0;
    uint32_t r, s, p, k, v;

    for (r = 0; r < b->n_resources; r++) {
        for (s = 0; s < b->resources[r].n_scopes; s++) {
            const struct pcol_scope *sc = &b->resources[r].scopes[s];
            for (p = 0; p < sc->n_profiles; p++) {
                for (k = 0; k < sc->profiles[p].n_samples; k++) {
                    for (v = 0; v < sc->profiles[p].samples[k].n_values; v++) {
                        sum += sc->profiles[p].samples[k].values[v];
                    }
                }
            }
        }
    }
    return sum;
}

/* A stack as text: per location its address and (function, line) pairs,
 * so stacks of two batches compare whatever their table indexes. */
static void stack_text(const struct pcol_batch *b, int32_t stack, struct pcol_buf *out)
{
    const struct pcol_stack *st = pcol_stack_at(b, stack);
    uint32_t i, j;

    out->len = 0;
    for (i = 0; i < st->locations.n; i++) {
        const struct pcol_location *l = pcol_location_at(b, st->locations.v[i]);
        pcol_buf_printf(out, "%llx:", (unsigned long long)l->address);
        for (j = 0; j < l->n_lines; j++) {
            pcol_buf_printf(out, "%s@%lld,",
                            pcol_cstr(b, pcol_function_at(b, l->lines[j].function)->name),
                            (long long)l->lines[j].line);
        }
        pcol_buf_putc(out, ';');
    }
    pcol_buf_putc(out, '\0');
}

/* Same profiles and samples in the same order with equal stacks (resolved
 * to addresses and functions), values and timestamps. */
static void assert_samples_untouched(const struct pcol_batch *a, const struct pcol_batch *b)
{
    struct pcol_buf ta = {0}, tb = {0};
    uint32_t s, p, k;

    assert_int_equal(a->n_resources, 1);
    assert_int_equal(b->n_resources, 1);
    assert_int_equal(a->resources[0].n_scopes, b->resources[0].n_scopes);
    for (s = 0; s < a->resources[0].n_scopes; s++) {
        const struct pcol_scope *x = &a->resources[0].scopes[s], *y = &b->resources[0].scopes[s];
        assert_int_equal(x->n_profiles, y->n_profiles);
        for (p = 0; p < x->n_profiles; p++) {
            assert_int_equal(x->profiles[p].n_samples, y->profiles[p].n_samples);
            for (k = 0; k < x->profiles[p].n_samples; k++) {
                const struct pcol_sample *sa = &x->profiles[p].samples[k];
                const struct pcol_sample *sb = &y->profiles[p].samples[k];

                stack_text(a, sa->stack, &ta);
                stack_text(b, sb->stack, &tb);
                assert_string_equal((const char *)ta.p, (const char *)tb.p);
                assert_int_equal(sa->n_values, sb->n_values);
                assert_memory_equal(sa->values, sb->values, sa->n_values * sizeof(int64_t));
                assert_int_equal(sa->n_timestamps, sb->n_timestamps);
                if (sa->n_timestamps) {
                    assert_memory_equal(sa->timestamps, sb->timestamps,
                                        sa->n_timestamps * sizeof(uint64_t));
                }
            }
        }
    }
    pcol_buf_free(&ta);
    pcol_buf_free(&tb);
}

/* One sample's attributes as "key=value[unit]" lines, sorted by key order
 * of appearance; for comparing two batches sample by sample. */
static void render_attrs(const struct pcol_batch *b, struct pcol_ilist l, struct pcol_buf *out)
{
    uint32_t i;

    out->len = 0;
    for (i = 0; i < l.n; i++) {
        const struct pcol_attr *a = pcol_attr_at(b, l.v[i]);
        pcol_buf_printf(out, "%s=%u:", pcol_cstr(b, a->key), a->value.kind);
        pcol_value_text(b, &a->value, out);
        pcol_buf_printf(out, "[%s];", pcol_cstr(b, a->unit));
    }
    pcol_buf_putc(out, '\0');
}

static void assert_sample_attrs_equal(const struct pcol_batch *a, const struct pcol_batch *b)
{
    const struct pcol_profile *pa = profile0(a), *pb = profile0(b);
    struct pcol_buf x = {0}, y = {0};
    uint32_t k;

    assert_int_equal(pa->n_samples, pb->n_samples);
    for (k = 0; k < pa->n_samples; k++) {
        render_attrs(a, pa->samples[k].attrs, &x);
        render_attrs(b, pb->samples[k].attrs, &y);
        assert_string_equal((const char *)x.p, (const char *)y.p);
    }
    pcol_buf_free(&x);
    pcol_buf_free(&y);
}

/* ---- defaults and typed values ----------------------------------------------- */

static void defaults_change_nothing(void **state)
{
    struct pcol_batch *ref = ph_corpus_batch(LABELS);
    struct pcol_batch *out = run("", ph_corpus_batch(LABELS));

    (void)state;
    assert_int_equal(pcol_batch_sample_count(out), 439);
    assert_int_equal(value_sum(out), 462);
    assert_int_equal(out->resources[0].n_attrs, 0);
    assert_int_equal(label_count(out, "thread_id"), 439);
    assert_int_equal(label_count(out, "thread_name"), 439);
    assert_samples_untouched(ref, out);
    assert_sample_attrs_equal(ref, out);
    pcol_batch_release(ref);
    pcol_batch_release(out);
}

static void values_are_typed_as_yaml_reads_them(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: upsert, key: a.int, value: 42}\n"
                                 "  - {action: upsert, key: a.str, value: \"42\"}\n"
                                 "  - {action: upsert, key: a.bool, value: true}\n"
                                 "  - {action: upsert, key: a.double, value: 1.5}\n"
                                 "  - {action: upsert, key: a.hex, value: 0x10}\n"
                                 "  - {action: upsert, key: a.exp, value: 1e3}\n"
                                 "  - {action: upsert, key: a.neg, value: -7}\n"
                                 "  - {action: upsert, key: a.inf, value: -.inf}\n"
                                 "  - {action: upsert, key: a.word, value: yes}\n"
                                 "  - {action: upsert, key: a.empty, value: ''}\n",
                                 ph_corpus_batch(RES_LINK));
    const struct pcol_value *v;

    (void)state;
    assert_int_equal(out->resources[0].n_attrs, 2 + 10);
    v = res_get(out, 0, "a.int");
    assert_int_equal(v->kind, PCOL_VAL_INT);
    assert_int_equal(v->u.i, 42);
    assert_string_equal(str_of(out, res_get(out, 0, "a.str")), "42");
    v = res_get(out, 0, "a.bool");
    assert_int_equal(v->kind, PCOL_VAL_BOOL);
    assert_true(v->u.b);
    v = res_get(out, 0, "a.double");
    assert_int_equal(v->kind, PCOL_VAL_DOUBLE);
    assert_true(v->u.d == 1.5);
    v = res_get(out, 0, "a.hex");
    assert_int_equal(v->kind, PCOL_VAL_INT);
    assert_int_equal(v->u.i, 16);
    v = res_get(out, 0, "a.exp");
    assert_int_equal(v->kind, PCOL_VAL_DOUBLE);
    assert_true(v->u.d == 1000.0);
    v = res_get(out, 0, "a.neg");
    assert_int_equal(v->kind, PCOL_VAL_INT);
    assert_int_equal(v->u.i, -7);
    v = res_get(out, 0, "a.inf");
    assert_int_equal(v->kind, PCOL_VAL_DOUBLE);
    assert_true(isinf(v->u.d) && v->u.d < 0);
    assert_string_equal(str_of(out, res_get(out, 0, "a.word")), "yes");
    assert_string_equal(str_of(out, res_get(out, 0, "a.empty")), "");
    /* What the resource had is still there, in place and first. */
    assert_true(key_is(out, out->resources[0].attrs[0].key, "service.name"));
    assert_string_equal(str_of(out, res_get(out, 0, "service.name")), "my-service");
    pcol_batch_release(out);
}

/* ---- resource target ------------------------------------------------------------ */

static void resource_insert_update_upsert(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: insert, key: service.name, value: other}\n"
                                 "  - {action: insert, key: deployment.environment, value: prod}\n"
                                 "  - {action: update, key: process.executable.name, value: 7}\n"
                                 "  - {action: update, key: absent.key, value: x}\n"
                                 "  - {action: upsert, key: service.version, value: \"1.2\"}\n"
                                 "  - {action: upsert, key: deployment.environment, value: stg}\n",
                                 ph_corpus_batch(RES_LINK));
    const struct pcol_value *v;

    (void)state;
    assert_int_equal(out->resources[0].n_attrs, 4);
    /* insert never replaces; update only where present; upsert both ways. */
    assert_string_equal(str_of(out, res_get(out, 0, "service.name")), "my-service");
    v = res_get(out, 0, "process.executable.name");
    assert_int_equal(v->kind, PCOL_VAL_INT);
    assert_int_equal(v->u.i, 7);
    assert_null(res_get(out, 0, "absent.key"));
    assert_string_equal(str_of(out, res_get(out, 0, "service.version")), "1.2");
    assert_string_equal(str_of(out, res_get(out, 0, "deployment.environment")), "stg");
    pcol_batch_release(out);
}

static void resource_from_attribute_delete_and_pattern(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: insert, key: service.namespace, "
                                 "from_attribute: service.name}\n"
                                 "  - {action: insert, key: nothing, from_attribute: no.such}\n"
                                 "  - {action: upsert, key: a.one, value: 1}\n"
                                 "  - {action: upsert, key: a.two, value: 2}\n"
                                 "  - {action: upsert, key: b.three, value: 3}\n"
                                 "  - {action: delete, key: service.name, pattern: '^a\\.'}\n",
                                 ph_corpus_batch(RES_LINK));

    (void)state;
    assert_int_equal(out->resources[0].n_attrs, 3);
    assert_string_equal(str_of(out, res_get(out, 0, "service.namespace")), "my-service");
    assert_null(res_get(out, 0, "nothing"));
    assert_null(res_get(out, 0, "service.name"));
    assert_null(res_get(out, 0, "a.one"));
    assert_null(res_get(out, 0, "a.two"));
    assert_int_equal(res_get(out, 0, "b.three")->u.i, 3);
    assert_string_equal(str_of(out, res_get(out, 0, "process.executable.name")), "my-service.bin");
    pcol_batch_release(out);
}

static void resource_hash_equals_known_sha1(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: upsert, key: user.id, value: 12345}\n"
                                 "  - {action: upsert, key: user.name, value: checkout}\n"
                                 "  - {action: hash, key: service.name}\n"
                                 "  - {action: hash, pattern: '^user\\.'}\n",
                                 ph_corpus_batch(RES_LINK));

    (void)state;
    /* sha1("my-service"), sha1("12345") (the int's text), sha1("checkout"). */
    assert_string_equal(str_of(out, res_get(out, 0, "service.name")),
                        "e9ead9b18f311f72f9c7a54af76427b50d02e2e3");
    assert_string_equal(str_of(out, res_get(out, 0, "user.id")),
                        "8cb2237d0679ca88db6464eac60da96345513964");
    assert_string_equal(str_of(out, res_get(out, 0, "user.name")),
                        "d5491e7e7124a22dd73fa746ba129c59f9dc6d5d");
    assert_string_equal(str_of(out, res_get(out, 0, "process.executable.name")), "my-service.bin");
    pcol_batch_release(out);
}

static void resource_extract_named_groups(void **state)
{
    struct pcol_batch *out =
        run("attributes:\n"
            "  - {action: upsert, key: pod, value: checkout-v12.3-eu-west-1}\n"
            "  - {action: upsert, key: svc, value: old}\n"
            "  - action: extract\n"
            "    key: pod\n"
            "    pattern: '^(?P<svc>[a-z]+)-v(?P<ver>[\\d.]+)-(?:(?P<zone>x)|(?P<region>.*))$'\n"
            "  - {action: extract, key: pod, pattern: '^(?P<nomatch>zzz)'}\n"
            "  - {action: extract, key: absent, pattern: '(?P<never>.)'}\n",
            ph_corpus_batch(RES_LINK));

    (void)state;
    /* The source is kept; svc is overwritten; a group that took no part is "". */
    assert_string_equal(str_of(out, res_get(out, 0, "pod")), "checkout-v12.3-eu-west-1");
    assert_string_equal(str_of(out, res_get(out, 0, "svc")), "checkout");
    assert_string_equal(str_of(out, res_get(out, 0, "ver")), "12.3");
    assert_string_equal(str_of(out, res_get(out, 0, "region")), "eu-west-1");
    assert_string_equal(str_of(out, res_get(out, 0, "zone")), "");
    assert_null(res_get(out, 0, "nomatch"));
    assert_null(res_get(out, 0, "never"));
    assert_int_equal(out->resources[0].n_attrs, 2 + 2 + 3);
    pcol_batch_release(out);
}

static void resource_convert(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: upsert, key: i, value: \"42\"}\n"
                                 "  - {action: upsert, key: d, value: \"1.5\"}\n"
                                 "  - {action: upsert, key: b, value: \"true\"}\n"
                                 "  - {action: upsert, key: bad, value: abc}\n"
                                 "  - {action: upsert, key: n, value: 7}\n"
                                 "  - {action: upsert, key: t, value: 2.9}\n"
                                 "  - {action: convert, key: i, converted_type: int}\n"
                                 "  - {action: convert, key: d, converted_type: double}\n"
                                 "  - {action: convert, key: b, converted_type: bool}\n"
                                 "  - {action: convert, key: bad, converted_type: int}\n"
                                 "  - {action: convert, key: n, converted_type: string}\n"
                                 "  - {action: convert, key: t, converted_type: int}\n"
                                 "  - {action: convert, key: absent, converted_type: int}\n",
                                 ph_corpus_batch(RES_LINK));
    const struct pcol_value *v;

    (void)state;
    v = res_get(out, 0, "i");
    assert_int_equal(v->kind, PCOL_VAL_INT);
    assert_int_equal(v->u.i, 42);
    v = res_get(out, 0, "d");
    assert_int_equal(v->kind, PCOL_VAL_DOUBLE);
    assert_true(v->u.d == 1.5);
    v = res_get(out, 0, "b");
    assert_int_equal(v->kind, PCOL_VAL_BOOL);
    assert_true(v->u.b);
    assert_string_equal(str_of(out, res_get(out, 0, "bad")), "abc");
    assert_string_equal(str_of(out, res_get(out, 0, "n")), "7");
    v = res_get(out, 0, "t");
    assert_int_equal(v->kind, PCOL_VAL_INT);
    assert_int_equal(v->u.i, 2);
    assert_null(res_get(out, 0, "absent"));
    assert_int_equal(out->resources[0].n_attrs, 2 + 6);
    pcol_batch_release(out);
}

static void every_resource_of_a_batch(void **state)
{
    struct pcol_batch *in = ph_corpus_batch(RES_LINK), *more = ph_corpus_batch(LABELS);
    struct pcol_batch *out;

    (void)state;
    pcol_batch_merge(in, more);
    pcol_batch_release(more);
    assert_int_equal(in->n_resources, 2);
    out = run("attributes: [{action: upsert, key: team, value: profiling}]\n", in);
    assert_string_equal(str_of(out, res_get(out, 0, "team")), "profiling");
    assert_string_equal(str_of(out, res_get(out, 1, "team")), "profiling");
    assert_int_equal(out->resources[0].n_attrs, 3);
    assert_int_equal(out->resources[1].n_attrs, 1);
    pcol_batch_release(out);
}

/* ---- scope and profile targets ------------------------------------------------ */

static void scope_target(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: insert, key: otel.scope.owner, value: team-a, "
                                 "target: scope}\n"
                                 "  - {action: delete, key: pprof.scope.default_sample_type, "
                                 "target: scope}\n"
                                 "  - {action: upsert, key: on.resource, value: 1}\n",
                                 ph_corpus_batch(ALL_FIELDS));
    const struct pcol_scope *s;

    (void)state;
    s = &out->resources[0].scopes[0];
    assert_int_equal(s->n_attrs, 2);
    assert_string_equal(str_of(out, kv_get(out, s->attrs, s->n_attrs, "otel.scope.owner")),
                        "team-a");
    assert_null(kv_get(out, s->attrs, s->n_attrs, "pprof.scope.default_sample_type"));
    assert_non_null(kv_get(out, s->attrs, s->n_attrs, "pprof.scope.sample_type_order"));
    assert_null(kv_get(out, s->attrs, s->n_attrs, "on.resource"));
    assert_int_equal(res_get(out, 0, "on.resource")->u.i, 1);
    pcol_batch_release(out);
}

static void profile_target(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: update, key: pprof.profile.doc_url, "
                                 "value: 'https://docs.example/x', target: profile}\n"
                                 "  - {action: delete, pattern: '^pprof\\.profile\\.(drop|keep)_',"
                                 " target: profile}\n"
                                 "  - {action: insert, key: profile.kind, value: cpu, "
                                 "target: profile}\n",
                                 ph_corpus_batch(ALL_FIELDS));
    const struct pcol_scope *s;
    uint32_t p;

    (void)state;
    s = &out->resources[0].scopes[0];
    assert_int_equal(s->n_profiles, 3);
    for (p = 0; p < s->n_profiles; p++) {
        struct pcol_ilist l = s->profiles[p].attrs;
        assert_int_equal(l.n, 4 - 2 + 1);
        assert_string_equal(str_of(out, &ilist_get(out, l, "pprof.profile.doc_url")->value),
                            "https://docs.example/x");
        assert_null(ilist_get(out, l, "pprof.profile.drop_frames"));
        assert_null(ilist_get(out, l, "pprof.profile.keep_frames"));
        assert_non_null(ilist_get(out, l, "pprof.profile.comment"));
        assert_string_equal(str_of(out, &ilist_get(out, l, "profile.kind")->value), "cpu");
    }
    /* Nothing leaked onto the samples or the resource. */
    assert_int_equal(label_count(out, "profile.kind"), 0);
    assert_int_equal(out->resources[0].n_attrs, 0);
    pcol_batch_release(out);
}

/* ---- sample target --------------------------------------------------------------- */

static void sample_label_rename_and_drop(void **state)
{
    struct pcol_batch *ref = ph_corpus_batch(LABELS), *out, *back;
    uint32_t k;

    (void)state;
    assert_int_equal(label_count(ref, "thread_name"), 439);
    assert_int_equal(label_count(ref, "thread_id"), 439);
    out =
        run("attributes:\n"
            "  - {action: insert, key: thread.name, from_attribute: thread_name, target: sample}\n"
            "  - {action: delete, key: thread_name, target: sample}\n",
            ph_corpus_batch(LABELS));
    assert_int_equal(label_count(out, "thread_name"), 0);
    assert_int_equal(label_count(out, "thread.name"), 439);
    assert_int_equal(label_count(out, "thread_id"), 439);
    for (k = 0; k < profile0(out)->n_samples; k++) {
        struct pcol_ilist l = profile0(out)->samples[k].attrs;
        assert_int_equal(l.n, 2);
        assert_string_equal(str_of(out, &ilist_get(out, l, "thread.name")->value), "parca");
        assert_string_equal(
            str_of(out, &ilist_get(out, l, "thread_id")->value),
            str_of(ref, &ilist_get(ref, profile0(ref)->samples[k].attrs, "thread_id")->value));
    }
    assert_samples_untouched(ref, out);
    assert_int_equal(value_sum(out), 462);

    /* Undo the rename: every sample says exactly what it said before. */
    back =
        run("attributes:\n"
            "  - {action: insert, key: thread_name, from_attribute: thread.name, target: sample}\n"
            "  - {action: delete, key: thread.name, target: sample}\n",
            out);
    assert_samples_untouched(ref, back);
    assert_sample_attrs_equal(ref, back);
    for (k = 0; k < profile0(back)->n_samples; k++) {
        struct pcol_ilist l = profile0(back)->samples[k].attrs;
        struct pcol_ilist r = profile0(ref)->samples[k].attrs;
        assert_int_equal(l.n, r.n);
        assert_string_equal(str_of(back, &ilist_get(back, l, "thread_name")->value),
                            str_of(ref, &ilist_get(ref, r, "thread_name")->value));
        assert_string_equal(str_of(back, &ilist_get(back, l, "thread_id")->value),
                            str_of(ref, &ilist_get(ref, r, "thread_id")->value));
    }

    /* Drop a label outright. */
    out = run("attributes: [{action: delete, key: thread_id, target: sample}]\n", back);
    assert_int_equal(label_count(out, "thread_id"), 0);
    assert_int_equal(label_count(out, "thread_name"), 439);
    assert_samples_untouched(ref, out);
    pcol_batch_release(out);
    pcol_batch_release(ref);
}

static void sample_update_upsert_hash_extract_convert(void **state)
{
    struct pcol_batch *out;
    const struct pcol_profile *p;
    int64_t tid_sum = 0;
    size_t prefix_2756 = 0;
    uint32_t k;

    (void)state;
    out = run("attributes:\n"
              "  - {action: update, key: thread_name, value: worker, target: sample}\n"
              "  - {action: update, key: absent, value: x, target: sample}\n"
              "  - {action: upsert, key: env, value: prod, target: sample}\n"
              "  - {action: extract, key: thread_id, pattern: '^(?P<tid_prefix>\\d{4})', "
              "target: sample}\n"
              "  - {action: convert, key: thread_id, converted_type: int, target: sample}\n"
              "  - {action: hash, key: env, target: sample}\n",
              ph_corpus_batch(LABELS));
    p = profile0(out);
    assert_int_equal(label_count(out, "absent"), 0);
    for (k = 0; k < p->n_samples; k++) {
        struct pcol_ilist l = p->samples[k].attrs;
        const struct pcol_attr *tid = ilist_get(out, l, "thread_id");
        const char *prefix = str_of(out, &ilist_get(out, l, "tid_prefix")->value);

        assert_int_equal(l.n, 4);
        assert_string_equal(str_of(out, &ilist_get(out, l, "thread_name")->value), "worker");
        /* sha1("prod") */
        assert_string_equal(str_of(out, &ilist_get(out, l, "env")->value),
                            "f6c433acac2a27cc06a0625896fe3e540a275ac9");
        assert_int_equal(tid->value.kind, PCOL_VAL_INT);
        tid_sum += tid->value.u.i;
        prefix_2756 += !strcmp(prefix, "2756");
    }
    /* Sum of the 439 thread ids (read as text from the pprof labels). */
    assert_int_equal(tid_sum, 1210812368);
    assert_int_equal(prefix_2756, 81 + 81 + 70 + 11 + 96);
    assert_int_equal(value_sum(out), 462);
    pcol_batch_release(out);
}

struct collected {
    struct pcol_batch *b;
    int n;
};

static int collect(void *ctx, const struct pcol_pprof_meta *meta, const uint8_t *data, size_t len)
{
    struct collected *c = ctx;
    struct pcol_err err = {0};

    (void)meta;
    c->n++;
    assert_int_equal(pcol_pprof_decode(c->b, data, len, NULL, &err), 0);
    return 0;
}

static void sample_rename_many_distinct_lists(void **state)
{
    struct pcol_batch *ref = ph_corpus_batch("parca__alloc_objects.pb.gz");
    struct pcol_batch *out =
        run("attributes:\n"
            "  - {action: insert, key: alloc.bytes, from_attribute: bytes, target: sample}\n"
            "  - {action: delete, key: bytes, target: sample}\n",
            ph_corpus_batch("parca__alloc_objects.pb.gz"));
    const struct pcol_scope *so = &out->resources[0].scopes[0];
    const struct pcol_scope *sr = &ref->resources[0].scopes[0];
    const int32_t *seen[512];
    struct collected c = {pcol_batch_create(0), 0};
    struct pcol_pprof_encode_opts opts = {.gzip = false};
    struct pcol_err err = {0};
    size_t n_seen = 0, i;
    uint32_t p, k;

    (void)state;
    /* 4 value types x 4661 samples, 173 distinct "bytes" labels. */
    assert_int_equal(label_count(ref, "bytes"), 4 * 4661);
    assert_int_equal(label_count(out, "bytes"), 0);
    assert_int_equal(label_count(out, "alloc.bytes"), 4 * 4661);
    assert_int_equal(value_sum(out), 116370161916);
    assert_samples_untouched(ref, out);
    for (p = 0; p < so->n_profiles; p++) {
        for (k = 0; k < so->profiles[p].n_samples; k++) {
            const struct pcol_attr *a =
                ilist_get(out, so->profiles[p].samples[k].attrs, "alloc.bytes");
            const struct pcol_attr *r = ilist_get(ref, sr->profiles[p].samples[k].attrs, "bytes");

            assert_int_equal(so->profiles[p].samples[k].attrs.n, 1);
            assert_int_equal(a->value.kind, PCOL_VAL_INT);
            assert_int_equal(a->value.u.i, r->value.u.i);
            for (i = 0; i < n_seen && seen[i] != so->profiles[p].samples[k].attrs.v; i++) {
            }
            if (i == n_seen) {
                assert_true(n_seen < PCOL_ARRAY_SIZE(seen));
                seen[n_seen++] = so->profiles[p].samples[k].attrs.v;
            }
        }
    }
    /* One new list per distinct source list, shared by all four profiles. */
    assert_int_equal(n_seen, 173);
    /* So the four profiles still line up and encode as one 4-type pprof. */
    assert_int_equal(pcol_pprof_encode(out, &opts, collect, &c, &err), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(label_count(c.b, "alloc.bytes"), 4 * 4661);
    assert_int_equal(value_sum(c.b), 116370161916);
    pcol_batch_release(c.b);
    pcol_batch_release(out);
    pcol_batch_release(ref);
}

static void sample_hash_of_label_is_known_sha1(void **state)
{
    struct pcol_batch *out = run("attributes: [{action: hash, key: thread_name, target: sample}]\n",
                                 ph_corpus_batch(LABELS));
    uint32_t k;

    (void)state;
    for (k = 0; k < profile0(out)->n_samples; k++) {
        /* sha1("parca") */
        assert_string_equal(
            str_of(out, &ilist_get(out, profile0(out)->samples[k].attrs, "thread_name")->value),
            "a1114bccc842126b98a7e497ed4908fc3ba63c04");
    }
    assert_int_equal(label_count(out, "thread_name"), 439);
    pcol_batch_release(out);
}

static void units_are_kept_on_update_and_copy(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: update, key: allocation_size, value: 8192, "
                                 "target: sample}\n"
                                 "  - {action: insert, key: alloc.copy, "
                                 "from_attribute: allocation_size, target: sample}\n"
                                 "  - {action: convert, key: request_id, converted_type: string, "
                                 "target: sample}\n",
                                 ph_corpus_batch(ALL_FIELDS));
    const struct pcol_scope *s = &out->resources[0].scopes[0];
    uint32_t p;

    (void)state;
    assert_int_equal(label_count(out, "allocation_size"), 3);
    assert_int_equal(label_count(out, "alloc.copy"), 3);
    for (p = 0; p < s->n_profiles; p++) {
        /* Sample 1 carries allocation_size (bytes) and request_id. */
        struct pcol_ilist l = s->profiles[p].samples[1].attrs;
        const struct pcol_attr *a = ilist_get(out, l, "allocation_size");
        const struct pcol_attr *c = ilist_get(out, l, "alloc.copy");

        assert_int_equal(a->value.kind, PCOL_VAL_INT);
        assert_int_equal(a->value.u.i, 8192);
        assert_string_equal(pcol_cstr(out, a->unit), "bytes");
        assert_int_equal(c->value.u.i, 8192);
        assert_string_equal(pcol_cstr(out, c->unit), "bytes");
        assert_string_equal(str_of(out, &ilist_get(out, l, "request_id")->value), "12345");
        assert_int_equal(s->profiles[p].samples[2].attrs.n, 0);
    }
    pcol_batch_release(out);
}

static void pprof_encode_after_rename(void **state)
{
    struct pcol_batch *out = run("attributes:\n"
                                 "  - {action: insert, key: thread.name, from_attribute: "
                                 "thread_name, target: sample}\n"
                                 "  - {action: delete, key: thread_name, target: sample}\n"
                                 "  - {action: upsert, key: service.name, value: parca-agent}\n",
                                 ph_corpus_batch(LABELS));
    struct collected c = {pcol_batch_create(0), 0};
    struct pcol_pprof_encode_opts opts = {.gzip = true};
    struct pcol_err err = {0};

    (void)state;
    assert_int_equal(pcol_pprof_encode(out, &opts, collect, &c, &err), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(pcol_batch_sample_count(c.b), 439);
    assert_int_equal(value_sum(c.b), 462);
    assert_int_equal(label_count(c.b, "thread.name"), 439);
    assert_int_equal(label_count(c.b, "thread_name"), 0);
    assert_int_equal(label_count(c.b, "thread_id"), 439);
    assert_samples_untouched(out, c.b);
    pcol_batch_release(c.b);
    pcol_batch_release(out);
}

static void large_profile_shares_one_list(void **state)
{
    struct pcol_batch *in = ph_corpus_batch("google-pprof__large.cpu");
    int64_t before = value_sum(in);
    struct ph *h = ph_create(&pcol_processor_resource,
                             "attributes:\n"
                             "  - {action: upsert, key: cpu.kind, value: user, target: sample}\n"
                             "  - {action: delete, pattern: '^never', target: sample}\n");
    const struct pcol_profile *p;
    struct pcol_batch *out;
    struct timespec t0, t1;
    uint32_t k;

    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ph_process(h, in);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out = ph_take(h);
    print_message("large.cpu, %zu samples: %.2f ms\n", pcol_batch_sample_count(out),
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    assert_int_equal(pcol_batch_sample_count(out), 2 * 20430);
    assert_int_equal(label_count(out, "cpu.kind"), 2 * 20430);
    assert_int_equal(value_sum(out), before);
    /* Every sample had the same (empty) list, so all now share one new list. */
    p = profile0(out);
    for (k = 1; k < p->n_samples; k++) {
        assert_ptr_equal(p->samples[k].attrs.v, p->samples[0].attrs.v);
    }
    assert_ptr_equal(out->resources[0].scopes[0].profiles[1].samples[7].attrs.v,
                     p->samples[0].attrs.v);
    pcol_batch_release(out);
    ph_destroy(h);
}

/* ---- detectors ----------------------------------------------------------------------- */

static void env_detector(void **state)
{
    struct pcol_batch *out;

    (void)state;
    setenv("OTEL_RESOURCE_ATTRIBUTES",
           "service.name=from-attrs, team = a%2Cb ,deployment.environment=prod,bad,=x,"
           "odd=100%,k%3Dx=v",
           1);
    setenv("OTEL_SERVICE_NAME", "checkout", 1);
    out = run("detectors: [env]\n", ph_corpus_batch(LABELS));
    assert_string_equal(str_of(out, res_get(out, 0, "service.name")), "checkout");
    assert_string_equal(str_of(out, res_get(out, 0, "team")), "a,b");
    assert_string_equal(str_of(out, res_get(out, 0, "deployment.environment")), "prod");
    assert_string_equal(str_of(out, res_get(out, 0, "odd")), "100%");
    assert_string_equal(str_of(out, res_get(out, 0, "k=x")), "v");
    assert_int_equal(out->resources[0].n_attrs, 5);
    pcol_batch_release(out);

    /* Without OTEL_SERVICE_NAME the one in OTEL_RESOURCE_ATTRIBUTES stays. */
    unsetenv("OTEL_SERVICE_NAME");
    out = run("detectors: [env]\n", ph_corpus_batch(LABELS));
    assert_string_equal(str_of(out, res_get(out, 0, "service.name")), "from-attrs");
    pcol_batch_release(out);
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");

    /* Nothing set: nothing detected. */
    out = run("detectors: [env]\n", ph_corpus_batch(LABELS));
    assert_int_equal(out->resources[0].n_attrs, 0);
    pcol_batch_release(out);
}

static void system_detector(void **state)
{
    char host[256] = {0};
    struct utsname u;
    struct pcol_batch *out = run("detectors: [system]\n", ph_corpus_batch(LABELS));
    const char *arch;

    (void)state;
    assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
    assert_int_equal(uname(&u), 0);
    assert_string_equal(str_of(out, res_get(out, 0, "host.name")), host);
    assert_string_equal(str_of(out, res_get(out, 0, "os.type")), "linux");
    arch = str_of(out, res_get(out, 0, "host.arch"));
    if (!strcmp(u.machine, "x86_64")) {
        assert_string_equal(arch, "amd64");
    } else if (!strcmp(u.machine, "aarch64")) {
        assert_string_equal(arch, "arm64");
    } else {
        assert_true(*arch != '\0');
    }
    assert_int_equal(out->resources[0].n_attrs, 3);
    pcol_batch_release(out);
}

static void kubernetes_detector(void **state)
{
    struct pcol_batch *out;

    (void)state;
    setenv("MY_POD", "checkout-7d9f8b-x2x4z", 1);
    setenv("MY_NS", "shop", 1);
    setenv("K8S_NODE_NAME", "node-3", 1);
    setenv("K8S_CONTAINER_NAME", "", 1);
    unsetenv("K8S_POD_UID");
    unsetenv("K8S_POD_NAME");
    out = run("detectors: [kubernetes]\n"
              "kubernetes: {pod_name: MY_POD, namespace: MY_NS}\n",
              ph_corpus_batch(LABELS));
    assert_string_equal(str_of(out, res_get(out, 0, "k8s.pod.name")), "checkout-7d9f8b-x2x4z");
    assert_string_equal(str_of(out, res_get(out, 0, "k8s.namespace.name")), "shop");
    assert_string_equal(str_of(out, res_get(out, 0, "k8s.node.name")), "node-3");
    assert_null(res_get(out, 0, "k8s.container.name"));
    assert_null(res_get(out, 0, "k8s.pod.uid"));
    assert_int_equal(out->resources[0].n_attrs, 3);
    pcol_batch_release(out);

    /* The defaults name the usual downward-API variables. */
    setenv("K8S_POD_UID", "0b9c-11ee", 1);
    out = run("detectors: [kubernetes]\n", ph_corpus_batch(LABELS));
    assert_null(res_get(out, 0, "k8s.pod.name"));
    assert_string_equal(str_of(out, res_get(out, 0, "k8s.pod.uid")), "0b9c-11ee");
    assert_string_equal(str_of(out, res_get(out, 0, "k8s.node.name")), "node-3");
    pcol_batch_release(out);
    unsetenv("MY_POD");
    unsetenv("MY_NS");
    unsetenv("K8S_NODE_NAME");
    unsetenv("K8S_CONTAINER_NAME");
    unsetenv("K8S_POD_UID");
}

static void earlier_detector_wins(void **state)
{
    char host[256] = {0};
    struct pcol_batch *out;

    (void)state;
    assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
    setenv("OTEL_RESOURCE_ATTRIBUTES", "host.name=from-env", 1);
    out = run("detectors: [env, system]\n", ph_corpus_batch(LABELS));
    assert_string_equal(str_of(out, res_get(out, 0, "host.name")), "from-env");
    pcol_batch_release(out);
    out = run("detectors: [system, env]\n", ph_corpus_batch(LABELS));
    assert_string_equal(str_of(out, res_get(out, 0, "host.name")), host);
    pcol_batch_release(out);
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");
}

static void override_and_actions_after_detection(void **state)
{
    struct pcol_batch *out;

    (void)state;
    setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=detected,region=eu", 1);
    /* override false keeps what the data has. */
    out = run("detectors: [env]\noverride: false\n", ph_corpus_batch(RES_LINK));
    assert_string_equal(str_of(out, res_get(out, 0, "service.name")), "my-service");
    assert_string_equal(str_of(out, res_get(out, 0, "region")), "eu");
    pcol_batch_release(out);
    /* The default replaces it. */
    out = run("detectors: [env]\n", ph_corpus_batch(RES_LINK));
    assert_string_equal(str_of(out, res_get(out, 0, "service.name")), "detected");
    pcol_batch_release(out);
    /* Actions run after detection, so they can rename a detected attribute. */
    out = run("detectors: [env]\n"
              "attributes:\n"
              "  - {action: insert, key: cloud.region, from_attribute: region}\n"
              "  - {action: delete, key: region}\n",
              ph_corpus_batch(RES_LINK));
    assert_string_equal(str_of(out, res_get(out, 0, "cloud.region")), "eu");
    assert_null(res_get(out, 0, "region"));
    assert_int_equal(out->resources[0].n_attrs, 3);
    pcol_batch_release(out);
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");
}

/* ---- config errors ---------------------------------------------------------------- */

static void config_errors_at_their_place(void **state)
{
    struct pcol_diag d = {0};

    (void)state;
    assert_int_equal(ph_config_errors(&pcol_processor_resource,
                                      "attributes:\n"
                                      "  - action: insert\n"
                                      "    key: a\n"
                                      "  - action: upsert\n"
                                      "    key: b\n"
                                      "    value: 1\n"
                                      "    from_attribute: c\n"
                                      "  - action: delete\n"
                                      "    target: sample\n"
                                      "  - action: extract\n"
                                      "    key: d\n"
                                      "    pattern: '^(\\d+)$'\n"
                                      "  - action: convert\n"
                                      "    key: e\n"
                                      "  - action: hash\n"
                                      "    key: f\n"
                                      "    value: x\n"
                                      "  - action: update\n"
                                      "    value: 99999999999999999999\n"
                                      "  - {action: extract, key: g}\n"
                                      "  - {action: convert, key: h, converted_type: int, "
                                      "pattern: x}\n"
                                      "  - {action: insert, key: i, value: 1, pattern: x}\n"
                                      "detectors: [env, sytem, env, docker]\n",
                                      &d),
                     14);
    ASSERT_ERROR(&d, 2, 5, "attributes[0]: insert needs \"value\" or \"from_attribute\"");
    ASSERT_ERROR(&d, 7, 5, "attributes[1]: give \"value\" or \"from_attribute\", not both");
    ASSERT_ERROR(&d, 8, 5, "attributes[2]: delete needs \"key\" and/or \"pattern\"");
    ASSERT_ERROR(&d, 12, 14, "attributes[3]: extract pattern has no named group");
    ASSERT_ERROR(&d, 13, 5, "attributes[4]: convert needs \"converted_type\"");
    ASSERT_ERROR(&d, 17, 5, "attributes[5]: \"value\" does not apply to action hash");
    ASSERT_ERROR(&d, 18, 5, "attributes[6]: update needs \"key\"");
    ASSERT_ERROR(&d, 19, 12, "attributes[6]: value 99999999999999999999 does not fit a 64-bit");
    ASSERT_ERROR(&d, 20, 5, "attributes[7]: extract needs \"pattern\"");
    ASSERT_ERROR(&d, 21, 52, "attributes[8]: \"pattern\" does not apply to action convert");
    ASSERT_ERROR(&d, 22, 40, "attributes[9]: \"pattern\" does not apply to action insert");
    ASSERT_ERROR(&d, 23, 18, "unknown detector \"sytem\" (did you mean \"system\"?)");
    ASSERT_ERROR(&d, 23, 25, "detector \"env\" is listed twice");
    ASSERT_ERROR(&d, 23, 30, "unknown detector \"docker\"");
    pcol_diag_free(&d);
}

static void option_engine_errors(void **state)
{
    struct pcol_diag d = {0};

    (void)state;
    /* Unknown action, unknown target, bad pattern, missing action: the
     * option engine's own messages, at the value. */
    assert_int_equal(ph_config_errors(&pcol_processor_resource,
                                      "attributes:\n"
                                      "  - {action: rename, key: a}\n"
                                      "  - {action: delete, key: a, target: span}\n"
                                      "  - {action: delete, pattern: '(?=x)'}\n"
                                      "  - {key: a, value: 1}\n"
                                      "  - {action: convert, key: a, converted_type: float}\n",
                                      &d),
                     5);
    ASSERT_ERROR(&d, 2, 14, "invalid value \"rename\"");
    ASSERT_ERROR(&d, 3, 38, "invalid value \"span\"");
    ASSERT_ERROR(&d, 4, 31, "unsupported group syntax");
    ASSERT_ERROR(&d, 5, 5, "missing required option \"attributes[3].action\"");
    ASSERT_ERROR(&d, 6, 47, "invalid value \"float\"");
    pcol_diag_free(&d);

    /* kubernetes settings without the detector only warn. */
    memset(&d, 0, sizeof(d));
    assert_int_equal(ph_config_errors(&pcol_processor_resource,
                                      "detectors: [env]\nkubernetes: {pod_name: X}\n", &d),
                     0);
    ASSERT_WARNING(&d, 2, 1, "\"kubernetes\" has no effect unless detectors lists kubernetes");
    pcol_diag_free(&d);
}

static void good_configs_have_no_errors(void **state)
{
    struct pcol_diag d = {0};

    (void)state;
    assert_int_equal(ph_config_errors(&pcol_processor_resource,
                                      "detectors: [env, system, kubernetes]\n"
                                      "override: false\n"
                                      "kubernetes: {pod_name: POD}\n"
                                      "attributes:\n"
                                      "  - {action: insert, key: a, value: 1}\n"
                                      "  - {action: update, key: a, from_attribute: b}\n"
                                      "  - {action: upsert, key: a, value: 'x', target: scope}\n"
                                      "  - {action: delete, pattern: '^tmp\\.', target: profile}\n"
                                      "  - {action: hash, key: user, pattern: secret}\n"
                                      "  - {action: extract, key: a, pattern: '(?P<x>.)', "
                                      "target: sample}\n"
                                      "  - {action: convert, key: a, converted_type: bool}\n",
                                      &d),
                     0);
    assert_int_equal(d.warnings, 0);
    pcol_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_change_nothing),
        cmocka_unit_test(values_are_typed_as_yaml_reads_them),
        cmocka_unit_test(resource_insert_update_upsert),
        cmocka_unit_test(resource_from_attribute_delete_and_pattern),
        cmocka_unit_test(resource_hash_equals_known_sha1),
        cmocka_unit_test(resource_extract_named_groups),
        cmocka_unit_test(resource_convert),
        cmocka_unit_test(every_resource_of_a_batch),
        cmocka_unit_test(scope_target),
        cmocka_unit_test(profile_target),
        cmocka_unit_test(sample_label_rename_and_drop),
        cmocka_unit_test(sample_update_upsert_hash_extract_convert),
        cmocka_unit_test(sample_rename_many_distinct_lists),
        cmocka_unit_test(sample_hash_of_label_is_known_sha1),
        cmocka_unit_test(units_are_kept_on_update_and_copy),
        cmocka_unit_test(pprof_encode_after_rename),
        cmocka_unit_test(large_profile_shares_one_list),
        cmocka_unit_test(env_detector),
        cmocka_unit_test(system_detector),
        cmocka_unit_test(kubernetes_detector),
        cmocka_unit_test(earlier_detector_wins),
        cmocka_unit_test(override_and_actions_after_detection),
        cmocka_unit_test(config_errors_at_their_place),
        cmocka_unit_test(option_engine_errors),
        cmocka_unit_test(good_configs_have_no_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
