/* SPDX-License-Identifier: Apache-2.0 */
/*
 * push.c: the `pyroscope` exporter's encoder for Pyroscope's Push API
 * (`POST {prefix}/push.v1.PusherService/Push`, Connect unary,
 * application/proto). The body is one push.v1.PushRequest:
 *
 *   PushRequest      { repeated RawProfileSeries series = 1; }
 *   RawProfileSeries { repeated types.v1.LabelPair labels = 1;
 *                      repeated RawSample samples = 2; }
 *   RawSample        { bytes raw_profile = 1; string ID = 2; }
 *   LabelPair        { string name = 1; string value = 2; }
 *
 * Every field is length-delimited, so it is written by hand here. One
 * series per pprof (pcol_pprof_encode's groups), sorted labels:
 *   __name__       the profile name from the sample types (labels.c);
 *   service_name   service.name, or unknown_service;
 *   __delta__      "false": the profiles are sent as they are and
 *                  Pyroscope must not compute deltas of them (Pyroscope 2
 *                  never does; a v1 server would otherwise subtract
 *                  consecutive profiles that are deltas already). It is
 *                  also the label the server gives /ingest uploads, so
 *                  both protocols make the same series;
 *   pyroscope_spy  spy_name (left out when ""), as /ingest's spyName;
 *   the resource labels (labels.c).
 * One RawSample per series: raw_profile the gzip pprof, ID a random UUID
 * v4. With compression: gzip the whole body is gzip'd once more (the
 * server honours Content-Encoding: gzip); the default none, since the
 * profiles are gzip already. A batch without profiles encodes to nothing
 * (send() then has nothing to post).
 *
 * Ownership: the batch and options are borrowed; the body goes to the
 * caller's buffer. Pure apart from reading random bytes: safe on any
 * thread.
 */
#include "pyroscope_exporter.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void put_varint(struct pcol_buf *out, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;

    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    pcol_buf_append(out, tmp, n);
}

/* A length-delimited field: key byte, length, bytes. */
static void put_field(struct pcol_buf *out, uint8_t key, const void *p, size_t n)
{
    pcol_buf_putc(out, (char)key);
    put_varint(out, n);
    pcol_buf_append(out, p, n);
}

void pcol__pyroexp_uuid(char out[37])
{
    uint8_t r[16];
    char hex[32];
    size_t i, o = 0;

    if (RAND_bytes(r, sizeof(r)) != 1) {
        /* No entropy from OpenSSL: an ID is only a log aid for Pyroscope. */
        uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out;
        for (i = 0; i < sizeof(r); i++) {
            t = t * 6364136223846793005ull + 1442695040888963407ull;
            r[i] = (uint8_t)(t >> 56);
        }
    }
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    pcol_hex_encode(hex, r, sizeof(r));
    for (i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20) {
            out[o++] = '-';
        }
        out[o++] = hex[i];
    }
    out[o] = '\0';
}

struct encoder {
    const struct pcol__pyroexp *x;
    const struct pcol_batch *b;
    struct pcol_buf *req; /* the PushRequest */
    struct pcol_buf series, msg;
};

static int emit(void *data, const struct pcol_pprof_meta *meta, const uint8_t *p, size_t n)
{
    struct encoder *e = data;
    const struct pcol_resource *r = &e->b->resources[meta->resource];
    const struct pcol_scope *s = &r->scopes[meta->scope];
    struct pcol__pyroexp_labels labels = {0};
    char profile_name[128], id[37];
    char *service = pcol__pyroexp_service_name(e->b, r, false);
    size_t i;

    /* The exporter's own labels first: of equal names the first is kept. */
    pcol__pyroexp_labels_add(&labels, "__name__",
                             pcol__pyroexp_profile_name(e->b, r, s, meta->first_profile,
                                                        meta->n_profiles, profile_name,
                                                        sizeof(profile_name)));
    pcol__pyroexp_labels_add(&labels, "service_name", service);
    pcol__pyroexp_labels_add(&labels, "__delta__", "false");
    if (e->x->spy_name && *e->x->spy_name) {
        pcol__pyroexp_labels_add(&labels, "pyroscope_spy", e->x->spy_name);
    }
    pcol__pyroexp_resource_labels(e->x, e->b, r, &labels);
    pcol__pyroexp_labels_sort(&labels);

    e->series.len = 0;
    for (i = 0; i < labels.n; i++) {
        e->msg.len = 0;
        put_field(&e->msg, 0x0a, labels.v[i].name, strlen(labels.v[i].name));
        put_field(&e->msg, 0x12, labels.v[i].value, strlen(labels.v[i].value));
        put_field(&e->series, 0x0a, e->msg.p, e->msg.len);
    }
    pcol__pyroexp_uuid(id);
    e->msg.len = 0;
    put_field(&e->msg, 0x0a, p, n);
    put_field(&e->msg, 0x12, id, strlen(id));
    put_field(&e->series, 0x12, e->msg.p, e->msg.len);
    put_field(e->req, 0x0a, e->series.p, e->series.len);

    pcol__pyroexp_labels_free(&labels);
    free(service);
    return 0;
}

int pcol__pyroexp_push_encode(const struct pcol__pyroexp *x, const struct pcol_batch *b,
                              struct pcol_buf *out)
{
    const struct pcol_pprof_encode_opts opts = {.gzip = true};
    struct pcol_buf raw = {0};
    bool gzip = x->compression == PCOL__PYROEXP_GZIP;
    struct encoder e = {.x = x, .b = b, .req = gzip ? &raw : out};
    int rc = pcol_pprof_encode(b, &opts, emit, &e, NULL);

    pcol_buf_free(&e.series);
    pcol_buf_free(&e.msg);
    if (rc == 0 && gzip && raw.len) {
        pcol_compress(PCOL_ENC_GZIP, 0, raw.p, raw.len, out);
    }
    pcol_buf_free(&raw);
    return rc;
}
