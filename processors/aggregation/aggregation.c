/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aggregation.c: the `aggregation` processor (the gateway's volume
 * reducer): its options, checks, lifecycle, window timer and process().
 * Merging lives in merge.c, identities and hashes in identity.c,
 * cumulative_to_delta in delta.c.
 *
 * Window. Profiles are held for `window` (default 10s) and merged: all
 * profiles with the same identity become one output profile. Identity =
 * resource attributes (as a set: order does not matter) + resource
 * schema_url + scope name, version and attributes (as a set) + sample type
 * (type, unit) + period type (type, unit) + the values of the `group_by`
 * keys (looked up on the profile, then its scope, then its resource, so a
 * resource attribute works too; a profile lacking a key groups with the
 * others lacking it). Everything is compared by content, never by index.
 * When the window ends everything held goes on as ONE batch, the resource ->
 * scope -> profile tree rebuilt (one resource per resource identity, in
 * order of first arrival; likewise scopes and profiles).
 *
 * Merged profiles:
 *  - Samples with the same stack (by content), the same attribute set
 *    (order does not matter) and the same link merge. The keys in
 *    `drop_sample_attributes` (e.g. thread.id) are removed from their
 *    samples first, so samples that differed only there merge too.
 *  - keep_timestamps false (default): every sample carries ONE value, the
 *    sum of what it merged; a timestamps-only sample counts 1 per timestamp
 *    (OTLP "Sample" rules); timestamps are dropped.
 *    keep_timestamps true: timestamped samples (timestamps only, or values
 *    paired with timestamps) concatenate their timestamps and values (a
 *    timestamps-only side gets value 1 per timestamp when paired with
 *    values). A sample with one aggregated value and no timestamps cannot
 *    be paired with timestamps, so it stays a sample of its own (summed
 *    with other aggregated samples of its identity), next to the
 *    timestamped one: the profile may then hold two samples of one
 *    identity, one per shape. Samples whose values and timestamps differ in
 *    length (invalid OTLP) are treated as aggregated.
 *  - Profile fields: time_unix_nano = the earliest input start, duration up
 *    to the latest input end (inputs without a time are left out); period =
 *    the first input's; attributes = only those equal (key, value and unit)
 *    in every merged input; profile_id = a fresh id hashed from the inputs'
 *    ids (zero when none had one); dropped_attributes_count summed;
 *    original_payload dropped: merged data has no single original.
 *    Resource and scope fields outside the identity (dropped counts, entity
 *    refs, scope schema_url) are the first input's.
 *  - A profile whose identity appears only once in a window passes through
 *    unchanged, only copied (its samples not folded, its profile_id and
 *    original_payload kept) unless drop_sample_attributes is set: those
 *    keys are removed from every profile that leaves, so such a profile
 *    goes through the sample index as a merged one does.
 *  - Sums are exact: per sample type, the output values add up to the
 *    inputs' (int64, wrapping like the inputs would).
 *
 * Memory. The accumulator is a batch of its own; its bytes are charged to
 * the pipeline's memory budget after every merge. The window is flushed
 * early when the accumulator holds `max_bytes` (default 64MiB), or when
 * the budget has no room for another input of the incoming size (the flush
 * comes first, then the input starts a new window). Stopping flushes. The
 * window timer runs only while something is held: it starts with the
 * first input of a window and is not repeated while empty. A flush whose
 * merging left unreferenced dictionary entries behind (dropped attributes,
 * profile attributes that were not equal) sends a compacted copy
 * (pcol_batch_clone). The sample and identity indexes are heap memory not
 * counted in the budget (8 to 16 bytes per distinct sample).
 *
 * cumulative_to_delta (default off). Profiles whose sample type is one of
 * `cumulative_types` (default alloc_objects, alloc_space, contentions,
 * delay: Go's heap alloc_* columns and mutex/block profiles count since
 * process start) become deltas BEFORE window merging, per series (= the
 * identity above). Per series the previous cumulative value of each sample
 * identity (stack by content + attribute set + link) is kept; the output
 * value is current - previous (repeated identities within a profile are
 * summed first and go out once, values folded to one, timestamps dropped);
 * samples whose delta is 0 are removed. When any sample's value went down,
 * the process restarted: the whole profile's current values are the delta
 * (and the new baseline). The FIRST profile of a series only sets the
 * baseline and is not forwarded: it is counted as dropped with reason
 * "delta_baseline". A delta profile's time_unix_nano is the previous
 * profile's end (its time when it had no duration) and its duration runs to
 * the current end; its original_payload (cumulative bytes) is dropped.
 * Other sample types (inuse_space, cpu samples, ...) pass untouched. At most
 * `max_series` series are kept (the least recently seen goes when full,
 * logged once); a series not seen for `series_ttl` is forgotten, so its
 * next profile is a baseline again.
 *
 * Ownership: the core owns the instance and the context; struct pcol__agg
 * (window, delta series, timer) is made at init/start and freed at
 * destroy. process() always takes the batch (PCOL_HOLD): it is merged and
 * released, and the accumulator is emitted later with pcol_emit().
 */
#include "aggregation.h"

#include <stdlib.h>
#include <string.h>

#define OFF(field) offsetof(struct pcol__agg_ctx, field)

static const struct pcol_option aggregation_options[] = {
    {"window", PCOL_OPT_DURATION, OFF(window), "10s", "100ms", "24h", NULL, 0, NULL, 0,
     "How long profiles are held and merged before the merged batch is sent on; a window "
     "starts with the first profile held."},
    {"group_by", PCOL_OPT_STRING_LIST, OFF(group_by), NULL, NULL, "64", NULL, 0, NULL, 0,
     "Attribute keys whose values also keep profiles apart (looked up on the profile, then its "
     "scope, then its resource); profiles lacking a key merge with each other."},
    {"drop_sample_attributes", PCOL_OPT_STRING_LIST, OFF(drop_sample_attributes), NULL, NULL, "64",
     NULL, 0, NULL, 0,
     "Sample attribute keys (e.g. thread.id) removed from the samples of merged profiles, so "
     "samples that differed only there merge."},
    {"keep_timestamps", PCOL_OPT_BOOL, OFF(keep_timestamps), "false", NULL, NULL, NULL, 0, NULL, 0,
     "Keep sample timestamps: merged samples concatenate their timestamps and values; off, each "
     "merged sample carries one summed value and no timestamps."},
    {"max_bytes", PCOL_OPT_SIZE, OFF(max_bytes), "64MiB", "64KiB", "16GiB", NULL, 0, NULL, 0,
     "Send the window early once the merged data holds this many bytes (it counts against the "
     "pipeline's memory budget while held)."},
    {"cumulative_to_delta", PCOL_OPT_BOOL, OFF(cumulative_to_delta), "false", NULL, NULL, NULL, 0,
     NULL, 0,
     "Turn profiles of cumulative_types into deltas against the previous profile of their "
     "series before merging; the first profile of a series is only the baseline and is "
     "dropped (reason delta_baseline)."},
    {"cumulative_types", PCOL_OPT_STRING_LIST, OFF(cumulative_types),
     "[alloc_objects, alloc_space, contentions, delay]", NULL, "64", NULL, 0, NULL, 0,
     "Sample types (type names) whose values count since process start, for "
     "cumulative_to_delta."},
    {"max_series", PCOL_OPT_UINT, OFF(max_series), "1000", "1", "1000000", NULL, 0, NULL, 0,
     "Series (profile identities) whose previous cumulative values are kept; when full, the "
     "least recently seen is forgotten."},
    {"series_ttl", PCOL_OPT_DURATION, OFF(series_ttl), "10m", "1s", NULL, NULL, 0, NULL, 0,
     "A series not seen for this long is forgotten: its next profile is a baseline again."},
    {0},
};

/* ---- validate ------------------------------------------------------------------ */

static void check_keys(const struct pcol_str_list *l, const struct pcol_cfg_node *node,
                       const char *what, struct pcol_diag *diag)
{
    size_t i, j;

    for (i = 0; i < l->n; i++) {
        const struct pcol_cfg_node *at =
            node && node->kind == PCOL_NODE_SEQUENCE && i < node->count ? node->items[i] : node;
        if (!l->v[i][0]) {
            pcol_diag_add(diag, at, "%s: an empty key", what);
            continue;
        }
        for (j = 0; j < i; j++) {
            if (!strcmp(l->v[i], l->v[j])) {
                pcol_diag_add(diag, at, "%s: \"%.80s\" is listed twice", what, l->v[i]);
                break;
            }
        }
    }
}

static void aggregation_validate(const void *ctx, const struct pcol_cfg_node *node,
                                 struct pcol_diag *diag)
{
    const struct pcol__agg_ctx *cfg = ctx;

    check_keys(&cfg->group_by, pcol_cfg_get(node, "group_by"), "group_by", diag);
    check_keys(&cfg->drop_sample_attributes, pcol_cfg_get(node, "drop_sample_attributes"),
               "drop_sample_attributes", diag);
    check_keys(&cfg->cumulative_types, pcol_cfg_get(node, "cumulative_types"), "cumulative_types",
               diag);
    if (cfg->cumulative_to_delta && cfg->cumulative_types.n == 0) {
        const struct pcol_cfg_node *at = pcol_cfg_get(node, "cumulative_types");
        pcol_diag_add(diag, at ? at : pcol_cfg_get(node, "cumulative_to_delta"),
                      "cumulative_to_delta needs at least one of cumulative_types");
    }
}

/* ---- the window timer and flushing ------------------------------------------------ */

struct pcol__agg_timer {
    uv_timer_t t;
    struct pcol__agg *agg; /* NULL once destroy gave the timer up */
};

/* Sends everything held on as one batch. */
static void flush(struct pcol__agg *agg)
{
    uint64_t inputs = agg->win.inputs;
    struct pcol_batch *out;

    if (agg->timer_armed) {
        uv_timer_stop(&agg->timer->t);
        agg->timer_armed = false;
    }
    if ((out = pcol__agg_window_take(agg))) {
        pcol_log(agg->inst, PCOL_LOG_DEBUG,
                 "window: %llu profiles merged into %zu (%zu samples, %zu bytes)",
                 (unsigned long long)inputs, pcol_batch_profile_count(out),
                 pcol_batch_sample_count(out), pcol_batch_bytes(out));
        pcol_emit(agg->inst, out);
    }
}

static void on_window_end(uv_timer_t *t)
{
    struct pcol__agg_timer *tm = PCOL_CONTAINER_OF(t, struct pcol__agg_timer, t);

    tm->agg->timer_armed = false;
    flush(tm->agg);
}

static void arm(struct pcol__agg *agg)
{
    uv_loop_t *loop = pcol_loop(agg->inst);

    if (!agg->timer || agg->timer_closing) {
        return;
    }
    /* The loop's cached time may be stale when batches arrive between runs. */
    uv_update_time(loop);
    uv_timer_start(&agg->timer->t, on_window_end, (uint64_t)agg->cfg->window / 1000000, 0);
    agg->timer_armed = true;
}

static void timer_closed(uv_handle_t *h)
{
    struct pcol__agg_timer *tm = PCOL_CONTAINER_OF((uv_timer_t *)h, struct pcol__agg_timer, t);
    struct pcol__agg *agg = tm->agg;

    free(tm);
    if (agg) {
        agg->timer = NULL;
    }
    if (agg && agg->stop_done) {
        pcol_stop_cb done = agg->stop_done;
        agg->stop_done = NULL;
        done(agg->inst);
    }
}

/* ---- lifecycle ------------------------------------------------------------------- */

static size_t *lengths(const struct pcol_str_list *l)
{
    size_t *v = pcol_xcalloc(l->n ? l->n : 1, sizeof(*v)), i;

    for (i = 0; i < l->n; i++) {
        v[i] = strlen(l->v[i]);
    }
    return v;
}

static int aggregation_init(struct pcol_instance *inst)
{
    struct pcol__agg_ctx *cfg = pcol_ctx(inst);
    struct pcol__agg *agg = pcol_xcalloc(1, sizeof(*agg));

    agg->inst = inst;
    agg->cfg = cfg;
    agg->drop_len = lengths(&cfg->drop_sample_attributes);
    agg->cum_len = lengths(&cfg->cumulative_types);
    if (cfg->cumulative_to_delta) {
        agg->delta = pcol__agg_delta_create();
    }
    cfg->agg = agg;
    return 0;
}

static int aggregation_start(struct pcol_instance *inst)
{
    struct pcol__agg *agg = ((struct pcol__agg_ctx *)pcol_ctx(inst))->agg;

    agg->timer = pcol_xcalloc(1, sizeof(*agg->timer));
    agg->timer->agg = agg;
    uv_timer_init(pcol_loop(inst), &agg->timer->t);
    return 0;
}

static void aggregation_stop(struct pcol_instance *inst, pcol_stop_cb done)
{
    struct pcol__agg *agg = ((struct pcol__agg_ctx *)pcol_ctx(inst))->agg;

    flush(agg);
    agg->stopping = true;
    if (!agg->timer) {
        done(inst);
        return;
    }
    agg->stop_done = done;
    agg->timer_closing = true;
    uv_close((uv_handle_t *)&agg->timer->t, timer_closed);
}

static void aggregation_destroy(struct pcol_instance *inst)
{
    struct pcol__agg_ctx *cfg = pcol_ctx(inst);
    struct pcol__agg *agg = cfg->agg;

    if (!agg) {
        return;
    }
    if (agg->timer) {
        /* Never stopped (or still closing): the close callback only frees it. */
        agg->timer->agg = NULL;
        if (!agg->timer_closing) {
            uv_close((uv_handle_t *)&agg->timer->t, timer_closed);
        }
    }
    pcol__agg_window_free(&agg->win);
    pcol__agg_delta_free(agg->delta);
    free(agg->drop_len);
    free(agg->cum_len);
    free(agg);
    cfg->agg = NULL;
}

/* ---- process ---------------------------------------------------------------------- */

static enum pcol_status aggregation_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    const struct pcol__agg_ctx *cfg = pcol_ctx(inst);
    struct pcol__agg *agg = cfg->agg;

    if (agg->stopping) {
        return PCOL_CONTINUE; /* nothing can be held any more */
    }
    if (agg->delta) {
        pcol__agg_delta_apply(agg, b, uv_now(pcol_loop(inst)));
    }
    if (pcol_batch_profile_count(b) == 0) {
        pcol_batch_release(b); /* nothing left (baselines), or nothing came */
        return PCOL_HOLD;
    }
    if (agg->win.acc && !pcol_processor_has_room(inst, pcol_batch_bytes(b))) {
        flush(agg);
    }
    pcol__agg_window_add(agg, b);
    pcol_batch_release(b);
    pcol_processor_charge(inst, agg->win.acc);
    if (pcol_batch_bytes(agg->win.acc) >= cfg->max_bytes) {
        flush(agg);
    } else if (!agg->timer_armed) {
        arm(agg);
    }
    return PCOL_HOLD;
}

const struct pcol_component_def pcol_processor_aggregation = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_PROCESSOR,
    .name = "aggregation",
    .summary = "Merges profiles of the same resource, scope and sample type over a time window "
               "(summing equal samples), and can turn cumulative profiles into deltas",
    .options = aggregation_options,
    .ctx_size = sizeof(struct pcol__agg_ctx),
    .validate = aggregation_validate,
    .init = aggregation_init,
    .start = aggregation_start,
    .stop = aggregation_stop,
    .destroy = aggregation_destroy,
    .process = aggregation_process,
    .mutates = true,
};
