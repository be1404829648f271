/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_convert.c: `profcol convert IN OUT`: one profile from any of pprof,
 * OTLP protobuf and OTLP/JSON to any other. Exit status 0 ok, 1 output I/O
 * error, 2 bad input or usage; errors are one line on stderr,
 * "profcol: convert: FILE: REASON". Outputs are written to a temp file and
 * renamed, so a failure never leaves a half-written file.
 */
#include "cli.h"

#include "codec_otlp.h"
#include "codec_pprof.h"
#include "compress.h"
#include "convert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- convert: arguments -------------------------------------------------- */

struct convert_args {
    const char *in;
    const char *out;
    enum pcol_format from; /* UNKNOWN: detect */
    enum pcol_format to;
    bool no_compress;
    bool keep_original; /* pprof in: keep its bytes as original_payload */
    bool use_original;  /* pprof out: return a kept original_payload verbatim */
    size_t max_size;
};

/* Parses the value of --from or --to into `*f`; -1 after a usage error. */
static int format_opt(const struct pcol_command *c, const char *opt, const char *v,
                      enum pcol_format *f)
{
    int parsed = v ? pcol_format_parse(v) : -1;

    if (!v) {
        pcol_cli_usage_error(c, "%s needs a value", opt);
        return -1;
    }
    if (parsed < 0) {
        pcol_cli_usage_error(c, "%s: unknown format '%s' (pprof, otlp, otlp-json)", opt, v);
        return -1;
    }
    *f = (enum pcol_format)parsed;
    return 0;
}

/* Returns -1 after printing a usage error, 1 after printing help, else 0. */
static int parse_convert_args(const struct pcol_command *c, int argc, char **argv,
                              struct convert_args *a)
{
    const char *operands[2];
    int i, n_operands = 0;
    bool options_done = false;
    const char *v;

    memset(a, 0, sizeof(*a));
    a->max_size = PCOL_PPROF_DEFAULT_MAX_SIZE;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (options_done || arg[0] != '-' || !strcmp(arg, "-")) {
            if (n_operands == 2) {
                pcol_cli_usage_error(c, "unexpected argument '%s'", arg);
                return -1;
            }
            operands[n_operands++] = arg;
        } else if (!strcmp(arg, "--")) {
            options_done = true;
        } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            printf("usage: %s", c->usage);
            return 1;
        } else if (!strcmp(arg, "--no-compress")) {
            a->no_compress = true;
        } else if (!strcmp(arg, "--keep-original")) {
            a->keep_original = true;
        } else if (!strcmp(arg, "--use-original")) {
            a->use_original = true;
        } else if (pcol_cli_take_opt(argc, argv, &i, "--from", &v)) {
            if (format_opt(c, "--from", v, &a->from) < 0) {
                return -1;
            }
        } else if (pcol_cli_take_opt(argc, argv, &i, "--to", &v)) {
            if (format_opt(c, "--to", v, &a->to) < 0) {
                return -1;
            }
        } else if (pcol_cli_take_opt(argc, argv, &i, "--max-size", &v)) {
            if (!v || pcol_cli_parse_size(v, &a->max_size) < 0) {
                pcol_cli_usage_error(c, "--max-size: bad size '%s' (e.g. 1048576, 64MiB)",
                                     v ? v : "");
                return -1;
            }
        } else {
            pcol_cli_usage_error(c, "unknown option '%s'", arg);
            return -1;
        }
    }
    if (n_operands < 2) {
        pcol_cli_usage_error(c, "needs an input and an output file");
        return -1;
    }
    a->in = operands[0];
    a->out = operands[1];
    if (a->to == PCOL_FMT_UNKNOWN) {
        if (!strcmp(a->out, "-")) {
            pcol_cli_usage_error(c, "writing to stdout needs --to");
            return -1;
        }
        a->to = pcol_format_from_filename(a->out);
        if (a->to == PCOL_FMT_UNKNOWN) {
            pcol_cli_usage_error(c, "cannot tell the output format from '%s'; use --to", a->out);
            return -1;
        }
    }
    return 0;
}

/* ---- convert: files ------------------------------------------------------ */

static const char *input_name(const char *path)
{
    return strcmp(path, "-") ? path : "<stdin>";
}

static int read_input(const char *path, struct pcol_buf *out, struct pcol_err *err)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t n;

    if (!f) {
        return pcol_err_set(err, errno == ENOENT ? PCOL_ENOENT : PCOL_EIO, "cannot open: %s",
                            strerror(errno));
    }
    do {
        pcol_buf_reserve(out, 64 * 1024);
        n = fread(out->p + out->len, 1, out->cap - out->len, f);
        out->len += n;
    } while (n > 0);
    if (ferror(f)) {
        int e = errno;

        if (f != stdin) {
            fclose(f);
        }
        return pcol_err_set(err, PCOL_EIO, "cannot read: %s", strerror(e));
    }
    if (f != stdin) {
        fclose(f);
    }
    return 0;
}

/* Where the extension of a file name starts: ".pb.gz" counts as one
 * extension, so "out.pb.gz" numbers as "out.2.pb.gz". */
static size_t extension_offset(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot, *prev;

    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    if (!dot || dot == base) {
        return strlen(path);
    }
    if (!strcmp(dot, ".gz") || !strcmp(dot, ".zst")) {
        for (prev = dot; prev > base && prev[-1] != '.'; prev--) {
        }
        if (prev > base + 1) {
            dot = prev - 1;
        }
    }
    return (size_t)(dot - path);
}

/* "out.pb.gz", 3 -> "out.3.pb.gz" (heap string, caller frees). */
static char *numbered_name(const char *path, size_t k)
{
    size_t ext = extension_offset(path);
    size_t len = strlen(path) + 24;
    char *s = pcol_xmalloc(len);

    snprintf(s, len, "%.*s.%zu%s", (int)ext, path, k, path + ext);
    return s;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes `data` to a new temporary file beside `path`; returns its name
 * (heap, caller frees) or NULL with `err` set and nothing left behind. */
static char *write_temp(const char *path, const struct pcol_buf *data, struct pcol_err *err)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    size_t len = strlen(path) + 16;
    char *tmp = pcol_xmalloc(len);
    mode_t mask;
    int fd, e;

    snprintf(tmp, len, "%.*s.%s.XXXXXX", (int)dir_len, path, path + dir_len);
    fd = mkstemp(tmp);
    if (fd < 0) {
        pcol_err_set(err, PCOL_EIO, "cannot create a temporary file in its directory: %s",
                     strerror(errno));
        free(tmp);
        return NULL;
    }
    /* mkstemp makes 0600; the result should look like any file we create. */
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) < 0 || write_all(fd, data->p, data->len) < 0) {
        e = errno;
        close(fd);
        goto fail;
    }
    if (close(fd) < 0) {
        e = errno;
        goto fail;
    }
    return tmp;

fail:
    pcol_err_set(err, PCOL_EIO, "cannot write: %s", strerror(e));
    unlink(tmp);
    free(tmp);
    return NULL;
}

/* Writes every file to a temporary name first and renames only when all are
 * complete, so a failure leaves no partial output. On error `*failed` is the
 * file that failed. */
static int write_files(char **names, const struct pcol_buf *data, size_t n, size_t *failed,
                       struct pcol_err *err)
{
    char **tmps = pcol_xcalloc(n, sizeof(*tmps));
    size_t i, renamed = 0;
    int rc = 0;

    for (i = 0; i < n; i++) {
        tmps[i] = write_temp(names[i], &data[i], err);
        if (!tmps[i]) {
            *failed = i;
            rc = PCOL_EIO;
            goto done;
        }
    }
    for (renamed = 0; renamed < n; renamed++) {
        if (rename(tmps[renamed], names[renamed]) < 0) {
            *failed = renamed;
            rc = pcol_err_set(err, PCOL_EIO, "cannot rename into place: %s", strerror(errno));
            goto done;
        }
    }

done:
    for (i = 0; i < n; i++) {
        if (tmps[i] && i >= renamed) {
            unlink(tmps[i]);
        }
        free(tmps[i]);
    }
    free(tmps);
    return rc;
}

static int write_stdout(const struct pcol_buf *data, struct pcol_err *err)
{
    if (fwrite(data->p, 1, data->len, stdout) != data->len || fflush(stdout) != 0) {
        return pcol_err_set(err, PCOL_EIO, "cannot write: %s", strerror(errno));
    }
    return 0;
}

/* ---- convert: encoding --------------------------------------------------- */

/* The encoded outputs: one, or several when OTLP -> pprof splits. */
struct outputs {
    struct pcol_buf *bufs;
    size_t n;
    size_t cap;
    uint64_t dropped_attributes;
    uint64_t dropped_timestamps;
};

static struct pcol_buf *outputs_add(struct outputs *o)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 4;
        o->bufs = pcol_xrealloc(o->bufs, o->cap * sizeof(*o->bufs));
    }
    memset(&o->bufs[o->n], 0, sizeof(o->bufs[o->n]));
    return &o->bufs[o->n++];
}

static void outputs_free(struct outputs *o)
{
    size_t i;

    for (i = 0; i < o->n; i++) {
        pcol_buf_free(&o->bufs[i]);
    }
    free(o->bufs);
}

static int collect_pprof(void *ctx, const struct pcol_pprof_meta *meta, const uint8_t *data,
                         size_t len)
{
    struct outputs *o = ctx;

    pcol_buf_append(outputs_add(o), data, len);
    o->dropped_attributes += meta->dropped_attributes;
    o->dropped_timestamps += meta->dropped_timestamps;
    return 0;
}

static enum pcol_encoding otlp_output_encoding(const struct convert_args *a)
{
    size_t len = strlen(a->out);

    if (a->no_compress) {
        return PCOL_ENC_IDENTITY;
    }
    if (len > 3 && !strcmp(a->out + len - 3, ".gz")) {
        return PCOL_ENC_GZIP;
    }
    if (len > 4 && !strcmp(a->out + len - 4, ".zst")) {
        return PCOL_ENC_ZSTD;
    }
    return PCOL_ENC_IDENTITY;
}

static int encode(const struct pcol_batch *b, const struct convert_args *a, struct outputs *o,
                  struct pcol_err *err)
{
    struct pcol_pprof_encode_opts popts = {.gzip = !a->no_compress,
                                           .use_original = a->use_original};
    struct pcol_buf plain = {0};
    enum pcol_encoding enc;

    if (a->to == PCOL_FMT_PPROF) {
        int rc = pcol_pprof_encode(b, &popts, collect_pprof, o, err);

        if (rc == 0 && o->n == 0) {
            rc = pcol_err_set(err, PCOL_EINVAL, "holds no profiles to write as pprof");
        }
        return rc;
    }
    if (a->to == PCOL_FMT_OTLP) {
        pcol_otlp_encode(b, &plain);
    } else {
        pcol_otlp_json_encode(b, &plain);
        pcol_buf_putc(&plain, '\n');
    }
    enc = otlp_output_encoding(a);
    if (enc == PCOL_ENC_IDENTITY) {
        *outputs_add(o) = plain;
        return 0;
    }
    pcol_compress(enc, 0, plain.p, plain.len, outputs_add(o));
    pcol_buf_free(&plain);
    return 0;
}

static void warn_dropped(const struct outputs *o)
{
    if (!o->dropped_attributes && !o->dropped_timestamps) {
        return;
    }
    fprintf(stderr, "profcol: convert: warning: pprof cannot carry");
    if (o->dropped_attributes) {
        fprintf(stderr, " %llu sample attributes", (unsigned long long)o->dropped_attributes);
    }
    if (o->dropped_attributes && o->dropped_timestamps) {
        fprintf(stderr, " and");
    }
    if (o->dropped_timestamps) {
        fprintf(stderr, " %llu per-sample timestamps", (unsigned long long)o->dropped_timestamps);
    }
    fprintf(stderr, "; they were dropped\n");
}

static int write_outputs(const struct convert_args *a, const struct outputs *o)
{
    struct pcol_err err = {{0}};
    char **names;
    size_t i, failed = 0;
    int rc;

    if (!strcmp(a->out, "-")) {
        if (o->n > 1) {
            fprintf(stderr,
                    "profcol: convert: %s: the input needs %zu separate pprof files; "
                    "give an output file name instead of '-'\n",
                    input_name(a->in), o->n);
            return PCOL_CLI_BAD;
        }
        if (write_stdout(&o->bufs[0], &err) < 0) {
            fprintf(stderr, "profcol: convert: <stdout>: %s\n", err.msg);
            return PCOL_CLI_IO;
        }
        return 0;
    }
    names = pcol_xcalloc(o->n, sizeof(*names));
    names[0] = pcol_xstrdup(a->out);
    for (i = 1; i < o->n; i++) {
        names[i] = numbered_name(a->out, i + 1);
    }
    rc = write_files(names, o->bufs, o->n, &failed, &err);
    if (rc < 0) {
        fprintf(stderr, "profcol: convert: %s: %s\n", names[failed], err.msg);
    }
    for (i = 0; i < o->n; i++) {
        if (rc == 0 && i > 0) {
            fprintf(stderr, "profcol: convert: also wrote %s\n", names[i]);
        }
        free(names[i]);
    }
    free(names);
    return rc < 0 ? PCOL_CLI_IO : 0;
}

int pcol_cmd_convert(int argc, char **argv)
{
    const struct pcol_command *c = pcol_cli_find("convert");
    struct pcol_buf in = {0};
    struct outputs out = {0};
    struct pcol_batch *b = NULL;
    struct pcol_err err = {{0}};
    struct convert_args a;
    enum pcol_format from;
    int rc = parse_convert_args(c, argc, argv, &a);

    if (rc != 0) {
        return rc > 0 ? 0 : PCOL_CLI_BAD;
    }
    rc = PCOL_CLI_BAD;
    if (read_input(a.in, &in, &err) < 0) {
        goto fail;
    }
    from = a.from != PCOL_FMT_UNKNOWN
               ? a.from
               : pcol_format_detect(in.p, in.len, strcmp(a.in, "-") ? a.in : NULL);
    if (from == PCOL_FMT_UNKNOWN) {
        pcol_err_set(&err, PCOL_EINVAL,
                     "cannot tell the input format (not pprof, OTLP protobuf or OTLP/JSON); "
                     "use --from");
        goto fail;
    }
    b = pcol_batch_create(0);
    if (from == PCOL_FMT_PPROF && a.keep_original) {
        struct pcol_pprof_decode_opts dopts = {a.max_size, true};
        rc = pcol_pprof_decode(b, in.p, in.len, &dopts, &err) < 0 ? PCOL_CLI_BAD : 0;
    } else {
        rc = pcol_decode_any(b, from, in.p, in.len, a.max_size, &err) < 0 ? PCOL_CLI_BAD : 0;
    }
    if (rc != 0 || encode(b, &a, &out, &err) < 0) {
        rc = PCOL_CLI_BAD;
        goto fail;
    }
    rc = write_outputs(&a, &out);
    if (rc == 0) {
        warn_dropped(&out);
    }
    goto done;

fail:
    fprintf(stderr, "profcol: convert: %s: %s\n", input_name(a.in), err.msg);
done:
    outputs_free(&out);
    pcol_batch_release(b);
    pcol_buf_free(&in);
    return rc;
}
