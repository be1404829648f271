/* SPDX-License-Identifier: Apache-2.0 */
/*
 * option_doc.c: an option table as text for people: the aligned table of
 * `profcol describe TYPE` and the Markdown table of docs/components.md, both
 * built from the same rows (name, type, default, range or allowed values,
 * help); SECRET defaults are never shown.
 *
 * Ownership: tables are borrowed; the rows are heap strings freed before
 * each call returns.
 */
#include "option_internal.h"

#include "buf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct doc_row {
    unsigned depth;
    char *cell[5]; /* name, type, default, range, help */
    bool literal_default;
};

struct doc {
    struct doc_row *v;
    size_t n, cap;
};

static const char *const doc_headers[5] = {"OPTION", "TYPE", "DEFAULT", "RANGE / VALUES",
                                           "DESCRIPTION"};

static char *doc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *doc_printf(const char *fmt, ...)
{
    va_list va;
    char *s;
    int n;

    va_start(va, fmt);
    n = vsnprintf(NULL, 0, fmt, va);
    va_end(va);
    s = pcol_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
    va_start(va, fmt);
    vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, va);
    va_end(va);
    return s;
}

static char *doc_range(const struct pcol_option *row)
{
    const char *unit = row->type == PCOL_OPT_STRING ? " chars"
                       : bounds_count(row->type)    ? " entries"
                                                    : "";
    char names[WHY_MAX];

    if (row->type == PCOL_OPT_ENUM && row->enum_names) {
        join_names(names, sizeof(names), row->enum_names, ", ");
        return doc_printf("%s", names);
    }
    if (row->min && row->max) {
        return doc_printf("%s .. %s%s", row->min, row->max, unit);
    }
    if (row->min || row->max) {
        return doc_printf("%s %s%s", row->min ? ">=" : "<=", row->min ? row->min : row->max, unit);
    }
    return doc_printf("%s", "");
}

static void doc_collect(struct doc *doc, const struct pcol_option *table, const char *prefix,
                        unsigned depth)
{
    char path[PATH_MAX_LEN];
    const struct pcol_option *row;

    for (row = table; row->name; row++) {
        struct doc_row *r;

        if (doc->n == doc->cap) {
            doc->cap = doc->cap ? doc->cap * 2 : 32;
            doc->v = pcol_xrealloc(doc->v, doc->cap * sizeof(*doc->v));
        }
        r = &doc->v[doc->n++];
        join_path(path, prefix, row->name);
        r->depth = depth;
        r->cell[0] = doc_printf("%s", path);
        r->cell[1] = doc_printf("%s", pcol__opt_type_name(row->type));
        r->literal_default = row->def && !(row->flags & (PCOL_OPT_SECRET | PCOL_OPT_REQUIRED));
        r->cell[2] = doc_printf("%s", (row->flags & PCOL_OPT_REQUIRED) ? "(required)"
                                      : !row->def                      ? ""
                                      : (row->flags & PCOL_OPT_SECRET) ? "(hidden)"
                                                                       : row->def);
        r->cell[3] = doc_range(row);
        r->cell[4] = doc_printf("%s%s%s", (row->flags & PCOL_OPT_DEPRECATED) ? "Deprecated: " : "",
                                row->help ? row->help : "",
                                (row->flags & PCOL_OPT_SECRET) ? " (secret)" : "");
        if (row->sub && row->type == PCOL_OPT_SECTION_LIST) {
            snprintf(path + strlen(path), sizeof(path) - strlen(path), "[]");
        }
        if (row->sub) {
            doc_collect(doc, row->sub, path, depth + 1);
        }
    }
}

static void doc_free(struct doc *doc)
{
    size_t i, c;

    for (i = 0; i < doc->n; i++) {
        for (c = 0; c < 5; c++) {
            free(doc->v[i].cell[c]);
        }
    }
    free(doc->v);
}

void pcol_options_describe(const struct pcol_option *table, FILE *out)
{
    struct doc doc = {0};
    size_t width[4], i, c;

    doc_collect(&doc, table, "", 0);
    for (c = 0; c < 4; c++) {
        width[c] = strlen(doc_headers[c]);
        for (i = 0; i < doc.n; i++) {
            size_t w = strlen(doc.v[i].cell[c]) + (c == 0 ? 2 * doc.v[i].depth : 0);

            width[c] = w > width[c] ? w : width[c];
        }
    }
    fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", (int)width[0], doc_headers[0], (int)width[1],
            doc_headers[1], (int)width[2], doc_headers[2], (int)width[3], doc_headers[3],
            doc_headers[4]);
    for (i = 0; i < doc.n; i++) {
        const struct doc_row *r = &doc.v[i];

        fprintf(out, "%*s%-*s  %-*s  %-*s  %-*s  %s\n", (int)(2 * r->depth), "",
                (int)(width[0] - 2 * r->depth), r->cell[0], (int)width[1], r->cell[1],
                (int)width[2], r->cell[2], (int)width[3], r->cell[3], r->cell[4]);
    }
    doc_free(&doc);
}

/* Names and literal defaults go in backticks; '|' would end the cell. */
static void md_cell(struct pcol_buf *out, const char *s, bool code)
{
    bool tick = code && *s;

    pcol_buf_puts(out, tick ? " `" : " ");
    for (; *s; s++) {
        if (*s == '|') {
            pcol_buf_putc(out, '\\');
        }
        pcol_buf_putc(out, *s);
    }
    pcol_buf_puts(out, tick ? "` |" : " |");
}

void pcol_options_markdown(const struct pcol_option *table, struct pcol_buf *out)
{
    struct doc doc = {0};
    size_t i;

    doc_collect(&doc, table, "", 0);
    pcol_buf_puts(out, "| Option | Type | Default | Range / values | Description |\n");
    pcol_buf_puts(out, "|---|---|---|---|---|\n");
    for (i = 0; i < doc.n; i++) {
        const struct doc_row *r = &doc.v[i];

        pcol_buf_putc(out, '|');
        md_cell(out, r->cell[0], true);
        md_cell(out, r->cell[1], false);
        md_cell(out, r->cell[2], r->literal_default);
        md_cell(out, r->cell[3], false);
        md_cell(out, r->cell[4], false);
        pcol_buf_putc(out, '\n');
    }
    doc_free(&doc);
}
