/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resource_config.c: the `resource` processor's option tables (their help
 * sentences are the user documentation), the cross-field checks of
 * validate(), and the typing of `value` scalars (42 int, 1.5 double, true
 * bool, anything quoted a string).
 *
 * Ownership: the tables are static. validate() borrows the parsed context
 * and the config nodes and only adds messages to the diagnostics.
 */
#include "resource.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = {"insert", "update",  "upsert",  "delete",
                                           "hash",   "extract", "convert", NULL};
static const char *const target_names[] = {"resource", "scope", "profile", "sample", NULL};
static const char *const type_names[] = {"int", "double", "string", "bool", NULL};
static const char *const detector_names[] = {"env", "system", "kubernetes", NULL};

#define ACT(f) offsetof(struct pcol__res_action_cfg, f)
#define K8S(f) offsetof(struct pcol__res_kubernetes, f)

static const struct pcol_option action_options[] = {
    {"action", PCOL_OPT_ENUM, ACT(action), NULL, NULL, NULL, action_names, PCOL_OPT_REQUIRED, NULL,
     0,
     "What to do, with the collector's semantics: insert (only if the key is absent), update "
     "(only if present), upsert (either), delete, hash (the value's text becomes its SHA-1 in "
     "hex; both by key and/or pattern), extract "
     "(named groups of pattern, matched on the key's value, become attributes), convert "
     "(to converted_type)."},
    {"key", PCOL_OPT_STRING, ACT(key), NULL, "1", NULL, NULL, 0, NULL, 0,
     "The attribute the action works on (for extract: the one whose value is matched)."},
    {"value", PCOL_OPT_SCALAR, ACT(value), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "insert/update/upsert: the value to set, typed as YAML reads it: 42 is an int, 1.5 a "
     "double, true a bool, anything quoted (\"42\") a string."},
    {"from_attribute", PCOL_OPT_STRING, ACT(from_attribute), NULL, "1", NULL, NULL, 0, NULL, 0,
     "insert/update/upsert: copy the value (and unit) of this other attribute of the same "
     "target instead; nothing happens when it is absent."},
    {"pattern", PCOL_OPT_REGEX, ACT(pattern), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "delete/hash: also act on every attribute whose key matches this regular expression; "
     "extract: the expression matched on the value, each (?P<name>...) group becoming "
     "attribute `name` (unanchored, as in the collector)."},
    {"converted_type", PCOL_OPT_ENUM, ACT(converted_type), NULL, NULL, NULL, type_names, 0, NULL, 0,
     "convert: the new type; a value that does not convert (\"abc\" to int) is left as it "
     "is."},
    {"target", PCOL_OPT_ENUM, ACT(target), "resource", NULL, NULL, target_names, 0, NULL, 0,
     "Which attributes the action works on: resource, scope, profile, or sample (pprof "
     "labels arrive as sample attributes)."},
    {0},
};

static const struct pcol_option kubernetes_options[] = {
    {"pod_name", PCOL_OPT_STRING, K8S(pod_name), "K8S_POD_NAME", "1", NULL, NULL, 0, NULL, 0,
     "Environment variable holding k8s.pod.name (downward API metadata.name)."},
    {"namespace", PCOL_OPT_STRING, K8S(namespace_name), "K8S_NAMESPACE", "1", NULL, NULL, 0, NULL,
     0, "Environment variable holding k8s.namespace.name (metadata.namespace)."},
    {"node_name", PCOL_OPT_STRING, K8S(node_name), "K8S_NODE_NAME", "1", NULL, NULL, 0, NULL, 0,
     "Environment variable holding k8s.node.name (spec.nodeName)."},
    {"container_name", PCOL_OPT_STRING, K8S(container_name), "K8S_CONTAINER_NAME", "1", NULL, NULL,
     0, NULL, 0, "Environment variable holding k8s.container.name."},
    {"pod_uid", PCOL_OPT_STRING, K8S(pod_uid), "K8S_POD_UID", "1", NULL, NULL, 0, NULL, 0,
     "Environment variable holding k8s.pod.uid (metadata.uid)."},
    {0},
};

const struct pcol_option pcol__res_options[] = {
    {"attributes", PCOL_OPT_SECTION_LIST, offsetof(struct pcol__res_ctx, attributes), NULL, NULL,
     NULL, NULL, 0, action_options, sizeof(struct pcol__res_action_cfg),
     "Actions run in order on every batch, after the detected attributes were added; each "
     "names its target (resource by default)."},
    {"detectors", PCOL_OPT_STRING_LIST, offsetof(struct pcol__res_ctx, detectors), NULL, NULL, NULL,
     NULL, 0, NULL, 0,
     "Resource detectors run once at start, in order, earlier ones winning: env "
     "(OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME), system (host.name, host.arch, os.type), "
     "kubernetes (k8s.* from the variables under `kubernetes`)."},
    {"override", PCOL_OPT_BOOL, offsetof(struct pcol__res_ctx, override), "true", NULL, NULL, NULL,
     0, NULL, 0,
     "Whether detected attributes replace ones a resource already has (false keeps them)."},
    {"kubernetes", PCOL_OPT_SECTION, offsetof(struct pcol__res_ctx, kubernetes), NULL, NULL, NULL,
     NULL, 0, kubernetes_options, 0,
     "Names of the downward-API environment variables the kubernetes detector reads; unset "
     "or empty variables are skipped."},
    {0},
};

/* ---- typed values ------------------------------------------------------------- */

static bool is_bool(const char *s, bool *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        *out = true;
        return true;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        *out = false;
        return true;
    }
    return false;
}

/* YAML 1.2 core schema: [-+]?[0-9]+ or 0x[0-9a-fA-F]+. */
static bool looks_int(const char *s, int *base)
{
    const char *p = s;

    if (p[0] == '0' && p[1] == 'x' && p[2]) {
        for (p += 2; *p; p++) {
            if (pcol_hex_value(*p) < 0) {
                return false;
            }
        }
        *base = 16;
        return true;
    }
    if (*p == '-' || *p == '+') {
        p++;
    }
    if (!*p) {
        return false;
    }
    for (; *p; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
    }
    *base = 10;
    return true;
}

/* YAML 1.2 core schema floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?,
 * [-+]?.inf and .nan in their three spellings. */
static bool looks_double(const char *s, double *out)
{
    const char *p = s;
    bool digits = false;
    double sign = 1;

    if (*p == '-' || *p == '+') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) {
        *out = sign * INFINITY;
        return true;
    }
    if (p == s && (!strcmp(p, ".nan") || !strcmp(p, ".NaN") || !strcmp(p, ".NAN"))) {
        *out = NAN;
        return true;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        digits = true;
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            digits = true;
        }
    }
    if (!digits) {
        return false;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+') {
            p++;
        }
        if (*p < '0' || *p > '9') {
            return false;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (*p) {
        return false;
    }
    *out = strtod(s, NULL);
    return true;
}

bool pcol__res_literal_parse(const struct pcol_scalar *sc, struct pcol__res_literal *out, char *why,
                             size_t why_len)
{
    const char *s = sc->text;
    int base;

    memset(out, 0, sizeof(*out));
    out->text = s;
    out->len = strlen(s);
    out->kind = PCOL_VAL_STR;
    if (sc->quoted) {
        return true;
    }
    if (is_bool(s, &out->b)) {
        out->kind = PCOL_VAL_BOOL;
    } else if (looks_int(s, &base)) {
        char *end;

        errno = 0;
        if (base == 16) {
            unsigned long long u = strtoull(s + 2, &end, 16);
            out->i = (int64_t)u;
            if (errno == ERANGE || u > INT64_MAX) {
                errno = ERANGE;
            }
        } else {
            out->i = strtoll(s, &end, 10);
        }
        if (errno == ERANGE) {
            snprintf(why, why_len, "%.40s does not fit a 64-bit integer (quote it to set a string)",
                     s);
            return false;
        }
        out->kind = PCOL_VAL_INT;
    } else if (looks_double(s, &out->d)) {
        out->kind = PCOL_VAL_DOUBLE;
    }
    return true;
}

/* ---- validate ------------------------------------------------------------------- */

/* The key node of `name` in mapping `m` (errors about a field point at it). */
static const struct pcol_cfg_node *key_of(const struct pcol_cfg_node *m, const char *name)
{
    size_t i;

    for (i = 0; m && m->kind == PCOL_NODE_MAPPING && i < m->count; i++) {
        if (!strcmp(m->pairs[i].key->text, name)) {
            return m->pairs[i].key;
        }
    }
    return NULL;
}

/* Reports each of `fields` present in `item` that `action` does not use. */
static void refuse_fields(struct pcol_diag *d, const struct pcol_cfg_node *item, size_t i,
                          const char *action, const char *const *fields)
{
    const struct pcol_cfg_node *k;

    for (; *fields; fields++) {
        if ((k = key_of(item, *fields))) {
            pcol_diag_add(d, k, "attributes[%zu]: \"%s\" does not apply to action %s", i, *fields,
                          action);
        }
    }
}

static void validate_action(const struct pcol__res_action_cfg *a, const struct pcol_cfg_node *item,
                            size_t i, struct pcol_diag *d)
{
    static const char *const not_for_set[] = {"pattern", "converted_type", NULL};
    static const char *const not_for_match[] = {"value", "from_attribute", "converted_type", NULL};
    static const char *const not_for_convert[] = {"value", "from_attribute", "pattern", NULL};
    const char *name = action_names[a->action];
    bool has_key = a->key != NULL, has_value = a->value.text != NULL;

    switch (a->action) {
    case PCOL__RES_INSERT:
    case PCOL__RES_UPDATE:
    case PCOL__RES_UPSERT:
        refuse_fields(d, item, i, name, not_for_set);
        if (!has_key) {
            pcol_diag_add(d, item, "attributes[%zu]: %s needs \"key\"", i, name);
        }
        if (has_value && a->from_attribute) {
            pcol_diag_add(d, key_of(item, "from_attribute"),
                          "attributes[%zu]: give \"value\" or \"from_attribute\", not both", i);
        } else if (!has_value && !a->from_attribute) {
            pcol_diag_add(d, item, "attributes[%zu]: %s needs \"value\" or \"from_attribute\"", i,
                          name);
        }
        if (has_value) {
            struct pcol__res_literal lit;
            char why[160];
            if (!pcol__res_literal_parse(&a->value, &lit, why, sizeof(why))) {
                pcol_diag_add(d, pcol_cfg_get(item, "value"), "attributes[%zu]: value %s", i, why);
            }
        }
        break;
    case PCOL__RES_DELETE:
    case PCOL__RES_HASH:
        refuse_fields(d, item, i, name, not_for_match);
        if (!has_key && !a->pattern) {
            pcol_diag_add(d, item, "attributes[%zu]: %s needs \"key\" and/or \"pattern\"", i, name);
        }
        break;
    case PCOL__RES_EXTRACT: {
        uint32_t g, named = 0;

        refuse_fields(d, item, i, name, not_for_match);
        if (!has_key) {
            pcol_diag_add(d, item,
                          "attributes[%zu]: extract needs \"key\" (the attribute to match)", i);
        }
        if (!a->pattern) {
            pcol_diag_add(d, item, "attributes[%zu]: extract needs \"pattern\" with named groups",
                          i);
            break;
        }
        for (g = 1; g <= a->pattern->n_groups; g++) {
            named += a->pattern->names[g] != NULL;
        }
        if (!named) {
            pcol_diag_add(d, pcol_cfg_get(item, "pattern"),
                          "attributes[%zu]: extract pattern has no named group; write "
                          "(?P<name>...) for each attribute to create",
                          i);
        }
        break;
    }
    case PCOL__RES_CONVERT:
        refuse_fields(d, item, i, name, not_for_convert);
        if (!has_key) {
            pcol_diag_add(d, item, "attributes[%zu]: convert needs \"key\"", i);
        }
        if (!key_of(item, "converted_type")) {
            pcol_diag_add(d, item,
                          "attributes[%zu]: convert needs \"converted_type\" (int, double, "
                          "string or bool)",
                          i);
        }
        break;
    default: break;
    }
}

static void validate_detectors(const struct pcol__res_ctx *c, const struct pcol_cfg_node *node,
                               struct pcol_diag *d)
{
    const struct pcol_cfg_node *seq = pcol_cfg_get(node, "detectors");
    bool k8s = false;
    size_t i, j;

    for (i = 0; i < c->detectors.n; i++) {
        const struct pcol_cfg_node *at =
            seq && seq->kind == PCOL_NODE_SEQUENCE && i < seq->count ? seq->items[i] : seq;
        const char *name = c->detectors.v[i];
        struct pcol_suggest s;
        bool known = false;

        pcol_suggest_init(&s, name);
        for (j = 0; detector_names[j]; j++) {
            known |= !strcmp(name, detector_names[j]);
            pcol_suggest_add(&s, detector_names[j]);
        }
        if (!known) {
            pcol_diag_add(
                d, at, "unknown detector \"%.60s\"%s%s%s (known: env, system, kubernetes)", name,
                s.best ? " (did you mean \"" : "", s.best ? s.best : "", s.best ? "\"?)" : "");
            continue;
        }
        k8s |= !strcmp(name, "kubernetes");
        for (j = 0; j < i; j++) {
            if (!strcmp(name, c->detectors.v[j])) {
                pcol_diag_add(d, at, "detector \"%s\" is listed twice", name);
                break;
            }
        }
    }
    if (!k8s && key_of(node, "kubernetes")) {
        pcol_diag_warn(d, key_of(node, "kubernetes"),
                       "\"kubernetes\" has no effect unless detectors lists kubernetes");
    }
    if (!c->detectors.n && key_of(node, "override")) {
        pcol_diag_warn(d, key_of(node, "override"),
                       "\"override\" applies to detected attributes; no detectors are listed");
    }
}

void pcol__res_validate(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *diag)
{
    const struct pcol__res_ctx *c = ctx;
    const struct pcol_cfg_node *seq = pcol_cfg_get(node, "attributes");
    const struct pcol__res_action_cfg *acts = c->attributes.v;
    size_t i;

    for (i = 0; i < c->attributes.n; i++) {
        const struct pcol_cfg_node *item =
            seq && seq->kind == PCOL_NODE_SEQUENCE && i < seq->count ? seq->items[i] : NULL;

        if (item && item->kind == PCOL_NODE_MAPPING) {
            validate_action(&acts[i], item, i, diag);
        }
    }
    validate_detectors(c, node, diag);
}
