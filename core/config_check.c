/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_check.c: the checked view of a loaded config: the top-level schema,
 * component ids, pipeline ids and wiring, the telemetry, service and
 * pipeline option tables, and the accessors later stages read the result
 * through. config.c builds the tree this walks.
 *
 * Ownership: every list built here lives in the config's arena and dies with
 * pcol_config_destroy(); the tree is only read.
 */
#include "config_internal.h"

#include "buf.h"

#include <ctype.h>
#include <string.h>

static bool is_null_node(const struct pcol_cfg_node *n)
{
    return !n || (n->kind == PCOL_NODE_SCALAR && n->is_null);
}

static bool no_entries(const struct pcol_cfg_node *n)
{
    return is_null_node(n) || (n->kind != PCOL_NODE_SCALAR && n->count == 0);
}

/* ---- schema and wiring ------------------------------------------------------------ */

static const char *const section_names[PCOL_COMPONENT_KINDS] = {"receivers", "processors",
                                                                "exporters"};
static const char *const top_keys[] = {"receivers", "processors", "exporters",
                                       "service",   "plugins",    NULL};
static const char *const service_keys[] = {"pipelines", "telemetry", "shutdown_timeout", NULL};
static const char *const other_signals[] = {"traces", "metrics", "logs", NULL};

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_encodings[] = {"console", "json", NULL};
static const char *const metrics_levels[] = {"none", "basic", "normal", "detailed", NULL};

static const struct pcol_option telemetry_logs_options[] = {
    {.name = "level",
     .type = PCOL_OPT_ENUM,
     .def = "info",
     .enum_names = log_levels,
     .offset = offsetof(struct pcol_telemetry_logs, level),
     .help = "Lowest severity profcol logs."},
    {.name = "encoding",
     .type = PCOL_OPT_ENUM,
     .def = "console",
     .enum_names = log_encodings,
     .offset = offsetof(struct pcol_telemetry_logs, encoding),
     .help = "Log line format."},
    {0},
};

static const struct pcol_option telemetry_metrics_options[] = {
    {.name = "address",
     .type = PCOL_OPT_ENDPOINT,
     .def = "localhost:8888",
     .offset = offsetof(struct pcol_telemetry_metrics, address),
     .help = "Where profcol serves its own metrics (/metrics)."},
    {.name = "level",
     .type = PCOL_OPT_ENUM,
     .def = "normal",
     .enum_names = metrics_levels,
     .offset = offsetof(struct pcol_telemetry_metrics, level),
     .help = "How many internal metrics to record."},
    {0},
};

static const struct pcol_option service_options[] = {
    {.name = "shutdown_timeout",
     .type = PCOL_OPT_DURATION,
     .def = "10s",
     .min = "0",
     .offset = offsetof(struct pcol_service_config, shutdown_timeout),
     .help = "How long exporters may take to drain their queues when profcol stops."},
    {0},
};

static const struct pcol_option pipeline_options[] = {
    {.name = "memory_limit",
     .type = PCOL_OPT_SIZE,
     .def = "256MiB",
     .offset = offsetof(struct pcol_cfg_pipeline, memory_limit),
     .help = "Bytes of profiles a pipeline may hold; over it receivers answer 503 (0: no limit)."},
    {0},
};

static const struct pcol_option telemetry_options[] = {
    {.name = "logs",
     .type = PCOL_OPT_SECTION,
     .sub = telemetry_logs_options,
     .offset = offsetof(struct pcol_telemetry_config, logs),
     .help = "profcol's own logs."},
    {.name = "metrics",
     .type = PCOL_OPT_SECTION,
     .sub = telemetry_metrics_options,
     .offset = offsetof(struct pcol_telemetry_config, metrics),
     .help = "profcol's own metrics."},
    {0},
};

const char *pcol_component_kind_name(enum pcol_component_kind kind)
{
    static const char *const names[PCOL_COMPONENT_KINDS] = {"receiver", "processor", "exporter"};

    return (unsigned)kind < PCOL_COMPONENT_KINDS ? names[kind] : "component";
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(s, *list) == 0) {
            return true;
        }
    }
    return false;
}

static void unknown_key(struct pcol_diag *d, const struct pcol_cfg_node *key, const char *where,
                        const char *const *known)
{
    struct pcol_suggest s;
    struct pcol_buf all = {0};
    const char *const *k;

    pcol_suggest_init(&s, key->text);
    for (k = known; *k; k++) {
        pcol_suggest_add(&s, *k);
        pcol_buf_printf(&all, "%s%s", k == known ? "" : ", ", *k);
    }
    pcol_buf_putc(&all, '\0');
    if (s.best) {
        pcol_diag_add(d, key, "unknown key \"%.80s\" in %s (did you mean \"%s\"?)", key->text,
                      where, s.best);
    } else {
        pcol_diag_add(d, key, "unknown key \"%.80s\" in %s (expected one of: %s)", key->text, where,
                      (const char *)all.p);
    }
    pcol_buf_free(&all);
}

/* A component or pipeline name: non-empty, no whitespace or control bytes. */
static bool valid_name(const char *s)
{
    for (; *s; s++) {
        if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s)) {
            return false;
        }
    }
    return true;
}

/* The collector's rules: type `^[a-zA-Z][0-9a-zA-Z_]{0,62}$`, then an
 * optional "/name" where the name is non-empty and has no whitespace. */
static bool check_id(struct pcol_diag *d, const struct pcol_cfg_node *at, const char *what,
                     size_t *type_len)
{
    const char *id, *slash;
    size_t tlen, i;

    if (at->kind != PCOL_NODE_SCALAR || at->is_null || strlen(at->text) != at->len) {
        pcol_diag_add(d, at, "expected a %s id (type or type/name)", what);
        return false;
    }
    id = at->text;
    slash = strchr(id, '/');
    tlen = slash ? (size_t)(slash - id) : at->len;
    for (i = 0; i < tlen && (isalnum((unsigned char)id[i]) || id[i] == '_'); i++) {
    }
    if (tlen == 0 || tlen > 63 || i != tlen || !isalpha((unsigned char)id[0])) {
        pcol_diag_add(d, at,
                      "invalid %s id \"%.80s\": the type must start with a letter and "
                      "hold only letters, digits and '_' (at most 63 characters)",
                      what, id);
        return false;
    }
    if (slash && (!slash[1] || !valid_name(slash + 1))) {
        pcol_diag_add(d, at,
                      "invalid %s id \"%.80s\": the name after '/' must be non-empty "
                      "and without spaces",
                      what, id);
        return false;
    }
    *type_len = tlen;
    return true;
}

static void collect_components(struct pcol_config *cfg, enum pcol_component_kind kind,
                               struct pcol_diag *d)
{
    const struct pcol_cfg_node *sec = pcol_cfg_get(cfg->root, section_names[kind]);
    const char *what = pcol_component_kind_name(kind);
    size_t i, tlen;

    if (is_null_node(sec)) {
        return;
    }
    if (sec->kind != PCOL_NODE_MAPPING) {
        pcol_diag_add(d, sec, "\"%s\" must be a mapping of %s ids to their settings",
                      section_names[kind], what);
        return;
    }
    cfg->comps[kind] = pcol_arena_calloc(cfg->arena, (sec->count + 1) * sizeof(**cfg->comps));
    for (i = 0; i < sec->count; i++) {
        const struct pcol_cfg_node *key = sec->pairs[i].key;
        struct pcol_cfg_component *c = &cfg->comps[kind][cfg->n_comps[kind]];

        if (!check_id(d, key, what, &tlen)) {
            continue;
        }
        c->kind = kind;
        c->id = key->text;
        c->type = pcol_arena_strndup(cfg->arena, key->text, tlen);
        c->name = key->text[tlen] ? key->text + tlen + 1 : "";
        c->key = key;
        c->node = sec->pairs[i].value;
        cfg->n_comps[kind]++;
    }
}

static struct pcol_cfg_component *find_component(const struct pcol_config *cfg,
                                                 enum pcol_component_kind kind, const char *id)
{
    size_t i;

    for (i = 0; i < cfg->n_comps[kind]; i++) {
        if (strcmp(cfg->comps[kind][i].id, id) == 0) {
            return &cfg->comps[kind][i];
        }
    }
    return NULL;
}

static void report_undefined(const struct pcol_config *cfg, struct pcol_diag *d,
                             const struct pcol_cfg_pipeline *p, enum pcol_component_kind kind,
                             const struct pcol_cfg_node *item)
{
    struct pcol_suggest s;
    int other;
    size_t i;

    for (other = 0; other < PCOL_COMPONENT_KINDS; other++) {
        if (other != (int)kind &&
            find_component(cfg, (enum pcol_component_kind)other, item->text)) {
            pcol_diag_add(d, item,
                          "pipeline \"%s\": %s \"%s\" is not defined under \"%s\" "
                          "(it is a %s)",
                          p->id, pcol_component_kind_name(kind), item->text, section_names[kind],
                          pcol_component_kind_name((enum pcol_component_kind)other));
            return;
        }
    }
    pcol_suggest_init(&s, item->text);
    for (i = 0; i < cfg->n_comps[kind]; i++) {
        pcol_suggest_add(&s, cfg->comps[kind][i].id);
    }
    pcol_diag_add(d, item, "pipeline \"%s\": %s \"%s\" is not defined under \"%s\"%s%s%s", p->id,
                  pcol_component_kind_name(kind), item->text, section_names[kind],
                  s.best ? " (did you mean \"" : "", s.best ? s.best : "", s.best ? "\"?)" : "");
}

static void resolve_refs(struct pcol_config *cfg, struct pcol_diag *d, struct pcol_cfg_pipeline *p,
                         enum pcol_component_kind kind, const struct pcol_cfg_node *list)
{
    const struct pcol_cfg_component **refs;
    size_t i, j, tlen;

    if (is_null_node(list)) {
        return;
    }
    if (list->kind != PCOL_NODE_SEQUENCE) {
        pcol_diag_add(d, list, "pipeline \"%s\": \"%s\" must be a sequence of %s ids", p->id,
                      section_names[kind], pcol_component_kind_name(kind));
        return;
    }
    refs = pcol_arena_alloc(cfg->arena, (list->count + 1) * sizeof(*refs));
    for (i = 0; i < list->count; i++) {
        const struct pcol_cfg_node *item = list->items[i];
        struct pcol_cfg_component *c;

        if (!check_id(d, item, pcol_component_kind_name(kind), &tlen)) {
            continue;
        }
        if (!(c = find_component(cfg, kind, item->text))) {
            report_undefined(cfg, d, p, kind, item);
            continue;
        }
        for (j = 0; j < p->n_refs[kind] && refs[j] != c; j++) {
        }
        if (j < p->n_refs[kind]) {
            pcol_diag_add(d, item, "pipeline \"%s\" lists %s \"%s\" more than once", p->id,
                          pcol_component_kind_name(kind), c->id);
            continue;
        }
        c->used = true;
        refs[p->n_refs[kind]++] = c;
    }
    p->refs[kind] = refs;
}

/* Checks the "profiles[/NAME]" id; other signals get a clear refusal. */
static bool check_pipeline_id(struct pcol_diag *d, const struct pcol_cfg_node *key)
{
    const char *id = key->text, *slash = strchr(id, '/');
    size_t slen = slash ? (size_t)(slash - id) : strlen(id);
    struct pcol_suggest s;
    char signal[64];

    if (slen == 8 && memcmp(id, "profiles", 8) == 0) {
        if (slash && (!slash[1] || !valid_name(slash + 1))) {
            pcol_diag_add(d, key,
                          "invalid pipeline id \"%.80s\": the name after '/' must be "
                          "non-empty and without spaces",
                          id);
            return false;
        }
        return true;
    }
    snprintf(signal, sizeof(signal), "%.*s", (int)slen, id);
    if (in_list(signal, other_signals)) {
        pcol_diag_add(d, key,
                      "pipeline \"%.80s\": profcol handles the profiles signal only, "
                      "not %s",
                      id, signal);
        return false;
    }
    pcol_suggest_init(&s, signal);
    pcol_suggest_add(&s, "profiles");
    pcol_diag_add(d, key,
                  "invalid pipeline id \"%.80s\": expected \"profiles\" or "
                  "\"profiles/NAME\"%s",
                  id, s.best ? " (did you mean \"profiles\"?)" : "");
    return false;
}

/* Applies `table` to the pairs of mapping `map` that it names (the others
 * are checked by the caller), so settings that share a mapping with
 * structural keys still go through the option engine. */
static void apply_subset(struct pcol_config *cfg, const struct pcol_option *table,
                         const struct pcol_cfg_node *map, void *ctx, struct pcol_diag *d)
{
    struct pcol_cfg_pair *pairs;
    struct pcol_cfg_node sub;
    const struct pcol_option *o;
    size_t i;

    if (is_null_node(map) || map->kind != PCOL_NODE_MAPPING) {
        pcol_options_apply(table, NULL, ctx, cfg->arena, d);
        return;
    }
    sub = *map;
    pairs = pcol_arena_alloc(cfg->arena, (map->count + 1) * sizeof(*pairs));
    sub.count = 0;
    for (i = 0; i < map->count; i++) {
        for (o = table; o->name; o++) {
            if (!strcmp(o->name, map->pairs[i].key->text)) {
                pairs[sub.count++] = map->pairs[i];
            }
        }
    }
    sub.pairs = pairs;
    pcol_options_apply(table, &sub, ctx, cfg->arena, d);
}

static void check_pipeline(struct pcol_config *cfg, struct pcol_diag *d,
                           const struct pcol_cfg_pair *pair)
{
    static const char *const keys[] = {"receivers", "processors", "exporters", "memory_limit",
                                       NULL};
    struct pcol_cfg_pipeline *p = &cfg->pipes[cfg->n_pipes];
    const struct pcol_cfg_node *body = pair->value;
    size_t i;
    int kind;

    if (!check_pipeline_id(d, pair->key)) {
        return;
    }
    p->id = pair->key->text;
    p->name = strchr(p->id, '/') ? strchr(p->id, '/') + 1 : "";
    p->key = pair->key;
    if (!is_null_node(body) && body->kind != PCOL_NODE_MAPPING) {
        pcol_diag_add(d, body,
                      "pipeline \"%s\" must be a mapping with receivers, processors "
                      "and exporters",
                      p->id);
        return;
    }
    for (i = 0; body && i < body->count; i++) {
        if (!in_list(body->pairs[i].key->text, keys)) {
            unknown_key(d, body->pairs[i].key, "a pipeline", keys);
        }
    }
    for (kind = 0; kind < PCOL_COMPONENT_KINDS; kind++) {
        resolve_refs(cfg, d, p, (enum pcol_component_kind)kind,
                     pcol_cfg_get(body, section_names[kind]));
    }
    apply_subset(cfg, pipeline_options, body, p, d);
    /* Lists whose entries were all wrong have been reported entry by entry. */
    if (no_entries(pcol_cfg_get(body, "receivers"))) {
        pcol_diag_add(d, pair->key, "pipeline \"%s\" needs at least one receiver", p->id);
    }
    if (no_entries(pcol_cfg_get(body, "exporters"))) {
        pcol_diag_add(d, pair->key, "pipeline \"%s\" needs at least one exporter", p->id);
    }
    cfg->n_pipes++;
}

static void check_service(struct pcol_config *cfg, struct pcol_diag *d)
{
    const struct pcol_cfg_pair *sp = pcol__cfg_find_pair(cfg->root, "service");
    const struct pcol_cfg_node *svc = sp ? sp->value : NULL, *pipes;
    size_t i;

    if (svc && !is_null_node(svc) && svc->kind != PCOL_NODE_MAPPING) {
        pcol_diag_add(d, svc, "\"service\" must be a mapping (pipelines:, telemetry:)");
        return;
    }
    for (i = 0; svc && i < svc->count; i++) {
        const struct pcol_cfg_node *key = svc->pairs[i].key;

        if (strcmp(key->text, "extensions") == 0) {
            pcol_diag_add(d, key, "\"service.extensions\" is not supported by profcol");
        } else if (!in_list(key->text, service_keys)) {
            unknown_key(d, key, "\"service\"", service_keys);
        }
    }
    pipes = pcol_cfg_get(svc, "pipelines");
    if (!is_null_node(pipes) && pipes->kind != PCOL_NODE_MAPPING) {
        pcol_diag_add(d, pipes, "\"service.pipelines\" must be a mapping of pipeline ids");
        return;
    }
    if (is_null_node(pipes) || !pipes->count) {
        pcol_diag_add(d,
                      pipes ? pipes
                      : sp  ? sp->key
                            : cfg->root,
                      "no pipelines defined (add service.pipelines.profiles)");
        return;
    }
    cfg->pipes = pcol_arena_calloc(cfg->arena, pipes->count * sizeof(*cfg->pipes));
    for (i = 0; i < pipes->count; i++) {
        check_pipeline(cfg, d, &pipes->pairs[i]);
    }
}

static void check_plugins(struct pcol_config *cfg, struct pcol_diag *d)
{
    const struct pcol_cfg_node *pl = pcol_cfg_get(cfg->root, "plugins");
    size_t i;

    if (is_null_node(pl)) {
        return;
    }
    if (pl->kind != PCOL_NODE_SEQUENCE) {
        pcol_diag_add(d, pl, "\"plugins\" must be a sequence of shared-object paths");
        return;
    }
    for (i = 0; i < pl->count; i++) {
        const struct pcol_cfg_node *item = pl->items[i];

        if (item->kind != PCOL_NODE_SCALAR || !item->len || strlen(item->text) != item->len) {
            pcol_diag_add(d, item, "plugins entry %zu must be the path of a shared object", i + 1);
        }
    }
    cfg->plugins = pl;
}

static void warn_unused(struct pcol_config *cfg, struct pcol_diag *d)
{
    size_t i;
    int kind;

    for (kind = 0; kind < PCOL_COMPONENT_KINDS; kind++) {
        for (i = 0; i < cfg->n_comps[kind]; i++) {
            const struct pcol_cfg_component *c = &cfg->comps[kind][i];

            if (!c->used) {
                pcol_diag_warn(d, c->key, "%s \"%s\" is defined but not used in any pipeline",
                               pcol_component_kind_name(c->kind), c->id);
            }
        }
    }
}

int pcol_config_check(struct pcol_config *cfg, struct pcol_diag *d)
{
    size_t errors = d->errors, i;
    int kind;

    if (cfg->load_failed) {
        return PCOL_EINVAL;
    }
    memset(cfg->comps, 0, sizeof(cfg->comps));
    memset(cfg->n_comps, 0, sizeof(cfg->n_comps));
    cfg->pipes = NULL;
    cfg->n_pipes = 0;
    cfg->plugins = NULL;
    if (!cfg->root) {
        pcol_diag_add(d, NULL, "the config is empty: no pipelines defined");
        return PCOL_EINVAL;
    }
    for (i = 0; i < cfg->root->count; i++) {
        const struct pcol_cfg_node *key = cfg->root->pairs[i].key;

        if (!strcmp(key->text, "extensions") || !strcmp(key->text, "connectors")) {
            pcol_diag_add(d, key, "\"%s\" is not supported by profcol", key->text);
        } else if (!in_list(key->text, top_keys)) {
            unknown_key(d, key, "the config", top_keys);
        }
    }
    for (kind = 0; kind < PCOL_COMPONENT_KINDS; kind++) {
        collect_components(cfg, (enum pcol_component_kind)kind, d);
    }
    check_plugins(cfg, d);
    check_service(cfg, d);
    pcol_options_apply(telemetry_options,
                       pcol_cfg_get(pcol_cfg_get(cfg->root, "service"), "telemetry"),
                       &cfg->telemetry, cfg->arena, d);
    apply_subset(cfg, service_options, pcol_cfg_get(cfg->root, "service"), &cfg->service, d);
    if (cfg->n_pipes) {
        warn_unused(cfg, d);
    }
    return d->errors == errors ? 0 : PCOL_EINVAL;
}

size_t pcol_config_components(const struct pcol_config *cfg, enum pcol_component_kind kind,
                              const struct pcol_cfg_component **list)
{
    if ((unsigned)kind >= PCOL_COMPONENT_KINDS) {
        *list = NULL;
        return 0;
    }
    *list = cfg->comps[kind];
    return cfg->n_comps[kind];
}

const struct pcol_cfg_component *
pcol_config_component(const struct pcol_config *cfg, enum pcol_component_kind kind, const char *id)
{
    return (unsigned)kind < PCOL_COMPONENT_KINDS ? find_component(cfg, kind, id) : NULL;
}

size_t pcol_config_pipelines(const struct pcol_config *cfg, const struct pcol_cfg_pipeline **list)
{
    *list = cfg->pipes;
    return cfg->n_pipes;
}

const struct pcol_telemetry_config *pcol_config_telemetry(const struct pcol_config *cfg)
{
    return &cfg->telemetry;
}

const struct pcol_service_config *pcol_config_service(const struct pcol_config *cfg)
{
    return &cfg->service;
}

const struct pcol_cfg_node *pcol_config_plugins(const struct pcol_config *cfg)
{
    return cfg->plugins;
}
