/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_grpc.c: gRPC framing, compression and its limit, grpc-timeout,
 * status names and mappings, grpc-message percent-encoding, RetryInfo in
 * grpc-status-details-bin and the client's response parsing. The server
 * answers (trailers over HTTP/2, interop with grpcio) are in test_http2.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"

#define CORPUS_FILE "google-pprof__large.cpu"

/* Status{code 8, message "slow down", details [Any{BadRequest}, Any{RetryInfo
 * {2.5 s}}]}, padded base64, made with Python outside this project. */
static const char details_2500ms[] =
    "CAgSCXNsb3cgZG93bhovCil0eXBlLmdvb2dsZWFwaXMuY29tL2dvb2dsZS5ycGMuQmFkUmVxdWVzdBICCgAa"
    "NgoodHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLlJldHJ5SW5mbxIKCggIAhCAyrXuAQ==";
/* Status{code 14, details [Any{BadRequest}]}: no RetryInfo. */
static const char details_none[] =
    "CA4aLwopdHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLkJhZFJlcXVlc3QSAgoA";

static void test_status_names_and_mapping(void **state)
{
    PCOL_UNUSED(state);
    assert_string_equal(pcol_grpc_status_name(PCOL_GRPC_OK), "OK");
    assert_string_equal(pcol_grpc_status_name(PCOL_GRPC_RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
    assert_string_equal(pcol_grpc_status_name(16), "UNAUTHENTICATED");
    assert_string_equal(pcol_grpc_status_name(17), "UNKNOWN_STATUS");
    assert_string_equal(pcol_grpc_status_name(-1), "UNKNOWN_STATUS");

    assert_int_equal(pcol_grpc_status_from_code(0), PCOL_GRPC_OK);
    assert_int_equal(pcol_grpc_status_from_code(PCOL_EINVAL), PCOL_GRPC_INVALID_ARGUMENT);
    assert_int_equal(pcol_grpc_status_from_code(PCOL_ERANGE), PCOL_GRPC_RESOURCE_EXHAUSTED);
    assert_int_equal(pcol_grpc_status_from_code(PCOL_EBUSY), PCOL_GRPC_UNAVAILABLE);
    assert_int_equal(pcol_grpc_status_from_code(PCOL_ENOTSUP), PCOL_GRPC_UNIMPLEMENTED);
    assert_int_equal(pcol_grpc_status_from_code(PCOL_EIO), PCOL_GRPC_INTERNAL);

    assert_int_equal(pcol_grpc_status_from_http(200), PCOL_GRPC_OK);
    assert_int_equal(pcol_grpc_status_from_http(204), PCOL_GRPC_OK);
    assert_int_equal(pcol_grpc_status_from_http(400), PCOL_GRPC_INVALID_ARGUMENT);
    assert_int_equal(pcol_grpc_status_from_http(415), PCOL_GRPC_INVALID_ARGUMENT);
    assert_int_equal(pcol_grpc_status_from_http(401), PCOL_GRPC_UNAUTHENTICATED);
    assert_int_equal(pcol_grpc_status_from_http(403), PCOL_GRPC_PERMISSION_DENIED);
    assert_int_equal(pcol_grpc_status_from_http(404), PCOL_GRPC_UNIMPLEMENTED);
    assert_int_equal(pcol_grpc_status_from_http(405), PCOL_GRPC_UNIMPLEMENTED);
    assert_int_equal(pcol_grpc_status_from_http(408), PCOL_GRPC_DEADLINE_EXCEEDED);
    assert_int_equal(pcol_grpc_status_from_http(413), PCOL_GRPC_RESOURCE_EXHAUSTED);
    assert_int_equal(pcol_grpc_status_from_http(429), PCOL_GRPC_UNAVAILABLE);
    assert_int_equal(pcol_grpc_status_from_http(503), PCOL_GRPC_UNAVAILABLE);
    assert_int_equal(pcol_grpc_status_from_http(500), PCOL_GRPC_INTERNAL);
}

static void test_retryable(void **state)
{
    static const int yes[] = {PCOL_GRPC_CANCELLED,   PCOL_GRPC_DEADLINE_EXCEEDED,
                              PCOL_GRPC_ABORTED,     PCOL_GRPC_OUT_OF_RANGE,
                              PCOL_GRPC_UNAVAILABLE, PCOL_GRPC_DATA_LOSS};
    int s;
    size_t i;
    bool expect;

    PCOL_UNUSED(state);
    for (s = 0; s <= 16; s++) {
        expect = false;
        for (i = 0; i < PCOL_ARRAY_SIZE(yes); i++) {
            expect = expect || yes[i] == s;
        }
        if (s == PCOL_GRPC_RESOURCE_EXHAUSTED) {
            assert_false(pcol_grpc_retryable(s, false));
            assert_true(pcol_grpc_retryable(s, true));
            continue;
        }
        assert_int_equal(pcol_grpc_retryable(s, false), expect);
        assert_int_equal(pcol_grpc_retryable(s, true), expect);
    }
}

static void test_frame_identity(void **state)
{
    struct pcol_buf out = {0}, scratch = {0};
    struct pcol_err err = {{0}};
    const uint8_t *msg = NULL;
    size_t len = 0;

    PCOL_UNUSED(state);
    pcol_buf_puts(&out, "xy"); /* framing appends */
    pcol_grpc_frame(PCOL_ENC_IDENTITY, (const uint8_t *)"hello", 5, &out);
    assert_int_equal(out.len, 2 + 5 + 5);
    assert_memory_equal(out.p + 2, "\x00\x00\x00\x00\x05hello", 10);
    assert_int_equal(
        pcol_grpc_unframe(out.p + 2, 10, PCOL_ENC_IDENTITY, 5, &msg, &len, &scratch, &err), 0);
    assert_ptr_equal(msg, out.p + 2 + 5); /* no copy */
    assert_int_equal(len, 5);
    assert_int_equal(scratch.len, 0);
    /* An empty message is a valid one. */
    out.len = 0;
    pcol_grpc_frame(PCOL_ENC_IDENTITY, NULL, 0, &out);
    assert_int_equal(
        pcol_grpc_unframe(out.p, out.len, PCOL_ENC_GZIP, 0, &msg, &len, &scratch, &err), 0);
    assert_int_equal(len, 0);
    pcol_buf_free(&out);
    pcol_buf_free(&scratch);
}

static void roundtrip(enum pcol_encoding enc, const struct pcol_buf *in)
{
    struct pcol_buf out = {0}, scratch = {0};
    struct pcol_err err = {{0}};
    const uint8_t *msg = NULL;
    size_t len = 0;

    pcol_grpc_frame(enc, in->p, in->len, &out);
    assert_int_equal(out.p[0], 1);
    assert_true(out.len < in->len);
    assert_int_equal((size_t)out.p[1] << 24 | (size_t)out.p[2] << 16 | (size_t)out.p[3] << 8 |
                         out.p[4],
                     out.len - 5);
    assert_int_equal(pcol_grpc_unframe(out.p, out.len, enc, in->len, &msg, &len, &scratch, &err),
                     0);
    assert_int_equal(len, in->len);
    assert_memory_equal(msg, in->p, len);
    /* The limit applies to the decompressed size: one byte less fails. */
    scratch.len = 0;
    assert_int_equal(
        pcol_grpc_unframe(out.p, out.len, enc, in->len - 1, &msg, &len, &scratch, &err),
        PCOL_ERANGE);
    assert_non_null(strstr(err.msg, "gRPC message"));
    pcol_buf_free(&out);
    pcol_buf_free(&scratch);
}

/* A real protobuf message: the corpus profile, inflated. */
static void test_frame_compressed(void **state)
{
    struct pcol_buf file = {0}, msg = {0};

    PCOL_UNUSED(state);
    tu_read_corpus(CORPUS_FILE, &file);
    assert_true(pcol_is_gzip(file.p, file.len));
    assert_int_equal(pcol_decompress(PCOL_ENC_GZIP, file.p, file.len, 64 << 20, &msg, NULL), 0);
    roundtrip(PCOL_ENC_GZIP, &msg);
    roundtrip(PCOL_ENC_ZSTD, &msg);
    pcol_buf_free(&file);
    pcol_buf_free(&msg);
}

static void test_limit_after_decompression(void **state)
{
    struct pcol_buf zeros = {0}, out = {0}, scratch = {0};
    struct pcol_err err = {{0}};
    const uint8_t *msg;
    size_t len;

    PCOL_UNUSED(state);
    pcol_buf_reserve(&zeros, 4 << 20);
    memset(zeros.p, 0, 4 << 20);
    zeros.len = 4 << 20;
    pcol_grpc_frame(PCOL_ENC_GZIP, zeros.p, zeros.len, &out);
    assert_true(out.len < 64 * 1024); /* small on the wire ... */
    assert_int_equal(
        pcol_grpc_unframe(out.p, out.len, PCOL_ENC_GZIP, 1 << 20, &msg, &len, &scratch, &err),
        PCOL_ERANGE); /* ... too big once inflated */
    assert_true(scratch.len <= (1 << 20) + 64 * 1024);
    out.len = 0;
    pcol_grpc_frame(PCOL_ENC_IDENTITY, zeros.p, 1000, &out);
    assert_int_equal(
        pcol_grpc_unframe(out.p, out.len, PCOL_ENC_IDENTITY, 999, &msg, &len, &scratch, &err),
        PCOL_ERANGE);
    assert_string_equal(err.msg, "gRPC message of 1000 bytes is over the limit of 999 bytes");
    pcol_buf_free(&zeros);
    pcol_buf_free(&out);
    pcol_buf_free(&scratch);
}

static void expect_bad(const void *body, size_t n, enum pcol_encoding enc, const char *text)
{
    struct pcol_buf scratch = {0};
    struct pcol_err err = {{0}};
    const uint8_t *msg;
    size_t len;

    assert_int_equal(pcol_grpc_unframe(body, n, enc, 1 << 20, &msg, &len, &scratch, &err),
                     PCOL_EINVAL);
    if (!strstr(err.msg, text)) {
        fail_msg("error \"%s\" does not contain \"%s\"", err.msg, text);
    }
    pcol_buf_free(&scratch);
}

static void test_bad_frames(void **state)
{
    PCOL_UNUSED(state);
    expect_bad("", 0, PCOL_ENC_IDENTITY, "shorter than a message prefix");
    expect_bad("\x00\x00\x00", 3, PCOL_ENC_IDENTITY, "shorter than a message prefix");
    expect_bad("\x00\x00\x00\x00\x05hell", 9, PCOL_ENC_IDENTITY,
               "says 5 bytes but the body holds 4");
    expect_bad("\x00\x00\x00\x00\x01hh", 7, PCOL_ENC_IDENTITY, "says 1 bytes but the body holds 2");
    expect_bad("\x02\x00\x00\x00\x01h", 6, PCOL_ENC_IDENTITY, "compressed flag 2");
    expect_bad("\x01\x00\x00\x00\x01h", 6, PCOL_ENC_IDENTITY, "grpc-encoding is identity");
    expect_bad("\x01\x00\x00\x00\x04junk", 9, PCOL_ENC_GZIP, "gRPC message (gzip)");
    expect_bad("\x01\x00\x00\x00\x04junk", 9, PCOL_ENC_ZSTD, "gRPC message (zstd)");
}

static void test_timeout_parse(void **state)
{
    static const struct {
        const char *text;
        uint64_t ns;
    } good[] = {
        {"1S", 1000000000ULL},
        {"500m", 500000000ULL},
        {"100u", 100000ULL},
        {"10n", 10ULL},
        {"2M", 120000000000ULL},
        {"1H", 3600000000000ULL},
        {"0m", 0},
        {"99999999n", 99999999ULL},
        {"99999999H", UINT64_MAX},
    };
    /* At most 8 digits, leading zeros included; units are case-sensitive. */
    static const char *const bad[] = {"",    "S",   "1",   "123456789S", "000000001S", "1x",
                                      "1SS", "-1S", " 1S", "1 S",        "1.5S",       "1s"};
    uint64_t ns;
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(good); i++) {
        assert_int_equal(pcol_grpc_timeout_parse(good[i].text, &ns), 0);
        assert_true(ns == good[i].ns);
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(bad); i++) {
        if (pcol_grpc_timeout_parse(bad[i], &ns) != PCOL_EINVAL) {
            fail_msg("grpc-timeout \"%s\" was accepted", bad[i]);
        }
    }
}

static void test_timeout_format(void **state)
{
    static const struct {
        uint64_t ms;
        const char *text;
    } cases[] = {
        {1500, "1500m"},         {0, "1m"},
        {99999999, "99999999m"}, {100000000, "100000S"},
        {100000001, "100001S"},  {UINT64_MAX, "99999999H"},
    };
    char out[16];
    uint64_t ns;
    size_t i;

    PCOL_UNUSED(state);
    for (i = 0; i < PCOL_ARRAY_SIZE(cases); i++) {
        pcol_grpc_timeout_format(cases[i].ms, out);
        assert_string_equal(out, cases[i].text);
        assert_int_equal(pcol_grpc_timeout_parse(out, &ns), 0);
    }
}

static void test_message_encoding(void **state)
{
    struct pcol_buf b = {0};
    char out[64];

    PCOL_UNUSED(state);
    pcol_grpc_message_encode("busy: 100% full\n caf\xc3\xa9 ~", &b);
    assert_string_equal((const char *)b.p, "busy: 100%25 full%0A caf%C3%A9 ~");
    pcol_grpc_message_decode((const char *)b.p, out, sizeof(out));
    assert_string_equal(out, "busy: 100% full\n caf\xc3\xa9 ~");
    /* Malformed escapes stay as they are. */
    pcol_grpc_message_decode("100%zz%4", out, sizeof(out));
    assert_string_equal(out, "100%zz%4");
    pcol_grpc_message_decode("a%20b%2", out, sizeof(out));
    assert_string_equal(out, "a b%2");
    /* Cut short to fit. */
    pcol_grpc_message_decode("abcdef", out, 4);
    assert_string_equal(out, "abc");
    pcol_buf_free(&b);
}

static void test_retry_info(void **state)
{
    struct pcol_buf b = {0};
    int64_t ms = -1;
    char unpadded[sizeof(details_2500ms)];

    PCOL_UNUSED(state);
    assert_int_equal(pcol_grpc_retry_info_decode(details_2500ms, &ms), 0);
    assert_int_equal(ms, 2500);
    snprintf(unpadded, sizeof(unpadded), "%s", details_2500ms);
    unpadded[strcspn(unpadded, "=")] = '\0';
    ms = -1;
    assert_int_equal(pcol_grpc_retry_info_decode(unpadded, &ms), 0);
    assert_int_equal(ms, 2500);
    assert_int_equal(pcol_grpc_retry_info_decode(details_none, &ms), PCOL_ENOENT);
    assert_int_equal(pcol_grpc_retry_info_decode("", &ms), PCOL_ENOENT);
    assert_int_equal(pcol_grpc_retry_info_decode("!!!!", &ms), PCOL_EINVAL);
    assert_int_equal(pcol_grpc_retry_info_decode("CAgSCXNsb3c", &ms), PCOL_EINVAL);
    /* Our encoder, read back; unpadded base64 as gRPC senders should write. */
    pcol_grpc_status_details_encode(PCOL_GRPC_UNAVAILABLE, "busy", 1500, &b);
    assert_null(strchr((const char *)b.p, '='));
    assert_int_equal(pcol_grpc_retry_info_decode((const char *)b.p, &ms), 0);
    assert_int_equal(ms, 1500);
    b.len = 0;
    pcol_grpc_status_details_encode(PCOL_GRPC_RESOURCE_EXHAUSTED, NULL, 3000, &b);
    assert_int_equal(pcol_grpc_retry_info_decode((const char *)b.p, &ms), 0);
    assert_int_equal(ms, 3000);
    pcol_buf_free(&b);
}

#define H(n, v)                                                                                    \
    {                                                                                              \
        (n), (v)                                                                                   \
    }

static void test_parse_response(void **state)
{
    const struct pcol_http_header ok_headers[] = {H("content-type", "application/grpc")};
    const struct pcol_http_header ok_trailers[] = {H("grpc-status", "0")};
    const struct pcol_http_header busy[] = {H("content-type", "application/grpc"),
                                            H("grpc-status", "14"), H("grpc-message", "busy%20now"),
                                            H("grpc-status-details-bin", details_2500ms)};
    const struct pcol_http_header gz[] = {H("grpc-encoding", "gzip")};
    const struct pcol_http_header br[] = {H("grpc-encoding", "br")};
    struct pcol_buf body = {0}, scratch = {0};
    struct pcol_grpc_result res;
    struct pcol_err err = {{0}};

    PCOL_UNUSED(state);
    pcol_grpc_frame(PCOL_ENC_IDENTITY, (const uint8_t *)"resp", 4, &body);
    assert_int_equal(pcol_grpc_parse_response(200, ok_headers, 1, ok_trailers, 1, body.p, body.len,
                                              100, &scratch, &res, &err),
                     0);
    assert_int_equal(res.status, PCOL_GRPC_OK);
    assert_int_equal(res.msg_len, 4);
    assert_memory_equal(res.msg, "resp", 4);
    assert_int_equal(res.retry_delay_ms, -1);
    /* Trailers-only: everything in the headers. */
    assert_int_equal(
        pcol_grpc_parse_response(200, busy, 4, NULL, 0, NULL, 0, 100, &scratch, &res, &err), 0);
    assert_int_equal(res.status, PCOL_GRPC_UNAVAILABLE);
    assert_string_equal(res.message, "busy now");
    assert_int_equal(res.retry_delay_ms, 2500);
    assert_null(res.msg);
    assert_true(pcol_grpc_retryable(res.status, res.retry_delay_ms >= 0));
    /* No grpc-status: from the HTTP status. */
    assert_int_equal(
        pcol_grpc_parse_response(503, NULL, 0, NULL, 0, NULL, 0, 100, &scratch, &res, &err), 0);
    assert_int_equal(res.status, PCOL_GRPC_UNAVAILABLE);
    assert_string_equal(res.message, "HTTP status 503 without grpc-status");
    assert_int_equal(pcol_grpc_parse_response(200, ok_headers, 1, NULL, 0, body.p, body.len, 100,
                                              &scratch, &res, &err),
                     0);
    assert_int_equal(res.status, PCOL_GRPC_UNKNOWN);
    assert_int_equal(
        pcol_grpc_parse_response(400, NULL, 0, NULL, 0, NULL, 0, 100, &scratch, &res, &err), 0);
    assert_int_equal(res.status, PCOL_GRPC_INTERNAL);
    /* A compressed response message. */
    body.len = 0;
    pcol_grpc_frame(PCOL_ENC_GZIP, (const uint8_t *)"zipped response", 15, &body);
    assert_int_equal(pcol_grpc_parse_response(200, gz, 1, ok_trailers, 1, body.p, body.len, 100,
                                              &scratch, &res, &err),
                     0);
    assert_int_equal(res.msg_len, 15);
    assert_memory_equal(res.msg, "zipped response", 15);
    /* Over the limit, or an encoding we cannot read. */
    assert_int_equal(pcol_grpc_parse_response(200, gz, 1, ok_trailers, 1, body.p, body.len, 10,
                                              &scratch, &res, &err),
                     PCOL_ERANGE);
    assert_int_equal(res.status, PCOL_GRPC_RESOURCE_EXHAUSTED);
    err.msg[0] = '\0';
    assert_int_equal(pcol_grpc_parse_response(200, br, 1, ok_trailers, 1, body.p, body.len, 100,
                                              &scratch, &res, &err),
                     PCOL_ENOTSUP);
    assert_int_equal(res.status, PCOL_GRPC_UNIMPLEMENTED);
    assert_non_null(strstr(res.message, "grpc-encoding br is not supported"));
    pcol_buf_free(&body);
    pcol_buf_free(&scratch);
}

static void test_request_side(void **state)
{
    struct pcol_http_header h[2] = {H("content-type", "application/grpc"),
                                    H("grpc-encoding", "gzip")};
    struct pcol_http_request req = {.headers = h, .n_headers = 2};
    struct pcol_err err = {{0}};
    enum pcol_encoding enc = PCOL_ENC_IDENTITY;

    PCOL_UNUSED(state);
    assert_true(pcol_grpc_is_request(&req));
    assert_int_equal(pcol_grpc_request_encoding(&req, &enc, &err), 0);
    assert_int_equal(enc, PCOL_ENC_GZIP);
    h[0].value = "application/grpc+proto";
    assert_true(pcol_grpc_is_request(&req));
    h[0].value = "Application/GRPC";
    assert_true(pcol_grpc_is_request(&req));
    h[0].value = "application/grpcx";
    assert_false(pcol_grpc_is_request(&req));
    h[0].value = "application/x-protobuf";
    assert_false(pcol_grpc_is_request(&req));
    h[1].value = "zstd";
    assert_int_equal(pcol_grpc_request_encoding(&req, &enc, &err), 0);
    assert_int_equal(enc, PCOL_ENC_ZSTD);
    h[1].value = "snappy";
    assert_int_equal(pcol_grpc_request_encoding(&req, &enc, &err), PCOL_ENOTSUP);
    assert_string_equal(err.msg, "grpc-encoding snappy is not supported (use identity,gzip,zstd)");
    req.n_headers = 1;
    assert_int_equal(pcol_grpc_request_encoding(&req, &enc, &err), 0);
    assert_int_equal(enc, PCOL_ENC_IDENTITY);
    req.n_headers = 0;
    assert_false(pcol_grpc_is_request(&req));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names_and_mapping),
        cmocka_unit_test(test_retryable),
        cmocka_unit_test(test_frame_identity),
        cmocka_unit_test(test_frame_compressed),
        cmocka_unit_test(test_limit_after_decompression),
        cmocka_unit_test(test_bad_frames),
        cmocka_unit_test(test_timeout_parse),
        cmocka_unit_test(test_timeout_format),
        cmocka_unit_test(test_message_encoding),
        cmocka_unit_test(test_retry_info),
        cmocka_unit_test(test_parse_response),
        cmocka_unit_test(test_request_side),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
