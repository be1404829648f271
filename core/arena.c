/* SPDX-License-Identifier: Apache-2.0 */
/* arena.c: chunks, large blocks, cleanups. See arena.h for the rules. */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MIN_CHUNK (16 * 1024)
#define ARENA_MAX_CHUNK (4 * 1024 * 1024)

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

#define CHUNK_HDR ((sizeof(struct pcol_arena_chunk) + PCOL_ARENA_ALIGN - 1) & \
                   ~(size_t)(PCOL_ARENA_ALIGN - 1))

static struct pcol_arena_chunk *chunk_new(struct pcol_arena *a, size_t data)
{
    struct pcol_arena_chunk *c = pcol_xmalloc(CHUNK_HDR + data);

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
        free(c);
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

void *pcol__arena_pb_alloc(void *ctx, size_t n)
{
    return pcol_arena_alloc(ctx, n);
}

void pcol__arena_pb_free(void *ctx, void *p)
{
    PCOL_UNUSED(ctx);
    PCOL_UNUSED(p);
}
