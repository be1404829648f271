/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.h: what every profcol source file needs: error codes, the error
 * message carrier, aborting allocators and a few small macros.
 *
 * Errors are 0 or a negative PCOL_E* code. Functions that can fail for a
 * reason a user must read (bad input, bad config) also fill a caller-owned
 * `struct pcol_err` with one line of text. Allocation failure is not an
 * error: pcol_xmalloc() and friends abort, as h2o and Redis do; memory is
 * bounded by byte budgets, not by NULL checks.
 */
#ifndef PCOL_COMMON_H
#define PCOL_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum {
    PCOL_OK = 0,
    PCOL_EINVAL = -22,  /* malformed input: bad bytes, bad index, bad value */
    PCOL_ERANGE = -34,  /* input over a configured limit */
    PCOL_ENOTSUP = -95, /* well-formed but not supported (e.g. legacy pprof) */
    PCOL_EIO = -5,      /* file or socket error; errno-style detail in the message */
    PCOL_ENOENT = -2,   /* named thing does not exist */
    PCOL_EBUSY = -16,   /* over a memory budget or queue limit: try again later */
};

#define PCOL_ERR_MAX 256

/* One line of human-readable reason, owned by whoever declared it. */
struct pcol_err {
    char msg[PCOL_ERR_MAX];
};

/* Formats the reason into `err` (may be NULL) and returns `code`, so callers
 * can write `return pcol_err_set(err, PCOL_EINVAL, "...", ...);`. If `err`
 * already holds a reason the new text is prefixed to it ("outer: inner"). */
int pcol_err_set(struct pcol_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like pcol_err_set but keeps what is there and puts `fmt` in front. */
int pcol_err_wrap(struct pcol_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *pcol_strerror(int code);

void *pcol_xmalloc(size_t n);
void *pcol_xcalloc(size_t n, size_t size);
void *pcol_xrealloc(void *p, size_t n);
char *pcol_xstrdup(const char *s);
void pcol_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Value of one hex digit (either case), or -1. */
static inline int pcol_hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Writes `n` bytes as 2n lowercase hex digits (no NUL) to `out`. */
static inline void pcol_hex_encode(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
}

#define PCOL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PCOL_CONTAINER_OF(ptr, type, member)                                                       \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#define PCOL_UNUSED(x) ((void)(x))
#define PCOL_LIKELY(x) __builtin_expect(!!(x), 1)
#define PCOL_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif
