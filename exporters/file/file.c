/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.c: the `file` exporter (the collector's file exporter, for
 * profiles): its options, lifecycle, encode() and send(). The OTLP output
 * file lives in stream.c, the pprof directory mode in pprof_dir.c.
 *
 * What a file holds, by `format` and `compression` (as the collector):
 *   otlp_json, none   one ExportProfilesServiceRequest per line of OTLP/JSON
 *   otlp_json, zstd   records: u32 big-endian length + zstd frame of the JSON
 *   otlp_proto        records: u32 big-endian length + protobuf (zstd frame
 *                     with compression: zstd)
 *   pprof             `path` is a directory; one gzip pprof file per profile
 *                     group, `<service.name>.<sample type>.<UTC time>.pb.gz`
 *
 * Ownership: the core owns the instance and this context; file.c opens
 * the output at start and closes it, and the flush timer, at stop.
 */
#include "file_exporter.h"

#include "codec_otlp.h"
#include "compress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const format_names[] = {"otlp_json", "otlp_proto", "pprof", NULL};
static const char *const compression_names[] = {"none", "zstd", NULL};

#define ROTATION(field)                                                                            \
    offsetof(struct pcol__fileexp, rotation.field) - offsetof(struct pcol__fileexp, rotation)

static const struct pcol_option rotation_options[] = {
    {"max_megabytes", PCOL_OPT_UINT, ROTATION(max_megabytes), "0", "0", "1048576", NULL, 0, NULL, 0,
     "Rotate before the file grows past this many MiB; 0 turns rotation off, so the block "
     "needs it (the collector's default is 100)."},
    {"max_backups", PCOL_OPT_UINT, ROTATION(max_backups), "100", "0", NULL, NULL, 0, NULL, 0,
     "Rotated files to keep; older ones are deleted (0: keep all)."},
    {0},
};

static const struct pcol_option file_options[] = {
    {"path", PCOL_OPT_STRING, offsetof(struct pcol__fileexp, path), NULL, "1", NULL, NULL,
     PCOL_OPT_REQUIRED, NULL, 0,
     "The file to write (otlp formats), or the directory to write into (pprof)."},
    {"format", PCOL_OPT_ENUM, offsetof(struct pcol__fileexp, format), "otlp_json", NULL, NULL,
     format_names, 0, NULL, 0,
     "otlp_json: one request per line; otlp_proto: length-prefixed protobuf records; pprof: "
     "one .pb.gz file per profile in the directory `path`."},
    {"compression", PCOL_OPT_ENUM, offsetof(struct pcol__fileexp, compression), "none", NULL, NULL,
     compression_names, 0, NULL, 0,
     "zstd compresses each record (length-prefixed, as the collector); otlp formats only."},
    {"append", PCOL_OPT_BOOL, offsetof(struct pcol__fileexp, append), "false", NULL, NULL, NULL, 0,
     NULL, 0,
     "Append to an existing file instead of emptying it when profcol starts (a config reload "
     "never empties it; otlp formats)."},
    {"create_directory", PCOL_OPT_BOOL, offsetof(struct pcol__fileexp, create_directory), "false",
     NULL, NULL, NULL, 0, NULL, 0, "Create the missing directories of `path` at start."},
    {"flush_interval", PCOL_OPT_DURATION, offsetof(struct pcol__fileexp, flush_interval), "1s",
     "1ms", NULL, NULL, 0, NULL, 0,
     "How often written data is synced to disk (fdatasync, off the loop thread; otlp formats)."},
    {"rotation", PCOL_OPT_SECTION, offsetof(struct pcol__fileexp, rotation), NULL, NULL, NULL, NULL,
     0, rotation_options, 0,
     "Size-based rotation: the full file is renamed with a UTC timestamp before its "
     "extension. Off unless max_megabytes is set."},
    PCOL_EXPORT_OPTIONS(struct pcol__fileexp, helper),
    {0},
};

/* ---- validate, init, start, stop --------------------------------------------- */

static void file_validate(const void *ctx, const struct pcol_cfg_node *node, struct pcol_diag *diag)
{
    const struct pcol__fileexp *fx = ctx;
    const struct pcol_cfg_node *rot = pcol_cfg_get(node, "rotation");
    bool rot_given = rot && rot->kind == PCOL_NODE_MAPPING;

    if (rot_given && !pcol_cfg_get(rot, "max_megabytes")) {
        pcol_diag_add(diag, rot,
                      "rotation needs max_megabytes to turn it on (the collector's "
                      "default is 100)");
    }
    if (fx->format != PCOL__FILEEXP_PPROF) {
        return;
    }
    if (fx->compression != PCOL__FILEEXP_NONE) {
        pcol_diag_add(diag, pcol_cfg_get(node, "compression"),
                      "compression applies to the otlp formats; pprof files are always gzip");
    }
    if (rot_given) {
        pcol_diag_add(diag, rot,
                      "rotation applies to the otlp formats; pprof writes one file "
                      "per profile");
    }
}

static int file_init(struct pcol_instance *inst)
{
    struct pcol__fileexp *fx = pcol_ctx(inst);

    fx->inst = inst;
    fx->fd = -1;
    return 0;
}

static int prepare_dir(const struct pcol__fileexp *fx, struct pcol_err *err)
{
    struct stat st;

    if (fx->create_directory) {
        return pcol__fileexp_mkdirs(fx->path, err);
    }
    if (stat(fx->path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return pcol_err_set(err, PCOL_EIO,
                            "%s is not a directory (create_directory: true "
                            "creates it)",
                            fx->path);
    }
    if (access(fx->path, W_OK | X_OK) != 0) {
        return pcol_err_set(err, PCOL_EIO, "cannot write into %s", fx->path);
    }
    return 0;
}

static int prepare_parent(const struct pcol__fileexp *fx, struct pcol_err *err)
{
    const char *slash = strrchr(fx->path, '/');
    char *parent;
    int rc;

    if (!fx->create_directory || !slash || slash == fx->path) {
        return 0;
    }
    parent = pcol_xstrdup(fx->path);
    parent[slash - fx->path] = '\0';
    rc = pcol__fileexp_mkdirs(parent, err);
    free(parent);
    return rc;
}

/* Whether this process opens `path` for the first time. `append: false`
 * empties the file when profcol starts, not again when a SIGHUP reload
 * restarts the exporter: that would throw away what the run wrote so far.
 * Loop thread only; the list lives as long as the process. */
static bool first_open(const char *path)
{
    static char **paths;
    static size_t n;
    size_t i;

    for (i = 0; i < n; i++) {
        if (!strcmp(paths[i], path)) {
            return false;
        }
    }
    paths = pcol_xrealloc(paths, (n + 1) * sizeof(*paths));
    paths[n++] = pcol_xstrdup(path);
    return true;
}

static void flush_tick(uv_timer_t *t)
{
    pcol__fileexp_stream_sync(PCOL_CONTAINER_OF(t, struct pcol__fileexp, flush_timer));
}

static int file_start(struct pcol_instance *inst)
{
    struct pcol__fileexp *fx = pcol_ctx(inst);
    struct pcol_err err = {{0}};
    uint64_t ms = (uint64_t)(fx->flush_interval + 999999) / 1000000;
    int rc;

    if (fx->format == PCOL__FILEEXP_PPROF) {
        rc = prepare_dir(fx, &err);
    } else if ((rc = prepare_parent(fx, &err)) == 0) {
        rc = pcol__fileexp_stream_open(fx, first_open(fx->path) && !fx->append, &err);
    }
    if (rc != 0) {
        pcol_log(inst, PCOL_LOG_ERROR, "%s", err.msg);
        return rc;
    }
    if (fx->format != PCOL__FILEEXP_PPROF) {
        uv_timer_init(pcol_loop(inst), &fx->flush_timer);
        fx->timer_open = true;
        uv_timer_start(&fx->flush_timer, flush_tick, ms, ms);
    }
    return 0;
}

static void flush_timer_closed(uv_handle_t *h)
{
    struct pcol__fileexp *fx =
        PCOL_CONTAINER_OF((uv_timer_t *)h, struct pcol__fileexp, flush_timer);

    fx->timer_open = false;
    fx->stop_done(fx->inst);
}

/* The exporter helper has drained by now: nothing more will be sent. */
static void file_stop(struct pcol_instance *inst, pcol_stop_cb done)
{
    struct pcol__fileexp *fx = pcol_ctx(inst);

    pcol__fileexp_stream_close(fx);
    if (!fx->timer_open) {
        done(inst);
        return;
    }
    fx->stop_done = done;
    uv_close((uv_handle_t *)&fx->flush_timer, flush_timer_closed);
}

static void file_destroy(struct pcol_instance *inst)
{
    struct pcol__fileexp *fx = pcol_ctx(inst);

    if (fx->fd >= 0) {
        close(fx->fd);
        fx->fd = -1;
    }
}

/* ---- encode and send --------------------------------------------------------- */

static void encode_otlp(const struct pcol__fileexp *fx, const struct pcol_batch *b,
                        struct pcol_buf *out)
{
    if (fx->format == PCOL__FILEEXP_OTLP_JSON) {
        pcol_otlp_json_encode(b, out);
    } else {
        pcol_otlp_encode(b, out);
    }
}

/* A record: 4-byte big-endian length, then the (maybe compressed) message. */
static int encode_record(const struct pcol__fileexp *fx, const struct pcol_batch *b,
                         struct pcol_buf *out)
{
    size_t start = out->len, len;
    struct pcol_buf raw = {0};
    uint8_t *p;

    pcol_buf_append(out, "\0\0\0\0", 4);
    if (fx->compression == PCOL__FILEEXP_ZSTD) {
        encode_otlp(fx, b, &raw);
        pcol_compress(PCOL_ENC_ZSTD, 0, raw.p, raw.len, out);
        pcol_buf_free(&raw);
    } else {
        encode_otlp(fx, b, out);
    }
    len = out->len - start - 4;
    if (len > UINT32_MAX) {
        out->len = start;
        return PCOL_ERANGE;
    }
    p = out->p + start;
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    return 0;
}

/* Pure: may run on a worker thread; reads only the options and `b`. */
static int file_encode(struct pcol_instance *inst, const struct pcol_batch *b, struct pcol_buf *out)
{
    const struct pcol__fileexp *fx = pcol_ctx(inst);

    if (fx->format == PCOL__FILEEXP_PPROF) {
        return pcol__fileexp_encode_pprof(b, out);
    }
    if (fx->format == PCOL__FILEEXP_OTLP_JSON && fx->compression == PCOL__FILEEXP_NONE) {
        pcol_otlp_json_encode(b, out);
        pcol_buf_putc(out, '\n');
        return 0;
    }
    return encode_record(fx, b, out);
}

/* Writes synchronously on the loop thread (see stream.c for why that is
 * short); a bad payload can never succeed, an I/O error may later. */
static int file_send(struct pcol_instance *inst, struct pcol_export *exp)
{
    struct pcol__fileexp *fx = pcol_ctx(inst);
    const struct pcol_buf *payload = pcol_export_payload(exp);
    struct pcol_err err = {{0}};
    int rc;

    if (fx->format == PCOL__FILEEXP_PPROF) {
        rc = pcol__fileexp_write_pprofs(fx->path, payload->p, payload->len, &err);
    } else {
        rc = pcol__fileexp_stream_write(fx, payload->p, payload->len, &err);
    }
    if (rc == 0) {
        pcol_export_done(exp, PCOL_EXPORT_OK, 0, NULL);
    } else {
        pcol_export_done(exp, rc == PCOL_EINVAL ? PCOL_EXPORT_PERMANENT : PCOL_EXPORT_RETRYABLE, 0,
                         err.msg);
    }
    return 0;
}

const struct pcol_component_def pcol_exporter_file = {
    .abi_version = PCOL_ABI_VERSION,
    .kind = PCOL_EXPORTER,
    .name = "file",
    .summary = "Writes profiles to a file as OTLP/JSON lines or OTLP protobuf records, or to a "
               "directory as pprof files.",
    .options = file_options,
    .ctx_size = sizeof(struct pcol__fileexp),
    .validate = file_validate,
    .init = file_init,
    .start = file_start,
    .stop = file_stop,
    .destroy = file_destroy,
    .encode = file_encode,
    .send = file_send,
    .settings_offset = offsetof(struct pcol__fileexp, helper),
};
