/* SPDX-License-Identifier: Apache-2.0 */
/* common.c: error text helpers and the aborting allocators. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pcol_err_set(struct pcol_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err) {
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

int pcol_err_wrap(struct pcol_err *err, int code, const char *fmt, ...)
{
    char head[PCOL_ERR_MAX], tail[PCOL_ERR_MAX];
    size_t n;
    va_list ap;

    if (!err) {
        return code;
    }
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    memcpy(tail, err->msg, sizeof(tail));
    /* head, then ": " and the old reason, truncated to fit. */
    n = strlen(head);
    memcpy(err->msg, head, n + 1);
    if (tail[0] && n + 2 < sizeof(err->msg)) {
        memcpy(err->msg + n, ": ", 2);
        n += 2;
        strncpy(err->msg + n, tail, sizeof(err->msg) - n - 1);
        err->msg[sizeof(err->msg) - 1] = '\0';
    }
    return code;
}

const char *pcol_strerror(int code)
{
    switch (code) {
    case PCOL_OK: return "ok";
    case PCOL_EINVAL: return "invalid input";
    case PCOL_ERANGE: return "over limit";
    case PCOL_ENOTSUP: return "not supported";
    case PCOL_EIO: return "i/o error";
    case PCOL_ENOENT: return "not found";
    case PCOL_EBUSY: return "busy, try again later";
    default: return "error";
    }
}

void pcol_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("profcol: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void *pcol_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (PCOL_UNLIKELY(!p)) {
        pcol_fatal("out of memory allocating %zu bytes", n);
    }
    return p;
}

void *pcol_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (PCOL_UNLIKELY(!p)) {
        pcol_fatal("out of memory allocating %zu x %zu bytes", n, size);
    }
    return p;
}

void *pcol_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (PCOL_UNLIKELY(!q)) {
        pcol_fatal("out of memory reallocating %zu bytes", n);
    }
    return q;
}

char *pcol_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(pcol_xmalloc(n), s, n);
}
