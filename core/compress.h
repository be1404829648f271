/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compress.h: gzip and zstd, both ways, with a hard limit on decompressed
 * size (gzip/zstd bombs fail with PCOL_ERANGE before memory grows past the
 * limit). One-shot gzip uses libdeflate; zlib streams only when a gzip
 * stream has several members or its size trailer lies.
 */
#ifndef PCOL_COMPRESS_H
#define PCOL_COMPRESS_H

#include "buf.h"

enum pcol_encoding {
    PCOL_ENC_IDENTITY = 0,
    PCOL_ENC_GZIP,
    PCOL_ENC_ZSTD,
};

static inline bool pcol_is_gzip(const uint8_t *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static inline bool pcol_is_zstd(const uint8_t *p, size_t n)
{
    return n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd;
}

/* "gzip", "zstd", "identity"/"none"/"" -> encoding; -1 when unknown. */
int pcol_encoding_parse(const char *name);
const char *pcol_encoding_name(enum pcol_encoding e);

/* Appends the decompressed form of `in` (borrowed) to `out`. Fails with
 * PCOL_ERANGE if it would exceed `max` bytes, PCOL_EINVAL if corrupt. */
int pcol_decompress(enum pcol_encoding enc, const uint8_t *in, size_t n, size_t max,
                    struct pcol_buf *out, struct pcol_err *err);

/* Appends the compressed form of `in` to `out`. `level` 0 picks the
 * encoding's fast default (gzip 1, zstd 1). */
void pcol_compress(enum pcol_encoding enc, int level, const uint8_t *in, size_t n,
                   struct pcol_buf *out);

#endif
