/* SPDX-License-Identifier: Apache-2.0 */
/* test_compress.c: gzip/zstd both ways, limits (bombs), corruption. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "compress.h"

static void fill(uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)((i * 7) ^ (i >> 9));
    }
}

static void roundtrip(enum pcol_encoding enc)
{
    size_t n = 300000;
    uint8_t *data = malloc(n);
    struct pcol_buf z = {0}, out = {0};
    struct pcol_err err = {{0}};

    fill(data, n);
    pcol_compress(enc, 0, data, n, &z);
    assert_true(z.len < n);
    assert_int_equal(pcol_decompress(enc, z.p, z.len, n, &out, &err), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.p, data, n);
    /* One byte less than the real size is over the limit. */
    out.len = 0;
    assert_int_equal(pcol_decompress(enc, z.p, z.len, n - 1, &out, &err), PCOL_ERANGE);
    assert_non_null(strstr(err.msg, "more than"));
    assert_int_equal(out.len, 0);
    pcol_buf_free(&z);
    pcol_buf_free(&out);
    free(data);
}

static void test_gzip_roundtrip(void **state)
{
    (void)state;
    roundtrip(PCOL_ENC_GZIP);
}

static void test_zstd_roundtrip(void **state)
{
    (void)state;
    roundtrip(PCOL_ENC_ZSTD);
}

static void test_gzip_bomb_with_lying_trailer(void **state)
{
    size_t n = 64u * 1024 * 1024;
    uint8_t *zeros = calloc(1, n);
    struct pcol_buf z = {0}, out = {0};
    struct pcol_err err = {{0}};

    (void)state;
    pcol_compress(PCOL_ENC_GZIP, 6, zeros, n, &z);
    free(zeros);
    assert_true(z.len < 1024 * 1024);
    /* Claim a tiny size in the trailer: the streaming path must still stop. */
    memset(z.p + z.len - 4, 0, 4);
    z.p[z.len - 4] = 10;
    assert_int_equal(pcol_decompress(PCOL_ENC_GZIP, z.p, z.len, 1024 * 1024, &out, &err),
                     PCOL_ERANGE);
    assert_true(out.cap <= 2 * 1024 * 1024);
    pcol_buf_free(&z);
    pcol_buf_free(&out);
}

static void test_gzip_multi_member(void **state)
{
    struct pcol_buf z = {0}, out = {0};
    struct pcol_err err = {{0}};

    (void)state;
    pcol_compress(PCOL_ENC_GZIP, 1, (const uint8_t *)"hello ", 6, &z);
    pcol_compress(PCOL_ENC_GZIP, 1, (const uint8_t *)"world", 5, &z);
    assert_int_equal(pcol_decompress(PCOL_ENC_GZIP, z.p, z.len, 100, &out, &err), 0);
    assert_int_equal(out.len, 11);
    assert_memory_equal(out.p, "hello world", 11);
    pcol_buf_free(&z);
    pcol_buf_free(&out);
}

static void test_corrupt_and_truncated(void **state)
{
    struct pcol_buf z = {0}, out = {0};
    struct pcol_err err = {{0}};
    uint8_t data[4096];
    size_t cut;

    (void)state;
    fill(data, sizeof(data));
    pcol_compress(PCOL_ENC_GZIP, 1, data, sizeof(data), &z);
    for (cut = 0; cut < z.len; cut += 7) {
        out.len = 0;
        assert_int_equal(pcol_decompress(PCOL_ENC_GZIP, z.p, cut, 1 << 20, &out, &err),
                         PCOL_EINVAL);
    }
    z.p[z.len / 2] ^= 0xff;
    out.len = 0;
    assert_int_equal(pcol_decompress(PCOL_ENC_GZIP, z.p, z.len, 1 << 20, &out, &err), PCOL_EINVAL);
    z.len = 0;
    pcol_compress(PCOL_ENC_ZSTD, 1, data, sizeof(data), &z);
    out.len = 0;
    assert_int_equal(pcol_decompress(PCOL_ENC_ZSTD, z.p, z.len - 3, 1 << 20, &out, &err),
                     PCOL_EINVAL);
    assert_non_null(strstr(err.msg, "zstd"));
    pcol_buf_free(&z);
    pcol_buf_free(&out);
}

static void test_real_pprof_and_names(void **state)
{
    struct pcol_buf in = {0}, out = {0};
    struct pcol_err err = {{0}};

    (void)state;
    tu_read_corpus("google-pprof__large.cpu", &in);
    assert_true(pcol_is_gzip(in.p, in.len));
    assert_int_equal(pcol_decompress(PCOL_ENC_GZIP, in.p, in.len, 64u << 20, &out, &err), 0);
    assert_true(out.len > 2000000); /* 2.45 MB raw */
    assert_int_equal(pcol_encoding_parse("gzip"), PCOL_ENC_GZIP);
    assert_int_equal(pcol_encoding_parse("none"), PCOL_ENC_IDENTITY);
    assert_int_equal(pcol_encoding_parse("br"), -1);
    assert_string_equal(pcol_encoding_name(PCOL_ENC_ZSTD), "zstd");
    pcol_buf_free(&in);
    pcol_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_roundtrip),
        cmocka_unit_test(test_zstd_roundtrip),
        cmocka_unit_test(test_gzip_bomb_with_lying_trailer),
        cmocka_unit_test(test_gzip_multi_member),
        cmocka_unit_test(test_corrupt_and_truncated),
        cmocka_unit_test(test_real_pprof_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
