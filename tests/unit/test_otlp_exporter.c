/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_otlp_exporter.c: the parts of the otlp / otlp_http exporters that
 * need no network: endpoint parsing (schemes, ports, IPv6, paths), what
 * the encoders produce (gRPC framing and compression, protobuf and JSON
 * bodies that decode back to the same samples), and reading server
 * answers (partial success and google.rpc.Status as protobuf and JSON,
 * Retry-After as seconds and as an HTTP date), including every truncation
 * of those answers, which must read as "nothing said" without a crash.
 * Sending is tested end to end by tests/e2e/otlp_exporter.sh.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../exporters/otlp/otlp_exporter.h"
#include "codec_otlp.h"
#include "codec_pprof.h"
#include "grpc.h"

#define GRPC_PATH "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"

/* ---- endpoints ------------------------------------------------------------------ */

struct ep_case {
    const char *endpoint;
    bool grpc, insecure;
    const char *default_path;
    int rc;
    const char *host;
    uint16_t port;
    bool tls;
    const char *path;
};

static void test_endpoints(void **state)
{
    static const char *const dp = "/v1development/profiles";
    static const struct ep_case cases[] = {
        {"localhost:4317", true, false, NULL, 0, "localhost", 4317, true, GRPC_PATH},
        {"localhost:4317", true, true, NULL, 0, "localhost", 4317, false, GRPC_PATH},
        {"http://gw:4317", true, false, NULL, 0, "gw", 4317, false, GRPC_PATH},
        {"https://gw", true, true, NULL, 0, "gw", 443, true, GRPC_PATH},
        {"https://gw:4317/", true, false, NULL, 0, "gw", 4317, true, GRPC_PATH},
        {"[::1]:4317", true, true, NULL, 0, "::1", 4317, false, GRPC_PATH},
        {"::1:4317", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {"gw", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {"gw:0", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {"gw:70000", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {"gw:12x", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {"gw:4317/x", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {"ftp://gw:1", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {":4317", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {"[::1", true, true, NULL, PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://gw:4318", false, false, dp, 0, "gw", 4318, false, "/v1development/profiles"},
        {"http://gw", false, false, dp, 0, "gw", 80, false, "/v1development/profiles"},
        {"HTTPS://gw/base//", false, false, dp, 0, "gw", 443, true, "/base/v1development/profiles"},
        {"gw:4318", false, true, dp, PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://gw:1/a#frag", false, false, dp, PCOL_EINVAL, NULL, 0, false, NULL},
        {"http://gw:1/custom?x=1", false, false, NULL, 0, "gw", 1, false, "/custom?x=1"},
        {"http://gw:1", false, false, NULL, 0, "gw", 1, false, "/"},
        {"http://[2001:db8::1]:9/p", false, false, NULL, 0, "2001:db8::1", 9, false, "/p"},
    };
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        const struct ep_case *c = &cases[i];
        struct pcol__otlpexp_target t;
        struct pcol_err err = {{0}};
        int rc = pcol__otlpexp_target_parse(c->endpoint, c->grpc, c->insecure, c->default_path, &t,
                                            &err);

        if (rc != c->rc) {
            fail_msg("%s: rc %d, expected %d (%s)", c->endpoint, rc, c->rc, err.msg);
        }
        if (rc != 0) {
            assert_non_null(strstr(err.msg, c->endpoint));
            assert_null(t.host);
            continue;
        }
        assert_string_equal(t.host, c->host);
        assert_int_equal(t.port, c->port);
        assert_int_equal(t.tls, c->tls);
        assert_string_equal(t.path, c->path);
        pcol__otlpexp_target_free(&t);
    }
}

/* ---- encoders ------------------------------------------------------------------- */

static struct pcol_batch *corpus_batch(const char *name)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_buf in = {0};
    struct pcol_err err = {{0}};

    tu_read_corpus(name, &in);
    if (pcol_pprof_decode(b, in.p, in.len, NULL, &err) != 0) {
        fail_msg("%s: %s", name, err.msg);
    }
    pcol_buf_free(&in);
    return b;
}

static size_t samples_of_otlp(const uint8_t *p, size_t n, bool json)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err = {{0}};
    size_t count;
    int rc =
        json ? pcol_otlp_json_decode(b, (const char *)p, n, &err) : pcol_otlp_decode(b, p, n, &err);

    if (rc != 0) {
        fail_msg("decode: %s", err.msg);
    }
    count = pcol_batch_sample_count(b);
    pcol_batch_release(b);
    return count;
}

static void test_grpc_encode(void **state)
{
    static const int compressions[] = {PCOL__OTLPEXP_GZIP, PCOL__OTLPEXP_ZSTD, PCOL__OTLPEXP_NONE};
    struct pcol_batch *b = corpus_batch("google-pprof__sample.cpu");
    size_t i, want = pcol_batch_sample_count(b);

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(compressions); i++) {
        struct pcol__otlpexp x = {.compression = compressions[i]};
        struct pcol_instance inst = {.ctx = &x};
        enum pcol_encoding enc = pcol__otlpexp_encoding(&x);
        struct pcol_buf out = {0}, scratch = {0};
        const uint8_t *msg;
        size_t len;

        assert_int_equal(pcol__otlpexp_grpc_encode(&inst, b, &out), 0);
        assert_true(out.len > PCOL_GRPC_PREFIX_LEN);
        assert_int_equal(out.p[0], enc != PCOL_ENC_IDENTITY);
        assert_int_equal(
            pcol_grpc_unframe(out.p, out.len, enc, 64u << 20, &msg, &len, &scratch, NULL), 0);
        assert_int_equal(samples_of_otlp(msg, len, false), want);
        pcol_buf_free(&out);
        pcol_buf_free(&scratch);
    }
    pcol_batch_release(b);
}

static void test_http_encode(void **state)
{
    struct pcol_batch *b = corpus_batch("parca__profile-with-labels.pb.gz");
    size_t want = pcol_batch_sample_count(b);
    int json, comp;

    PCOL_UNUSED(state);
    for (json = 0; json < 2; json++) {
        for (comp = PCOL__OTLPEXP_GZIP; comp <= PCOL__OTLPEXP_NONE; comp++) {
            struct pcol__otlpexp x = {.compression = comp, .encoding = json};
            struct pcol_instance inst = {.ctx = &x};
            enum pcol_encoding enc = pcol__otlpexp_encoding(&x);
            struct pcol_buf out = {0}, plain = {0};

            assert_int_equal(pcol__otlpexp_http_encode(&inst, b, &out), 0);
            if (enc == PCOL_ENC_IDENTITY) {
                pcol_buf_append(&plain, out.p, out.len);
            } else {
                assert_int_equal(pcol_decompress(enc, out.p, out.len, 64u << 20, &plain, NULL), 0);
            }
            assert_int_equal(samples_of_otlp(plain.p, plain.len, json), want);
            pcol_buf_free(&out);
            pcol_buf_free(&plain);
        }
    }
    pcol_batch_release(b);
}

/* ---- answers -------------------------------------------------------------------- */

/* ExportProfilesServiceResponse{partial_success{rejected_profiles: 5,
 * error_message: "bad"}}, with an unknown fixed64 field in front. */
static const uint8_t pb_partial[] = {0x19, 1,    2,    3,    4,    5,    6,   7,   8,
                                     0x0a, 0x07, 0x08, 0x05, 0x12, 0x03, 'b', 'a', 'd'};
/* google.rpc.Status{code: 3, message: "nope"} */
static const uint8_t pb_status[] = {0x08, 0x03, 0x12, 0x04, 'n', 'o', 'p', 'e'};

static const char js_partial[] =
    "{\"other\":[1,{\"x\":\"}\"}],\"partialSuccess\": {\"errorMessage\":\"a \\\"b\\\"\\u00e9\","
    "\"rejectedProfiles\":\"7\"}}";

static void test_partial_success(void **state)
{
    static const char *const js_ok[] = {
        "{\"partial_success\":{\"rejected_profiles\":9}}",
        "{\"partialSuccess\":{\"rejectedProfiles\":\"9\",\"errorMessage\":\"\"}}",
    };
    static const char *const js_none[] = {
        "{}",       "{\"partialSuccess\":{}}", "{\"partialSuccess\":{\"rejectedProfiles\":\"0\"}}",
        "not json", "{\"partialSuccess\":",    "[]",
    };
    uint64_t rejected;
    char msg[64];
    size_t i;

    PCOL_UNUSED(state);
    assert_true(pcol__otlpexp_partial_success(pb_partial, sizeof(pb_partial), false, &rejected, msg,
                                              sizeof(msg)));
    assert_int_equal(rejected, 5);
    assert_string_equal(msg, "bad");
    assert_false(pcol__otlpexp_partial_success(NULL, 0, false, &rejected, msg, sizeof(msg)));
    /* An empty partial_success means full success. */
    assert_false(pcol__otlpexp_partial_success((const uint8_t *)"\x0a\x00", 2, false, &rejected,
                                               msg, sizeof(msg)));
    assert_true(pcol__otlpexp_partial_success((const uint8_t *)js_partial, strlen(js_partial), true,
                                              &rejected, msg, sizeof(msg)));
    assert_int_equal(rejected, 7);
    assert_string_equal(msg, "a \"b\"?");
    for (i = 0; i < PCOL_ARRAY_SIZE(js_ok); i++) {
        assert_true(pcol__otlpexp_partial_success((const uint8_t *)js_ok[i], strlen(js_ok[i]), true,
                                                  &rejected, msg, sizeof(msg)));
        assert_int_equal(rejected, 9);
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(js_none); i++) {
        assert_false(pcol__otlpexp_partial_success((const uint8_t *)js_none[i], strlen(js_none[i]),
                                                   true, &rejected, msg, sizeof(msg)));
    }
    /* A short buffer cuts the message, never overflows. */
    assert_true(
        pcol__otlpexp_partial_success(pb_partial, sizeof(pb_partial), false, &rejected, msg, 3));
    assert_string_equal(msg, "ba");
}

static void test_status_message(void **state)
{
    static const char js[] = "{\"code\":3,\"message\":\"no\\nway\",\"details\":[]}";
    char msg[64];

    PCOL_UNUSED(state);
    pcol__otlpexp_status_message(pb_status, sizeof(pb_status), false, msg, sizeof(msg));
    assert_string_equal(msg, "nope");
    pcol__otlpexp_status_message((const uint8_t *)js, strlen(js), true, msg, sizeof(msg));
    assert_string_equal(msg, "no way");
    pcol__otlpexp_status_message((const uint8_t *)"\xff\xff", 2, false, msg, sizeof(msg));
    assert_string_equal(msg, "");
}

/* Every prefix of each answer, and each with one byte flipped, reads
 * without crashing (valgrind / ASan catch out-of-bounds reads). */
static void test_answers_truncated(void **state)
{
    const struct {
        const uint8_t *p;
        size_t n;
        bool json;
    } answers[] = {
        {pb_partial, sizeof(pb_partial), false},
        {pb_status, sizeof(pb_status), false},
        {(const uint8_t *)js_partial, sizeof(js_partial) - 1, true},
    };
    uint64_t rejected;
    char msg[64];
    size_t a, n, i;

    PCOL_UNUSED(state);
    for (a = 0; a < PCOL_ARRAY_SIZE(answers); a++) {
        for (n = 0; n <= answers[a].n; n++) {
            uint8_t *copy = malloc(n ? n : 1);

            memcpy(copy, answers[a].p, n);
            pcol__otlpexp_partial_success(copy, n, answers[a].json, &rejected, msg, sizeof(msg));
            pcol__otlpexp_status_message(copy, n, answers[a].json, msg, sizeof(msg));
            for (i = 0; i < n; i++) {
                copy[i] ^= 0x80;
                pcol__otlpexp_partial_success(copy, n, answers[a].json, &rejected, msg,
                                              sizeof(msg));
                pcol__otlpexp_status_message(copy, n, answers[a].json, msg, sizeof(msg));
                copy[i] ^= 0x80;
            }
            free(copy);
        }
    }
}

static void test_retry_after(void **state)
{
    /* Sun, 06 Nov 1994 08:49:37 GMT */
    const time_t date = 784111777;

    PCOL_UNUSED(state);
    assert_int_equal(pcol_http_retry_after_ms("5", 0), 5000);
    assert_int_equal(pcol_http_retry_after_ms("0", 0), 0);
    assert_int_equal(pcol_http_retry_after_ms(NULL, 0), 0);
    assert_int_equal(pcol_http_retry_after_ms("", 0), 0);
    assert_int_equal(pcol_http_retry_after_ms("5s", 0), 0);
    assert_int_equal(pcol_http_retry_after_ms("-1", 0), 0);
    assert_int_equal(pcol_http_retry_after_ms("99999999999999999999999", 0), 86400000);
    assert_int_equal(pcol_http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", date - 10), 10000);
    assert_int_equal(pcol_http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", date), 0);
    assert_int_equal(pcol_http_retry_after_ms("Sun, 06 Foo 1994 08:49:37 GMT", 0), 0);
    assert_int_equal(pcol_http_retry_after_ms("Sun, 06 Nov 1994 08:49:37", 0), 0);
    assert_int_equal(pcol_http_retry_after_ms("Tue, 29 Feb 2028 00:00:00 GMT", 1835395190), 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints),      cmocka_unit_test(test_grpc_encode),
        cmocka_unit_test(test_http_encode),    cmocka_unit_test(test_partial_success),
        cmocka_unit_test(test_status_message), cmocka_unit_test(test_answers_truncated),
        cmocka_unit_test(test_retry_after),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
