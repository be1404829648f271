/* SPDX-License-Identifier: Apache-2.0 */
/* test_convert.c: format names, detection by content and name, decode_any. */
#include "testutil.h"

#include <string.h>

#include "compress.h"
#include "convert.h"

static enum pcol_format detect_corpus(const char *name, const char *as_name)
{
    struct pcol_buf in = {0};
    enum pcol_format f;

    tu_read_corpus(name, &in);
    f = pcol_format_detect(in.p, in.len, as_name);
    pcol_buf_free(&in);
    return f;
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(pcol_format_parse("pprof"), PCOL_FMT_PPROF);
    assert_int_equal(pcol_format_parse("otlp"), PCOL_FMT_OTLP);
    assert_int_equal(pcol_format_parse("otlp_proto"), PCOL_FMT_OTLP);
    assert_int_equal(pcol_format_parse("otlp-json"), PCOL_FMT_OTLP_JSON);
    assert_int_equal(pcol_format_parse("otlp_json"), PCOL_FMT_OTLP_JSON);
    assert_int_equal(pcol_format_parse("jfr"), -1);
    assert_string_equal(pcol_format_name(PCOL_FMT_OTLP_JSON), "otlp-json");
    assert_int_equal(pcol_format_from_filename("a/b.pb.gz"), PCOL_FMT_PPROF);
    assert_int_equal(pcol_format_from_filename("x.prof"), PCOL_FMT_PPROF);
    assert_int_equal(pcol_format_from_filename("x.binpb"), PCOL_FMT_OTLP);
    assert_int_equal(pcol_format_from_filename("x.json.zst"), PCOL_FMT_OTLP_JSON);
    assert_int_equal(pcol_format_from_filename("x.txt"), PCOL_FMT_UNKNOWN);
}

/* Content wins over a misleading file name, for every corpus file. */
static void test_detect_by_content(void **state)
{
    static const char *pprof_files[] = {
        "google-pprof__sample.cpu",          "google-pprof__large.cpu",
        "google-pprof__go.nomappings.crash", "google-pprof__cppbench.cpu_no_samples_type",
        "parca__two-stacks.pb.gz",           "parca__alloc_objects.pb.gz",
        "parca__normal-cpu.stripped.pprof",  "pprof_all_fields.pb.gz",
        "google-pprof__gobench.cpu.legacy",
    };
    size_t i;

    (void)state;
    for (i = 0; i < PCOL_ARRAY_SIZE(pprof_files); i++) {
        assert_int_equal(detect_corpus(pprof_files[i], "wrong.json"), PCOL_FMT_PPROF);
    }
    assert_int_equal(detect_corpus("otlp_spec_simple_cpu.binpb", "x.pb.gz"), PCOL_FMT_OTLP);
    assert_int_equal(detect_corpus("otlp_spec_resource_link.binpb", NULL), PCOL_FMT_OTLP);
    assert_int_equal(detect_corpus("otlp_spec_simple_cpu.json", "x.binpb"), PCOL_FMT_OTLP_JSON);
}

static void test_detect_inside_compression_and_fallback(void **state)
{
    struct pcol_buf in = {0}, z = {0};

    (void)state;
    tu_read_corpus("otlp_spec_resource_link.json", &in);
    pcol_compress(PCOL_ENC_ZSTD, 0, in.p, in.len, &z);
    assert_int_equal(pcol_format_detect(z.p, z.len, NULL), PCOL_FMT_OTLP_JSON);
    z.len = 0;
    pcol_compress(PCOL_ENC_GZIP, 0, in.p, in.len, &z);
    assert_int_equal(pcol_format_detect(z.p, z.len, NULL), PCOL_FMT_OTLP_JSON);
    /* Empty content says nothing: the name decides. */
    assert_int_equal(pcol_format_detect(in.p, 0, "x.binpb"), PCOL_FMT_OTLP);
    pcol_buf_free(&in);
    pcol_buf_free(&z);
}

static void test_decode_any(void **state)
{
    struct pcol_buf in = {0}, z = {0};
    struct pcol_err err = {{0}};
    struct pcol_batch *b = pcol_batch_create(0);

    (void)state;
    tu_read_corpus("otlp_spec_simple_cpu.json", &in);
    pcol_compress(PCOL_ENC_GZIP, 0, in.p, in.len, &z);
    assert_int_equal(pcol_decode_any(b, PCOL_FMT_UNKNOWN, z.p, z.len, 0, &err), 0);
    assert_int_equal(pcol_batch_profile_count(b), 1);
    assert_int_equal(pcol_batch_sample_count(b), 2);
    /* A decompression limit below the JSON's size is refused. */
    assert_int_equal(pcol_decode_any(b, PCOL_FMT_OTLP_JSON, z.p, z.len, 100, &err), PCOL_ERANGE);
    pcol_batch_release(b);

    b = pcol_batch_create(0);
    in.len = 0;
    tu_read_corpus("google-pprof__gobench.cpu.legacy", &in);
    assert_int_equal(pcol_decode_any(b, PCOL_FMT_UNKNOWN, in.p, in.len, 0, &err), PCOL_ENOTSUP);
    assert_non_null(strstr(err.msg, "legacy"));
    pcol_batch_release(b);
    pcol_buf_free(&in);
    pcol_buf_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_detect_by_content),
        cmocka_unit_test(test_detect_inside_compression_and_fallback),
        cmocka_unit_test(test_decode_any),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
