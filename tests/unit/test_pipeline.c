/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pipeline.c: how batches move (pipeline.c) and the exporter helper
 * (exporter_helper.c), with hand-built instances and a real libuv loop:
 * fan-out sharing and cloning, the memory budget, held batches, retries,
 * permanent failures, a full queue and the shutdown deadline; batching
 * (merging, flush_timeout, max_size, drain), the items and bytes sizers,
 * Retry-After and max_elapsed_time.
 */
#include "testutil.h"

#include <string.h>

#include "pipeline.h"
#include "telemetry.h"

/* ---- fakes ------------------------------------------------------------------ */

#define MAX_SEEN 16

struct seen {
    struct pcol_batch *batch;
    uint32_t flags;
};

static struct seen seen[MAX_SEEN];
static int n_seen;
static struct pcol_batch *held;

/* Keeps a reference, so a freed batch's address cannot be reused and make
 * two different batches look the same. */
static void see(struct pcol_batch *b)
{
    seen[n_seen].batch = pcol_batch_ref(b);
    seen[n_seen].flags = b->flags;
    n_seen++;
}

static enum pcol_status reader_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    (void)inst;
    see(b);
    return PCOL_CONTINUE;
}

static enum pcol_status mutator_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    (void)inst;
    see(b);
    b->received_unix_nano++; /* a visible change */
    return PCOL_CONTINUE;
}

static enum pcol_status holder_process(struct pcol_instance *inst, struct pcol_batch *b)
{
    (void)inst;
    held = b;
    return PCOL_HOLD;
}

static const struct pcol_component_def reader_def = {
    .kind = PCOL_PROCESSOR, .name = "reader", .process = reader_process};
static const struct pcol_component_def mutator_def = {
    .kind = PCOL_PROCESSOR, .name = "mutator", .process = mutator_process, .mutates = true};
static const struct pcol_component_def holder_def = {
    .kind = PCOL_PROCESSOR, .name = "holder", .process = holder_process};

/* Exporter: send results come from a script; a "hang" keeps the export.
 * encode() records what each export carried, send() when it was tried. */
enum send_action { SEND_OK, SEND_RETRY, SEND_PERMANENT, SEND_HANG };

#define MAX_SENDS 64

struct exp_ctx {
    struct pcol_export_settings settings;
    enum send_action script[MAX_SENDS];
    uint64_t retry_after_ms; /* the server's hint on SEND_RETRY */
    int n_sends;
    uint64_t sent_at[MAX_SENDS];
    struct pcol_export *hung;
    int n_encoded;
    size_t encoded_samples[MAX_SENDS];
    size_t encoded_profiles, encoded_resources;
    uint32_t encoded_strings, encoded_functions, encoded_stacks;
};

static int fake_encode(struct pcol_instance *inst, const struct pcol_batch *b, struct pcol_buf *out)
{
    struct exp_ctx *c = pcol_ctx(inst);

    c->encoded_samples[c->n_encoded++] = pcol_batch_sample_count(b);
    c->encoded_profiles = pcol_batch_profile_count(b);
    c->encoded_resources = b->n_resources;
    c->encoded_strings = b->dict.strings.n;
    c->encoded_functions = b->dict.functions.n;
    c->encoded_stacks = b->dict.stacks.n;
    pcol_buf_printf(out, "%zu profiles", pcol_batch_profile_count(b));
    return 0;
}

static int fake_send(struct pcol_instance *inst, struct pcol_export *exp)
{
    struct exp_ctx *c = pcol_ctx(inst);
    enum send_action a = c->script[c->n_sends];

    assert_true(c->n_sends < MAX_SENDS);
    c->sent_at[c->n_sends++] = uv_now(pcol_loop(inst));
    assert_non_null(strstr((const char *)pcol_export_payload(exp)->p, "profiles"));
    switch (a) {
    case SEND_OK: pcol_export_done(exp, PCOL_EXPORT_OK, 0, NULL); break;
    case SEND_RETRY:
        pcol_export_done(exp, PCOL_EXPORT_RETRYABLE, c->retry_after_ms, "try later");
        break;
    case SEND_PERMANENT: pcol_export_done(exp, PCOL_EXPORT_PERMANENT, 0, "rejected"); break;
    case SEND_HANG: c->hung = exp; break;
    }
    return 0;
}

static const struct pcol_component_def exporter_def = {.kind = PCOL_EXPORTER,
                                                       .name = "fake",
                                                       .encode = fake_encode,
                                                       .send = fake_send,
                                                       .ctx_size = sizeof(struct exp_ctx),
                                                       .settings_offset =
                                                           offsetof(struct exp_ctx, settings)};

static uv_loop_t loop;

static void init_instance(struct pcol_instance *inst, const struct pcol_component_def *def,
                          enum pcol_component_kind kind, const char *id, void *ctx)
{
    memset(inst, 0, sizeof(*inst));
    inst->def = def;
    inst->kind = kind;
    inst->id = id;
    inst->who = id;
    inst->ctx = ctx;
    inst->loop = &loop;
}

static void default_settings(struct exp_ctx *c, uint64_t queue_size)
{
    memset(c, 0, sizeof(*c));
    c->settings.sending_queue.enabled = true;
    c->settings.sending_queue.num_consumers = 1;
    c->settings.sending_queue.queue_size = queue_size;
    c->settings.sending_queue.batch.sizer = PCOL_SIZER_ITEMS;
    c->settings.retry_on_failure.enabled = true;
    c->settings.retry_on_failure.initial_interval = 1000000; /* 1 ms */
    c->settings.retry_on_failure.max_interval = 2000000;
    c->settings.retry_on_failure.max_elapsed_time = 2000000000;
    c->settings.retry_on_failure.multiplier = 1.5;
}

static void attach_exporter(struct pcol_instance *e, struct exp_ctx *c, const char *id)
{
    init_instance(e, &exporter_def, PCOL_EXPORTER, id, c);
    pcol__instance_metrics(e);
    e->helper = pcol__exporter_helper_create(e);
}

static void init_exporter(struct pcol_instance *e, struct exp_ctx *c, const char *id,
                          uint64_t queue_size)
{
    default_settings(c, queue_size);
    attach_exporter(e, c, id);
}

static struct pcol_batch *one_profile_batch(void)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_scope *s = pcol_resource_add_scope(b, pcol_batch_add_resource(b));
    struct pcol_profile *p = pcol_scope_add_profile(b, s);

    pcol_profile_add_sample(b, p);
    return b;
}

/* A profile of `n` samples on one stack main.c:main -> work.c:work; every
 * such batch has the same dictionary, so merged ones must share it. */
static struct pcol_batch *stack_batch(uint32_t n)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_scope *s = pcol_resource_add_scope(b, pcol_batch_add_resource(b));
    struct pcol_profile *p = pcol_scope_add_profile(b, s);
    const char *names[2][2] = {{"work", "work.c"}, {"main", "main.c"}};
    int32_t locs[2];
    int32_t stack;
    uint32_t i;

    for (i = 0; i < 2; i++) {
        struct pcol_function f = {pcol_dict_cstr(b, names[i][0]), 0, pcol_dict_cstr(b, names[i][1]),
                                  1};
        struct pcol_location loc = {0};
        loc.lines = pcol_arena_calloc(b->arena, sizeof(*loc.lines));
        loc.lines->function = pcol_dict_intern(b, &b->dict.functions, &f);
        loc.lines->line = 10 + i;
        loc.n_lines = 1;
        locs[i] = pcol_dict_intern(b, &b->dict.locations, &loc);
    }
    stack = pcol_dict_stack(b, locs, 2);
    p->sample_type.type = pcol_dict_cstr(b, "samples");
    p->sample_type.unit = pcol_dict_cstr(b, "count");
    for (i = 0; i < n; i++) {
        pcol_profile_add_sample(b, p)->stack = stack;
    }
    return b;
}

static int setup(void **state)
{
    (void)state;
    n_seen = 0;
    held = NULL;
    uv_loop_init(&loop);
    return 0;
}

static int teardown(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < n_seen; i++) {
        pcol_batch_release(seen[i].batch);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

/* ---- fan-out ---------------------------------------------------------------- */

static void test_readonly_pipelines_share_one_batch(void **state)
{
    struct pcol_pipeline p[2] = {{.id = "profiles/a", .index = 0},
                                 {.id = "profiles/b", .index = 1}};
    struct pcol_instance rd[2], rcv;
    struct pcol_instance *procs0[1] = {&rd[0]}, *procs1[1] = {&rd[1]};
    struct pcol_pipeline *pipes[2] = {&p[0], &p[1]};
    struct pcol_batch *b = one_profile_batch();

    (void)state;
    pcol__pipeline_init(&p[0], 0);
    pcol__pipeline_init(&p[1], 0);
    init_instance(&rd[0], &reader_def, PCOL_PROCESSOR, "reader", NULL);
    init_instance(&rd[1], &reader_def, PCOL_PROCESSOR, "reader", NULL);
    p[0].procs = procs0;
    p[1].procs = procs1;
    p[0].n_procs = p[1].n_procs = 1;
    init_instance(&rcv, NULL, PCOL_RECEIVER, "rcv", NULL);
    pcol__instance_metrics(&rcv);
    rcv.pipes = pipes;
    rcv.n_pipes = 2;
    assert_int_equal(pcol_submit(&rcv, b), 0);
    assert_int_equal(n_seen, 2);
    assert_ptr_equal(seen[0].batch, b);
    assert_ptr_equal(seen[1].batch, b); /* no copy for readers */
    assert_true(seen[0].flags & PCOL_BATCH_READONLY);
    assert_int_equal(*rcv.m_items, 1);
    pcol__pipeline_fini(&p[0]);
    pcol__pipeline_fini(&p[1]);
}

static void test_mutating_pipelines_get_private_batches(void **state)
{
    struct pcol_pipeline p[3] = {
        {.id = "r", .index = 0}, {.id = "m1", .index = 1}, {.id = "m2", .index = 2}};
    struct pcol_instance pr[3], rcv;
    struct pcol_instance *procs[3][1] = {{&pr[0]}, {&pr[1]}, {&pr[2]}};
    struct pcol_pipeline *pipes[3] = {&p[0], &p[1], &p[2]};
    struct pcol_batch *b = one_profile_batch();
    int i;

    (void)state;
    init_instance(&pr[0], &reader_def, PCOL_PROCESSOR, "reader", NULL);
    init_instance(&pr[1], &mutator_def, PCOL_PROCESSOR, "mutator", NULL);
    init_instance(&pr[2], &mutator_def, PCOL_PROCESSOR, "mutator", NULL);
    for (i = 0; i < 3; i++) {
        pcol__pipeline_init(&p[i], 0);
        p[i].procs = procs[i];
        p[i].n_procs = 1;
        p[i].mutates = pr[i].def->mutates;
    }
    init_instance(&rcv, NULL, PCOL_RECEIVER, "rcv", NULL);
    pcol__instance_metrics(&rcv);
    rcv.pipes = pipes;
    rcv.n_pipes = 3;
    assert_int_equal(pcol_submit(&rcv, b), 0);
    assert_int_equal(n_seen, 3);
    /* Three different batches: the reader never sees a mutator's batch. */
    assert_ptr_not_equal(seen[0].batch, seen[1].batch);
    assert_ptr_not_equal(seen[0].batch, seen[2].batch);
    assert_ptr_not_equal(seen[1].batch, seen[2].batch);
    /* The last mutator got the original; clones were made before it changed. */
    assert_ptr_equal(seen[2].batch, b);
    for (i = 0; i < 3; i++) {
        pcol__pipeline_fini(&p[i]);
    }
}

/* ---- budget ----------------------------------------------------------------- */

static void test_budget_refuses_and_releases(void **state)
{
    struct pcol_pipeline p = {.id = "budget", .index = 0};
    struct pcol_instance hold, rcv;
    struct pcol_instance *procs[1] = {&hold};
    struct pcol_pipeline *pipes[1] = {&p};
    struct pcol_batch *b = one_profile_batch();
    size_t bytes = pcol_batch_bytes(b);

    (void)state;
    pcol__pipeline_init(&p, bytes + bytes / 2);
    init_instance(&hold, &holder_def, PCOL_PROCESSOR, "holder", NULL);
    p.procs = procs;
    p.n_procs = 1;
    init_instance(&rcv, NULL, PCOL_RECEIVER, "rcv", NULL);
    pcol__instance_metrics(&rcv);
    rcv.pipes = pipes;
    rcv.n_pipes = 1;

    assert_true(pcol_receiver_has_room(&rcv, bytes));
    assert_int_equal(pcol_submit(&rcv, b), 0);
    assert_ptr_equal(held, b);
    /* Held batches count: a second one does not fit. */
    assert_false(pcol_receiver_has_room(&rcv, bytes));
    assert_int_equal(pcol_submit(&rcv, one_profile_batch()), PCOL_EBUSY);
    assert_int_equal(*rcv.m_refused_busy, 1);
    /* The charge goes away with the batch, wherever it dies. */
    pcol_batch_release(held);
    assert_true(pcol_receiver_has_room(&rcv, bytes));
    pcol__pipeline_fini(&p);
}

/* ---- exporter helper -------------------------------------------------------- */

static void run_exporter_to_pipeline(struct pcol_instance *e, int batches)
{
    struct pcol_pipeline p = {.id = "exp", .index = 0};
    struct pcol_instance *exps[1] = {e};
    int i;

    pcol__pipeline_init(&p, 0);
    p.exps = exps;
    p.n_exps = 1;
    for (i = 0; i < batches; i++) {
        pcol__pipeline_run(&p, one_profile_batch(), 0);
    }
    pcol__pipeline_fini(&p);
}

static void test_retry_then_success(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;

    (void)state;
    init_exporter(&e, &c, "retry", 10);
    c.script[0] = SEND_RETRY;
    c.script[1] = SEND_RETRY;
    c.script[2] = SEND_OK;
    run_exporter_to_pipeline(&e, 1);
    uv_run(&loop, UV_RUN_DEFAULT); /* the backoff timers fire */
    assert_int_equal(c.n_sends, 3);
    assert_int_equal(*e.m_items, 1);
    assert_int_equal(*e.m_failed, 0);
    assert_int_equal(pcol__exporter_helper_pending(e.helper), 0);
    pcol__exporter_helper_destroy(e.helper);
}

static void test_permanent_is_dropped_and_counted(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;

    (void)state;
    init_exporter(&e, &c, "permanent", 10);
    c.script[0] = SEND_PERMANENT;
    c.script[1] = SEND_OK;
    run_exporter_to_pipeline(&e, 2);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(c.n_sends, 2); /* no retry of the permanent failure */
    assert_int_equal(*e.m_failed, 1);
    assert_int_equal(*e.m_items, 1);
    pcol__exporter_helper_destroy(e.helper);
}

static int drained;
static void on_drained(struct pcol_instance *inst)
{
    (void)inst;
    drained++;
}

static void test_full_queue_and_shutdown_deadline(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;

    (void)state;
    drained = 0;
    init_exporter(&e, &c, "full", 2);
    c.script[0] = SEND_HANG;
    run_exporter_to_pipeline(&e, 4); /* 1 sending, 1 queued, 2 refused */
    assert_non_null(c.hung);
    assert_int_equal(*e.m_enqueue_failed, 2);
    assert_int_equal(pcol__exporter_helper_pending(e.helper), 2);
    pcol__exporter_helper_drain(e.helper, 5, on_drained);
    uv_run(&loop, UV_RUN_DEFAULT); /* the deadline drops the queued batch */
    assert_int_equal(*e.m_failed, 1);
    assert_int_equal(drained, 0); /* the hung send is still out */
    pcol_export_done(c.hung, PCOL_EXPORT_OK, 0, NULL);
    assert_int_equal(drained, 1);
    assert_int_equal(*e.m_items, 1);
    pcol__exporter_helper_destroy(e.helper);
}

/* ---- batching, sizers, server hints ------------------------------------------- */

static void to_exporter(struct pcol_instance *e, struct pcol_batch *b)
{
    struct pcol_pipeline p = {.id = "exp", .index = 0};
    struct pcol_instance *exps[1] = {e};

    pcol__pipeline_init(&p, 0);
    p.exps = exps;
    p.n_exps = 1;
    pcol__pipeline_run(&p, b, 0);
    pcol__pipeline_fini(&p);
}

static void batching_on(struct exp_ctx *c, uint64_t min, uint64_t max, int64_t flush_ns)
{
    c->settings.sending_queue.batch_present = true;
    c->settings.sending_queue.batch.enabled = true;
    c->settings.sending_queue.batch.min_size = min;
    c->settings.sending_queue.batch.max_size = max;
    c->settings.sending_queue.batch.flush_timeout = flush_ns;
}

static void test_batching_merges_into_one_export(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;
    struct pcol_batch *one = stack_batch(1);
    int i;

    (void)state;
    default_settings(&c, 100);
    batching_on(&c, 5, 0, 10000000000); /* 5 samples, or 10 s */
    attach_exporter(&e, &c, "batch");
    for (i = 0; i < 4; i++) {
        to_exporter(&e, stack_batch(1));
    }
    assert_int_equal(c.n_sends, 0); /* below min_size: they wait */
    assert_int_equal(pcol__exporter_helper_pending(e.helper), 4);
    to_exporter(&e, stack_batch(1));
    assert_int_equal(c.n_sends, 1);
    assert_int_equal(c.encoded_samples[0], 5);
    assert_int_equal(c.encoded_profiles, 5);
    assert_int_equal(c.encoded_resources, 5);
    /* One dictionary: each entry once, as in a single source batch. */
    assert_int_equal(c.encoded_strings, one->dict.strings.n);
    assert_int_equal(c.encoded_functions, one->dict.functions.n);
    assert_int_equal(c.encoded_stacks, one->dict.stacks.n);
    assert_int_equal(*e.m_items, 5);
    assert_int_equal(*e.m_samples, 5);
    assert_int_equal(pcol__exporter_helper_pending(e.helper), 0);
    pcol_batch_release(one);
    pcol__exporter_helper_destroy(e.helper);
}

static void test_flush_timeout_sends_a_lone_batch(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;
    uint64_t t0;

    (void)state;
    default_settings(&c, 100);
    batching_on(&c, 1000, 0, 30000000); /* 30 ms */
    attach_exporter(&e, &c, "lone");
    uv_update_time(&loop);
    t0 = uv_now(&loop);
    to_exporter(&e, stack_batch(2));
    assert_int_equal(c.n_sends, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(c.n_sends, 1);
    assert_true(c.sent_at[0] - t0 >= 30);
    assert_int_equal(c.encoded_samples[0], 2);
    assert_int_equal(*e.m_samples, 2);
    pcol__exporter_helper_destroy(e.helper);
}

static void test_batching_never_splits_and_caps_at_max_size(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;

    (void)state;
    default_settings(&c, 100);
    batching_on(&c, 3, 4, 20000000);
    c.script[0] = SEND_HANG;
    attach_exporter(&e, &c, "maxsize");
    to_exporter(&e, stack_batch(5)); /* over max_size: goes alone, whole */
    assert_non_null(c.hung);
    to_exporter(&e, stack_batch(2));
    to_exporter(&e, stack_batch(2));
    to_exporter(&e, stack_batch(1));
    assert_int_equal(c.n_sends, 1); /* the one consumer is busy */
    pcol_export_done(c.hung, PCOL_EXPORT_OK, 0, NULL);
    assert_int_equal(c.n_sends, 2);
    uv_run(&loop, UV_RUN_DEFAULT); /* the last one waits for flush_timeout */
    assert_int_equal(c.n_encoded, 3);
    assert_int_equal(c.encoded_samples[0], 5);
    assert_int_equal(c.encoded_samples[1], 4); /* 2 + 2; adding 1 would pass 4 */
    assert_int_equal(c.encoded_samples[2], 1);
    assert_int_equal(*e.m_samples, 10);
    assert_int_equal(*e.m_items, 4);
    pcol__exporter_helper_destroy(e.helper);
}

static void test_large_merge_runs_on_the_thread_pool(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;

    (void)state;
    default_settings(&c, 100);
    batching_on(&c, 30000, 0, 10000000000);
    attach_exporter(&e, &c, "bigmerge");
    to_exporter(&e, stack_batch(20000));
    to_exporter(&e, stack_batch(20000));
    assert_int_equal(c.n_sends, 0); /* merged and encoded on the pool; sent after */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(c.n_sends, 1);
    assert_int_equal(c.encoded_samples[0], 40000);
    assert_int_equal(*e.m_samples, 40000);
    pcol__exporter_helper_destroy(e.helper);
}

static int drained_flushed;
static void on_drained_flushed(struct pcol_instance *inst)
{
    struct exp_ctx *c = pcol_ctx(inst);

    drained_flushed = c->n_sends;
}

static void test_drain_sends_waiting_batches_at_once(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;

    (void)state;
    drained_flushed = -1;
    default_settings(&c, 100);
    batching_on(&c, 1000, 0, 10000000000);
    attach_exporter(&e, &c, "drainbatch");
    to_exporter(&e, stack_batch(1));
    to_exporter(&e, stack_batch(1));
    pcol__exporter_helper_drain(e.helper, 5000, on_drained_flushed);
    assert_int_equal(drained_flushed, 1); /* one merged export, no wait */
    assert_int_equal(c.encoded_samples[0], 2);
    pcol__exporter_helper_destroy(e.helper);
}

static void test_bytes_sizer_refuses_over_capacity(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;
    struct pcol_batch *probe = one_profile_batch();
    uint64_t bytes = pcol_batch_bytes(probe);
    int64_t *size, *cap;

    (void)state;
    pcol_batch_release(probe);
    default_settings(&c, bytes * 5 / 2);
    c.settings.sending_queue.sizer = PCOL_SIZER_BYTES;
    c.script[0] = SEND_HANG;
    attach_exporter(&e, &c, "bytes");
    size = pcol_metric_gauge("profcol_exporter_queue_size_bytes", "", "exporter=\"bytes\"");
    cap = pcol_metric_gauge("profcol_exporter_queue_capacity_bytes", "", "exporter=\"bytes\"");
    assert_int_equal(*cap, bytes * 5 / 2);
    assert_int_equal(*e.m_queue_capacity, 0); /* not a batch count */
    run_exporter_to_pipeline(&e, 3);          /* 1 sending + 1 queued fit, the third not */
    assert_non_null(c.hung);
    assert_int_equal(*e.m_enqueue_failed, 1);
    assert_int_equal(*size, 2 * bytes);
    to_exporter(&e, stack_batch(4000)); /* larger than the whole queue */
    assert_int_equal(*e.m_enqueue_failed, 2);
    pcol_export_done(c.hung, PCOL_EXPORT_OK, 0, NULL);
    assert_int_equal(*e.m_items, 2);
    assert_int_equal(*size, 0);
    pcol__exporter_helper_destroy(e.helper);
}

static void test_items_sizer_counts_samples(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;

    (void)state;
    default_settings(&c, 10);
    c.settings.sending_queue.sizer = PCOL_SIZER_ITEMS;
    c.script[0] = SEND_HANG;
    attach_exporter(&e, &c, "items");
    to_exporter(&e, stack_batch(6));
    to_exporter(&e, stack_batch(5)); /* 6 + 5 > 10 */
    to_exporter(&e, stack_batch(4));
    assert_int_equal(*e.m_enqueue_failed, 1);
    assert_int_equal(pcol__exporter_helper_pending(e.helper), 2);
    pcol_export_done(c.hung, PCOL_EXPORT_OK, 0, NULL);
    assert_int_equal(*e.m_samples, 10);
    pcol__exporter_helper_destroy(e.helper);
}

static void test_retry_after_longer_than_backoff_is_honoured(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;

    (void)state;
    init_exporter(&e, &c, "retryafter", 10);
    c.script[0] = SEND_RETRY;
    c.script[1] = SEND_OK;
    c.retry_after_ms = 60; /* the backoff alone would be 1-2 ms */
    run_exporter_to_pipeline(&e, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(c.n_sends, 2);
    assert_true(c.sent_at[1] - c.sent_at[0] >= 60);
    assert_int_equal(*e.m_items, 1);
    pcol__exporter_helper_destroy(e.helper);
}

static void test_max_elapsed_time_gives_up_and_counts(void **state)
{
    struct pcol_instance e;
    struct exp_ctx c;
    int i;

    (void)state;
    default_settings(&c, 10);
    c.settings.retry_on_failure.initial_interval = 5000000;
    c.settings.retry_on_failure.max_interval = 10000000;
    c.settings.retry_on_failure.max_elapsed_time = 40000000; /* 40 ms */
    for (i = 0; i < MAX_SENDS; i++) {
        c.script[i] = SEND_RETRY;
    }
    attach_exporter(&e, &c, "elapsed");
    run_exporter_to_pipeline(&e, 1);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(c.n_sends >= 2 && c.n_sends < MAX_SENDS); /* retried, then gave up */
    assert_int_equal(*e.m_failed, 1);
    assert_int_equal(*e.m_items, 0);
    assert_int_equal(pcol__exporter_helper_pending(e.helper), 0);
    pcol__exporter_helper_destroy(e.helper);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_readonly_pipelines_share_one_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutating_pipelines_get_private_batches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_budget_refuses_and_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_then_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permanent_is_dropped_and_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_queue_and_shutdown_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batching_merges_into_one_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_timeout_sends_a_lone_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batching_never_splits_and_caps_at_max_size, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_large_merge_runs_on_the_thread_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_sends_waiting_batches_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bytes_sizer_refuses_over_capacity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items_sizer_counts_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_longer_than_backoff_is_honoured, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_max_elapsed_time_gives_up_and_counts, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    pcol_metrics_free();
    return rc;
}
