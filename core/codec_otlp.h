/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_otlp.h: OTLP Profiles protobuf (ExportProfilesServiceRequest, which
 * has the same bytes as ProfilesData; opentelemetry-proto v1.10/v1.11
 * layout) and OTLP/JSON <-> the model.
 *
 * Decoders append to a caller-owned batch and check every index; bad input
 * is an error naming what is wrong, never a crash. Encoders borrow the batch
 * and append to a caller-owned buffer.
 */
#ifndef PCOL_CODEC_OTLP_H
#define PCOL_CODEC_OTLP_H

#include "buf.h"
#include "profile.h"

/* Protobuf. `buf` is borrowed; `b` may hold partial data on error. */
int pcol_otlp_decode(struct pcol_batch *b, const uint8_t *buf, size_t len, struct pcol_err *err);
void pcol_otlp_encode(const struct pcol_batch *b, struct pcol_buf *out);

/* OTLP/JSON: lowerCamelCase names (snake_case accepted on input), 64-bit
 * integers as strings (numbers accepted), hex trace/span/profile ids,
 * base64 for other bytes. The encoder writes one line with no newline. */
int pcol_otlp_json_decode(struct pcol_batch *b, const char *json, size_t len, struct pcol_err *err);
void pcol_otlp_json_encode(const struct pcol_batch *b, struct pcol_buf *out);

#endif
