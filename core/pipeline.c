/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.c: how batches move between instances (submit, process, emit,
 * fan-out), the per-pipeline memory budget, and the small instance API of
 * component.h. See pipeline.h for the rules.
 */
#include "pipeline.h"

#include "log.h"
#include "service.h"
#include "telemetry.h"

#include <stdio.h>
#include <stdlib.h>

/* A pipeline's in-flight bytes. Refcounted: the pipeline holds one
 * reference and every charged batch another, so a batch that outlives a
 * reloaded pipeline still releases its charge safely. */
struct pcol__budget {
    uint64_t limit;
    uint64_t in_flight;
    uint32_t refs;
    int64_t *m_in_flight;
};

struct charge {
    struct pcol__budget *budget;
    uint64_t bytes;
};

static void budget_unref(struct pcol__budget *bg)
{
    if (--bg->refs == 0) {
        free(bg);
    }
}

void pcol__pipeline_init(struct pcol_pipeline *p, uint64_t limit)
{
    char labels[256];

    p->budget = pcol_xcalloc(1, sizeof(*p->budget));
    p->budget->limit = limit;
    p->budget->refs = 1;
    snprintf(labels, sizeof(labels), "pipeline=\"%s\"", p->id);
    p->budget->m_in_flight =
        pcol_metric_gauge("profcol_pipeline_memory_bytes",
                          "Bytes of batches in a pipeline (its memory budget).", labels);
    *pcol_metric_gauge("profcol_pipeline_memory_limit_bytes",
                       "A pipeline's memory budget in bytes (0: unlimited).", labels) =
        (int64_t)limit;
}

void pcol__pipeline_fini(struct pcol_pipeline *p)
{
    budget_unref(p->budget);
    p->budget = NULL;
}

static void charge_release(void *arg)
{
    struct charge *c = arg;

    c->budget->in_flight -= c->bytes;
    *c->budget->m_in_flight = (int64_t)c->budget->in_flight;
    budget_unref(c->budget);
}

static void charge(struct pcol_pipeline *p, struct pcol_batch *b)
{
    uint64_t bit = 1ull << (p->index & 63);
    struct charge *c;

    if (b->charged & bit) {
        return;
    }
    b->charged |= bit;
    c = pcol_arena_alloc(b->arena, sizeof(*c));
    c->budget = p->budget;
    c->bytes = pcol_batch_bytes(b);
    c->budget->refs++;
    c->budget->in_flight += c->bytes;
    *c->budget->m_in_flight = (int64_t)c->budget->in_flight;
    pcol_arena_on_destroy(b->arena, charge_release, c);
}

void pcol_processor_charge(struct pcol_instance *proc, struct pcol_batch *b)
{
    struct pcol__budget *bg = proc->pipe->budget;
    struct charge *c = NULL;
    uint64_t now;

    if (!(b->charged & (1ull << (proc->pipe->index & 63)))) {
        charge(proc->pipe, b);
        return;
    }
    while ((c = pcol_arena_next_cleanup(b->arena, charge_release, c)) && c->budget != bg) {
    }
    now = pcol_batch_bytes(b);
    if (c && now > c->bytes) {
        bg->in_flight += now - c->bytes;
        c->bytes = now;
        *bg->m_in_flight = (int64_t)bg->in_flight;
    }
}

bool pcol_processor_has_room(struct pcol_instance *proc, size_t bytes)
{
    const struct pcol__budget *bg = proc->pipe->budget;

    return !bg->limit || bg->in_flight + bytes <= bg->limit;
}

void pcol_processor_dropped(struct pcol_instance *proc, const char *reason, uint64_t profiles)
{
    char labels[256];
    uint64_t *c;

    if (!profiles) {
        return;
    }
    snprintf(labels, sizeof(labels), "processor=\"%s\",pipeline=\"%s\",reason=\"%s\"", proc->id,
             proc->pipe->id, reason);
    c = pcol_metric_counter("profcol_processor_dropped_profiles_total",
                            "Profiles a processor dropped, by reason.", labels);
    if (*c == 0) {
        pcol_log(proc, PCOL_LOG_INFO, "dropping profiles (%s); further ones are only counted",
                 reason);
    }
    *c += profiles;
}

/* ---- instance API (component.h) ------------------------------------------------ */

void *pcol_ctx(struct pcol_instance *inst)
{
    return inst->ctx;
}

const char *pcol_id(const struct pcol_instance *inst)
{
    return inst->id;
}

uv_loop_t *pcol_loop(struct pcol_instance *inst)
{
    return inst->loop;
}

void pcol_log(struct pcol_instance *inst, enum pcol_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pcol_logv(level, inst->who, fmt, ap);
    va_end(ap);
}

void pcol__instance_metrics(struct pcol_instance *inst)
{
    char labels[256];

    switch (inst->kind) {
    case PCOL_RECEIVER:
        snprintf(labels, sizeof(labels), "receiver=\"%s\"", inst->id);
        inst->m_items =
            pcol_metric_counter("profcol_receiver_accepted_profiles_total",
                                "Profiles a receiver accepted into the pipelines.", labels);
        inst->m_samples =
            pcol_metric_counter("profcol_receiver_accepted_samples_total",
                                "Samples a receiver accepted into the pipelines.", labels);
        snprintf(labels, sizeof(labels), "receiver=\"%s\",reason=\"memory_limit\"", inst->id);
        inst->m_refused_busy = pcol_metric_counter(
            "profcol_receiver_refused_profiles_total",
            "Profiles a receiver refused, by reason (the sender got an error).", labels);
        break;
    case PCOL_PROCESSOR:
        snprintf(labels, sizeof(labels), "processor=\"%s\",pipeline=\"%s\"", inst->id,
                 inst->pipe->id);
        /* Whole batches a processor refused or dropped; processors that drop
         * single profiles count them by their own reasons (pcol_processor_dropped). */
        snprintf(labels, sizeof(labels), "processor=\"%s\",pipeline=\"%s\",reason=\"batch\"",
                 inst->id, inst->pipe->id);
        inst->m_dropped = pcol_metric_counter("profcol_processor_dropped_profiles_total",
                                              "Profiles a processor dropped, by reason.", labels);
        break;
    case PCOL_EXPORTER:
        snprintf(labels, sizeof(labels), "exporter=\"%s\"", inst->id);
        inst->m_items = pcol_metric_counter("profcol_exporter_sent_profiles_total",
                                            "Profiles an exporter delivered.", labels);
        inst->m_samples = pcol_metric_counter("profcol_exporter_sent_samples_total",
                                              "Samples an exporter delivered.", labels);
        inst->m_failed = pcol_metric_counter(
            "profcol_exporter_send_failed_profiles_total",
            "Profiles an exporter gave up on (permanent error or retries exhausted).", labels);
        inst->m_enqueue_failed = pcol_metric_counter(
            "profcol_exporter_enqueue_failed_profiles_total",
            "Profiles dropped because an exporter's queue was full or it was stopping.", labels);
        inst->m_queue_size = pcol_metric_gauge(
            "profcol_exporter_queue_size", "Batches queued or being sent by an exporter.", labels);
        inst->m_queue_capacity = pcol_metric_gauge("profcol_exporter_queue_capacity",
                                                   "Batches an exporter's queue can hold.", labels);
        break;
    default: break;
    }
}

/* ---- receivers ----------------------------------------------------------------- */

bool pcol_receiver_fits(struct pcol_instance *rcv, size_t bytes)
{
    uint32_t i;

    for (i = 0; i < rcv->n_pipes; i++) {
        const struct pcol__budget *bg = rcv->pipes[i]->budget;
        if (bg->limit && bytes > bg->limit) {
            return false;
        }
    }
    return true;
}

bool pcol_receiver_has_room(struct pcol_instance *rcv, size_t bytes)
{
    uint32_t i;

    for (i = 0; i < rcv->n_pipes; i++) {
        const struct pcol__budget *bg = rcv->pipes[i]->budget;
        if (bg->limit && bg->in_flight + bytes > bg->limit) {
            return false;
        }
    }
    return true;
}

/* Receiver -> pipelines: read-only pipelines share one batch, mutating ones
 * get their own; clones are made before anything runs, because processing
 * is synchronous and would change the batch under later clones. */
static void fan_out_to_pipelines(struct pcol_instance *rcv, struct pcol_batch *b)
{
    struct pcol_batch *shared = NULL;
    uint32_t i, last_mut = UINT32_MAX, n_ro = 0;

    for (i = 0; i < rcv->n_pipes; i++) {
        if (rcv->pipes[i]->mutates) {
            last_mut = i;
        } else {
            n_ro++;
        }
    }
    if (last_mut == UINT32_MAX) {
        shared = b;
        b = NULL;
    } else if (n_ro) {
        shared = pcol_batch_clone(b);
    }
    if (shared && n_ro > 1) {
        shared->flags |= PCOL_BATCH_READONLY;
    }
    for (i = 0; i < rcv->n_pipes; i++) {
        struct pcol_pipeline *p = rcv->pipes[i];
        if (!p->mutates) {
            n_ro--;
            pcol__pipeline_run(p, n_ro ? pcol_batch_ref(shared) : shared, 0);
        } else if (i != last_mut) {
            pcol__pipeline_run(p, pcol_batch_clone(b), 0);
        }
    }
    if (b) {
        pcol__pipeline_run(rcv->pipes[last_mut], b, 0);
    }
}

int pcol_submit(struct pcol_instance *rcv, struct pcol_batch *b)
{
    size_t profiles = pcol_batch_profile_count(b);

    if (!pcol_receiver_fits(rcv, pcol_batch_bytes(b))) {
        pcol_receiver_refused(rcv, "too_large", profiles,
                              "a batch is larger than a pipeline's whole memory_limit");
        pcol_batch_release(b);
        return PCOL_ERANGE;
    }
    if (!pcol_receiver_has_room(rcv, pcol_batch_bytes(b))) {
        *rcv->m_refused_busy += profiles;
        pcol_batch_release(b);
        return PCOL_EBUSY;
    }
    *rcv->m_items += profiles;
    *rcv->m_samples += pcol_batch_sample_count(b);
    if (rcv->n_pipes == 0) {
        pcol_batch_release(b);
        return 0;
    }
    fan_out_to_pipelines(rcv, b);
    return 0;
}

void pcol_receiver_refused(struct pcol_instance *rcv, const char *reason, uint64_t profiles,
                           const char *detail)
{
    char labels[256];
    uint64_t *c;

    snprintf(labels, sizeof(labels), "receiver=\"%s\",reason=\"%s\"", rcv->id, reason);
    c = pcol_metric_counter("profcol_receiver_refused_profiles_total",
                            "Profiles a receiver refused, by reason (the sender got an error).",
                            labels);
    /* Logged once per receiver and reason; the counter says how often. */
    if (*c == 0 && detail) {
        pcol_log(rcv, PCOL_LOG_WARN, "refused input (%s): %s; further ones are only counted",
                 reason, detail);
    }
    *c += profiles ? profiles : 1;
}

void pcol_receiver_finished(struct pcol_instance *rcv, bool failed)
{
    if (rcv->finished) {
        return;
    }
    rcv->finished = true;
    rcv->failed = failed;
    pcol__service_receiver_finished(rcv->svc, rcv);
}

/* ---- processors and exporters ---------------------------------------------------- */

static void count_dropped(struct pcol_instance *proc, struct pcol_batch *b, const char *why)
{
    uint64_t n = pcol_batch_profile_count(b);

    if (*proc->m_dropped == 0 && why) {
        pcol_log(proc, PCOL_LOG_WARN, "%s a batch of %llu profiles; further ones are only counted",
                 why, (unsigned long long)n);
    }
    *proc->m_dropped += n;
}

void pcol__pipeline_run(struct pcol_pipeline *p, struct pcol_batch *b, uint32_t pos)
{
    uint32_t i;

    charge(p, b);
    for (i = pos; i < p->n_procs; i++) {
        struct pcol_instance *proc = p->procs[i];
        switch (proc->def->process(proc, b)) {
        case PCOL_CONTINUE: continue;
        case PCOL_HOLD: return;
        case PCOL_DROP:
            count_dropped(proc, b, NULL);
            pcol_batch_release(b);
            return;
        default:
            count_dropped(proc, b, "failed to process");
            pcol_batch_release(b);
            return;
        }
    }
    if (p->n_exps > 1) {
        b->flags |= PCOL_BATCH_READONLY;
    }
    for (i = 0; i < p->n_exps; i++) {
        pcol__exporter_helper_enqueue(p->exps[i]->helper,
                                      i + 1 < p->n_exps ? pcol_batch_ref(b) : b);
    }
    if (p->n_exps == 0) {
        pcol_batch_release(b);
    }
}

void pcol_emit(struct pcol_instance *proc, struct pcol_batch *b)
{
    pcol__pipeline_run(proc->pipe, b, proc->pos + 1);
}

/* ---- thread pool ------------------------------------------------------------------- */

struct work {
    uv_work_t req;
    struct pcol_instance *inst;
    void (*work)(void *);
    void (*done)(void *, int);
    void *data;
};

static void work_run(uv_work_t *req)
{
    struct work *w = PCOL_CONTAINER_OF(req, struct work, req);

    w->work(w->data);
}

static void work_after(uv_work_t *req, int status)
{
    struct work *w = PCOL_CONTAINER_OF(req, struct work, req);

    w->inst->pending_work--;
    w->done(w->data, status);
    free(w);
}

int pcol_work(struct pcol_instance *inst, void (*work)(void *), void (*done)(void *, int),
              void *data)
{
    struct work *w = pcol_xcalloc(1, sizeof(*w));
    int rc;

    w->inst = inst;
    w->work = work;
    w->done = done;
    w->data = data;
    rc = uv_queue_work(inst->loop, &w->req, work_run, work_after);
    if (rc != 0) {
        free(w);
        return PCOL_EIO;
    }
    inst->pending_work++;
    return 0;
}
