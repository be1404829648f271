/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resource.c: the `resource` processor: sets, renames, hashes, extracts,
 * converts and deletes attributes (the collector's resource processor and
 * its attribute actions, widened to scope, profile and sample attributes)
 * and adds resource attributes found by detectors (the collector's
 * resource_detection, for env, system and kubernetes).
 *
 *   processors:
 *     resource:
 *       detectors: [env, system]        # once at start; earlier ones win
 *       override: true                  # detected values replace existing
 *       attributes:
 *         - {action: upsert, key: deployment.environment, value: prod}
 *         - {action: insert, key: thread.name, from_attribute: thread_name,
 *            target: sample}
 *         - {action: delete, key: thread_name, target: sample}
 *         - {action: hash, pattern: "^user\\.", target: sample}
 *
 * Order: for every batch, the detected attributes are applied to each
 * resource first (upsert, or insert with override: false), then the
 * `attributes` actions in the order written. An action reads and writes the
 * attributes of its own target only (from_attribute included), so actions of
 * different targets never see each other's work and run target by target.
 * Action semantics are in resource_actions.c; targets and the sample cache
 * in resource_targets.c; detectors in resource_detect.c; options and
 * config checks in resource_config.c.
 *
 * The processor never drops profiles and never fails at run time: every
 * bad value or pattern is a config error. It changes batches in place
 * (mutates), with new arrays for every changed list; strings or attributes
 * it leaves unreferenced are dropped by the next clone or encode.
 *
 * Ownership: see resource.h.
 */
#include "resource.h"

#include <stdlib.h>
#include <string.h>

/* Fills `out` from one configured action; false if its value does not parse
 * (validate refuses that config, so only a config that skipped it gets here). */
static bool action_from_cfg(const struct pcol__res_action_cfg *cfg, struct pcol__res_action *out)
{
    char why[160];

    memset(out, 0, sizeof(*out));
    out->kind = cfg->action;
    out->target = cfg->target;
    out->key = cfg->key;
    out->key_len = cfg->key ? strlen(cfg->key) : 0;
    out->from = cfg->from_attribute;
    out->from_len = cfg->from_attribute ? strlen(cfg->from_attribute) : 0;
    out->pattern = cfg->pattern;
    out->type = cfg->converted_type;
    if (cfg->value.text) {
        out->has_value = true;
        return pcol__res_literal_parse(&cfg->value, &out->value, why, sizeof(why));
    }
    return true;
}

static void log_detected(struct pcol__res_ctx *c)
{
    struct pcol_buf keys = {0};
    size_t i;

    if (!c->detectors.n) {
        return;
    }
    for (i = 0; i < c->n_detected; i++) {
        pcol_buf_printf(&keys, "%s%s", i ? ", " : "", c->detected[i].key);
    }
    pcol_buf_putc(&keys, '\0');
    pcol_log(c->inst, c->n_detected ? PCOL_LOG_INFO : PCOL_LOG_WARN,
             "detected %zu resource attribute(s)%s%s", c->n_detected, c->n_detected ? ": " : "",
             (const char *)keys.p);
    pcol_buf_free(&keys);
}

static void resource_destroy(struct pcol_instance *inst)
{
    struct pcol__res_ctx *c = pcol_ctx(inst);

    pcol__res_detected_free(c);
    pcol__res_cache_free(c);
    free(c->actions);
    free(c->prep);
    free(c->group_keys);
    free(c->match);
    free(c->w.v);
    pcol_buf_free(&c->text);
    c->actions = NULL;
    c->prep = NULL;
    c->group_keys = NULL;
    c->match = NULL;
    c->w.v = NULL;
}

static int resource_init(struct pcol_instance *inst)
{
    struct pcol__res_ctx *c = pcol_ctx(inst);
    const struct pcol__res_action_cfg *cfg = c->attributes.v;
    size_t n, i, n_groups = 0;
    int t;

    c->inst = inst;
    pcol__res_detect(c);
    log_detected(c);
    n = c->n_detected + c->attributes.n;
    c->actions = pcol_xcalloc(n + 1, sizeof(*c->actions));
    c->n_actions = 0;
    for (t = 0; t < PCOL__RES_TARGETS; t++) {
        c->first[t] = c->n_actions;
        for (i = 0; t == PCOL__RES_T_RESOURCE && i < c->n_detected; i++) {
            struct pcol__res_action *a = &c->actions[c->n_actions++];
            a->kind = c->override ? PCOL__RES_UPSERT : PCOL__RES_INSERT;
            a->target = PCOL__RES_T_RESOURCE;
            a->key = c->detected[i].key;
            a->key_len = strlen(a->key);
            a->has_value = true;
            a->value.kind = PCOL_VAL_STR;
            a->value.text = c->detected[i].value;
            a->value.len = strlen(a->value.text);
        }
        for (i = 0; i < c->attributes.n; i++) {
            if (cfg[i].target != t) {
                continue;
            }
            if (!action_from_cfg(&cfg[i], &c->actions[c->n_actions])) {
                pcol_log(inst, PCOL_LOG_ERROR, "attributes[%zu]: bad value", i);
                resource_destroy(inst); /* the core destroys initialised instances only */
                return PCOL_EINVAL;
            }
            if (cfg[i].action == PCOL__RES_EXTRACT) {
                n_groups += cfg[i].pattern->n_groups + 1;
                if (cfg[i].pattern->n_groups > c->max_groups) {
                    c->max_groups = cfg[i].pattern->n_groups;
                }
            }
            c->n_actions++;
        }
    }
    c->first[PCOL__RES_TARGETS] = c->n_actions;
    c->prep = pcol_xcalloc(c->n_actions + 1, sizeof(*c->prep));
    c->group_keys = pcol_xcalloc(n_groups + 1, sizeof(*c->group_keys));
    c->match = pcol_xcalloc(c->max_groups + 1, sizeof(*c->match));
    return 0;
}

static enum pcol_status resource_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    struct pcol__res_ctx *c = pcol_ctx(inst);
    size_t i, groups = 0;
    int t;

    for (i = 0; i < c->n_actions; i++) {
        c->prep[i].a = &c->actions[i];
        pcol__res_prepare(b, &c->prep[i], c->group_keys + groups);
        if (c->actions[i].kind == PCOL__RES_EXTRACT) {
            groups += c->actions[i].pattern->n_groups + 1;
        }
    }
    for (t = 0; t < PCOL__RES_TARGETS; t++) {
        if (c->first[t + 1] > c->first[t]) {
            pcol__res_run_target(c, b, t, c->prep + c->first[t], c->first[t + 1] - c->first[t]);
        }
    }
    return PCOL_CONTINUE;
}

const struct pcol_component_def pcol_processor_resource = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_PROCESSOR,
    .name = "resource",
    .summary = "Sets, renames, hashes, extracts, converts and deletes resource, scope, profile "
               "and sample attributes; adds detected resource attributes (env, system, "
               "kubernetes)",
    .options = pcol__res_options,
    .ctx_size = sizeof(struct pcol__res_ctx),
    .validate = pcol__res_validate,
    .init = resource_init,
    .destroy = resource_destroy,
    .process = resource_process,
    .mutates = true,
};
