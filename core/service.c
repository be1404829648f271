/* SPDX-License-Identifier: Apache-2.0 */
/*
 * service.c: builds a graph of instances and pipelines from a checked config,
 * runs it on one libuv loop, and stops it in stages:
 *
 *   receivers stop accepting -> processors flush held batches ->
 *   exporters drain (within service.shutdown_timeout) -> thread-pool work
 *   finishes -> instances are destroyed -> (reload: the new graph starts)
 *
 * A reload (SIGHUP) builds and checks the new graph first; a bad config is
 * logged and the old graph keeps running. Queued data is drained, not lost.
 */
#include "service.h"

#include "log.h"
#include "pipeline.h"
#include "registry.h"
#include "telemetry.h"
#include "tls.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One generation of the running configuration. */
struct graph {
    struct pcol_config *cfg;
    struct pcol_instance *head, **tail; /* exporters, then processors, then receivers */
    struct pcol_pipeline *pipes;
    uint32_t n_pipes;
    uint32_t n_receivers;
    uint64_t shutdown_timeout_ms;
};

enum phase {
    PHASE_RUNNING,
    PHASE_STOP_RECEIVERS,
    PHASE_STOP_PROCESSORS,
    PHASE_STOP_EXPORTERS,
    PHASE_WAIT_WORK,
    PHASE_DONE,
};

struct pcol_service {
    uv_loop_t loop;
    const struct pcol_service_opts *opts;
    struct graph *g;      /* running */
    struct graph *next_g; /* started once g is down (reload) */
    enum phase phase;
    uint32_t waiting; /* stop callbacks still due in this phase */
    bool exiting;
    bool ready;
    int exit_code;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t work_timer;
    struct pcol_telemetry_server *telemetry;
    struct pcol_buf listening; /* ready-file lines of the current graph */
};

/* ---- building ----------------------------------------------------------------- */

static void graph_add(struct graph *g, struct pcol_instance *inst)
{
    inst->next = NULL;
    *g->tail = inst;
    g->tail = &inst->next;
}

/* Parses the component's options into a fresh instance. Returns NULL (after
 * reporting to `d`) when they are bad. */
static struct pcol_instance *instance_new(struct pcol_service *svc,
                                          const struct pcol_component_def *def,
                                          const struct pcol_cfg_component *c, struct pcol_diag *d)
{
    struct pcol_arena *a = pcol_arena_create(0);
    struct pcol_instance *inst = pcol_arena_calloc(a, sizeof(*inst));
    size_t errors = d->errors;

    inst->def = def;
    inst->kind = c->kind;
    inst->arena = a;
    inst->svc = svc;
    inst->loop = svc ? &svc->loop : NULL;
    inst->id = pcol_arena_strndup(a, c->id, strlen(c->id));
    inst->who = pcol_arena_sprintf(a, "%s %s", pcol_component_kind_name(c->kind), c->id);
    inst->ctx = pcol_arena_calloc(a, def->ctx_size ? def->ctx_size : 1);
    if (def->options) {
        pcol_options_apply(def->options, c->node, inst->ctx, a, d);
    } else if (c->node && c->node->kind == PCOL_NODE_MAPPING && c->node->count) {
        pcol_diag_add(d, c->node, "%s \"%s\" takes no settings", pcol_component_kind_name(c->kind),
                      def->name);
    }
    if (d->errors == errors && def->validate) {
        def->validate(inst->ctx, c->node, d);
    }
    if (d->errors != errors) {
        pcol_arena_destroy(a);
        return NULL;
    }
    return inst;
}

static void graph_free(struct graph *g)
{
    struct pcol_instance *inst, *next;
    uint32_t i;

    if (!g) {
        return;
    }
    for (inst = g->head; inst; inst = next) {
        next = inst->next;
        if (inst->initialised && inst->def->destroy) {
            inst->def->destroy(inst);
        }
        pcol__exporter_helper_destroy(inst->helper);
        free(inst->pipes);
        pcol_arena_destroy(inst->arena);
    }
    for (i = 0; i < g->n_pipes; i++) {
        free(g->pipes[i].procs);
        free(g->pipes[i].exps);
        if (g->pipes[i].budget) {
            pcol__pipeline_fini(&g->pipes[i]);
        }
    }
    free(g->pipes);
    pcol_config_destroy(g->cfg);
    free(g);
}

static void load_plugins(const struct pcol_config *cfg, struct pcol_diag *d)
{
    const struct pcol_cfg_node *pl = pcol_config_plugins(cfg);
    struct pcol_err err;
    size_t i;

    for (i = 0; pl && pl->kind == PCOL_NODE_SEQUENCE && i < pl->count; i++) {
        const struct pcol_cfg_node *item = pl->items[i];
        if (item->kind != PCOL_NODE_SCALAR || item->is_null) {
            pcol_diag_add(d, item, "a plugin must be a path to a shared object");
        } else if (pcol_registry_load_plugin(item->text, &err) != 0) {
            pcol_diag_add(d, item, "%s", err.msg);
        }
    }
}

static const struct pcol_component_def *find_def(const struct pcol_cfg_component *c,
                                                 struct pcol_diag *d)
{
    const struct pcol_component_def *def = pcol_registry_find(c->kind, c->type);
    const char *hint;

    if (!def) {
        hint = pcol_registry_suggest(c->kind, c->type);
        if (hint) {
            pcol_diag_add(d, c->key, "unknown %s type \"%s\" (did you mean \"%s\"?)",
                          pcol_component_kind_name(c->kind), c->type, hint);
        } else {
            pcol_diag_add(d, c->key, "unknown %s type \"%s\" (see `profcol components`)",
                          pcol_component_kind_name(c->kind), c->type);
        }
    }
    return def;
}

static struct pcol_instance *find_instance(struct graph *g, enum pcol_component_kind kind,
                                           const char *id)
{
    struct pcol_instance *inst;

    for (inst = g->head; inst; inst = inst->next) {
        if (inst->kind == kind && !strcmp(inst->id, id)) {
            return inst;
        }
    }
    return NULL;
}

/* Every component's options are checked, used or not; instances are made
 * for used receivers and exporters (shared by pipelines) and for each
 * pipeline position of a processor (as the Collector does). */
static void build_instances(struct pcol_service *svc, struct graph *g, struct pcol_diag *d)
{
    static const enum pcol_component_kind order[] = {PCOL_EXPORTER, PCOL_PROCESSOR, PCOL_RECEIVER};
    const struct pcol_cfg_component *list;
    size_t k, i, n;

    for (k = 0; k < PCOL_ARRAY_SIZE(order); k++) {
        n = pcol_config_components(g->cfg, order[k], &list);
        for (i = 0; i < n; i++) {
            const struct pcol_cfg_component *c = &list[i];
            const struct pcol_component_def *def = find_def(c, d);
            struct pcol_instance *inst = def ? instance_new(svc, def, c, d) : NULL;
            if (!inst) {
                continue;
            }
            if (c->used && order[k] != PCOL_PROCESSOR) {
                graph_add(g, inst);
                g->n_receivers += order[k] == PCOL_RECEIVER;
            } else {
                pcol_arena_destroy(inst->arena); /* checked only */
            }
        }
    }
}

static void build_pipelines(struct pcol_service *svc, struct graph *g, struct pcol_diag *d)
{
    const struct pcol_cfg_pipeline *pl;
    struct pcol_diag quiet = {0};
    uint32_t i, j;

    g->n_pipes = (uint32_t)pcol_config_pipelines(g->cfg, &pl);
    g->pipes = pcol_xcalloc(g->n_pipes ? g->n_pipes : 1, sizeof(*g->pipes));
    for (i = 0; i < g->n_pipes; i++) {
        struct pcol_pipeline *p = &g->pipes[i];
        p->id = pl[i].id;
        p->index = i;
        pcol__pipeline_init(p, pl[i].memory_limit);
        p->procs = pcol_xcalloc(pl[i].n_refs[PCOL_PROCESSOR] + 1, sizeof(*p->procs));
        for (j = 0; j < pl[i].n_refs[PCOL_PROCESSOR]; j++) {
            const struct pcol_cfg_component *c = pl[i].refs[PCOL_PROCESSOR][j];
            const struct pcol_component_def *def = pcol_registry_find(PCOL_PROCESSOR, c->type);
            /* Options were reported above; this copy is known good. */
            struct pcol_instance *inst = def ? instance_new(svc, def, c, &quiet) : NULL;
            if (!inst) {
                continue;
            }
            inst->pipe = p;
            inst->pos = p->n_procs;
            p->procs[p->n_procs++] = inst;
            p->mutates |= def->mutates;
            graph_add(g, inst);
        }
        p->exps = pcol_xcalloc(pl[i].n_refs[PCOL_EXPORTER] + 1, sizeof(*p->exps));
        for (j = 0; j < pl[i].n_refs[PCOL_EXPORTER]; j++) {
            struct pcol_instance *e =
                find_instance(g, PCOL_EXPORTER, pl[i].refs[PCOL_EXPORTER][j]->id);
            if (e) {
                p->exps[p->n_exps++] = e;
            }
        }
        for (j = 0; j < pl[i].n_refs[PCOL_RECEIVER]; j++) {
            struct pcol_instance *r =
                find_instance(g, PCOL_RECEIVER, pl[i].refs[PCOL_RECEIVER][j]->id);
            if (r) {
                r->pipes = pcol_xrealloc(r->pipes, (r->n_pipes + 1) * sizeof(*r->pipes));
                r->pipes[r->n_pipes++] = p;
            }
        }
    }
    pcol_diag_free(&quiet);
    PCOL_UNUSED(d);
}

/* Loads, checks and builds; NULL (with everything in `d`) when anything is
 * wrong. `svc` is NULL for `profcol validate`. */
static struct graph *graph_build(struct pcol_service *svc, const struct pcol_service_opts *o,
                                 struct pcol_diag *d)
{
    struct graph *g = pcol_xcalloc(1, sizeof(*g));
    size_t i;

    g->tail = &g->head;
    g->cfg = pcol_config_create();
    if (o->n_configs == 0) {
        pcol_config_load_string(g->cfg, "<default config>", pcol_default_config, d);
    }
    for (i = 0; i < o->n_configs; i++) {
        pcol_config_load_file(g->cfg, o->configs[i], d);
    }
    if (d->errors) {
        goto fail; /* a file did not load: later errors would only mislead */
    }
    /* Wiring errors do not stop the option checks: report everything at once. */
    pcol_config_check(g->cfg, d);
    load_plugins(g->cfg, d);
    build_instances(svc, g, d);
    if (d->errors) {
        goto fail;
    }
    build_pipelines(svc, g, d);
    g->shutdown_timeout_ms = (uint64_t)(pcol_config_service(g->cfg)->shutdown_timeout / 1000000);
    if (d->errors) {
        goto fail;
    }
    return g;
fail:
    graph_free(g);
    return NULL;
}

int pcol_service_validate(const struct pcol_service_opts *opts, FILE *out)
{
    struct pcol_diag d = {0};
    struct graph *g = graph_build(NULL, opts, &d);
    int rc = g ? PCOL_EXIT_OK : PCOL_EXIT_INVALID;

    pcol_diag_print(&d, out);
    if (g) {
        fprintf(out, "config is valid: %u pipeline%s, %u receiver%s\n", g->n_pipes,
                g->n_pipes == 1 ? "" : "s", g->n_receivers, g->n_receivers == 1 ? "" : "s");
    }
    graph_free(g);
    pcol_diag_free(&d);
    return rc;
}

/* ---- starting ------------------------------------------------------------------- */

static void write_ready_file(struct pcol_service *svc)
{
    char tmp[4096];
    FILE *f;

    if (!svc->opts->ready_file) {
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", svc->opts->ready_file);
    f = fopen(tmp, "w");
    if (!f || fwrite(svc->listening.p, 1, svc->listening.len, f) != svc->listening.len ||
        fclose(f) != 0 || rename(tmp, svc->opts->ready_file) != 0) {
        pcol_logf(PCOL_LOG_ERROR, "service", "cannot write ready file %s: %s",
                  svc->opts->ready_file, strerror(errno));
    }
}

void pcol__service_listening(struct pcol_service *svc, struct pcol_instance *rcv, const char *what,
                             const char *addr)
{
    pcol_log(rcv, PCOL_LOG_INFO, "listening (%s) on %s", what, addr);
    pcol_buf_printf(&svc->listening, "%s %s %s %s\n", pcol_component_kind_name(rcv->kind), rcv->id,
                    what, addr);
}

void pcol_receiver_listening(struct pcol_instance *rcv, const char *what, const char *addr)
{
    if (rcv->svc) {
        pcol__service_listening(rcv->svc, rcv, what, addr);
    }
}

static void stop_graph(struct pcol_service *svc);

static int graph_start(struct pcol_service *svc, struct graph *g)
{
    static const enum pcol_component_kind order[] = {PCOL_EXPORTER, PCOL_PROCESSOR, PCOL_RECEIVER};
    struct pcol_instance *inst;
    size_t k;
    int rc;

    svc->listening.len = 0;
    if (svc->telemetry) {
        pcol_buf_printf(&svc->listening, "telemetry metrics http 127.0.0.1:%d\n",
                        pcol_telemetry_port(svc->telemetry));
    }
    for (inst = g->head; inst; inst = inst->next) {
        pcol__instance_metrics(inst);
        rc = inst->def->init ? inst->def->init(inst) : 0;
        if (rc != 0) {
            pcol_log(inst, PCOL_LOG_ERROR, "cannot initialise: %s", pcol_strerror(rc));
            return rc;
        }
        inst->initialised = true;
        if (inst->kind == PCOL_EXPORTER) {
            inst->helper = pcol__exporter_helper_create(inst);
        }
    }
    for (k = 0; k < PCOL_ARRAY_SIZE(order); k++) {
        for (inst = g->head; inst; inst = inst->next) {
            if (inst->kind != order[k]) {
                continue;
            }
            rc = inst->def->start ? inst->def->start(inst) : 0;
            if (rc != 0) {
                pcol_log(inst, PCOL_LOG_ERROR, "cannot start: %s", pcol_strerror(rc));
                return rc;
            }
            inst->started = true;
        }
    }
    write_ready_file(svc);
    svc->ready = true;
    pcol_logf(PCOL_LOG_INFO, "service", "running: %u pipeline%s", g->n_pipes,
              g->n_pipes == 1 ? "" : "s");
    return 0;
}

/* ---- stopping --------------------------------------------------------------------- */

static void advance(struct pcol_service *svc);

static void one_stopped(struct pcol_instance *inst)
{
    struct pcol_service *svc = inst->svc;

    inst->stopped = true;
    if (--svc->waiting == 0) {
        advance(svc);
    }
}

static void exporter_drained(struct pcol_instance *inst)
{
    if (inst->def->stop) {
        inst->def->stop(inst, one_stopped);
    } else {
        one_stopped(inst);
    }
}

/* Stops every started instance of `kind`. The extra count guards against
 * stop hooks that finish synchronously. */
static void stop_kind(struct pcol_service *svc, enum pcol_component_kind kind)
{
    struct pcol_instance *inst;

    svc->waiting = 1;
    for (inst = svc->g->head; inst; inst = inst->next) {
        if (inst->kind != kind || !inst->started || inst->stopping) {
            continue;
        }
        inst->stopping = true;
        svc->waiting++;
        if (kind == PCOL_EXPORTER) {
            pcol__exporter_helper_drain(inst->helper, svc->g->shutdown_timeout_ms,
                                        exporter_drained);
        } else if (inst->def->stop) {
            inst->def->stop(inst, one_stopped);
        } else {
            one_stopped(inst);
        }
    }
    if (--svc->waiting == 0) {
        advance(svc);
    }
}

static bool work_pending(const struct graph *g)
{
    const struct pcol_instance *inst;

    for (inst = g->head; inst; inst = inst->next) {
        if (inst->pending_work) {
            return true;
        }
    }
    return false;
}

static void work_poll(uv_timer_t *t)
{
    struct pcol_service *svc = PCOL_CONTAINER_OF(t, struct pcol_service, work_timer);

    if (!work_pending(svc->g)) {
        uv_timer_stop(t);
        advance(svc);
    }
}

static void finish_stop(struct pcol_service *svc);

/* Moves to the next stop phase once the current one has no callbacks due. */
static void advance(struct pcol_service *svc)
{
    switch (svc->phase) {
    case PHASE_STOP_RECEIVERS:
        svc->phase = PHASE_STOP_PROCESSORS;
        stop_kind(svc, PCOL_PROCESSOR);
        break;
    case PHASE_STOP_PROCESSORS:
        svc->phase = PHASE_STOP_EXPORTERS;
        stop_kind(svc, PCOL_EXPORTER);
        break;
    case PHASE_STOP_EXPORTERS:
        svc->phase = PHASE_WAIT_WORK;
        if (work_pending(svc->g)) {
            uv_timer_start(&svc->work_timer, work_poll, 5, 5);
            break;
        }
        /* fall through */
    case PHASE_WAIT_WORK:
        svc->phase = PHASE_DONE;
        finish_stop(svc);
        break;
    default: break;
    }
}

static void stop_graph(struct pcol_service *svc)
{
    if (svc->phase != PHASE_RUNNING) {
        return;
    }
    svc->ready = false;
    svc->phase = PHASE_STOP_RECEIVERS;
    stop_kind(svc, PCOL_RECEIVER);
}

static void close_service_handles(struct pcol_service *svc)
{
    uv_close((uv_handle_t *)&svc->sig_term, NULL);
    uv_close((uv_handle_t *)&svc->sig_int, NULL);
    uv_close((uv_handle_t *)&svc->sig_hup, NULL);
    uv_close((uv_handle_t *)&svc->work_timer, NULL);
    if (svc->telemetry) {
        pcol_telemetry_stop(svc->telemetry, NULL, NULL);
        svc->telemetry = NULL;
    }
}

static void finish_stop(struct pcol_service *svc)
{
    struct pcol_instance *inst;

    for (inst = svc->g->head; inst; inst = inst->next) {
        if (inst->kind == PCOL_RECEIVER && inst->failed) {
            svc->exit_code = PCOL_EXIT_INVALID;
        }
    }
    graph_free(svc->g);
    svc->g = NULL;
    if (svc->next_g && !svc->exiting) {
        svc->g = svc->next_g;
        svc->next_g = NULL;
        svc->phase = PHASE_RUNNING;
        pcol_logf(PCOL_LOG_INFO, "service", "reloaded the config");
        if (graph_start(svc, svc->g) != 0) {
            svc->exit_code = PCOL_EXIT_RUNTIME;
            svc->exiting = true;
            stop_graph(svc);
        }
        return;
    }
    graph_free(svc->next_g);
    svc->next_g = NULL;
    pcol_logf(PCOL_LOG_INFO, "service", "stopped");
    close_service_handles(svc);
}

static void begin_exit(struct pcol_service *svc, const char *why)
{
    if (svc->exiting) {
        return;
    }
    pcol_logf(PCOL_LOG_INFO, "service", "%s: stopping", why);
    svc->exiting = true;
    stop_graph(svc);
}

void pcol__service_receiver_finished(struct pcol_service *svc, struct pcol_instance *rcv)
{
    struct pcol_instance *inst;

    pcol_log(rcv, PCOL_LOG_INFO, "finished%s", rcv->failed ? " with errors" : "");
    for (inst = svc->g->head; inst; inst = inst->next) {
        if (inst->kind == PCOL_RECEIVER && !inst->finished) {
            return;
        }
    }
    begin_exit(svc, "every receiver has finished");
}

/* ---- signals ----------------------------------------------------------------------- */

static void on_stop_signal(uv_signal_t *h, int signum)
{
    struct pcol_service *svc = h->data;

    begin_exit(svc, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void print_diag_to_log(const struct pcol_diag *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        const struct pcol_diag_entry *e = &d->v[i];
        pcol_logf(e->severity == PCOL_DIAG_ERROR ? PCOL_LOG_ERROR : PCOL_LOG_WARN, "config",
                  "%s:%u:%u: %s", e->file ? e->file : "-", e->line, e->col, e->msg);
    }
}

static void on_hup(uv_signal_t *h, int signum)
{
    struct pcol_service *svc = h->data;
    struct pcol_diag d = {0};
    struct graph *g;

    PCOL_UNUSED(signum);
    if (svc->exiting || svc->phase != PHASE_RUNNING || svc->next_g) {
        pcol_logf(PCOL_LOG_WARN, "service", "SIGHUP ignored: already stopping or reloading");
        return;
    }
    pcol_logf(PCOL_LOG_INFO, "service", "SIGHUP: reloading the config");
    /* Renewed certificates count even when the config is the same or bad. */
    pcol_tls_reload_all();
    g = graph_build(svc, svc->opts, &d);
    print_diag_to_log(&d);
    pcol_diag_free(&d);
    if (!g) {
        pcol_logf(PCOL_LOG_ERROR, "service", "the new config is invalid; keeping the old one");
        return;
    }
    svc->next_g = g;
    stop_graph(svc);
}

/* ---- run ------------------------------------------------------------------------------ */

static void close_leftover(uv_handle_t *h, void *arg)
{
    PCOL_UNUSED(arg);
    if (!uv_is_closing(h)) {
        pcol_logf(PCOL_LOG_ERROR, "service", "a %s handle was left open; closing it",
                  uv_handle_type_name(uv_handle_get_type(h)));
        uv_close(h, NULL);
    }
}

int pcol_service_run(const struct pcol_service_opts *opts)
{
    struct pcol_service svc;
    struct pcol_diag d = {0};
    const struct pcol_telemetry_config *tc;
    struct pcol_err err = {{0}};

    memset(&svc, 0, sizeof(svc));
    svc.opts = opts;
    uv_loop_init(&svc.loop);
    svc.g = graph_build(&svc, opts, &d);
    pcol_diag_print(&d, stderr);
    pcol_diag_free(&d);
    if (!svc.g) {
        uv_loop_close(&svc.loop);
        return PCOL_EXIT_INVALID;
    }
    tc = pcol_config_telemetry(svc.g->cfg);
    pcol_log_setup(opts->log_level >= 0 ? (enum pcol_log_level)opts->log_level
                                        : (enum pcol_log_level)tc->logs.level,
                   opts->log_encoding >= 0 ? (enum pcol_log_encoding)opts->log_encoding
                                           : (enum pcol_log_encoding)tc->logs.encoding);
    signal(SIGPIPE, SIG_IGN);
    uv_signal_init(&svc.loop, &svc.sig_term);
    uv_signal_init(&svc.loop, &svc.sig_int);
    uv_signal_init(&svc.loop, &svc.sig_hup);
    svc.sig_term.data = svc.sig_int.data = svc.sig_hup.data = &svc;
    uv_signal_start(&svc.sig_term, on_stop_signal, SIGTERM);
    uv_signal_start(&svc.sig_int, on_stop_signal, SIGINT);
    uv_signal_start(&svc.sig_hup, on_hup, SIGHUP);
    uv_timer_init(&svc.loop, &svc.work_timer);
    if (tc->metrics.level != PCOL_METRICS_NONE) {
        svc.telemetry = pcol_telemetry_start(&svc.loop, &tc->metrics.address, &svc.ready, &err);
        if (!svc.telemetry) {
            pcol_logf(PCOL_LOG_ERROR, "service", "telemetry: %s", err.msg);
            svc.exit_code = PCOL_EXIT_RUNTIME;
        }
    }
    if (svc.exit_code == 0 && graph_start(&svc, svc.g) != 0) {
        svc.exit_code = PCOL_EXIT_RUNTIME;
    }
    if (svc.exit_code != 0) {
        svc.exiting = true;
        stop_graph(&svc);
    } else if (svc.g->n_receivers == 0) {
        begin_exit(&svc, "no receivers");
    }
    uv_run(&svc.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&svc.loop) != 0) {
        uv_walk(&svc.loop, close_leftover, NULL);
        uv_run(&svc.loop, UV_RUN_DEFAULT);
        uv_loop_close(&svc.loop);
        if (svc.exit_code == 0) {
            svc.exit_code = PCOL_EXIT_RUNTIME;
        }
    }
    pcol_buf_free(&svc.listening);
    pcol_registry_unload_plugins();
    pcol_metrics_free();
    return svc.exit_code;
}
