/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream.c: the `file` exporter's OTLP output file: appends, size-based
 * rotation with timestamped backups, and syncing to disk.
 *
 * Each export is written with plain write(2) calls on the loop thread, so
 * its result is known at once and reported to that export (no acknowledged
 * bytes wait in a user-space buffer). The writes land in the page cache and
 * take microseconds; what can take long, fdatasync(2), runs on the thread
 * pool every flush_interval on a dup() of the descriptor, and on the old
 * descriptor after a rotation, so the loop never waits for the disk except
 * for the last sync at stop.
 *
 * Ownership: everything here works on the exporter's context (file.c); a
 * sync job owns the descriptor it is given and closes it.
 */
#include "file_exporter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEGABYTE (1024u * 1024u)
#define PATH_CAP 4096
#define STAMP_PATTERN "dddd-dd-ddTdd-dd-dd.ddd" /* d: a digit */
#define STAMP_LEN (sizeof(STAMP_PATTERN) - 1)

int pcol__fileexp_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int pcol__fileexp_mkdirs(const char *dir, struct pcol_err *err)
{
    char *copy = pcol_xstrdup(dir);
    struct stat st;
    char *s;
    int rc = 0;

    for (s = copy + 1; *dir && rc == 0; s++) {
        char c = *s;
        if (c != '/' && c != '\0') {
            continue;
        }
        *s = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            rc = pcol_err_set(err, PCOL_EIO, "cannot create directory %s: %s", copy,
                              strerror(errno));
        }
        *s = c;
        if (c == '\0') {
            break;
        }
    }
    if (rc == 0 && *dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        rc = pcol_err_set(err, PCOL_EIO, "%s exists and is not a directory", dir);
    }
    free(copy);
    return rc;
}

/* ---- backup names ------------------------------------------------------------ */

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* The directory part of `path` (heap copy). */
static char *dir_of(const char *path)
{
    const char *base = base_of(path);
    char *dir;

    if (base == path) {
        return pcol_xstrdup(".");
    }
    dir = pcol_xstrdup(path);
    dir[base - 1 == path ? 1 : base - 1 - path] = '\0';
    return dir;
}

/* The extension is the last dot of the base name, unless that dot starts it. */
static const char *ext_of(const char *base)
{
    const char *dot = strrchr(base, '.');

    return dot && dot != base ? dot : base + strlen(base);
}

bool pcol__fileexp_backup_name(const char *path, const struct timespec *ts, char *out, size_t cap)
{
    const char *ext = ext_of(base_of(path));
    time_t secs = ts->tv_sec;
    char stamp[32];
    struct tm tm;
    int n;

    if (!gmtime_r(&secs, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H-%M-%S", &tm)) {
        return false;
    }
    n = snprintf(out, cap, "%.*s-%s.%03ld%s", (int)(ext - path), path, stamp,
                 (long)(ts->tv_nsec / 1000000), ext);
    return n > 0 && (size_t)n < cap;
}

bool pcol__fileexp_is_backup(const char *base, const char *name)
{
    const char *ext = ext_of(base);
    size_t stem = (size_t)(ext - base), n_ext = strlen(ext), n = strlen(name), i;

    if (n != stem + 1 + STAMP_LEN + n_ext || memcmp(name, base, stem) != 0 || name[stem] != '-' ||
        strcmp(name + n - n_ext, ext) != 0) {
        return false;
    }
    for (i = 0; i < STAMP_LEN; i++) {
        char c = name[stem + 1 + i];
        if (STAMP_PATTERN[i] == 'd' ? c < '0' || c > '9' : c != STAMP_PATTERN[i]) {
            return false;
        }
    }
    return true;
}

/* ---- syncing ----------------------------------------------------------------- */

/* fdatasync(2)'s errno, 0 also for files that cannot be synced (a pipe or
 * a terminal, e.g. path: /dev/stdout). */
static int sync_error(int fd)
{
    return fdatasync(fd) == 0 || errno == EINVAL ? 0 : errno;
}

struct sync_job {
    struct pcol__fileexp *fx;
    int fd;    /* owned: closed by the job */
    int error; /* errno of fdatasync or close */
};

static void sync_work(void *data)
{
    struct sync_job *j = data;

    j->error = sync_error(j->fd);
    if (close(j->fd) != 0 && j->error == 0) {
        j->error = errno;
    }
    j->fd = -1;
}

static void sync_done(void *data, int status)
{
    struct sync_job *j = data;
    struct pcol__fileexp *fx = j->fx;

    if (status != 0 && j->fd >= 0) {
        close(j->fd); /* cancelled before it ran */
    }
    fx->syncs--;
    /* Logged once: the next writes will most likely fail and say more. */
    if (j->error && !fx->sync_failed_logged) {
        pcol_log(fx->inst, PCOL_LOG_ERROR, "cannot sync %s to disk: %s", fx->path,
                 strerror(j->error));
        fx->sync_failed_logged = true;
    }
    free(j);
}

/* Syncs and closes `fd` (taken) on the thread pool, or here if it cannot. */
static void sync_and_close(struct pcol__fileexp *fx, int fd)
{
    struct sync_job *j = pcol_xcalloc(1, sizeof(*j));

    j->fx = fx;
    j->fd = fd;
    fx->syncs++;
    if (pcol_work(fx->inst, sync_work, sync_done, j) != 0) {
        sync_work(j);
        sync_done(j, 0);
    }
}

void pcol__fileexp_stream_sync(struct pcol__fileexp *fx)
{
    int fd;

    if (fx->fd < 0 || !fx->dirty || fx->syncs) {
        return;
    }
    fd = dup(fx->fd);
    if (fd < 0) {
        return; /* out of descriptors: the next tick tries again */
    }
    fx->dirty = false;
    sync_and_close(fx, fd);
}

void pcol__fileexp_stream_close(struct pcol__fileexp *fx)
{
    int error;

    if (fx->fd < 0) {
        return;
    }
    error = fx->dirty ? sync_error(fx->fd) : 0;
    if (error) {
        pcol_log(fx->inst, PCOL_LOG_ERROR, "cannot sync %s to disk: %s", fx->path, strerror(error));
    }
    if (close(fx->fd) != 0) {
        pcol_log(fx->inst, PCOL_LOG_ERROR, "cannot close %s: %s", fx->path, strerror(errno));
    }
    fx->fd = -1;
    fx->dirty = false;
}

int pcol__fileexp_stream_open(struct pcol__fileexp *fx, bool truncate, struct pcol_err *err)
{
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
    struct stat st;

    fx->fd = open(fx->path, flags, 0644);
    if (fx->fd < 0) {
        return pcol_err_set(err, PCOL_EIO, "cannot open %s: %s", fx->path, strerror(errno));
    }
    fx->regular = fstat(fx->fd, &st) == 0 && S_ISREG(st.st_mode);
    fx->size = fx->regular ? (uint64_t)st.st_size : 0;
    fx->dirty = false;
    return 0;
}

/* ---- rotation ---------------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Deletes the oldest backups beyond max_backups; the timestamp in their
 * names sorts them by age. */
static void remove_old_backups(struct pcol__fileexp *fx)
{
    const char *base = base_of(fx->path);
    char *dir = dir_of(fx->path), **names = NULL, path[PATH_CAP];
    size_t n = 0, cap = 0, i;
    struct dirent *e;
    DIR *d;

    if (!(d = opendir(dir))) {
        pcol_log(fx->inst, PCOL_LOG_WARN, "cannot list %s for old backups: %s", dir,
                 strerror(errno));
        free(dir);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (pcol__fileexp_is_backup(base, e->d_name)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                names = pcol_xrealloc(names, cap * sizeof(*names));
            }
            names[n++] = pcol_xstrdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(*names), compare_names);
    for (i = 0; i < n; i++) {
        if (i + fx->rotation.max_backups < n) {
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
            if (unlink(path) != 0 && errno != ENOENT) {
                pcol_log(fx->inst, PCOL_LOG_WARN, "cannot delete old backup %s: %s", path,
                         strerror(errno));
            }
        }
        free(names[i]);
    }
    free(names);
    free(dir);
}

/* Renames the open file to its backup name and hands its descriptor to a
 * background sync; the next write opens a fresh file. A failed rename is
 * logged and writing goes on in the current file: nothing is lost. */
static void rotate(struct pcol__fileexp *fx)
{
    char backup[PATH_CAP];
    struct timespec ts;
    struct stat st;
    int i;

    clock_gettime(CLOCK_REALTIME, &ts);
    /* Rotations within one millisecond move on by a millisecond each, so
     * names stay unique and still sort by age. */
    for (i = 0;; i++) {
        if (i == 1000 || !pcol__fileexp_backup_name(fx->path, &ts, backup, sizeof(backup))) {
            pcol_log(fx->inst, PCOL_LOG_ERROR, "cannot find a backup name for %s; not rotating",
                     fx->path);
            return;
        }
        if (lstat(backup, &st) != 0) {
            break;
        }
        ts.tv_nsec += 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
    }
    if (rename(fx->path, backup) != 0) {
        pcol_log(fx->inst, PCOL_LOG_ERROR, "cannot rotate %s to %s: %s; still writing to it",
                 fx->path, backup, strerror(errno));
        return;
    }
    sync_and_close(fx, fx->fd);
    fx->fd = -1;
    fx->dirty = false;
    if (fx->rotation.max_backups) {
        remove_old_backups(fx);
    }
}

int pcol__fileexp_stream_write(struct pcol__fileexp *fx, const uint8_t *p, size_t n,
                               struct pcol_err *err)
{
    uint64_t limit = fx->rotation.max_megabytes * MEGABYTE;
    int rc;

    /* Only regular files rotate: renaming /dev/stdout would be a surprise. */
    if (fx->fd >= 0 && fx->regular && limit && fx->size > 0 && fx->size + n > limit) {
        rotate(fx);
    }
    if (fx->fd < 0 && (rc = pcol__fileexp_stream_open(fx, false, err)) != 0) {
        return rc;
    }
    rc = pcol__fileexp_write_all(fx->fd, p, n);
    if (rc != 0) {
        struct stat st;
        bool torn = fstat(fx->fd, &st) != 0 || (uint64_t)st.st_size != fx->size;
        if (torn && ftruncate(fx->fd, (off_t)fx->size) != 0) {
            return pcol_err_set(err, PCOL_EIO,
                                "cannot write %s: %s (and cannot cut off the "
                                "partial record: %s)",
                                fx->path, strerror(-rc), strerror(errno));
        }
        return pcol_err_set(err, PCOL_EIO, "cannot write %s: %s", fx->path, strerror(-rc));
    }
    fx->size += n;
    fx->dirty = true;
    return 0;
}
