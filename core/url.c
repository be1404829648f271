/* SPDX-License-Identifier: Apache-2.0 */
/*
 * url.c: the shared endpoint and target URL parser (see url.h): scheme,
 * authority (host, bracketed IPv6, port) and the path left as written.
 */
#include "url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pcol_url_free(struct pcol_url *u)
{
    free(u->host);
    free(u->path);
    memset(u, 0, sizeof(*u));
}

/* A decimal port of n bytes, 1 to 65535. */
static int parse_port(const char *p, size_t n, uint16_t *port)
{
    unsigned long v = 0;
    size_t i;

    if (n == 0 || n > 5) {
        return PCOL_EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return PCOL_EINVAL;
        }
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v == 0 || v > 65535) {
        return PCOL_EINVAL;
    }
    *port = (uint16_t)v;
    return 0;
}

/* "host", "host:port", "[v6]" or "[v6]:port" (a, n bytes) into u. */
static int parse_authority(const char *a, size_t n, bool bare, struct pcol_url *u,
                           struct pcol_err *err)
{
    const char *host = a, *colon, *end = a + n;
    size_t host_len;

    if (memchr(a, '@', n)) {
        return pcol_err_set(err, PCOL_EINVAL, "credentials in the URL are not supported");
    }
    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (!close) {
            return pcol_err_set(err, PCOL_EINVAL, "missing ']' after the IPv6 address");
        }
        host = a + 1;
        host_len = (size_t)(close - host);
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (!colon && close + 1 != end) {
            return pcol_err_set(err, PCOL_EINVAL, "unexpected text after ']'");
        }
    } else {
        colon = memchr(a, ':', n);
        if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
            return pcol_err_set(err, PCOL_EINVAL, "write IPv6 addresses in brackets, e.g. %s",
                                bare ? "[::1]:8080" : "http://[::1]:8080");
        }
        host_len = colon ? (size_t)(colon - a) : n;
    }
    if (host_len == 0) {
        return pcol_err_set(err, PCOL_EINVAL, "no host");
    }
    if (colon && parse_port(colon + 1, (size_t)(end - colon - 1), &u->port) != 0) {
        return pcol_err_set(err, PCOL_EINVAL, "port must be a number from 1 to 65535");
    }
    u->has_port = colon != NULL;
    u->host = pcol_xcalloc(1, host_len + 1);
    memcpy(u->host, host, host_len);
    return 0;
}

int pcol_url_parse(const char *s, bool allow_bare_host_port, struct pcol_url *u,
                   struct pcol_err *err)
{
    const char *p = s, *path;
    int rc;

    memset(u, 0, sizeof(*u));
    if (!strncasecmp(p, "https://", 8)) {
        u->tls = true;
        p += 8;
    } else if (!strncasecmp(p, "http://", 7)) {
        p += 7;
    } else if (!allow_bare_host_port || strstr(p, "://")) {
        return pcol_err_set(err, PCOL_EINVAL, "%s",
                            allow_bare_host_port
                                ? "write host:port, or start with http:// or https://"
                                : "start with http:// or https://");
    }
    u->has_scheme = p != s;
    path = p + strcspn(p, "/?#");
    rc = parse_authority(p, (size_t)(path - p), allow_bare_host_port, u, err);
    if (rc == 0 && !u->has_scheme && !u->has_port) {
        rc = pcol_err_set(err, PCOL_EINVAL, "needs a port, e.g. %s:8080", u->host);
    }
    if (rc == 0 && strchr(path, '#')) {
        rc = pcol_err_set(err, PCOL_EINVAL, "a URL fragment ('#') is not allowed");
    }
    if (rc != 0) {
        pcol_url_free(u);
        return rc;
    }
    if (!u->has_port) {
        u->port = u->tls ? 443 : 80;
    }
    u->path = pcol_xstrdup(path);
    return 0;
}
