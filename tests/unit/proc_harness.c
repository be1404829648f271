/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc_harness.c: see proc_harness.h. The pipeline is the core's own
 * (pipeline.c): position 0 is the processor under test, position 1 a sink
 * that keeps whatever reaches it.
 */
#include "proc_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "pipeline.h"
#include "telemetry.h"

struct ph {
    uv_loop_t loop;
    struct pcol_arena *arena; /* ctx and option values */
    struct pcol_instance proc, sink;
    struct pcol_instance *procs[2];
    struct pcol_pipeline pipe;
    struct pcol_batch *out[PH_MAX_OUT];
    size_t n_out, first;
    bool stopped;
};

static enum pcol_status sink_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    struct ph *h = pcol_ctx(inst);

    assert_true(h->n_out < PH_MAX_OUT);
    h->out[h->n_out++] = b;
    return PCOL_HOLD;
}

static const struct pcol_component_def sink_def = {
    .kind = PCOL_PROCESSOR, .name = "sink", .process = sink_process};

static const struct pcol_cfg_node *parse_yaml(struct pcol_arena *a, const char *yaml,
                                              struct pcol_diag *d)
{
    return *yaml ? pcol__cfg_parse_value(a, "test.yaml", yaml, d) : NULL;
}

size_t ph_config_errors(const struct pcol_component_def *def, const char *yaml, struct pcol_diag *d)
{
    struct pcol_arena *a = pcol_arena_create(0);
    const struct pcol_cfg_node *node = parse_yaml(a, yaml, d);
    void *ctx = pcol_arena_calloc(a, def->ctx_size ? def->ctx_size : 1);

    if (d->errors == 0) {
        pcol_options_apply(def->options, node, ctx, a, d);
        if (d->errors == 0 && def->validate) {
            def->validate(ctx, node, d);
        }
    }
    pcol_arena_destroy(a);
    return d->errors;
}

struct ph *ph_create_limited(const struct pcol_component_def *def, const char *yaml,
                             uint64_t memory_limit)
{
    struct ph *h = pcol_xcalloc(1, sizeof(*h));
    struct pcol_diag d = {0};
    const struct pcol_cfg_node *node;

    assert_int_equal(uv_loop_init(&h->loop), 0);
    h->arena = pcol_arena_create(0);
    node = parse_yaml(h->arena, yaml, &d);

    h->pipe.id = "profiles";
    h->pipe.procs = h->procs;
    h->pipe.n_procs = 2;
    h->pipe.mutates = def->mutates;
    pcol__pipeline_init(&h->pipe, memory_limit);

    h->proc.def = def;
    h->proc.kind = PCOL_PROCESSOR;
    h->proc.id = def->name;
    h->proc.who = def->name;
    h->proc.loop = &h->loop;
    h->proc.arena = h->arena;
    h->proc.pipe = &h->pipe;
    h->proc.pos = 0;
    h->proc.ctx = pcol_arena_calloc(h->arena, def->ctx_size ? def->ctx_size : 1);
    if (d.errors == 0) {
        pcol_options_apply(def->options, node, h->proc.ctx, h->arena, &d);
    }
    if (d.errors == 0 && def->validate) {
        def->validate(h->proc.ctx, node, &d);
    }
    if (d.errors) {
        pcol_diag_print(&d, stderr);
    }
    assert_int_equal(d.errors, 0);
    pcol_diag_free(&d);

    h->sink.def = &sink_def;
    h->sink.kind = PCOL_PROCESSOR;
    h->sink.id = "sink";
    h->sink.who = "sink";
    h->sink.loop = &h->loop;
    h->sink.ctx = h;
    h->sink.pipe = &h->pipe;
    h->sink.pos = 1;
    h->procs[0] = &h->proc;
    h->procs[1] = &h->sink;
    pcol__instance_metrics(&h->proc);
    pcol__instance_metrics(&h->sink);

    assert_int_equal(def->init ? def->init(&h->proc) : 0, 0);
    h->proc.initialised = true;
    assert_int_equal(def->start ? def->start(&h->proc) : 0, 0);
    h->proc.started = true;
    return h;
}

struct ph *ph_create(const struct pcol_component_def *def, const char *yaml)
{
    return ph_create_limited(def, yaml, 0);
}

void ph_process(struct ph *h, struct pcol_batch *b)
{
    pcol__pipeline_run(&h->pipe, b, 0);
}

struct pcol_batch *ph_take(struct ph *h)
{
    return h->first < h->n_out ? h->out[h->first++] : NULL;
}

size_t ph_count(const struct ph *h)
{
    return h->n_out - h->first;
}

void *ph_ctx(struct ph *h)
{
    return h->proc.ctx;
}

static void on_timer(uv_timer_t *t)
{
    uv_stop(t->loop);
}

void ph_run_for(struct ph *h, uint64_t ms)
{
    uv_timer_t t;

    uv_timer_init(&h->loop, &t);
    uv_timer_start(&t, on_timer, ms, 0);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&h->loop, UV_RUN_NOWAIT);
}

static void on_stopped(struct pcol_instance *inst)
{
    inst->stopped = true;
}

void ph_stop(struct ph *h)
{
    int spins = 0;

    if (h->stopped) {
        return;
    }
    h->stopped = true;
    h->proc.stopping = true;
    if (h->proc.def->stop) {
        h->proc.def->stop(&h->proc, on_stopped);
    } else {
        h->proc.stopped = true;
    }
    while (!h->proc.stopped && spins++ < 1000) {
        uv_run(&h->loop, UV_RUN_ONCE);
    }
    assert_true(h->proc.stopped);
}

void ph_destroy(struct ph *h)
{
    struct pcol_batch *b;

    ph_stop(h);
    if (h->proc.def->destroy) {
        h->proc.def->destroy(&h->proc);
    }
    uv_run(&h->loop, UV_RUN_NOWAIT);
    assert_int_equal(uv_loop_close(&h->loop), 0);
    while ((b = ph_take(h))) {
        pcol_batch_release(b);
    }
    pcol__pipeline_fini(&h->pipe);
    pcol_arena_destroy(h->arena);
    free(h);
}

uint64_t ph_dropped(const struct ph *h, const char *reason)
{
    char labels[256];

    snprintf(labels, sizeof(labels), "processor=\"%s\",pipeline=\"%s\",reason=\"%s\"", h->proc.id,
             h->pipe.id, reason);
    return *pcol_metric_counter("profcol_processor_dropped_profiles_total", "", labels);
}

uint64_t ph_budget_bytes(const struct ph *h)
{
    char labels[128];

    snprintf(labels, sizeof(labels), "pipeline=\"%s\"", h->pipe.id);
    return (uint64_t)*pcol_metric_gauge("profcol_pipeline_memory_bytes", "", labels);
}

struct pcol_batch *ph_corpus_batch(const char *name)
{
    struct pcol_buf raw = {0};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err = {0};

    tu_read_corpus(name, &raw);
    if (pcol_decode_any(b, PCOL_FMT_UNKNOWN, raw.p, raw.len, 0, &err) != 0) {
        fail_msg("%s: %s", name, err.msg);
    }
    pcol_buf_free(&raw);
    return b;
}
