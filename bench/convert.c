/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/convert.c: bench_convert [-t SECONDS] [FILE...]: how fast profcol
 * converts gzip pprof to OTLP, against the plain floor of just reading the
 * file, measured in the same run (interleaved rounds, so machine drift hits
 * both sides alike). For each file, each round loops every operation for at
 * least SECONDS (default 1); the best of 5 rounds counts:
 *   (a) conversion: pcol_pprof_decode into a fresh batch, pcol_otlp_encode
 *       into a fresh buffer, release both;
 *   (b) floor: zlib inflate of the same bytes + protobuf-c unpack with the
 *       default malloc allocator + free_unpacked;
 *   (c) for information: OTLP -> gzip pprof (pcol_otlp_decode +
 *       pcol_pprof_encode with gzip).
 * R = (a) / (b), target R <= 1.3. Without FILE it uses the corpus files
 * google-pprof__large.cpu and parca__profile-with-labels.pb.gz. Each file
 * also gets one line "RESULT <name> <gz bytes> <raw bytes> <a> <b> <c> <R>"
 * (µs) for bench/run_convert.sh.
 */
#include "codec_otlp.h"
#include "codec_pprof.h"
#include "compress.h"

#include "pprof/profile.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define ROUNDS 5
#define R_TARGET 1.3

struct input {
    const char *path;
    struct pcol_buf gz;   /* the file */
    struct pcol_buf otlp; /* its OTLP encoding, input of (c) */
    uint8_t *raw;         /* inflate target of (b), sized once */
    size_t raw_len;
};

typedef void (*bench_op)(struct input *in);

static double now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path, const char *why)
{
    fprintf(stderr, "bench_convert: %s: %s: %s\n", path, what, why);
    exit(1);
}

static void op_convert(struct input *in)
{
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_buf out = {0};
    struct pcol_err err = {{0}};
    int rc = pcol_pprof_decode(b, in->gz.p, in->gz.len, NULL, &err);

    if (rc == 0) {
        pcol_otlp_encode(b, &out);
    }
    pcol_buf_free(&out);
    pcol_batch_release(b);
    if (rc < 0) {
        die("pprof decode", in->path, err.msg);
    }
}

static size_t inflate_into(const struct input *in, uint8_t *out, size_t cap)
{
    z_stream zs;
    size_t got;
    int rc;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        die("inflate", in->path, "inflateInit2 failed");
    }
    zs.next_in = in->gz.p;
    zs.avail_in = (uInt)in->gz.len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    rc = inflate(&zs, Z_FINISH);
    got = cap - zs.avail_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        die("inflate", in->path, "not one gzip member that fits the buffer");
    }
    return got;
}

static void op_floor(struct input *in)
{
    size_t n = inflate_into(in, in->raw, in->raw_len);
    Perftools__Profiles__Profile *p = perftools__profiles__profile__unpack(NULL, n, in->raw);

    if (!p) {
        die("protobuf-c unpack", in->path, "failed");
    }
    perftools__profiles__profile__free_unpacked(p, NULL);
}

static int count_bytes(void *ctx, const struct pcol_pprof_meta *meta, const uint8_t *data,
                       size_t len)
{
    PCOL_UNUSED(meta);
    PCOL_UNUSED(data);
    *(size_t *)ctx += len;
    return 0;
}

static void op_to_pprof(struct input *in)
{
    struct pcol_pprof_encode_opts opts = {.gzip = true};
    struct pcol_batch *b = pcol_batch_create(0);
    struct pcol_err err = {{0}};
    size_t written = 0;
    int rc = pcol_otlp_decode(b, in->otlp.p, in->otlp.len, &err);

    if (rc == 0) {
        rc = pcol_pprof_encode(b, &opts, count_bytes, &written, &err);
    }
    pcol_batch_release(b);
    if (rc < 0) {
        die("OTLP -> pprof", in->path, err.msg);
    }
}

/* µs per op of one round: loops `op` for at least `min_sec`. */
static double round_us(bench_op op, struct input *in, double min_sec)
{
    double start = now_sec(), t;
    long n = 0;

    do {
        op(in);
        n++;
        t = now_sec() - start;
    } while (t < min_sec);
    return t * 1e6 / (double)n;
}

static void load(struct input *in, const char *path)
{
    FILE *f = fopen(path, "rb");
    struct pcol_batch *b;
    struct pcol_err err = {{0}};
    size_t n;

    memset(in, 0, sizeof(*in));
    in->path = path;
    if (!f) {
        die("open", path, "cannot open");
    }
    do {
        pcol_buf_reserve(&in->gz, 1 << 16);
        n = fread(in->gz.p + in->gz.len, 1, in->gz.cap - in->gz.len, f);
        in->gz.len += n;
    } while (n > 0);
    fclose(f);
    if (!pcol_is_gzip(in->gz.p, in->gz.len)) {
        die("load", path, "not a gzip pprof file");
    }
    /* The trailer's size is a hint; the inflate check below catches liars. */
    in->raw_len = (size_t)in->gz.p[in->gz.len - 4] | (size_t)in->gz.p[in->gz.len - 3] << 8 |
                  (size_t)in->gz.p[in->gz.len - 2] << 16 | (size_t)in->gz.p[in->gz.len - 1] << 24;
    in->raw = pcol_xmalloc(in->raw_len + 1);
    if (inflate_into(in, in->raw, in->raw_len + 1) != in->raw_len) {
        die("load", path, "gzip size trailer does not match");
    }
    b = pcol_batch_create(0);
    if (pcol_pprof_decode(b, in->gz.p, in->gz.len, NULL, &err) < 0) {
        die("pprof decode", path, err.msg);
    }
    pcol_otlp_encode(b, &in->otlp);
    pcol_batch_release(b);
}

static void bench_file(const char *path, double min_sec)
{
    static const bench_op ops[3] = {op_convert, op_floor, op_to_pprof};
    double best[3] = {1e300, 1e300, 1e300};
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    struct input in;
    double r, gz_mb, raw_mb;
    int round, i;

    load(&in, path);
    for (i = 0; i < 3; i++) {
        ops[i](&in); /* warm caches and allocators */
    }
    for (round = 0; round < ROUNDS; round++) {
        for (i = 0; i < 3; i++) {
            double us = round_us(ops[i], &in, min_sec);

            best[i] = us < best[i] ? us : best[i];
        }
    }
    r = best[0] / best[1];
    gz_mb = (double)in.gz.len / best[0];
    raw_mb = (double)in.raw_len / best[0];
    printf("%s: %zu B gzip, %zu B raw pprof, %zu B OTLP\n", name, in.gz.len, in.raw_len,
           in.otlp.len);
    printf("  (a) pprof gz -> OTLP        %10.1f us  %7.1f MB/s gz  %7.1f MB/s raw\n", best[0],
           gz_mb, raw_mb);
    printf("  (b) floor zlib + unpack     %10.1f us  %7.1f MB/s gz  %7.1f MB/s raw\n", best[1],
           (double)in.gz.len / best[1], (double)in.raw_len / best[1]);
    printf("  (c) OTLP -> pprof gz        %10.1f us\n", best[2]);
    printf("  R = (a)/(b) = %.2f (target <= %.1f): %s\n", r, R_TARGET,
           r <= R_TARGET ? "PASS" : "MISS");
    printf("RESULT %s %zu %zu %.1f %.1f %.1f %.2f\n", name, in.gz.len, in.raw_len, best[0], best[1],
           best[2], r);
    fflush(stdout);
    pcol_buf_free(&in.gz);
    pcol_buf_free(&in.otlp);
    free(in.raw);
}

int main(int argc, char **argv)
{
    static const char *defaults[] = {
        PCOL_CORPUS_DIR "/google-pprof__large.cpu",
        PCOL_CORPUS_DIR "/parca__profile-with-labels.pb.gz",
    };
    double min_sec = 1.0;
    int i = 1;

    if (argc > 2 && !strcmp(argv[1], "-t")) {
        min_sec = atof(argv[2]);
        i = 3;
        if (min_sec <= 0) {
            fprintf(stderr, "usage: bench_convert [-t SECONDS] [FILE.pb.gz...]\n");
            return 2;
        }
    }
    if (i == argc) {
        for (size_t k = 0; k < PCOL_ARRAY_SIZE(defaults); k++) {
            bench_file(defaults[k], min_sec);
        }
    }
    for (; i < argc; i++) {
        bench_file(argv[i], min_sec);
    }
    return 0;
}
