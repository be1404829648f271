/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testutil.h: helpers shared by the unit tests: reading corpus and test-data
 * files. Tests reference the corpus by the path CMake passes in
 * (PCOL_CORPUS_DIR); nothing from it is copied into the project.
 */
#ifndef PCOL_TESTUTIL_H
#define PCOL_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"

/* Reads a whole file into `out` (appends). Fails the test if unreadable. */
void tu_read_file(const char *path, struct pcol_buf *out);
/* Reads PCOL_CORPUS_DIR/name into `out`. */
void tu_read_corpus(const char *name, struct pcol_buf *out);
/* Full path of a corpus file in a static buffer (valid until the next call). */
const char *tu_corpus_path(const char *name);

/* Whether `d` holds a message of severity `sev` at line:col containing
 * `text`; prints every message when it does not. */
bool tu_has_diag(const struct pcol_diag *d, enum pcol_diag_severity sev, uint32_t line,
                 uint32_t col, const char *text);
#define ASSERT_ERROR(d, line, col, text)                                                           \
    assert_true(tu_has_diag((d), PCOL_DIAG_ERROR, (line), (col), (text)))
#define ASSERT_WARNING(d, line, col, text)                                                         \
    assert_true(tu_has_diag((d), PCOL_DIAG_WARNING, (line), (col), (text)))

/* Certificates for TLS tests, made once per test binary by the `openssl`
 * CLI in a scratch directory: two CAs (ca1, ca2: .crt and .key) and
 * server.crt / server.key for 127.0.0.1 signed by ca1. Use the two hooks
 * as cmocka group setup and teardown; tu_cert() gives a file's path (four
 * results stay valid at once). */
int tu_certs_make(void **state);
int tu_certs_remove(void **state);
const char *tu_cert(const char *name);

#endif
