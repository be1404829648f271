/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sampling.c: the `sampling` processor: keeps or drops whole profiles, so
 * what matters always gets through and the rest is thinned to a budget.
 *
 * Each profile (one struct pcol_profile, with its scope and resource) is
 * decided on its own, in this order:
 *   1. `policies`, first match wins: `keep` keeps it and skips the samplers,
 *      `drop` drops it (reason "policy"), `sample` (or no match) goes on.
 *   2. `probabilistic`: a consistent hash of service.name and the profile id
 *      (or of one attribute) against sampling_percentage; instances with the
 *      same hash_seed agree (probabilistic.c has the exact recipe). Drops
 *      count as reason "probabilistic".
 *   3. `rate_limit`: a token bucket per value of an attribute, refilled
 *      continuously by the loop clock (rate_limit.c). Drops count as reason
 *      "rate_limit". Only profiles that passed 2 take tokens.
 * Attributes are looked up on the profile, then its scope, then its
 * resource (pcol_attr_lookup_cstr, attrs.h).
 *
 * What goes on: a batch where everything was kept passes on untouched
 * (PCOL_CONTINUE, no copy). Otherwise the kept profiles are copied into a
 * new batch through a dictionary map, which is a clone of the pruned batch:
 * resources and scopes left empty disappear and dictionary entries only
 * dropped profiles used stay behind. The processor then returns PCOL_HOLD,
 * releases the input and emits the copy, or emits nothing when every
 * profile was dropped (so drops are counted by the reasons above, never as
 * "batch"). Kept profiles are copied whole: samples, values, stacks and
 * attributes are not changed.
 *
 * Ownership: the core owns the instance and this context (sampling.h); the
 * processor owns the input batch once it returns PCOL_HOLD, and hands the
 * copy to pcol_emit().
 */
#include "sampling.h"

#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = {"keep", "drop", "sample", NULL};

#define MATCH(f) offsetof(struct sampling_match, f)
#define POLICY(f) offsetof(struct sampling_policy, f)
#define PROB(f) offsetof(struct sampling_probabilistic, f)
#define RATE(f) offsetof(struct sampling_rate_limit, f)

static const struct pcol_option match_options[] = {
    {"attributes", PCOL_OPT_STRING_MAP, MATCH(attributes), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "Attributes that must all be present with these values, compared as text (true, 42, 1.5, "
     "strings as they are); the value \"*\" only asks that the attribute is present. Looked up "
     "on the profile, then its scope, then its resource."},
    {"regex", PCOL_OPT_STRING_MAP, MATCH(regex), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "Attributes that must be present with a text the regular expression matches "
     "(unanchored: write ^...$ to match whole values), e.g. service.name: \"^payments-\"."},
    {"sample_type", PCOL_OPT_STRING, MATCH(sample_type), NULL, "1", NULL, NULL, 0, NULL, 0,
     "The profile's sample type must be exactly this, e.g. cpu, alloc_space or goroutine."},
    {0},
};

static const struct pcol_option policy_options[] = {
    {"name", PCOL_OPT_STRING, POLICY(name), NULL, NULL, NULL, NULL, 0, NULL, 0,
     "A name for the policy, used in logs."},
    {"match", PCOL_OPT_SECTION, POLICY(match), NULL, NULL, NULL, NULL, 0, match_options, 0,
     "Conditions that must all hold for the policy to apply; an empty match applies to every "
     "profile (a catch-all last rule)."},
    {"action", PCOL_OPT_ENUM, POLICY(action), "keep", NULL, NULL, action_names, 0, NULL, 0,
     "keep: keep the profile and skip the samplers; drop: drop it (reason policy); sample: "
     "leave it to probabilistic and rate_limit, as if no policy matched."},
    {0},
};

static const struct pcol_option probabilistic_options[] = {
    {"sampling_percentage", PCOL_OPT_DOUBLE, PROB(percentage), "100", "0", "100", NULL, 0, NULL, 0,
     "Percentage of profiles kept (0.01 resolution); 100 keeps all, 0 drops all that reach "
     "this sampler."},
    {"hash_seed", PCOL_OPT_UINT, PROB(hash_seed), "0", NULL, NULL, NULL, 0, NULL, 0,
     "Seed of the FNV-1a hash; instances with the same seed keep the same profiles, a "
     "different seed picks a different subset."},
    {"attribute", PCOL_OPT_STRING, PROB(attribute), NULL, "1", NULL, NULL, 0, NULL, 0,
     "Hash this attribute's text instead of service.name plus the profile id, so all "
     "profiles with one value are kept or dropped together (profiles without it hash \"\")."},
    {0},
};

static const struct pcol_option rate_limit_options[] = {
    {"profiles", PCOL_OPT_UINT, RATE(profiles), "0", "0", "1000000000", NULL, 0, NULL, 0,
     "Profiles kept per interval and key value; 0 turns the rate limit off."},
    {"interval", PCOL_OPT_DURATION, RATE(interval), "1m", "1ms", "168h", NULL, 0, NULL, 0,
     "The period `profiles` refers to; tokens refill continuously (millisecond resolution)."},
    {"burst", PCOL_OPT_UINT, RATE(burst), "0", "0", "1000000000", NULL, 0, NULL, 0,
     "Most profiles kept at once after an idle time (the bucket size); 0 means the same as "
     "profiles."},
    {"key", PCOL_OPT_STRING, RATE(key), "service.name", "1", NULL, NULL, 0, NULL, 0,
     "Attribute whose value gets its own bucket; profiles without it share the key \"\"."},
    {"max_keys", PCOL_OPT_UINT, RATE(max_keys), "10000", "1", "10000000", NULL, 0, NULL, 0,
     "Most key values tracked at once; a new one beyond it evicts the least recently used "
     "bucket, which starts full if its key comes back."},
    {0},
};

static const struct pcol_option sampling_options[] = {
    {"policies", PCOL_OPT_SECTION_LIST, offsetof(struct sampling, policies), NULL, NULL, NULL, NULL,
     0, policy_options, sizeof(struct sampling_policy),
     "Ordered rules checked before the samplers; the first whose match applies decides "
     "(keep, drop or sample)."},
    {"probabilistic", PCOL_OPT_SECTION, offsetof(struct sampling, probabilistic), NULL, NULL, NULL,
     NULL, 0, probabilistic_options, 0,
     "Consistent probabilistic sampling of the profiles no policy kept or dropped."},
    {"rate_limit", PCOL_OPT_SECTION, offsetof(struct sampling, rate_limit), NULL, NULL, NULL, NULL,
     0, rate_limit_options, 0,
     "A token bucket per key value, for the profiles that passed the probabilistic sampler."},
    {0},
};

/* ---- lifecycle -------------------------------------------------------------------- */

static void sampling_validate(const void *ctx, const struct pcol_cfg_node *node,
                              struct pcol_diag *diag)
{
    const struct sampling *sp = ctx;
    const struct pcol_cfg_node *rl = pcol_cfg_get(node, "rate_limit");

    pcol__sampling_policies_validate(&sp->policies, node, diag);
    if (sp->rate_limit.profiles == 0 && sp->rate_limit.burst != 0) {
        pcol_diag_warn(diag, pcol_cfg_get(rl, "burst"),
                       "rate_limit.burst has no effect while rate_limit.profiles is 0 (off)");
    }
}

static int sampling_init(struct pcol_instance *inst)
{
    struct sampling *sp = pcol_ctx(inst);
    char why[256];

    sp->inst = inst;
    sp->arena = pcol_arena_create(0);
    if (pcol__sampling_policies_init(sp, why, sizeof(why)) != 0) {
        pcol_log(inst, PCOL_LOG_ERROR, "policies: %s", why);
        pcol_arena_destroy(sp->arena);
        sp->arena = NULL;
        return PCOL_EINVAL;
    }
    sp->active =
        sp->policies.n > 0 || sp->probabilistic.percentage < 100.0 || sp->rate_limit.profiles > 0;
    return 0;
}

static void sampling_destroy(struct pcol_instance *inst)
{
    struct sampling *sp = pcol_ctx(inst);

    pcol__sampling_rate_free(&sp->rate_limit);
    pcol_buf_free(&sp->text);
    free(sp->verdicts);
    sp->verdicts = NULL;
    if (sp->arena) {
        pcol_arena_destroy(sp->arena);
        sp->arena = NULL;
    }
}

/* ---- process ------------------------------------------------------------------------ */

static enum sampling_verdict decide(struct sampling *sp, const struct pcol_batch *b,
                                    const struct pcol_resource *r, const struct pcol_scope *s,
                                    const struct pcol_profile *p, uint64_t now_ms)
{
    switch (pcol__sampling_policy_action(sp, b, r, s, p)) {
    case SAMPLING_KEEP: return VERDICT_KEEP;
    case SAMPLING_DROP: return VERDICT_DROP_POLICY;
    case SAMPLING_SAMPLE: break;
    }
    if (!pcol__sampling_probabilistic_keep(sp, b, r, s, p)) {
        return VERDICT_DROP_PROBABILISTIC;
    }
    if (sp->rate_limit.profiles && !pcol__sampling_rate_keep(sp, b, r, s, p, now_ms)) {
        return VERDICT_DROP_RATE_LIMIT;
    }
    return VERDICT_KEEP;
}

/* A new batch holding the profiles whose verdict is KEEP, with only the
 * resources and scopes they sit in and the dictionary entries they use. */
static struct pcol_batch *copy_kept(const struct pcol_batch *src, const uint8_t *verdicts, size_t n,
                                    size_t kept)
{
    struct pcol_batch *dst = pcol_batch_create(pcol_batch_bytes(src) / n * kept);
    struct pcol_dict_map *m = pcol_dict_map_create(dst, src);
    size_t idx = 0;
    uint32_t i, j, k;

    for (i = 0; i < src->n_resources; i++) {
        const struct pcol_resource *sr = &src->resources[i];
        /* dr stays valid while only its own scopes grow; ds while only
         * its own profiles grow. */
        struct pcol_resource *dr = NULL;
        for (j = 0; j < sr->n_scopes; j++) {
            const struct pcol_scope *ss = &sr->scopes[j];
            struct pcol_scope *ds = NULL;
            for (k = 0; k < ss->n_profiles; k++) {
                if (verdicts[idx++] != VERDICT_KEEP) {
                    continue;
                }
                if (!dr) {
                    dr = pcol_map_add_resource(m, sr);
                }
                if (!ds) {
                    ds = pcol_map_add_scope(m, dr, ss);
                }
                pcol_map_add_profile(m, ds, &ss->profiles[k], true);
            }
        }
    }
    pcol_dict_map_free(m);
    dst->received_unix_nano = src->received_unix_nano;
    return dst;
}

static enum pcol_status sampling_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    static const char *const reasons[VERDICT_COUNT] = {
        [VERDICT_DROP_POLICY] = "policy",
        [VERDICT_DROP_PROBABILISTIC] = "probabilistic",
        [VERDICT_DROP_RATE_LIMIT] = "rate_limit",
    };
    struct sampling *sp = pcol_ctx(inst);
    uint64_t count[VERDICT_COUNT] = {0};
    size_t n = pcol_batch_profile_count(b), idx = 0;
    struct pcol_batch *out = NULL;
    uint64_t now_ms;
    uint32_t i, j, k;

    if (!sp->active || n == 0) {
        return PCOL_CONTINUE;
    }
    if (sp->cap_verdicts < n) {
        sp->verdicts = pcol_xrealloc(sp->verdicts, n);
        sp->cap_verdicts = n;
    }
    now_ms = uv_now(pcol_loop(inst));
    for (i = 0; i < b->n_resources; i++) {
        const struct pcol_resource *r = &b->resources[i];
        for (j = 0; j < r->n_scopes; j++) {
            const struct pcol_scope *s = &r->scopes[j];
            for (k = 0; k < s->n_profiles; k++) {
                enum sampling_verdict v = decide(sp, b, r, s, &s->profiles[k], now_ms);
                sp->verdicts[idx++] = (uint8_t)v;
                count[v]++;
            }
        }
    }
    if (count[VERDICT_KEEP] == n) {
        return PCOL_CONTINUE;
    }
    for (i = VERDICT_DROP_POLICY; i < VERDICT_COUNT; i++) {
        pcol_processor_dropped(inst, reasons[i], count[i]);
    }
    if (count[VERDICT_KEEP]) {
        out = copy_kept(b, sp->verdicts, n, count[VERDICT_KEEP]);
    }
    pcol_batch_release(b);
    if (out) {
        pcol_emit(inst, out);
    }
    return PCOL_HOLD;
}

const struct pcol_component_def pcol_processor_sampling = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_PROCESSOR,
    .name = "sampling",
    .summary = "Keeps or drops whole profiles: ordered policies, consistent probabilistic "
               "sampling, per-key rate limits",
    .options = sampling_options,
    .ctx_size = sizeof(struct sampling),
    .validate = sampling_validate,
    .init = sampling_init,
    .destroy = sampling_destroy,
    .process = sampling_process,
    /* process() only reads its input (the kept profiles go into a new
     * batch), so fan-out may share it instead of cloning it. */
    .mutates = false,
};
