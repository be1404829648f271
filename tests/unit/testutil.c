/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.c: file helpers for the unit tests. */
#include "testutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
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

/* ---- certificates ------------------------------------------------------------ */

static char cert_dir[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

int tu_certs_make(void **state)
{
    (void)state;
    snprintf(cert_dir, sizeof(cert_dir), "/tmp/pcol-test-certs-XXXXXX");
    if (!mkdtemp(cert_dir)) {
        return -1;
    }
    return sh("cd %s && for ca in ca1 ca2; do openssl req -x509 -newkey ec "
              "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key -out $ca.crt -days 2 "
              "-subj /CN=$ca 2>/dev/null || exit 1; done && openssl req -newkey ec "
              "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr "
              "-subj /CN=localhost 2>/dev/null && echo subjectAltName=IP:127.0.0.1 >ext && "
              "openssl x509 -req -in server.csr -CA ca1.crt -CAkey ca1.key -CAcreateserial "
              "-out server.crt -days 2 -extfile ext 2>/dev/null",
              cert_dir) == 0
               ? 0
               : -1;
}

int tu_certs_remove(void **state)
{
    (void)state;
    return sh("rm -rf %s", cert_dir) == 0 ? 0 : -1;
}

const char *tu_cert(const char *name)
{
    static char path[4][128];
    static int i;

    i = (i + 1) % 4;
    snprintf(path[i], sizeof(path[i]), "%s/%s", cert_dir, name);
    return path[i];
}
