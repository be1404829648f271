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

/* Reads a whole file into `out` (appends). Fails the test if unreadable. */
void tu_read_file(const char *path, struct pcol_buf *out);
/* Reads PCOL_CORPUS_DIR/name into `out`. */
void tu_read_corpus(const char *name, struct pcol_buf *out);
/* Full path of a corpus file in a static buffer (valid until the next call). */
const char *tu_corpus_path(const char *name);

#endif
