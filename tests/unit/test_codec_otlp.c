/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_codec_otlp.c: the OTLP protobuf codec on the corpus's spec examples
 * (content, byte-exact re-encoding, dictionary dedup across requests) and on
 * broken input: every truncation, every kind of bad index, bad ids, wrong
 * wire types. Broken requests are made by mutating an unpacked corpus file.
 */
#include "testutil.h"

#include "codec_otlp.h"
#include "codec_otlp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PB_P(n) Opentelemetry__Proto__Profiles__V1development__##n
#define PB_C(n) Opentelemetry__Proto__Common__V1__##n

static struct pcol_batch *decode_corpus(const char *name)
{
    struct pcol_buf in = {0};
    struct pcol_err err = {{0}};
    struct pcol_batch *b = pcol_batch_create(0);
    int rc;

    tu_read_corpus(name, &in);
    rc = pcol_otlp_decode(b, in.p, in.len, &err);
    if (rc) {
        fail_msg("%s: %s", name, err.msg);
    }
    pcol_buf_free(&in);
    return b;
}

static const char *fn_name_at(const struct pcol_batch *b, int32_t stack, uint32_t k)
{
    const struct pcol_stack *s = pcol_stack_at(b, stack);
    const struct pcol_location *l = pcol_location_at(b, s->locations.v[k]);

    return pcol_cstr(b, pcol_function_at(b, l->lines[0].function)->name);
}

static int64_t line_at(const struct pcol_batch *b, int32_t stack, uint32_t k)
{
    const struct pcol_stack *s = pcol_stack_at(b, stack);

    return pcol_location_at(b, s->locations.v[k])->lines[0].line;
}

static void test_decode_simple_cpu(void **state)
{
    struct pcol_batch *b = decode_corpus("otlp_spec_simple_cpu.binpb");
    const struct pcol_profile *p;
    const struct pcol_stack *st;

    PCOL_UNUSED(state);
    assert_int_equal(b->n_resources, 1);
    assert_int_equal(b->resources[0].n_scopes, 1);
    assert_int_equal(b->resources[0].scopes[0].n_profiles, 1);
    p = &b->resources[0].scopes[0].profiles[0];
    assert_string_equal(pcol_cstr(b, p->sample_type.type), "samples");
    assert_string_equal(pcol_cstr(b, p->sample_type.unit), "count");
    assert_string_equal(pcol_cstr(b, p->period_type.type), "cpu");
    assert_string_equal(pcol_cstr(b, p->period_type.unit), "nanoseconds");
    assert_true(p->time_unix_nano == 1234567890000000000ull);
    assert_true(p->duration_nano == 1000000000ull);
    assert_true(p->period == 50000000);
    assert_int_equal(p->n_samples, 2);
    assert_int_equal(p->samples[0].n_values, 1);
    assert_int_equal(p->samples[0].values[0], 3);
    assert_int_equal(p->samples[1].values[0], 2);
    assert_int_equal(p->samples[0].n_timestamps, 0);
    assert_int_equal(p->samples[0].link, 0);

    /* stack [3, 2, 1]: bar (bar.go:30) is the leaf, main the root */
    st = pcol_stack_at(b, p->samples[0].stack);
    assert_int_equal(st->locations.n, 3);
    assert_string_equal(fn_name_at(b, p->samples[0].stack, 0), "bar");
    assert_string_equal(fn_name_at(b, p->samples[0].stack, 1), "foo");
    assert_string_equal(fn_name_at(b, p->samples[0].stack, 2), "main");
    assert_int_equal(line_at(b, p->samples[0].stack, 0), 30);
    assert_int_equal(line_at(b, p->samples[0].stack, 2), 10);
    assert_string_equal(fn_name_at(b, p->samples[1].stack, 0), "baz");
    assert_int_equal(line_at(b, p->samples[1].stack, 0), 40);
    {
        const struct pcol_stack *s1 = pcol_stack_at(b, p->samples[1].stack);
        const struct pcol_location *l = pcol_location_at(b, s1->locations.v[0]);
        const struct pcol_function *f = pcol_function_at(b, l->lines[0].function);
        assert_string_equal(pcol_cstr(b, f->filename), "baz.go");
    }
    pcol_batch_release(b);
}

static void test_decode_resource_link(void **state)
{
    static const uint8_t trace[16] = {0x11, 0x22, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    static const uint8_t span[8] = {0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    struct pcol_batch *b = decode_corpus("otlp_spec_resource_link.binpb");
    const struct pcol_resource *r = &b->resources[0];
    const struct pcol_profile *p = &r->scopes[0].profiles[0];
    const struct pcol_link *l;
    const struct pcol_kv *kv;

    PCOL_UNUSED(state);
    assert_int_equal(r->n_attrs, 2);
    kv = pcol_kvs_find(r->attrs, r->n_attrs, pcol_dict_find_str(b, "service.name", 12));
    assert_non_null(kv);
    assert_int_equal(kv->value.kind, PCOL_VAL_STR);
    assert_string_equal(pcol_cstr(b, kv->value.u.str), "my-service");
    assert_string_equal(pcol_cstr(b, r->attrs[1].key), "process.executable.name");
    assert_string_equal(pcol_cstr(b, r->attrs[1].value.u.str), "my-service.bin");

    assert_int_equal(p->n_samples, 2);
    assert_int_equal(p->samples[0].values[0], 5);
    assert_int_equal(p->samples[1].values[0], 3);
    assert_int_not_equal(p->samples[0].link, 0);
    assert_int_equal(p->samples[1].link, 0);
    l = pcol_link_at(b, p->samples[0].link);
    assert_memory_equal(l->trace_id, trace, 16);
    assert_memory_equal(l->span_id, span, 8);
    assert_true(p->time_unix_nano == 2000000000000000000ull);
    assert_true(p->duration_nano == 1000000000ull);
    assert_true(p->period == 50000000);
    assert_string_equal(fn_name_at(b, p->samples[0].stack, 0), "db.Query");
    assert_int_equal(line_at(b, p->samples[0].stack, 0), 112);
    assert_string_equal(fn_name_at(b, p->samples[0].stack, 1), "handleRequest");
    assert_int_equal(line_at(b, p->samples[0].stack, 1), 45);
    pcol_batch_release(b);
}

/* encode -> decode -> encode must reproduce the first encoding exactly. */
static void assert_stable_encoding(struct pcol_batch *b)
{
    struct pcol_buf first = {0}, second = {0};
    struct pcol_err err = {{0}};
    struct pcol_batch *b2 = pcol_batch_create(0);
    int rc;

    pcol_otlp_encode(b, &first);
    rc = pcol_otlp_decode(b2, first.p, first.len, &err);
    if (rc) {
        fail_msg("re-decode: %s", err.msg);
    }
    assert_int_equal(pcol_batch_sample_count(b2), pcol_batch_sample_count(b));
    pcol_otlp_encode(b2, &second);
    assert_int_equal(first.len, second.len);
    assert_memory_equal(first.p, second.p, first.len);
    pcol_buf_free(&first);
    pcol_buf_free(&second);
    pcol_batch_release(b2);
}

static void test_reencode_identical(void **state)
{
    static const char *const names[] = {"otlp_spec_simple_cpu.binpb",
                                        "otlp_spec_resource_link.binpb"};
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(names); i++) {
        struct pcol_batch *b = decode_corpus(names[i]);
        assert_stable_encoding(b);
        pcol_batch_release(b);
    }
}

static void test_decode_twice_dedupes(void **state)
{
    struct pcol_buf in = {0};
    struct pcol_err err = {{0}};
    struct pcol_batch *b = pcol_batch_create(0);
    uint32_t strings, functions, locations, stacks, links;
    const struct pcol_profile *p0, *p1;

    PCOL_UNUSED(state);
    tu_read_corpus("otlp_spec_resource_link.binpb", &in);
    assert_int_equal(pcol_otlp_decode(b, in.p, in.len, &err), 0);
    strings = b->dict.strings.n;
    functions = b->dict.functions.n;
    locations = b->dict.locations.n;
    stacks = b->dict.stacks.n;
    links = b->dict.links.n;
    assert_int_equal(pcol_otlp_decode(b, in.p, in.len, &err), 0);
    assert_int_equal(b->dict.strings.n, strings);
    assert_int_equal(b->dict.functions.n, functions);
    assert_int_equal(b->dict.locations.n, locations);
    assert_int_equal(b->dict.stacks.n, stacks);
    assert_int_equal(b->dict.links.n, links);
    assert_int_equal(pcol_batch_profile_count(b), 2);
    assert_int_equal(b->n_resources, 2);
    p0 = &b->resources[0].scopes[0].profiles[0];
    p1 = &b->resources[1].scopes[0].profiles[0];
    assert_int_equal(p0->samples[0].stack, p1->samples[0].stack);
    assert_int_equal(p0->samples[0].link, p1->samples[0].link);
    assert_int_equal(b->resources[0].attrs[0].value.u.str, b->resources[1].attrs[0].value.u.str);

    /* A different request into the same batch adds only what is new. */
    pcol_buf_free(&in);
    tu_read_corpus("otlp_spec_simple_cpu.binpb", &in);
    assert_int_equal(pcol_otlp_decode(b, in.p, in.len, &err), 0);
    assert_int_equal(pcol_batch_profile_count(b), 3);
    assert_true(b->dict.strings.n > strings);
    assert_int_equal(pcol_dict_find_str(b, "samples", 7), 1);
    pcol_buf_free(&in);
    pcol_batch_release(b);
}

static void test_empty_input(void **state)
{
    struct pcol_err err = {{0}};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_buf out = {0};

    PCOL_UNUSED(state);
    assert_int_equal(pcol_otlp_decode(b, NULL, 0, &err), 0);
    assert_int_equal(b->n_resources, 0);
    /* An empty batch still writes all seven tables with their zero entries. */
    pcol_otlp_encode(b, &out);
    assert_true(out.len > 0);
    pcol_buf_free(&out);
    pcol_batch_release(b);
}

static void test_truncated_prefixes(void **state)
{
    static const char *const names[] = {"otlp_spec_simple_cpu.binpb",
                                        "otlp_spec_resource_link.binpb"};
    struct pcol_err err;
    size_t i, n, failed;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(names); i++) {
        struct pcol_buf in = {0};
        tu_read_corpus(names[i], &in);
        failed = 0;
        for (n = 0; n < in.len; n++) {
            /* A private copy so valgrind/ASan see any read past the prefix. */
            uint8_t *copy = malloc(n ? n : 1);
            struct pcol_batch *b = pcol_batch_create(0);
            int rc;
            memcpy(copy, in.p, n);
            err.msg[0] = '\0';
            rc = pcol_otlp_decode(b, copy, n, &err);
            if (rc) {
                assert_int_equal(rc, PCOL_EINVAL);
                assert_true(err.msg[0] != '\0');
                failed++;
            }
            pcol_batch_release(b);
            free(copy);
        }
        assert_true(failed > in.len / 2);
        pcol_buf_free(&in);
    }
}

/* ---- mutated requests ---------------------------------------------------- */

/* Unpacks a corpus file into arena `a` (so mutations may point anywhere),
 * lets `mutate` break it, packs it and checks that decoding fails with a
 * message containing `needle`. */
static void expect_error(const char *corpus,
                         void (*mutate)(pcol_pb_export_request *, struct pcol_arena *),
                         const char *needle)
{
    struct pcol_buf in = {0}, out = {0};
    struct pcol_arena *a = pcol_arena_create(0);
    ProtobufCAllocator al = PCOL_PB_ALLOCATOR(a);
    struct pcol_err err = {{0}};
    struct pcol_batch *b = pcol_batch_create(0);
    pcol_pb_export_request *req;
    int rc;

    tu_read_corpus(corpus, &in);
    req = (pcol_pb_export_request *)protobuf_c_message_unpack(&PCOL_PB_REQUEST_DESC, &al, in.len,
                                                              in.p);
    assert_non_null(req);
    mutate(req, a);
    pcol_buf_reserve(&out, protobuf_c_message_get_packed_size(&req->base));
    out.len = protobuf_c_message_pack(&req->base, out.p);
    rc = pcol_otlp_decode(b, out.p, out.len, &err);
    assert_int_equal(rc, PCOL_EINVAL);
    if (!strstr(err.msg, needle)) {
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    }
    pcol_batch_release(b);
    pcol_buf_free(&in);
    pcol_buf_free(&out);
    pcol_arena_destroy(a);
}

static void bad_stack_index(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->resource_profiles[0]->scope_profiles[0]->profiles[0]->samples[1]->stack_index = 41;
}

static void bad_location_index(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->dictionary->stack_table[2]->location_indices[0] = 99;
}

static void bad_function_index(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->dictionary->location_table[1]->lines[0]->function_index = 77;
}

static void bad_string_index(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->dictionary->function_table[1]->name_strindex = 500;
}

static void negative_string_index(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->resource_profiles[0]->scope_profiles[0]->profiles[0]->sample_type->unit_strindex = -3;
}

static int32_t five[] = {5};

static void bad_attribute_index(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PB_P(Sample) *s = req->resource_profiles[0]->scope_profiles[0]->profiles[0]->samples[0];

    PCOL_UNUSED(a);
    s->n_attribute_indices = 1;
    s->attribute_indices = five;
}

static void bad_link_index(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->resource_profiles[0]->scope_profiles[0]->profiles[0]->samples[1]->link_index = 9;
}

static char not_empty[] = "x";

static void bad_string_zero(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->dictionary->string_table[0] = not_empty;
}

static void bad_function_zero(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->dictionary->function_table[0]->name_strindex = 1;
}

static void bad_trace_id(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->dictionary->link_table[1]->trace_id.len = 5;
}

static void bad_profile_id(pcol_pb_export_request *req, struct pcol_arena *a)
{
    static uint8_t id[3] = {1, 2, 3};

    PCOL_UNUSED(a);
    req->resource_profiles[0]->scope_profiles[0]->profiles[0]->profile_id.len = sizeof(id);
    req->resource_profiles[0]->scope_profiles[0]->profiles[0]->profile_id.data = id;
}

static uint64_t two_ts[] = {1, 2};

static void bad_timestamps(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PB_P(Sample) *s = req->resource_profiles[0]->scope_profiles[0]->profiles[0]->samples[0];

    PCOL_UNUSED(a);
    s->n_timestamps_unix_nano = 2;
    s->timestamps_unix_nano = two_ts;
}

/* Appends attribute entries with keys "samples" (string 1): the first n
 * share key 1 with different values. Returns the first new index. */
static int32_t add_attrs(pcol_pb_export_request *req, struct pcol_arena *a, size_t n, bool same_key)
{
    static const PB_P(KeyValueAndUnit) kvu_init =
        OPENTELEMETRY__PROTO__PROFILES__V1DEVELOPMENT__KEY_VALUE_AND_UNIT__INIT;
    static const PB_C(AnyValue) av_init = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
    PB_P(ProfilesDictionary) *d = req->dictionary;
    size_t old = d->n_attribute_table, i;
    PB_P(KeyValueAndUnit) **tab = pcol_arena_alloc(a, (old + n) * sizeof(*tab));

    memcpy(tab, d->attribute_table, old * sizeof(*tab));
    for (i = 0; i < n; i++) {
        PB_P(KeyValueAndUnit) *e = pcol_arena_alloc(a, sizeof(*e));
        PB_C(AnyValue) *v = pcol_arena_alloc(a, sizeof(*v));
        *e = kvu_init;
        *v = av_init;
        v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
        v->int_value = (int64_t)i;
        e->key_strindex = same_key ? 1 : (int32_t)(1 + i % 12);
        e->value = v;
        tab[old + i] = e;
    }
    d->attribute_table = tab;
    d->n_attribute_table = old + n;
    return (int32_t)old;
}

static void dup_attr_key(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PB_P(Sample) *s = req->resource_profiles[0]->scope_profiles[0]->profiles[0]->samples[0];
    int32_t first = add_attrs(req, a, 2, true);
    int32_t *idx = pcol_arena_alloc(a, 2 * sizeof(int32_t));

    idx[0] = first;
    idx[1] = first + 1;
    s->n_attribute_indices = 2;
    s->attribute_indices = idx;
}

/* 12 distinct keys then a repeat of the first: exercises the hashed check. */
static void dup_attr_key_long(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PB_P(Sample) *s = req->resource_profiles[0]->scope_profiles[0]->profiles[0]->samples[0];
    int32_t first = add_attrs(req, a, 30, false);
    int32_t *idx = pcol_arena_alloc(a, 20 * sizeof(int32_t));
    int32_t i;

    for (i = 0; i < 12; i++) {
        idx[i] = first + i;
    }
    for (; i < 20; i++) {
        idx[i] = first + 12 + (i - 12); /* keys 1..8 again: dup at [12] */
    }
    s->n_attribute_indices = 20;
    s->attribute_indices = idx;
}

static char key_name[] = "service.name";

static void key_and_strindex(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->resource_profiles[0]->resource->attributes[0]->key = key_name;
}

static void bad_resource_value_strindex(pcol_pb_export_request *req, struct pcol_arena *a)
{
    PCOL_UNUSED(a);
    req->resource_profiles[0]->resource->attributes[1]->value->string_value_strindex = 13;
}

static int deep_levels = 20;

/* Resource attribute 0 becomes [[[...]]] nested deep_levels deep. */
static void deep_value(pcol_pb_export_request *req, struct pcol_arena *a)
{
    static const PB_C(AnyValue) av_init = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
    static const PB_C(ArrayValue) arr_init = OPENTELEMETRY__PROTO__COMMON__V1__ARRAY_VALUE__INIT;
    PB_C(AnyValue) *v = req->resource_profiles[0]->resource->attributes[0]->value;
    int i;

    for (i = 0; i < deep_levels; i++) {
        PB_C(ArrayValue) *arr = pcol_arena_alloc(a, sizeof(*arr));
        PB_C(AnyValue) *inner = pcol_arena_alloc(a, sizeof(*inner));
        *arr = arr_init;
        *inner = av_init;
        arr->n_values = 1;
        arr->values = pcol_arena_alloc(a, sizeof(*arr->values));
        arr->values[0] = inner;
        v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE;
        v->array_value = arr;
        v = inner;
    }
}

static void test_bad_indexes(void **state)
{
    PCOL_UNUSED(state);
    expect_error("otlp_spec_simple_cpu.binpb", bad_stack_index,
                 "resource_profiles[0].scope_profiles[0].profiles[0].samples[1]: stack_index 41 "
                 "out of range (stack_table has 3 entries)");
    expect_error("otlp_spec_simple_cpu.binpb", bad_location_index,
                 "dictionary.stack_table[2]: location_indices[0] = 99 out of range "
                 "(location_table has 5 entries)");
    expect_error("otlp_spec_simple_cpu.binpb", bad_function_index,
                 "dictionary.location_table[1].lines[0]: function_index 77 out of range "
                 "(function_table has 5 entries)");
    expect_error("otlp_spec_simple_cpu.binpb", bad_string_index,
                 "dictionary.function_table[1]: name_strindex 500 out of range "
                 "(string_table has 13 entries)");
    expect_error("otlp_spec_simple_cpu.binpb", negative_string_index,
                 "profiles[0]: sample_type.unit_strindex -3 out of range");
    expect_error("otlp_spec_simple_cpu.binpb", bad_attribute_index,
                 "samples[0]: attribute_indices[0] = 5 out of range (attribute_table has 1 "
                 "entries)");
    expect_error("otlp_spec_resource_link.binpb", bad_link_index,
                 "samples[1]: link_index 9 out of range (link_table has 2 entries)");
    expect_error("otlp_spec_resource_link.binpb", bad_resource_value_strindex,
                 "resource_profiles[0].resource.attributes[1]: string_value_strindex 13 out of "
                 "range");
}

static void test_bad_tables(void **state)
{
    PCOL_UNUSED(state);
    expect_error("otlp_spec_simple_cpu.binpb", bad_string_zero,
                 "dictionary.string_table[0]: must be \"\"");
    expect_error("otlp_spec_simple_cpu.binpb", bad_function_zero,
                 "dictionary.function_table[0]: entry 0 must be the zero value Function{}");
    expect_error("otlp_spec_resource_link.binpb", bad_trace_id,
                 "dictionary.link_table[1]: trace_id is 5 bytes, must be 16");
}

static void test_bad_samples_and_attrs(void **state)
{
    PCOL_UNUSED(state);
    expect_error("otlp_spec_simple_cpu.binpb", bad_timestamps,
                 "samples[0]: 1 values but 2 timestamps_unix_nano");
    expect_error("otlp_spec_simple_cpu.binpb", bad_profile_id,
                 "profiles[0]: profile_id is 3 bytes, must be 16");
    expect_error("otlp_spec_simple_cpu.binpb", dup_attr_key,
                 "samples[0]: attribute_indices[0] and [1] have the same key \"samples\"");
    expect_error("otlp_spec_simple_cpu.binpb", dup_attr_key_long,
                 "attribute_indices[0] and [12] have the same key \"samples\"");
    expect_error("otlp_spec_resource_link.binpb", key_and_strindex,
                 "resource.attributes[0]: both key \"service.name\" and key_strindex 9 are set");
    expect_error("otlp_spec_resource_link.binpb", deep_value,
                 "resource.attributes[0]: value nested deeper than 16 levels");
}

static void test_wrong_wire_type(void **state)
{
    static const uint8_t wire0[] = {0x08, 0x01};       /* field 1 as varint, not a message */
    static const uint8_t bad_group[] = {0x0b};         /* start-group */
    static const uint8_t long_len[] = {0x0a, 0x05, 0}; /* length runs past the end */
    /* resource_profiles { scope_profiles { profiles { samples { values: fixed32 } } } } */
    static const uint8_t nested[] = {0x0a, 0x0b, 0x12, 0x09, 0x12, 0x07, 0x12,
                                     0x05, 0x25, 0x01, 0x00, 0x00, 0x00};
    struct pcol_err err = {{0}};
    struct pcol_batch *b = pcol_batch_create(0);

    PCOL_UNUSED(state);
    assert_int_equal(pcol_otlp_decode(b, wire0, sizeof(wire0), &err), PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "byte 0: ExportProfilesServiceRequest.resource_profiles "
                                    "(field 1) has wire type 0, expected 2"));
    assert_int_equal(pcol_otlp_decode(b, bad_group, sizeof(bad_group), &err), PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "wire type 3"));
    assert_int_equal(pcol_otlp_decode(b, long_len, sizeof(long_len), &err), PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "truncated"));
    assert_int_equal(pcol_otlp_decode(b, nested, sizeof(nested), &err), PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "byte 8: Sample.values (field 4) has wire type 5"));
    pcol_batch_release(b);
}

static void test_deep_nesting_rejected(void **state)
{
    PCOL_UNUSED(state);
    /* protobuf-c would recurse once per level; the wire check stops first. */
    deep_levels = 200;
    expect_error("otlp_spec_resource_link.binpb", deep_value,
                 "messages nested deeper than 64 levels");
    deep_levels = 20;
}

/* ---- a batch using every field ------------------------------------------- */

static struct pcol_value str_val(struct pcol_batch *b, const char *s)
{
    struct pcol_value v = {PCOL_VAL_STR, 0, {.str = pcol_dict_cstr(b, s)}};
    return v;
}

static struct pcol_batch *rich_batch(void)
{
    static const uint8_t blob[3] = {0, 0xff, 0x10};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_arena *a = b->arena;
    struct pcol_function f = {pcol_dict_cstr(b, "ns::run"), pcol_dict_cstr(b, "_ZN2ns3runEv"),
                              pcol_dict_cstr(b, "run.cc"), 12};
    struct pcol_value v = {PCOL_VAL_INT, 0, {.i = 4096}}, sv;
    struct pcol_mapping m = {0x1000, 0x2000, 0x100, pcol_dict_cstr(b, "/bin/app"), {NULL, 0}};
    struct pcol_line lines[2];
    struct pcol_location loc = {0};
    struct pcol_resource *r;
    struct pcol_scope *s;
    struct pcol_profile *p;
    struct pcol_sample *smp;
    uint8_t trace[16], span[8];
    int32_t fn, at_thread, at_bytes, at_build, mp, lc, stack, link;
    int32_t *ilist;
    int i;

    fn = pcol_dict_intern(b, &b->dict.functions, &f);
    sv = str_val(b, "worker-1");
    at_thread = pcol_dict_attr(b, pcol_dict_cstr(b, "thread.name"), &sv, 0);
    at_bytes = pcol_dict_attr(b, pcol_dict_cstr(b, "bytes"), &v, pcol_dict_cstr(b, "By"));
    sv = str_val(b, "abcdef");
    at_build = pcol_dict_attr(b, pcol_dict_cstr(b, "process.executable.build_id.gnu"), &sv, 0);
    ilist = pcol_arena_alloc(a, sizeof(int32_t));
    ilist[0] = at_build;
    m.attrs.v = ilist;
    m.attrs.n = 1;
    mp = pcol_dict_intern(b, &b->dict.mappings, &m);
    lines[0].function = fn;
    lines[0].line = 7;
    lines[0].column = 3;
    lines[1] = lines[0];
    lines[1].line = 9;
    loc.mapping = mp;
    loc.address = 0x1234;
    loc.lines = pcol_arena_memdup(a, lines, sizeof(lines));
    loc.n_lines = 2;
    lc = pcol_dict_intern(b, &b->dict.locations, &loc);
    stack = pcol_dict_stack(b, &lc, 1);
    for (i = 0; i < 16; i++) {
        trace[i] = (uint8_t)(i + 1);
    }
    memcpy(span, trace, 8);
    link = pcol_dict_link(b, trace, span);

    r = pcol_batch_add_resource(b);
    r->n_attrs = 4;
    r->attrs = pcol_arena_calloc(a, 4 * sizeof(*r->attrs));
    r->attrs[0].key = pcol_dict_cstr(b, "service.name");
    r->attrs[0].value = str_val(b, "svc");
    r->attrs[1].key = pcol_dict_cstr(b, "blob");
    r->attrs[1].value.kind = PCOL_VAL_BYTES;
    r->attrs[1].value.n = 3;
    r->attrs[1].value.u.bytes = blob;
    r->attrs[2].key = pcol_dict_cstr(b, "list");
    r->attrs[2].value.kind = PCOL_VAL_ARRAY;
    r->attrs[2].value.n = 2;
    r->attrs[2].value.u.array = pcol_arena_calloc(a, 2 * sizeof(struct pcol_value));
    r->attrs[2].value.u.array[0] = str_val(b, "");
    r->attrs[2].value.u.array[1].kind = PCOL_VAL_DOUBLE;
    r->attrs[2].value.u.array[1].u.d = 0.5;
    r->attrs[3].key = pcol_dict_cstr(b, "empty");
    r->dropped_attributes_count = 3;
    r->schema_url = pcol_dict_cstr(b, "https://opentelemetry.io/schemas/1.30.0");
    r->n_entity_refs = 1;
    r->entity_refs = pcol_arena_calloc(a, sizeof(*r->entity_refs));
    r->entity_refs[0].type = pcol_dict_cstr(b, "service");
    r->entity_refs[0].id_keys = pcol_ilist_dup(b, &r->attrs[0].key, 1);

    s = pcol_resource_add_scope(b, r);
    s->name = pcol_dict_cstr(b, "profcol");
    s->version = pcol_dict_cstr(b, "0.1");
    s->dropped_attributes_count = 1;

    p = pcol_scope_add_profile(b, s);
    p->sample_type.type = pcol_dict_cstr(b, "samples");
    p->sample_type.unit = pcol_dict_cstr(b, "count");
    p->time_unix_nano = 1700000000000000000ull;
    p->duration_nano = 5;
    p->period = -1;
    p->profile_id[15] = 7;
    p->dropped_attributes_count = 2;
    p->original_payload_format = pcol_dict_cstr(b, "pprof");
    p->original_payload = blob;
    p->original_payload_len = sizeof(blob);
    p->attrs = pcol_ilist_dup(b, &at_thread, 1);
    smp = pcol_profile_add_sample(b, p);
    smp->stack = stack;
    smp->link = link;
    ilist = pcol_arena_alloc(a, 2 * sizeof(int32_t));
    ilist[0] = at_thread;
    ilist[1] = at_bytes;
    smp->attrs.v = ilist;
    smp->attrs.n = 2;
    smp->n_values = smp->n_timestamps = 2;
    smp->values = pcol_arena_calloc(a, 2 * sizeof(int64_t));
    smp->values[0] = -5;
    smp->values[1] = INT64_MAX;
    smp->timestamps = pcol_arena_calloc(a, 2 * sizeof(uint64_t));
    smp->timestamps[0] = 1;
    smp->timestamps[1] = UINT64_MAX;
    smp = pcol_profile_add_sample(b, p);
    smp->stack = stack;
    smp->n_timestamps = 1;
    smp->timestamps = pcol_arena_calloc(a, sizeof(uint64_t));
    return b;
}

static void test_rich_roundtrip(void **state)
{
    struct pcol_batch *b = rich_batch(), *b2 = pcol_batch_create(0);
    struct pcol_buf out = {0};
    struct pcol_err err = {{0}};
    const struct pcol_resource *r;
    const struct pcol_profile *p;
    const struct pcol_sample *s;
    const struct pcol_attr *a;

    PCOL_UNUSED(state);
    assert_stable_encoding(b);
    pcol_otlp_encode(b, &out);
    assert_int_equal(pcol_otlp_decode(b2, out.p, out.len, &err), 0);
    r = &b2->resources[0];
    assert_int_equal(r->n_attrs, 4);
    assert_string_equal(pcol_cstr(b2, r->attrs[0].value.u.str), "svc");
    assert_int_equal(r->attrs[1].value.kind, PCOL_VAL_BYTES);
    assert_int_equal(r->attrs[1].value.n, 3);
    assert_int_equal(r->attrs[1].value.u.bytes[1], 0xff);
    assert_int_equal(r->attrs[2].value.kind, PCOL_VAL_ARRAY);
    assert_int_equal(r->attrs[2].value.u.array[0].kind, PCOL_VAL_STR);
    assert_int_equal(r->attrs[2].value.u.array[0].u.str, 0);
    assert_true(r->attrs[2].value.u.array[1].u.d == 0.5);
    assert_int_equal(r->attrs[3].value.kind, PCOL_VAL_EMPTY);
    assert_int_equal(r->dropped_attributes_count, 3);
    assert_int_equal(r->n_entity_refs, 1);
    assert_string_equal(pcol_cstr(b2, r->entity_refs[0].id_keys.v[0]), "service.name");
    assert_string_equal(pcol_cstr(b2, r->scopes[0].version), "0.1");
    p = &r->scopes[0].profiles[0];
    assert_int_equal(p->profile_id[15], 7);
    assert_int_equal(p->original_payload_len, 3);
    assert_string_equal(pcol_cstr(b2, p->original_payload_format), "pprof");
    assert_true(p->period == -1);
    s = &p->samples[0];
    assert_int_equal(s->attrs.n, 2);
    a = pcol_attr_at(b2, s->attrs.v[1]);
    assert_string_equal(pcol_cstr(b2, a->key), "bytes");
    assert_string_equal(pcol_cstr(b2, a->unit), "By");
    assert_int_equal(a->value.u.i, 4096);
    assert_true(s->values[1] == INT64_MAX);
    assert_true(s->timestamps[1] == UINT64_MAX);
    assert_int_equal(pcol_link_at(b2, s->link)->trace_id[15], 16);
    assert_int_equal(p->samples[1].n_values, 0);
    assert_int_equal(p->samples[1].n_timestamps, 1);
    {
        const struct pcol_location *l =
            pcol_location_at(b2, pcol_stack_at(b2, s->stack)->locations.v[0]);
        const struct pcol_mapping *m = pcol_mapping_at(b2, l->mapping);
        assert_int_equal(l->n_lines, 2);
        assert_int_equal(l->lines[1].line, 9);
        assert_int_equal(l->lines[0].column, 3);
        assert_true(m->memory_limit == 0x2000);
        assert_int_equal(m->attrs.n, 1);
        assert_string_equal(pcol_cstr(b2, pcol_function_at(b2, l->lines[0].function)->system_name),
                            "_ZN2ns3runEv");
    }
    /* Copy mode (request outside the batch arena) gives the same batch. */
    {
        struct pcol_arena *ar = pcol_arena_create(0);
        ProtobufCAllocator al = PCOL_PB_ALLOCATOR(ar);
        struct pcol_batch *b3 = pcol_batch_create(0);
        struct pcol_buf out3 = {0};
        pcol_pb_export_request *req = (pcol_pb_export_request *)protobuf_c_message_unpack(
            &PCOL_PB_REQUEST_DESC, &al, out.len, out.p);
        assert_int_equal(pcol__otlp_from_pb(b3, req, false, &err), 0);
        pcol_arena_destroy(ar);
        pcol_otlp_encode(b3, &out3);
        assert_int_equal(out3.len, out.len);
        assert_memory_equal(out3.p, out.p, out.len);
        pcol_buf_free(&out3);
        pcol_batch_release(b3);
    }
    pcol_buf_free(&out);
    pcol_batch_release(b);
    pcol_batch_release(b2);
}

/* Many distinct entries: the round trip must stay exact (and fast). */
static void test_large_roundtrip(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_scope *s = pcol_resource_add_scope(b, pcol_batch_add_resource(b));
    struct pcol_profile *p = pcol_scope_add_profile(b, s);
    char name[32];
    int32_t i, prev = 0;

    PCOL_UNUSED(state);
    for (i = 0; i < 50000; i++) {
        struct pcol_function f = {0};
        struct pcol_line ln = {0};
        struct pcol_location l = {0};
        struct pcol_sample *smp;
        int32_t locs[2], lc;
        snprintf(name, sizeof(name), "fn_%d", i);
        f.name = pcol_dict_cstr(b, name);
        ln.function = pcol_dict_intern(b, &b->dict.functions, &f);
        ln.line = i;
        l.address = (uint64_t)i;
        l.lines = pcol_arena_memdup(b->arena, &ln, sizeof(ln));
        l.n_lines = 1;
        lc = pcol_dict_intern(b, &b->dict.locations, &l);
        locs[0] = lc;
        locs[1] = prev;
        prev = lc;
        smp = pcol_profile_add_sample(b, p);
        smp->stack = pcol_dict_stack(b, locs, 2);
        smp->n_values = 1;
        smp->values = pcol_arena_alloc(b->arena, sizeof(int64_t));
        smp->values[0] = i;
    }
    assert_stable_encoding(b);
    pcol_batch_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_simple_cpu),     cmocka_unit_test(test_decode_resource_link),
        cmocka_unit_test(test_reencode_identical),    cmocka_unit_test(test_decode_twice_dedupes),
        cmocka_unit_test(test_empty_input),           cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_bad_indexes),           cmocka_unit_test(test_bad_tables),
        cmocka_unit_test(test_bad_samples_and_attrs), cmocka_unit_test(test_wrong_wire_type),
        cmocka_unit_test(test_deep_nesting_rejected), cmocka_unit_test(test_rich_roundtrip),
        cmocka_unit_test(test_large_roundtrip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
