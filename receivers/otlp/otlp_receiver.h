/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otlp_receiver.h: what the files of the `otlp` receiver share. otlp.c owns
 * the component (options, lifecycle, authentication) and the export job
 * every transport runs (decompress, decode, drop empty profiles, submit);
 * otlp_http.c owns OTLP/HTTP (POST /v1development/profiles); otlp_grpc.c
 * owns OTLP/gRPC (ProfilesService/Export). Only these files include it.
 *
 * Ownership: the context is the instance's; its strings belong to the option
 * engine. Each HTTP server belongs to the context from start until its close
 * callback. A job owns its body and batch; the request belongs to the HTTP
 * server and the job answers it exactly once, through its transport's ops.
 */
#ifndef PCOL_OTLP_RECEIVER_H
#define PCOL_OTLP_RECEIVER_H

#include "component.h"
#include "compress.h"
#include "http_server.h"
#include "tls.h"

/* The retry hint of 503 / UNAVAILABLE answers, in seconds. */
#define PCOL__OTLPRCV_RETRY_AFTER "5"

struct pcol__otlprcv_grpc {
    struct pcol_endpoint endpoint;
    uint64_t max_recv_msg_size_mib;
    uint64_t max_concurrent_streams;
    struct pcol_tls_settings tls;
};

struct pcol__otlprcv_http {
    struct pcol_endpoint endpoint;
    uint64_t max_request_body_size;
    struct pcol_tls_settings tls;
};

struct pcol__otlprcv_auth {
    const char *bearer_token;
    struct pcol__otlprcv_basic {
        const char *username;
        const char *password;
    } basic;
};

struct pcol__otlprcv {
    /* options */
    struct {
        struct pcol__otlprcv_grpc grpc;
        struct pcol__otlprcv_http http;
        bool grpc_on; /* the section is written (PCOL_OPT_PRESENCE) */
        bool http_on;
    } protocols;
    struct pcol__otlprcv_auth auth;

    /* state */
    const char *auth_scheme; /* "Bearer" or "Basic"; NULL: no authentication */
    char *auth_credentials;  /* what must follow the scheme in Authorization */
    struct pcol_http_server *grpc_srv;
    struct pcol_http_server *http_srv;
    unsigned open_servers; /* servers not yet closed, while stopping */
    pcol_stop_cb stop_done;
};

struct pcol__otlprcv_job;

/* How a transport answers a job. Each call answers the request. */
struct pcol__otlprcv_ops {
    /* Success; `rejected` profiles were dropped (partial success). */
    void (*ok)(struct pcol__otlprcv_job *j, uint64_t rejected, const char *message);
    /* Refusal with an HTTP status (400, 401, 413, 415, 503) and one line. */
    void (*fail)(struct pcol__otlprcv_job *j, int status, const char *message);
};

enum pcol__otlprcv_format {
    PCOL__OTLPRCV_PROTOBUF,
    PCOL__OTLPRCV_JSON,
};

struct pcol__otlprcv_job {
    struct pcol_instance *inst;
    struct pcol_http_request *req;
    const struct pcol__otlprcv_ops *ops;
    /* what to decode, set by the transport */
    enum pcol__otlprcv_format format;
    bool grpc; /* the body is one gRPC frame */
    enum pcol_encoding encoding;
    size_t max_plain;     /* limit of the message after decompression */
    bool has_deadline;    /* the client sent grpc-timeout */
    uint64_t deadline_ms; /* loop time (uv_now) at which the client gives up */
    uint8_t *body;        /* the request body (owned) */
    size_t len;
    /* the outcome */
    struct pcol_batch *b;
    uint64_t rejected;  /* profiles dropped because they had no samples */
    int status;         /* HTTP status of a refusal, 0 when decoding worked */
    const char *reason; /* the refusal's metric reason */
    struct pcol_err err;
};

/* A job for `req` (borrowed until answered), answered through `ops`. */
struct pcol__otlprcv_job *pcol__otlprcv_job_new(struct pcol_instance *inst,
                                                struct pcol_http_request *req,
                                                const struct pcol__otlprcv_ops *ops);

/* Checks the request's credentials and the otlp-profiles-development-version
 * header. Returns 0, or marks the job refused (401 / 400) and returns
 * PCOL_EINVAL. */
int pcol__otlprcv_check_request(struct pcol__otlprcv_job *j);

/* Marks the job refused with an HTTP status, a metric reason and the message
 * already in j->err; returns PCOL_EINVAL. */
int pcol__otlprcv_refuse(struct pcol__otlprcv_job *j, int status, const char *reason);

/* Runs a prepared job: refusals set by the transport are answered at once;
 * otherwise the body is taken from the request, checked against the
 * memory budget, decoded (on the thread pool when large), submitted and
 * answered. Frees the job. */
void pcol__otlprcv_job_run(struct pcol__otlprcv_job *j);

/* The HTTP status of a server-made error mapped to a refusal reason. */
const char *pcol__otlprcv_status_reason(int status);

/* Appends an ExportProfilesServiceResponse, with a partial_success when
 * `rejected` > 0. */
void pcol__otlprcv_response(struct pcol_buf *out, uint64_t rejected, const char *message);

/* otlp_grpc.c: routes ProfilesService/Export on `srv`. */
void pcol__otlprcv_grpc_routes(struct pcol_instance *inst, struct pcol_http_server *srv);

/* otlp_http.c: routes POST /v1development/profiles on `srv`. */
void pcol__otlprcv_http_routes(struct pcol_instance *inst, struct pcol_http_server *srv);
/* The OTLP/HTTP server's error body (google.rpc.Status as JSON). */
void pcol__otlprcv_http_error_body(void *data, int status, const char *message,
                                   struct pcol_buf *body, const char **content_type);

#endif
