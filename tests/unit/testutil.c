/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.c: file helpers for the unit tests. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void tu_read_file(const char *path, struct pcol_buf *out)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f) {
        fail_msg("cannot open %s: %s", path, strerror(errno));
    }
    do {
        pcol_buf_reserve(out, 64 * 1024);
        n = fread(out->p + out->len, 1, out->cap - out->len, f);
        out->len += n;
    } while (n > 0);
    fclose(f);
}

const char *tu_corpus_path(const char *name)
{
    static char path[4096];

    snprintf(path, sizeof(path), "%s/%s", PCOL_CORPUS_DIR, name);
    return path;
}

void tu_read_corpus(const char *name, struct pcol_buf *out)
{
    tu_read_file(tu_corpus_path(name), out);
}

bool tu_has_diag(const struct pcol_diag *d, enum pcol_diag_severity sev, uint32_t line,
                 uint32_t col, const char *text)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        if (d->v[i].severity == sev && d->v[i].line == line && d->v[i].col == col &&
            strstr(d->v[i].msg, text)) {
            return true;
        }
    }
    pcol_diag_print(d, stderr);
    fprintf(stderr, "missing: %u:%u %s\n", line, col, text);
    return false;
}
