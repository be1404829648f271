/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp_json.c: OTLP/JSON <-> the model. The JSON is read into the same
 * protobuf-c structs the protobuf codec uses (pbjson_*.c), so both formats
 * share one translation and one set of checks (codec_otlp_decode.c and
 * codec_otlp_encode.c). As the collector
 * does, the encoder writes resource and scope attribute keys and string
 * values as string-table indexes.
 *
 * Ownership: the decoder borrows the JSON text and appends to a caller-owned
 * batch; the encoder borrows the batch and appends to a caller-owned buffer.
 */
#include "codec_otlp.h"
#include "codec_otlp_internal.h"

int pcol_otlp_json_decode(struct pcol_batch *b, const char *json, size_t len, struct pcol_err *err)
{
    ProtobufCMessage *m;
    int rc;

    /* Decoded straight into the batch arena, so the model can keep the strings. */
    rc = pcol_pbjson_decode(&PCOL_PB_REQUEST_DESC, json, len, b->arena, &m, err);
    if (rc) {
        return rc;
    }
    return pcol__otlp_from_pb(b, (const pcol_pb_export_request *)m, true, err);
}

void pcol_otlp_json_encode(const struct pcol_batch *b, struct pcol_buf *out)
{
    struct pcol_arena *a = pcol_arena_create(0);
    pcol_pb_export_request *req = pcol__otlp_to_pb(b, a);

    pcol_pbjson_encode(&req->base, out);
    pcol_arena_destroy(a);
}
