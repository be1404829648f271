/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_otlp_fast.c: the direct wire decoder (codec_otlp_fast.c) against the
 * general protobuf-c path on every pprof corpus file converted to OTLP and
 * on the OTLP spec examples: both must build the same model (compared
 * deeply, table by table for strings, and by re-encoding to the same
 * bytes). Truncated and corrupted copies must never crash, and whenever the
 * fast path accepts one, the general path must accept it too and agree.
 */
/* Before cmocka (via testutil.h), whose fail() macro would rename the
 * decoder's fail() helper. */
#include "codec_otlp_decode_internal.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_otlp.h"
#include "codec_pprof.h"
#include "compare.h"

static const char *const pprof_files[] = {
    "google-pprof__cppbench.cpu_no_samples_type",
    "google-pprof__go.nomappings.crash",
    "google-pprof__gobench.cpu.legacy",
    "google-pprof__large.cpu",
    "google-pprof__sample.cpu",
    "parca__alloc_objects.pb.gz",
    "parca__fgprof.pb.gz",
    "parca__normal-cpu.stripped.pprof",
    "parca__normalizer-profile.pb.gz",
    "parca__profile-with-labels.pb.gz",
    "parca__single-stack.pb.gz",
    "parca__two-stacks.pb.gz",
    "pprof_all_fields.pb.gz",
};

static const char *const otlp_files[] = {
    "otlp_spec_resource_link.binpb",
    "otlp_spec_simple_cpu.binpb",
};

/* The OTLP bytes of a corpus file; false for pprof files the pprof decoder
 * does not take (legacy formats). */
static bool corpus_otlp(const char *name, bool is_pprof, struct pcol_buf *out)
{
    struct pcol_buf in = {0};
    struct pcol_batch *b;
    struct pcol_err err;
    bool ok = true;

    tu_read_corpus(name, &in);
    if (!is_pprof) {
        *out = in;
        return true;
    }
    b = pcol_batch_create(0);
    if (pcol_pprof_decode(b, in.p, in.len, NULL, &err) == 0) {
        pcol_otlp_encode(b, out);
    } else {
        ok = false;
    }
    pcol_batch_release(b);
    pcol_buf_free(&in);
    return ok;
}

static void assert_same_strings(const struct pcol_batch *a, const struct pcol_batch *b)
{
    uint32_t i;

    assert_int_equal(a->dict.strings.n, b->dict.strings.n);
    for (i = 0; i < a->dict.strings.n; i++) {
        assert_string_equal(pcol_cstr(a, (int32_t)i), pcol_cstr(b, (int32_t)i));
    }
    assert_int_equal(a->dict.functions.n, b->dict.functions.n);
    assert_int_equal(a->dict.mappings.n, b->dict.mappings.n);
    assert_int_equal(a->dict.locations.n, b->dict.locations.n);
    assert_int_equal(a->dict.links.n, b->dict.links.n);
    assert_int_equal(a->dict.attrs.n, b->dict.attrs.n);
    assert_int_equal(a->dict.stacks.n, b->dict.stacks.n);
}

/* Decodes `buf` both ways into fresh batches; returns the fast path's code
 * and, when it accepted, checks the general path built the same model. */
static int compare_paths(const uint8_t *buf, size_t len, const char *what)
{
    struct pcol_batch *fast = pcol_batch_create(0), *gen = pcol_batch_create(0);
    struct pcol_buf ef = {0}, eg = {0};
    struct pcol_err err;
    char why[512];
    int rf, rg;

    rf = pcol__otlp_fast_decode(fast, buf, len, &err);
    rg = pcol__otlp_decode_general(gen, buf, len, &err);
    if (rf == 0) {
        if (rg != 0) {
            fail_msg("%s: fast path accepted what the general path rejects: %s", what, err.msg);
        }
        if (!tu_batch_equal(fast, gen, why, sizeof(why))) {
            fail_msg("%s: models differ: %s", what, why);
        }
        assert_same_strings(fast, gen);
        pcol_otlp_encode(fast, &ef);
        pcol_otlp_encode(gen, &eg);
        assert_int_equal(ef.len, eg.len);
        assert_memory_equal(ef.p, eg.p, ef.len);
    } else {
        assert_int_equal(rf, PCOL_ENOTSUP);
        /* Left as it was: the fallback sees a fresh batch. */
        assert_int_equal(fast->dict.strings.n, 1);
        assert_int_equal(fast->n_resources, 0);
        assert_int_equal(pcol_otlp_decode(fast, buf, len, &err), rg);
    }
    pcol_buf_free(&ef);
    pcol_buf_free(&eg);
    pcol_batch_release(fast);
    pcol_batch_release(gen);
    return rf;
}

static void test_same_model(void **state)
{
    struct pcol_buf otlp = {0};
    size_t i, taken = 0;

    (void)state;
    for (i = 0; i < sizeof(pprof_files) / sizeof(pprof_files[0]); i++) {
        if (!corpus_otlp(pprof_files[i], true, &otlp)) {
            continue;
        }
        assert_int_equal(compare_paths(otlp.p, otlp.len, pprof_files[i]), 0);
        taken++;
        pcol_buf_free(&otlp);
    }
    assert_true(taken >= 8);
    for (i = 0; i < sizeof(otlp_files) / sizeof(otlp_files[0]); i++) {
        corpus_otlp(otlp_files[i], false, &otlp);
        assert_int_equal(compare_paths(otlp.p, otlp.len, otlp_files[i]), 0);
        pcol_buf_free(&otlp);
    }
}

/* Truncations and single-byte corruptions at spread positions. */
static void damage(const char *name, bool is_pprof)
{
    struct pcol_buf otlp = {0};
    uint8_t *copy;
    size_t i, step, pos, tries;
    char what[128];

    if (!corpus_otlp(name, is_pprof, &otlp)) {
        return;
    }
    copy = malloc(otlp.len);
    /* Big inputs get fewer tries: each one is decoded twice in full. */
    tries = otlp.len > 100000 ? 30 : 300;
    step = otlp.len / (tries / 5) + 1;
    for (i = 0; i < otlp.len; i += step) {
        snprintf(what, sizeof(what), "%s cut at %zu", name, i);
        compare_paths(otlp.p, i, what);
    }
    for (i = 0; i < tries; i++) {
        static const uint8_t bytes[] = {0x00, 0xff, 0x80, 0x01, 0x7f, 0x0a, 0x12, 0x1a};
        pos = (i * 7919u) % otlp.len;
        memcpy(copy, otlp.p, otlp.len);
        copy[pos] = (uint8_t)(i % 3 == 0 ? copy[pos] ^ (1u << (i % 8)) : bytes[i % 8]);
        snprintf(what, sizeof(what), "%s byte %zu", name, pos);
        compare_paths(copy, otlp.len, what);
    }
    free(copy);
    pcol_buf_free(&otlp);
}

static void test_damaged_inputs(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(pprof_files) / sizeof(pprof_files[0]); i++) {
        damage(pprof_files[i], true);
    }
    for (i = 0; i < sizeof(otlp_files) / sizeof(otlp_files[0]); i++) {
        damage(otlp_files[i], false);
    }
}

/* A batch that already holds entries is left to the general path. */
static void test_not_fresh(void **state)
{
    struct pcol_buf otlp = {0};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err;

    (void)state;
    corpus_otlp("otlp_spec_simple_cpu.binpb", false, &otlp);
    pcol_dict_cstr(b, "x");
    assert_int_equal(pcol__otlp_fast_decode(b, otlp.p, otlp.len, &err), PCOL_ENOTSUP);
    assert_int_equal(pcol_otlp_decode(b, otlp.p, otlp.len, &err), 0);
    pcol_buf_free(&otlp);
    pcol_batch_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_model),
        cmocka_unit_test(test_damaged_inputs),
        cmocka_unit_test(test_not_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
