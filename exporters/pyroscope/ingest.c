/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.c: the `pyroscope` exporter's encoder for Pyroscope's legacy HTTP
 * API: one `POST {prefix}/ingest?<query>` per pprof, the body the gzip
 * pprof. The query is
 *
 *   name=<app>{k=v,...}&from=<s>&until=<s>&format=pprof&spyName=<spy_name>
 *
 * with every value percent-encoded (all but A-Z a-z 0-9 - _ . ~). app is
 * the resource's service.name made a valid app name (unknown_service when
 * there is none); the tags are the resource labels (labels.c) sorted by
 * name, and the braces are left out when there are none. from is the
 * profile's time in Unix seconds, rounded down, until its end (time +
 * duration) rounded up; both are left out for a profile without a time
 * (the server then uses the time it receives it). spyName is left out when
 * spy_name is "".
 *
 * A batch becomes several pprofs (one per resource, scope and set of
 * profiles that line up: pcol_pprof_encode), so the payload is this
 * exporter's own framing of the requests, which send() walks:
 *   u32 count, then per request: u32 profiles, u32 query length,
 *   u32 body length, the query, the body (integers little endian).
 *
 * Ownership: the batch and options are borrowed; the payload is the
 * caller's buffer. Pure: safe on any thread.
 */
#include "pyroscope_exporter.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_HEADER 12u
#define NS_PER_S UINT64_C(1000000000)

static void put_u32(struct pcol_buf *out, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

    pcol_buf_append(out, le, sizeof(le));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Percent-encodes s[0..n) as a query value. */
static void put_escaped(struct pcol_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            pcol_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            pcol_buf_append(out, e, sizeof(e));
        }
    }
}

void pcol__pyroexp_ingest_query(const struct pcol__pyroexp *x, const struct pcol_batch *b,
                                const struct pcol_pprof_meta *meta, struct pcol_buf *out)
{
    const struct pcol_resource *r = &b->resources[meta->resource];
    const struct pcol_profile *p = &r->scopes[meta->scope].profiles[meta->first_profile];
    struct pcol__pyroexp_labels tags = {0};
    struct pcol_buf name = {0};
    char *app = pcol__pyroexp_service_name(b, r, true);
    size_t i;

    pcol__pyroexp_resource_labels(x, b, r, &tags);
    pcol__pyroexp_labels_sort(&tags);
    pcol_buf_puts(&name, app);
    for (i = 0; i < tags.n; i++) {
        pcol_buf_putc(&name, i ? ',' : '{');
        pcol_buf_puts(&name, tags.v[i].name);
        pcol_buf_putc(&name, '=');
        pcol_buf_puts(&name, tags.v[i].value);
    }
    if (tags.n) {
        pcol_buf_putc(&name, '}');
    }
    pcol_buf_puts(out, "name=");
    put_escaped(out, (const char *)name.p, name.len);
    if (meta->time_unix_nano) {
        uint64_t end = meta->time_unix_nano + p->duration_nano;
        pcol_buf_printf(out, "&from=%" PRIu64 "&until=%" PRIu64, meta->time_unix_nano / NS_PER_S,
                        end / NS_PER_S + (end % NS_PER_S != 0));
    }
    pcol_buf_puts(out, "&format=pprof");
    if (x->spy_name && *x->spy_name) {
        pcol_buf_puts(out, "&spyName=");
        put_escaped(out, x->spy_name, strlen(x->spy_name));
    }
    pcol__pyroexp_labels_free(&tags);
    pcol_buf_free(&name);
    free(app);
}

struct encoder {
    const struct pcol__pyroexp *x;
    const struct pcol_batch *b;
    struct pcol_buf *out;
    struct pcol_buf query;
    uint32_t count;
};

static int emit(void *data, const struct pcol_pprof_meta *meta, const uint8_t *p, size_t n)
{
    struct encoder *e = data;

    e->query.len = 0;
    pcol__pyroexp_ingest_query(e->x, e->b, meta, &e->query);
    if (n > UINT32_MAX || e->query.len > UINT32_MAX || e->count == UINT32_MAX) {
        return PCOL_ERANGE;
    }
    put_u32(e->out, meta->n_profiles);
    put_u32(e->out, (uint32_t)e->query.len);
    put_u32(e->out, (uint32_t)n);
    pcol_buf_append(e->out, e->query.p, e->query.len);
    pcol_buf_append(e->out, p, n);
    e->count++;
    return 0;
}

int pcol__pyroexp_ingest_encode(const struct pcol__pyroexp *x, const struct pcol_batch *b,
                                struct pcol_buf *out)
{
    const struct pcol_pprof_encode_opts opts = {.gzip = true};
    struct encoder e = {.x = x, .b = b, .out = out};
    size_t base = out->len;
    int rc;

    put_u32(out, 0);
    rc = pcol_pprof_encode(b, &opts, emit, &e, NULL);
    pcol_buf_free(&e.query);
    if (rc != 0) {
        return rc;
    }
    out->p[base] = (uint8_t)e.count;
    out->p[base + 1] = (uint8_t)(e.count >> 8);
    out->p[base + 2] = (uint8_t)(e.count >> 16);
    out->p[base + 3] = (uint8_t)(e.count >> 24);
    return 0;
}

uint32_t pcol__pyroexp_ingest_count(const uint8_t *p, size_t n)
{
    return n >= 4 ? get_u32(p) : 0;
}

bool pcol__pyroexp_ingest_frame(const uint8_t *p, size_t n, uint32_t index,
                                struct pcol__pyroexp_frame *f)
{
    size_t at = 4;
    uint32_t i;

    if (index >= pcol__pyroexp_ingest_count(p, n)) {
        return false;
    }
    for (i = 0;; i++) {
        size_t qlen, blen;

        if (n - at < FRAME_HEADER) {
            return false;
        }
        qlen = get_u32(p + at + 4);
        blen = get_u32(p + at + 8);
        if (n - at - FRAME_HEADER < qlen || n - at - FRAME_HEADER - qlen < blen) {
            return false;
        }
        if (i == index) {
            f->profiles = get_u32(p + at);
            f->query = (const char *)p + at + FRAME_HEADER;
            f->query_len = qlen;
            f->body = p + at + FRAME_HEADER + qlen;
            f->body_len = blen;
            return true;
        }
        at += FRAME_HEADER + qlen + blen;
    }
}
