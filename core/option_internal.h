/* SPDX-License-Identifier: Apache-2.0 */
/*
 * option_internal.h: what the three files of the option engine share and
 * nobody else may use: option.c (per-type facts, apply, table self-check),
 * option_parse.c (scalar text -> value) and option_doc.c (describe and
 * Markdown). Values parsed here are allocated in the arena of the caller.
 */
#ifndef PCOL_OPTION_INTERNAL_H
#define PCOL_OPTION_INTERNAL_H

#include "option.h"

#include <stdio.h>

#define PATH_MAX_LEN 256
#define WHY_MAX 200 /* size of every `why` buffer */

/* ---- defined in option_parse.c: return false and say why ----------------- */

bool pcol__opt_parse_bool(const char *s, bool *out, char *why);
bool pcol__opt_parse_int(const char *s, int64_t *out, char *why);
bool pcol__opt_parse_uint(const char *s, uint64_t *out, char *why);
bool pcol__opt_parse_double(const char *s, double *out, char *why);
bool pcol__opt_parse_duration(const char *s, int64_t *out, char *why);
bool pcol__opt_parse_size(const char *s, uint64_t *out, char *why);
bool pcol__opt_parse_endpoint(const char *s, struct pcol_arena *a, struct pcol_endpoint *out,
                              char *why);

/* ---- defined in option.c -------------------------------------------------- */

/* The type's name for describe; "?" for a type the engine does not know. */
const char *pcol__opt_type_name(enum pcol_opt_type t);

/* ---- small helpers --------------------------------------------------------- */

/* Types whose min/max bound a length or a count rather than the value. */
static inline bool bounds_count(enum pcol_opt_type t)
{
    return t == PCOL_OPT_STRING || t == PCOL_OPT_STRING_LIST || t == PCOL_OPT_STRING_MAP ||
           t == PCOL_OPT_SECTION_LIST || t == PCOL_OPT_REGEX_LIST;
}

static inline void join_path(char *out, const char *prefix, const char *name)
{
    snprintf(out, PATH_MAX_LEN, "%s%s%s", prefix, *prefix ? "." : "", name);
}

static inline void join_names(char *out, size_t n, const char *const *names, const char *sep)
{
    size_t used = 0;

    out[0] = '\0';
    for (; *names && used < n; names++) {
        used += (size_t)snprintf(out + used, n - used, "%s%s", used ? sep : "", *names);
    }
}

#endif
