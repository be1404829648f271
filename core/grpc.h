/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grpc.h: gRPC over the HTTP server and for clients: the 5-byte message
 * framing, grpc-encoding (identity, gzip, zstd through compress.h, with the
 * size limit applied after decompression), grpc-timeout, status codes, the
 * grpc-status / grpc-message trailers and google.rpc.RetryInfo in
 * grpc-status-details-bin. Only unary calls: one message each way.
 *
 * Server side: a receiver routes "POST /pkg.Service/Method" on a server,
 * checks pcol_grpc_is_request(), reads pcol_grpc_request_encoding() and
 * pcol_grpc_unframe() (also safe on a worker thread: it touches no request),
 * then answers exactly once with pcol_grpc_respond() or
 * pcol_grpc_respond_status(). Those work over HTTP/2 only; gRPC has no
 * HTTP/1.1 form.
 *
 * Client side: pcol_grpc_frame() builds the request body,
 * pcol_grpc_timeout_format() the grpc-timeout header, and
 * pcol_grpc_parse_response() turns the response into a status, a message and
 * a retry delay; pcol_grpc_retryable() classifies it per OTLP.
 *
 * Ownership: every pointer argument is borrowed for the call, except where a
 * result points into a caller's buffer (said at each function).
 */
#ifndef PCOL_GRPC_H
#define PCOL_GRPC_H

#include "compress.h"
#include "http_server.h"

enum pcol_grpc_status {
    PCOL_GRPC_OK = 0,
    PCOL_GRPC_CANCELLED = 1,
    PCOL_GRPC_UNKNOWN = 2,
    PCOL_GRPC_INVALID_ARGUMENT = 3,
    PCOL_GRPC_DEADLINE_EXCEEDED = 4,
    PCOL_GRPC_NOT_FOUND = 5,
    PCOL_GRPC_ALREADY_EXISTS = 6,
    PCOL_GRPC_PERMISSION_DENIED = 7,
    PCOL_GRPC_RESOURCE_EXHAUSTED = 8,
    PCOL_GRPC_FAILED_PRECONDITION = 9,
    PCOL_GRPC_ABORTED = 10,
    PCOL_GRPC_OUT_OF_RANGE = 11,
    PCOL_GRPC_UNIMPLEMENTED = 12,
    PCOL_GRPC_INTERNAL = 13,
    PCOL_GRPC_UNAVAILABLE = 14,
    PCOL_GRPC_DATA_LOSS = 15,
    PCOL_GRPC_UNAUTHENTICATED = 16,
};

#define PCOL_GRPC_CONTENT_TYPE "application/grpc"
/* What we decode, for the grpc-accept-encoding header of requests and responses. */
#define PCOL_GRPC_ACCEPT_ENCODING "identity,gzip,zstd"
#define PCOL_GRPC_PREFIX_LEN 5

/* "INVALID_ARGUMENT", ...; "UNKNOWN_STATUS" outside 0..16. */
const char *pcol_grpc_status_name(int status);

/* Status for a PCOL_E* outcome of handling a request: EINVAL (bad data)
 * INVALID_ARGUMENT, ERANGE (over a limit) RESOURCE_EXHAUSTED, EBUSY (no room)
 * UNAVAILABLE, ENOTSUP UNIMPLEMENTED, anything else INTERNAL; 0 is OK. */
enum pcol_grpc_status pcol_grpc_status_from_code(int code);

/* Status for an HTTP status the server would have answered: 400
 * INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404/405
 * UNIMPLEMENTED, 408 DEADLINE_EXCEEDED, 413 RESOURCE_EXHAUSTED, 429/502/503/504
 * UNAVAILABLE, other 4xx INVALID_ARGUMENT, other 5xx INTERNAL, 2xx OK. */
enum pcol_grpc_status pcol_grpc_status_from_http(int http_status);

/* Whether a client may retry a call that ended with `status` (OTLP rules):
 * CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and
 * DATA_LOSS; RESOURCE_EXHAUSTED only when the server sent RetryInfo. */
bool pcol_grpc_retryable(int status, bool has_retry_info);

/* ---- framing ------------------------------------------------------------ */

/* Appends one length-prefixed message to `out`, compressed with `enc`
 * (IDENTITY leaves it as is and clears the compressed flag). */
void pcol_grpc_frame(enum pcol_encoding enc, const uint8_t *msg, size_t len, struct pcol_buf *out);

/* Reads the single message of a unary body. `enc` is the call's
 * grpc-encoding; a compressed message is inflated into `scratch` (appended)
 * and refused with PCOL_ERANGE if it would exceed `max` bytes, as is an
 * uncompressed one over `max`. On success *msg points into `body` or into
 * `scratch`. PCOL_EINVAL for a truncated or trailing frame, a compressed
 * flag under identity, or corrupt compressed data. */
int pcol_grpc_unframe(const uint8_t *body, size_t len, enum pcol_encoding enc, size_t max,
                      const uint8_t **msg, size_t *msg_len, struct pcol_buf *scratch,
                      struct pcol_err *err);

/* ---- server side -------------------------------------------------------- */

/* Whether the request is gRPC: content-type application/grpc or
 * application/grpc+<subtype> (e.g. +proto). */
bool pcol_grpc_is_request(const struct pcol_http_request *req);

/* The request's grpc-encoding (absent: identity). PCOL_ENOTSUP for one we
 * cannot decode; answer UNIMPLEMENTED then (grpc-accept-encoding is sent). */
int pcol_grpc_request_encoding(const struct pcol_http_request *req, enum pcol_encoding *enc,
                               struct pcol_err *err);

/* Answers OK with one message (borrowed, copied, sent uncompressed). The
 * request is invalid afterwards; returns what pcol_http_respond() does. */
int pcol_grpc_respond(struct pcol_http_request *req, const uint8_t *msg, size_t len);

/* Answers `status` with `message` (one line, may be NULL) and no response
 * message, as a trailers-only response. `retry_delay_ms` > 0 adds a
 * google.rpc.RetryInfo in grpc-status-details-bin (use it with UNAVAILABLE
 * or RESOURCE_EXHAUSTED when the client should come back later). */
int pcol_grpc_respond_status(struct pcol_http_request *req, enum pcol_grpc_status status,
                             const char *message, uint64_t retry_delay_ms);

/* ---- client side -------------------------------------------------------- */

/* The outcome of a unary call. */
struct pcol_grpc_result {
    int status;                 /* enum pcol_grpc_status */
    char message[PCOL_ERR_MAX]; /* grpc-message, percent-decoded; may be cut short */
    const uint8_t *msg;         /* the response message (NULL if none); see parse */
    size_t msg_len;
    int64_t retry_delay_ms; /* RetryInfo's delay; -1 when the server sent none */
};

/* Reads a response: `http_status`, the response headers and trailers (names
 * lowercase; trailers-only responses carry grpc-status in the headers) and
 * the body. A non-200 status or a missing grpc-status becomes the status
 * the gRPC spec gives it (e.g. 503 UNAVAILABLE, missing UNKNOWN). The
 * message is unframed as pcol_grpc_unframe() does, honouring the response's
 * grpc-encoding; res->msg points into `body` or `scratch`. Returns 0 when
 * the response could be read (whatever its status), else PCOL_EINVAL,
 * PCOL_ERANGE or PCOL_ENOTSUP with res->status set to INTERNAL,
 * RESOURCE_EXHAUSTED or UNIMPLEMENTED. */
int pcol_grpc_parse_response(int http_status, const struct pcol_http_header *headers,
                             size_t n_headers, const struct pcol_http_header *trailers,
                             size_t n_trailers, const uint8_t *body, size_t len, size_t max,
                             struct pcol_buf *scratch, struct pcol_grpc_result *res,
                             struct pcol_err *err);

/* ---- header values ------------------------------------------------------ */

/* Parses a grpc-timeout value (1 to 8 digits and a unit H, M, S, m, u or n)
 * into nanoseconds (saturating). PCOL_EINVAL if malformed. */
int pcol_grpc_timeout_parse(const char *value, uint64_t *ns);

/* Formats `ms` (> 0) as a grpc-timeout value, e.g. "1500m", into out[16]. */
void pcol_grpc_timeout_format(uint64_t ms, char out[16]);

/* Appends `text` percent-encoded for grpc-message (bytes outside printable
 * ASCII and '%' become %XX), NUL-terminated. */
void pcol_grpc_message_encode(const char *text, struct pcol_buf *out);

/* Percent-decodes a grpc-message into out[size] (NUL-terminated, cut short
 * if needed). A malformed escape is kept as is, as gRPC requires. */
void pcol_grpc_message_decode(const char *value, char *out, size_t size);

/* Appends the base64 (unpadded) google.rpc.Status{code, message,
 * details: [Any{RetryInfo{retry_delay}}]} for grpc-status-details-bin,
 * NUL-terminated. */
void pcol_grpc_status_details_encode(enum pcol_grpc_status status, const char *message,
                                     uint64_t retry_delay_ms, struct pcol_buf *out);

/* Finds RetryInfo.retry_delay in a grpc-status-details-bin value (base64,
 * padded or not) and stores it in *delay_ms. PCOL_ENOENT if there is no
 * RetryInfo, PCOL_EINVAL if the value is malformed. */
int pcol_grpc_retry_info_decode(const char *value, int64_t *delay_ms);

#endif
