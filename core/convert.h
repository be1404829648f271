/* SPDX-License-Identifier: Apache-2.0 */
/*
 * convert.h: the profile formats profcol reads and writes (pprof, OTLP
 * protobuf, OTLP/JSON), telling them apart, and decoding any of them into the
 * model. Used by `profcol convert` and by receivers that accept files or
 * bodies of more than one format.
 *
 * Ownership: every function borrows its inputs; decoded data lands in the
 * caller's batch.
 */
#ifndef PCOL_CONVERT_H
#define PCOL_CONVERT_H

#include "profile.h"

enum pcol_format {
    PCOL_FMT_UNKNOWN = 0,
    PCOL_FMT_PPROF,     /* perftools.profiles.Profile, raw or gzip/zstd */
    PCOL_FMT_OTLP,      /* ExportProfilesServiceRequest protobuf, raw or gzip/zstd */
    PCOL_FMT_OTLP_JSON, /* the same as OTLP/JSON, raw or gzip/zstd */
};

/* "pprof", "otlp" (or "otlp_proto"), "otlp-json" (or "otlp_json") -> format;
 * -1 when unknown. */
int pcol_format_parse(const char *name);
/* The canonical name pcol_format_parse() accepts; "unknown" for UNKNOWN. */
const char *pcol_format_name(enum pcol_format f);

/* The format a file name's extension suggests: .pb.gz, .pprof, .prof, .pb ->
 * pprof; .binpb, .otlp -> OTLP; .json -> OTLP/JSON; a trailing .gz or .zst
 * is looked through. UNKNOWN otherwise. */
enum pcol_format pcol_format_from_filename(const char *filename);

/* Recognises the format from the content (looking into gzip/zstd by
 * decompressing at most 64 KiB): JSON starts with '{'; a protobuf is walked
 * field by field, and pprof has fields an OTLP request lacks. Legacy
 * (pre-protobuf) pprof counts as pprof so its decoder can say why it is
 * refused. Falls back to the file name (may be NULL) when the content says
 * nothing, e.g. when it is empty. */
enum pcol_format pcol_format_detect(const uint8_t *p, size_t n, const char *filename_or_null);

/* Decodes `p` in format `f` (PCOL_FMT_UNKNOWN: detect it from the content)
 * and appends it to `b`. gzip or zstd input is decompressed first; more than
 * `max_decompressed` bytes (0: 256 MiB) fails with PCOL_ERANGE. On error `b`
 * may hold partial data and `err` says what is wrong. */
int pcol_decode_any(struct pcol_batch *b, enum pcol_format f, const uint8_t *p, size_t n,
                    size_t max_decompressed, struct pcol_err *err);

#endif
