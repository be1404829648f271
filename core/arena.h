/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.h: chunked bump allocator. Every batch owns one arena; everything the
 * batch points to (decoded wire structs, dictionary tables, strings) lives in
 * it, and the whole batch dies with one pcol_arena_destroy().
 *
 * Ownership: the arena owns every block it hands out; blocks are never freed
 * one by one. External resources (file handles, zlib state, heap buffers) can
 * be tied to the arena's lifetime with pcol_arena_on_destroy(). An arena is
 * used by one thread at a time.
 */
#ifndef PCOL_ARENA_H
#define PCOL_ARENA_H

#include "common.h"

#define PCOL_ARENA_ALIGN 16

struct pcol_arena_chunk;
struct pcol_arena_cleanup;

struct pcol_arena {
    char *cur;                       /* next free byte in the current chunk */
    char *end;                       /* end of the current chunk */
    char *last;                      /* start of the last block (for in-place growth) */
    struct pcol_arena_chunk *chunks; /* all chunks, newest first */
    struct pcol_arena_cleanup *cleanups;
    size_t chunk_size; /* size of the next regular chunk */
    size_t reserved;   /* bytes taken from the system */
};

/* Creates an arena whose first chunk holds about `hint` bytes (0: default). */
struct pcol_arena *pcol_arena_create(size_t hint);
/* Runs cleanups in reverse order of registration, then frees every chunk. */
void pcol_arena_destroy(struct pcol_arena *a);

void *pcol__arena_alloc_slow(struct pcol_arena *a, size_t n);

/* Returns `n` uninitialised bytes aligned to PCOL_ARENA_ALIGN. Never NULL. */
static inline void *pcol_arena_alloc(struct pcol_arena *a, size_t n)
{
    size_t need = (n + (PCOL_ARENA_ALIGN - 1)) & ~(size_t)(PCOL_ARENA_ALIGN - 1);

    if (PCOL_LIKELY((size_t)(a->end - a->cur) >= need && need)) {
        void *p = a->cur;
        a->last = a->cur;
        a->cur += need;
        return p;
    }
    return pcol__arena_alloc_slow(a, n);
}

void *pcol_arena_calloc(struct pcol_arena *a, size_t n);
/* Grows block `p` (old size `old`, borrowed from `a`) to `n` bytes. Extends in
 * place when `p` is the arena's last block and the chunk has room; otherwise
 * copies (the old block stays allocated until the arena dies). */
void *pcol_arena_grow(struct pcol_arena *a, void *p, size_t old, size_t n);
void *pcol_arena_memdup(struct pcol_arena *a, const void *p, size_t n);
/* Copies `n` bytes of `s` and appends a NUL. */
char *pcol_arena_strndup(struct pcol_arena *a, const char *s, size_t n);
char *pcol_arena_sprintf(struct pcol_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Calls fn(arg) when the arena is destroyed. */
void pcol_arena_on_destroy(struct pcol_arena *a, void (*fn)(void *), void *arg);
/* The argument of the next cleanup registered with `fn`, newest first,
 * after the one whose argument is `after` (NULL: from the start); NULL when
 * there is none. Lets an owner find the record it tied to an arena. */
void *pcol_arena_next_cleanup(const struct pcol_arena *a, void (*fn)(void *), const void *after);

/* Bytes the arena has taken from the system (for memory budgets). */
static inline size_t pcol_arena_bytes(const struct pcol_arena *a)
{
    return a->reserved;
}

/* protobuf-c allocator hooks: `ctx` is the arena; free is a no-op. Codecs wrap
 * them in a ProtobufCAllocator so unpacked messages land in the arena. */
void *pcol__arena_pb_alloc(void *ctx, size_t n);
void pcol__arena_pb_free(void *ctx, void *p);

#endif
