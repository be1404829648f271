/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c: the `sampling` processor's policies: matching one profile against a policy's `match`,
 * first match wins, and the compile/validate steps for the policies' regexes.
 *
 * A match holds conditions that must all be true (an empty match matches
 * every profile):
 *   attributes   key -> text: the attribute (profile, then scope, then
 *                resource) exists and its value as text (true, 42, 1.5,
 *                strings as they are) equals the text; "*" only asks that it
 *                exists.
 *   regex        key -> pattern: the attribute exists and the pattern
 *                (pattern.h, unanchored) matches its text.
 *   sample_type  the profile's sample type string equals it exactly.
 *
 * Ownership: everything here borrows the batch; compiled regexes live in the
 * context's arena (sampling.h).
 */
#include "sampling.h"

#include <string.h>

/* `v` as NUL-terminated text in sp->text. */
static const char *value_text(struct sampling *sp, const struct pcol_batch *b,
                              const struct pcol_value *v)
{
    sp->text.len = 0;
    pcol_value_text(b, v, &sp->text);
    pcol_buf_putc(&sp->text, '\0');
    return (const char *)sp->text.p;
}

static bool matches(struct sampling *sp, const struct sampling_match *m, const struct pcol_batch *b,
                    const struct pcol_resource *r, const struct pcol_scope *s,
                    const struct pcol_profile *p)
{
    const struct pcol_value *v;
    size_t i;

    if (m->sample_type && strcmp(pcol_cstr(b, p->sample_type.type), m->sample_type) != 0) {
        return false;
    }
    for (i = 0; i < m->attributes.n; i++) {
        const struct pcol_str_pair *c = &m->attributes.v[i];
        if (!(v = pcol_attr_lookup_cstr(b, r, s, p, c->key))) {
            return false;
        }
        if (strcmp(c->value, "*") != 0 && strcmp(value_text(sp, b, v), c->value) != 0) {
            return false;
        }
    }
    for (i = 0; i < m->regex.n; i++) {
        if (!(v = pcol_attr_lookup_cstr(b, r, s, p, m->regex.v[i].key)) ||
            !pcol_regex_match(&m->res[i], value_text(sp, b, v))) {
            return false;
        }
    }
    return true;
}

enum sampling_action pcol__sampling_policy_action(struct sampling *sp, const struct pcol_batch *b,
                                                  const struct pcol_resource *r,
                                                  const struct pcol_scope *s,
                                                  const struct pcol_profile *p)
{
    const struct sampling_policy *pol = sp->policies.v;
    size_t i;

    for (i = 0; i < sp->policies.n; i++) {
        if (matches(sp, &pol[i].match, b, r, s, p)) {
            return (enum sampling_action)pol[i].action;
        }
    }
    return SAMPLING_SAMPLE;
}

int pcol__sampling_policies_init(struct sampling *sp, char *why, size_t why_len)
{
    struct sampling_policy *pol = sp->policies.v;
    size_t i, j;

    for (i = 0; i < sp->policies.n; i++) {
        struct sampling_match *m = &pol[i].match;
        m->res = pcol_arena_calloc(sp->arena, (m->regex.n + 1) * sizeof(*m->res));
        for (j = 0; j < m->regex.n; j++) {
            if (pcol_regex_compile(&m->res[j], m->regex.v[j].value, sp->arena, why, why_len)) {
                return PCOL_EINVAL;
            }
        }
    }
    return 0;
}

static bool match_is_empty(const struct sampling_match *m)
{
    return !m->sample_type && m->attributes.n == 0 && m->regex.n == 0;
}

void pcol__sampling_policies_validate(const struct pcol_section_list *policies,
                                      const struct pcol_cfg_node *node, struct pcol_diag *diag)
{
    const struct pcol_cfg_node *list = pcol_cfg_get(node, "policies");
    const struct sampling_policy *pol = policies->v;
    struct pcol_arena *a = pcol_arena_create(0);
    char why[256];
    size_t i, j;

    for (i = 0; i < policies->n; i++) {
        const struct pcol_cfg_node *item =
            list && list->kind == PCOL_NODE_SEQUENCE && i < list->count ? list->items[i] : NULL;
        const struct pcol_cfg_node *re = pcol_cfg_get(pcol_cfg_get(item, "match"), "regex");
        const struct sampling_match *m = &pol[i].match;

        for (j = 0; j < m->regex.n; j++) {
            /* The arena frees the program through this pointer: it lives there. */
            struct pcol_regex *r = pcol_arena_calloc(a, sizeof(*r));
            const struct pcol_cfg_node *at =
                re && re->kind == PCOL_NODE_MAPPING && j < re->count ? re->pairs[j].value : item;
            if (pcol_regex_compile(r, m->regex.v[j].value, a, why, sizeof(why)) != 0) {
                pcol_diag_add(diag, at, "option \"policies[%zu].match.regex.%s\": %s", i,
                              m->regex.v[j].key, why);
            }
        }
        /* Every profile stops at a policy whose match is empty. */
        if (match_is_empty(m) && i + 1 < policies->n) {
            pcol_diag_warn(diag, list && i + 1 < list->count ? list->items[i + 1] : NULL,
                           "policies[%zu] never applies: policies[%zu] before it has an empty "
                           "match, which every profile matches",
                           i + 1, i);
        }
    }
    pcol_arena_destroy(a);
}
