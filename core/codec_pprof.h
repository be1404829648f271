/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_pprof.h: pprof (perftools.profiles.Profile, gzip or raw) <-> the
 * model, losslessly, following the mapping in docs/conversion.md:
 *
 *   - one OTLP profile per pprof sample type, the default type first;
 *     scope attributes `pprof.scope.sample_type_order` (int[]) and
 *     `pprof.scope.default_sample_type` (string, only when pprof set it);
 *   - labels -> sample attributes (num_unit -> unit); repeated label keys
 *     -> one array-valued attribute;
 *   - build id -> mapping attribute `process.executable.build_id.gnu`;
 *     has_* -> `pprof.mapping.has_*`; is_folded -> `pprof.location.is_folded`;
 *   - comments -> `pprof.profile.comment` (string[]); drop/keep frames and
 *     doc_url -> `pprof.profile.*`; time, duration, period copied.
 *
 * Only the codec_pprof_*.c files know the pprof wire types.
 */
#ifndef PCOL_CODEC_PPROF_H
#define PCOL_CODEC_PPROF_H

#include "buf.h"
#include "profile.h"

#define PCOL_PPROF_DEFAULT_MAX_SIZE (256u * 1024 * 1024)

struct pcol_pprof_decode_opts {
    size_t max_decompressed; /* 0: PCOL_PPROF_DEFAULT_MAX_SIZE */
    bool keep_original;      /* store the input bytes as original_payload ("pprof") */
};

/* Decodes one pprof profile (gzip detected by magic, else raw protobuf) and
 * appends it to `b` as a new resource with one scope. `buf` is borrowed.
 * On error `b` may hold partial data: the caller releases it. Legacy
 * (pre-protobuf) pprof text/binary formats fail with PCOL_ENOTSUP. */
int pcol_pprof_decode(struct pcol_batch *b, const uint8_t *buf, size_t len,
                      const struct pcol_pprof_decode_opts *opts, struct pcol_err *err);

/* What the encoder tells the caller about each pprof it produces. */
struct pcol_pprof_meta {
    uint32_t resource;      /* index into b->resources */
    uint32_t scope;         /* index into that resource's scopes */
    uint32_t first_profile; /* index of the first OTLP profile in the group */
    uint32_t n_profiles;    /* OTLP profiles merged into this pprof */
    uint64_t time_unix_nano;
    /* OTel data pprof cannot carry, counted so callers can log it once. */
    uint64_t dropped_attributes; /* sample attributes of types pprof lacks */
    uint64_t dropped_timestamps; /* per-sample timestamps folded into values */
};

struct pcol_pprof_encode_opts {
    bool gzip;         /* gzip the output (what `profcol convert` does by default) */
    int gzip_level;    /* 0: fast default */
    bool use_original; /* emit original_payload bytes verbatim when present */
};

/* Called once per pprof profile; `data` is only valid during the call.
 * A non-zero return stops encoding and is returned by pcol_pprof_encode. */
typedef int (*pcol_pprof_emit_cb)(void *ctx, const struct pcol_pprof_meta *meta,
                                  const uint8_t *data, size_t len);

/* Encodes the batch (borrowed) as pprof: profiles of one scope whose samples
 * line up become one multi-value pprof; others become separate ones. */
int pcol_pprof_encode(const struct pcol_batch *b, const struct pcol_pprof_encode_opts *opts,
                      pcol_pprof_emit_cb emit, void *ctx, struct pcol_err *err);

#endif
