/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tag_processor.c: a tiny external processor, built as a shared object and
 * loaded through the config's `plugins:` list by the e2e tests. It sets one
 * resource attribute on every resource (key and value from its options) and
 * can drop every profile whose resource already carries a given attribute.
 * With `hold: true` it keeps every batch until profcol stops (as an
 * aggregator would), which lets the tests fill a pipeline's memory budget
 * and check that held batches are flushed at shutdown.
 * Built once as-is and once with PCOL_TEST_ABI set to a wrong version, to
 * check that profcol refuses a plugin built for another ABI.
 */
#include "component.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifndef PCOL_TEST_ABI
#define PCOL_TEST_ABI PCOL_ABI_VERSION
#endif

struct tag_ctx {
    const char *key;
    const char *value;
    const char *drop_if;
    bool hold;
    struct pcol_batch **held; /* heap array, owned until stop */
    size_t n_held;
};

static const struct pcol_option tag_options[] = {
    {"key", PCOL_OPT_STRING, offsetof(struct tag_ctx, key), "profcol.plugin", NULL, NULL, NULL, 0,
     NULL, 0, "Resource attribute to set."},
    {"value", PCOL_OPT_STRING, offsetof(struct tag_ctx, value), NULL, NULL, NULL, NULL,
     PCOL_OPT_REQUIRED, NULL, 0, "Its value."},
    {"drop_if", PCOL_OPT_STRING, offsetof(struct tag_ctx, drop_if), NULL, NULL, NULL, NULL, 0, NULL,
     0, "Drop batches whose first resource has this attribute."},
    {"hold", PCOL_OPT_BOOL, offsetof(struct tag_ctx, hold), "false", NULL, NULL, NULL, 0, NULL, 0,
     "Keep every batch until profcol stops."},
    {0},
};

static void set_attr(struct pcol_batch *b, struct pcol_resource *r, int32_t key, int32_t value)
{
    struct pcol_kv *kv;
    uint32_t i;

    for (i = 0; i < r->n_attrs; i++) {
        if (r->attrs[i].key == key) {
            r->attrs[i].value.kind = PCOL_VAL_STR;
            r->attrs[i].value.u.str = value;
            return;
        }
    }
    /* Attribute arrays may be shared with the decoder: copy, never grow in place. */
    kv = pcol_arena_alloc(b->arena, (r->n_attrs + 1) * sizeof(*kv));
    if (r->n_attrs) {
        memcpy(kv, r->attrs, r->n_attrs * sizeof(*kv));
    }
    memset(&kv[r->n_attrs], 0, sizeof(*kv));
    kv[r->n_attrs].key = key;
    kv[r->n_attrs].value.kind = PCOL_VAL_STR;
    kv[r->n_attrs].value.u.str = value;
    r->attrs = kv;
    r->n_attrs++;
}

static enum pcol_status tag_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    struct tag_ctx *c = pcol_ctx(inst);
    int32_t key = pcol_dict_cstr(b, c->key), value = pcol_dict_cstr(b, c->value);
    uint32_t i;

    if (c->drop_if && b->n_resources) {
        int32_t k = pcol_dict_find_str(b, c->drop_if, strlen(c->drop_if));
        if (k > 0 && pcol_kvs_find(b->resources[0].attrs, b->resources[0].n_attrs, k)) {
            return PCOL_DROP;
        }
    }
    for (i = 0; i < b->n_resources; i++) {
        set_attr(b, &b->resources[i], key, value);
    }
    if (c->hold) {
        c->held = realloc(c->held, (c->n_held + 1) * sizeof(*c->held));
        c->held[c->n_held++] = b;
        return PCOL_HOLD;
    }
    return PCOL_CONTINUE;
}

/* Flushes what it holds down the pipeline, then says it has stopped. */
static void tag_stop(struct pcol_instance *inst, pcol_stop_cb done)
{
    struct tag_ctx *c = pcol_ctx(inst);
    size_t i;

    for (i = 0; i < c->n_held; i++) {
        pcol_emit(inst, c->held[i]);
    }
    free(c->held);
    c->held = NULL;
    c->n_held = 0;
    done(inst);
}

static const struct pcol_component_def tag_processor = {
    .abi_version = PCOL_TEST_ABI,
    .kind = PCOL_PROCESSOR,
    .name = "test_tag",
    .summary = "test plugin: sets a resource attribute",
    .options = tag_options,
    .ctx_size = sizeof(struct tag_ctx),
    .process = tag_process,
    .stop = tag_stop,
    .mutates = true,
};

const struct pcol_component_def *const pcol_plugin_components[] = {&tag_processor, NULL};
