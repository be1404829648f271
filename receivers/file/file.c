/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.c: the `file` receiver: reads profile files (pprof, OTLP protobuf,
 * OTLP/JSON, raw or gzip/zstd) named by glob patterns and submits each as
 * one batch. With `once` it reads every match once and then tells the
 * service it is finished (the CI use case: exit 0, or 2 when a file was
 * bad); otherwise it re-scans every poll_interval and reads files it has not
 * seen, or whose size or mtime changed (so writers should rename finished
 * files into place: a half-written one fails, and is read again once it
 * changes).
 *
 * Files are read one at a time in sorted path order, so runs are
 * deterministic. Files over 64 KiB are read and decoded on the thread pool.
 * When the pipelines are over their memory budget the decoded batch is kept
 * and offered again after a growing back-off: a busy pipeline never costs a
 * file.
 *
 * Ownership: the core owns the instance and this context. The context owns
 * the list of seen files, the timer, the batch waiting for room, and the job
 * on the thread pool (whose data the worker holds until its done callback).
 */
#include "component.h"

#include "convert.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OFFLOAD_BYTES (64 * 1024)
#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 1000
#define WAIT_WARN_MS 30000

struct seen {
    char *path;
    off_t size;
    struct timespec mtime;
};

struct job {
    struct frcv *fr;
    const char *path; /* borrowed from fr->seen, which stays put while a job runs */
    size_t max;
    enum pcol_format format;
    struct pcol_batch *batch;
    const char *reason; /* refusal reason when rc != 0 */
    int rc;
    struct pcol_err err;
};

struct frcv {
    /* options */
    struct pcol_str_list include;
    struct pcol_str_list exclude;
    bool once;
    int64_t poll_interval; /* ns */
    uint64_t max_file_size;
    int format;

    /* state */
    struct pcol_instance *inst;
    uv_timer_t timer; /* next scan, or the back-off while the pipelines are full */
    bool timer_open, stopping, failed;
    struct seen *seen; /* files of the last scan, sorted by path */
    size_t n_seen;
    size_t *queue; /* indexes into seen still to read, in order */
    size_t n_queue, next;
    size_t read_ok, read_failed;
    struct job *busy;        /* on the thread pool */
    struct pcol_batch *held; /* decoded, waiting for room in the pipelines */
    const char *held_path;
    uint64_t backoff_ms, waited_ms, warned_ms;
    pcol_stop_cb stop_done;
};

static const char *const format_names[] = {"auto", "pprof", "otlp", "otlp_json", NULL};

static const struct pcol_option file_options[] = {
    {"include", PCOL_OPT_STRING_LIST, offsetof(struct frcv, include), NULL, "1", NULL, NULL,
     PCOL_OPT_REQUIRED, NULL, 0,
     "Glob patterns of the files to read (glob(3), e.g. "
     "\"/data/*.pb.gz\")."},
    {"exclude", PCOL_OPT_STRING_LIST, offsetof(struct frcv, exclude), NULL, NULL, NULL, NULL, 0,
     NULL, 0, "Glob patterns of files to skip; a pattern without '/' matches the file name."},
    {"once", PCOL_OPT_BOOL, offsetof(struct frcv, once), "false", NULL, NULL, NULL, 0, NULL, 0,
     "Read every match once, then finish: the run exits 0, or 2 if a file was bad."},
    {"poll_interval", PCOL_OPT_DURATION, offsetof(struct frcv, poll_interval), "10s", "10ms", NULL,
     NULL, 0, NULL, 0,
     "Without once: how often the patterns are scanned again for new or changed files."},
    {"max_file_size", PCOL_OPT_SIZE, offsetof(struct frcv, max_file_size), "256MiB", "1", NULL,
     NULL, 0, NULL, 0,
     "Largest file accepted, before and after decompression; larger ones are refused."},
    {"format", PCOL_OPT_ENUM, offsetof(struct frcv, format), "auto", NULL, NULL, format_names, 0,
     NULL, 0, "The files' format; auto recognises it from the content, then the name."},
    {0},
};

static void pump(struct frcv *fr);

/* ---- scanning ---------------------------------------------------------------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool excluded(const struct frcv *fr, const char *path)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t i;

    for (i = 0; i < fr->exclude.n; i++) {
        const char *pat = fr->exclude.v[i];
        if (fnmatch(pat, strchr(pat, '/') ? path : base, FNM_PATHNAME) == 0) {
            return true;
        }
    }
    return false;
}

/* Every path the include patterns match, sorted, without duplicates. */
static size_t glob_all(struct frcv *fr, glob_t *g)
{
    size_t i, n = 0, k;
    int flags = 0;

    memset(g, 0, sizeof(*g));
    for (i = 0; i < fr->include.n; i++) {
        int rc = glob(fr->include.v[i], flags, NULL, g);
        if (rc != 0 && rc != GLOB_NOMATCH) {
            pcol_log(fr->inst, PCOL_LOG_WARN, "%s: %s", fr->include.v[i],
                     rc == GLOB_NOSPACE ? "out of memory" : "cannot read a directory");
        }
        flags = GLOB_APPEND; /* the first call initialised g, match or not */
    }
    if (!g->gl_pathc) {
        return 0;
    }
    qsort(g->gl_pathv, g->gl_pathc, sizeof(*g->gl_pathv), compare_strings);
    for (k = 0; k < g->gl_pathc; k++) {
        if (n == 0 || strcmp(g->gl_pathv[n - 1], g->gl_pathv[k]) != 0) {
            char *tmp = g->gl_pathv[n];
            g->gl_pathv[n++] = g->gl_pathv[k];
            g->gl_pathv[k] = tmp;
        }
    }
    return n;
}

static const struct seen *find_seen(const struct frcv *fr, const char *path)
{
    size_t lo = 0, hi = fr->n_seen;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(fr->seen[mid].path, path);
        if (c == 0) {
            return &fr->seen[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

static void free_seen(struct seen *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(v[i].path);
    }
    free(v);
}

/* Rebuilds the seen list from the files now matching, and queues those that
 * are new or changed. Files that vanished are forgotten. */
static void scan(struct frcv *fr)
{
    struct seen *now;
    size_t n, i, k = 0;
    glob_t g;

    n = glob_all(fr, &g);
    now = pcol_xcalloc(n + 1, sizeof(*now));
    fr->queue = pcol_xcalloc(n + 1, sizeof(*fr->queue));
    fr->n_queue = fr->next = 0;
    for (i = 0; i < n; i++) {
        const char *path = g.gl_pathv[i];
        const struct seen *old;
        struct stat st;

        if (excluded(fr, path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        /* A polled file still being created is read once it has content. */
        if (!fr->once && st.st_size == 0) {
            continue;
        }
        now[k].path = pcol_xstrdup(path);
        now[k].size = st.st_size;
        now[k].mtime = st.st_mtim;
        old = find_seen(fr, path);
        if (!old || old->size != st.st_size || old->mtime.tv_sec != st.st_mtim.tv_sec ||
            old->mtime.tv_nsec != st.st_mtim.tv_nsec) {
            fr->queue[fr->n_queue++] = k;
        }
        k++;
    }
    globfree(&g);
    free_seen(fr->seen, fr->n_seen);
    fr->seen = now;
    fr->n_seen = k;
}

/* ---- reading one file -------------------------------------------------------- */

static int read_all(const char *path, size_t max, struct pcol_buf *out, struct pcol_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int rc = 0;

    if (fd < 0) {
        return pcol_err_set(err, PCOL_EIO, "cannot open: %s", strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = pcol_err_set(err, PCOL_EIO, "not a regular file");
    } else if ((uint64_t)st.st_size > max) {
        rc = pcol_err_set(err, PCOL_ERANGE, "%lld bytes is over max_file_size (%zu)",
                          (long long)st.st_size, max);
    }
    if (rc == 0) {
        pcol_buf_reserve(out, (size_t)st.st_size + 1);
    }
    while (rc == 0) {
        ssize_t r;
        if (out->len == out->cap) {
            pcol_buf_reserve(out, out->cap);
        }
        r = read(fd, out->p + out->len, out->cap - out->len);
        if (r == 0) {
            break;
        }
        if (r < 0 && errno != EINTR) {
            rc = pcol_err_set(err, PCOL_EIO, "cannot read: %s", strerror(errno));
        } else if (r > 0 && (out->len += (size_t)r) > max) {
            rc = pcol_err_set(err, PCOL_ERANGE, "grew over max_file_size (%zu) while read", max);
        }
    }
    close(fd);
    return rc;
}

/* Reads and decodes job->path. Runs on a worker thread for big files, so it
 * touches only the job. */
static void job_run(void *data)
{
    struct job *j = data;
    struct pcol_buf in = {0};
    enum pcol_format f = j->format;

    j->rc = read_all(j->path, j->max, &in, &j->err);
    if (j->rc == 0 && f == PCOL_FMT_UNKNOWN) {
        f = pcol_format_detect(in.p, in.len, j->path);
        if (f == PCOL_FMT_UNKNOWN) {
            j->rc = pcol_err_set(&j->err, PCOL_EINVAL, "not a pprof, OTLP or OTLP/JSON profile");
        }
    }
    if (j->rc == 0) {
        j->batch = pcol_batch_create(in.len);
        j->rc = pcol_decode_any(j->batch, f, in.p, in.len, j->max, &j->err);
    }
    pcol_buf_free(&in);
    if (j->rc != 0) {
        j->reason = j->rc == PCOL_ERANGE ? "too_large"
                    : j->rc == PCOL_EIO  ? "unreadable"
                                         : "undecodable";
        pcol_batch_release(j->batch);
        j->batch = NULL;
    }
}

static void refuse(struct frcv *fr, const char *path, const char *reason, const char *why)
{
    char detail[PCOL_ERR_MAX + 256];

    snprintf(detail, sizeof(detail), "%s: %s", path, why);
    pcol_log(fr->inst, PCOL_LOG_ERROR, "%s", detail);
    pcol_receiver_refused(fr->inst, reason, 0, NULL); /* logged just above */
    fr->failed = true;
    fr->read_failed++;
}

static void job_finished(struct frcv *fr, struct job *j)
{
    if (j->rc != 0) {
        refuse(fr, j->path, j->reason, j->err.msg);
    } else {
        fr->held = j->batch;
        fr->held_path = j->path;
        fr->backoff_ms = fr->waited_ms = fr->warned_ms = 0;
    }
    free(j);
}

static void job_done(void *data, int status)
{
    struct job *j = data;
    struct frcv *fr = j->fr;

    fr->busy = NULL;
    if (fr->stopping || status != 0) {
        pcol_batch_release(j->batch);
        free(j);
        return;
    }
    job_finished(fr, j);
    pump(fr);
}

/* Reads the next queued file: here, or on the thread pool when it is big
 * (then fr->busy is set until job_done). */
static void read_next(struct frcv *fr)
{
    const struct seen *s = &fr->seen[fr->queue[fr->next++]];
    struct job *j = pcol_xcalloc(1, sizeof(*j));
    static const enum pcol_format formats[] = {PCOL_FMT_UNKNOWN, PCOL_FMT_PPROF, PCOL_FMT_OTLP,
                                               PCOL_FMT_OTLP_JSON};

    j->fr = fr;
    j->path = s->path;
    j->max = fr->max_file_size > SIZE_MAX ? SIZE_MAX : (size_t)fr->max_file_size;
    j->format = formats[fr->format];
    if (s->size > OFFLOAD_BYTES && pcol_work(fr->inst, job_run, job_done, j) == 0) {
        fr->busy = j;
        return;
    }
    job_run(j);
    job_finished(fr, j);
}

/* ---- submitting -------------------------------------------------------------- */

static void backoff_fired(uv_timer_t *t);

static void wait_for_room(struct frcv *fr, size_t bytes)
{
    fr->backoff_ms = fr->backoff_ms ? fr->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (fr->backoff_ms > BACKOFF_MAX_MS) {
        fr->backoff_ms = BACKOFF_MAX_MS;
    }
    fr->waited_ms += fr->backoff_ms;
    if (fr->waited_ms - fr->warned_ms >= WAIT_WARN_MS) {
        fr->warned_ms = fr->waited_ms;
        pcol_log(fr->inst, PCOL_LOG_WARN,
                 "%s: waiting %llu s for room in the pipelines (%zu "
                 "bytes decoded)",
                 fr->held_path, (unsigned long long)(fr->waited_ms / 1000), bytes);
    }
    uv_timer_start(&fr->timer, backoff_fired, fr->backoff_ms, 0);
}

/* The held batch can never fit a pipeline's budget: refuse the file. */
static void fail_held(struct frcv *fr, size_t bytes)
{
    char why[160];

    snprintf(why, sizeof(why),
             "decodes to %zu bytes, more than a pipeline's memory_limit "
             "(raise it to convert this file)",
             bytes);
    pcol_batch_release(fr->held);
    fr->held = NULL;
    refuse(fr, fr->held_path, "too_large", why);
}

/* Offers the held batch to the pipelines; false when it has to wait. */
static bool submit_held(struct frcv *fr)
{
    struct pcol_batch *b = fr->held;
    size_t profiles, bytes = pcol_batch_bytes(b);
    struct timespec ts;

    if (!pcol_receiver_fits(fr->inst, bytes)) {
        /* Waiting cannot help: the file is bigger than the whole budget. */
        fail_held(fr, bytes);
        return true;
    }
    if (!pcol_receiver_has_room(fr->inst, bytes)) {
        wait_for_room(fr, bytes);
        return false;
    }
    fr->held = NULL;
    clock_gettime(CLOCK_REALTIME, &ts);
    b->received_unix_nano = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    profiles = pcol_batch_profile_count(b);
    if (pcol_submit(fr->inst, b) == PCOL_EBUSY) {
        /* The batch is gone with the refusal; read the file again later. */
        fr->next--;
        wait_for_room(fr, bytes);
        return false;
    }
    pcol_log(fr->inst, PCOL_LOG_DEBUG, "%s: %zu profiles", fr->held_path, profiles);
    fr->read_ok++;
    return true;
}

static void backoff_fired(uv_timer_t *t)
{
    struct frcv *fr = PCOL_CONTAINER_OF(t, struct frcv, timer);

    if (!fr->held || submit_held(fr)) {
        pump(fr);
    }
}

/* ---- the scan loop ----------------------------------------------------------- */

static void scan_fired(uv_timer_t *t);

static void scan_finished(struct frcv *fr)
{
    free(fr->queue);
    fr->queue = NULL;
    fr->n_queue = fr->next = 0;
    if (!fr->once) {
        uint64_t ms = (uint64_t)(fr->poll_interval + 999999) / 1000000;
        uv_timer_start(&fr->timer, scan_fired, ms, 0);
        return;
    }
    if (fr->n_seen == 0) {
        pcol_log(fr->inst, PCOL_LOG_WARN, "no file matches the include patterns");
    } else {
        pcol_log(fr->inst, PCOL_LOG_INFO, "read %zu files, %zu of them bad",
                 fr->read_ok + fr->read_failed, fr->read_failed);
    }
    pcol_receiver_finished(fr->inst, fr->failed);
}

/* Works through the queue until it is empty or a file has to wait (for
 * the thread pool or for room in the pipelines). */
static void pump(struct frcv *fr)
{
    while (!fr->stopping && !fr->busy) {
        if (fr->held && !submit_held(fr)) {
            return;
        }
        if (fr->next == fr->n_queue) {
            scan_finished(fr);
            return;
        }
        read_next(fr);
    }
}

static void scan_fired(uv_timer_t *t)
{
    struct frcv *fr = PCOL_CONTAINER_OF(t, struct frcv, timer);

    scan(fr);
    pump(fr);
}

/* ---- lifecycle --------------------------------------------------------------- */

static int file_init(struct pcol_instance *inst)
{
    struct frcv *fr = pcol_ctx(inst);

    fr->inst = inst;
    return 0;
}

/* The first scan runs from the loop, after every component has started. */
static int file_start(struct pcol_instance *inst)
{
    struct frcv *fr = pcol_ctx(inst);

    uv_timer_init(pcol_loop(inst), &fr->timer);
    fr->timer_open = true;
    uv_timer_start(&fr->timer, scan_fired, 0, 0);
    return 0;
}

static void timer_closed(uv_handle_t *h)
{
    struct frcv *fr = PCOL_CONTAINER_OF((uv_timer_t *)h, struct frcv, timer);

    fr->timer_open = false;
    fr->stop_done(fr->inst);
}

/* A job still on the thread pool finds `stopping` set and drops its batch. */
static void file_stop(struct pcol_instance *inst, pcol_stop_cb done)
{
    struct frcv *fr = pcol_ctx(inst);

    fr->stopping = true;
    pcol_batch_release(fr->held);
    fr->held = NULL;
    if (!fr->timer_open) {
        done(inst);
        return;
    }
    fr->stop_done = done;
    uv_close((uv_handle_t *)&fr->timer, timer_closed);
}

static void file_destroy(struct pcol_instance *inst)
{
    struct frcv *fr = pcol_ctx(inst);

    free(fr->queue);
    free_seen(fr->seen, fr->n_seen);
    fr->queue = NULL;
    fr->seen = NULL;
}

const struct pcol_component_def pcol_receiver_file = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_RECEIVER,
    .name = "file",
    .summary = "Reads pprof, OTLP and OTLP/JSON profile files matched by glob patterns, once "
               "(for CI) or by polling.",
    .options = file_options,
    .ctx_size = sizeof(struct frcv),
    .init = file_init,
    .start = file_start,
    .stop = file_stop,
    .destroy = file_destroy,
};
