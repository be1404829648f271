/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file_exporter.h: what the files of the `file` exporter share. file.c owns
 * the component (options, lifecycle, encode, send); stream.c owns the OTLP
 * output file (appends, rotation, backups, syncing); pprof_dir.c owns the
 * pprof mode (the payload's record framing, file names, publishing files in
 * the directory). Only these files and the exporter's unit test include it.
 *
 * Ownership: the context is the instance's (the core allocates and frees
 * it); its strings belong to the option engine. The open file descriptor
 * and the timer belong to the context from start until stop.
 */
#ifndef PCOL_FILE_EXPORTER_H
#define PCOL_FILE_EXPORTER_H

#include "component.h"
#include "pipeline.h"

#include <time.h>

enum pcol__fileexp_format {
    PCOL__FILEEXP_OTLP_JSON,
    PCOL__FILEEXP_OTLP_PROTO,
    PCOL__FILEEXP_PPROF,
};

enum pcol__fileexp_compression {
    PCOL__FILEEXP_NONE,
    PCOL__FILEEXP_ZSTD,
};

struct pcol__fileexp {
    /* options */
    const char *path;
    int format;      /* enum pcol__fileexp_format */
    int compression; /* enum pcol__fileexp_compression */
    bool append;
    bool create_directory;
    int64_t flush_interval; /* ns */
    struct {
        uint64_t max_megabytes; /* 0: no rotation */
        uint64_t max_backups;   /* 0: keep every backup */
    } rotation;
    struct pcol_export_settings helper;

    /* state (otlp formats: the stream) */
    struct pcol_instance *inst;
    int fd;         /* -1 while no file is open */
    uint64_t size;  /* bytes in the open file */
    bool regular;   /* the open file is a regular file (not a pipe or device) */
    bool dirty;     /* written since the last sync */
    uint32_t syncs; /* sync jobs on the thread pool */
    bool sync_failed_logged;
    bool timer_open;
    uv_timer_t flush_timer;
    pcol_stop_cb stop_done;
};

/* ---- stream.c: the OTLP output file ------------------------------------------ */

/* Opens `path` for appending, emptied first when `truncate`. Returns 0 or
 * PCOL_EIO with the reason in `err`. */
int pcol__fileexp_stream_open(struct pcol__fileexp *fx, bool truncate, struct pcol_err *err);
/* Appends one payload, rotating first when it would pass max_megabytes. A
 * failed write is undone (the file is cut back) so a retry never leaves a
 * torn record. Returns 0 or PCOL_EIO with the reason in `err`. */
int pcol__fileexp_stream_write(struct pcol__fileexp *fx, const uint8_t *p, size_t n,
                               struct pcol_err *err);
/* Starts a background fdatasync of what was written since the last one. */
void pcol__fileexp_stream_sync(struct pcol__fileexp *fx);
/* Syncs (on the calling thread) and closes the file. */
void pcol__fileexp_stream_close(struct pcol__fileexp *fx);

/* `path` with a UTC timestamp (`-2026-11-21T05-10-00.123`) before its last
 * extension, written into `out` (`cap` bytes). Returns false if it does not
 * fit. */
bool pcol__fileexp_backup_name(const char *path, const struct timespec *ts, char *out, size_t cap);
/* Whether directory entry `name` is a backup of the file whose base name is
 * `base` (as pcol__fileexp_backup_name makes them). */
bool pcol__fileexp_is_backup(const char *base, const char *name);

/* write(2) until all of `p` is written; 0 or -errno. */
int pcol__fileexp_write_all(int fd, const uint8_t *p, size_t n);

/* Creates `dir` and its missing parents (mode 0755). Returns 0 or PCOL_EIO. */
int pcol__fileexp_mkdirs(const char *dir, struct pcol_err *err);

/* ---- pprof_dir.c: one pprof file per profile group --------------------------- */

/* Encodes the batch (borrowed) as gzip pprof records into `out`:
 *   record = u16 big-endian name length, the name (a safe base name without
 *            extension), u32 big-endian data length, the gzip pprof bytes.
 * Names are `<service.name>.<sample type>.<UTC time>`. */
int pcol__fileexp_encode_pprof(const struct pcol_batch *b, struct pcol_buf *out);
/* Writes every record of `payload` into `dir`: each goes to a hidden
 * temporary file first and is renamed into place only once all of them are
 * written, so no reader ever sees a partial pprof. Existing files are never
 * replaced: a counter is added to the name instead (`x.2.pb.gz`). Returns 0
 * or PCOL_EIO/PCOL_EINVAL with the reason in `err`. */
int pcol__fileexp_write_pprofs(const char *dir, const uint8_t *payload, size_t n,
                               struct pcol_err *err);

/* Writes the sanitised form of `s` (`len` bytes) into `out` (`cap` bytes,
 * at least 2): only [A-Za-z0-9._-], no leading, trailing or doubled dot,
 * `fallback` when nothing is left. */
void pcol__fileexp_sanitize(const char *s, size_t len, const char *fallback, char *out, size_t cap);
/* Whether `name` is safe to join to a directory: non-empty, only
 * [A-Za-z0-9._-], not starting with a dot, no "..". */
bool pcol__fileexp_name_is_safe(const char *name);

#endif
