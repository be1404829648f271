/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c: YAML → node tree (libyaml document API), ${...} expansion, merge
 * of several sources, diagnostics, "did you mean", and the top-level schema
 * and pipeline wiring check. See config.h for the ownership rules.
 */
#include "config.h"

#include "buf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_MAX_DEPTH 64                    /* deeper trees are hostile, not configs */
#define CFG_MAX_FILE (16u * 1024 * 1024)
#define SUGGEST_MAX 64                      /* longer words get no suggestion */

struct pcol_config {
    struct pcol_arena *arena;
    const struct pcol_cfg_node *root;
    bool load_failed;
    struct pcol_cfg_component *comps[PCOL_COMPONENT_KINDS];
    size_t n_comps[PCOL_COMPONENT_KINDS];
    struct pcol_cfg_pipeline *pipes;
    size_t n_pipes;
    struct pcol_telemetry_config telemetry;
    struct pcol_service_config service;
    const struct pcol_cfg_node *plugins;
};

/* ---- diagnostics ----------------------------------------------------------- */

static void diag_vadd(struct pcol_diag *d, enum pcol_diag_severity sev, const char *file,
                      uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
    struct pcol_diag_entry *e;
    va_list copy;
    int n;
    char *p;

    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = pcol_xrealloc(d->v, d->cap * sizeof(*d->v));
    }
    e = &d->v[d->n++];
    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    e->msg = pcol_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(e->msg, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
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
    diag_vadd(d, PCOL_DIAG_ERROR, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0,
              fmt, ap);
    va_end(ap);
}

void pcol_diag_warn(struct pcol_diag *d, const struct pcol_cfg_node *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vadd(d, PCOL_DIAG_WARNING, at ? at->file : NULL, at ? at->line : 0,
              at ? at->col : 0, fmt, ap);
    va_end(ap);
}

void pcol_diag_at(struct pcol_diag *d, enum pcol_diag_severity sev, const char *file,
                  uint32_t line, uint32_t col, const char *fmt, ...)
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

/* ---- node helpers ------------------------------------------------------------- */

static const struct pcol_cfg_pair *find_pair(const struct pcol_cfg_node *map, const char *key)
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
    const struct pcol_cfg_pair *p = find_pair(map, key);

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

static bool is_null_node(const struct pcol_cfg_node *n)
{
    return !n || (n->kind == PCOL_NODE_SCALAR && n->is_null);
}

static bool no_entries(const struct pcol_cfg_node *n)
{
    return is_null_node(n) || (n->kind != PCOL_NODE_SCALAR && n->count == 0);
}

/* ---- YAML → tree -------------------------------------------------------------- */

enum { NODE_NEW, NODE_BUSY, NODE_DONE };

struct loader {
    struct pcol_arena *arena;
    struct pcol_diag *d;
    yaml_document_t *doc;
    const char *file;                       /* arena copy */
    bool expand;
    const struct pcol_cfg_node **memo;      /* per document node: converted tree */
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
        pcol_diag_add(ld->d, at, "invalid \"${%.*s}\" (expected ${env:NAME} or "
                      "${env:NAME:-default})", (int)(n > 80 ? 80 : n), in);
        return;
    } else if (colon) {
        pcol_diag_add(ld->d, at, "config provider \"%.*s\" in \"${%.*s}\" is not supported "
                      "(only ${env:NAME})", (int)(colon - in), in, (int)(n > 80 ? 80 : n), in);
        return;
    }
    if (!is_env_name(name, name_len) || name_len >= sizeof(var)) {
        pcol_diag_add(ld->d, at, "invalid environment variable name \"%.*s\" (letters, digits "
                      "and '_', not starting with a digit)", (int)(name_len > 80 ? 80 : name_len),
                      name);
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
        pcol_diag_warn(ld->d, at, "environment variable %s is not set; using an empty value",
                       var);
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
            pcol_diag_add(ld->d, n, "\"${\" without a closing \"}\" (write \"$$\" for a "
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
        struct pcol_cfg_node *where = new_node(ld, PCOL_NODE_SCALAR, kn);

        pcol_diag_add(ld->d, where, "mapping keys must be scalars, not a %s",
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
            pcol_diag_add(ld->d, key, "duplicate key \"%.80s\" (first given at line %u, "
                          "column %u)", key->text, first->line, first->col);
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
    if (ld->state[ix] == NODE_BUSY || depth > CFG_MAX_DEPTH) {
        struct pcol_cfg_node *where = new_node(ld, PCOL_NODE_SCALAR, yn);

        pcol_diag_add(ld->d, where, ld->state[ix] == NODE_BUSY
                      ? "an alias refers to the node that contains it"
                      : "nested more than %d levels deep", CFG_MAX_DEPTH);
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
        pcol_diag_at(d, PCOL_DIAG_ERROR, file, line, col, "invalid YAML: %s (%s at line %zu, "
                     "column %zu)", problem, p->context, p->context_mark.line + 1,
                     p->context_mark.column + 1);
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
    struct loader ld = {.arena = arena, .d = d, .expand = expand,
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

        *empty = (struct pcol_cfg_node){.kind = PCOL_NODE_SCALAR, .file = ld.file, .line = 1,
                                        .col = 1, .text = "", .is_null = true};
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
        const struct pcol_cfg_pair *o = find_pair(over, base->pairs[i].key->text);

        pairs[n->count].key = o ? o->key : base->pairs[i].key;
        pairs[n->count].value = o ? merge(a, base->pairs[i].value, o->value)
                                  : base->pairs[i].value;
        n->count++;
    }
    for (i = 0; i < over->count; i++) {
        if (!find_pair(base, over->pairs[i].key->text)) {
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
        pcol_diag_add(d, root, "a config must be a mapping (receivers:, exporters:, service: ...),"
                      " not a %s", pcol_cfg_kind_name(root->kind));
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

/* ---- schema and wiring ------------------------------------------------------------ */

static const char *const section_names[PCOL_COMPONENT_KINDS] = {"receivers", "processors",
                                                                "exporters"};
static const char *const top_keys[] = {"receivers", "processors", "exporters", "service",
                                       "plugins", NULL};
static const char *const service_keys[] = {"pipelines", "telemetry", "shutdown_timeout", NULL};
static const char *const other_signals[] = {"traces", "metrics", "logs", NULL};

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const log_encodings[] = {"console", "json", NULL};
static const char *const metrics_levels[] = {"none", "basic", "normal", "detailed", NULL};

static const struct pcol_option telemetry_logs_options[] = {
    {.name = "level", .type = PCOL_OPT_ENUM, .def = "info", .enum_names = log_levels,
     .offset = offsetof(struct pcol_telemetry_logs, level),
     .help = "Lowest severity profcol logs."},
    {.name = "encoding", .type = PCOL_OPT_ENUM, .def = "console", .enum_names = log_encodings,
     .offset = offsetof(struct pcol_telemetry_logs, encoding),
     .help = "Log line format."},
    {0},
};

static const struct pcol_option telemetry_metrics_options[] = {
    {.name = "address", .type = PCOL_OPT_ENDPOINT, .def = "localhost:8888",
     .offset = offsetof(struct pcol_telemetry_metrics, address),
     .help = "Where profcol serves its own metrics (/metrics)."},
    {.name = "level", .type = PCOL_OPT_ENUM, .def = "normal", .enum_names = metrics_levels,
     .offset = offsetof(struct pcol_telemetry_metrics, level),
     .help = "How many internal metrics to record."},
    {0},
};

static const struct pcol_option service_options[] = {
    {.name = "shutdown_timeout", .type = PCOL_OPT_DURATION, .def = "10s", .min = "0",
     .offset = offsetof(struct pcol_service_config, shutdown_timeout),
     .help = "How long exporters may take to drain their queues when profcol stops."},
    {0},
};

static const struct pcol_option pipeline_options[] = {
    {.name = "memory_limit", .type = PCOL_OPT_SIZE, .def = "256MiB",
     .offset = offsetof(struct pcol_cfg_pipeline, memory_limit),
     .help = "Bytes of profiles a pipeline may hold; over it receivers answer 503 (0: no limit)."},
    {0},
};

static const struct pcol_option telemetry_options[] = {
    {.name = "logs", .type = PCOL_OPT_SECTION, .sub = telemetry_logs_options,
     .offset = offsetof(struct pcol_telemetry_config, logs), .help = "profcol's own logs."},
    {.name = "metrics", .type = PCOL_OPT_SECTION, .sub = telemetry_metrics_options,
     .offset = offsetof(struct pcol_telemetry_config, metrics),
     .help = "profcol's own metrics."},
    {0},
};

const char *pcol_component_kind_name(enum pcol_component_kind kind)
{
    static const char *const names[PCOL_COMPONENT_KINDS] = {"receiver", "processor",
                                                            "exporter"};

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
        pcol_diag_add(d, key, "unknown key \"%.80s\" in %s (expected one of: %s)", key->text,
                      where, (const char *)all.p);
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
        pcol_diag_add(d, at, "invalid %s id \"%.80s\": the type must start with a letter and "
                      "hold only letters, digits and '_' (at most 63 characters)", what, id);
        return false;
    }
    if (slash && (!slash[1] || !valid_name(slash + 1))) {
        pcol_diag_add(d, at, "invalid %s id \"%.80s\": the name after '/' must be non-empty "
                      "and without spaces", what, id);
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
        if (other != (int)kind && find_component(cfg, (enum pcol_component_kind)other,
                                                 item->text)) {
            pcol_diag_add(d, item, "pipeline \"%s\": %s \"%s\" is not defined under \"%s\" "
                          "(it is a %s)", p->id, pcol_component_kind_name(kind), item->text,
                          section_names[kind],
                          pcol_component_kind_name((enum pcol_component_kind)other));
            return;
        }
    }
    pcol_suggest_init(&s, item->text);
    for (i = 0; i < cfg->n_comps[kind]; i++) {
        pcol_suggest_add(&s, cfg->comps[kind][i].id);
    }
    pcol_diag_add(d, item, "pipeline \"%s\": %s \"%s\" is not defined under \"%s\"%s%s%s",
                  p->id, pcol_component_kind_name(kind), item->text, section_names[kind],
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
            pcol_diag_add(d, key, "invalid pipeline id \"%.80s\": the name after '/' must be "
                          "non-empty and without spaces", id);
            return false;
        }
        return true;
    }
    snprintf(signal, sizeof(signal), "%.*s", (int)slen, id);
    if (in_list(signal, other_signals)) {
        pcol_diag_add(d, key, "pipeline \"%.80s\": profcol handles the profiles signal only, "
                      "not %s", id, signal);
        return false;
    }
    pcol_suggest_init(&s, signal);
    pcol_suggest_add(&s, "profiles");
    pcol_diag_add(d, key, "invalid pipeline id \"%.80s\": expected \"profiles\" or "
                  "\"profiles/NAME\"%s", id, s.best ? " (did you mean \"profiles\"?)" : "");
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
        pcol_diag_add(d, body, "pipeline \"%s\" must be a mapping with receivers, processors "
                      "and exporters", p->id);
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
    const struct pcol_cfg_pair *sp = find_pair(cfg->root, "service");
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
        pcol_diag_add(d, pipes ? pipes : sp ? sp->key : cfg->root,
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

const struct pcol_cfg_component *pcol_config_component(const struct pcol_config *cfg,
                                                       enum pcol_component_kind kind,
                                                       const char *id)
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
