/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_peer.h: what a network exporter keeps to reach its server: the one
 * HTTP client (http_client.h), the TLS context of an https:// endpoint,
 * and the stop handshake (close every connection, then say stopped). The
 * otlp, otlp_http and pyroscope exporters embed one and call these from
 * their start, stop and destroy hooks.
 *
 * Ownership: the peer owns its client and TLS context; everything runs on
 * the loop thread.
 */
#ifndef PCOL_HTTP_PEER_H
#define PCOL_HTTP_PEER_H

#include "component.h"
#include "http_client.h"
#include "tls.h"

struct pcol_http_peer {
    struct pcol_http_client *client; /* NULL before start and once stopping */
    struct pcol_tls_ctx *tls;        /* NULL: plain text */
    struct pcol_instance *inst;
    pcol_stop_cb stop_done;
    char who[96]; /* "exporter otlp/x", the client's log prefix */
};

/* Makes the TLS context when `use_tls` (an https:// endpoint means TLS
 * whatever tls.insecure says), offering `alpn`, then the client with `opts`
 * (its log_who is set here). Logs and returns PCOL_EINVAL when the TLS
 * files do not load. */
int pcol_http_peer_start(struct pcol_http_peer *p, struct pcol_instance *inst, bool use_tls,
                         const struct pcol_tls_settings *tls, const char *const *alpn,
                         struct pcol_http_client_opts opts);
/* Closes the client (requests in flight fail), then done(inst) once. */
void pcol_http_peer_stop(struct pcol_http_peer *p, struct pcol_instance *inst, pcol_stop_cb done);
/* Frees what start made; safe after a failed or no start. */
void pcol_http_peer_destroy(struct pcol_http_peer *p);

#endif
