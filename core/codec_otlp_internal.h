/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp_internal.h: what the codecs share with each other (and tests)
 * and nobody else may use: the protobuf-c <-> model translation and the
 * generic protobuf-c <-> proto3 JSON codec. Only codec_*.c, pbjson_*.c and
 * tests include this header.
 */
#ifndef PCOL_CODEC_OTLP_INTERNAL_H
#define PCOL_CODEC_OTLP_INTERNAL_H

#include "buf.h"
#include "profile.h"

#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb-c.h"

typedef Opentelemetry__Proto__Collector__Profiles__V1development__ExportProfilesServiceRequest
    pcol_pb_export_request;

/* The request's generated descriptor and initial value; their names alone are
 * wider than our 100 columns, hence the pasting. */
#define PCOL_PB_CAT(a, b) a##b
#define PCOL_PB_REQUEST_DESC                                                                       \
    PCOL_PB_CAT(opentelemetry__proto__collector__profiles__v1development__,                        \
                export_profiles_service_request__descriptor)
#define PCOL_PB_REQUEST_INIT                                                                       \
    PCOL_PB_CAT(OPENTELEMETRY__PROTO__COLLECTOR__PROFILES__V1DEVELOPMENT__,                        \
                EXPORT_PROFILES_SERVICE_REQUEST__INIT)

/* A ProtobufCAllocator whose memory comes from arena `a` (free is a no-op). */
#define PCOL_PB_ALLOCATOR(a)                                                                       \
    {                                                                                              \
        pcol__arena_pb_alloc, pcol__arena_pb_free, (a)                                             \
    }

/* Whether p[0..n) is all zero bytes: an unset trace, span or profile id. */
static inline bool pcol__all_zero(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Appends the content of an unpacked request (borrowed) to `b`, checking
 * every index. With `borrow` the request lives in b's arena and the batch
 * keeps pointing at its strings, bytes and value arrays; without it they are
 * copied, so the request may live anywhere. `b` may hold partial data on
 * error. */
int pcol__otlp_from_pb(struct pcol_batch *b, const pcol_pb_export_request *req, bool borrow,
                       struct pcol_err *err);

/* Builds protobuf-c structs for the batch in arena `a`. Strings and bytes
 * point into the batch (borrowed), so `b` must outlive the result. */
pcol_pb_export_request *pcol__otlp_to_pb(const struct pcol_batch *b, struct pcol_arena *a);

/* Resource + scope (everything above the profiles) as the OTLP/JSON of a
 * ResourceProfiles message holding one ScopeProfiles with no profiles. The
 * pprof codec carries it in a pprof comment so OTLP -> pprof -> OTLP keeps
 * resource and scope data. */
void pcol__otlp_context_to_json(const struct pcol_batch *b, const struct pcol_resource *r,
                                const struct pcol_scope *s, struct pcol_buf *out);
/* The inverse: fills `r` and `s` (already added to `b`; their profiles are
 * left alone). */
int pcol__otlp_context_from_json(struct pcol_batch *b, const char *json, size_t len,
                                 struct pcol_resource *r, struct pcol_scope *s,
                                 struct pcol_err *err);

/* ---- generic proto3 JSON for any protobuf-c message (pbjson_*.c) --------- */

/* Writes `m` (borrowed) as compact proto3 JSON: lowerCamelCase names,
 * default values omitted, 64-bit ints as strings, bytes as base64 except
 * fields named trace_id, span_id and profile_id, which are hex (OTLP). */
void pcol_pbjson_encode(const ProtobufCMessage *m, struct pcol_buf *out);
/* Parses JSON into a new message of type `d` allocated in arena `a`.
 * Accepts lowerCamelCase and snake_case names, numbers or strings for
 * integers; ignores unknown fields. */
int pcol_pbjson_decode(const ProtobufCMessageDescriptor *d, const char *json, size_t len,
                       struct pcol_arena *a, ProtobufCMessage **out, struct pcol_err *err);

#endif
