/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag.c: the diagnostics list every config stage reports into (collected,
 * then printed sorted by file and position) and the "did you mean" finder
 * that names the nearest known key. The API is declared in config.h.
 *
 * Ownership: a `struct pcol_diag` owns heap copies of its file names and
 * messages until pcol_diag_free(); pcol_suggest borrows its strings.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUGGEST_MAX 64 /* longer words get no suggestion */

/* ---- diagnostics ----------------------------------------------------------- */

static void diag_vadd(struct pcol_diag *d, enum pcol_diag_severity sev, const char *file,
                      uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
    struct pcol_diag_entry *e;
    char small[256];
    va_list copy;
    int n;
    char *p;

    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = pcol_xrealloc(d->v, d->cap * sizeof(*d->v));
    }
    e = &d->v[d->n++];
    /* Most messages fit the stack buffer; longer ones are formatted twice. */
    va_copy(copy, ap);
    n = vsnprintf(small, sizeof(small), fmt, copy);
    va_end(copy);
    if (n < 0) {
        n = 0;
        small[0] = '\0';
    }
    e->msg = pcol_xmalloc((size_t)n + 1);
    if ((size_t)n < sizeof(small)) {
        memcpy(e->msg, small, (size_t)n + 1);
    } else {
        vsnprintf(e->msg, (size_t)n + 1, fmt, ap);
    }
    /* Messages quote user text; keep each one on one line. */
    for (p = e->msg; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = ' ';
        }
    }
    e->severity = sev;
    e->file = file ? pcol_xstrdup(file) : NULL;
    e->line = line;
    e->col = col;
    if (sev == PCOL_DIAG_ERROR) {
        d->errors++;
    } else {
        d->warnings++;
    }
}

void pcol_diag_add(struct pcol_diag *d, const struct pcol_cfg_node *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vadd(d, PCOL_DIAG_ERROR, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, fmt,
              ap);
    va_end(ap);
}

void pcol_diag_warn(struct pcol_diag *d, const struct pcol_cfg_node *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vadd(d, PCOL_DIAG_WARNING, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, fmt,
              ap);
    va_end(ap);
}

void pcol_diag_at(struct pcol_diag *d, enum pcol_diag_severity sev, const char *file, uint32_t line,
                  uint32_t col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vadd(d, sev, file, line, col, fmt, ap);
    va_end(ap);
}

struct diag_order {
    size_t file_rank, index;
    uint32_t line, col;
};

static int diag_order_cmp(const void *pa, const void *pb)
{
    const struct diag_order *a = pa, *b = pb;

    if (a->file_rank != b->file_rank) {
        return a->file_rank < b->file_rank ? -1 : 1;
    }
    if (a->line != b->line) {
        return a->line < b->line ? -1 : 1;
    }
    if (a->col != b->col) {
        return a->col < b->col ? -1 : 1;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Messages without a file rank first; files rank by first appearance. */
static size_t diag_file_rank(const struct pcol_diag *d, size_t i)
{
    size_t j;

    if (!d->v[i].file) {
        return 0;
    }
    for (j = 0; j < i; j++) {
        if (d->v[j].file && strcmp(d->v[j].file, d->v[i].file) == 0) {
            return j + 1;
        }
    }
    return i + 1;
}

void pcol_diag_print(const struct pcol_diag *d, FILE *out)
{
    struct diag_order *ord;
    size_t i;

    if (!d->n) {
        return;
    }
    ord = pcol_xcalloc(d->n, sizeof(*ord));
    for (i = 0; i < d->n; i++) {
        ord[i] = (struct diag_order){diag_file_rank(d, i), i, d->v[i].line, d->v[i].col};
    }
    qsort(ord, d->n, sizeof(*ord), diag_order_cmp);
    for (i = 0; i < d->n; i++) {
        const struct pcol_diag_entry *e = &d->v[ord[i].index];
        const char *sev = e->severity == PCOL_DIAG_ERROR ? "error" : "warning";

        if (e->file && e->line) {
            fprintf(out, "%s:%u:%u: %s: %s\n", e->file, e->line, e->col, sev, e->msg);
        } else if (e->file) {
            fprintf(out, "%s: %s: %s\n", e->file, sev, e->msg);
        } else {
            fprintf(out, "%s: %s\n", sev, e->msg);
        }
    }
    free(ord);
}

void pcol_diag_free(struct pcol_diag *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    memset(d, 0, sizeof(*d));
}

/* ---- did you mean ----------------------------------------------------------- */

/* Optimal-string-alignment distance (Levenshtein plus adjacent swaps),
 * ignoring ASCII case; both lengths are at most SUGGEST_MAX. */
static size_t osa_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t rows[3][SUGGEST_MAX + 1];
    size_t *pp = rows[0], *p = rows[1], *c = rows[2], *t;
    size_t i, j;

    for (j = 0; j <= lb; j++) {
        p[j] = j;
    }
    for (i = 1; i <= la; i++) {
        c[0] = i;
        for (j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = p[j - 1] + (ca != cb);

            if (p[j] + 1 < best) {
                best = p[j] + 1;
            }
            if (c[j - 1] + 1 < best) {
                best = c[j - 1] + 1;
            }
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < best) {
                best = pp[j - 2] + 1;
            }
            c[j] = best;
        }
        t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb];
}

void pcol_suggest_init(struct pcol_suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->best_dist = 0;
}

void pcol_suggest_add(struct pcol_suggest *s, const char *candidate)
{
    size_t lw = strlen(s->word), lc = strlen(candidate);
    size_t limit = lw / 3 > 2 ? lw / 3 : 2;
    size_t dist;

    if (lw > SUGGEST_MAX || lc > SUGGEST_MAX || (lw > lc ? lw - lc : lc - lw) > limit) {
        return;
    }
    dist = osa_distance(s->word, lw, candidate, lc);
    /* A match that rewrites the whole word is no suggestion. */
    if (dist > limit || dist >= lw) {
        return;
    }
    if (!s->best || dist < s->best_dist) {
        s->best = candidate;
        s->best_dist = dist;
    }
}
