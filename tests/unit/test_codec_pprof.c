/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_codec_pprof.c: the pprof codec (core/codec_pprof_*.c) on real corpus
 * files: what the model holds after decoding, decode -> encode -> decode,
 * every class of malformed input, and the encoder's OTLP-only cases on
 * batches built by hand. Owned by the pprof codec.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_pprof.h"
#include "compare.h"
#include "compress.h"

#include "pprof/profile.pb-c.h"

#define ALL_FIELDS "pprof_all_fields.pb.gz"
#define LEGACY_MSG "legacy text/binary pprof format is not supported"

/* ---- helpers ------------------------------------------------------------- */

static struct pcol_batch *decode_buf(const uint8_t *p, size_t n, int *rc, struct pcol_err *err)
{
    struct pcol_batch *b = pcol_batch_create(0);

    err->msg[0] = '\0';
    *rc = pcol_pprof_decode(b, p, n, NULL, err);
    return b;
}

static struct pcol_batch *decode_corpus(const char *name)
{
    struct pcol_buf in = {0};
    struct pcol_err err;
    struct pcol_batch *b;
    int rc;

    tu_read_corpus(name, &in);
    b = decode_buf(in.p, in.len, &rc, &err);
    if (rc) {
        fail_msg("%s: %s", name, err.msg);
    }
    pcol_buf_free(&in);
    return b;
}

/* Gunzipped bytes of a corpus file. */
static void read_raw(const char *name, struct pcol_buf *raw)
{
    struct pcol_buf in = {0};
    struct pcol_err err;

    tu_read_corpus(name, &in);
    assert_int_equal(pcol_decompress(PCOL_ENC_GZIP, in.p, in.len, 64u << 20, raw, &err), 0);
    pcol_buf_free(&in);
}

static const char *S(const struct pcol_batch *b, int32_t i)
{
    return pcol_cstr(b, i);
}

static const struct pcol_value *kv_find(const struct pcol_batch *b, const struct pcol_kv *kv,
                                        uint32_t n, const char *key)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(S(b, kv[i].key), key) == 0) {
            return &kv[i].value;
        }
    }
    return NULL;
}

static const struct pcol_attr *attr_find(const struct pcol_batch *b, struct pcol_ilist l,
                                         const char *key)
{
    uint32_t i;

    for (i = 0; i < l.n; i++) {
        if (strcmp(S(b, pcol_attr_at(b, l.v[i])->key), key) == 0) {
            return pcol_attr_at(b, l.v[i]);
        }
    }
    return NULL;
}

static const char *attr_str(const struct pcol_batch *b, struct pcol_ilist l, const char *key)
{
    const struct pcol_attr *a = attr_find(b, l, key);

    assert_non_null(a);
    assert_int_equal(a->value.kind, PCOL_VAL_STR);
    return S(b, a->value.u.str);
}

static bool attr_true(const struct pcol_batch *b, struct pcol_ilist l, const char *key)
{
    const struct pcol_attr *a = attr_find(b, l, key);

    return a && a->value.kind == PCOL_VAL_BOOL && a->value.u.b;
}

static const struct pcol_scope *only_scope(const struct pcol_batch *b)
{
    assert_int_equal(b->n_resources, 1);
    assert_int_equal(b->resources[0].n_scopes, 1);
    return &b->resources[0].scopes[0];
}

static void assert_order(const struct pcol_batch *b, const int64_t *want, uint32_t n)
{
    const struct pcol_scope *s = only_scope(b);
    const struct pcol_value *v = kv_find(b, s->attrs, s->n_attrs, "pprof.scope.sample_type_order");
    uint32_t i;

    assert_non_null(v);
    assert_int_equal(v->kind, PCOL_VAL_ARRAY);
    assert_int_equal(v->n, n);
    for (i = 0; i < n; i++) {
        assert_int_equal(v->u.array[i].kind, PCOL_VAL_INT);
        assert_int_equal(v->u.array[i].u.i, want[i]);
    }
}

/* Collects what the encoder emits. */
struct outputs {
    uint32_t n;
    struct pcol_buf data[8];
    struct pcol_pprof_meta meta[8];
};

static int collect(void *ctx, const struct pcol_pprof_meta *meta, const uint8_t *data, size_t len)
{
    struct outputs *o = ctx;

    assert_true(o->n < PCOL_ARRAY_SIZE(o->data));
    memset(&o->data[o->n], 0, sizeof(o->data[o->n]));
    pcol_buf_append(&o->data[o->n], data, len);
    o->meta[o->n++] = *meta;
    return 0;
}

static void outputs_free(struct outputs *o)
{
    uint32_t i;

    for (i = 0; i < o->n; i++) {
        pcol_buf_free(&o->data[i]);
    }
    o->n = 0;
}

static void encode(const struct pcol_batch *b, struct outputs *o)
{
    struct pcol_pprof_encode_opts opts = {0};
    struct pcol_err err = {{0}};

    memset(o, 0, sizeof(*o));
    assert_int_equal(pcol_pprof_encode(b, &opts, collect, o, &err), 0);
}

/* Decodes the one pprof the batch encodes to. */
static struct pcol_batch *reencode(const struct pcol_batch *b)
{
    struct outputs o;
    struct pcol_batch *back;
    struct pcol_err err;
    int rc;

    encode(b, &o);
    assert_int_equal(o.n, 1);
    back = decode_buf(o.data[0].p, o.data[0].len, &rc, &err);
    if (rc) {
        fail_msg("re-decoding: %s", err.msg);
    }
    outputs_free(&o);
    return back;
}

/* ---- decoding real files -------------------------------------------------- */

static void check_all_fields_dictionary(const struct pcol_batch *b, const struct pcol_profile *p)
{
    const struct pcol_stack *st0 = pcol_stack_at(b, p->samples[0].stack);
    const struct pcol_stack *st1 = pcol_stack_at(b, p->samples[1].stack);
    const struct pcol_stack *st2 = pcol_stack_at(b, p->samples[2].stack);
    const struct pcol_location *l1, *l3, *l4;
    const struct pcol_mapping *m1, *m2;
    const struct pcol_function *inl, *caller, *mainf;

    assert_int_equal(st0->locations.n, 2);
    assert_int_equal(st1->locations.n, 2);
    assert_int_equal(st2->locations.n, 1);
    assert_int_equal(st0->locations.v[1], st1->locations.v[1]);
    l1 = pcol_location_at(b, st0->locations.v[0]);
    l3 = pcol_location_at(b, st1->locations.v[0]);
    l4 = pcol_location_at(b, st2->locations.v[0]);

    /* Location 1: memcpy inlined into ns::Worker::run, in that order. */
    assert_int_equal(l1->address, 4198964);
    assert_int_equal(l1->n_lines, 2);
    inl = pcol_function_at(b, l1->lines[0].function);
    caller = pcol_function_at(b, l1->lines[1].function);
    assert_string_equal(S(b, inl->name), "memcpy");
    assert_string_equal(S(b, inl->system_name), "memcpy");
    assert_int_equal(l1->lines[0].line, 42);
    assert_int_equal(l1->lines[0].column, 7);
    assert_string_equal(S(b, caller->name), "ns::Worker::run()");
    assert_string_equal(S(b, caller->system_name), "_ZN2ns6Worker3runEv");
    assert_string_equal(S(b, caller->filename), "worker.cc");
    assert_int_equal(caller->start_line, 100);
    assert_int_equal(l1->lines[1].line, 120);
    assert_int_equal(l1->lines[1].column, 13);
    assert_int_equal(l1->attrs.n, 0);

    m1 = pcol_mapping_at(b, l1->mapping);
    assert_string_equal(S(b, m1->filename), "/usr/bin/demo");
    assert_int_equal(m1->memory_start, 4194304);
    assert_int_equal(m1->memory_limit, 5242880);
    assert_string_equal(attr_str(b, m1->attrs, "process.executable.build_id.gnu"),
                        "4f2d9c1e0a7b3c5d6e8f9a0b1c2d3e4f5a6b7c8d");
    assert_true(attr_true(b, m1->attrs, "pprof.mapping.has_functions"));
    assert_true(attr_true(b, m1->attrs, "pprof.mapping.has_filenames"));
    assert_true(attr_true(b, m1->attrs, "pprof.mapping.has_line_numbers"));
    assert_true(attr_true(b, m1->attrs, "pprof.mapping.has_inline_frames"));
    assert_int_equal(m1->attrs.n, 5);

    /* Location 3: folded, no lines, second mapping (no flags). */
    assert_true(attr_true(b, l3->attrs, "pprof.location.is_folded"));
    assert_int_equal(l3->n_lines, 0);
    m2 = pcol_mapping_at(b, l3->mapping);
    assert_string_equal(S(b, m2->filename), "[vdso]");
    assert_int_equal(m2->file_offset, 4096);
    assert_int_equal(m2->attrs.n, 0);

    /* Location 4: no mapping. */
    assert_int_equal(l4->mapping, 0);
    assert_int_equal(l4->n_lines, 1);
    mainf = pcol_function_at(b, l4->lines[0].function);
    assert_string_equal(S(b, mainf->name), "main");
    assert_string_equal(S(b, mainf->filename), "main.c");
    assert_int_equal(mainf->start_line, 5);
    assert_int_equal(l4->lines[0].line, 11);
    assert_int_equal(l4->lines[0].column, 0);
}

static void check_all_fields_labels(const struct pcol_batch *b, const struct pcol_profile *p)
{
    const struct pcol_attr *a;

    assert_int_equal(p->samples[0].attrs.n, 1);
    assert_string_equal(attr_str(b, p->samples[0].attrs, "thread_name"), "worker-1");
    assert_int_equal(p->samples[1].attrs.n, 2);
    a = attr_find(b, p->samples[1].attrs, "allocation_size");
    assert_non_null(a);
    assert_int_equal(a->value.kind, PCOL_VAL_INT);
    assert_int_equal(a->value.u.i, 4096);
    assert_string_equal(S(b, a->unit), "bytes");
    a = attr_find(b, p->samples[1].attrs, "request_id");
    assert_non_null(a);
    assert_int_equal(a->value.kind, PCOL_VAL_INT);
    assert_int_equal(a->value.u.i, 12345);
    assert_int_equal(a->unit, 0);
    assert_int_equal(p->samples[2].attrs.n, 0);
}

static void check_all_fields(const struct pcol_batch *b)
{
    static const int64_t order[] = {1, 0, 2};
    static const int64_t values[3][3] = {
        {50000000, 20000000, 10000000}, {5, 2, 1}, {52000000, 21000000, 10000000}};
    static const char *const types[3][2] = {
        {"cpu", "nanoseconds"}, {"samples", "count"}, {"wall", "nanoseconds"}};
    const struct pcol_scope *s = only_scope(b);
    const struct pcol_value *def, *comments;
    uint32_t i, j;

    assert_int_equal(s->n_profiles, 3);
    assert_order(b, order, 3);
    def = kv_find(b, s->attrs, s->n_attrs, "pprof.scope.default_sample_type");
    assert_non_null(def);
    assert_string_equal(S(b, def->u.str), "cpu");
    for (i = 0; i < 3; i++) {
        const struct pcol_profile *p = &s->profiles[i];
        assert_string_equal(S(b, p->sample_type.type), types[i][0]);
        assert_string_equal(S(b, p->sample_type.unit), types[i][1]);
        assert_string_equal(S(b, p->period_type.type), "cpu");
        assert_string_equal(S(b, p->period_type.unit), "nanoseconds");
        assert_int_equal(p->period, 10000000);
        assert_int_equal(p->time_unix_nano, 1700000000000000000ull);
        assert_int_equal(p->duration_nano, 10000000000ull);
        assert_string_equal(attr_str(b, p->attrs, "pprof.profile.drop_frames"), "runtime\\..*");
        assert_string_equal(attr_str(b, p->attrs, "pprof.profile.keep_frames"), "runtime\\.main");
        assert_string_equal(attr_str(b, p->attrs, "pprof.profile.doc_url"),
                            "https://example.com/docs/cpu-profile.html");
        comments = &attr_find(b, p->attrs, "pprof.profile.comment")->value;
        assert_int_equal(comments->kind, PCOL_VAL_ARRAY);
        assert_int_equal(comments->n, 2);
        assert_string_equal(S(b, comments->u.array[0].u.str),
                            "first comment: hand-written test profile");
        assert_string_equal(S(b, comments->u.array[1].u.str), "second comment");
        assert_int_equal(p->n_samples, 3);
        for (j = 0; j < 3; j++) {
            assert_int_equal(p->samples[j].n_values, 1);
            assert_int_equal(p->samples[j].values[0], values[i][j]);
            assert_int_equal(p->samples[j].n_timestamps, 0);
            assert_int_equal(p->samples[j].link, 0);
        }
        check_all_fields_labels(b, p);
        check_all_fields_dictionary(b, p);
    }
}

static void test_all_fields(void **state)
{
    struct pcol_batch *b = decode_corpus(ALL_FIELDS), *back;

    (void)state;
    check_all_fields(b);
    back = reencode(b);
    check_all_fields(back);
    pcol_batch_release(back);
    pcol_batch_release(b);
}

static void test_alloc_objects_default_first(void **state)
{
    static const int64_t order[] = {1, 0, 2, 3};
    struct pcol_batch *b = decode_corpus("parca__alloc_objects.pb.gz"), *back;
    const struct pcol_scope *s = only_scope(b);
    const struct pcol_profile *p = &s->profiles[0];
    const struct pcol_attr *bytes = NULL;
    uint32_t j;

    (void)state;
    assert_int_equal(s->n_profiles, 4);
    assert_string_equal(S(b, p->sample_type.type), "alloc_space");
    assert_string_equal(S(b, s->profiles[1].sample_type.type), "alloc_objects");
    assert_order(b, order, 4);
    assert_string_equal(
        S(b, kv_find(b, s->attrs, s->n_attrs, "pprof.scope.default_sample_type")->u.str),
        "alloc_space");
    for (j = 0; j < p->n_samples && !bytes; j++) {
        bytes = attr_find(b, p->samples[j].attrs, "bytes");
    }
    assert_non_null(bytes);
    assert_int_equal(bytes->value.kind, PCOL_VAL_INT);
    assert_int_equal(p->period, 524288);
    back = reencode(b);
    assert_order(back, order, 4);
    assert_true(tu_batch_equal(b, back, NULL, 0));
    pcol_batch_release(back);
    pcol_batch_release(b);
}

static void test_nomappings(void **state)
{
    static const int64_t order[] = {3, 0, 1, 2};
    struct pcol_batch *b = decode_corpus("google-pprof__go.nomappings.crash"), *back;
    const struct pcol_scope *s = only_scope(b);
    char why[256];

    (void)state;
    assert_int_equal(s->n_profiles, 4);
    assert_int_equal(b->dict.mappings.n, 1);
    assert_order(b, order, 4);
    assert_null(kv_find(b, s->attrs, s->n_attrs, "pprof.scope.default_sample_type"));
    back = reencode(b);
    assert_int_equal(back->dict.mappings.n, 1);
    if (!tu_batch_equal(b, back, why, sizeof(why))) {
        fail_msg("%s", why);
    }
    pcol_batch_release(back);
    pcol_batch_release(b);
}

static void test_legacy_rejected(void **state)
{
    struct pcol_buf in = {0};
    struct pcol_err err;
    struct pcol_batch *b;
    int rc;

    (void)state;
    tu_read_corpus("google-pprof__gobench.cpu.legacy", &in);
    b = decode_buf(in.p, in.len, &rc, &err);
    assert_int_equal(rc, PCOL_ENOTSUP);
    assert_non_null(strstr(err.msg, LEGACY_MSG));
    assert_non_null(strstr(err.msg, "go tool pprof -proto"));
    assert_int_equal(b->n_resources, 0);
    pcol_batch_release(b);
    b = decode_buf((const uint8_t *)"heap profile: 1: 2 [3: 4] @ heap/1048576\n", 41, &rc, &err);
    assert_int_equal(rc, PCOL_ENOTSUP);
    pcol_batch_release(b);
    pcol_buf_free(&in);
}

/* Every corpus pprof: encoding the decoded model says what the file says. */
static void test_corpus_pprof_equal(void **state)
{
    static const char *const files[] = {
        ALL_FIELDS,
        "parca__alloc_objects.pb.gz",
        "google-pprof__go.nomappings.crash",
        "google-pprof__sample.cpu",
        "google-pprof__cppbench.cpu_no_samples_type",
        "parca__profile-with-labels.pb.gz",
        "parca__normalizer-profile.pb.gz",
        "parca__normal-cpu.stripped.pprof",
    };
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(files); i++) {
        struct pcol_arena *a = pcol_arena_create(0);
        struct pcol_batch *b = decode_corpus(files[i]), *back;
        struct pcol_buf in = {0};
        struct outputs o;
        char why[256];

        tu_read_corpus(files[i], &in);
        encode(b, &o);
        assert_int_equal(o.n, 1);
        assert_int_equal(o.meta[0].dropped_attributes, 0);
        if (!tu_pprof_equal(tu_pprof_load(in.p, in.len, a),
                            tu_pprof_load(o.data[0].p, o.data[0].len, a), why, sizeof(why))) {
            fail_msg("%s: %s", files[i], why);
        }
        back = reencode(b);
        if (!tu_batch_equal(b, back, why, sizeof(why))) {
            fail_msg("%s: model differs after a round trip: %s", files[i], why);
        }
        pcol_batch_release(back);
        pcol_batch_release(b);
        outputs_free(&o);
        pcol_buf_free(&in);
        pcol_arena_destroy(a);
    }
}

static void test_keep_original(void **state)
{
    struct pcol_pprof_decode_opts dopts = {.keep_original = true};
    struct pcol_pprof_encode_opts eopts = {.use_original = true};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_buf in = {0};
    struct pcol_err err;
    struct outputs o = {0};
    const struct pcol_profile *p;

    (void)state;
    tu_read_corpus(ALL_FIELDS, &in);
    assert_int_equal(pcol_pprof_decode(b, in.p, in.len, &dopts, &err), 0);
    p = &only_scope(b)->profiles[0];
    assert_string_equal(S(b, p->original_payload_format), "pprof");
    assert_int_equal(p->original_payload_len, in.len);
    assert_int_equal(pcol_pprof_encode(b, &eopts, collect, &o, &err), 0);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.meta[0].n_profiles, 3);
    assert_int_equal(o.data[0].len, in.len);
    assert_memory_equal(o.data[0].p, in.p, in.len);
    outputs_free(&o);
    pcol_batch_release(b);
    pcol_buf_free(&in);
}

/* A batch that already holds data is interned into, not appended to: the
 * same profile a second time adds no dictionary entry. */
static void test_decode_into_used_batch(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    const struct pcol_table *tabs[] = {&b->dict.strings,   &b->dict.mappings, &b->dict.locations,
                                       &b->dict.functions, &b->dict.stacks,   &b->dict.attrs};
    uint32_t sizes[PCOL_ARRAY_SIZE(tabs)], i, j;
    struct pcol_buf in = {0};
    struct pcol_err err;

    (void)state;
    tu_read_corpus(ALL_FIELDS, &in);
    assert_int_equal(pcol_pprof_decode(b, in.p, in.len, NULL, &err), 0);
    for (i = 0; i < PCOL_ARRAY_SIZE(tabs); i++) {
        sizes[i] = tabs[i]->n;
    }
    assert_int_equal(pcol_pprof_decode(b, in.p, in.len, NULL, &err), 0);
    for (i = 0; i < PCOL_ARRAY_SIZE(tabs); i++) {
        assert_int_equal(tabs[i]->n, sizes[i]);
    }
    assert_int_equal(b->n_resources, 2);
    for (i = 0; i < 3; i++) {
        const struct pcol_profile *p0 = &b->resources[0].scopes[0].profiles[i];
        const struct pcol_profile *p1 = &b->resources[1].scopes[0].profiles[i];
        assert_int_equal(p0->sample_type.type, p1->sample_type.type);
        assert_int_equal(p0->attrs.n, p1->attrs.n);
        assert_memory_equal(p0->attrs.v, p1->attrs.v, p0->attrs.n * sizeof(int32_t));
        for (j = 0; j < p0->n_samples; j++) {
            assert_int_equal(p0->samples[j].stack, p1->samples[j].stack);
            assert_int_equal(p0->samples[j].values[0], p1->samples[j].values[0]);
        }
    }
    pcol_buf_free(&in);
    pcol_batch_release(b);
}

/* ---- malformed input ------------------------------------------------------ */

typedef void (*mutator)(Perftools__Profiles__Profile *p, struct pcol_arena *a);

/* Unpacks pprof_all_fields, lets `m` break it, packs it and decodes it. */
static void expect_bad(mutator m, int want_rc, const char *want_msg)
{
    struct pcol_arena *a = pcol_arena_create(0);
    ProtobufCAllocator al = {pcol__arena_pb_alloc, pcol__arena_pb_free, a};
    struct pcol_buf raw = {0}, packed = {0};
    Perftools__Profiles__Profile *p;
    struct pcol_batch *b;
    struct pcol_err err;
    int rc;

    read_raw(ALL_FIELDS, &raw);
    p = perftools__profiles__profile__unpack(&al, raw.len, raw.p);
    assert_non_null(p);
    m(p, a);
    pcol_buf_reserve(&packed, perftools__profiles__profile__get_packed_size(p));
    packed.len = perftools__profiles__profile__pack(p, packed.p);
    b = decode_buf(packed.p, packed.len, &rc, &err);
    if (rc != want_rc || !strstr(err.msg, want_msg)) {
        fail_msg("got %d \"%s\", want %d \"%s\"", rc, err.msg, want_rc, want_msg);
    }
    assert_int_equal(b->n_resources, 0);
    pcol_batch_release(b);
    pcol_buf_free(&raw);
    pcol_buf_free(&packed);
    pcol_arena_destroy(a);
}

static void m_value_count(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->sample[1]->n_value = 2;
}

static void m_no_location(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->sample[2]->location_id[0] = 99;
}

static void m_no_function(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->location[0]->line[1]->function_id = 77;
}

static void m_no_mapping(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->location[1]->mapping_id = 55;
}

static void m_dup_location(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->location[2]->id = 1;
}

static void m_zero_mapping(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->mapping[1]->id = 0;
}

static void m_label_key(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->sample[0]->label[0]->key = 1000;
}

static void m_comment(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->comment[1] = 500;
}

static void m_default_type(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->default_sample_type = -3;
}

static void m_string0(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    p->string_table[0] = pcol_arena_strndup(a, "oops", 4);
}

static void m_mixed_label(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    /* allocation_size twice: once numeric, once a string. */
    p->sample[1]->label[1]->key = 19;
    p->sample[1]->label[1]->str = 18;
}

static void m_negative_time(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->time_nanos = -1;
}

static void test_bad_references(void **state)
{
    (void)state;
    expect_bad(m_value_count, PCOL_EINVAL, "sample 1: has 2 values but there are 3 sample types");
    expect_bad(m_no_location, PCOL_EINVAL, "sample 2: location id 99 does not exist");
    expect_bad(m_no_function, PCOL_EINVAL, "location 0: line 1: function id 77 does not exist");
    expect_bad(m_no_mapping, PCOL_EINVAL, "location 1: mapping id 55 does not exist");
    expect_bad(m_dup_location, PCOL_EINVAL, "location 2: id 1 is used twice");
    expect_bad(m_zero_mapping, PCOL_EINVAL, "mapping 1: id 0 is not allowed");
    expect_bad(m_negative_time, PCOL_EINVAL, "time_nanos is negative");
}

static void test_bad_strings(void **state)
{
    (void)state;
    expect_bad(m_label_key, PCOL_EINVAL,
               "sample 0: label 0: key: string index 1000 is out of range");
    expect_bad(m_comment, PCOL_EINVAL, "comment 1: string index 500 is out of range");
    expect_bad(m_default_type, PCOL_EINVAL, "default_sample_type: string index -3 is out");
    expect_bad(m_string0, PCOL_EINVAL, "string_table[0] must be \"\"");
    expect_bad(m_mixed_label, PCOL_EINVAL,
               "sample 1: label \"allocation_size\" repeats with different kinds or units");
}

static void test_bad_bytes(void **state)
{
    /* Field 1 (sample_type, a message) sent as a varint. */
    static const uint8_t wrong_wire[] = {0x08, 0x01};
    struct pcol_err err;
    struct pcol_batch *b;
    int rc;

    (void)state;
    b = decode_buf(wrong_wire, sizeof(wrong_wire), &rc, &err);
    assert_int_equal(rc, PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "not a pprof profile"));
    pcol_batch_release(b);
    b = decode_buf(wrong_wire, 0, &rc, &err);
    assert_int_equal(rc, PCOL_EINVAL);
    pcol_batch_release(b);
    /* Garbage that is not gzip either. */
    b = decode_buf((const uint8_t *)"\xff\xff\xff\xff", 4, &rc, &err);
    assert_int_equal(rc, PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "not a pprof profile"));
    pcol_batch_release(b);
}

static void test_truncated_raw(void **state)
{
    struct pcol_buf raw = {0};
    size_t n, failed = 0;

    (void)state;
    read_raw(ALL_FIELDS, &raw);
    for (n = 0; n < raw.len; n++) {
        struct pcol_err err;
        struct pcol_batch *b;
        int rc;

        b = decode_buf(raw.p, n, &rc, &err);
        if (rc) {
            assert_true(rc == PCOL_EINVAL);
            assert_true(err.msg[0] != '\0');
            failed++;
        } else {
            assert_int_equal(b->n_resources, 1);
        }
        pcol_batch_release(b);
    }
    /* Most prefixes cut a message in half. */
    assert_true(failed > raw.len / 2);
    pcol_buf_free(&raw);
}

static void test_truncated_gzip(void **state)
{
    struct pcol_buf in = {0};
    struct pcol_err err;
    struct pcol_batch *b;
    int rc;

    (void)state;
    tu_read_corpus(ALL_FIELDS, &in);
    b = decode_buf(in.p, in.len / 2, &rc, &err);
    assert_int_equal(rc, PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "gzip"));
    pcol_batch_release(b);
    b = decode_buf(in.p, in.len - 4, &rc, &err);
    assert_int_equal(rc, PCOL_EINVAL);
    pcol_batch_release(b);
    pcol_buf_free(&in);
}

static void test_gzip_bomb(void **state)
{
    struct pcol_pprof_decode_opts opts = {.max_decompressed = 1u << 20};
    size_t n = 64u << 20;
    uint8_t *zeros = calloc(1, n);
    struct pcol_buf z = {0};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err;

    (void)state;
    pcol_compress(PCOL_ENC_GZIP, 0, zeros, n, &z);
    free(zeros);
    assert_int_equal(pcol_pprof_decode(b, z.p, z.len, &opts, &err), PCOL_ERANGE);
    assert_non_null(strstr(err.msg, "more than"));
    pcol_batch_release(b);
    pcol_buf_free(&z);
}

/* ---- structures pprof has and OTLP spells differently --------------------- */

static void m_repeated_keys(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    Perftools__Profiles__Sample *s = p->sample[0];
    Perftools__Profiles__Label **l = pcol_arena_alloc(a, 3 * sizeof(*l));
    size_t i;

    for (i = 0; i < 3; i++) {
        l[i] = pcol_arena_alloc(a, sizeof(*l[i]));
        perftools__profiles__label__init(l[i]);
    }
    /* thread_name=worker-1, allocation_size=1 bytes, thread_name=main */
    *l[0] = *s->label[0];
    l[1]->key = 19;
    l[1]->num = 1;
    l[1]->num_unit = 6;
    l[2]->key = 17;
    l[2]->str = 7;
    s->label = l;
    s->n_label = 3;
}

static void m_trace_labels(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    static const char *const add[] = {"trace_id", "0123456789abcdef0011223344556677", "span_id",
                                      "a1b2c3d4e5f60718"};
    Perftools__Profiles__Sample *s = p->sample[2];
    char **st = pcol_arena_alloc(a, (p->n_string_table + 4) * sizeof(char *));
    size_t i, base = p->n_string_table;

    memcpy(st, p->string_table, base * sizeof(char *));
    for (i = 0; i < 4; i++) {
        st[base + i] = (char *)add[i];
    }
    p->string_table = st;
    p->n_string_table += 4;
    s->label = pcol_arena_alloc(a, 2 * sizeof(*s->label));
    for (i = 0; i < 2; i++) {
        s->label[i] = pcol_arena_alloc(a, sizeof(*s->label[i]));
        perftools__profiles__label__init(s->label[i]);
        s->label[i]->key = (int64_t)(base + 2 * i);
        s->label[i]->str = (int64_t)(base + 2 * i + 1);
    }
    s->n_label = 2;
}

static void m_no_sample_types(Perftools__Profiles__Profile *p, struct pcol_arena *a)
{
    (void)a;
    p->n_sample_type = 0;
    p->n_sample = 0;
    p->default_sample_type = 0;
}

/* Decodes pprof_all_fields changed by `m`. */
static struct pcol_batch *decode_mutated(mutator m)
{
    struct pcol_arena *a = pcol_arena_create(0);
    ProtobufCAllocator al = {pcol__arena_pb_alloc, pcol__arena_pb_free, a};
    struct pcol_buf raw = {0}, packed = {0};
    Perftools__Profiles__Profile *p;
    struct pcol_batch *b;
    struct pcol_err err;
    int rc;

    read_raw(ALL_FIELDS, &raw);
    p = perftools__profiles__profile__unpack(&al, raw.len, raw.p);
    m(p, a);
    pcol_buf_reserve(&packed, perftools__profiles__profile__get_packed_size(p));
    packed.len = perftools__profiles__profile__pack(p, packed.p);
    b = decode_buf(packed.p, packed.len, &rc, &err);
    if (rc) {
        fail_msg("%s", err.msg);
    }
    pcol_buf_free(&raw);
    pcol_buf_free(&packed);
    pcol_arena_destroy(a);
    return b;
}

static void check_repeated(const struct pcol_batch *b)
{
    const struct pcol_sample *s = &only_scope(b)->profiles[0].samples[0];
    const struct pcol_attr *a = pcol_attr_at(b, s->attrs.v[0]);

    assert_int_equal(s->attrs.n, 2);
    assert_string_equal(S(b, a->key), "thread_name");
    assert_int_equal(a->value.kind, PCOL_VAL_ARRAY);
    assert_int_equal(a->value.n, 2);
    assert_string_equal(S(b, a->value.u.array[0].u.str), "worker-1");
    assert_string_equal(S(b, a->value.u.array[1].u.str), "main");
    a = pcol_attr_at(b, s->attrs.v[1]);
    assert_string_equal(S(b, a->key), "allocation_size");
    assert_string_equal(S(b, a->unit), "bytes");
}

static void test_repeated_label_keys(void **state)
{
    struct pcol_batch *b = decode_mutated(m_repeated_keys), *back;
    struct pcol_arena *a = pcol_arena_create(0);
    Perftools__Profiles__Profile *p;
    struct outputs o;
    size_t i, n = 0;

    (void)state;
    check_repeated(b);
    encode(b, &o);
    p = tu_pprof_load(o.data[0].p, o.data[0].len, a);
    assert_non_null(p);
    for (i = 0; i < p->sample[0]->n_label; i++) {
        n += strcmp(p->string_table[p->sample[0]->label[i]->key], "thread_name") == 0;
    }
    assert_int_equal(n, 2);
    back = reencode(b);
    check_repeated(back);
    outputs_free(&o);
    pcol_batch_release(back);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

static void check_link(const struct pcol_batch *b)
{
    static const uint8_t trace[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    static const uint8_t span[8] = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18};
    const struct pcol_sample *s = &only_scope(b)->profiles[0].samples[2];

    assert_int_not_equal(s->link, 0);
    assert_int_equal(s->attrs.n, 0);
    assert_memory_equal(pcol_link_at(b, s->link)->trace_id, trace, 16);
    assert_memory_equal(pcol_link_at(b, s->link)->span_id, span, 8);
}

static void test_trace_labels_link(void **state)
{
    struct pcol_batch *b = decode_mutated(m_trace_labels), *back;

    (void)state;
    check_link(b);
    back = reencode(b);
    check_link(back);
    pcol_batch_release(back);
    pcol_batch_release(b);
}

static void test_no_sample_types(void **state)
{
    struct pcol_batch *b = decode_mutated(m_no_sample_types), *back;
    struct pcol_arena *a = pcol_arena_create(0);
    const struct pcol_profile *p = &only_scope(b)->profiles[0];
    Perftools__Profiles__Profile *pp;
    struct outputs o;

    (void)state;
    assert_int_equal(only_scope(b)->n_profiles, 1);
    assert_int_equal(p->sample_type.type, 0);
    assert_int_equal(p->n_samples, 0);
    assert_order(b, NULL, 0);
    encode(b, &o);
    pp = tu_pprof_load(o.data[0].p, o.data[0].len, a);
    assert_int_equal(pp->n_sample_type, 0);
    assert_int_equal(pp->period, 10000000);
    assert_int_equal(pp->n_comment, 2);
    back = reencode(b);
    assert_true(tu_batch_equal(b, back, NULL, 0));
    outputs_free(&o);
    pcol_batch_release(back);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

/* ---- encoding batches built by hand --------------------------------------- */

static int32_t str(struct pcol_batch *b, const char *s)
{
    return pcol_dict_cstr(b, s);
}

/* One resource, one scope and a location for stacks to use. */
static struct pcol_scope *hand_batch(struct pcol_batch *b, int32_t *stack)
{
    struct pcol_function f = {str(b, "f"), 0, str(b, "f.c"), 0};
    struct pcol_line line = {0, 3, 0};
    struct pcol_location l = {0, 0x1000, &line, 1, {NULL, 0}};
    int32_t loc;

    line.function = pcol_dict_intern(b, &b->dict.functions, &f);
    l.lines = pcol_arena_memdup(b->arena, &line, sizeof(line));
    loc = pcol_dict_intern(b, &b->dict.locations, &l);
    *stack = pcol_dict_stack(b, &loc, 1);
    return pcol_resource_add_scope(b, pcol_batch_add_resource(b));
}

static struct pcol_profile *hand_profile(struct pcol_batch *b, struct pcol_scope *s,
                                         const char *type, uint32_t n_samples)
{
    struct pcol_profile *p = pcol_scope_add_profile(b, s);

    p->sample_type.type = str(b, type);
    p->sample_type.unit = str(b, "count");
    p->time_unix_nano = 1000;
    pcol_profile_reserve_samples(b, p, n_samples);
    return p;
}

static void set_values(struct pcol_batch *b, struct pcol_sample *s, int64_t v, uint32_t n_ts)
{
    uint32_t i;

    s->n_values = v >= 0 ? 1 : 0;
    s->values = pcol_arena_alloc(b->arena, sizeof(int64_t));
    s->values[0] = v;
    s->n_timestamps = n_ts;
    s->timestamps = pcol_arena_alloc(b->arena, (n_ts + 1) * sizeof(uint64_t));
    for (i = 0; i < n_ts; i++) {
        s->timestamps[i] = 1000 + i;
    }
}

static void test_groups_not_lining_up(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    int32_t stack;
    struct pcol_scope *s = hand_batch(b, &stack);
    struct pcol_profile *p;
    struct pcol_sample *x;
    struct outputs o;

    (void)state;
    p = hand_profile(b, s, "a", 1);
    x = pcol_profile_add_sample(b, p);
    x->stack = stack;
    set_values(b, x, 7, 0);
    /* Same stack, but two samples: cannot be values of the same pprof. */
    p = hand_profile(b, s, "b", 2);
    x = pcol_profile_add_sample(b, p);
    x->stack = stack;
    set_values(b, x, 1, 0);
    x = pcol_profile_add_sample(b, p);
    set_values(b, x, 2, 0);
    encode(b, &o);
    assert_int_equal(o.n, 2);
    assert_int_equal(o.meta[0].first_profile, 0);
    assert_int_equal(o.meta[0].n_profiles, 1);
    assert_int_equal(o.meta[1].first_profile, 1);
    assert_int_equal(o.meta[1].n_profiles, 1);
    outputs_free(&o);
    pcol_batch_release(b);
}

static void test_two_profiles_line_up(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_arena *a = pcol_arena_create(0);
    int32_t stack;
    struct pcol_scope *s = hand_batch(b, &stack);
    Perftools__Profiles__Profile *pp;
    struct pcol_sample *x;
    struct outputs o;
    uint32_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        struct pcol_profile *p = hand_profile(b, s, i ? "second" : "first", 1);
        x = pcol_profile_add_sample(b, p);
        x->stack = stack;
        set_values(b, x, 10 + i, 0);
    }
    encode(b, &o);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.meta[0].n_profiles, 2);
    pp = tu_pprof_load(o.data[0].p, o.data[0].len, a);
    assert_int_equal(pp->n_sample_type, 2);
    assert_int_equal(pp->n_sample, 1);
    assert_int_equal(pp->sample[0]->value[0], 10);
    assert_int_equal(pp->sample[0]->value[1], 11);
    /* OTel's default (the first profile) stays pprof's default. */
    assert_string_equal(pp->string_table[pp->default_sample_type], "first");
    outputs_free(&o);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

static void test_timestamps_and_attrs(void **state)
{
    static const uint8_t blob[3] = {1, 2, 3};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_arena *a = pcol_arena_create(0);
    int32_t stack, attrs[4];
    struct pcol_scope *s = hand_batch(b, &stack);
    struct pcol_profile *p = hand_profile(b, s, "events", 2);
    struct pcol_value v = {.kind = PCOL_VAL_INT, .u.i = 512};
    Perftools__Profiles__Profile *pp;
    const Perftools__Profiles__Label *l;
    struct pcol_sample *x;
    struct outputs o;

    (void)state;
    attrs[0] = pcol_dict_attr(b, str(b, "size"), &v, str(b, "bytes"));
    v = (struct pcol_value){.kind = PCOL_VAL_BYTES, .n = 3, .u.bytes = blob};
    attrs[1] = pcol_dict_attr(b, str(b, "blob"), &v, 0);
    v = (struct pcol_value){.kind = PCOL_VAL_BOOL, .u.b = true};
    attrs[2] = pcol_dict_attr(b, str(b, "on"), &v, 0);
    v = (struct pcol_value){.kind = PCOL_VAL_DOUBLE, .u.d = 0.5};
    attrs[3] = pcol_dict_attr(b, str(b, "ratio"), &v, 0);
    /* Timestamps only: one pprof sample counting them. */
    x = pcol_profile_add_sample(b, p);
    x->stack = stack;
    set_values(b, x, -1, 3);
    x->attrs = pcol_ilist_dup(b, attrs, 4);
    /* One value with its timestamp: the value stays, the timestamp goes. */
    x = pcol_profile_add_sample(b, p);
    set_values(b, x, 42, 1);
    encode(b, &o);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.meta[0].dropped_timestamps, 4);
    assert_int_equal(o.meta[0].dropped_attributes, 1);
    pp = tu_pprof_load(o.data[0].p, o.data[0].len, a);
    assert_int_equal(pp->n_sample, 2);
    assert_int_equal(pp->sample[0]->value[0], 3);
    assert_int_equal(pp->sample[1]->value[0], 42);
    assert_int_equal(pp->sample[0]->n_label, 3);
    l = pp->sample[0]->label[0];
    assert_string_equal(pp->string_table[l->key], "size");
    assert_int_equal(l->num, 512);
    assert_string_equal(pp->string_table[l->num_unit], "bytes");
    l = pp->sample[0]->label[1];
    assert_string_equal(pp->string_table[l->key], "on");
    assert_string_equal(pp->string_table[l->str], "true");
    l = pp->sample[0]->label[2];
    assert_string_equal(pp->string_table[l->str], "0.5");
    outputs_free(&o);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

static void test_otel_context_comment(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0), *back;
    struct pcol_arena *a = pcol_arena_create(0);
    int32_t stack;
    struct pcol_scope *s = hand_batch(b, &stack);
    struct pcol_resource *r = &b->resources[0];
    struct pcol_profile *p = hand_profile(b, s, "cpu", 1);
    const struct pcol_scope *bs;
    const struct pcol_value *v;
    Perftools__Profiles__Profile *pp;
    struct pcol_sample *x;
    struct outputs o;

    (void)state;
    x = pcol_profile_add_sample(b, p);
    x->stack = stack;
    set_values(b, x, 5, 0);
    r->attrs = pcol_arena_calloc(b->arena, sizeof(*r->attrs));
    r->n_attrs = 1;
    r->attrs[0].key = str(b, "service.name");
    r->attrs[0].value = (struct pcol_value){.kind = PCOL_VAL_STR, .u.str = str(b, "checkout")};
    s->name = str(b, "profcol-test");
    s->version = str(b, "1.2.3");
    encode(b, &o);
    pp = tu_pprof_load(o.data[0].p, o.data[0].len, a);
    assert_int_equal(pp->n_comment, 1);
    assert_true(strncmp(pp->string_table[pp->comment[0]], "otel.resource_profiles {", 24) == 0);
    assert_null(strchr(pp->string_table[pp->comment[0]], '\n'));
    back = reencode(b);
    bs = only_scope(back);
    v = kv_find(back, back->resources[0].attrs, back->resources[0].n_attrs, "service.name");
    assert_non_null(v);
    assert_string_equal(S(back, v->u.str), "checkout");
    assert_string_equal(S(back, bs->name), "profcol-test");
    assert_string_equal(S(back, bs->version), "1.2.3");
    assert_null(attr_find(back, bs->profiles[0].attrs, "pprof.profile.comment"));
    outputs_free(&o);
    pcol_batch_release(back);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

static void test_contrib_comments_and_gzip(void **state)
{
    static const char *const keys[] = {"pprof.profile.comment.1", "pprof.profile.comment.0",
                                       "some.other.key"};
    struct pcol_pprof_encode_opts opts = {.gzip = true};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_arena *a = pcol_arena_create(0);
    int32_t stack, attrs[3];
    struct pcol_scope *s = hand_batch(b, &stack);
    struct pcol_profile *p = hand_profile(b, s, "cpu", 0);
    Perftools__Profiles__Profile *pp;
    struct pcol_err err;
    struct outputs o = {0};
    uint32_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        struct pcol_value v = {.kind = PCOL_VAL_STR, .u.str = str(b, i ? "zero" : "one")};
        attrs[i] = pcol_dict_attr(b, str(b, keys[i]), &v, 0);
    }
    p->attrs = pcol_ilist_dup(b, attrs, 3);
    assert_int_equal(pcol_pprof_encode(b, &opts, collect, &o, &err), 0);
    assert_true(pcol_is_gzip(o.data[0].p, o.data[0].len));
    assert_int_equal(o.meta[0].dropped_attributes, 1);
    pp = tu_pprof_load(o.data[0].p, o.data[0].len, a);
    assert_int_equal(pp->n_comment, 2);
    assert_string_equal(pp->string_table[pp->comment[0]], "zero");
    assert_string_equal(pp->string_table[pp->comment[1]], "one");
    outputs_free(&o);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

/* Function index 0 (the empty Function{}) must not become function_id 0,
 * which pprof readers reject. */
static void test_line_with_empty_function(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol_line line = {0, 7, 0};
    struct pcol_location l = {0, 0x2000, NULL, 1, {NULL, 0}};
    struct pcol_scope *s = pcol_resource_add_scope(b, pcol_batch_add_resource(b));
    struct pcol_profile *p = hand_profile(b, s, "cpu", 1);
    Perftools__Profiles__Profile *pp;
    struct pcol_sample *x;
    struct outputs o;
    int32_t loc;

    (void)state;
    l.lines = pcol_arena_memdup(b->arena, &line, sizeof(line));
    loc = pcol_dict_intern(b, &b->dict.locations, &l);
    x = pcol_profile_add_sample(b, p);
    x->stack = pcol_dict_stack(b, &loc, 1);
    set_values(b, x, 1, 0);
    encode(b, &o);
    pp = tu_pprof_load(o.data[0].p, o.data[0].len, a);
    assert_int_equal(pp->n_function, 1);
    assert_int_equal(pp->location[0]->line[0]->function_id, pp->function[0]->id);
    assert_int_not_equal(pp->function[0]->id, 0);
    assert_int_equal(pp->function[0]->name, 0);
    assert_int_equal(pp->location[0]->line[0]->line, 7);
    outputs_free(&o);
    pcol_batch_release(b);
    pcol_arena_destroy(a);
}

static int stop_early(void *ctx, const struct pcol_pprof_meta *meta, const uint8_t *data,
                      size_t len)
{
    (void)meta;
    (void)data;
    (void)len;
    ++*(int *)ctx;
    return PCOL_EIO;
}

static void test_emit_error_stops(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    int32_t stack;
    struct pcol_scope *s = hand_batch(b, &stack);
    struct pcol_err err;
    int calls = 0;

    (void)state;
    hand_profile(b, s, "a", 0);
    s->profiles[0].time_unix_nano = 1;
    hand_profile(b, s, "b", 0);
    assert_int_equal(pcol_pprof_encode(b, NULL, stop_early, &calls, &err), PCOL_EIO);
    assert_int_equal(calls, 1);
    pcol_batch_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_fields),
        cmocka_unit_test(test_alloc_objects_default_first),
        cmocka_unit_test(test_nomappings),
        cmocka_unit_test(test_legacy_rejected),
        cmocka_unit_test(test_corpus_pprof_equal),
        cmocka_unit_test(test_keep_original),
        cmocka_unit_test(test_decode_into_used_batch),
        cmocka_unit_test(test_bad_references),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_truncated_raw),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_gzip_bomb),
        cmocka_unit_test(test_repeated_label_keys),
        cmocka_unit_test(test_trace_labels_link),
        cmocka_unit_test(test_no_sample_types),
        cmocka_unit_test(test_groups_not_lining_up),
        cmocka_unit_test(test_two_profiles_line_up),
        cmocka_unit_test(test_timestamps_and_attrs),
        cmocka_unit_test(test_otel_context_comment),
        cmocka_unit_test(test_contrib_comments_and_gzip),
        cmocka_unit_test(test_line_with_empty_function),
        cmocka_unit_test(test_emit_error_stops),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
