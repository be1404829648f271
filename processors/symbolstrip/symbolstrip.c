/* SPDX-License-Identifier: Apache-2.0 */
/*
 * symbolstrip.c: the `symbolstrip` processor: its options, checks,
 * lifecycle and process(). It removes symbolic information (function names,
 * source file names, line numbers, binary paths) from profiles, for sending
 * them where source-level names must not go, or to make them smaller, while
 * keeping what a backend needs to symbolise them later: addresses, mappings
 * (memory ranges, file offsets) and build ids.
 *
 * `mode` (one of):
 *   drop           function names, system names and file names become "",
 *                  start lines 0, and every location line of such a
 *                  function is removed (a line number without a function
 *                  means nothing); a location whose lines all go keeps its
 *                  mapping, address and attributes, as an unsymbolised
 *                  frame. Mappings lose the `pprof.mapping.has_functions`,
 *                  `has_filenames`, `has_line_numbers` and
 *                  `has_inline_frames` flags (pprof's Mapping.has_*; an
 *                  absent flag is false), so pprof tools do not believe
 *                  symbols are present and may symbolise by address (also
 *                  when `keep` left some frames named: symbols are partial).
 *   hash           function names, system names and file names become
 *                  "h:" + the first 16 hex digits of HMAC-SHA256(key, text)
 *                  (symbolstrip_hash.c); the key is the value of the
 *                  environment variable named by `hash_key_env`, and init
 *                  fails when it is unset or empty. Equal names give equal
 *                  hashes across runs, hosts and instances sharing the key,
 *                  so profiles still aggregate. Line numbers, start lines and
 *                  the mapping flags stay (the frames still carry names).
 *   filenames      only source file names: each loses the longest
 *                  `trim_prefixes` entry it starts with (one starting with
 *                  none stays as it is); with no `trim_prefixes` every file
 *                  name is removed, and so is `pprof.mapping.has_filenames`.
 *                  Function names and line numbers stay.
 *   mapping_paths  only mapping (binary) paths are removed.
 * `mapping_paths: true` removes mapping paths as well, whatever the mode: one
 * mode for function data plus one switch for binary paths, since paths are
 * the one thing worth combining with any mode. Build ids always stay.
 *
 * `keep`: a function whose name or system name matches any expression stays
 * as it is, file name, start line and location lines included (modes drop,
 * hash and filenames), e.g. `^runtime\.` keeps the Go runtime readable.
 *
 * Functions are shared by all locations, so the function table is changed
 * in place (the batch is private: `mutates`), then process() passes on a
 * pcol_batch_clone(): the clone copies only what is still referenced, so
 * strings only dropped names used disappear and functions that became
 * equal (all "" in drop mode) merge. A batch nothing changed in passes on
 * as it is. Samples, values, stacks (as lists of locations), links and the
 * attributes of resources, scopes, profiles, samples, locations and mappings
 * (but the has_* flags above) are never touched.
 *
 * Profiles of runtimes that record no addresses (interpreters: the OTLP
 * spec examples, Python, Node) keep only their stack depth in drop mode:
 * every frame becomes the same empty location. Use hash mode for those.
 *
 * Nothing is counted as dropped: no profile or sample is removed. Init logs
 * the mode once; each batch logs what changed at debug level.
 *
 * Ownership: the core owns the instance and the context; the keyed HMAC
 * context is made at init and freed at destroy; process() takes the batch,
 * emits its clone and releases it.
 */
#include "symbolstrip.h"


static const char *const mode_names[] = {"drop", "hash", "filenames", "mapping_paths", NULL};

#define OFF(field) offsetof(struct pcol__symstrip, field)

static const struct pcol_option symbolstrip_options[] = {
    {"mode", PCOL_OPT_ENUM, OFF(mode), "drop", NULL, NULL, mode_names, 0, NULL, 0,
     "drop: remove function names, system names, file names and their location lines (addresses, "
     "mappings and build ids stay); hash: replace names and file names with \"h:\" + 16 hex "
     "digits of HMAC-SHA256; filenames: trim or remove source file names only; mapping_paths: "
     "remove mapping (binary) paths only."},
    {"keep", PCOL_OPT_REGEX_LIST, OFF(keep), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "Functions whose name or system name matches any of these stay readable, with their file "
     "names and lines (modes drop, hash and filenames)."},
    {"trim_prefixes", PCOL_OPT_STRING_LIST, OFF(trim_prefixes), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "Mode filenames: a file name starting with one of these loses the longest such prefix; "
     "with none given, file names are removed."},
    {"mapping_paths", PCOL_OPT_BOOL, OFF(mapping_paths), "false", NULL, NULL, NULL, 0, NULL, 0,
     "Also remove mapping (binary) paths, whatever the mode; build ids stay."},
    {"hash_key_env", PCOL_OPT_STRING, OFF(hash_key_env), "PROFCOL_SYMBOL_HASH_KEY", "1", NULL, NULL,
     0, NULL, 0,
     "Mode hash: the environment variable whose value (its bytes as they are) is the HMAC key; "
     "profcol does not start when it is unset or empty."},
    {0},
};

static void symbolstrip_validate(const void *ctx, const struct pcol_cfg_node *node,
                                 struct pcol_diag *diag)
{
    const struct pcol__symstrip *s = ctx;
    const struct pcol_cfg_node *at;
    size_t i;

    if ((at = pcol_cfg_get(node, "trim_prefixes")) && s->mode != PCOL__SYMSTRIP_FILENAMES) {
        pcol_diag_add(diag, at, "trim_prefixes applies to mode filenames only");
    }
    for (i = 0; i < s->trim_prefixes.n; i++) {
        if (!*s->trim_prefixes.v[i]) {
            pcol_diag_add(diag, at, "trim_prefixes: an empty prefix trims nothing");
        }
    }
    if ((at = pcol_cfg_get(node, "keep")) && s->mode == PCOL__SYMSTRIP_MAPPING_PATHS) {
        pcol_diag_add(diag, at, "keep has no effect in mode mapping_paths (functions stay)");
    }
    if ((at = pcol_cfg_get(node, "hash_key_env")) && s->mode != PCOL__SYMSTRIP_HASH) {
        pcol_diag_add(diag, at, "hash_key_env applies to mode hash only");
    }
    if ((at = pcol_cfg_get(node, "mapping_paths")) && s->mapping_paths &&
        s->mode == PCOL__SYMSTRIP_MAPPING_PATHS) {
        pcol_diag_warn(diag, at, "mapping_paths: true repeats what mode mapping_paths does");
    }
}

static const char *mode_summary(const struct pcol__symstrip *s)
{
    switch (s->mode) {
    case PCOL__SYMSTRIP_DROP:
        return "function names, system names, file names and their lines removed";
    case PCOL__SYMSTRIP_HASH: return "function names, system names and file names hashed";
    case PCOL__SYMSTRIP_FILENAMES:
        return s->trim_prefixes.n ? "file name prefixes trimmed" : "file names removed";
    default: return "only mapping paths removed";
    }
}

static int symbolstrip_init(struct pcol_instance *inst)
{
    struct pcol__symstrip *s = pcol_ctx(inst);
    bool hash = s->mode == PCOL__SYMSTRIP_HASH;
    int rc;

    s->inst = inst;
    if (hash && (rc = pcol__symstrip_hash_init(s)) != 0) {
        return rc;
    }
    pcol_log(inst, PCOL_LOG_INFO, "mode %s: %s%s%s; %zu keep pattern%s; mapping paths %s",
             mode_names[s->mode], mode_summary(s), hash ? " with the key in $" : "",
             hash ? s->hash_key_env : "", s->keep.n, s->keep.n == 1 ? "" : "s",
             s->mapping_paths || s->mode == PCOL__SYMSTRIP_MAPPING_PATHS ? "removed" : "kept");
    return 0;
}

static void symbolstrip_destroy(struct pcol_instance *inst)
{
    pcol__symstrip_hash_free(pcol_ctx(inst));
}

static enum pcol_status symbolstrip_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    struct pcol__symstrip *s = pcol_ctx(inst);
    struct pcol__symstrip_stats st = pcol__symstrip_rewrite(s, b);
    struct pcol_batch *out;

    pcol_log(inst, PCOL_LOG_DEBUG, "%u functions, %u location lines, %u mappings changed",
             st.functions, st.lines, st.mappings);
    if (!st.functions && !st.lines && !st.mappings) {
        return PCOL_CONTINUE;
    }
    /* The clone is the compaction: it copies only what is still referenced. */
    out = pcol_batch_clone(b);
    pcol_batch_release(b);
    pcol_emit(inst, out);
    return PCOL_HOLD;
}

const struct pcol_component_def pcol_processor_symbolstrip = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_PROCESSOR,
    .name = "symbolstrip",
    .summary = "Removes or hashes function names, file names, line numbers and binary paths; "
               "keeps addresses, mappings and build ids",
    .options = symbolstrip_options,
    .ctx_size = sizeof(struct pcol__symstrip),
    .validate = symbolstrip_validate,
    .init = symbolstrip_init,
    .destroy = symbolstrip_destroy,
    .process = symbolstrip_process,
    .mutates = true,
};
