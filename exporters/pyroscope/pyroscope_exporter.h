/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pyroscope_exporter.h: what the files of the `pyroscope` exporter share.
 * pyroscope.c owns the options, the endpoint and the lifecycle (credentials,
 * TLS context and HTTP client); send.c owns send(); labels.c turns resources and
 * sample types into Pyroscope label sets; ingest.c encodes the legacy
 * `/ingest` requests (and reads back its own payload framing); push.c
 * encodes a `push.v1.PusherService/Push` request; response.c reads what
 * the server answers (status class, Retry-After, Connect JSON errors).
 * Only these files and their tests include it.
 *
 * Ownership: the context is the instance's (the core allocates and frees
 * it); its option strings belong to the option engine. The parsed target,
 * the Authorization value, the TLS context and the HTTP client belong to
 * the context from init/start until destroy. Label lists own heap copies
 * of their names and values. Encoders borrow the batch and only read the
 * context's options, so they may run on any thread.
 */
#ifndef PCOL_PYROSCOPE_EXPORTER_H
#define PCOL_PYROSCOPE_EXPORTER_H

#include "codec_pprof.h"
#include "component.h"
#include "compress.h"
#include "http_peer.h"
#include "pipeline.h"
#include "tls.h"

#include <time.h>

#define PCOL__PYROEXP_INGEST_PATH "/ingest"
#define PCOL__PYROEXP_PUSH_PATH "/push.v1.PusherService/Push"
/* Pyroscope refuses label values longer than this (validation default). */
#define PCOL__PYROEXP_MAX_VALUE 2048
/* Error answers are a small JSON object; anything bigger is cut. */
#define PCOL__PYROEXP_MAX_RESPONSE (1u << 20)

enum pcol__pyroexp_protocol {
    PCOL__PYROEXP_INGEST,
    PCOL__PYROEXP_PUSH,
};

enum pcol__pyroexp_compression {
    PCOL__PYROEXP_NONE,
    PCOL__PYROEXP_GZIP,
};

/* Where requests go, parsed from `endpoint`. */
struct pcol__pyroexp_target {
    char *host; /* without brackets */
    uint16_t port;
    bool tls;
    char *prefix; /* the URL's path without trailing '/', "" for none */
};

struct pcol__pyroexp {
    /* options */
    const char *endpoint;
    int protocol; /* enum pcol__pyroexp_protocol */
    const char *tenant_id;
    struct {
        const char *username, *password, *username_env, *password_env;
    } basic_auth;
    const char *bearer_token;
    const char *bearer_token_env;
    struct pcol_str_map headers;
    struct {
        struct pcol_regex_list include, exclude;
    } labels;
    const char *spy_name;
    bool sanitize_label_names;
    int compression; /* enum pcol__pyroexp_compression (push only) */
    struct pcol_tls_settings tls;
    struct pcol_export_settings helper;

    /* state */
    struct pcol_instance *inst;
    struct pcol__pyroexp_target target;
    char *authorization; /* the Authorization header value, or NULL */
    struct pcol_http_peer peer;
    bool refusal_logged;
};

/* ---- pyroscope.c -------------------------------------------------------------- */

/* Parses `endpoint` (http:// or https://, host, optional port, optional
 * path prefix; no query or fragment) into `t` (heap strings; free with
 * target_free). Returns 0 or PCOL_EINVAL with the reason in `err`. */
int pcol__pyroexp_target_parse(const char *endpoint, struct pcol__pyroexp_target *t,
                               struct pcol_err *err);
void pcol__pyroexp_target_free(struct pcol__pyroexp_target *t);

/* ---- send.c --------------------------------------------------------------------- */

/* The exporter's send(): one attempt of an export (see send.c). */
int pcol__pyroexp_send(struct pcol_instance *inst, struct pcol_export *exp);

/* ---- labels.c ------------------------------------------------------------------- */

struct pcol__pyroexp_label {
    char *name;
    char *value;
};

/* A label set; owns heap copies of every name and value. */
struct pcol__pyroexp_labels {
    struct pcol__pyroexp_label *v;
    size_t n, cap;
};

/* How label names are made acceptable. */
enum pcol__pyroexp_names {
    PCOL__PYROEXP_NAMES_LEGACY, /* [A-Za-z0-9_], no leading digit (sanitize_label_names) */
    PCOL__PYROEXP_NAMES_INGEST, /* [A-Za-z0-9_.], what the /ingest name grammar carries */
    PCOL__PYROEXP_NAMES_UTF8,   /* any valid UTF-8 (Pyroscope 2 Push) */
};

enum pcol__pyroexp_names pcol__pyroexp_name_style(const struct pcol__pyroexp *x);

/* Appends `in` made a valid label name in `style` (other characters become
 * '_'; one '_' per UTF-8 character) to `out` (no NUL). */
void pcol__pyroexp_label_name(const char *in, enum pcol__pyroexp_names style, struct pcol_buf *out);
/* Appends `in` made a valid label value to `out` (no NUL): for /ingest
 * (`ingest`) without ',' and '}' (the name grammar cannot escape them) and
 * trimmed of spaces; for Push with invalid UTF-8 replaced by U+FFFD; both
 * cut to PCOL__PYROEXP_MAX_VALUE bytes on a character boundary. */
void pcol__pyroexp_label_value(const char *in, size_t len, bool ingest, struct pcol_buf *out);

/* Copies name and value into `l`. */
void pcol__pyroexp_labels_add(struct pcol__pyroexp_labels *l, const char *name, const char *value);
/* Sorts by name (byte order) and keeps the first of equal names. */
void pcol__pyroexp_labels_sort(struct pcol__pyroexp_labels *l);
void pcol__pyroexp_labels_free(struct pcol__pyroexp_labels *l);

/* Appends the labels resource `r` gives: every attribute whose key passes
 * labels.include / labels.exclude, except service.name, with names made
 * valid (pcol__pyroexp_name_style) and values cleaned
 * (pcol__pyroexp_label_value); empty names or values, names starting with
 * "__", "service_name" and "pyroscope_spy" are left out. Not sorted. */
void pcol__pyroexp_resource_labels(const struct pcol__pyroexp *x, const struct pcol_batch *b,
                                   const struct pcol_resource *r, struct pcol__pyroexp_labels *out);

/* The service name of resource `r` (service.name as text, else
 * "unknown_service") as a heap string; `ingest` makes it valid for the
 * /ingest app name (A-Z a-z 0-9 _ . - /; others become '_'). */
char *pcol__pyroexp_service_name(const struct pcol_batch *b, const struct pcol_resource *r,
                                 bool ingest);

/* The Pyroscope profile name (`__name__`) of profiles first..first+n-1 of
 * scope `s` of resource `r`, from their sample types (see labels.c);
 * written into buf[cap], which is returned. */
const char *pcol__pyroexp_profile_name(const struct pcol_batch *b, const struct pcol_resource *r,
                                       const struct pcol_scope *s, uint32_t first, uint32_t n,
                                       char *buf, size_t cap);

/* ---- ingest.c ------------------------------------------------------------------- */

/* One /ingest request of an encoded payload (borrowed from it). */
struct pcol__pyroexp_frame {
    uint32_t profiles; /* OTLP profiles in the pprof */
    const char *query; /* "name=...&from=...", query_len bytes, no NUL */
    size_t query_len;
    const uint8_t *body; /* gzip pprof */
    size_t body_len;
};

/* Appends the query (without '?') of the pprof `meta` describes: name =
 * app{tags}, from, until (when the profile has a time), format=pprof,
 * spyName (unless spy_name is ""). */
void pcol__pyroexp_ingest_query(const struct pcol__pyroexp *x, const struct pcol_batch *b,
                                const struct pcol_pprof_meta *meta, struct pcol_buf *out);

/* Encodes the batch as the framing send() reads: u32 count, then per
 * pprof u32 profiles, u32 query length, u32 body length, query, body
 * (little endian). Returns 0 or an error code. */
int pcol__pyroexp_ingest_encode(const struct pcol__pyroexp *x, const struct pcol_batch *b,
                                struct pcol_buf *out);

/* Requests in an encoded payload (0 when malformed). */
uint32_t pcol__pyroexp_ingest_count(const uint8_t *p, size_t n);
/* Frame `index`; false when it is missing or the payload is malformed. */
bool pcol__pyroexp_ingest_frame(const uint8_t *p, size_t n, uint32_t index,
                                struct pcol__pyroexp_frame *f);

/* ---- push.c --------------------------------------------------------------------- */

/* Encodes the batch as one PushRequest: a RawProfileSeries per pprof,
 * labeled __name__, service_name, __delta__="false", pyroscope_spy and the
 * resource labels, holding one RawSample (gzip pprof, random UUID v4 ID);
 * the whole body gzip'd when compression is gzip. 0 or an error code. */
int pcol__pyroexp_push_encode(const struct pcol__pyroexp *x, const struct pcol_batch *b,
                              struct pcol_buf *out);

/* Writes a random UUID v4 as 36 characters and a NUL into out[37]. */
void pcol__pyroexp_uuid(char out[37]);

/* ---- response.c ----------------------------------------------------------------- */

enum pcol__pyroexp_class {
    PCOL__PYROEXP_ACCEPTED,  /* 2xx */
    PCOL__PYROEXP_RETRY,     /* 429, 5xx */
    PCOL__PYROEXP_PERMANENT, /* every other status */
};

enum pcol__pyroexp_class pcol__pyroexp_classify(int status);

/* "HTTP 422 (unknown): message" from an error answer: the Connect/Pyroscope
 * JSON {"code","message"} when the body is one, else its printable start. */
void pcol__pyroexp_error_detail(const struct pcol_http_client_resp *resp, char *out, size_t cap);

#endif
