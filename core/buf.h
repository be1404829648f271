/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h: a growable heap byte buffer for encoders and I/O. The buffer owns
 * its bytes; pcol_buf_free() releases them. Growth aborts on OOM.
 */
#ifndef PCOL_BUF_H
#define PCOL_BUF_H

#include "common.h"

#include <string.h>

struct pcol_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

void pcol_buf_reserve(struct pcol_buf *b, size_t more);
void pcol_buf_free(struct pcol_buf *b);
void pcol_buf_printf(struct pcol_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends `s` as a quoted JSON string (quotes, backslashes and control
 * characters escaped; other bytes as they are). */
void pcol_buf_json_string(struct pcol_buf *b, const char *s);

static inline void pcol_buf_append(struct pcol_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        pcol_buf_reserve(b, n);
    }
    if (n) {
        memcpy(b->p + b->len, p, n);
    }
    b->len += n;
}

static inline void pcol_buf_putc(struct pcol_buf *b, char c)
{
    if (b->cap == b->len) {
        pcol_buf_reserve(b, 1);
    }
    b->p[b->len++] = (uint8_t)c;
}

static inline void pcol_buf_puts(struct pcol_buf *b, const char *s)
{
    pcol_buf_append(b, s, strlen(s));
}

#endif
