/* SPDX-License-Identifier: Apache-2.0 */
/* buf.c: growth and formatting for struct pcol_buf. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void pcol_buf_reserve(struct pcol_buf *b, size_t more)
{
    size_t want = b->len + more, cap = b->cap ? b->cap : 256;

    if (want <= b->cap) {
        return;
    }
    while (cap < want) {
        cap *= 2;
    }
    b->p = pcol_xrealloc(b->p, cap);
    b->cap = cap;
}

void pcol_buf_free(struct pcol_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void pcol_buf_printf(struct pcol_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    pcol_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pcol_buf_json_string(struct pcol_buf *out, const char *s)
{
    char hex[2];

    pcol_buf_putc(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            pcol_buf_putc(out, '\\');
            pcol_buf_putc(out, (char)c);
        } else if (c < 0x20) {
            pcol_hex_encode(hex, &c, 1);
            pcol_buf_puts(out, "\\u00");
            pcol_buf_append(out, hex, 2);
        } else {
            pcol_buf_putc(out, (char)c);
        }
    }
    pcol_buf_putc(out, '"');
}
