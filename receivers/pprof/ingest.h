/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.h: the pure parts of the pprof receiver (receivers/pprof/), kept
 * apart from the HTTP plumbing in pprof.c so they can be unit-tested:
 *
 *   ingest.c  the Pyroscope `/ingest` query (name{tags}, from/until,
 *             sampleRate, format selection), multipart/form-data, a JSON
 *             syntax check, and labelling a decoded batch;
 *   text.c    the folded ("collapsed") and lines text formats -> the model,
 *             and the app-name suffix -> sample type table.
 *
 * The rules follow Pyroscope's server (see docs in pprof.c). Everything here
 * is thread-safe: the receiver runs it on the thread pool for large bodies.
 *
 * Ownership: functions borrow their arguments; results that own memory say
 * so and have a matching _free().
 */
#ifndef PCOL_PPROF_INGEST_H
#define PCOL_PPROF_INGEST_H

#include "profile.h"

/* ---- `name=app{key=value,...}` ---------------------------------------------- */

struct pcol_pyro_tag {
    const char *key;
    const char *value;
};

struct pcol_pyro_name {
    char *buf;                  /* owns the text `app` and the tags point into */
    const char *app;            /* trimmed, never empty */
    struct pcol_pyro_tag *tags; /* heap array, file order, later duplicates replace */
    size_t n_tags;
};

/* Parses a Pyroscope application name with optional tags. Text after the
 * closing '}' is ignored, as Pyroscope does. On error `out` owns nothing and
 * `err` starts with "name: ". */
int pcol_pyro_parse_name(const char *s, struct pcol_pyro_name *out, struct pcol_err *err);
void pcol_pyro_name_free(struct pcol_pyro_name *n);

/* ---- other query parameters ---------------------------------------------------- */

/* `from`/`until`: digits by count (8 = YYYYMMDD UTC, 13 = ms, 16 = us,
 * 19 = ns, any other count = seconds), or `now`, `now-1h`, `now+30m` (units
 * s, m, h, d, w). Writes Unix nanoseconds. */
int pcol_pyro_parse_time(const char *s, uint64_t now_ns, uint64_t *out_ns, struct pcol_err *err);

#define PCOL_PYRO_DEFAULT_SAMPLE_RATE 100

/* `sampleRate`: a decimal in 0..1e9; anything else (absent, negative,
 * garbage) gives the default, as Pyroscope does. */
int64_t pcol_pyro_sample_rate(const char *s);

enum pcol_pyro_format {
    PCOL_PYRO_FOLDED,      /* "frame;frame;frame count" lines (the default) */
    PCOL_PYRO_LINES,       /* "frame;frame;frame" lines, identical lines counted */
    PCOL_PYRO_PPROF,       /* the body is a pprof, raw or gzip */
    PCOL_PYRO_MULTIPART,   /* multipart/form-data with a `profile` part */
    PCOL_PYRO_UNSUPPORTED, /* trie, tree, jfr, speedscope */
};

/* The body format from the `format` parameter and the Content-Type (both may
 * be NULL), first match wins: trie, tree, lines, jfr, pprof, speedscope,
 * multipart Content-Type, else folded. For UNSUPPORTED `*name` says which. */
enum pcol_pyro_format pcol_pyro_select_format(const char *format, const char *content_type,
                                              const char **name);

/* ---- multipart/form-data ------------------------------------------------------- */

#define PCOL_MULTIPART_MAX_BOUNDARY 200
#define PCOL_MULTIPART_MAX_NAME 255

struct pcol_multipart_part {
    char name[PCOL_MULTIPART_MAX_NAME + 1]; /* Content-Disposition name, "" if none */
    bool is_file;                           /* it has a filename (a file part) */
    const uint8_t *data;                    /* borrowed from the body */
    size_t len;
};

struct pcol_multipart {
    struct pcol_multipart_part *v; /* heap array */
    size_t n;
};

/* Copies the `boundary` parameter of a multipart Content-Type (quoted or
 * not) into out[PCOL_MULTIPART_MAX_BOUNDARY + 1]. */
int pcol_multipart_boundary(const char *content_type, char *out, struct pcol_err *err);

/* Splits `body` (borrowed; the parts point into it) into its parts. Lines
 * may end in CRLF or LF; the preamble and epilogue are skipped; a body
 * without the closing delimiter is an error. */
int pcol_multipart_parse(const uint8_t *body, size_t len, const char *boundary,
                         struct pcol_multipart *out, struct pcol_err *err);
void pcol_multipart_free(struct pcol_multipart *m);

/* The first part called `name`, or NULL. */
const struct pcol_multipart_part *pcol_multipart_find(const struct pcol_multipart *m,
                                                      const char *name);

/* Checks that p[0..n) is one JSON value (RFC 8259 syntax, nesting <= 64). */
int pcol_json_check(const uint8_t *p, size_t n, struct pcol_err *err);

/* ---- labelling a decoded batch --------------------------------------------------- */

#define PCOL_PYRO_ATTR_SPY "pyroscope.spy"

/* Sets resource attributes on resources[first..] of `b`: `service.name` =
 * service[0..service_len), every tag (string), and `pyroscope.spy` = spy
 * when spy is not NULL. They replace attributes of the same key. */
void pcol_pyro_label(struct pcol_batch *b, uint32_t first, const char *service, size_t service_len,
                     const struct pcol_pyro_name *name, const char *spy);

/* For profiles of resources[first..] without a real time (before 1971):
 * time = from and, when their duration is 0, duration = until - from. */
void pcol_pyro_fill_times(struct pcol_batch *b, uint32_t first, uint64_t from, uint64_t until);

/* ---- text formats (text.c) --------------------------------------------------------- */

/* What the text formats produce for one app-name suffix. */
struct pcol_pyro_sample_type {
    const char *type;        /* sample type, e.g. "cpu" */
    const char *unit;        /* e.g. "nanoseconds" */
    const char *period_type; /* NULL: no period */
    const char *period_unit;
    int64_t period; /* each count is multiplied by this (1 without a period) */
};

/* Splits an app name at its last '.': returns the suffix ("" when there is
 * no dot) and writes the length of the service name before it. */
const char *pcol_pyro_app_suffix(const char *app, size_t *service_len);

/* The sample type for a suffix and sampleRate, following Pyroscope's table:
 * "", cpu, itimer -> cpu/nanoseconds; wall and the time units ->
 * wall/nanoseconds (both samples/count when the rate is 0); memory, mutex,
 * block, lock, goroutines, exceptions, bytes and the JFR allocation types
 * as named. Unknown suffix: PCOL_EINVAL. */
int pcol_pyro_text_sample_type(const char *suffix, int64_t sample_rate,
                               struct pcol_pyro_sample_type *out, struct pcol_err *err);

/* Parses folded text (`lines` false: "a;b;c 12", split at the last space,
 * lines without a space skipped) or lines text (`lines` true: "a;b;c", each
 * line counts 1). Stacks are root first in the text and leaf first in the
 * model. Identical stacks become one sample. Appends one resource with one
 * scope and one profile of type `st` to `b`, unless there are no samples
 * (then `b` is unchanged). Empty frames are skipped. */
int pcol_pyro_parse_text(struct pcol_batch *b, bool lines, const uint8_t *p, size_t n,
                         const struct pcol_pyro_sample_type *st, struct pcol_err *err);

#endif
