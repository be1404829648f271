/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_codec_otlp_json.c: the generic proto3 JSON codec (pbjson) against the
 * corpus's protoc-made JSON/binary pairs, the OTLP/JSON codec, malformed
 * JSON (with positions in the messages), string escaping, and the resource +
 * scope context JSON that the pprof codec embeds.
 */
#include "testutil.h"

#include "codec_otlp.h"
#include "codec_otlp_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const corpus_pairs[][2] = {
    {"otlp_spec_simple_cpu.json", "otlp_spec_simple_cpu.binpb"},
    {"otlp_spec_resource_link.json", "otlp_spec_resource_link.binpb"},
};

static void pack(const ProtobufCMessage *m, struct pcol_buf *out)
{
    pcol_buf_reserve(out, protobuf_c_message_get_packed_size(m));
    out->len += protobuf_c_message_pack(m, out->p + out->len);
}

static void assert_same_bytes(const struct pcol_buf *a, const struct pcol_buf *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->p, b->p, a->len);
}

static void test_pbjson_corpus_json_to_binpb(void **state)
{
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(corpus_pairs); i++) {
        struct pcol_buf json = {0}, bin = {0}, out = {0};
        struct pcol_arena *a = pcol_arena_create(0);
        struct pcol_err err = {{0}};
        ProtobufCMessage *m;

        tu_read_corpus(corpus_pairs[i][0], &json);
        tu_read_corpus(corpus_pairs[i][1], &bin);
        if (pcol_pbjson_decode(&PCOL_PB_REQUEST_DESC, (const char *)json.p, json.len, a, &m,
                               &err)) {
            fail_msg("%s: %s", corpus_pairs[i][0], err.msg);
        }
        pack(m, &out);
        assert_same_bytes(&out, &bin);
        pcol_buf_free(&json);
        pcol_buf_free(&bin);
        pcol_buf_free(&out);
        pcol_arena_destroy(a);
    }
}

static void test_pbjson_binpb_roundtrip(void **state)
{
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(corpus_pairs); i++) {
        struct pcol_buf bin = {0}, json = {0}, out = {0};
        struct pcol_arena *a = pcol_arena_create(0);
        ProtobufCAllocator al = PCOL_PB_ALLOCATOR(a);
        struct pcol_err err = {{0}};
        ProtobufCMessage *m, *m2;

        tu_read_corpus(corpus_pairs[i][1], &bin);
        m = protobuf_c_message_unpack(&PCOL_PB_REQUEST_DESC, &al, bin.len, bin.p);
        assert_non_null(m);
        pcol_pbjson_encode(m, &json);
        assert_null(memchr(json.p, '\n', json.len));
        if (pcol_pbjson_decode(&PCOL_PB_REQUEST_DESC, (const char *)json.p, json.len, a, &m2,
                               &err)) {
            fail_msg("%s: %s", corpus_pairs[i][1], err.msg);
        }
        pack(m2, &out);
        assert_same_bytes(&out, &bin);
        pcol_buf_free(&bin);
        pcol_buf_free(&json);
        pcol_buf_free(&out);
        pcol_arena_destroy(a);
    }
}

static void test_pbjson_output_form(void **state)
{
    struct pcol_buf bin = {0}, json = {0};
    struct pcol_arena *a = pcol_arena_create(0);
    ProtobufCAllocator al = PCOL_PB_ALLOCATOR(a);
    ProtobufCMessage *m;

    PCOL_UNUSED(state);
    tu_read_corpus("otlp_spec_resource_link.binpb", &bin);
    m = protobuf_c_message_unpack(&PCOL_PB_REQUEST_DESC, &al, bin.len, bin.p);
    pcol_pbjson_encode(m, &json);
    pcol_buf_putc(&json, '\0');
    assert_non_null(strstr((char *)json.p, "\"timeUnixNano\":\"2000000000000000000\""));
    assert_non_null(strstr((char *)json.p, "\"values\":[\"5\"]"));
    assert_non_null(strstr((char *)json.p, "\"traceId\":\"1122aabbccddeeff0000000000000000\""));
    assert_non_null(strstr((char *)json.p, "\"spanId\":\"ff01020304050607\""));
    assert_non_null(strstr((char *)json.p, "{\"value\":{\"stringValueStrindex\":11},"
                                           "\"keyStrindex\":9}"));
    assert_non_null(strstr((char *)json.p, "\"mappingTable\":[{}]"));
    assert_null(strstr((char *)json.p, "\"key\":"));
    pcol_buf_free(&bin);
    pcol_buf_free(&json);
    pcol_arena_destroy(a);
}

static struct pcol_batch *json_batch(const char *json, struct pcol_err *err, int *rc)
{
    struct pcol_batch *b = pcol_batch_create(0);

    *rc = pcol_otlp_json_decode(b, json, strlen(json), err);
    return b;
}

static void test_codec_json_equals_binpb(void **state)
{
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(corpus_pairs); i++) {
        struct pcol_buf json = {0}, bin = {0}, out1 = {0}, out2 = {0}, jout = {0};
        struct pcol_batch *b1 = pcol_batch_create(0), *b2 = pcol_batch_create(0);
        struct pcol_batch *b3 = pcol_batch_create(0);
        struct pcol_err err = {{0}};

        tu_read_corpus(corpus_pairs[i][0], &json);
        tu_read_corpus(corpus_pairs[i][1], &bin);
        if (pcol_otlp_json_decode(b1, (const char *)json.p, json.len, &err)) {
            fail_msg("%s: %s", corpus_pairs[i][0], err.msg);
        }
        assert_int_equal(pcol_otlp_decode(b2, bin.p, bin.len, &err), 0);
        pcol_otlp_encode(b1, &out1);
        pcol_otlp_encode(b2, &out2);
        assert_same_bytes(&out1, &out2);

        /* Our own JSON reads back to the same batch. */
        pcol_otlp_json_encode(b1, &jout);
        if (pcol_otlp_json_decode(b3, (const char *)jout.p, jout.len, &err)) {
            fail_msg("re-decode: %s", err.msg);
        }
        out2.len = 0;
        pcol_otlp_encode(b3, &out2);
        assert_same_bytes(&out1, &out2);

        pcol_buf_free(&json);
        pcol_buf_free(&bin);
        pcol_buf_free(&out1);
        pcol_buf_free(&out2);
        pcol_buf_free(&jout);
        pcol_batch_release(b1);
        pcol_batch_release(b2);
        pcol_batch_release(b3);
    }
}

static void test_codec_json_uses_strindex(void **state)
{
    struct pcol_buf bin = {0}, out = {0};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err = {{0}};

    PCOL_UNUSED(state);
    tu_read_corpus("otlp_spec_resource_link.binpb", &bin);
    assert_int_equal(pcol_otlp_decode(b, bin.p, bin.len, &err), 0);
    pcol_otlp_json_encode(b, &out);
    pcol_buf_putc(&out, '\0');
    assert_non_null(strstr((char *)out.p, "\"keyStrindex\":"));
    assert_non_null(strstr((char *)out.p, "\"stringValueStrindex\":"));
    /* link 0 gets 16 and 8 zero bytes */
    assert_non_null(strstr((char *)out.p, "{\"traceId\":\"00000000000000000000000000000000\","
                                          "\"spanId\":\"0000000000000000\"}"));
    pcol_buf_free(&bin);
    pcol_buf_free(&out);
    pcol_batch_release(b);
}

static void test_snake_case_and_numbers(void **state)
{
    static const char json[] =
        "{\"resource_profiles\":[{\"scope_profiles\":[{\"profiles\":[{"
        "\"sample_type\":{\"type_strindex\":1,\"unit_strindex\":\"2\"},"
        "\"samples\":[{\"stack_index\":0,\"values\":[9007199254740993,\"-7\",1e3]},"
        "{\"timestamps_unix_nano\":[18446744073709551615]}],"
        "\"time_unix_nano\":1234567890123456789,\"period\":-9223372036854775808,"
        "\"duration_nano\":\"1.000000000000000000000000000000000000000000000000000000000000000e2\","
        "\"period_type\":null,\"profile_id\":null}]}]}],"
        "\"dictionary\":{\"string_table\":[\"\",\"cpu\",\"nanoseconds\"]}}";
    struct pcol_err err = {{0}};
    int rc;
    struct pcol_batch *b = json_batch(json, &err, &rc);
    const struct pcol_profile *p;

    PCOL_UNUSED(state);
    if (rc) {
        fail_msg("%s", err.msg);
    }
    p = &b->resources[0].scopes[0].profiles[0];
    assert_string_equal(pcol_cstr(b, p->sample_type.type), "cpu");
    assert_string_equal(pcol_cstr(b, p->sample_type.unit), "nanoseconds");
    assert_true(p->time_unix_nano == 1234567890123456789ull);
    assert_true(p->period == INT64_MIN);
    assert_true(p->duration_nano == 100);
    assert_int_equal(p->period_type.type, 0);
    assert_int_equal(p->samples[0].n_values, 3);
    assert_true(p->samples[0].values[0] == 9007199254740993ll);
    assert_true(p->samples[0].values[1] == -7);
    assert_true(p->samples[0].values[2] == 1000);
    assert_true(p->samples[1].timestamps[0] == UINT64_MAX);
    pcol_batch_release(b);
}

static void test_unknown_fields_ignored(void **state)
{
    static const char json[] =
        " {\"futureField\":{\"a\":[1,2.5e-3,{\"b\":null}],\"c\":\"\\u00e9\\n\"},\n"
        "  \"resourceProfiles\":[{\"x\":true,\"scopeProfiles\":[{\"profiles\":[{\n"
        "  \"samples\":[{\"values\":[\"4\"],\"y\":[[],{}]}],\"z\":false}]}]}],\n"
        "  \"dictionary\":{\"stringTable\":[\"\"],\"w\":-0.0}} \n";
    struct pcol_err err = {{0}};
    int rc;
    struct pcol_batch *b = json_batch(json, &err, &rc);

    PCOL_UNUSED(state);
    if (rc) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(pcol_batch_sample_count(b), 1);
    assert_int_equal(b->resources[0].scopes[0].profiles[0].samples[0].values[0], 4);
    pcol_batch_release(b);
}

/* Decoding `json` must fail with a message containing each needle. */
static void expect_json_error(const char *json, const char *needle1, const char *needle2)
{
    struct pcol_err err = {{0}};
    int rc;
    struct pcol_batch *b = json_batch(json, &err, &rc);

    assert_int_equal(rc, PCOL_EINVAL);
    if (!strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2))) {
        fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", err.msg, needle1, needle2 ? needle2 : "");
    }
    pcol_batch_release(b);
}

static void test_malformed_json(void **state)
{
    char deep[400];
    size_t i;

    PCOL_UNUSED(state);
    expect_json_error("", "JSON 1:1 (byte 0)", "expected '{'");
    expect_json_error("{\"resourceProfiles\":[{\"scopeProfiles\":[", "JSON 1:40 (byte 39)",
                      "expected '{'");
    expect_json_error("{\"dictionary\":{\"stringTable\":[\"\",\"ab", "JSON 1:34", "unterminated");
    expect_json_error("{\"dictionary\":{\"stringTable\":[\"\",\"a\\qb\"]}}", "JSON 1:36",
                      "bad escape '\\q'");
    expect_json_error("{\"dictionary\":{\"stringTable\":[\"\",\"\\ud800x\"]}}", "JSON 1:35",
                      "surrogate");
    expect_json_error("{\"dictionary\":{\"stringTable\":[\"\",\"a\tb\"]}}", "JSON 1:36",
                      "control character");
    expect_json_error("{\"dictionary\":{\"stringTable\":[\"\",\"\xc3\x28\"]}}", "JSON 1:35",
                      "invalid UTF-8");
    expect_json_error("{\"dictionary\":{\"stringTable\":[\"\",\"a\\u0000b\"]}}", "JSON 1:34",
                      "NUL");
    expect_json_error("{\"resourceProfiles\":[{\"scopeProfiles\":[{\"profiles\":[{\"samples\":"
                      "[{\"stackIndex\":true}]}]}]}]}",
                      "JSON 1:79", "field \"stack_index\": expected a number");
    expect_json_error("{\"resourceProfiles\":[{\"scopeProfiles\":[{\"profiles\":[{\"samples\":"
                      "[{\"stackIndex\":2147483648}]}]}]}]}",
                      "JSON 1:79", "out of range");
    expect_json_error("{\"resourceProfiles\":[{\"scopeProfiles\":[{\"profiles\":[{\"samples\":"
                      "[{\"values\":[1.5]}]}]}]}]}",
                      "JSON 1:76", "not an integer");
    expect_json_error("{\"dictionary\":[]}", "JSON 1:15", "expected '{'");
    expect_json_error("{\"dictionary\":{\"stringTable\":\"x\"}}", "JSON 1:30", "expected a list");
    expect_json_error("{\"dictionary\":{\"stringTable\":[null]}}", "JSON 1:31", "null");
    expect_json_error("{\n  \"dictionary\": {\n    \"linkTable\": [{\"traceId\": \"zz\"}]\n  }\n}",
                      "JSON 3:31 (byte 50)", "field \"trace_id\": invalid hex digit");
    expect_json_error("{\"dictionary\":{\"linkTable\":[{\"spanId\":\"abc\"}]}}", "JSON 1:39",
                      "odd number");
    expect_json_error("{\"resourceProfiles\":[{\"scopeProfiles\":[{\"profiles\":[{"
                      "\"originalPayload\":\"a===\"}]}]}]}",
                      "JSON 1:72", "invalid base64");
    expect_json_error("{\"dictionary\":{} }x", "JSON 1:19", "unexpected data");
    expect_json_error("{\"dictionary\" {}}", "JSON 1:15", "expected ':'");
    expect_json_error("{\"dictionary\":{},}", "JSON 1:18", "expected a field name");
    expect_json_error("{\"unknown\":[1,]}", "JSON 1:15", "unexpected character ']'");
    expect_json_error("{\"unknown\":tru}", "JSON 1:12", "unexpected character 't'");

    /* Nesting beyond 64 levels, in an unknown field. */
    memcpy(deep, "{\"u\":", 5);
    for (i = 0; i < 100; i++) {
        deep[5 + i] = '[';
    }
    deep[105] = '\0';
    expect_json_error(deep, "nested deeper than 64 levels", NULL);

    /* Valid JSON, invalid content: the model checks still apply. */
    expect_json_error("{\"dictionary\":{\"stringTable\":[\"x\"]}}", "string_table[0]", NULL);
    expect_json_error("{\"resourceProfiles\":[{\"scopeProfiles\":[{\"profiles\":[{\"samples\":"
                      "[{\"stackIndex\":3}]}]}]}]}",
                      "samples[0]: stack_index 3 out of range (stack_table has 1 entries)", NULL);
}

/* Resource with one string attribute `s`; returns the batch after a JSON round trip. */
static struct pcol_batch *string_roundtrip(const char *s, size_t n, struct pcol_buf *json)
{
    struct pcol_batch *b = pcol_batch_create(0), *b2 = pcol_batch_create(0);
    struct pcol_resource *r = pcol_batch_add_resource(b);
    struct pcol_err err = {{0}};

    r->n_attrs = 1;
    r->attrs = pcol_arena_calloc(b->arena, sizeof(*r->attrs));
    r->attrs[0].key = pcol_dict_cstr(b, "k");
    r->attrs[0].value.kind = PCOL_VAL_STR;
    r->attrs[0].value.u.str = pcol_dict_str(b, s, n);
    pcol_otlp_json_encode(b, json);
    if (pcol_otlp_json_decode(b2, (const char *)json->p, json->len, &err)) {
        fail_msg("%s", err.msg);
    }
    pcol_buf_putc(json, '\0');
    pcol_batch_release(b);
    return b2;
}

static void test_string_escaping(void **state)
{
    static const char s[] = "q\"uo\\te/ \x01\x1f\n\t\x7f h\xc3\xa9llo \xe2\x82\xac "
                            "\xf0\x9f\x98\x80";
    static const char bad[] = "a\xff"
                              "b";
    struct pcol_buf json = {0};
    struct pcol_batch *b;
    const struct pcol_str *got;

    PCOL_UNUSED(state);
    b = string_roundtrip(s, sizeof(s) - 1, &json);
    got = pcol_str_at(b, b->resources[0].attrs[0].value.u.str);
    assert_int_equal(got->len, sizeof(s) - 1);
    assert_memory_equal(got->p, s, sizeof(s) - 1);
    assert_non_null(strstr((char *)json.p, "\"q\\\"uo\\\\te/ \\u0001\\u001f\\u000a\\u0009\x7f h"
                                           "\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\""));
    pcol_batch_release(b);

    /* Invalid UTF-8 never reaches the output. */
    json.len = 0;
    b = string_roundtrip(bad, sizeof(bad) - 1, &json);
    assert_non_null(strstr((char *)json.p, "\"a\\ufffdb\""));
    assert_string_equal(pcol_cstr(b, b->resources[0].attrs[0].value.u.str), "a\xef\xbf\xbd"
                                                                            "b");
    pcol_batch_release(b);
    pcol_buf_free(&json);
}

static void test_string_escapes_in(void **state)
{
    static const char json[] =
        "{\"dictionary\":{\"stringTable\":[\"\","
        "\"\\ud83d\\ude00 \\u00E9 \\/ \\\" \\\\ \\b\\f\\n\\r\\t \\u20ac\"]}}";
    struct pcol_err err = {{0}};
    int rc;
    struct pcol_batch *b = json_batch(json, &err, &rc);

    PCOL_UNUSED(state);
    if (rc) {
        fail_msg("%s", err.msg);
    }
    assert_string_equal(pcol_cstr(b, 1),
                        "\xf0\x9f\x98\x80 \xc3\xa9 / \" \\ \b\f\n\r\t \xe2\x82\xac");
    pcol_batch_release(b);
}

/* ---- context JSON -------------------------------------------------------- */

static struct pcol_value sval(struct pcol_batch *b, const char *s)
{
    struct pcol_value v = {PCOL_VAL_STR, 0, {.str = pcol_dict_cstr(b, s)}};
    return v;
}

static void fill_context(struct pcol_batch *b, struct pcol_resource *r, struct pcol_scope *s)
{
    static const uint8_t blob[4] = {0xde, 0xad, 0xbe, 0xef};
    struct pcol_arena *a = b->arena;
    struct pcol_value *arr;
    struct pcol_kv *kvl;

    r->n_attrs = 8;
    r->attrs = pcol_arena_calloc(a, 8 * sizeof(*r->attrs));
    r->attrs[0].key = pcol_dict_cstr(b, "service.name");
    r->attrs[0].value = sval(b, "checkout");
    r->attrs[1].key = pcol_dict_cstr(b, "process.pid");
    r->attrs[1].value.kind = PCOL_VAL_INT;
    r->attrs[1].value.u.i = -4242424242424242ll;
    r->attrs[2].key = pcol_dict_cstr(b, "ratio");
    r->attrs[2].value.kind = PCOL_VAL_DOUBLE;
    r->attrs[2].value.u.d = 0.1;
    r->attrs[3].key = pcol_dict_cstr(b, "debug");
    r->attrs[3].value.kind = PCOL_VAL_BOOL;
    r->attrs[3].value.u.b = true;
    r->attrs[4].key = pcol_dict_cstr(b, "blob");
    r->attrs[4].value.kind = PCOL_VAL_BYTES;
    r->attrs[4].value.n = 4;
    r->attrs[4].value.u.bytes = blob;
    arr = pcol_arena_calloc(a, 4 * sizeof(*arr));
    arr[0] = sval(b, "x");
    arr[1].kind = PCOL_VAL_INT;
    arr[1].u.i = 0;
    arr[2].kind = PCOL_VAL_BYTES;
    arr[2].n = 1;
    arr[2].u.bytes = blob;
    arr[3].kind = PCOL_VAL_DOUBLE;
    arr[3].u.d = NAN;
    r->attrs[5].key = pcol_dict_cstr(b, "list");
    r->attrs[5].value.kind = PCOL_VAL_ARRAY;
    r->attrs[5].value.n = 4;
    r->attrs[5].value.u.array = arr;
    kvl = pcol_arena_calloc(a, 2 * sizeof(*kvl));
    kvl[0].key = pcol_dict_cstr(b, "inner");
    kvl[0].value = sval(b, "");
    kvl[1].key = pcol_dict_cstr(b, "inf");
    kvl[1].value.kind = PCOL_VAL_DOUBLE;
    kvl[1].value.u.d = -INFINITY;
    r->attrs[6].key = pcol_dict_cstr(b, "map");
    r->attrs[6].value.kind = PCOL_VAL_KVLIST;
    r->attrs[6].value.n = 2;
    r->attrs[6].value.u.kvlist = kvl;
    r->attrs[7].key = pcol_dict_cstr(b, "nothing");
    r->dropped_attributes_count = 5;
    r->schema_url = pcol_dict_cstr(b, "https://opentelemetry.io/schemas/1.38.0");
    r->n_entity_refs = 1;
    r->entity_refs = pcol_arena_calloc(a, sizeof(*r->entity_refs));
    r->entity_refs[0].type = pcol_dict_cstr(b, "service");
    r->entity_refs[0].schema_url = r->schema_url;
    r->entity_refs[0].id_keys = pcol_ilist_dup(b, &r->attrs[0].key, 1);
    r->entity_refs[0].description_keys = pcol_ilist_dup(b, &r->attrs[1].key, 1);

    s->name = pcol_dict_cstr(b, "github.com/example/profiler");
    s->version = pcol_dict_cstr(b, "1.2.3");
    s->n_attrs = 1;
    s->attrs = pcol_arena_calloc(a, sizeof(*s->attrs));
    s->attrs[0].key = pcol_dict_cstr(b, "pprof.scope.default_sample_type");
    s->attrs[0].value = sval(b, "cpu");
    s->dropped_attributes_count = 2;
    s->schema_url = pcol_dict_cstr(b, "https://opentelemetry.io/schemas/1.39.0");
}

static bool same_value(const struct pcol_batch *a, const struct pcol_value *x,
                       const struct pcol_batch *b, const struct pcol_value *y);

static bool same_kvs(const struct pcol_batch *a, const struct pcol_kv *x,
                     const struct pcol_batch *b, const struct pcol_kv *y, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(pcol_cstr(a, x[i].key), pcol_cstr(b, y[i].key)) != 0 ||
            !same_value(a, &x[i].value, b, &y[i].value)) {
            return false;
        }
    }
    return true;
}

static bool same_value(const struct pcol_batch *a, const struct pcol_value *x,
                       const struct pcol_batch *b, const struct pcol_value *y)
{
    uint32_t i;

    if (x->kind != y->kind) {
        return false;
    }
    switch (x->kind) {
    case PCOL_VAL_STR: return strcmp(pcol_cstr(a, x->u.str), pcol_cstr(b, y->u.str)) == 0;
    case PCOL_VAL_BOOL: return x->u.b == y->u.b;
    case PCOL_VAL_INT: return x->u.i == y->u.i;
    case PCOL_VAL_DOUBLE: return memcmp(&x->u.d, &y->u.d, sizeof(double)) == 0;
    case PCOL_VAL_BYTES: return x->n == y->n && memcmp(x->u.bytes, y->u.bytes, x->n) == 0;
    case PCOL_VAL_ARRAY:
        if (x->n != y->n) {
            return false;
        }
        for (i = 0; i < x->n; i++) {
            if (!same_value(a, &x->u.array[i], b, &y->u.array[i])) {
                return false;
            }
        }
        return true;
    case PCOL_VAL_KVLIST: return x->n == y->n && same_kvs(a, x->u.kvlist, b, y->u.kvlist, x->n);
    default: return true;
    }
}

static void test_context_roundtrip(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0), *b2 = pcol_batch_create(0);
    struct pcol_resource *r = pcol_batch_add_resource(b), *r2 = pcol_batch_add_resource(b2);
    struct pcol_scope *s = pcol_resource_add_scope(b, r), *s2 = pcol_resource_add_scope(b2, r2);
    struct pcol_buf json = {0};
    struct pcol_err err = {{0}};
    const char *j;

    PCOL_UNUSED(state);
    fill_context(b, r, s);
    pcol_scope_add_profile(b, s);
    pcol_scope_add_profile(b2, s2);
    pcol__otlp_context_to_json(b, r, s, &json);
    if (pcol__otlp_context_from_json(b2, (const char *)json.p, json.len, r2, s2, &err)) {
        fail_msg("%s", err.msg);
    }
    pcol_buf_putc(&json, '\0');
    j = (const char *)json.p;
    assert_non_null(
        strstr(j, "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}}"));
    assert_non_null(strstr(j, "\"intValue\":\"-4242424242424242\""));
    assert_non_null(strstr(j, "\"bytesValue\":\"3q2+7w==\""));
    assert_non_null(strstr(j, "\"doubleValue\":\"NaN\""));
    assert_non_null(strstr(j, "\"doubleValue\":\"-Infinity\""));
    assert_non_null(strstr(j, "\"stringValue\":\"\""));
    assert_non_null(strstr(j, "\"scopeProfiles\":[{\"scope\":{\"name\":"));
    assert_null(strstr(j, "Strindex"));
    assert_null(strstr(j, "profiles\":[{\"sample"));

    assert_int_equal(r2->n_attrs, r->n_attrs);
    assert_true(same_kvs(b, r->attrs, b2, r2->attrs, r->n_attrs));
    assert_int_equal(r2->dropped_attributes_count, 5);
    assert_string_equal(pcol_cstr(b2, r2->schema_url), "https://opentelemetry.io/schemas/1.38.0");
    assert_int_equal(r2->n_entity_refs, 1);
    assert_string_equal(pcol_cstr(b2, r2->entity_refs[0].type), "service");
    assert_string_equal(pcol_cstr(b2, r2->entity_refs[0].schema_url),
                        "https://opentelemetry.io/schemas/1.38.0");
    assert_string_equal(pcol_cstr(b2, r2->entity_refs[0].id_keys.v[0]), "service.name");
    assert_string_equal(pcol_cstr(b2, r2->entity_refs[0].description_keys.v[0]), "process.pid");
    assert_string_equal(pcol_cstr(b2, s2->name), "github.com/example/profiler");
    assert_string_equal(pcol_cstr(b2, s2->version), "1.2.3");
    assert_int_equal(s2->n_attrs, 1);
    assert_true(same_kvs(b, s->attrs, b2, s2->attrs, 1));
    assert_int_equal(s2->dropped_attributes_count, 2);
    assert_string_equal(pcol_cstr(b2, s2->schema_url), "https://opentelemetry.io/schemas/1.39.0");
    assert_int_equal(s2->n_profiles, 1); /* left alone */

    pcol_buf_free(&json);
    pcol_batch_release(b);
    pcol_batch_release(b2);
}

static void test_context_empty_and_errors(void **state)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_resource *r = pcol_batch_add_resource(b);
    struct pcol_scope *s = pcol_resource_add_scope(b, r);
    struct pcol_buf json = {0};
    struct pcol_err err = {{0}};
    static const char *const bad[][2] = {
        {"{\"resource\":{\"attributes\":[{\"keyStrindex\":3}]}}",
         "resource.attributes[0]: key_strindex 3 has no string table"},
        {"{\"resource\":{\"attributes\":[{\"key\":\"a\",\"value\":{\"stringValueStrindex\":0}}]}}",
         "string_value_strindex 0 has no string table"},
        {"{\"scopeProfiles\":[{},{}]}", "holds 2 scopeProfiles"},
        {"{\"scopeProfiles\":[{\"profiles\":[{}]}]}", "must not hold profiles"},
        {"{\"resource\":", "JSON 1:13"},
    };
    size_t i;

    PCOL_UNUSED(state);
    pcol__otlp_context_to_json(b, r, s, &json);
    assert_int_equal(json.len, strlen("{\"scopeProfiles\":[{}]}"));
    assert_memory_equal(json.p, "{\"scopeProfiles\":[{}]}", json.len);
    assert_int_equal(pcol__otlp_context_from_json(b, (const char *)json.p, json.len, r, s, &err),
                     0);
    assert_int_equal(r->n_attrs, 0);
    assert_int_equal(s->name, 0);
    for (i = 0; i < PCOL_ARRAY_SIZE(bad); i++) {
        int rc = pcol__otlp_context_from_json(b, bad[i][0], strlen(bad[i][0]), r, s, &err);
        assert_int_equal(rc, PCOL_EINVAL);
        if (!strstr(err.msg, bad[i][1])) {
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, bad[i][1]);
        }
    }
    pcol_buf_free(&json);
    pcol_batch_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pbjson_corpus_json_to_binpb),
        cmocka_unit_test(test_pbjson_binpb_roundtrip),
        cmocka_unit_test(test_pbjson_output_form),
        cmocka_unit_test(test_codec_json_equals_binpb),
        cmocka_unit_test(test_codec_json_uses_strindex),
        cmocka_unit_test(test_snake_case_and_numbers),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_string_escaping),
        cmocka_unit_test(test_string_escapes_in),
        cmocka_unit_test(test_context_roundtrip),
        cmocka_unit_test(test_context_empty_and_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
