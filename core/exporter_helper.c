/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exporter_helper.c: everything between a pipeline and an exporter's send():
 * a bounded queue (counted in batches, samples or bytes), optional batching,
 * a limit on concurrent sends, encoding (on the thread pool for large
 * batches), retries with exponential backoff and jitter, and a drain with a
 * deadline at shutdown. Exporters stay a pure encode() plus one async send()
 * attempt.
 *
 * Capacity: sending_queue.queue_size counts what waits in the queue and what
 * is being sent (until the attempt ends for good), in `sizer` units; a batch
 * that does not fit is dropped and counted, never waited for.
 *
 * Batching (sending_queue.batch): a free consumer takes the oldest batches
 * once min_size is queued or the oldest has waited flush_timeout, stopping
 * at min_size or before max_size would be passed. They are merged with
 * pcol_batch_merge() into a new batch with one deduplicated dictionary right
 * before encoding (so on the thread pool when large), and released once
 * encoded. Batches are never split: max_size only caps merging, and a batch
 * larger than it is sent alone.
 *
 * Retries: the wait is the backoff, or the server's hint when longer
 * (retry_after_ms of pcol_export_done(): HTTP Retry-After, or the delay of a
 * gRPC google.rpc.RetryInfo detail, which exporters pass the same way),
 * bounded by max_elapsed_time.
 *
 * Ownership: waiting batches belong to the queue store (pipeline.h; the
 * in-memory FIFO is at the end of this file); the helper owns every started
 * struct pcol_export and its source batches until they are encoded; the
 * exporter borrows an export from send() until it calls pcol_export_done().
 */
#include "pipeline.h"

#include "log.h"
#include "telemetry.h"

#include <stdio.h>
#include <stdlib.h>

/* Batches at least this big are merged and encoded on the thread pool. */
#define ENCODE_OFFLOAD_BYTES (256 * 1024)

#define N_SIZERS (PCOL_SIZER_BYTES + 1)

enum export_state {
    EXP_ENCODING,
    EXP_SENDING,
    EXP_BACKOFF,
};

struct pcol_export {
    struct pcol__exporter_helper *h;
    struct pcol_export *next; /* the active list */
    struct pcol_batch **srcs; /* until encoded */
    uint32_t n_srcs, cap_srcs;
    struct pcol_buf payload;
    uint64_t profiles;
    uint64_t units[N_SIZERS]; /* of the sources, held against the capacity */
    uint64_t first_attempt_ms;
    uint32_t attempts;
    uint32_t progress; /* the exporter's own, kept across retries */
    enum export_state state;
    int encode_rc;
    bool timer_open;
    uv_timer_t timer; /* retry backoff */
};

struct pcol__exporter_helper {
    struct pcol_instance *inst;
    const struct pcol_export_settings *cfg;
    struct pcol__export_queue *queue; /* waiting to start */
    struct pcol_export *active;       /* started, not finished */
    size_t in_flight;                 /* exports in the active list */
    uint64_t in_flight_units[N_SIZERS];
    enum pcol_export_sizer sizer;
    uint64_t capacity; /* in sizer units */
    size_t consumers;
    bool draining, dropping;
    bool pumping; /* a send that completes at once re-enters pump(): loop instead */
    pcol_stop_cb drain_done;
    uv_timer_t deadline, flush;
    bool deadline_open, flush_open;
    bool destroy_pending;
    uint32_t open_handles;
    int64_t *m_size_units; /* gauge in sizer units, unless requests */
};

static void pump(struct pcol__exporter_helper *h);
static void attempt(struct pcol_export *exp);

static uint64_t item_units(const struct pcol__queued *it, enum pcol_export_sizer sizer)
{
    switch (sizer) {
    case PCOL_SIZER_ITEMS: return it->samples;
    case PCOL_SIZER_BYTES: return it->bytes;
    default: return 1;
    }
}

/* Queued plus being sent, in `sizer` units. */
static uint64_t used(const struct pcol__exporter_helper *h, enum pcol_export_sizer sizer)
{
    return h->queue->ops->size(h->queue, sizer) + h->in_flight_units[sizer];
}

static void set_gauges(struct pcol__exporter_helper *h)
{
    *h->inst->m_queue_size = (int64_t)used(h, PCOL_SIZER_REQUESTS);
    if (h->m_size_units) {
        *h->m_size_units = (int64_t)used(h, h->sizer);
    }
}

/* The batch-count gauges of pipeline.c cannot show a capacity in samples or
 * bytes, so those sizers get their own pair. */
static void unit_gauges(struct pcol__exporter_helper *h)
{
    static const struct {
        const char *size, *size_help, *cap, *cap_help;
    } g[N_SIZERS] = {
        [PCOL_SIZER_ITEMS] = {"profcol_exporter_queue_size_samples",
                              "Samples queued or being sent by an exporter (sizer items).",
                              "profcol_exporter_queue_capacity_samples",
                              "Samples an exporter's queue can hold (sizer items)."},
        [PCOL_SIZER_BYTES] = {"profcol_exporter_queue_size_bytes",
                              "Bytes of batches queued or being sent by an exporter (sizer bytes).",
                              "profcol_exporter_queue_capacity_bytes",
                              "Bytes an exporter's queue can hold (sizer bytes)."},
    };
    char labels[256];

    if (h->sizer == PCOL_SIZER_REQUESTS) {
        *h->inst->m_queue_capacity = (int64_t)h->capacity;
        return;
    }
    *h->inst->m_queue_capacity = 0;
    snprintf(labels, sizeof(labels), "exporter=\"%s\"", h->inst->id);
    h->m_size_units = pcol_metric_gauge(g[h->sizer].size, g[h->sizer].size_help, labels);
    *pcol_metric_gauge(g[h->sizer].cap, g[h->sizer].cap_help, labels) = (int64_t)h->capacity;
}

struct pcol__exporter_helper *pcol__exporter_helper_create(struct pcol_instance *inst)
{
    struct pcol__exporter_helper *h = pcol_xcalloc(1, sizeof(*h));

    h->inst = inst;
    h->cfg =
        (const struct pcol_export_settings *)((const char *)inst->ctx + inst->def->settings_offset);
    h->queue = pcol__export_queue_memory();
    h->consumers = h->cfg->sending_queue.num_consumers ? h->cfg->sending_queue.num_consumers : 1;
    if (h->cfg->sending_queue.enabled) {
        h->sizer = (enum pcol_export_sizer)h->cfg->sending_queue.sizer;
        h->capacity = h->cfg->sending_queue.queue_size;
    } else {
        /* With the queue off, only what the consumers are sending is held. */
        h->sizer = PCOL_SIZER_REQUESTS;
        h->capacity = h->consumers;
    }
    unit_gauges(h);
    set_gauges(h);
    return h;
}

static void maybe_free(struct pcol__exporter_helper *h)
{
    if (h->destroy_pending && h->open_handles == 0) {
        free(h);
    }
}

static void export_closed(uv_handle_t *handle)
{
    struct pcol_export *exp = PCOL_CONTAINER_OF(handle, struct pcol_export, timer);
    struct pcol__exporter_helper *h = exp->h;

    free(exp);
    h->open_handles--;
    maybe_free(h);
}

static void release_sources(struct pcol_export *exp)
{
    uint32_t i;

    for (i = 0; i < exp->n_srcs; i++) {
        pcol_batch_release(exp->srcs[i]);
    }
    free(exp->srcs);
    exp->srcs = NULL;
    exp->n_srcs = 0;
}

static void check_drained(struct pcol__exporter_helper *h)
{
    pcol_stop_cb done = h->drain_done;

    if (!h->draining || !done || used(h, PCOL_SIZER_REQUESTS) != 0) {
        return;
    }
    h->drain_done = NULL;
    if (h->deadline_open) {
        uv_timer_stop(&h->deadline);
    }
    done(h->inst);
}

/* Ends an export for good: counts it, frees it, starts the next one. */
static void finish(struct pcol_export *exp, bool delivered)
{
    struct pcol__exporter_helper *h = exp->h;
    struct pcol_instance *inst = h->inst;
    struct pcol_export **pp;
    int s;

    for (pp = &h->active; *pp; pp = &(*pp)->next) {
        if (*pp == exp) {
            *pp = exp->next;
            break;
        }
    }
    if (delivered) {
        *inst->m_items += exp->profiles;
        *inst->m_samples += exp->units[PCOL_SIZER_ITEMS];
    } else {
        *inst->m_failed += exp->profiles;
    }
    release_sources(exp);
    pcol_buf_free(&exp->payload);
    h->in_flight--;
    for (s = 0; s < N_SIZERS; s++) {
        h->in_flight_units[s] -= exp->units[s];
    }
    set_gauges(h);
    if (exp->timer_open) {
        uv_close((uv_handle_t *)&exp->timer, export_closed);
    } else {
        free(exp);
    }
    pump(h);
    check_drained(h);
}

static void give_up(struct pcol_export *exp, const char *why)
{
    struct pcol_instance *inst = exp->h->inst;

    /* Logged once per exporter; the counter says how often. */
    if (*inst->m_failed == 0) {
        pcol_log(inst, PCOL_LOG_ERROR,
                 "dropped a batch of %llu profiles: %s; further drops are only counted",
                 (unsigned long long)exp->profiles, why);
    }
    finish(exp, false);
}

static void refuse(struct pcol__exporter_helper *h, const struct pcol__queued *it, const char *why)
{
    struct pcol_instance *inst = h->inst;

    if (*inst->m_enqueue_failed == 0) {
        pcol_log(inst, PCOL_LOG_WARN,
                 "dropped a batch of %llu profiles (%s); further drops are only counted",
                 (unsigned long long)it->profiles, why);
    }
    *inst->m_enqueue_failed += it->profiles;
}

void pcol__exporter_helper_enqueue(struct pcol__exporter_helper *h, struct pcol_batch *b)
{
    struct pcol__queued it = {b, pcol_batch_profile_count(b), pcol_batch_sample_count(b),
                              pcol_batch_bytes(b), uv_now(h->inst->loop)};
    uint64_t units = item_units(&it, h->sizer);
    const char *why = NULL;

    if (h->draining) {
        why = "stopping";
    } else if (units > h->capacity) {
        why = "larger than the whole sending queue";
    } else if (used(h, h->sizer) + units > h->capacity) {
        why = "sending queue is full";
    }
    if (why) {
        pcol_batch_release(b);
        refuse(h, &it, why);
        return;
    }
    if (h->queue->ops->push(h->queue, &it) != 0) {
        refuse(h, &it, "the sending queue could not store it");
        return;
    }
    set_gauges(h);
    pump(h);
}

/* Batching is on when the `batch` section was written and not disabled. */
static bool batching_on(const struct pcol_export_settings *cfg)
{
    return cfg->sending_queue.batch_present && cfg->sending_queue.batch.enabled;
}

/* ---- encoding ------------------------------------------------------------------ */

static void encode_work(void *data)
{
    struct pcol_export *exp = data;
    struct pcol_instance *inst = exp->h->inst;
    struct pcol_batch *merged = NULL;
    uint32_t i;

    if (exp->n_srcs == 1) {
        exp->encode_rc = inst->def->encode(inst, exp->srcs[0], &exp->payload);
        return;
    }
    /* A new batch, not charged to any budget: it lives only while encoding,
     * and the sources keep their charges until they are released. */
    merged = pcol_batch_create(exp->units[PCOL_SIZER_BYTES]);
    for (i = 0; i < exp->n_srcs; i++) {
        pcol_batch_merge(merged, exp->srcs[i]);
    }
    merged->received_unix_nano = exp->srcs[0]->received_unix_nano;
    exp->encode_rc = inst->def->encode(inst, merged, &exp->payload);
    pcol_batch_release(merged);
}

static void encoded(struct pcol_export *exp)
{
    /* The payload is all we need now: free the batches (and their budget). */
    release_sources(exp);
    if (exp->encode_rc != 0) {
        give_up(exp, "could not encode it");
        return;
    }
    attempt(exp);
}

static void encode_done(void *data, int status)
{
    struct pcol_export *exp = data;

    if (status != 0) {
        exp->encode_rc = PCOL_EIO;
    }
    encoded(exp);
}

/* ---- taking from the queue ------------------------------------------------------- */

/* The size at which queued batches go without waiting; a max_size below
 * min_size could never be reached otherwise. */
static uint64_t batch_goal(const struct pcol_export_settings *cfg)
{
    uint64_t min = cfg->sending_queue.batch.min_size, max = cfg->sending_queue.batch.max_size;

    return max && max < min ? max : min;
}

static uint64_t flush_ms(const struct pcol_export_settings *cfg)
{
    return (uint64_t)cfg->sending_queue.batch.flush_timeout / 1000000;
}

static bool flush_due(struct pcol__exporter_helper *h, const struct pcol__queued *head)
{
    const struct pcol_export_settings *cfg = h->cfg;
    uint64_t waited = uv_now(h->inst->loop) - head->enqueued_ms;
    enum pcol_export_sizer bs = (enum pcol_export_sizer)cfg->sending_queue.batch.sizer;

    return h->draining || waited >= flush_ms(cfg) ||
           h->queue->ops->size(h->queue, bs) >= batch_goal(cfg);
}

static void flush_fired(uv_timer_t *t)
{
    pump(PCOL_CONTAINER_OF(t, struct pcol__exporter_helper, flush));
}

static void arm_flush(struct pcol__exporter_helper *h, const struct pcol__queued *head)
{
    uint64_t due = head->enqueued_ms + flush_ms(h->cfg);

    if (!h->flush_open) {
        uv_timer_init(h->inst->loop, &h->flush);
        h->flush_open = true;
        h->open_handles++;
    }
    uv_timer_start(&h->flush, flush_fired, due - uv_now(h->inst->loop), 0);
}

static void add_source(struct pcol_export *exp, const struct pcol__queued *it)
{
    if (exp->n_srcs == exp->cap_srcs) {
        exp->cap_srcs = exp->cap_srcs ? 2 * exp->cap_srcs : 4;
        exp->srcs = pcol_xrealloc(exp->srcs, exp->cap_srcs * sizeof(*exp->srcs));
    }
    exp->srcs[exp->n_srcs++] = it->batch;
    exp->profiles += it->profiles;
    exp->units[PCOL_SIZER_REQUESTS]++;
    exp->units[PCOL_SIZER_ITEMS] += it->samples;
    exp->units[PCOL_SIZER_BYTES] += it->bytes;
}

/* Pops the next export's batches: one, or with batching as many as reach
 * the goal without passing max_size. NULL if the store had nothing. */
static struct pcol_export *take(struct pcol__exporter_helper *h)
{
    const struct pcol_export_settings *cfg = h->cfg;
    enum pcol_export_sizer bs = (enum pcol_export_sizer)cfg->sending_queue.batch.sizer;
    uint64_t goal = batch_goal(cfg), max = cfg->sending_queue.batch.max_size, total = 0;
    const struct pcol__queued *next;
    struct pcol_export *exp;
    struct pcol__queued it;

    if (!h->queue->ops->pop(h->queue, &it)) {
        return NULL;
    }
    exp = pcol_xcalloc(1, sizeof(*exp));
    exp->h = h;
    for (;;) {
        add_source(exp, &it);
        total += item_units(&it, bs);
        if (!batching_on(cfg) || total >= goal) {
            break;
        }
        next = h->queue->ops->peek(h->queue);
        if (!next || (max && total + item_units(next, bs) > max) ||
            !h->queue->ops->pop(h->queue, &it)) {
            break;
        }
    }
    return exp;
}

static void start(struct pcol__exporter_helper *h, struct pcol_export *exp)
{
    int s;

    h->in_flight++;
    for (s = 0; s < N_SIZERS; s++) {
        h->in_flight_units[s] += exp->units[s];
    }
    exp->next = h->active;
    h->active = exp;
    exp->first_attempt_ms = uv_now(h->inst->loop);
    exp->state = EXP_ENCODING;
    if (!h->inst->def->encode) {
        /* Nothing to encode (e.g. nop): straight to send. */
        encoded(exp);
        return;
    }
    if (exp->units[PCOL_SIZER_BYTES] >= ENCODE_OFFLOAD_BYTES &&
        pcol_work(h->inst, encode_work, encode_done, exp) == 0) {
        return;
    }
    encode_work(exp);
    encoded(exp);
}

static void pump(struct pcol__exporter_helper *h)
{
    const struct pcol__queued *head;
    struct pcol_export *exp;
    bool waiting = false;

    if (h->pumping) {
        return;
    }
    h->pumping = true;
    while (h->in_flight < h->consumers && !h->dropping &&
           (head = h->queue->ops->peek(h->queue)) != NULL) {
        if (batching_on(h->cfg) && !flush_due(h, head)) {
            arm_flush(h, head);
            waiting = true;
            break;
        }
        if (!(exp = take(h))) {
            break;
        }
        start(h, exp);
    }
    /* Otherwise the queue is empty or the next finish() pumps again. */
    if (!waiting && h->flush_open) {
        uv_timer_stop(&h->flush);
    }
    h->pumping = false;
}

/* ---- attempts and retries ------------------------------------------------------- */

static void attempt(struct pcol_export *exp)
{
    struct pcol_instance *inst = exp->h->inst;

    exp->attempts++;
    exp->state = EXP_SENDING;
    if (inst->def->send(inst, exp) != 0) {
        pcol_export_done(exp, PCOL_EXPORT_RETRYABLE, 0, "the exporter could not start sending");
    }
}

static void backoff_fired(uv_timer_t *t)
{
    struct pcol_export *exp = PCOL_CONTAINER_OF(t, struct pcol_export, timer);

    if (exp->h->dropping) {
        give_up(exp, "shutdown deadline passed while waiting to retry");
        return;
    }
    attempt(exp);
}

/* Exponential backoff with jitter: initial * multiplier^(n-1), capped, then
 * spread by +-randomization_factor so many sidecars do not retry together. */
static uint64_t backoff_ms(const struct pcol_export_settings *cfg, uint32_t attempts)
{
    double ms = (double)cfg->retry_on_failure.initial_interval / 1e6;
    double max = (double)cfg->retry_on_failure.max_interval / 1e6;
    double f = cfg->retry_on_failure.randomization_factor;
    uint32_t i;

    for (i = 1; i < attempts && ms < max; i++) {
        ms *= cfg->retry_on_failure.multiplier;
    }
    if (ms > max) {
        ms = max;
    }
    ms *= 1.0 - f + 2.0 * f * ((double)rand() / RAND_MAX);
    return ms < 1 ? 1 : (uint64_t)ms;
}

const struct pcol_buf *pcol_export_payload(const struct pcol_export *exp)
{
    return &exp->payload;
}

uint32_t *pcol_export_progress(struct pcol_export *exp)
{
    return &exp->progress;
}

void pcol_export_rejected(struct pcol_export *exp, uint64_t profiles)
{
    *exp->h->inst->m_failed += profiles;
}

uint64_t pcol_export_timeout_ms(const struct pcol_export *exp)
{
    return (uint64_t)exp->h->cfg->timeout / 1000000;
}

void pcol_export_done(struct pcol_export *exp, enum pcol_export_result result,
                      uint64_t retry_after_ms, const char *detail)
{
    struct pcol__exporter_helper *h = exp->h;
    const struct pcol_export_settings *cfg = h->cfg;
    uint64_t now = uv_now(h->inst->loop), wait;

    if (result == PCOL_EXPORT_OK) {
        finish(exp, true);
        return;
    }
    if (result == PCOL_EXPORT_PERMANENT) {
        give_up(exp, detail ? detail : "permanent error");
        return;
    }
    if (!cfg->retry_on_failure.enabled || h->dropping) {
        give_up(exp, detail ? detail : "retryable error, retries off");
        return;
    }
    wait = backoff_ms(cfg, exp->attempts);
    if (retry_after_ms > wait) {
        wait = retry_after_ms;
    }
    if (cfg->retry_on_failure.max_elapsed_time &&
        (now + wait - exp->first_attempt_ms) * 1000000ull >
            (uint64_t)cfg->retry_on_failure.max_elapsed_time) {
        give_up(exp, detail ? detail : "retries exhausted");
        return;
    }
    pcol_log(h->inst, PCOL_LOG_DEBUG, "attempt %u failed (%s); retrying in %llu ms", exp->attempts,
             detail ? detail : "retryable", (unsigned long long)wait);
    if (!exp->timer_open) {
        uv_timer_init(h->inst->loop, &exp->timer);
        exp->timer_open = true;
        h->open_handles++;
    }
    exp->state = EXP_BACKOFF;
    uv_timer_start(&exp->timer, backoff_fired, wait, 0);
}

/* ---- drain and destroy ------------------------------------------------------------ */

size_t pcol__exporter_helper_pending(const struct pcol__exporter_helper *h)
{
    return (size_t)used(h, PCOL_SIZER_REQUESTS);
}

static void drop_queued(struct pcol__exporter_helper *h)
{
    struct pcol__queued it;

    while (h->queue->ops->pop(h->queue, &it)) {
        *h->inst->m_failed += it.profiles;
        pcol_batch_release(it.batch);
    }
    set_gauges(h);
}

/* Past the deadline: drop what waits, cut retries short; sends already on
 * the wire are left to finish (the exporter reports them). */
static void deadline_fired(uv_timer_t *t)
{
    struct pcol__exporter_helper *h = PCOL_CONTAINER_OF(t, struct pcol__exporter_helper, deadline);
    struct pcol_export *exp;
    size_t pending = pcol__exporter_helper_pending(h);

    h->dropping = true;
    if (pending) {
        pcol_log(h->inst, PCOL_LOG_WARN, "shutdown deadline passed: dropping %zu batches", pending);
    }
    drop_queued(h);
    /* finish() edits the active list, so restart the walk after each. */
    for (exp = h->active; exp;) {
        if (exp->state == EXP_BACKOFF) {
            uv_timer_stop(&exp->timer);
            give_up(exp, "shutdown deadline passed while waiting to retry");
            exp = h->active;
        } else {
            exp = exp->next;
        }
    }
    check_drained(h);
}

static void helper_timer_closed(uv_handle_t *handle)
{
    struct pcol__exporter_helper *h = handle->data;

    h->open_handles--;
    maybe_free(h);
}

void pcol__exporter_helper_drain(struct pcol__exporter_helper *h, uint64_t deadline_ms,
                                 pcol_stop_cb done)
{
    h->draining = true;
    pump(h); /* batches waiting for min_size or flush_timeout go now */
    if (pcol__exporter_helper_pending(h) == 0) {
        done(h->inst);
        return;
    }
    h->drain_done = done;
    if (!h->deadline_open) {
        uv_timer_init(h->inst->loop, &h->deadline);
        h->deadline_open = true;
        h->open_handles++;
    }
    uv_timer_start(&h->deadline, deadline_fired, deadline_ms, 0);
}

static void close_timer(struct pcol__exporter_helper *h, uv_timer_t *t, bool *open)
{
    if (*open) {
        t->data = h;
        uv_close((uv_handle_t *)t, helper_timer_closed);
        *open = false;
    }
}

void pcol__exporter_helper_destroy(struct pcol__exporter_helper *h)
{
    if (!h) {
        return;
    }
    h->destroy_pending = true;
    close_timer(h, &h->deadline, &h->deadline_open);
    close_timer(h, &h->flush, &h->flush_open);
    h->queue->ops->destroy(h->queue);
    h->queue = NULL;
    maybe_free(h);
}

/* ---- the in-memory store ---------------------------------------------------------- */

struct mem_node {
    struct mem_node *next;
    struct pcol__queued item;
};

struct mem_queue {
    struct pcol__export_queue base;
    struct mem_node *head, **tail;
    uint64_t totals[N_SIZERS];
};

static void mem_count(struct mem_queue *q, const struct pcol__queued *it, bool add)
{
    int s;

    for (s = 0; s < N_SIZERS; s++) {
        uint64_t n = item_units(it, (enum pcol_export_sizer)s);
        q->totals[s] = add ? q->totals[s] + n : q->totals[s] - n;
    }
}

static int mem_push(struct pcol__export_queue *base, const struct pcol__queued *it)
{
    struct mem_queue *q = PCOL_CONTAINER_OF(base, struct mem_queue, base);
    struct mem_node *n = pcol_xmalloc(sizeof(*n));

    n->next = NULL;
    n->item = *it;
    *q->tail = n;
    q->tail = &n->next;
    mem_count(q, it, true);
    return 0;
}

static const struct pcol__queued *mem_peek(struct pcol__export_queue *base)
{
    struct mem_queue *q = PCOL_CONTAINER_OF(base, struct mem_queue, base);

    return q->head ? &q->head->item : NULL;
}

static bool mem_pop(struct pcol__export_queue *base, struct pcol__queued *out)
{
    struct mem_queue *q = PCOL_CONTAINER_OF(base, struct mem_queue, base);
    struct mem_node *n = q->head;

    if (!n) {
        return false;
    }
    q->head = n->next;
    if (!q->head) {
        q->tail = &q->head;
    }
    *out = n->item;
    mem_count(q, out, false);
    free(n);
    return true;
}

static uint64_t mem_size(const struct pcol__export_queue *base, enum pcol_export_sizer sizer)
{
    const struct mem_queue *q = PCOL_CONTAINER_OF(base, const struct mem_queue, base);

    return q->totals[sizer];
}

static void mem_destroy(struct pcol__export_queue *base)
{
    struct mem_queue *q = PCOL_CONTAINER_OF(base, struct mem_queue, base);
    struct pcol__queued it;

    while (mem_pop(base, &it)) {
        pcol_batch_release(it.batch);
    }
    free(q);
}

static const struct pcol__export_queue_ops mem_ops = {
    mem_push, mem_peek, mem_pop, mem_size, mem_destroy,
};

struct pcol__export_queue *pcol__export_queue_memory(void)
{
    struct mem_queue *q = pcol_xcalloc(1, sizeof(*q));

    q->base.ops = &mem_ops;
    q->tail = &q->head;
    return &q->base;
}

/* ---- option rows shared by every exporter ------------------------------------ */

#define Q(field)                                                                                   \
    offsetof(struct pcol_export_settings, sending_queue.field) -                                   \
        offsetof(struct pcol_export_settings, sending_queue)
#define B(field)                                                                                   \
    offsetof(struct pcol_export_settings, sending_queue.batch.field) -                             \
        offsetof(struct pcol_export_settings, sending_queue.batch)
#define R(field)                                                                                   \
    offsetof(struct pcol_export_settings, retry_on_failure.field) -                                \
        offsetof(struct pcol_export_settings, retry_on_failure)

/* In enum pcol_export_sizer order. */
static const char *const sizer_names[] = {"requests", "items", "bytes", NULL};

static const struct pcol_option batch_options[] = {
    {"enabled", PCOL_OPT_BOOL, B(enabled), "true", NULL, NULL, NULL, 0, NULL, 0,
     "Merge queued batches into larger exports with one dictionary; writing the batch section "
     "turns batching on (as in the collector), false turns it off again."},
    {"sizer", PCOL_OPT_ENUM, B(sizer), "items", NULL, NULL, sizer_names, 0, NULL, 0,
     "What min_size and max_size count: requests (batches), items (profile samples) or bytes "
     "(batch memory)."},
    {"min_size", PCOL_OPT_UINT, B(min_size), "8192", NULL, NULL, NULL, 0, NULL, 0,
     "Send as soon as this much is queued (0: at once, merging only what waits)."},
    {"max_size", PCOL_OPT_UINT, B(max_size), "0", NULL, NULL, NULL, 0, NULL, 0,
     "Stop merging before an export would pass this; batches are never split, so a larger "
     "one goes alone (0: no cap)."},
    {"flush_timeout", PCOL_OPT_DURATION, B(flush_timeout), "200ms", "0", NULL, NULL, 0, NULL, 0,
     "Send what is queued once the oldest batch has waited this long, even below min_size."},
    {0},
};

const struct pcol_option pcol__export_queue_options[] = {
    {"enabled", PCOL_OPT_BOOL, Q(enabled), "true", NULL, NULL, NULL, 0, NULL, 0,
     "Queue batches in memory before sending (off: only what is being sent is held)."},
    {"num_consumers", PCOL_OPT_UINT, Q(num_consumers), "10", "1", "1000", NULL, 0, NULL, 0,
     "Exports sent at the same time."},
    {"queue_size", PCOL_OPT_UINT, Q(queue_size), "1000", "1", NULL, NULL, 0, NULL, 0,
     "Capacity in sizer units, exports being sent included; more is dropped and counted (with "
     "sizer bytes give bytes: 1000 is 1000 bytes)."},
    {"sizer", PCOL_OPT_ENUM, Q(sizer), "requests", NULL, NULL, sizer_names, 0, NULL, 0,
     "What queue_size counts: requests (batches as they arrive), items (profile samples) or "
     "bytes (memory the batches hold)."},
    {"batch", PCOL_OPT_SECTION, Q(batch), NULL, NULL, NULL, NULL, PCOL_OPT_PRESENCE, batch_options,
     0, "Batching: merging queued batches into one export (off when absent).", Q(batch_present)},
    {0},
};

const struct pcol_option pcol__export_retry_options[] = {
    {"enabled", PCOL_OPT_BOOL, R(enabled), "true", NULL, NULL, NULL, 0, NULL, 0,
     "Retry batches that failed with a retryable error."},
    {"initial_interval", PCOL_OPT_DURATION, R(initial_interval), "5s", "1ms", NULL, NULL, 0, NULL,
     0, "Wait before the first retry."},
    {"max_interval", PCOL_OPT_DURATION, R(max_interval), "30s", "1ms", NULL, NULL, 0, NULL, 0,
     "Longest wait between retries (a server's longer Retry-After or RetryInfo delay wins)."},
    {"max_elapsed_time", PCOL_OPT_DURATION, R(max_elapsed_time), "300s", "0", NULL, NULL, 0, NULL,
     0, "Give up on a batch after this long (0: never)."},
    {"multiplier", PCOL_OPT_DOUBLE, R(multiplier), "1.5", "1", "100", NULL, 0, NULL, 0,
     "Growth of the wait after each failure."},
    {"randomization_factor", PCOL_OPT_DOUBLE, R(randomization_factor), "0.5", "0", "1", NULL, 0,
     NULL, 0, "Jitter: each wait is spread by this fraction either way."},
    {0},
};
