/* SPDX-License-Identifier: Apache-2.0 */
/*
 * convert.c: format names, format detection and decoding of any supported
 * format into a caller-owned batch. Detection only peeks: it never allocates
 * more than one 64 KiB window, whatever the input claims.
 */
#include "convert.h"

#include "codec_otlp.h"
#include "codec_pprof.h"
#include "compress.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define PEEK_MAX (64 * 1024)
#define DEFAULT_MAX_DECOMPRESSED (256u * 1024 * 1024)

static const struct {
    const char *name;
    enum pcol_format fmt;
} format_names[] = {
    /* The first name of each format is its canonical one. */
    {"pprof", PCOL_FMT_PPROF},         {"otlp", PCOL_FMT_OTLP},
    {"otlp-json", PCOL_FMT_OTLP_JSON}, {"otlp_proto", PCOL_FMT_OTLP},
    {"otlp_json", PCOL_FMT_OTLP_JSON},
};

static const struct {
    const char *ext;
    enum pcol_format fmt;
} format_exts[] = {
    {".pprof", PCOL_FMT_PPROF}, {".prof", PCOL_FMT_PPROF}, {".pb", PCOL_FMT_PPROF},
    {".binpb", PCOL_FMT_OTLP},  {".otlp", PCOL_FMT_OTLP},  {".json", PCOL_FMT_OTLP_JSON},
};

int pcol_format_parse(const char *name)
{
    size_t i;

    for (i = 0; name && i < PCOL_ARRAY_SIZE(format_names); i++) {
        if (!strcmp(name, format_names[i].name)) {
            return (int)format_names[i].fmt;
        }
    }
    return -1;
}

const char *pcol_format_name(enum pcol_format f)
{
    size_t i;

    for (i = 0; i < PCOL_ARRAY_SIZE(format_names); i++) {
        if (format_names[i].fmt == f) {
            return format_names[i].name;
        }
    }
    return "unknown";
}

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len > n && !memcmp(s + len - n, suffix, n);
}

enum pcol_format pcol_format_from_filename(const char *filename)
{
    const char *base;
    size_t len, i;

    if (!filename) {
        return PCOL_FMT_UNKNOWN;
    }
    base = strrchr(filename, '/');
    base = base ? base + 1 : filename;
    len = strlen(base);
    /* A compression suffix says nothing about the format inside. */
    if (has_suffix(base, len, ".gz")) {
        len -= 3;
    } else if (has_suffix(base, len, ".zst")) {
        len -= 4;
    }
    for (i = 0; i < PCOL_ARRAY_SIZE(format_exts); i++) {
        if (has_suffix(base, len, format_exts[i].ext)) {
            return format_exts[i].fmt;
        }
    }
    return PCOL_FMT_UNKNOWN;
}

/* ---- content detection --------------------------------------------------- */

/* Decompresses the start of a gzip or zstd stream into `out`; returns how
 * many bytes came out. Corrupt or truncated input just yields less. */
static size_t peek_gzip(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
    z_stream zs;
    size_t got;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        pcol_fatal("zlib inflateInit2 failed");
    }
    zs.next_in = (Bytef *)(uintptr_t)p;
    zs.avail_in = n > UINT_MAX ? UINT_MAX : (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    (void)inflate(&zs, Z_SYNC_FLUSH);
    got = cap - zs.avail_out;
    inflateEnd(&zs);
    return got;
}

static size_t peek_zstd(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer in = {p, n, 0};
    ZSTD_outBuffer o = {out, cap, 0};

    if (!ds) {
        pcol_fatal("ZSTD_createDStream failed");
    }
    ZSTD_initDStream(ds);
    while (o.pos < o.size && in.pos < in.size) {
        size_t in_before = in.pos, out_before = o.pos;
        size_t r = ZSTD_decompressStream(ds, &o, &in);

        if (ZSTD_isError(r) || r == 0 || (in.pos == in_before && o.pos == out_before)) {
            break;
        }
    }
    ZSTD_freeDStream(ds);
    return o.pos;
}

/* Reads a varint; returns its length in bytes, 0 if truncated or too long. */
static size_t get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    size_t i;

    *v = 0;
    for (i = 0; i < 10 && p + i < end; i++) {
        *v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            return i + 1;
        }
    }
    return 0;
}

/* Reads a tag; returns its length, 0 if it is not a valid tag (field 0,
 * group or reserved wire types). */
static size_t get_tag(const uint8_t *p, const uint8_t *end, uint64_t *field, unsigned *wire)
{
    uint64_t tag;
    size_t k = get_varint(p, end, &tag);

    if (!k) {
        return 0;
    }
    *field = tag >> 3;
    *wire = (unsigned)(tag & 7);
    if (*field == 0 || *field > 536870911u ||
        (*wire != 0 && *wire != 1 && *wire != 2 && *wire != 5)) {
        return 0;
    }
    return k;
}

/* The first top-level field 1 is a pprof ValueType (varint fields) or an
 * OTLP ResourceProfiles (only message/string fields): its first inner tag
 * tells which. */
static enum pcol_format classify_field1(const uint8_t *p, const uint8_t *end)
{
    uint64_t field;
    unsigned wire;

    if (!get_tag(p, end, &field, &wire)) {
        return PCOL_FMT_UNKNOWN;
    }
    if (wire == 0) {
        return PCOL_FMT_PPROF;
    }
    return wire == 2 ? PCOL_FMT_OTLP : PCOL_FMT_UNKNOWN;
}

/*
 * An ExportProfilesServiceRequest has repeated field 1 (resource_profiles)
 * and one field 2 (dictionary), both messages. A pprof Profile has fields
 * 1..15, with field 1 (sample_type) holding varints and field 2 (sample)
 * repeated once per sample. A 64 KiB window of a big pprof may show only
 * samples, hence the checks beyond "a field above 2".
 */
static enum pcol_format detect_protobuf(const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    enum pcol_format field1 = PCOL_FMT_UNKNOWN;
    unsigned n_field2 = 0;
    bool seen = false;

    while (p < end) {
        uint64_t field, len;
        unsigned wire;
        size_t k = get_tag(p, end, &field, &wire);

        if (!k) {
            break;
        }
        if (field > 2) {
            return PCOL_FMT_PPROF;
        }
        if (wire != 2) {
            break;
        }
        p += k;
        k = get_varint(p, end, &len);
        if (!k) {
            break;
        }
        p += k;
        seen = true;
        if (field == 2 && ++n_field2 > 1) {
            return PCOL_FMT_PPROF;
        }
        if (field == 1 && field1 == PCOL_FMT_UNKNOWN) {
            field1 = classify_field1(p, len < (uint64_t)(end - p) ? p + len : end);
            if (field1 == PCOL_FMT_PPROF) {
                return PCOL_FMT_PPROF;
            }
        }
        if (len > (uint64_t)(end - p)) {
            break;
        }
        p += len;
    }
    return seen ? PCOL_FMT_OTLP : PCOL_FMT_UNKNOWN;
}

/* The legacy binary CPU profile starts with the header words 0, 3, 0 (32 or
 * 64 bits, either byte order); no protobuf can start with a zero byte. */
static bool is_legacy_cpu(const uint8_t *p, size_t n)
{
    static const uint8_t le64[24] = {0, 0, 0, 0, 0, 0, 0, 0, 3};
    static const uint8_t be64[24] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
    static const uint8_t le32[12] = {0, 0, 0, 0, 3};
    static const uint8_t be32[12] = {0, 0, 0, 0, 0, 0, 0, 3};

    return (n >= 24 && (!memcmp(p, le64, 24) || !memcmp(p, be64, 24))) ||
           (n >= 12 && (!memcmp(p, le32, 12) || !memcmp(p, be32, 12)));
}

static enum pcol_format detect_plain(const uint8_t *p, size_t n)
{
    size_t i = 0;

    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        i = 3; /* UTF-8 byte order mark */
    }
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
        i++;
    }
    if (i < n && p[i] == '{') {
        return PCOL_FMT_OTLP_JSON;
    }
    if (is_legacy_cpu(p, n)) {
        return PCOL_FMT_PPROF;
    }
    return detect_protobuf(p, n);
}

static enum pcol_format detect_content(const uint8_t *p, size_t n)
{
    enum pcol_format f;
    uint8_t *win;
    size_t got;

    if (!pcol_is_gzip(p, n) && !pcol_is_zstd(p, n)) {
        return detect_plain(p, n);
    }
    win = pcol_xmalloc(PEEK_MAX);
    got = pcol_is_gzip(p, n) ? peek_gzip(p, n, win, PEEK_MAX) : peek_zstd(p, n, win, PEEK_MAX);
    f = detect_plain(win, got);
    free(win);
    return f;
}

enum pcol_format pcol_format_detect(const uint8_t *p, size_t n, const char *filename_or_null)
{
    enum pcol_format f = detect_content(p, n);

    return f != PCOL_FMT_UNKNOWN ? f : pcol_format_from_filename(filename_or_null);
}

/* ---- decoding ------------------------------------------------------------ */

static int decode_plain(struct pcol_batch *b, enum pcol_format f, const uint8_t *p, size_t n,
                        size_t max, struct pcol_err *err)
{
    struct pcol_pprof_decode_opts opts = {.max_decompressed = max};

    switch (f) {
    case PCOL_FMT_PPROF: return pcol_pprof_decode(b, p, n, &opts, err);
    case PCOL_FMT_OTLP: return pcol_otlp_decode(b, p, n, err);
    case PCOL_FMT_OTLP_JSON: return pcol_otlp_json_decode(b, (const char *)p, n, err);
    default:
        return pcol_err_set(err, PCOL_EINVAL,
                            "unrecognised format (not pprof, OTLP protobuf or OTLP/JSON)");
    }
}

int pcol_decode_any(struct pcol_batch *b, enum pcol_format f, const uint8_t *p, size_t n,
                    size_t max_decompressed, struct pcol_err *err)
{
    struct pcol_buf plain = {0};
    enum pcol_encoding enc;
    int rc;

    if (!max_decompressed) {
        max_decompressed = DEFAULT_MAX_DECOMPRESSED;
    }
    if (f == PCOL_FMT_UNKNOWN) {
        f = pcol_format_detect(p, n, NULL);
    }
    enc = pcol_is_gzip(p, n)   ? PCOL_ENC_GZIP
          : pcol_is_zstd(p, n) ? PCOL_ENC_ZSTD
                               : PCOL_ENC_IDENTITY;
    /* The pprof decoder inflates gzip itself, straight into its arena. */
    if (enc == PCOL_ENC_IDENTITY || (enc == PCOL_ENC_GZIP && f == PCOL_FMT_PPROF)) {
        return decode_plain(b, f, p, n, max_decompressed, err);
    }
    rc = pcol_decompress(enc, p, n, max_decompressed, &plain, err);
    if (rc == 0) {
        rc = decode_plain(b, f, plain.p, plain.len, max_decompressed, err);
    }
    pcol_buf_free(&plain);
    return rc;
}
