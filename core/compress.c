/* SPDX-License-Identifier: Apache-2.0 */
/* compress.c: gzip (libdeflate, zlib fallback) and zstd with size limits. */
#include "compress.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

int pcol_encoding_parse(const char *name)
{
    if (!name || !*name || !strcmp(name, "identity") || !strcmp(name, "none")) {
        return PCOL_ENC_IDENTITY;
    }
    if (!strcmp(name, "gzip")) {
        return PCOL_ENC_GZIP;
    }
    if (!strcmp(name, "zstd")) {
        return PCOL_ENC_ZSTD;
    }
    return -1;
}

const char *pcol_encoding_name(enum pcol_encoding e)
{
    switch (e) {
    case PCOL_ENC_GZIP: return "gzip";
    case PCOL_ENC_ZSTD: return "zstd";
    default: return "identity";
    }
}

/* Streams with zlib; handles concatenated members; stops at `max`. */
static int gunzip_stream(const uint8_t *in, size_t n, size_t max, struct pcol_buf *out,
                         struct pcol_err *err)
{
    z_stream zs;
    size_t start = out->len;
    int rc = Z_OK;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        pcol_fatal("zlib inflateInit2 failed");
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    for (;;) {
        size_t room;
        if (out->len - start >= max) {
            /* Probe one more byte: exactly `max` bytes is still fine. */
            uint8_t probe;
            zs.next_out = &probe;
            zs.avail_out = 1;
            rc = inflate(&zs, Z_NO_FLUSH);
            if (zs.avail_out == 0) {
                inflateEnd(&zs);
                out->len = start;
                return pcol_err_set(err, PCOL_ERANGE,
                                    "gzip data decompresses to more than %zu bytes", max);
            }
        } else {
            pcol_buf_reserve(out, 64 * 1024);
            room = out->cap - out->len;
            if (room > max - (out->len - start)) {
                room = max - (out->len - start);
            }
            zs.next_out = out->p + out->len;
            zs.avail_out = (uInt)room;
            rc = inflate(&zs, Z_NO_FLUSH);
            out->len += room - zs.avail_out;
        }
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0) {
                break;
            }
            if (!pcol_is_gzip(zs.next_in, zs.avail_in)) {
                break; /* trailing garbage after the last member is ignored, as gzip(1) does */
            }
            inflateReset(&zs);
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            inflateEnd(&zs);
            out->len = start;
            return pcol_err_set(err, PCOL_EINVAL, "corrupt gzip data (%s)",
                                zs.msg ? zs.msg : "inflate error");
        }
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
            inflateEnd(&zs);
            out->len = start;
            return pcol_err_set(err, PCOL_EINVAL, "truncated gzip data");
        }
    }
    inflateEnd(&zs);
    return 0;
}

/* libdeflate states are cached per thread (allocating one costs more than
 * compressing a small profile). They hang off a pthread key whose destructor
 * frees them when a thread-pool thread exits; the main thread's are freed at
 * process exit. */
struct deflate_state {
    struct libdeflate_decompressor *inflater;
    struct libdeflate_compressor *deflater;
    int level;
};

static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void state_free(void *p)
{
    struct deflate_state *st = p;

    if (st) {
        libdeflate_free_decompressor(st->inflater);
        libdeflate_free_compressor(st->deflater);
        free(st);
    }
}

static void state_key_create(void)
{
    if (pthread_key_create(&state_key, state_free) != 0) {
        pcol_fatal("pthread_key_create failed");
    }
}

static struct deflate_state *thread_state(void)
{
    struct deflate_state *st;

    pthread_once(&state_once, state_key_create);
    st = pthread_getspecific(state_key);
    if (!st) {
        st = pcol_xcalloc(1, sizeof(*st));
        pthread_setspecific(state_key, st);
    }
    return st;
}

static int gunzip(const uint8_t *in, size_t n, size_t max, struct pcol_buf *out,
                  struct pcol_err *err)
{
    size_t isize, got_in = 0, got_out = 0;
    struct deflate_state *st;
    enum libdeflate_result r;

    if (n < 18) {
        return pcol_err_set(err, PCOL_EINVAL, "truncated gzip data (%zu bytes)", n);
    }
    /* The trailer holds the size mod 2^32: a hint, not a promise. */
    isize = (size_t)in[n - 4] | (size_t)in[n - 3] << 8 | (size_t)in[n - 2] << 16 |
            (size_t)in[n - 1] << 24;
    if (isize > max) {
        /* Over the limit, or a truncated stream whose "trailer" is data:
         * streaming tells which, and never grows past the limit. */
        return gunzip_stream(in, n, max, out, err);
    }
    st = thread_state();
    if (!st->inflater) {
        st->inflater = libdeflate_alloc_decompressor();
        if (!st->inflater) {
            pcol_fatal("libdeflate_alloc_decompressor failed");
        }
    }
    pcol_buf_reserve(out, isize);
    r = libdeflate_gzip_decompress_ex(st->inflater, in, n, out->p + out->len, isize, &got_in,
                                      &got_out);
    if (r == LIBDEFLATE_SUCCESS && got_in == n) {
        out->len += got_out;
        return 0;
    }
    /* Several members, a lying trailer or corruption: let zlib decide. */
    return gunzip_stream(in, n, max, out, err);
}

static int unzstd(const uint8_t *in, size_t n, size_t max, struct pcol_buf *out,
                  struct pcol_err *err)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer ib = {in, n, 0};
    size_t start = out->len, rc = 1;

    if (!ds) {
        pcol_fatal("ZSTD_createDStream failed");
    }
    while (ib.pos < ib.size || rc != 0) {
        ZSTD_outBuffer ob;
        pcol_buf_reserve(out, 64 * 1024);
        ob.dst = out->p + out->len;
        ob.size = out->cap - out->len;
        ob.pos = 0;
        rc = ZSTD_decompressStream(ds, &ob, &ib);
        out->len += ob.pos;
        if (ZSTD_isError(rc)) {
            ZSTD_freeDStream(ds);
            out->len = start;
            return pcol_err_set(err, PCOL_EINVAL, "corrupt zstd data (%s)", ZSTD_getErrorName(rc));
        }
        if (out->len - start > max) {
            ZSTD_freeDStream(ds);
            out->len = start;
            return pcol_err_set(err, PCOL_ERANGE, "zstd data decompresses to more than %zu bytes",
                                max);
        }
        if (ib.pos == ib.size && ob.pos == 0 && rc != 0) {
            ZSTD_freeDStream(ds);
            out->len = start;
            return pcol_err_set(err, PCOL_EINVAL, "truncated zstd data");
        }
    }
    ZSTD_freeDStream(ds);
    return 0;
}

int pcol_decompress(enum pcol_encoding enc, const uint8_t *in, size_t n, size_t max,
                    struct pcol_buf *out, struct pcol_err *err)
{
    switch (enc) {
    case PCOL_ENC_GZIP: return gunzip(in, n, max, out, err);
    case PCOL_ENC_ZSTD: return unzstd(in, n, max, out, err);
    default:
        if (n > max) {
            return pcol_err_set(err, PCOL_ERANGE, "data is %zu bytes, more than %zu", n, max);
        }
        pcol_buf_append(out, in, n);
        return 0;
    }
}

void pcol_compress(enum pcol_encoding enc, int level, const uint8_t *in, size_t n,
                   struct pcol_buf *out)
{
    size_t bound, got;
    struct deflate_state *st;

    switch (enc) {
    case PCOL_ENC_GZIP:
        if (level <= 0) {
            level = 1;
        }
        st = thread_state();
        if (!st->deflater || st->level != level) {
            libdeflate_free_compressor(st->deflater);
            st->deflater = libdeflate_alloc_compressor(level);
            if (!st->deflater) {
                pcol_fatal("libdeflate_alloc_compressor(%d) failed", level);
            }
            st->level = level;
        }
        bound = libdeflate_gzip_compress_bound(st->deflater, n);
        pcol_buf_reserve(out, bound);
        got = libdeflate_gzip_compress(st->deflater, in, n, out->p + out->len, bound);
        if (!got) {
            pcol_fatal("libdeflate_gzip_compress failed");
        }
        out->len += got;
        return;
    case PCOL_ENC_ZSTD:
        bound = ZSTD_compressBound(n);
        pcol_buf_reserve(out, bound);
        got = ZSTD_compress(out->p + out->len, bound, in, n, level <= 0 ? 1 : level);
        if (ZSTD_isError(got)) {
            pcol_fatal("ZSTD_compress failed: %s", ZSTD_getErrorName(got));
        }
        out->len += got;
        return;
    default: pcol_buf_append(out, in, n); return;
    }
}

/* pthread key destructors do not run for the main thread: free its state at
 * exit so leak checkers see a clean heap. */
__attribute__((destructor)) static void compress_main_state_free(void)
{
    if (pthread_once(&state_once, state_key_create) == 0) {
        state_free(pthread_getspecific(state_key));
        pthread_setspecific(state_key, NULL);
    }
}
