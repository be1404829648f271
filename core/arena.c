/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.c: chunks, large blocks, cleanups. See arena.h for the rules.
 *
 * Freed regular chunks (the power-of-two sizes an arena grows through) go to
 * a small process-wide cache, so a receiver decoding request after request
 * reuses warm memory instead of having malloc map, fault in and unmap it each
 * time. Batches are built on pool threads and freed on the loop thread, hence
 * the lock. The cache owns the chunks in it; they are freed at exit. Sanitizer
 * builds skip it, so use-after-free stays visible.
 */
#include "arena.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MIN_CHUNK (16 * 1024)
#define ARENA_MAX_CHUNK (4 * 1024 * 1024)
#define CACHE_CLASSES 9                    /* 16 KiB .. 4 MiB */
#define CACHE_MAX_BYTES (16 * 1024 * 1024) /* data bytes the cache may hold */

#if defined(__SANITIZE_ADDRESS__)
#define CACHE_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CACHE_ENABLED 0
#endif
#endif
#ifndef CACHE_ENABLED
#define CACHE_ENABLED 1
#endif

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_UNDEFINED
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#endif

struct pcol_arena_chunk {
    struct pcol_arena_chunk *next;
    size_t size;
    /* data follows, aligned */
};

struct pcol_arena_cleanup {
    struct pcol_arena_cleanup *next;
    void (*fn)(void *);
    void *arg;
};

#define CHUNK_HDR                                                                                  \
    ((sizeof(struct pcol_arena_chunk) + PCOL_ARENA_ALIGN - 1) & ~(size_t)(PCOL_ARENA_ALIGN - 1))

static struct {
    pthread_mutex_t lock;
    struct pcol_arena_chunk *free[CACHE_CLASSES];
    size_t bytes;
} cache = {PTHREAD_MUTEX_INITIALIZER, {NULL}, 0};

/* The cache class of a chunk of `data` bytes, or -1 if it is not cached. */
static int cache_class(size_t data)
{
    size_t size = ARENA_MIN_CHUNK;
    int k;

    for (k = 0; CACHE_ENABLED && k < CACHE_CLASSES; k++, size *= 2) {
        if (data == size) {
            return k;
        }
    }
    return -1;
}

static struct pcol_arena_chunk *cache_take(size_t data)
{
    int k = cache_class(data);
    struct pcol_arena_chunk *c = NULL;

    if (k < 0) {
        return NULL;
    }
    pthread_mutex_lock(&cache.lock);
    c = cache.free[k];
    if (c) {
        cache.free[k] = c->next;
        cache.bytes -= data;
    }
    pthread_mutex_unlock(&cache.lock);
    if (c) {
        VALGRIND_MAKE_MEM_UNDEFINED((char *)c + CHUNK_HDR, data);
    }
    return c;
}

/* Keeps chunk `c` for reuse if the cache takes it; frees it otherwise. */
static void cache_put(struct pcol_arena_chunk *c)
{
    int k = cache_class(c->size);

    if (k >= 0) {
        pthread_mutex_lock(&cache.lock);
        if (cache.bytes + c->size <= CACHE_MAX_BYTES) {
            c->next = cache.free[k];
            cache.free[k] = c;
            cache.bytes += c->size;
            c = NULL;
        }
        pthread_mutex_unlock(&cache.lock);
    }
    free(c);
}

/* Returns the cached chunks at exit, for leak checkers. */
__attribute__((destructor)) static void cache_free(void)
{
    struct pcol_arena_chunk *c, *next;
    int k;

    pthread_mutex_lock(&cache.lock);
    for (k = 0; k < CACHE_CLASSES; k++) {
        for (c = cache.free[k]; c; c = next) {
            next = c->next;
            free(c);
        }
        cache.free[k] = NULL;
    }
    cache.bytes = 0;
    pthread_mutex_unlock(&cache.lock);
}

static struct pcol_arena_chunk *chunk_new(struct pcol_arena *a, size_t data)
{
    struct pcol_arena_chunk *c = cache_take(data);

    if (!c) {
        c = pcol_xmalloc(CHUNK_HDR + data);
    }
    c->size = data;
    a->reserved += CHUNK_HDR + data;
    return c;
}

struct pcol_arena *pcol_arena_create(size_t hint)
{
    struct pcol_arena *a = pcol_xcalloc(1, sizeof(*a));
    struct pcol_arena_chunk *c;

    a->chunk_size = hint < ARENA_MIN_CHUNK ? ARENA_MIN_CHUNK : hint;
    if (a->chunk_size > ARENA_MAX_CHUNK) {
        a->chunk_size = ARENA_MAX_CHUNK;
    }
    c = chunk_new(a, hint > a->chunk_size ? hint : a->chunk_size);
    c->next = NULL;
    a->chunks = c;
    a->cur = (char *)c + CHUNK_HDR;
    a->end = a->cur + c->size;
    return a;
}

void pcol_arena_destroy(struct pcol_arena *a)
{
    struct pcol_arena_cleanup *cl;
    struct pcol_arena_chunk *c, *next;

    if (!a) {
        return;
    }
    /* Cleanups are allocated in the arena itself, so run them before freeing. */
    for (cl = a->cleanups; cl; cl = cl->next) {
        cl->fn(cl->arg);
    }
    for (c = a->chunks; c; c = next) {
        next = c->next;
        cache_put(c);
    }
    free(a);
}

void *pcol__arena_alloc_slow(struct pcol_arena *a, size_t n)
{
    size_t need = (n + (PCOL_ARENA_ALIGN - 1)) & ~(size_t)(PCOL_ARENA_ALIGN - 1);
    struct pcol_arena_chunk *c;

    if (need == 0) {
        need = PCOL_ARENA_ALIGN;
    }
    if ((size_t)(a->end - a->cur) >= need) {
        void *p = a->cur;
        a->last = a->cur;
        a->cur += need;
        return p;
    }
    if (need > a->chunk_size / 4) {
        /* Large block: its own chunk, linked behind the current one so the
         * current chunk's free space is not abandoned. */
        c = chunk_new(a, need);
        c->next = a->chunks->next;
        a->chunks->next = c;
        a->last = NULL;
        return (char *)c + CHUNK_HDR;
    }
    if (a->chunk_size < ARENA_MAX_CHUNK) {
        a->chunk_size *= 2;
    }
    c = chunk_new(a, a->chunk_size);
    c->next = a->chunks;
    a->chunks = c;
    a->cur = (char *)c + CHUNK_HDR;
    a->end = a->cur + c->size;
    a->last = a->cur;
    a->cur += need;
    return a->last;
}

void *pcol_arena_calloc(struct pcol_arena *a, size_t n)
{
    return memset(pcol_arena_alloc(a, n), 0, n);
}

void *pcol_arena_grow(struct pcol_arena *a, void *p, size_t old, size_t n)
{
    void *q;

    if (n <= old) {
        return p;
    }
    if (p && p == a->last) {
        size_t need = (n + (PCOL_ARENA_ALIGN - 1)) & ~(size_t)(PCOL_ARENA_ALIGN - 1);
        if ((size_t)(a->end - a->last) >= need) {
            a->cur = a->last + need;
            return p;
        }
    }
    q = pcol_arena_alloc(a, n);
    if (old) {
        memcpy(q, p, old);
    }
    return q;
}

void *pcol_arena_memdup(struct pcol_arena *a, const void *p, size_t n)
{
    void *q = pcol_arena_alloc(a, n);

    if (n) {
        memcpy(q, p, n);
    }
    return q;
}

char *pcol_arena_strndup(struct pcol_arena *a, const char *s, size_t n)
{
    char *q = pcol_arena_alloc(a, n + 1);

    if (n) {
        memcpy(q, s, n);
    }
    q[n] = '\0';
    return q;
}

char *pcol_arena_sprintf(struct pcol_arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    s = pcol_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void pcol_arena_on_destroy(struct pcol_arena *a, void (*fn)(void *), void *arg)
{
    struct pcol_arena_cleanup *cl = pcol_arena_alloc(a, sizeof(*cl));

    cl->fn = fn;
    cl->arg = arg;
    cl->next = a->cleanups;
    a->cleanups = cl;
}

void *pcol_arena_next_cleanup(const struct pcol_arena *a, void (*fn)(void *), const void *after)
{
    const struct pcol_arena_cleanup *cl = a->cleanups;

    if (after) {
        while (cl && cl->arg != after) {
            cl = cl->next;
        }
        cl = cl ? cl->next : NULL;
    }
    for (; cl; cl = cl->next) {
        if (cl->fn == fn) {
            return cl->arg;
        }
    }
    return NULL;
}

void *pcol__arena_pb_alloc(void *ctx, size_t n)
{
    return pcol_arena_alloc(ctx, n);
}

void pcol__arena_pb_free(void *ctx, void *p)
{
    PCOL_UNUSED(ctx);
    PCOL_UNUSED(p);
}
