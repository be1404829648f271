/* SPDX-License-Identifier: Apache-2.0 */
/*
 * url.h: the one parser of endpoint and target URLs that exporters and
 * receivers share: http:// or https:// (either case), or, where a caller
 * allows it, a bare "host:port"; a host name or an IPv6 address in
 * brackets; a port from 1 to 65535, 80 or 443 by default; the rest (path
 * and query) kept as written. Fragments and credentials are refused.
 *
 * Each component keeps its own rules on top (gRPC takes no path, a scrape
 * target takes no query, ...) and puts the URL in front of the reason.
 */
#ifndef PCOL_URL_H
#define PCOL_URL_H

#include "common.h"

/* A URL taken apart. Heap strings; free with pcol_url_free. */
struct pcol_url {
    char *host;      /* without brackets */
    uint16_t port;   /* as written, else 443 with https://, else 80 */
    bool tls;        /* https:// */
    bool has_scheme; /* false only for a bare host:port */
    bool has_port;   /* the port was written */
    char *path;      /* after the authority: "" or starting with '/' or '?' */
};

/* Parses `s` into `u`. With `allow_bare_host_port` a URL without scheme is
 * taken as "host:port" (a port is then required, tls is false). Returns 0,
 * or PCOL_EINVAL with the reason (without the URL) in `err` and `u`
 * zeroed. */
int pcol_url_parse(const char *s, bool allow_bare_host_port, struct pcol_url *u,
                   struct pcol_err *err);
void pcol_url_free(struct pcol_url *u);

#endif
