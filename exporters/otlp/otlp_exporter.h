/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_exporter.h: what the files of the `otlp` (alias `otlp_grpc`) and
 * `otlp_http` exporters share. otlp.c owns the options, the endpoint and
 * the lifecycle (TLS context and HTTP client from start to stop) of both;
 * otlp_grpc.c and otlp_http.c own their encode() and send(); response.c
 * reads what servers answer (partial success, google.rpc.Status,
 * Retry-After). Only these files and their tests include it.
 *
 * Ownership: the context is the instance's (the core allocates and frees
 * it); its option strings belong to the option engine. The parsed target,
 * the TLS context and the HTTP client belong to the context from start
 * until destroy. An export is borrowed from send() until pcol_export_done().
 */
#ifndef PCOL_OTLP_EXPORTER_H
#define PCOL_OTLP_EXPORTER_H

#include "component.h"
#include "compress.h"
#include "http_peer.h"
#include "pipeline.h"
#include "tls.h"

#include <time.h>

/* Sent with every request: the profiles wire revision this exporter
 * encodes (the OTLP rule of opentelemetry-proto#857: a missing header
 * means 1, so servers that ignore it read it the same way). */
#define PCOL__OTLPEXP_VERSION_HEADER "otlp-profiles-development-version"
#define PCOL__OTLPEXP_VERSION "1"
/* Responses are one small message; anything bigger is not an OTLP server. */
#define PCOL__OTLPEXP_MAX_RESPONSE (4u << 20)

enum pcol__otlpexp_compression {
    PCOL__OTLPEXP_GZIP,
    PCOL__OTLPEXP_ZSTD,
    PCOL__OTLPEXP_NONE,
};

enum pcol__otlpexp_encoding {
    PCOL__OTLPEXP_PROTO,
    PCOL__OTLPEXP_JSON,
};

/* Where requests go, parsed from the endpoint options. */
struct pcol__otlpexp_target {
    char *host; /* without brackets */
    uint16_t port;
    bool tls;
    char *path; /* with the query */
};

struct pcol__otlpexp {
    /* options */
    const char *endpoint;
    const char *profiles_endpoint; /* otlp_http: full URL, overrides endpoint */
    struct pcol_str_map headers;
    int compression; /* enum pcol__otlpexp_compression */
    int encoding;    /* otlp_http: enum pcol__otlpexp_encoding */
    struct pcol_tls_settings tls;
    struct {
        int64_t time; /* ns between PINGs; 0: none */
        int64_t timeout;
        bool permit_without_stream;
    } keepalive; /* otlp (gRPC) only */
    struct pcol_export_settings helper;

    /* state */
    struct pcol_instance *inst;
    bool grpc;
    struct pcol__otlpexp_target target;
    struct pcol_http_peer peer;
    bool partial_logged;
};

/* ---- otlp.c ------------------------------------------------------------------ */

/* Parses `endpoint` into `t` (heap strings; free with target_free): for
 * gRPC "host:port" with an optional http:// (plain text) or https:// (TLS)
 * scheme, else TLS unless `insecure`; for HTTP a URL with http:// or
 * https:// whose path is the base of `default_path` (NULL: use it as is).
 * Returns 0 or PCOL_EINVAL with the reason in `err`. */
int pcol__otlpexp_target_parse(const char *endpoint, bool grpc, bool insecure,
                               const char *default_path, struct pcol__otlpexp_target *t,
                               struct pcol_err *err);
void pcol__otlpexp_target_free(struct pcol__otlpexp_target *t);

enum pcol_encoding pcol__otlpexp_encoding(const struct pcol__otlpexp *x);

/* The request headers: the configured ones, then `fixed` (n_fixed). A heap
 * array the caller frees (the strings stay borrowed). */
struct pcol_http_header *pcol__otlpexp_headers(const struct pcol__otlpexp *x,
                                               const struct pcol_http_header *fixed, size_t n_fixed,
                                               size_t *n);

/* Ends an export whose request could not start or got no response. */
void pcol__otlpexp_transport_failed(struct pcol_export *exp, int error, const char *msg);

/* Counts the profiles a partial success rejected as send_failed and logs
 * the first partial success of the exporter (later ones at debug level). */
void pcol__otlpexp_partial(struct pcol__otlpexp *x, struct pcol_export *exp, uint64_t rejected,
                           const char *msg);

/* ---- otlp_grpc.c / otlp_http.c --------------------------------------------------- */

int pcol__otlpexp_grpc_encode(struct pcol_instance *inst, const struct pcol_batch *b,
                              struct pcol_buf *out);
int pcol__otlpexp_grpc_send(struct pcol_instance *inst, struct pcol_export *exp);
int pcol__otlpexp_http_encode(struct pcol_instance *inst, const struct pcol_batch *b,
                              struct pcol_buf *out);
int pcol__otlpexp_http_send(struct pcol_instance *inst, struct pcol_export *exp);

/* ---- response.c ---------------------------------------------------------------- */

/* Reads the partial_success of an ExportProfilesServiceResponse (protobuf,
 * or OTLP/JSON when `json`). True when the server rejected profiles or sent
 * a message; *rejected and msg[cap] say what. Malformed bytes read as no
 * partial success. */
bool pcol__otlpexp_partial_success(const uint8_t *p, size_t n, bool json, uint64_t *rejected,
                                   char *msg, size_t cap);

/* The message of a google.rpc.Status body (protobuf, or JSON when `json`)
 * into msg[cap]; "" when there is none or it cannot be read. */
void pcol__otlpexp_status_message(const uint8_t *p, size_t n, bool json, char *msg, size_t cap);

#endif
