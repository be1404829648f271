/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c: YAML → node tree (libyaml document API), ${...} expansion, merge
 * of several sources and loading. Diagnostics and "did you mean" are in
 * diag.c, the top-level schema and pipeline wiring check in config_check.c.
 * See config.h for the ownership rules.
 */
#include "config_internal.h"

#include "buf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_MAX_DEPTH 64 /* deeper trees are hostile, not configs */
#define CFG_MAX_FILE (16u * 1024 * 1024)

/* ---- node helpers ------------------------------------------------------------- */

const struct pcol_cfg_pair *pcol__cfg_find_pair(const struct pcol_cfg_node *map, const char *key)
{
    size_t i;

    if (!map || map->kind != PCOL_NODE_MAPPING) {
        return NULL;
    }
    for (i = 0; i < map->count; i++) {
        if (strcmp(map->pairs[i].key->text, key) == 0) {
            return &map->pairs[i];
        }
    }
    return NULL;
}

const struct pcol_cfg_node *pcol_cfg_get(const struct pcol_cfg_node *map, const char *key)
{
    const struct pcol_cfg_pair *p = pcol__cfg_find_pair(map, key);

    return p ? p->value : NULL;
}

const char *pcol_cfg_kind_name(enum pcol_cfg_node_kind kind)
{
    switch (kind) {
    case PCOL_NODE_SCALAR: return "scalar";
    case PCOL_NODE_SEQUENCE: return "sequence";
    case PCOL_NODE_MAPPING: return "mapping";
    }
    return "node";
}

/* ---- YAML → tree -------------------------------------------------------------- */

enum { NODE_NEW, NODE_BUSY, NODE_DONE };

struct loader {
    struct pcol_arena *arena;
    struct pcol_diag *d;
    yaml_document_t *doc;
    const char *file; /* arena copy */
    bool expand;
    const struct pcol_cfg_node **memo; /* per document node: converted tree */
    unsigned char *state;
    struct pcol_buf scratch;
};

static const struct pcol_cfg_node *convert(struct loader *ld, int id, unsigned depth);

static struct pcol_cfg_node *new_node(struct loader *ld, enum pcol_cfg_node_kind kind,
                                      const yaml_node_t *yn)
{
    struct pcol_cfg_node *n = pcol_arena_calloc(ld->arena, sizeof(*n));

    n->kind = kind;
    n->file = ld->file;
    n->line = (uint32_t)yn->start_mark.line + 1;
    n->col = (uint32_t)yn->start_mark.column + 1;
    return n;
}

static bool is_env_name(const char *s, size_t n)
{
    size_t i;

    if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_')) {
        return false;
    }
    for (i = 1; i < n; i++) {
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) {
            return false;
        }
    }
    return true;
}

/* Expands one `${...}` whose body is `in[0..n)` into ld->scratch. The
 * collector's rules: `env:NAME`, `env:NAME:-default` or `NAME`; the default
 * is used only when NAME is unset; unset without default is "" + warning. */
static void expand_ref(struct loader *ld, const struct pcol_cfg_node *at, const char *in, size_t n)
{
    const char *name = in, *def = NULL, *colon, *value;
    size_t name_len = n, def_len = 0;
    bool env_prefix = n >= 4 && memcmp(in, "env:", 4) == 0;
    char var[256];

    if (env_prefix) {
        name += 4;
        name_len -= 4;
    }
    colon = memchr(name, ':', name_len);
    if (colon && (size_t)(colon - name) + 1 < name_len && colon[1] == '-') {
        def = colon + 2;
        def_len = name_len - (size_t)(def - name);
        name_len = (size_t)(colon - name);
    } else if (colon && env_prefix) {
        pcol_diag_add(ld->d, at,
                      "invalid \"${%.*s}\" (expected ${env:NAME} or "
                      "${env:NAME:-default})",
                      (int)(n > 80 ? 80 : n), in);
        return;
    } else if (colon) {
        pcol_diag_add(ld->d, at,
                      "config provider \"%.*s\" in \"${%.*s}\" is not supported "
                      "(only ${env:NAME})",
                      (int)(colon - in), in, (int)(n > 80 ? 80 : n), in);
        return;
    }
    if (!is_env_name(name, name_len) || name_len >= sizeof(var)) {
        pcol_diag_add(ld->d, at,
                      "invalid environment variable name \"%.*s\" (letters, digits "
                      "and '_', not starting with a digit)",
                      (int)(name_len > 80 ? 80 : name_len), name);
        return;
    }
    memcpy(var, name, name_len);
    var[name_len] = '\0';
    value = getenv(var);
    if (value) {
        pcol_buf_puts(&ld->scratch, value);
    } else if (def) {
        pcol_buf_append(&ld->scratch, def, def_len);
    } else {
        pcol_diag_warn(ld->d, at, "environment variable %s is not set; using an empty value", var);
    }
}

static void expand_scalar(struct loader *ld, struct pcol_cfg_node *n, const char *s, size_t len)
{
    size_t i = 0;

    ld->scratch.len = 0;
    while (i < len) {
        const char *close;

        if (s[i] != '$' || i + 1 == len || (s[i + 1] != '$' && s[i + 1] != '{')) {
            pcol_buf_putc(&ld->scratch, s[i++]);
            continue;
        }
        if (s[i + 1] == '$') {
            pcol_buf_putc(&ld->scratch, '$');
            i += 2;
            continue;
        }
        close = memchr(s + i + 2, '}', len - i - 2);
        if (!close) {
            pcol_diag_add(ld->d, n,
                          "\"${\" without a closing \"}\" (write \"$$\" for a "
                          "literal \"$\")");
            break;
        }
        if (memchr(s + i + 2, '$', (size_t)(close - (s + i + 2)))) {
            pcol_diag_add(ld->d, n, "nested \"${...}\" is not supported");
        } else {
            expand_ref(ld, n, s + i + 2, (size_t)(close - (s + i + 2)));
        }
        i = (size_t)(close - s) + 1;
    }
    n->text = pcol_arena_strndup(ld->arena, (const char *)ld->scratch.p, ld->scratch.len);
    n->len = ld->scratch.len;
}

static bool is_null_word(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '~') ||
           (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static struct pcol_cfg_node *convert_scalar(struct loader *ld, const yaml_node_t *yn, bool expand)
{
    struct pcol_cfg_node *n = new_node(ld, PCOL_NODE_SCALAR, yn);
    const char *s = (const char *)yn->data.scalar.value;
    size_t len = yn->data.scalar.length;

    n->is_null = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && is_null_word(s, len);
    n->quoted = yn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (expand && ld->expand && memchr(s, '$', len)) {
        expand_scalar(ld, n, s, len);
    } else {
        n->text = pcol_arena_strndup(ld->arena, s, len);
        n->len = len;
    }
    return n;
}

static const struct pcol_cfg_node *convert_sequence(struct loader *ld, const yaml_node_t *yn,
                                                    unsigned depth)
{
    struct pcol_cfg_node *n = new_node(ld, PCOL_NODE_SEQUENCE, yn);
    size_t total = (size_t)(yn->data.sequence.items.top - yn->data.sequence.items.start);
    const struct pcol_cfg_node **items = pcol_arena_alloc(ld->arena, (total + 1) * sizeof(*items));
    size_t i;

    for (i = 0; i < total; i++) {
        const struct pcol_cfg_node *item = convert(ld, yn->data.sequence.items.start[i], depth + 1);

        if (item) {
            items[n->count++] = item;
        }
    }
    n->items = items;
    return n;
}

/* Converts one key; NULL (after reporting) for keys a config cannot use. */
static const struct pcol_cfg_node *convert_key(struct loader *ld, const struct pcol_cfg_node *map,
                                               const yaml_node_t *kn)
{
    const struct pcol_cfg_node *key;
    size_t i;

    if (kn->type != YAML_SCALAR_NODE) {
        pcol_diag_add(ld->d, new_node(ld, PCOL_NODE_SCALAR, kn),
                      "mapping keys must be scalars, not a %s",
                      kn->type == YAML_MAPPING_NODE ? "mapping" : "sequence");
        return NULL;
    }
    key = convert_scalar(ld, kn, false);
    if (strlen(key->text) != key->len) {
        pcol_diag_add(ld->d, key, "a key must not contain a NUL character");
        return NULL;
    }
    for (i = 0; i < map->count; i++) {
        const struct pcol_cfg_node *first = map->pairs[i].key;

        if (strcmp(first->text, key->text) == 0) {
            pcol_diag_add(ld->d, key,
                          "duplicate key \"%.80s\" (first given at line %u, "
                          "column %u)",
                          key->text, first->line, first->col);
            return NULL;
        }
    }
    return key;
}

static const struct pcol_cfg_node *convert_mapping(struct loader *ld, const yaml_node_t *yn,
                                                   unsigned depth)
{
    struct pcol_cfg_node *n = new_node(ld, PCOL_NODE_MAPPING, yn);
    size_t total = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);
    struct pcol_cfg_pair *pairs = pcol_arena_alloc(ld->arena, (total + 1) * sizeof(*pairs));
    size_t i;

    n->pairs = pairs;
    for (i = 0; i < total; i++) {
        const yaml_node_pair_t *yp = &yn->data.mapping.pairs.start[i];
        const yaml_node_t *kn = yaml_document_get_node(ld->doc, yp->key);
        const struct pcol_cfg_node *key, *value;

        if (!kn || !(key = convert_key(ld, n, kn))) {
            continue;
        }
        value = convert(ld, yp->value, depth + 1);
        if (value) {
            pairs[n->count].key = key;
            pairs[n->count].value = value;
            n->count++;
        }
    }
    return n;
}

/* Sequences and mappings reached twice through aliases are converted once
 * and shared; an alias inside its own anchor would make a cycle. */
static const struct pcol_cfg_node *convert(struct loader *ld, int id, unsigned depth)
{
    yaml_node_t *yn = yaml_document_get_node(ld->doc, id);
    const struct pcol_cfg_node *n;
    size_t ix = (size_t)id - 1;

    if (!yn) {
        return NULL;
    }
    if (yn->type == YAML_SCALAR_NODE) {
        return convert_scalar(ld, yn, true);
    }
    if (ld->state[ix] == NODE_DONE) {
        return ld->memo[ix];
    }
    if (ld->state[ix] == NODE_BUSY) {
        pcol_diag_add(ld->d, new_node(ld, PCOL_NODE_SCALAR, yn),
                      "an alias refers to the node that contains it");
        return NULL;
    }
    if (depth > CFG_MAX_DEPTH) {
        pcol_diag_add(ld->d, new_node(ld, PCOL_NODE_SCALAR, yn), "nested more than %d levels deep",
                      CFG_MAX_DEPTH);
        return NULL;
    }
    ld->state[ix] = NODE_BUSY;
    n = yn->type == YAML_SEQUENCE_NODE ? convert_sequence(ld, yn, depth)
                                       : convert_mapping(ld, yn, depth);
    ld->state[ix] = NODE_DONE;
    ld->memo[ix] = n;
    return n;
}

static void syntax_error(struct pcol_diag *d, const yaml_parser_t *p, const char *file,
                         const char *text, size_t len)
{
    uint32_t line = (uint32_t)p->problem_mark.line + 1, col = (uint32_t)p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "malformed input";
    size_t i;

    if (p->error == YAML_MEMORY_ERROR) {
        pcol_fatal("out of memory while parsing %s", file);
    }
    if (p->error == YAML_READER_ERROR) {
        /* The reader reports a byte offset only. */
        line = 1;
        col = 1;
        for (i = 0; i < p->problem_offset && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
    }
    if (p->context) {
        pcol_diag_at(d, PCOL_DIAG_ERROR, file, line, col,
                     "invalid YAML: %s (%s at line %zu, "
                     "column %zu)",
                     problem, p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    } else {
        pcol_diag_at(d, PCOL_DIAG_ERROR, file, line, col, "invalid YAML: %s", problem);
    }
}

/* A file holds exactly one document; anything after it is an error. */
static void only_document(yaml_parser_t *p, struct loader *ld, const char *text, size_t len)
{
    yaml_document_t next;
    yaml_node_t *root;

    if (!yaml_parser_load(p, &next)) {
        syntax_error(ld->d, p, ld->file, text, len);
        return;
    }
    root = yaml_document_get_root_node(&next);
    if (root) {
        pcol_diag_at(ld->d, PCOL_DIAG_ERROR, ld->file, (uint32_t)root->start_mark.line + 1,
                     (uint32_t)root->start_mark.column + 1,
                     "a second YAML document (\"---\"); a config file holds one document");
    }
    yaml_document_delete(&next);
}

/* Parses `text` into a tree in `arena`. Returns the root (a null scalar for
 * an empty document), or NULL after reporting a problem. */
static const struct pcol_cfg_node *parse_yaml(struct pcol_arena *arena, const char *file,
                                              const char *text, size_t len, bool expand,
                                              struct pcol_diag *d)
{
    struct loader ld = {.arena = arena,
                        .d = d,
                        .expand = expand,
                        .file = pcol_arena_strndup(arena, file, strlen(file))};
    yaml_parser_t parser;
    yaml_document_t doc;
    const struct pcol_cfg_node *root = NULL;
    size_t errors = d->errors, nodes;

    if (!yaml_parser_initialize(&parser)) {
        pcol_fatal("out of memory while parsing %s", file);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(d, &parser, ld.file, text, len);
        yaml_parser_delete(&parser);
        return NULL;
    }
    ld.doc = &doc;
    nodes = (size_t)(doc.nodes.top - doc.nodes.start);
    ld.memo = pcol_xcalloc(nodes + 1, sizeof(*ld.memo));
    ld.state = pcol_xcalloc(nodes + 1, 1);
    if (yaml_document_get_root_node(&doc)) {
        root = convert(&ld, 1, 0);
    } else {
        struct pcol_cfg_node *empty = pcol_arena_calloc(arena, sizeof(*empty));

        *empty = (struct pcol_cfg_node){.kind = PCOL_NODE_SCALAR,
                                        .file = ld.file,
                                        .line = 1,
                                        .col = 1,
                                        .text = "",
                                        .is_null = true};
        root = empty;
    }
    only_document(&parser, &ld, text, len);
    free(ld.memo);
    free(ld.state);
    pcol_buf_free(&ld.scratch);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return d->errors == errors ? root : NULL;
}

const struct pcol_cfg_node *pcol__cfg_parse_value(struct pcol_arena *arena, const char *name,
                                                  const char *text, struct pcol_diag *d)
{
    return parse_yaml(arena, name, text, strlen(text), false, d);
}

/* ---- loading and merging --------------------------------------------------------- */

struct pcol_config *pcol_config_create(void)
{
    struct pcol_config *cfg = pcol_xcalloc(1, sizeof(*cfg));

    cfg->arena = pcol_arena_create(0);
    return cfg;
}

void pcol_config_destroy(struct pcol_config *cfg)
{
    if (cfg) {
        pcol_arena_destroy(cfg->arena);
        free(cfg);
    }
}

/* Later wins; two mappings merge key by key (new nodes, so shared alias
 * targets stay untouched); a key that only the later source has goes last. */
static const struct pcol_cfg_node *merge(struct pcol_arena *a, const struct pcol_cfg_node *base,
                                         const struct pcol_cfg_node *over)
{
    struct pcol_cfg_node *n;
    struct pcol_cfg_pair *pairs;
    size_t i;

    if (!base || base->kind != PCOL_NODE_MAPPING || over->kind != PCOL_NODE_MAPPING) {
        return over;
    }
    n = pcol_arena_alloc(a, sizeof(*n));
    *n = *over;
    pairs = pcol_arena_alloc(a, (base->count + over->count + 1) * sizeof(*pairs));
    n->count = 0;
    for (i = 0; i < base->count; i++) {
        const struct pcol_cfg_pair *o = pcol__cfg_find_pair(over, base->pairs[i].key->text);

        pairs[n->count].key = o ? o->key : base->pairs[i].key;
        pairs[n->count].value = o ? merge(a, base->pairs[i].value, o->value) : base->pairs[i].value;
        n->count++;
    }
    for (i = 0; i < over->count; i++) {
        if (!pcol__cfg_find_pair(base, over->pairs[i].key->text)) {
            pairs[n->count++] = over->pairs[i];
        }
    }
    n->pairs = pairs;
    return n;
}

static int load_text(struct pcol_config *cfg, const char *name, const char *text, size_t len,
                     struct pcol_diag *d)
{
    const struct pcol_cfg_node *root = parse_yaml(cfg->arena, name, text, len, true, d);

    if (!root) {
        cfg->load_failed = true;
        return PCOL_EINVAL;
    }
    if (root->kind == PCOL_NODE_SCALAR && root->is_null) {
        return 0;
    }
    if (root->kind != PCOL_NODE_MAPPING) {
        pcol_diag_add(d, root,
                      "a config must be a mapping (receivers:, exporters:, service: ...),"
                      " not a %s",
                      pcol_cfg_kind_name(root->kind));
        cfg->load_failed = true;
        return PCOL_EINVAL;
    }
    cfg->root = merge(cfg->arena, cfg->root, root);
    return 0;
}

int pcol_config_load_string(struct pcol_config *cfg, const char *name, const char *text,
                            struct pcol_diag *d)
{
    return load_text(cfg, name, text, strlen(text), d);
}

int pcol_config_load_file(struct pcol_config *cfg, const char *path, struct pcol_diag *d)
{
    struct pcol_buf b = {0};
    FILE *f = fopen(path, "rb");
    size_t n;
    int rc = PCOL_EIO;

    if (!f) {
        pcol_diag_at(d, PCOL_DIAG_ERROR, path, 0, 0, "cannot open config file: %s",
                     strerror(errno));
        goto fail;
    }
    do {
        pcol_buf_reserve(&b, 64 * 1024);
        n = fread(b.p + b.len, 1, b.cap - b.len, f);
        b.len += n;
    } while (n > 0 && b.len <= CFG_MAX_FILE);
    if (ferror(f)) {
        pcol_diag_at(d, PCOL_DIAG_ERROR, path, 0, 0, "cannot read config file: %s",
                     strerror(errno));
        goto fail;
    }
    if (b.len > CFG_MAX_FILE) {
        pcol_diag_at(d, PCOL_DIAG_ERROR, path, 0, 0, "config file is larger than %u MiB",
                     CFG_MAX_FILE >> 20);
        rc = PCOL_ERANGE;
        goto fail;
    }
    rc = load_text(cfg, path, (const char *)b.p, b.len, d);
    fclose(f);
    pcol_buf_free(&b);
    return rc;
fail:
    cfg->load_failed = true;
    if (f) {
        fclose(f);
    }
    pcol_buf_free(&b);
    return rc;
}

const struct pcol_cfg_node *pcol_config_root(const struct pcol_config *cfg)
{
    return cfg->root;
}

struct pcol_arena *pcol_config_arena(struct pcol_config *cfg)
{
    return cfg->arena;
}
